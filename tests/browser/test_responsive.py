"""Issue 14, items 3 and 4: every page a user meets works on a phone and at 200 % zoom.

Three windows: a 390 x 844 phone, a 1366 x 768 desktop at 200 % zoom (a 683 px CSS viewport at device
scale factor 2, which is what the browser lays out when a user zooms in) and the same desktop at 100 %.
On each page: no sideways scrolling of the page (wide tables scroll in their own box); below 992 px the
menu button opens the main navigation and its links are visible and clickable; the ranking's candidate
checkboxes are drawn in their own table cells (they used to sit stacked at the page's top-left corner);
the programme tabs keep one unbroken underline.

Elements are found by id, role, URL or attribute; visible text only where it is demo data or the
navigation's own labels (the pages render in Danish).
"""

import re

import pytest

from tests.browser.conftest import assert_no_overflow, assert_visible, check_axe, log_in
from tests.browser.test_index import _index_run

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1}
ZOOM_200 = {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1}
WINDOWS = {"390px": PHONE, "1366px-200pct": ZOOM_200, "1366px": DESKTOP}
SMALL = ("390px", "1366px-200pct")


@pytest.fixture(scope="module")
def urls(browser, server):
    """The pages a user meets, found by following the site's own links (an index run is made first)."""
    context = browser.new_context(base_url=server, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(30000)
    run_url = _index_run(page).removeprefix(server)
    page.context.clear_cookies()
    log_in(page, "coordinator")

    def first_href(url, selector):
        page.goto(url)
        return page.locator(selector).first.get_attribute("href")

    ranking = run_url + "ranking/?year=2025"
    programme = first_href("/programmes/", "a.pg-programme-link")
    found = {
        "overblik": "/",
        "areas": "/areas/",
        "area": first_href("/areas/", "table tbody a[href^='/areas/']"),
        "map": "/areas/map/",
        "index": "/index/",
        "run": run_url,
        "ranking": ranking,
        "profile": first_href(ranking, "#ranking tbody th a"),
        "programme": programme,
        "plan": first_href(programme + "plans/", "a[id^='plan-link-']"),
        "matrix": programme + "matrix/",
        "goals": programme + "goals/",
        "theory": programme + "theory/",
        "study": first_href("/evaluations/", "#study-table tbody a"),
        "data": "/data/",
        # the micro-strategy's pages (issue 15): the coordinator sees the running programme's cases
        "casework": "/casework/",
        "due": "/casework/overdue/",
    }
    # this round's pages: the decision form with the level of need, a goal with its milestones and
    # Statistics Denmark beside it, an area made of areas, Statistics Denmark, the catalogue
    found["dossier"] = first_href("/index/", "#dossiers a")
    found["goal"] = first_href(programme + "goals/", "a[href^='/programmes/goals/']")
    found["composition"] = "/areas/composed/new/"
    found["statbank"] = "/data/statbank/"
    found["catalogue"] = "/indicators/"
    found["casework-programme"] = first_href("/casework/", "#programmes a")
    found["case"] = first_href(found["casework-programme"], "#cases a")
    context.close()
    return found


def _page_in(browser, server, window):
    context = browser.new_context(base_url=server, locale="da-DK", **WINDOWS[window])
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, "coordinator")
    return page


@pytest.fixture(params=list(WINDOWS))
def window(request):
    return request.param


@pytest.fixture
def sized_page(browser, server, window):
    page = _page_in(browser, server, window)
    yield page
    page.context.close()


