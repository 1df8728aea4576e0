"""The PDFs' inline SVG charts (hotspot.reports.charts).

The three drawers used to live in the views (``svg_trend`` in hotspot/indices/views.py, ``_svg_frame``,
``_ticks``, ``svg_trend`` and ``svg_event`` in hotspot/evaluations/views.py, as of commit 5285d6f). They
are copied below unchanged as the reference: for the same input the moved charts must give the same
bytes, or a printed dossier or study would change.
"""

import ast
import random
from pathlib import Path

import numpy as np
import pytest
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from hotspot.reports import charts
from hotspot.reports.charts import (
    Frame,
    event_study_chart,
    line_chart,
    study_trend_chart,
    ticks,
)

ROOT = Path(__file__).resolve().parents[3]
#: The dossier chart's first size and type (since then LINE_CHART_SIZE is larger): the same arithmetic
#: must still give the old bytes at the old size.
OLD_SIZE = {"width": 520, "height": 200, "font_size": 8}

# ------------------------------------------------------------------------------------------------
# The reference: the old drawers, verbatim (only renamed)


def _n(x, digits=0):
    return number_format(round(float(x), digits), digits)


def old_line_chart(series, years, cuts=(), *, label="", width=520, height=200, colours=None):
    """An inline SVG line chart (for the PDF, where no JavaScript runs). ``series``: [(name, values)]."""
    vals = [v for _n, vs in series for v in vs if v is not None] + list(cuts)
    if not vals or not years:
        return ""
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 40, 10, 10, 22
    w, h = width - left - right, height - top - bottom

    def x(i):
        return left + (w * i / max(len(years) - 1, 1))

    def y(v):
        return top + h * (1 - (v - lo) / (hi - lo))

    colours = colours or ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
    ]
    for c in cuts:
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y(c):.1f}" y2="{y(c):.1f}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
            f'<text x="{left - 4}" y="{y(c) + 3:.1f}" font-size="8" text-anchor="end">{c:g}</text>'
        )
    step = max(1, len(years) // 9)
    for i, yr in enumerate(years):
        if i % step == 0 or i == len(years) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 6}" font-size="8" text-anchor="middle">{yr}</text>'
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
            f'<text x="{left + 6}" y="{top + 12 + 11 * k}" font-size="9" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # nosec B308 B703: SVG from numbers and escape()d labels


def _svg_frame(width, height, xs, lo, hi, pad=(46, 12, 14, 28)):
    left, right, top, bottom = pad
    x0, x1 = min(xs), max(xs)
    span_x = (x1 - x0) or 1
    span_y = (hi - lo) or 1

    def px(x):
        return left + (x - x0) / span_x * (width - left - right)

    def py(y):
        return top + (hi - y) / span_y * (height - top - bottom)

    return px, py


def _ticks(lo, hi, n=5):
    """Round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart)."""
    span = (hi - lo) or 1.0
    raw = span / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return np.arange(np.floor(lo / step) * step, np.ceil(hi / step) * step + step / 2, step), step


def old_study_trend(trend: dict, starts, unit_label: str) -> str:
    xs = trend["years"]
    vals = [v for k in ("treated", "control") for v in trend[k] if v is not None]
    if not vals:
        return ""
    ticks, _step = _ticks(min(0.0, min(vals)), max(vals))
    lo, hi = float(ticks[0]), float(ticks[-1])
    w, h = 640, 220
    px, py = _svg_frame(w, h, xs, lo, hi)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-size="9" font-family="sans-serif">'
    ]
    for t in ticks:
        parts.append(
            f'<line x1="46" x2="{w - 12}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#ddd"/>'
            f'<text x="42" y="{py(t) + 3:.1f}" text-anchor="end">{_n(t, 0)}</text>'
        )
    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{h - 14}" text-anchor="middle">{str(x)[2:]}</text>')
    for s in starts:
        parts.append(
            f'<line x1="{px(s - 0.5):.1f}" x2="{px(s - 0.5):.1f}" y1="14" y2="{h - 28}" stroke="#555" stroke-dasharray="4 3"/>'
        )
    for key, colour in (("treated", "#D55E00"), ("control", "#0072B2")):
        pts = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, trend[key]) if v is not None)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(
        f'<text x="50" y="{h - 2}" fill="#D55E00">■ {escape(_("Hotspots"))}</text>'
        f'<text x="150" y="{h - 2}" fill="#0072B2">■ {escape(_("Control areas"))}</text>'
        f'<text x="{w - 12}" y="{h - 2}" text-anchor="end">{escape(unit_label)}</text></svg>'
    )
    return mark_safe("".join(parts))  # nosec B308 B703: SVG from numbers and escape()d labels


