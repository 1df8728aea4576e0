"""Charts as inline SVG for the PDFs, where no JavaScript runs (the pages draw the same figures with
Chart.js).

One :class:`Frame` (the plot box inside the margins and its linear scales) and the charts drawn on it:
:func:`line_chart` (named series over years with dashed horizontal cut lines: the selection dossier),
:func:`study_trend_chart` (hotspots against control areas with dashed start markers: the study) and
:func:`event_study_chart` (the effect per year since the start with its intervals: the study). Every
label is ``escape()``d; the rest of the markup is made of numbers.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

#: Okabe–Ito colours (colour-blind safe), one per series in turn.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
HOTSPOT_COLOUR, CONTROL_COLOUR = "#D55E00", "#0072B2"


@dataclass(frozen=True)
class Frame:
    """An SVG of ``width`` × ``height`` whose plot box lies inside the four margins.

    Two forms of the linear scale, the same map with the floating-point operations in another order
    (they can differ in the last bit, and so in a printed tenth at a tie): ``x_scale``/``y_scale``
    (the study charts) and ``x_fraction``/``y_fraction`` (the dossier chart; also the arithmetic of
    ``hotspot.programmes.pages.chart_geometry``). Each chart keeps the form it was drawn with.

    >>> f = Frame(100, 50, left=10, right=10, top=5, bottom=5)
    >>> f.inner_width, f.inner_height, f.x_end, f.y_end
    (80, 40, 90, 45)
    >>> px, py = f.x_scale(2000, 2004), f.y_scale(0.0, 10.0)
    >>> px(2000), px(2004), py(10.0), py(0.0), py(2.5)
    (10.0, 90.0, 5.0, 45.0, 35.0)
    >>> x, y = f.x_fraction(4), f.y_fraction(0.0, 10.0)
    >>> x(0), x(4), y(10.0), y(0.0), y(2.5)
    (10.0, 90.0, 5.0, 45.0, 35.0)
    """

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def inner_width(self):
        return self.width - self.left - self.right

    @property
    def inner_height(self):
        return self.height - self.top - self.bottom

    @property
    def x_end(self):
        """The right edge of the plot box."""
        return self.width - self.right

    @property
    def y_end(self):
        """The bottom edge of the plot box."""
        return self.height - self.bottom

    def open(self, attributes: str) -> str:
        """The ``<svg>`` start tag (its size and view box) with further ``attributes``."""
        w, h = self.width, self.height
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" {attributes}>'
        )

    def x_scale(self, start, end) -> Callable[[float], float]:
        """x of a value: ``start`` at the left edge, ``end`` at the right (a zero span counts as 1)."""
        span = (end - start) or 1

        def px(x):
            return self.left + (x - start) / span * (self.width - self.left - self.right)

        return px

    def y_scale(self, low, high) -> Callable[[float], float]:
        """y of a value: ``high`` at the top edge, ``low`` at the bottom (a zero span counts as 1)."""
        span = (high - low) or 1

        def py(y):
            return self.top + (high - y) / span * (self.height - self.top - self.bottom)

        return py

    def x_fraction(self, span) -> Callable[[float], float]:
        """x of an offset from the first point (an index, a number of days): ``span`` at the right edge."""
        w = self.inner_width

        def x(k):
            return self.left + (w * k / span)

        return x

    def y_fraction(self, low, high) -> Callable[[float], float]:
        """y of a value: ``high`` at the top edge, ``low`` at the bottom (``high`` > ``low``)."""
        h = self.inner_height

        def y(v):
            return self.top + h * (1 - (v - low) / (high - low))

        return y


def ticks(low, high, n: int = 5):
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart), and the step.

    >>> values, step = ticks(0.0, 37.0)
    >>> [float(v) for v in values], float(step)
    ([0.0, 10.0, 20.0, 30.0, 40.0], 10.0)
    """
    span = (high - low) or 1.0
    raw = span / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return (
        np.arange(np.floor(low / step) * step, np.ceil(high / step) * step + step / 2, step),
        step,
    )


