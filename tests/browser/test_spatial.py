"""Journey 7 (UX.md): the analyst starts a spatial run → reads the Gi* map with its confidence bins →
runs emerging hot spots and reads the categories → the hot cells appear in the selection dossier.
Every page axe-checked; the controls used are visible where they belong."""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser


def _start(page, *, method, first, last, area="", time_step=None):
    page.goto(f"/spatial/new/?method={method}")
    check_axe(page)
    page.select_option("#id_method", method)
    if area:
        page.select_option("#id_area", label=area)
    page.fill("#id_first_day", first)
    page.fill("#id_last_day", last)
    if time_step:
        page.select_option("#id_time_step", str(time_step))
    assert_visible(page, page.locator("#start-run"))
    page.click("#start-run")
    page.wait_for_url(re.compile(r".*/spatial/\d+/$"))
    page.wait_for_selector("#run-source", timeout=120000)


def test_analyst_journey_from_hot_cells_to_the_dossier(page):
    log_in(page, "analyst")
    page.goto("/")
    nav = page.get_by_role("navigation", name="Hovedmenu")
    nav.get_by_role("link", name="Rumlig analyse", exact=True).click()
    page.wait_for_url("**/spatial/")
    check_axe(page)
    assert_visible(page, page.locator("#new-run"))

    # Gi* over the whole municipality, 2024: the map, its legend and the table
    _start(page, method="gi_star", first="2024-01-01", last="2024-12-31")
    page.wait_for_selector("#spatial-map[data-ready='true']")
    assert int(page.locator("#spatial-map").get_attribute("data-features")) > 0
    legend = page.locator("#map-legend").inner_text()
    assert "Hot spot, sikkerhed 99 %" in legend and "Cold spot, sikkerhed 90 %" in legend
    assert page.locator("#cell-table tbody tr").count() > 0
    assert "Hot spot" in page.locator("#cell-table tbody tr").first.inner_text()
    assert "Kilde: politianmeldelser" in page.locator("#run-source").inner_text()
    assert_visible(page, page.locator("#download-csv"))
    check_axe(page)

    # emerging hot spots in the first hotspot, two years in 30-day steps
    page.goto("/spatial/new/")
    hotspot = page.locator("#id_area option", has_text="Hotspot").first.inner_text()
    _start(
        page, method="emerging", first="2023-01-01", last="2024-12-31", area=hotspot,
        time_step=30,
    )  # fmt: skip
    page.wait_for_selector("#spatial-map[data-ready='true']")
    assert page.locator("#emerging-definitions dt").count() >= 1
    check_axe(page)

    # the other analyses of the same hotspot, each read on its page
    # (local Moran and concentration render through the same page: hotspot/spatial/tests)
    for method, shown in (
        ("density", "#spatial-map[data-ready='true']"),
        ("near_repeat", "#knox-table"),
    ):
        _start(page, method=method, first="2024-01-01", last="2024-12-31", area=hotspot)
        page.wait_for_selector(shown)
        assert_visible(page, page.locator("#run-parameters"))
        check_axe(page)

    # the coordinator's dossier shows the hot cells of each candidate
    page.context.clear_cookies()
    log_in(page, "coordinator")
    page.goto("/index/")
    page.locator("#dossiers a").first.click()
    page.wait_for_url(re.compile(r".*/index/dossiers/\d+/$"))
    section = page.locator("#dossier-hot-cells")
    assert_visible(page, section.locator("h2"))
    assert section.locator("tbody tr").count() >= 2
    assert section.locator("td[data-hot-inside]").count() >= 1
    check_axe(page)