def old_event_study(event: dict) -> str:
    if not event:
        return ""
    rel = event["rel_time"] + [-1]
    coef = event["coef"] + [0.0]
    lo = event["ci_low"] + [0.0]
    hi = event["ci_high"] + [0.0]
    scale = 100.0 if event["scale"] == "relative" else 1.0
    vals = [v * scale for v in lo + hi + coef if v is not None]
    ticks, step = _ticks(min(vals + [0]), max(vals + [0]))
    y_lo, y_hi = float(ticks[0]), float(max(ticks[-1], max(vals + [0])))
    w, h = 640, 220
    px, py = _svg_frame(w, h, rel, y_lo, y_hi)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-size="9" font-family="sans-serif">'
    ]
    for t in ticks:
        parts.append(
            f'<line x1="46" x2="{w - 12}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#eee"/>'
            f'<text x="42" y="{py(t) + 3:.1f}" text-anchor="end">{_n(t, 0)}</text>'
        )
    parts.append(
        f'<line x1="46" x2="{w - 12}" y1="{py(0):.1f}" y2="{py(0):.1f}" stroke="#333"/>'
        f'<line x1="{px(-0.5):.1f}" x2="{px(-0.5):.1f}" y1="14" y2="{h - 28}" stroke="#555" stroke-dasharray="4 3"/>'
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
    parts.append(
        f'<text x="50" y="{h - 2}">{escape(_("Years since the start (−1 = reference year)"))}</text>'
        f'<text x="{w - 12}" y="{h - 2}" text-anchor="end">{escape(_("Effect"))} {unit}</text></svg>'
    )
    return mark_safe("".join(parts))  # nosec B308 B703: SVG from numbers and escape()d labels


# ------------------------------------------------------------------------------------------------
# Inputs: the edge cases by hand, then many drawn at random


def _value(rng, lo=-50.0, hi=120.0, none=0.15):
    if rng.random() < none:
        return None
    v = rng.uniform(lo, hi)
    return round(v, rng.choice((0, 1, 2, 6))) if rng.random() < 0.5 else v


LINE_CASES = [
    ([], [], ()),
    ([], [2020, 2021], ()),
    ([("A", [1.0, 2.0])], [], ()),
    ([("A", [None, None])], [2020, 2021], ()),  # nothing to draw
    ([("A", [None, None])], [2020, 2021], (0.0, 1.5)),  # only the cut lines
    ([("A", [3.2])], [2024], ()),  # a single year
    ([("A", [3.2])], [2024], (1.0,)),
    ([("A", [5.0, 5.0, 5.0])], [2020, 2021, 2022], ()),  # no spread: the padding of 1
    (
        [("A", [1.0, None, 3.0, 4.0, None]), ("B", [None, 2.0, 2.5, None, 1.0])],
        list(range(2018, 2023)),
        (2.0,),
    ),
    ([('Nørrebro <Nord> & "Syd"', [-1.5, -0.2, 0.7])], [2021, 2022, 2023], (-1.0, 0.0, 1.0)),
    (
        [(f"S{k}", [float(k - i) for i in range(25)]) for k in range(8)],
        list(range(2000, 2025)),
        (-3.5, 2.25),
    ),
    ([("A", [0.1, 0.2, 0.3])], [2020, 2021, 2022], (1e-07, 123456.0)),
]


def _line_cases(n=300, seed=11):
    rng = random.Random(seed)
    for _i in range(n):
        n_years = rng.choice((0, 1, 1, 2, 3, 5, 9, 10, 17, 30))
        years = list(range(rng.randint(1990, 2020), 2100))[:n_years]
        series = [
            (rng.choice(("Vest", "Øst & co", "<b>", "A")), [_value(rng) for _y in years])
            for _s in range(rng.randint(0, 7))
        ]
        cuts = tuple(_value(rng, none=0) for _c in range(rng.randint(0, 4)))
        kwargs = {}
        if rng.random() < 0.3:
            kwargs = {
                "label": rng.choice(("", "Score <per> år")),
                "width": rng.choice((300, 520, 611)),
            }
        if rng.random() < 0.2:
            kwargs["height"] = rng.choice((120, 200, 333))
        if rng.random() < 0.2:
            kwargs["colours"] = rng.choice(([], ["#000"], ["#111", "#222", "#333"]))
        yield series, years, cuts, kwargs


TREND_CASES = [
    ({"years": [2020, 2021], "treated": [None, None], "control": [None, None]}, [2021]),
    ({"years": [], "treated": [], "control": []}, []),
    ({"years": [2022], "treated": [4.0], "control": [3.0]}, [2022]),  # a single year
    ({"years": [2019, 2020, 2021], "treated": [0.0, 0.0, 0.0], "control": [0.0, 0.0, 0.0]}, []),
    (
        {
            "years": [2018, 2019, 2020, 2021],
            "treated": [12.5, None, 9.75, 8.0],
            "control": [11.0, 10.5, None, 10.0],
        },
        [2020],
    ),
    (
        {"years": [2018, 2019, 2020], "treated": [-4.0, -1.2, 0.5], "control": [-2.0, -3.3, -0.1]},
        [2019, 2020],
    ),
    (
        {
            "years": list(range(2005, 2025)),
            "treated": [1000.0 + 37 * i for i in range(20)],
            "control": [980.0 + 11 * i for i in range(20)],
        },
        [2012, 2016],
    ),
]


def _trend_cases(n=300, seed=12):
    rng = random.Random(seed)
    for _i in range(n):
        first = rng.randint(2000, 2020)
        years = list(range(first, first + rng.choice((1, 2, 3, 6, 11, 20))))
        scale = rng.choice((1.0, 10.0, 0.01, 5000.0))
        trend = {
            k: [
                None if (v := _value(rng, -20.0, 100.0, none=0.2)) is None else v * scale
                for _y in years
            ]
            for k in ("treated", "control")
        }
        trend["years"] = years
        starts = sorted(rng.sample(years, k=rng.randint(0, min(3, len(years)))))
        yield trend, starts, rng.choice(("", "per 1,000 residents", "<i>% & co</i>"))


def _event(rel, coef, low, high, scale="absolute"):
    return {"rel_time": rel, "coef": coef, "ci_low": low, "ci_high": high, "scale": scale}


EVENT_CASES = [
    None,
    {},
    _event([], [], [], []),  # only the reference year
    _event([0], [0.25], [0.1], [0.4], "relative"),  # a single year after the start
    _event(
        [-3, -2, 0, 1, 2],
        [0.1, -0.05, -0.2, -0.3, -0.25],
        [-0.1, -0.2, -0.4, -0.5, -0.45],
        [0.3, 0.1, 0.0, -0.1, -0.05],
        "relative",
    ),
    _event([-2, 0, 1], [1.5, None, -2.0], [None, None, -4.0], [None, None, 0.5]),
    _event(
        [-4, -3, -2, 0, 1, 2, 3],
        [-12.0, -8.0, -10.0, -30.0, -42.5, -51.0, -49.0],
        [-20.0, -15.0, -18.0, -40.0, -55.0, -70.0, -66.0],
        [-4.0, -1.0, -2.0, -20.0, -30.0, -32.0, -32.0],
    ),
    _event([0, 1], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]),
]


