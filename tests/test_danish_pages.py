"""Danish pages carry no English and no raw codes (issue 14 item 5).

For each role that reads pages (coordinator, analyst, partner, board, dpo) the test visits, in the default
language (Danish), every page of the role x URL table (hotspot/accounts/tests/test_access.py) that answers
200 for that role, then the pages those link to, one page per view (so the demo city's programmes, index
runs, dossiers and studies with results are seen too). PDFs are checked through the HTML they are printed
from. Each page's visible text (and the title, aria-label, placeholder and alt attributes) is stripped of
tags and scripts and must not contain

- an English word: words of the English msgids (locale/da/LC_MESSAGES/django.po) that occur in no Danish
  msgstr, plus a fixed list of words seen leaking (``ENGLISH``), or
- a raw code: a snake_case token (``reports_violence``, ``felt_safety``) or a model label with a key
  (``areas.area:22``).

``ALLOWED`` lists what Danish text may contain although it looks English, each with its reason.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.urls import Resolver404, resolve

from hotspot.accounts.tests.test_access import TABLE, _url

ROLES = ["coordinator", "analyst", "partner", "board", "dpo", "admin"]
PO = Path(__file__).resolve().parent.parent / "locale" / "da" / "LC_MESSAGES" / "django.po"

#: Words seen leaking onto Danish pages, and common English words that are not Danish.
ENGLISH = {
    "the",
    "and",
    "of",
    "with",
    "this",
    "that",
    "which",
    "could",
    "should",
    "must",
    "not",
    "was",
    "were",
    "has",
    "have",
    "been",
    "than",
    "there",
    "their",
    "approval",
    "agenda",
    "intensified",
    "ordinary",
    "effort",
    "prevention",
    "convicted",
    "sensitivity",
    "relative",
    "treated",
    "controls",
    "estimate",
    "expected",
    "got",
    "areas",
    "year",
    "years",
    "study",
    "report",
    "reports",
    "count",
    "counts",
    "only",
}
#: Phrases whose words are Danish too ("marked" is a Danish word: market).
ENGLISH_PHRASES = ["marked effort", "marked indsats"]

#: Whole lines that are right in English: the language switcher names the language in itself.
ALLOWED_LINES = {"English"}
#: Names of methods used untranslated in Danish statistics texts, and test data names.
ALLOWED_PHRASES = ["Event study", "Access test"]

#: Looks English or like a code, but belongs in Danish text.
ALLOWED = {
    # Danish words that are also English msgid words
    "mark",
    "have",
    "menu",
    # proper nouns and method names used untranslated in Danish statistics
    "poisson",
    "bootstrap",
    "placebo",
    "synthetic",
    "weasyprint",
    "dkfds",
    "leaflet",
    "chart",
    "excel",
    "csv",
    "xlsx",
    "pdf",
    "geojson",
    "wdq",
    "smd",
    "rmspe",
    "twfe",
    "cpr",
    "id",
    "sha",
}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
#: snake_case identifiers (two or more lower-case parts) and ``app_label.model:key`` object labels.
_CODE = re.compile(
    r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.-]*\w)|\b[a-z_]+\.[a-z_]+:\d+\b"
)


def _po_entries(path: Path):
    """(msgid, msgstr) pairs of a PO file (plural forms joined), comments and header skipped."""
    entries, msgid, msgstr, field = [], [], [], None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if line.startswith("msgid ") or not line:
            if msgid or msgstr:
                entries.append(("".join(msgid), "".join(msgstr)))
            msgid, msgstr, field = [], [], None
        if line.startswith("#") or not line:
            continue
        if line.startswith("msgid_plural "):
            field, line = msgid, line[len("msgid_plural ") :]
        elif line.startswith("msgid "):
            field, line = msgid, line[len("msgid ") :]
        elif line.startswith("msgstr"):
            field, line = msgstr, line.split(" ", 1)[1]
        if field is not None and line.startswith('"'):
            field.append(" " + ast.literal_eval(line))
    return [(i, s) for i, s in entries if i.strip()]


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(re.sub(r"%\(\w+\)\w|\{[^}]*\}|<[^>]*>", " ", text))}


def english_words() -> set[str]:
    """Words of the English source texts that no Danish translation uses, and the fixed list."""
    entries = _po_entries(PO)
    source = set().union(*(_words(i) for i, _s in entries))
    danish = set().union(*(_words(s) for _i, s in entries))
    return ({w for w in source - danish if len(w) >= 3} | ENGLISH) - ALLOWED


class _Text(HTMLParser):
    """Visible text and the attributes a reader hears or sees; script, style and template left out."""

    #: not text for a reader (script, style), or literal text a machine reads (<code>: commands, a
    #: file's column names, hashes)
    SKIP = {"script", "style", "template", "noscript", "code", "kbd", "samp"}
    ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        for name, value in attrs:
            if value and (
                name in self.ATTRIBUTES
                or (name == "value" and ("type", "submit") in attrs and tag == "input")
            ):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


_FILE_NAME = re.compile(r"\S+\.(?:csv|xlsx|pdf|geojson|json|zip)\b", re.IGNORECASE)


def problems(text: str, english: set[str], names=()) -> list[str]:
    """The English words and raw codes in ``text``, each with a little context. ``names`` (user
    names: data, not words) are left out, and so are file names."""
    found = []
    for line in text.splitlines():
        if line in ALLOWED_LINES:
            continue
        for name in (*names, *ALLOWED_PHRASES):
            line = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", line)
        line = _FILE_NAME.sub(" ", line)
        low = line.lower()
        words = {w.lower() for w in _WORD.findall(line)}
        hits = sorted(words & english)
        hits += [p for p in ENGLISH_PHRASES if p in low]
        hits += [c for c in _CODE.findall(line) if c.split(".")[0] not in ALLOWED]
        if hits:
            found.append(f"{hits}: {line[:160]!r}")
    return found


# Pages not fetched: downloads (no text to read), the map's data and anything that changes state on GET;
# the residents' page's English version (English on purpose) and the API's schema (for programs).
_SKIP_NAMES = {
    "logout",
    "set_language",
    "switch_municipality",
    "areas:geojson",
    "admin",
    "public:page_en",
    "api:schema",
}
_SKIP_SUFFIXES = ("csv", "xlsx", "geojson", "export", "json")
_LINK = re.compile(r'href="(/[^"#?]*)[^"]*"')


def _view_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _skip(name: str | None) -> bool:
    return (
        name is None
        or name in _SKIP_NAMES
        or name.startswith("admin:")
        or name.rsplit(":", 1)[-1].endswith(_SKIP_SUFFIXES)
    )


@pytest.fixture
def html_pdfs(monkeypatch):
    """PDF downloads answer with the HTML they would be printed from (cheap, and readable)."""
    monkeypatch.setattr("hotspot.reports.pdf.html_to_pdf", lambda html: html.encode())


@pytest.mark.parametrize("role", ROLES)
def test_danish_pages_have_no_english_and_no_codes(
    client, role, member, demo_municipality, other_municipality, html_pdfs
):
    from hotspot.accounts.models import User

    english = english_words()
    names = sorted(User.objects.values_list("username", flat=True), key=len, reverse=True)
    client.force_login(member(role))
    queue, seen_views, seen_paths = [], set(), set()
    for name, (kind, expected, _anonymous) in TABLE.items():
        if expected.get(role) == 200 and "#foreign" not in name:
            try:  # the table's objects have fixed names: a second one of a kind may clash
                with transaction.atomic():
                    queue.append(_url(name, kind, demo_municipality, other_municipality))
            except IntegrityError:
                continue  # that page's view is reached through the demo city's links
    report = []
    while queue:
        path = queue.pop(0)
        name = _view_name(urlsplit(path).path)
        if path in seen_paths or _skip(name):
            continue
        seen_paths.add(path)
        response = client.get(path)
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        if "html" not in kind and "pdf" not in kind:
            continue
        html = response.content.decode()
        for found in problems(visible_text(html), english, names):
            report.append(f"{path} ({name}): {found}")
        seen_views.add(name)
        for link in _LINK.findall(html):
            link_name = _view_name(link)
            if link_name not in seen_views and not _skip(link_name):
                queue.append(link)
                seen_views.add(link_name)  # one page per view is enough
    assert len(seen_paths) > 10, seen_paths  # the crawl really ran
    assert not report, f"{len(report)} English words or raw codes for {role}:\n" + "\n".join(report)


def test_the_check_finds_english_and_codes():
    english = english_words()
    assert {"approval", "intensified"} <= english
    text = visible_text(
        "<p>Approval of the agenda</p><script>var the_code = 1;</script>"
        "<p title='marked effort'>x</p><td>reports_violence</td><li>areas.area:22</li>"
    )
    found = "\n".join(problems(text, english))
    for word in ("approval", "agenda", "marked effort", "reports_violence", "areas.area:22"):
        assert word in found
    assert "the_code" not in found
    assert not problems(visible_text("<p>Godkendelse af dagsorden for område 22</p>"), english)
