"""UX.md journey 8 (issue 19, part 1): a housing-association member logs in, opens their organisation's
tasks from the menu, reports on one with a note and counts; the coordinator sees the note on the
programme page under "Changes since last week".

The demo partner is a member for the housing company (``hotspot.demo.programmes.HOUSING_COMPANY``), whose
initiative "Belysning og tryghedsvandringer" the lighting tasks of the demo plans carry out.
"""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser

PROGRAMME = "Engsyrebakken"  # the demo's programme running now; its lighting task is still open
NOTE = "Lamperne på stien er skiftet; tryghedsvandring med beboerne holdt (browser)"


def test_journey_8_partner_reports_on_a_task_and_the_coordinator_sees_it(page, server):
    log_in(page, "partner")
    page.goto("/")
    check_axe(page)
    link = page.locator("nav.nav a[href='/programmes/organisation/tasks/']")
    assert_visible(page, link)
    link.click()
    page.wait_for_url(re.compile(r"/programmes/organisation/tasks/$"))
    check_axe(page)

    # an open task of the running programme; the partner's page has no other organisation's tasks
    task = page.locator("li.pg-org-task[data-status='open']", has_text=PROGRAMME).first
    task_id = task.get_attribute("id")
    pk = task_id.removeprefix("task-")
    status = page.locator(f"#id_status_{pk}")
    assert_visible(page, status)
    status.select_option("in_progress")
    page.locator(f"#id_activities_{pk}").fill("3")
    page.locator(f"#id_participants_{pk}").fill("18")
    note = page.locator(f"#id_note_{pk}")
    assert_visible(page, note)
    note.fill(NOTE)
    save = page.locator(f"#save-progress-{pk}")
    assert_visible(page, save)
    save.click()
    page.wait_for_url(re.compile(r"/programmes/organisation/tasks/"))
    check_axe(page)
    assert page.locator(f"#{task_id}").get_attribute("data-status") == "in_progress"
    assert NOTE in page.locator(f"#last-report-{pk}").inner_text()

    # the coordinator opens the programme and finds the report among last week's changes
    page.context.clear_cookies()
    log_in(page, "coordinator")
    page.goto("/programmes/")
    page.locator("a.pg-programme-link", has_text=PROGRAMME).click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    check_axe(page)
    recent = page.locator("#recent-updates-table tbody tr", has_text=NOTE)
    assert recent.count() == 1
    assert_visible(page, recent)
    cells = [c.strip() for c in recent.locator("td").all_inner_texts()]
    assert cells[1] == "Boligselskabet (demo)"  # the organisation, never the person
    assert cells[5:] == ["3", "18"]  # activities, participants
    task_link = recent.locator(f"a[href$='#task-{pk}']")
    task_link.click()
    page.wait_for_url(re.compile(rf"/programmes/plans/\d+/#task-{pk}$"))
    assert page.locator(f"#task-{pk}").get_attribute("data-status") == "in_progress"