def _event_cases(n=300, seed=13):
    rng = random.Random(seed)
    for _i in range(n):
        leads, lags = rng.randint(0, 5), rng.randint(0, 6)
        rel = [r for r in range(-leads - 1, lags + 1) if r != -1]
        coef, low, high = [], [], []
        scale = rng.choice((0.01, 1.0, 30.0))
        for _r in rel:
            c = _value(rng, -1.0, 1.0, none=0.1)
            c = None if c is None else c * scale
            if c is None or rng.random() < 0.1:
                low.append(None)
                high.append(None)
            else:
                half = rng.uniform(0, 0.6) * scale
                low.append(c - half)
                high.append(c + half)
            coef.append(c)
        yield _event(rel, coef, low, high, rng.choice(("relative", "absolute")))


# ------------------------------------------------------------------------------------------------
# The same bytes as before


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_line_chart_draws_what_the_dossier_drew(language):
    with override(language):
        for series, years, cuts in LINE_CASES:
            assert line_chart(series, years, cuts, **OLD_SIZE) == old_line_chart(
                series, years, cuts
            )
            kw = {"label": "Score", "width": 400, "height": 150, "colours": ["#123456"]}
            assert line_chart(series, years, cuts, **{**OLD_SIZE, **kw}) == old_line_chart(
                series, years, cuts, **kw
            )
        for series, years, cuts, kwargs in _line_cases():
            assert line_chart(series, years, cuts, **{**OLD_SIZE, **kwargs}) == old_line_chart(
                series, years, cuts, **kwargs
            ), (series, years, cuts, kwargs)


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_trend_chart_draws_what_the_study_drew(language):
    with override(language):
        for trend, starts in TREND_CASES:
            for unit in ("", "per 1,000 residents"):
                assert study_trend_chart(trend, starts, unit) == old_study_trend(
                    trend, starts, unit
                )
        for trend, starts, unit in _trend_cases():
            assert study_trend_chart(trend, starts, unit) == old_study_trend(trend, starts, unit), (
                trend,
                starts,
                unit,
            )


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_event_chart_draws_what_the_study_drew(language):
    with override(language):
        for event in [*EVENT_CASES, *_event_cases()]:
            assert event_study_chart(event) == old_event_study(event), event


