"""What a person sees: the coordinator logs in, opens the map and an area page (axe-checked)."""

import re

import pytest

from tests.browser.conftest import check_axe, log_in

pytestmark = pytest.mark.browser


def test_coordinator_sees_overview_map_and_area_page(page):
    log_in(page, "coordinator")
    assert page.locator("h1").inner_text() == "Overblik"
    assert page.get_by_text("syntetiske demodata").is_visible()
    check_axe(page)

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Områder").click()
    page.wait_for_url("**/areas/")
    assert page.locator("h1").inner_text() == "Områder"
    check_axe(page)

    page.get_by_role("link", name="Vis på kort").click()
    page.wait_for_selector("#area-map[data-ready='true']")
    shown = int(page.locator("#area-map").get_attribute("data-features"))
    assert shown >= 5
    # hotspot and control areas drawn on top as outlines, with their keys beside the checkboxes
    overlays = int(page.locator("#area-map").get_attribute("data-overlays"))
    assert overlays >= 1
    assert page.locator("#area-map path.leaflet-interactive").count() == shown
    assert page.locator("#area-map path.map-overlay").count() == overlays
    assert page.get_by_label(re.compile("Hotspotområder")).is_checked()
    page.get_by_label(re.compile("Bufferzoner")).check()
    with_buffers = int(page.locator("#area-map").get_attribute("data-overlays"))
    assert with_buffers > overlays
    page.get_by_label(re.compile("Bufferzoner")).uncheck()
    assert page.locator("#map-legend .swatch").count() == 5
    assert "Kilde" in page.locator("#map-source").inner_text()
    check_axe(page)

    # Districts instead of the fine areas: fewer shapes.
    page.select_option("#layer", "district")
    districts = int(page.locator("#area-map").get_attribute("data-features"))
    assert 0 < districts < shown

    # Open an area from the map: its popup links to the area page.
    page.locator("#area-map path.leaflet-interactive").first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r".*/areas/\d+/$"))
    assert page.locator("h1").inner_text() == name
    page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    assert page.locator("canvas#chart-reports").bounding_box()["height"] > 100
    page.get_by_text("Vis som tabel").first.click()
    assert page.locator("#table-reports tbody tr").count() == 18  # 2008-2025
    check_axe(page)


def test_keyboard_and_language(page):
    log_in(page, "partner")
    # The first Tab reaches the skip link, Enter jumps to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skipnav"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Overview"
    assert (
        page.get_by_role("navigation", name="Main menu")
        .get_by_role("link", name="Areas")
        .is_visible()
    )
    check_axe(page)


def test_partner_cannot_open_raw_data(page, server):
    log_in(page, "partner")
    page.goto("/areas/")
    first = page.locator("table tbody a").first
    first.click()
    assert page.get_by_text("Download the crime reports").count() == 0
    response = page.goto(page.url + "reports.csv")
    assert response.status == 403
    check_axe(page)
