"""Journey 10 (UX.md): anyone, without login, reads a hotspot's public page at 390 px — after the
coordinator opted the programme in. Axe-clean, no sideways scrolling, the leaflet and the English version
one click away."""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser


def test_a_resident_reads_the_hotspot_page_on_a_phone(browser, server, page):
    log_in(page, "coordinator")
    page.goto("/programmes/")
    page.locator("main a[href^='/programmes/']").first.click()
    page.wait_for_url(re.compile(r".*/programmes/\d+/$"))
    pk = re.search(r"/programmes/(\d+)/", page.url).group(1)
    page.goto(f"/residents/settings/{pk}/")
    check_axe(page)
    page.check("#id_enabled")
    page.fill("#id_slug", "vores-kvarter")
    page.fill("#id_intro_da", "Her kan du følge, hvad der sker i dit kvarter.")
    page.click("#save-public")
    page.wait_for_selector("#public-url")

    phone = browser.new_context(
        base_url=server, locale="da-DK", viewport={"width": 390, "height": 844}
    )
    visitor = phone.new_page()
    visitor.goto("/residents/vores-kvarter/")
    assert "Her kan du følge" in visitor.locator("#public-intro").inner_text()
    assert visitor.locator("table").count() >= 1
    width = visitor.evaluate("document.scrollingElement.scrollWidth")
    assert width <= visitor.evaluate("innerWidth") + 1, width
    check_axe(visitor)
    assert_visible(visitor, visitor.locator("#other-language"))
    visitor.click("#other-language")
    visitor.wait_for_url("**/residents/vores-kvarter/en/")
    assert "Crime and felt safety in the area" in visitor.content()
    check_axe(visitor)
    visitor.click("#leaflet-link")
    visitor.wait_for_url(re.compile(r".*/leaflet/\?lang=en$"))
    check_axe(visitor)
    phone.close()