def test_the_ticks_are_the_old_ticks():
    for lo, hi in [
        (0.0, 0.0),
        (0.0, 37.0),
        (-12.5, 3.0),
        (-0.004, 0.0),
        (0.0, 123456.0),
        (5.0, 5.0),
    ]:
        new, new_step = ticks(lo, hi)
        old, old_step = _ticks(lo, hi)
        assert new.tolist() == old.tolist() and new_step == old_step


# ------------------------------------------------------------------------------------------------
# What the charts say, worked out by hand


def test_a_line_chart_by_hand():
    svg = line_chart([("A & B", [0.0, 10.0])], [2020, 2021], label="Score <x>", **OLD_SIZE)
    assert isinstance(svg, SafeString)
    # values 0..10 padded by 8 % of the spread to -0.8..10.8; the plot box 470 × 168 from (40, 10)
    assert svg.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="520" height="200" viewBox="0 0 520 200" '
        'role="img" aria-label="Score &lt;x&gt;">'
        '<rect x="40" y="10" width="470" height="168" fill="none" stroke="#999"/>'
    )
    # y(0) = 10 + 168 · (1 − 0.8/11.6) = 166.41; y(10) = 10 + 168 · 0.8/11.6 = 21.59
    assert 'stroke="#0072B2" stroke-width="1.8" points="40.0,166.4 510.0,21.6"/>' in svg
    assert '<text x="40.0" y="194" font-size="8" text-anchor="middle">2020</text>' in svg
    assert '<text x="510.0" y="194" font-size="8" text-anchor="middle">2021</text>' in svg
    assert ">A &amp; B</text></svg>" in svg


def test_a_gap_breaks_the_line_and_a_cut_is_dashed():
    svg = line_chart(
        [("A", [1.0, None, 3.0, 4.0])], [2020, 2021, 2022, 2023], cuts=(2.0,), **OLD_SIZE
    )
    assert svg.count("<polyline") == 2  # [1] and [3, 4]
    assert svg.count('stroke-dasharray="4 3"') == 1
    assert 'text-anchor="end">2</text>' in svg
    assert line_chart([("A", [None])], [2020]) == ""
    assert line_chart([("A", [1.0])], []) == ""


def test_a_single_year_sits_at_the_left_edge():
    svg = line_chart([("A", [3.0])], [2024], **OLD_SIZE)
    assert 'points="40.0,' in svg and '<text x="40.0" y="194"' in svg


