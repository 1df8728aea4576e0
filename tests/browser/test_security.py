"""Attacks of issue 10 in a real browser: imported area names that carry script (stored XSS in the map
tooltips), and the Content-Security-Policy on the main pages (no violation anywhere)."""

import json
import re

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_index import _index_run

pytestmark = pytest.mark.browser

# Both kinds of payload: a <script> element and an event handler that sets a flag.
PAYLOAD = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>Øst"
CODE = "XSS-1"

# Records every CSP violation of every document the page opens (the init script is not page script,
# so the policy does not stop it).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


def _watch(page):
    """Console errors and CSP violations of the page, as a list that fills while the test runs."""
    problems = []
    page.add_init_script(WATCH_CSP)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _square_east_of(features):
    """A small square (WGS 84) just east of every area, so nothing covers it on the map."""
    lons, lats = [], []

    def walk(coords):
        if isinstance(coords[0], (int, float)):
            lons.append(coords[0])
            lats.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for f in features:
        walk(f["geometry"]["coordinates"])
    x0, y0 = max(lons) + 0.003, (min(lats) + max(lats)) / 2
    x1, y1 = x0 + 0.008, y0 + 0.005
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def _import_area(page, tmp_path):
    geojson = page.request.get("/areas/geojson/").json()
    wkt = _square_east_of(geojson["features"])
    path = tmp_path / "omraader.csv"
    name = PAYLOAD.replace('"', '""')
    path.write_text(
        f'code,name,kind,wkt,crs\n{CODE},"{name}",housing,"{wkt}",EPSG:4326\n', encoding="utf-8"
    )
    page.goto("/data/")
    page.select_option("#id_kind", "areas")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_source", "Angrebstest")
    page.click("#upload-button")
    page.wait_for_selector("#status[data-status='ready']")
    page.click("#commit-button")
    page.wait_for_selector("#status[data-status='committed']")


def _hover_rightmost_area(page, selector):
    """Move the mouse onto the easternmost area (the imported one); returns the point."""
    page.locator(selector.split(" ")[0]).scroll_into_view_if_needed()
    point = page.evaluate(
        """(sel) => {
          const boxes = [...document.querySelectorAll(sel)]
            .map(p => p.getBoundingClientRect()).filter(b => b.width > 0);
          boxes.sort((a, b) => b.right - a.right);
          return [boxes[0].left + boxes[0].width / 2, boxes[0].top + boxes[0].height / 2];
        }""",
        selector,
    )
    page.mouse.move(*point)
    return point


def _assert_literal(page, tooltip, expected_prefix):
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text().startswith(expected_prefix)
    assert tooltip.locator("img, script").count() == 0
    assert page.evaluate("window.__xss") is None


def test_area_names_with_script_stay_text_on_both_maps(page, tmp_path):
    problems = _watch(page)
    log_in(page, "analyst")
    _import_area(page, tmp_path)

    # The area map: hover (tooltip) and click (popup) the new area.
    page.goto("/areas/map/")
    page.wait_for_selector("#area-map[data-ready='true']")
    point = _hover_rightmost_area(page, "#area-map path.leaflet-interactive")
    _assert_literal(page, page.locator("#area-map .leaflet-tooltip"), PAYLOAD + " (")
    page.mouse.click(*point)
    popup = page.locator("#area-map .leaflet-popup-content")
    popup.wait_for(state="visible")
    assert popup.locator("a").inner_text() == PAYLOAD
    assert popup.locator("img, script").count() == 0

    # The index map: a new run scores the new area (all police and housing areas are scored).
    page.context.clear_cookies()  # _index_run logs in itself
    run_url = _index_run(page)
    page.goto(run_url)
    page.click("#nav-map")
    page.wait_for_selector("#index-map[data-ready='true']")
    url = page.locator("#index-map").get_attribute("data-geojson")
    features = page.request.get(url).json()["features"]
    ours = [f for f in features if f["properties"]["code"] == CODE]
    assert len(ours) == 1 and ours[0]["properties"]["name"] == PAYLOAD
    page.locator(f"#index-map path.area-{ours[0]['id']}").hover()
    _assert_literal(page, page.locator("#index-map .leaflet-tooltip"), PAYLOAD + ": ")
    page.locator(f"#index-map path.area-{ours[0]['id']}").click()
    popup = page.locator("#index-map .leaflet-popup-content")
    popup.wait_for(state="visible")
    assert popup.locator("strong").inner_text() == PAYLOAD
    assert popup.locator("img, script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert not [p for p in problems if "CSP" in p or "Content Security Policy" in p], problems


def _first_link(page, pattern):
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    return next((h for h in hrefs if re.search(pattern, h)), None)


def test_main_pages_have_no_csp_violations(page):
    problems = _watch(page)
    response = page.goto("/accounts/login/")
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in header and "unsafe-inline" not in header
    log_in(page, "coordinator")
    visited = []

    def visit(url, ready=None):
        response = page.goto(url)
        assert response.status == 200, url
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        if ready:
            page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        visited.append(url)
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], f"{url}: {violations}"

    visit("/")
    visit("/areas/")
    area = _first_link(page, r"^/areas/\d+/$")
    visit(area, "body[data-charts-ready='true']")
    visit("/areas/map/", "#area-map[data-ready='true']")
    visit("/index/")
    run = _first_link(page, r"^/index/runs/\d+/$")
    if run:  # the demo has no index run; the journeys of test_index and the test above make some
        visit(run)
        visit(run + "map/", "#index-map[data-ready='true']")
        visit(run + "ranking/")
    visit("/programmes/")
    programme = _first_link(page, r"^/programmes/\d+/$")
    visit(programme)
    visit(programme + "theory/")
    visit(programme + "goals/")
    goal = _first_link(page, r"^/programmes/goals/\d+/$")
    if goal:
        visit(goal, "body[data-charts-ready='true']")
    visit("/evaluations/")
    study = _first_link(page, r"^/evaluations/\d+/$")
    visit(study, "body[data-charts-ready='true']")
    assert not problems, json.dumps({"visited": visited, "problems": problems}, ensure_ascii=False)