def _open(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")


def test_no_page_scrolls_sideways(sized_page, urls, window):
    page = sized_page
    wide = []
    for name, url in urls.items():
        _open(page, url)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > page.evaluate("innerWidth") + 1:
            wide.append(f"{name} {url}: {width} px")
    assert not wide, f"pages wider than the {window} window: {wide}"
    assert_no_overflow(page)


@pytest.mark.parametrize("window", SMALL, indirect=True)
def test_menu_button_opens_the_navigation_on_every_page(sized_page, urls, window):
    page = sized_page
    button = page.locator("#menu-open")
    for name, url in urls.items():
        _open(page, url)
        # the desktop menu bar is folded away: the button is the way in
        assert page.locator(".navigation-menu nav.nav").is_hidden(), name
        assert button.get_attribute("aria-expanded") == "false", name
        assert button.get_attribute("aria-controls") == "mobile-menu", name
        assert_visible(page, button)
        button.click()
        assert button.get_attribute("aria-expanded") == "true", name
        nav = page.get_by_role("navigation", name="Hovedmenu")
        for label in ("Overblik", "Områder", "Tryghedsindeks", "Programmer", "Evaluering"):
            assert_visible(page, nav.get_by_role("link", name=label, exact=True))
        assert_no_overflow(page)
        page.keyboard.press("Escape")
        assert page.locator("#mobile-menu").is_hidden(), name
        assert button.get_attribute("aria-expanded") == "false", name
    # and a link in the opened menu takes the user there
    button.click()
    link = page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Programmer")
    assert_visible(page, link)
    link.click()
    page.wait_for_url(re.compile(r"/programmes/$"))
    assert page.locator("#menu-open").get_attribute("aria-expanded") == "false"
    check_axe(page)


@pytest.mark.parametrize("window", ["390px"], indirect=True)
def test_menu_works_from_the_keyboard(sized_page, window):
    page = sized_page
    _open(page, "/")
    button = page.locator("#menu-open")
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    # focus moves into the drawer and stays there
    assert page.evaluate("document.getElementById('mobile-menu').contains(document.activeElement)")
    for _ in range(15):
        page.keyboard.press("Tab")
        inside = "document.getElementById('mobile-menu').contains(document.activeElement)"
        assert page.evaluate(inside)
    check_axe(page)
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "menu-open"
    # the "Close menu" button closes it too
    button.click()
    page.locator("#menu-close").click()
    assert page.locator("#mobile-menu").is_hidden()


@pytest.mark.parametrize("window", ["1366px"], indirect=True)
def test_the_menu_bar_is_shown_at_full_width(sized_page, window):
    page = sized_page
    _open(page, "/")
    assert page.locator("#menu-open").is_hidden()
    assert page.locator("#mobile-menu").is_hidden()
    nav = page.get_by_role("navigation", name="Hovedmenu")
    assert_visible(page, nav.get_by_role("link", name="Programmer"))


def test_ranking_checkboxes_are_drawn_in_their_cells(sized_page, urls, window):
    page = sized_page
    _open(page, urls["ranking"])
    rows = page.locator("#ranking tbody tr:has(input[name=candidates])")
    assert rows.count() >= 2
    for k in (0, 1):
        row = rows.nth(k)
        area = row.get_attribute("data-area")
        checkbox = page.locator(f"#cand-{area}")
        label = page.locator(f"label[for=cand-{area}]")
        cell = row.locator("td").first
        assert_visible(page, label)
        assert_visible(page, checkbox)
        # the box DKFDS draws (label::before, placed exactly like the transparent input) and the label
        # lie inside their own table cell, not at the page's corner
        cell_box = cell.bounding_box()
        for part in (checkbox, label):
            box = part.bounding_box()
            assert cell_box["x"] - 1 <= box["x"] and box["x"] + box["width"] <= (
                cell_box["x"] + cell_box["width"] + 1
            ), (part, box, cell_box)
            assert cell_box["y"] - 1 <= box["y"] and box["y"] + box["height"] <= (
                cell_box["y"] + cell_box["height"] + 1
            ), (part, box, cell_box)
        checkbox.click()  # where the user sees the box: a click there hits the (transparent) input
        assert checkbox.is_checked()
    assert_no_overflow(page)


def test_programme_tabs_keep_one_underline(sized_page, urls, window):
    page = sized_page
    _open(page, urls["matrix"])
    tabs = page.locator(".pg-tabs li")
    assert tabs.count() >= 8
    row = page.locator(".pg-tabs ul").bounding_box()
    tops = {round(tabs.nth(k).bounding_box()["y"]) for k in range(tabs.count())}
    assert len(tops) == 1, f"the tabs wrap onto {len(tops)} rows under one underline"
    # the underline (the row's bottom border) runs the full width of the content
    main = page.locator("#main-content .pg-tabs").bounding_box()
    assert abs(row["width"] - main["width"]) <= 1
    assert page.locator(".pg-tabs ul").evaluate("ul => getComputedStyle(ul).borderBottomWidth") != (
        "0px"
    )
    current = page.locator(".pg-tabs a[aria-current='page']")
    assert_visible(page, current)
    assert_no_overflow(page)
    # a tab further along the row is reachable and works
    report = page.locator("#tab-report")
    assert_visible(page, report)
    report.click()
    page.wait_for_url(re.compile(r"/report/$"))
    assert_no_overflow(page)
