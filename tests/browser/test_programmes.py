"""UX.md journeys 1 (coordinator follows up a programme) and 5 (board member: scorecard and report only).

The demo programmes come from ``make_demo_programmes``, which ``make_demo_city`` calls.
"""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

PROGRAMME = "Engsyrebakken"  # the demo's programme running now (the late hotspot's second period)
TASKS_GOAL = "Handlingsplanens opgaver udført"  # demo content (Danish), not a translated string
BANDS = ["red", "amber", "green"]  # worst first


@pytest.fixture(scope="module")
def demo_programmes(server):
    """make_demo_city (run by the server fixture) also builds the demo programmes."""
    return server


def _open_programme(page):
    page.goto("/")
    check_axe(page)
    page.locator("nav.nav a[href='/programmes/']").click()
    page.wait_for_url(re.compile(r"/programmes/$"))
    check_axe(page)
    page.locator("a.pg-programme-link", has_text=PROGRAMME).click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    check_axe(page)


def _tasks_goal_row(page):
    return page.locator("tr", has=page.locator("a", has_text=TASKS_GOAL))


def test_journey_1_coordinator_marks_a_task_done_and_the_scorecard_moves(page, demo_programmes):
    log_in(page, "coordinator")
    _open_programme(page)
    page.locator("#tab-goals").click()
    page.wait_for_url(re.compile(r"/goals/$"))
    check_axe(page)
    row = _tasks_goal_row(page)
    band_before = row.get_attribute("data-band")
    assert band_before in BANDS
    done_before = float(row.locator("td[id$='-current']").inner_text().split()[0].replace(",", "."))

    page.locator("#tab-plans").click()
    page.wait_for_url(re.compile(r"/plans/$"))
    check_axe(page)
    plans = [a.get_attribute("href") for a in page.locator("a[id^='plan-link-']").all()]
    for href in plans:  # the plan with the overdue task (the running programme has one, days late)
        page.goto(href)
        if page.locator("tr.pg-overdue").count():
            break
    assert re.search(r"/programmes/plans/\d+/$", page.url)
    check_axe(page)
    overdue = page.locator("tr.pg-overdue").first
    task_id = overdue.get_attribute("id")
    assert_visible(page, overdue.locator("select[name='status']"))
    overdue.locator("select[name='status']").select_option("done")
    assert_visible(page, overdue.locator("button[type='submit']"))
    overdue.locator("button[type='submit']").click()
    page.wait_for_load_state()
    assert page.locator(f"#{task_id}").get_attribute("data-status") == "done"
    check_axe(page)

    page.locator("#to-scorecard").click()
    page.wait_for_url(re.compile(r"/goals/$"))
    row = _tasks_goal_row(page)
    done_after = float(row.locator("td[id$='-current']").inner_text().split()[0].replace(",", "."))
    assert done_after == done_before + 1
    # one more task done never makes the goal's colour worse
    assert BANDS.index(row.get_attribute("data-band")) >= BANDS.index(band_before)


def test_journey_5_board_member_sees_scorecard_and_report_but_no_raw_data(page, demo_programmes):
    log_in(page, "board")
    _open_programme(page)
    programme_url = page.url
    area_href = page.locator("p.font-lead a[href^='/areas/']").first.get_attribute("href")
    page.locator("#tab-goals").click()
    page.wait_for_url(re.compile(r"/goals/$"))
    check_axe(page)
    assert page.locator("tr[data-band]").count() >= 4
    assert page.locator("#add-goal").count() == 0  # read-only
    assert page.locator("select[name='status']").count() == 0
    page.locator("#tab-report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    check_axe(page)
    pdf = page.request.get(page.locator("#report-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    xlsx = page.request.get(page.locator("#report-xlsx").get_attribute("href"))
    assert xlsx.status == 200 and xlsx.body().startswith(b"PK")
    # Raw data, person data, audit and editing: every one refused.
    for url in (
        f"{area_href}reports.csv",
        "/audit/",
        "/programmes/tasks/overdue/",
        f"{programme_url}edit/",
    ):
        response = page.goto(url)
        assert response.status == 403, url
        check_axe(page)