def test_a_study_trend_by_hand():
    trend = {
        "years": [2019, 2020, 2021],
        "treated": [10.0, None, 30.0],
        "control": [20.0, 20.0, 20.0],
    }
    with override("en"):
        svg = study_trend_chart(trend, [2021], "per 1,000")
    # ticks 0..30 (step 10) over the box 582 × 178 from (46, 14): y(10) = 14 + 20/30 · 178 = 132.67
    assert '<polyline points="46.0,132.7 628.0,14.0" fill="none" stroke="#D55E00"' in svg
    assert '<polyline points="46.0,73.3 337.0,73.3 628.0,73.3" fill="none" stroke="#0072B2"' in svg
    # the start marker half a year before 2021
    assert (
        '<line x1="482.5" x2="482.5" y1="14" y2="192" stroke="#555" stroke-dasharray="4 3"/>' in svg
    )
    assert '<text x="337.0" y="206" text-anchor="middle">20</text>' in svg
    assert "■ Hotspots</text>" in svg and "■ Control areas</text>" in svg
    assert svg.endswith('text-anchor="end">per 1,000</text></svg>')
    assert study_trend_chart({"years": [2020], "treated": [None], "control": [None]}, [], "") == ""


def test_an_event_study_by_hand():
    event = _event([-2, 0], [0.1, -0.2], [0.0, -0.3], [0.2, -0.1], "relative")
    with override("en"):
        svg = event_study_chart(event)
    # per cent: -30..20 gives ticks -30..20 step 10; x: -2 at 46, 0 at 628, the reference -1 at 337
    assert '<circle cx="46.0" cy="' in svg and '<circle cx="337.0" cy="' in svg
    assert '<line x1="46" x2="628" y1="49.6" y2="49.6" stroke="#eee"/>' in svg  # the tick at 10
    assert '<text x="628.0" y="206" text-anchor="middle">+0</text>' in svg
    assert '<text x="46.0" y="206" text-anchor="middle">-2</text>' in svg
    assert svg.endswith('text-anchor="end">Effect %</text></svg>')
    assert event_study_chart(None) == "" and event_study_chart({}) == ""


def test_the_frame_scales_agree():
    f = Frame(640, 220, left=46, right=12, top=14, bottom=28)
    assert (f.inner_width, f.inner_height, f.x_end, f.y_end) == (582, 178, 628, 192)
    px, x = f.x_scale(2010, 2020), f.x_fraction(10)
    py, y = f.y_scale(-5.0, 15.0), f.y_fraction(-5.0, 15.0)
    for k in range(11):
        assert px(2010 + k) == pytest.approx(x(k)) == pytest.approx(46 + 58.2 * k)
    for v in np.linspace(-5.0, 15.0, 9):
        assert py(v) == pytest.approx(y(v)) == pytest.approx(14 + 178 * (15.0 - v) / 20.0)
    # a zero span counts as 1
    assert f.x_scale(2020, 2020)(2020) == 46 and f.y_scale(0.0, 0.0)(0.0) == 14


def test_the_two_scale_forms_are_kept_apart():
    """Why the frame has two forms of one scale: at a tie they print different tenths (582 · 9 / 40 =
    130.95), so the dossier chart keeps its own arithmetic and the study charts theirs."""
    f = Frame(632, 200, left=40, right=10, top=10, bottom=22)
    assert f"{f.x_fraction(40)(9):.1f}" == "170.9"
    assert f"{f.x_scale(0, 40)(9):.1f}" == "171.0"
    svg = line_chart([("A", [0.0] * 41)], list(range(1980, 2021)), **{**OLD_SIZE, "width": 632})
    assert svg == old_line_chart([("A", [0.0] * 41)], list(range(1980, 2021)), width=632)
    assert " 170.9," in svg and " 171.0," not in svg


# ------------------------------------------------------------------------------------------------
# One module draws them


def test_only_the_chart_module_writes_svg_in_python():
    """The views hand their figures to hotspot.reports.charts; no other Python module starts an SVG
    (templates may: the programme report draws its SVG from geometry)."""
    writers = []
    for path in sorted((ROOT / "hotspot").rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts or path == Path(charts.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "<svg" in node.value
            ):
                writers.append(str(path.relative_to(ROOT)))
                break
    assert not writers, "modules drawing SVG themselves: " + ", ".join(writers)
