"""UX.md journey 6 (issue 15): a week of micro-strategy work, walked in Chromium on the demo city.

The caseworker opens the cases due this week, records one's follow-up and sees it leave the list, and
opens a new case; the coordinator's Overblik counts who is still due and links to them; a partner sees
the week's counts only and is refused every case page; the data protection officer pulls the new
person's access extract by CPR number, which shows the lookups without the staff's names.

The demo's running programme (hotspot/demo/casework.py) holds the cases; the CPR number used here is
dated 30 February, a day no one is born on (as the demo's are).
"""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser

CPR = "300207-4411"  # 30 February: never a real person
ALIAS = "Ung Journey"


def _due_aliases(page):
    page.goto("/casework/overdue/")
    return page.locator("#overdue tbody tr td:first-child a").all_inner_texts()


def test_journey_6_a_week_of_follow_up_across_the_roles(page):
    # --- the caseworker: this week's follow-ups -------------------------------------------------
    log_in(page, "caseworker")
    nav = page.locator("nav.nav a[href='/casework/']")
    assert_visible(page, nav)
    nav.click()
    page.wait_for_url(re.compile(r"/casework/$"))
    check_axe(page)
    due = _due_aliases(page)
    assert due, "the demo has cases without this week's follow-up"
    check_axe(page)
    alias = due[0]
    link = page.locator("#overdue tbody a", has_text=alias).first
    assert_visible(page, link)
    link.click()
    page.wait_for_url(re.compile(r"/casework/cases/\d+/$"))
    case_url = page.url
    assert page.locator("#due").is_visible()
    check_axe(page)
    button = page.locator("#add-follow-up")
    assert_visible(page, button)
    button.click()
    page.wait_for_url(re.compile(r"/follow-ups/new/$"))
    check_axe(page)
    page.locator("#id_status").select_option("attention")
    page.locator("#id_responsible_agency").select_option("ssp")
    page.locator("#id_actions_agreed").fill(
        "Samtale med forældrene; skolen følger fraværet (demo)."
    )
    save = page.locator("form button[type='submit']").last
    assert_visible(page, save)
    save.click()
    page.wait_for_url(case_url)
    assert page.locator("#due").count() == 0
    assert "Samtale med forældrene" in page.locator("#follow-ups").inner_text()
    assert alias not in _due_aliases(page)

    # a new case for a person the partners' school worries about (hashed on entry)
    page.goto("/casework/")
    page.locator("#programmes a").first.click()
    page.wait_for_url(re.compile(r"/casework/programmes/\d+/$"))
    programme_url = page.url
    page.locator("#add-case").click()
    check_axe(page)
    page.locator("#id_cpr").fill(CPR)
    page.locator("#id_alias").fill(ALIAS)
    page.locator("#id_kind").select_option("youth")
    page.locator("#id_legal_basis").select_option("rpl_115")
    page.locator("form button[type='submit']").last.click()
    page.wait_for_url(re.compile(r"/casework/cases/\d+/$"))
    new_case_url = page.url
    assert page.locator("h1").inner_text() == ALIAS
    assert CPR not in page.content() and CPR.replace("-", "") not in page.content()
    page.context.clear_cookies()

    # --- the coordinator: who is still due ----------------------------------------------------------
    log_in(page, "coordinator")
    page.goto("/")
    box = page.locator("#casework-due")
    assert_visible(page, box)
    still_due = int(re.search(r"\d+", box.inner_text()).group())
    assert still_due == len(due) - 1
    box.locator("a").click()
    page.wait_for_url(re.compile(r"/casework/overdue/$"))
    assert page.locator("#overdue tbody tr").count() == still_due
    check_axe(page)
    page.context.clear_cookies()

    # --- a partner: counts only ---------------------------------------------------------------------
    log_in(page, "partner")
    assert page.locator("nav.nav a[href='/casework/']").count() == 0
    for url in ("/casework/", case_url, new_case_url, "/casework/overdue/"):
        assert page.goto(url).status == 403, url
    summary = page.goto(programme_url + "summary/")
    assert summary.status == 200
    text = page.locator("main").inner_text()
    assert alias not in text and ALIAS not in text
    check_axe(page)
    page.context.clear_cookies()

    # --- the data protection officer: one person's access extract ------------------------------
    log_in(page, "dpo")
    page.goto("/casework/subject-extract/")
    check_axe(page)
    page.locator("#id_cpr").fill(CPR)
    button = page.locator("#extract")
    assert_visible(page, button)
    button.click()
    page.wait_for_load_state()
    assert re.search(r"\b1\b", page.locator("#found").inner_text())
    rows = page.locator("#extract-rows tbody tr")
    assert rows.count() >= 2  # created, and read by the caseworker
    table = page.locator("#extract-rows").inner_text()
    assert "caseworker" not in table and "coordinator" not in table
    check_axe(page)
