"""Journeys 2 (from the recompute on) and 3 of UX.md on the safety index, axe-checked on every page.

2. Analyst: recompute the index -> find the worst area on the map -> open its profile.
3. Coordinator: open the ranking -> pick two candidates -> dossier -> record the decision -> PDF.
"""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser


def _index_run(page, area_set="tiling"):
    """Analyst: define an index from the Copenhagen preset and compute it; returns the run URL."""
    log_in(page, "analyst")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role(
        "link", name="Tryghedsindeks"
    ).click()
    page.wait_for_url("**/index/")
    check_axe(page)
    page.select_option("select[name=preset]", "copenhagen")
    page.select_option("select[name=reference_year]", "2009")
    # the demo city at scale 0.1 has 5-17 respondents per estate and wave
    page.fill("input[name=survey_min_n]", "5")
    page.select_option("select[name=area_set]", area_set)
    page.click("#create-preset")
    page.wait_for_url(re.compile(r".*/index/definitions/\d+/$"))
    check_axe(page)
    page.click("#compute")  # the test server runs tasks inline; in production the page refreshes
    page.wait_for_url(re.compile(r".*/index/runs/\d+/$"))
    assert page.locator("#run-status").get_attribute("data-status") == "done"
    check_axe(page)
    return page.url


def test_journey_2_recompute_map_worst_area_profile(page):
    _index_run(page)
    page.click("#nav-map")
    page.wait_for_selector("#index-map[data-ready='true']")
    assert int(page.locator("#index-map").get_attribute("data-features")) >= 20
    check_axe(page)
    worst = page.locator("#index-map path.area-worst")
    assert worst.count() == 1
    worst.click(force=True)
    link = page.locator(".leaflet-popup-content a.profile-link")
    name = page.locator(".leaflet-popup-content strong").inner_text()
    link.click()
    page.wait_for_url(re.compile(r".*/index/runs/\d+/areas/\d+/.*"))
    assert page.locator("h1").inner_text() == name
    page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    assert page.locator("canvas#chart-index").bounding_box()["height"] > 100
    assert page.locator("#table-indicators tbody tr").count() >= 10
    assert page.locator("#table-criteria tbody tr").count() == 4  # the 2018 rules
    # the worst area is the lowest score of the year: rank 1
    assert "1" in page.locator("#summary").inner_text()
    check_axe(page)


def test_journey_3_ranking_candidates_dossier_decision_pdf(page, browser, server):
    run_url = _index_run(page)
    page.context.clear_cookies()
    log_in(page, "coordinator")
    page.goto(run_url + "ranking/?year=2025")
    check_axe(page)
    rows = page.locator("#ranking tbody tr")
    first, second = (rows.nth(k).get_attribute("data-area") for k in (0, 1))
    names = [rows.nth(k).locator("th a").inner_text() for k in (0, 1)]
    # the candidate boxes are drawn in their rows; the user clicks the box itself
    for area in (first, second):
        box = page.locator(f"#cand-{area}")
        assert_visible(page, page.locator(f"label[for=cand-{area}]"))
        assert_visible(page, box)
        box.click()
        assert box.is_checked()
    assert_visible(page, page.locator("#make-dossier"))
    page.click("#make-dossier")
    page.wait_for_url(re.compile(r".*/index/dossiers/\d+/$"))
    headers = page.locator("#dossier-table thead th").all_inner_texts()
    assert all(any(n in h for h in headers) for n in names)
    assert page.locator("svg polyline").count() >= 2
    check_axe(page)
    assert_visible(page, page.locator(f"label[for=select-{first}]"))
    page.locator(f"label[for=select-{first}]").click()
    # the level of need, suggested by the index band (the worst areas: a marked effort)
    assert page.locator(f"#id_need_{first}").input_value() == "marked"
    page.fill(
        "#id_rationale", "Laveste tryghedsindeks i 2025 og stigende utryghed; kandidat 2 følges."
    )
    assert_visible(page, page.locator("#record-decision"))
    page.click("#record-decision")
    page.wait_for_selector("#decision-recorded")
    assert names[0] in page.locator("#decision-recorded").inner_text()
    assert "Laveste tryghedsindeks" in page.locator("#rationale").inner_text()
    check_axe(page)
    with page.expect_download() as info:
        page.click("#dossier-pdf")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_the_norrebro_case_on_a_district_index(page):
    """Copenhagen 2011 on the demo city: a district-level index places two hotspots, one with a marked
    need, one with an intensified need that also takes in a police area (distrikt 12 inklusiv rode
    157); the decision shows both, and the wider hotspot's page says what it is made of."""
    run_url = _index_run(page, area_set="district")
    page.context.clear_cookies()
    log_in(page, "coordinator")
    page.goto(run_url + "ranking/?year=2025")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() >= 2
    first, second = (rows.nth(k).get_attribute("data-area") for k in (0, 1))
    names = [rows.nth(k).locator("th a").inner_text() for k in (0, 1)]
    for area in (first, second):
        page.locator(f"#cand-{area}").click()
    page.click("#make-dossier")
    page.wait_for_url(re.compile(r".*/index/dossiers/\d+/$"))
    for area in (first, second):
        page.locator(f"label[for=select-{area}]").click()
    page.select_option(f"#id_need_{first}", "marked")
    page.select_option(f"#id_need_{second}", "intensified")
    rode = page.locator(f"#id_with_{second} option", has_text="-R").first
    rode_name = rode.inner_text()
    page.select_option(f"#id_with_{second}", rode.get_attribute("value"))
    check_axe(page)
    page.fill(
        "#id_rationale", "Tryghedsindekset 2025: behov for en markant og en intensiveret indsats."
    )
    page.click("#record-decision")
    page.wait_for_selector("#decision-recorded")
    decided = page.locator("#decision-recorded").inner_text()
    assert names[0] in decided and names[1] in decided
    assert "markant tryghedsskabende indsats" in decided
    assert "intensiveret tryghedsskabende indsats" in decided
    page.locator("#decision-recorded a", has_text=names[1]).click()
    made_of = page.locator("#made-of").inner_text()
    assert names[1] in made_of and rode_name.split(" (")[0] in made_of
    check_axe(page)