def _whole(x) -> str:
    return number_format(round(float(x), 0), 0)


def _safe(parts) -> str:
    return mark_safe("".join(parts))  # nosec B308 B703: SVG from numbers and escape()d labels


# ------------------------------------------------------------------------------------------------
# The dossier: candidates' scores per year


#: The dossier chart's size and type: 640 × 260 with 12-unit text, about the PDF's column width (174 mm,
#: 658 CSS px) so that the text prints at about 9 pt, and shown at least that large on the page (the
#: first one, 520 × 200 with 8-unit text, printed at 7.6 pt and showed 8 px text on the page).
LINE_CHART_SIZE = {"width": 640, "height": 260, "font_size": 12}


def line_chart(
    series,
    years,
    cuts=(),
    *,
    label="",
    width=LINE_CHART_SIZE["width"],
    height=LINE_CHART_SIZE["height"],
    font_size=LINE_CHART_SIZE["font_size"],
    colours=None,
) -> str:
    """Lines of named series over ``years`` (``series``: [(name, values)], ``None`` breaks a line),
    with a dashed horizontal line and its value at each of ``cuts``; ``""`` with nothing to draw.

    ``font_size`` (whole units) sets the text and the margins that hold it: the legend is one unit
    larger and its lines ``font_size + 3`` apart; the left margin is ``5 × font_size`` and the bottom
    one ``2.75 × font_size`` (8 gives the first chart's 40 and 22)."""
    vals = [v for _name, vs in series for v in vs if v is not None] + list(cuts)
    if not vals or not years:
        return ""
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or 1.0
    f = int(font_size)
    frame = Frame(width, height, left=5 * f, right=10, top=10, bottom=f * 11 // 4)
    left, top, w, h = frame.left, frame.top, frame.inner_width, frame.inner_height
    x = frame.x_fraction(max(len(years) - 1, 1))
    y = frame.y_fraction(lo - pad, hi + pad)
    colours = colours or SERIES_COLOURS
    parts = [
        frame.open(f'role="img" aria-label="{escape(label)}"'),
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
    ]
    for c in cuts:
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y(c):.1f}" y2="{y(c):.1f}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
            f'<text x="{left - 4}" y="{y(c) + f * 3 // 8:.1f}" font-size="{f}" text-anchor="end">{c:g}</text>'
        )
    step = max(1, len(years) // 9)
    for i, yr in enumerate(years):
        if i % step == 0 or i == len(years) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - f * 3 // 4}" font-size="{f}" text-anchor="middle">{yr}</text>'
            )
    for k, (name, vs) in enumerate(series):
        colour = colours[k % len(colours)]
        pts, segs = [], []
        for i, v in enumerate(vs):
            if v is None:
                if pts:
                    segs.append(pts)
                pts = []
            else:
                pts.append(f"{x(i):.1f},{y(v):.1f}")
        if pts:
            segs.append(pts)
        for seg in segs:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{" ".join(seg)}"/>'
            )
        parts.append(
            f'<text x="{left + 6}" y="{top + f * 3 // 2 + (f + 3) * k}" font-size="{f + 1}" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return _safe(parts)


# ------------------------------------------------------------------------------------------------
# The study: the two groups' trends and the event study

#: Both study charts: 640 × 220, room for the tick labels on the left and two text lines below.
STUDY_FRAME = Frame(640, 220, left=46, right=12, top=14, bottom=28)
_STUDY_OPEN = 'font-size="9" font-family="sans-serif"'


def _study_axes(frame, py, marks, grid) -> list[str]:
    return [
        f'<line x1="{frame.left}" x2="{frame.x_end}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="{grid}"/>'
        f'<text x="{frame.left - 4}" y="{py(t) + 3:.1f}" text-anchor="end">{_whole(t)}</text>'
        for t in marks
    ]


def _start_marker(frame, x) -> str:
    return (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{frame.y_end}" '
        'stroke="#555" stroke-dasharray="4 3"/>'
    )


def study_trend_chart(trend: dict, starts, unit_label: str) -> str:
    """The hotspots' and the control areas' yearly values (``trend``: years, treated, control; a
    ``None`` is left out) with a dashed line before each start year; ``""`` with no values."""
    xs = trend["years"]
    vals = [v for k in ("treated", "control") for v in trend[k] if v is not None]
    if not vals:
        return ""
    marks, _step = ticks(min(0.0, min(vals)), max(vals))
    frame = STUDY_FRAME
    px, py = frame.x_scale(min(xs), max(xs)), frame.y_scale(float(marks[0]), float(marks[-1]))
    h = frame.height
    parts = [frame.open(_STUDY_OPEN), *_study_axes(frame, py, marks, "#ddd")]
    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{h - 14}" text-anchor="middle">{str(x)[2:]}</text>')
    for s in starts:
        parts.append(_start_marker(frame, px(s - 0.5)))
    for key, colour in (("treated", HOTSPOT_COLOUR), ("control", CONTROL_COLOUR)):
        pts = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, trend[key]) if v is not None)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(
        f'<text x="50" y="{h - 2}" fill="{HOTSPOT_COLOUR}">■ {escape(_("Hotspots"))}</text>'
        f'<text x="150" y="{h - 2}" fill="{CONTROL_COLOUR}">■ {escape(_("Control areas"))}</text>'
        f'<text x="{frame.x_end}" y="{h - 2}" text-anchor="end">{escape(unit_label)}</text></svg>'
    )
    return _safe(parts)


