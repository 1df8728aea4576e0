"""Issue 14 item 11, the small things a new user sees in the first week: breadcrumbs without separators,
buttons touching the field above, cut-off select texts, an unreadably small dossier chart, ten decimals
in exported rates, untagged PDFs and "Importerede" for "Importeret". (The audit log's local time is
tested in hotspot/audit/tests/test_local_time.py, the login page's brand in
hotspot/accounts/tests/test_brand.py; the visible result in tests/browser/test_first_week_small.py.)"""

import csv
import io
import re
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from hotspot.reports.charts import LINE_CHART_SIZE, line_chart
from hotspot.reports.exports import export_response
from hotspot.reports.pdf import render_pdf_bytes

ROOT = Path(__file__).resolve().parents[3]
APP_CSS = ROOT / "hotspot" / "static" / "hotspot" / "app.css"


def _css() -> str:
    return re.sub(r"/\*.*?\*/", "", APP_CSS.read_text(encoding="utf-8"), flags=re.S)


def _rule(selector_part: str, *, exact=False) -> str:
    """The declarations of the first app.css rule whose selector contains (or is) ``selector_part``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _css()):
        if selectors.strip() == selector_part if exact else selector_part in selectors:
            return body
    raise AssertionError(f"no rule for {selector_part!r} in app.css")


# -- breadcrumbs ------------------------------------------------------------------------------------
def _breadcrumb_templates():
    for path in sorted((ROOT / "hotspot").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "breadcrumbs__list" in text:
            yield path, text


def test_every_breadcrumb_trail_has_the_design_systems_separator():
    """DKFDS draws a chevron between crumbs; the project draws it after every crumb but the current
    page (app.css), with the design system's icon file, so every trail in DKFDS markup gets it."""
    body = _rule(".breadcrumbs__list-item:not(:last-child)::after")
    urls = re.findall(r'url\("([^"]+)"\)', body)
    assert urls and all(u.endswith("chevron-right.svg") for u in urls), body
    for url in set(urls):  # relative to hotspot/app.css, and a file collectstatic can find
        assert finders.find(str(Path("hotspot", url)).replace("hotspot/../", "")), url
    assert "width: 2rem" in body and "height: 2rem" in body  # DKFDS's .breadcrumbs .icon-svg
    trails = list(_breadcrumb_templates())
    assert len(trails) >= 10
    for path, text in trails:  # the separator hangs on these classes: every trail must use them
        for nav in re.findall(r'<nav class="breadcrumbs".*?</nav>', text, flags=re.S):
            items = re.findall(r"<li[^>]*>", nav)
            assert items and all('class="breadcrumbs__list-item"' in li for li in items), path


# -- forms: buttons and selects ---------------------------------------------------------------------
def test_a_forms_button_keeps_a_form_groups_distance_from_the_field_above():
    rules = [
        (sel, body)
        for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _css())
        if "~ .button" in sel or "+ .button" in sel
    ]
    assert rules, "no rule spaces a form's buttons from its fields"
    selector, body = rules[0]
    assert ".form-group" in selector and ".form-hint" in selector and "fieldset" in selector
    assert "margin-top: 2.4rem" in body  # DKFDS's .form-group margin-top: 24px


def test_a_select_is_as_wide_as_its_longest_option():
    body = _rule(".form-select", exact=True)
    assert "width: auto" in body and "max-width: 100%" in body
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _css()):
        if ".form-select" in selectors and "app-compact" not in selectors:
            cap = re.search(r"max-width:\s*([0-9.]+)rem", body)
            assert cap is None, f"{selectors.strip()} caps a select at {cap.group(1)}rem"


# -- the dossier's trend chart ----------------------------------------------------------------------
#: The PDF's column: A4 less 18 mm on each side, in CSS px (96 per inch); the chart is drawn 100 % wide.
PDF_COLUMN_PX = (210 - 2 * 18) / 25.4 * 96
#: The smallest text a printed chart may have, in points (the PDF's tables are 8-9 pt).
MIN_PRINTED_PT = 8.5
#: The smallest text on the page, in CSS px, where the chart is never shown below its own size.
MIN_PAGE_PX = 12


