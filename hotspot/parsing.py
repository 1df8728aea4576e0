"""How a value in a municipality's file or a Statistics Denmark table is read: one home for the rules.

Below every app (no Django, no models), so that both the import engine (``hotspot/imports``) and the
Statistics Denmark client (``hotspot/indicators/statbank.py``) use it without importing each other.
"""

import datetime as dt
import re

_DATE_DMY = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


def parse_date(text: str) -> dt.date:
    """ISO (2024-03-31), Danish (31-03-2024, 31.03.2024) or 31/03/2024; ValueError otherwise."""
    text = text.strip()
    m = _DATE_ISO.match(text)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    m = _DATE_DMY.match(text)
    if m:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(text)


def parse_datetime(text: str) -> dt.datetime:
    """A date as ``parse_date`` reads it, optionally followed by a time (T or space, HH:MM[:SS])."""
    text = text.strip()
    date_part, _sep, time_part = text.replace("T", " ", 1).partition(" ")
    day = parse_date(date_part)
    if not time_part.strip():
        return dt.datetime(day.year, day.month, day.day)
    m = _TIME.match(time_part.strip())
    if not m:
        raise ValueError(text)
    return dt.datetime(day.year, day.month, day.day, int(m[1]), int(m[2]), int(m[3] or 0))


def parse_number(text) -> float:
    """1234.5, 1234,5 (Danish decimal comma) and 1.234,5 (Danish thousands); ValueError otherwise."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    s = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if not s:
        raise ValueError(text)
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    value = float(s)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def parse_int(text) -> int:
    value = parse_number(text)
    if value != int(value):
        raise ValueError(text)
    return int(value)