def event_study_chart(event: dict | None) -> str:
    """The effect per year since the start (``event``: rel_time, coef, ci_low, ci_high, scale; the
    reference year −1 is drawn at 0) with its intervals, in per cent on the relative scale; ``""``
    without an event study."""
    if not event:
        return ""
    rel = event["rel_time"] + [-1]
    coef = event["coef"] + [0.0]
    lo = event["ci_low"] + [0.0]
    hi = event["ci_high"] + [0.0]
    scale = 100.0 if event["scale"] == "relative" else 1.0
    vals = [v * scale for v in lo + hi + coef if v is not None]
    marks, _step = ticks(min(vals + [0]), max(vals + [0]))
    y_lo, y_hi = float(marks[0]), float(max(marks[-1], max(vals + [0])))
    frame = STUDY_FRAME
    px, py = frame.x_scale(min(rel), max(rel)), frame.y_scale(y_lo, y_hi)
    h = frame.height
    parts = [frame.open(_STUDY_OPEN), *_study_axes(frame, py, marks, "#eee")]
    parts.append(
        f'<line x1="{frame.left}" x2="{frame.x_end}" y1="{py(0):.1f}" y2="{py(0):.1f}" stroke="#333"/>'
        + _start_marker(frame, px(-0.5))
    )
    for r, c, a, b in zip(rel, coef, lo, hi):
        x = px(r)
        if a is not None and b is not None:
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(a * scale):.1f}" y2="{py(b * scale):.1f}" stroke="#0072B2" stroke-width="2"/>'
            )
        if c is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{py(c * scale):.1f}" r="3.5" fill="#0072B2"/>')
        parts.append(f'<text x="{x:.1f}" y="{h - 14}" text-anchor="middle">{r:+d}</text>')
    unit = "%" if event["scale"] == "relative" else ""
    # outside the f-string, so that makemessages finds it (it was English in Danish PDFs)
    axis = escape(_("Years since the start (−1 = reference year)"))
    effect = escape(_("Effect"))
    parts.append(
        f'<text x="50" y="{h - 2}">{axis}</text>'
        f'<text x="{frame.x_end}" y="{h - 2}" text-anchor="end">{effect} {unit}</text></svg>'
    )
    return _safe(parts)