def test_the_dossier_chart_prints_and_shows_readable_text():
    svg = line_chart(
        [("Vestbyen", [50.0, 61.5, 70.0]), ("Østerbro", [40.0, None, 55.0])],
        [2021, 2022, 2023],
        cuts=(60.0,),
        label="Score",
    )
    width = float(re.search(r'<svg[^>]* width="([0-9.]+)"', svg).group(1))
    sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)"', svg)]
    assert sizes and width == LINE_CHART_SIZE["width"]
    # printed: the SVG is scaled to the column's width, px -> pt is × 0.75
    assert min(sizes) * PDF_COLUMN_PX / width * 0.75 >= MIN_PRINTED_PT, sizes
    # on the page: at least its own size (app.css .app-trend svg min-width), so at least its units
    assert min(sizes) >= MIN_PAGE_PX
    min_width = re.search(r"min-width:\s*([0-9.]+)rem", _rule(".app-trend svg"))
    assert min_width and float(min_width.group(1)) * 10 >= width
    # the legend's lines do not overlap: their distance is at least their text's size
    legend = [
        float(y)
        for y, _s in re.findall(r'<text x="[0-9.]+" y="([0-9.]+)" font-size="(\d+)" fill', svg)
    ]
    assert len(legend) == 2 and legend[1] - legend[0] >= max(sizes)


# -- exported rates ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_exported_rates_have_two_decimals_and_counts_stay_whole(analyst, demo_municipality):
    request = RequestFactory().get("/")
    request.user = analyst
    request.municipality = demo_municipality
    rows = [
        {"code": "A", "n": 7, "rate": 12.3456789012},
        {"code": "B", "n": 0, "rate": float("nan")},
        {"code": "C", "n": 3, "rate": -0.004},
        {"code": "D", "n": 12, "rate": np.float64(2.0 / 3.0)},
        {"code": "E", "n": 5, "rate": 40.0},
    ]
    columns = [("kode", "code"), ("antal", "n"), ("pr. 1.000", "rate")]
    body = export_response(request, rows, columns, "x", "csv").content.decode("utf-8-sig")
    assert body.splitlines() == [
        "kode;antal;pr. 1.000",
        "A;7;12,35",
        "B;0;",  # NaN is no number: an empty cell, not "nan"
        "C;3;0",  # not "-0"
        "D;12;0,67",
        "E;5;40",
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(export_response(request, rows, columns, "x", "xlsx").content)
    )
    values = [list(r) for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert values == [["A", 7, 12.35], ["B", 0, None], ["C", 3, 0], ["D", 12, 0.67], ["E", 5, 40]]
    assert all(isinstance(v[1], int) for v in values)


#: The area list's rate against reports / residents × 1000 worked out here: the rounding to 2 decimals.
RATE_TOLERANCE = 0.005 + 1e-9


@pytest.mark.django_db
def test_the_area_list_export_writes_rates_with_at_most_two_decimals(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("areas:export", args=["csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, data = rows[0], rows[1:]
    residents, reports, rate = (header.index(h) for h in header[-3:])
    checked = 0
    for row in data:
        for cell in row[residents : rate + 1]:
            assert not re.fullmatch(r"-?\d+,\d{3,}", cell), row
        if row[residents].isdigit() and row[reports].isdigit() and row[rate]:
            assert int(row[residents]) > 0
            expected = int(row[reports]) / int(row[residents]) * 1000
            assert abs(float(row[rate].replace(",", ".")) - expected) <= RATE_TOLERANCE, row
            checked += 1
    assert checked >= 5


# -- tagged PDFs ------------------------------------------------------------------------------------
def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF's text with every Flate stream inflated (object streams hold the catalogue)."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts)


def test_every_pdf_is_a_tagged_pdf():
    with translation.override("da"):
        pdf = render_pdf_bytes("reports/base_pdf.html", {"demo_mode": True})
    text = _pdf_objects(pdf)
    assert re.search(rb"/Type\s*/StructTreeRoot", text)
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", text)
    assert re.search(rb"/S\s*/Document", text)  # the structure tree has the document in it
    assert re.search(rb"/Lang\s*\(da\)", text)  # and says its language


# -- words --------------------------------------------------------------------------------------------
def test_an_imported_batch_is_importeret_in_danish():
    """A batch's status and the audit action: the participle, not the plural "Importerede". The entry
    is in /tmp/po/h3.po (locale/ is merged by the lead)."""
    with translation.override("da"):
        assert translation.gettext("Imported") == "Importeret"
