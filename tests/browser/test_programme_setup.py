"""Issue 6, "Done when": a coordinator sets up a programme end to end through the browser.

On the demo city (built by the server fixture, demo programmes included) the coordinator creates a new
programme for a 2010 hotspot area and fills in every part of it through the pages: purposes, challenges and
status, core-area weights, an initiative, a goal with indicator, baseline and target, an action plan with
focus areas and a task, a funder, a grant and a budget line, the board with one member per core area; then
opens the report and downloads the PDF and the XLSX. axe-core runs on every page visited.

Elements are found by id, name, role or URL, never by translated text: the pages render in Danish.
"""

import io
import re

from tests.browser.conftest import check_axe, log_in

NAME = "Browserprogram Hotspot 2012-2015"  # our own data, not a translated string
FUNDER = "Browserfonden"
BOARD = "Browserprogrammets hotspotbestyrelse"
PILLARS = ("1a", "2", "3", "4", "5", "6")  # 1a-1c count as core area 1 on the board


def _go(page, selector, url):
    """Follow a link found by id (or other selector) and check the page it leads to."""
    page.locator(selector).click()
    page.wait_for_url(url)
    check_axe(page)


def _save(page, url):
    """Submit the form on the page; fail with the form's own error messages if it does not go through."""
    with page.expect_navigation():
        page.locator("#save").click()
    errors = page.locator(".form-error-message, .alert-error").all_inner_texts()
    assert not errors, f"{page.url}: {errors}"
    assert re.search(url, page.url), page.url
    check_axe(page)


def _value_of_option(page, select, text):
    """The value of the option of ``select`` whose text matches ``text`` (data, not translations)."""
    return page.locator(f"{select} option").filter(has_text=text).first.get_attribute("value")


def test_coordinator_sets_up_a_programme_end_to_end(page, server):
    log_in(page, "coordinator")
    page.goto("/")
    check_axe(page)
    _go(page, "nav.nav a[href='/programmes/']", re.compile(r"/programmes/$"))

    # --- the programme: area, period, purposes, status approved with date and body ------------------
    _go(page, "#new-programme", re.compile(r"/programmes/new/$"))
    page.locator("#id_name").fill(NAME)
    hotspot = _value_of_option(page, "#id_areas", re.compile(r"\(HS-[^)]+\)$"))
    assert hotspot, "the demo city has hotspot areas (HS-…)"
    page.locator("#id_areas").select_option(hotspot)
    page.locator("#id_start").fill("2012-01-01")
    page.locator("#id_end").fill("2015-12-31")
    page.locator("#id_purpose_short").fill("At genskabe trygheden i området.")
    page.locator("#id_purpose_long").fill("At styrke områdets selvbærende evne.")
    page.locator("#id_status").select_option("approved")
    page.locator("#id_approved_on").fill("2011-12-15")
    page.locator("#id_approved_by").fill("Byrådet")
    _save(page, r"/programmes/\d+/$")
    programme_url = page.url
    programme_path = re.search(r"/programmes/\d+/$", programme_url).group(0)
    assert page.locator("#programme-name").inner_text() == NAME
    assert page.locator("#purpose-short").inner_text() == "At genskabe trygheden i området."

    for number, title in ((1, "Høj oplevelse af utryghed"), (2, "Høj kriminalitet")):
        _go(page, "#add-challenge", re.compile(r"/challenges/new/$"))
        assert page.locator("#id_number").input_value() == str(number)
        page.locator("#id_title").fill(title)
        _save(page, re.escape(programme_path) + "$")
    assert page.locator("#challenges > li").count() == 2

    # --- weights of the core areas ------------------------------------------------------------------
    _go(page, "#edit-weights", re.compile(r"/weights/$"))
    weights = page.locator("#weights-form select[name^='w_']")
    assert weights.count() >= 16  # 8 core areas x 2 fields
    weights.nth(0).select_option("3")
    weights.nth(1).select_option("2")
    weights.nth(3).select_option("1")
    _save(page, r"/matrix/$")
    assert page.locator("#matrix td.pg-gap").count() >= 1  # weighted high, no initiative yet

    # --- an initiative ------------------------------------------------------------------------------
    _go(page, "#add-initiative", re.compile(r"/initiatives/new/$"))
    page.locator("#id_name").fill("Lektiecafé")
    page.locator("#id_owner").fill("Boligselskabet")
    page.locator("#id_core_areas_0").check()
    page.locator("#id_level").select_option("family")
    page.locator("#id_target_group").fill("Børn 10-14 år")
    page.locator("#id_target_group_size").fill("40")
    page.locator("#id_start").fill("2012-01-01")
    page.locator("#id_end").fill("2013-12-31")
    page.locator("#id_evidence").select_option("promising")
    page.locator("#id_evidence_source").fill("Evaluering 2010")
    page.locator("#id_is_new").check()
    _save(page, r"/matrix/$")
    assert page.locator("#initiatives tbody tr[id^='initiative-']").count() == 1
    assert page.locator("#matrix td[data-count='1']").count() == 1

    # --- a goal with indicator, baseline and target -------------------------------------------------
    _go(page, "#tab-goals", re.compile(r"/goals/$"))
    _go(page, "#add-goal", re.compile(r"/goals/new/$"))
    page.locator("#id_title").fill("Færre unge oplever utryghed")
    page.locator("#id_kind").select_option("effect")
    page.locator("#id_challenge").select_option(index=1)
    page.locator("#id_measure").select_option("indicator")
    indicator = page.locator("#id_indicator option:not([value=''])").first.get_attribute("value")
    page.locator("#id_indicator").select_option(indicator)
    page.locator("#id_baseline_value").fill("20")
    page.locator("#id_baseline_date").fill("2011-12-31")
    page.locator("#id_target_value").fill("10")
    page.locator("#id_deadline").fill("2015-12-31")
    page.locator("#id_initiatives_0").check()
    _save(page, r"/programmes/goals/\d+/$")
    goal_id = re.search(r"/goals/(\d+)/$", page.url).group(1)
    _go(page, "#tab-goals", re.compile(r"/goals/$"))
    assert page.locator(f"#scorecard-effect #goal-{goal_id}").get_attribute("data-band")

    # --- an action plan with focus areas and a task -------------------------------------------------
    _go(page, "#tab-plans", re.compile(r"/plans/$"))
    _go(page, "#add-plan", re.compile(r"/plans/new/$"))
    page.locator("#id_title").fill("Handlingsplan 2012")
    page.locator("#id_area").select_option(hotspot)
    page.locator("#id_start").fill("2012-01-01")
    page.locator("#id_end").fill("2012-12-31")
    page.locator("#id_focus_areas").fill("Tryghed i gaderne\nBørn og unge")
    _save(page, r"/programmes/plans/\d+/$")
    plan_path = re.search(r"/programmes/plans/\d+/$", page.url).group(0)
    assert page.locator("section[id^='focus-']").count() == 2
    _go(page, "#add-focus", re.compile(r"/focus-areas/new/$"))
    assert page.locator("#id_number").input_value() == "3"
    page.locator("#id_title").fill("Forældre")
    page.locator("#id_initiatives_0").check()
    _save(page, re.escape(plan_path) + "$")
    assert page.locator("section[id^='focus-']").count() == 3

    _go(page, "#add-task", re.compile(r"/tasks/new/$"))
    page.locator("#id_title").fill("Ansæt lektiecafé-koordinator")
    page.locator("#id_focus_area").select_option(index=2)
    page.locator("#id_initiative").select_option(index=1)
    page.locator("#id_owner").select_option(
        _value_of_option(page, "#id_owner", re.compile(r"^coordinator$"))
    )
    page.locator("#id_due").fill("2012-03-01")
    page.locator("#id_status").select_option("in_progress")
    _save(page, re.escape(plan_path) + "$")
    focus_2 = page.locator("section[id^='focus-']").nth(1)
    assert focus_2.locator("tr[id^='task-'][data-status='in_progress']").count() == 1

    # --- budget: a funder, a grant and a budget line ------------------------------------------------
    _go(page, "#tab-budget", re.compile(r"/budget/$"))
    _go(page, "#add-funder", re.compile(r"/funders/new/$"))
    page.locator("#id_name").fill(FUNDER)
    _save(page, r"/budget/$")
    _go(page, "#add-grant", re.compile(r"/grants/new/$"))
    page.locator("#id_funder").select_option(label=FUNDER)
    page.locator("#id_title").fill("Tryghedspuljen")
    page.locator("#id_amount").fill("500000")
    page.locator("#id_start").fill("2012-01-01")
    page.locator("#id_end").fill("2015-12-31")
    page.locator("#id_earmark").fill("Lektiecafé")
    _save(page, r"/budget/$")
    _go(page, "#add-budget-line", re.compile(r"/budget-lines/new/$"))
    page.locator("#id_grant").select_option(index=1)
    page.locator("#id_initiative").select_option(index=1)
    page.locator("#id_year").fill("2012")
    page.locator("#id_amount").fill("200000")
    _save(page, r"/budget/$")
    assert page.locator("#budget-grants tbody tr").count() == 1
    lines = page.locator("#budget-initiatives tbody tr").filter(has_text="Lektiecafé")
    assert lines.count() == 1  # next to the row for money not assigned to an initiative

    # --- the board, one member per core area --------------------------------------------------------
    _go(page, "#tab-groups", re.compile(r"/groups/$"))
    assert page.locator("#board-check").get_attribute("data-ok") == "0"
    _go(page, "#add-group", re.compile(r"/groups/new/$"))
    page.locator("#id_kind").select_option("board")
    page.locator("#id_name").fill(BOARD)
    _save(page, r"/groups/$")
    board = page.locator("section[id^='group-']").filter(has=page.locator("h2", has_text=BOARD))
    add_member = board.locator("a[href$='/members/new/']").get_attribute("href")
    for n, code in enumerate(PILLARS, start=1):
        page.goto(add_member)
        check_axe(page)
        page.locator("#id_name").fill(f"Medlem {n}")
        page.locator("#id_organisation").fill(f"Organisation {code}")
        page.locator("#id_core_area").select_option(
            _value_of_option(page, "#id_core_area", re.compile(rf"^{code} "))
        )
        _save(page, r"/groups/#group-\d+$")
    assert board.locator("tbody tr").count() == len(PILLARS)
    assert page.locator("#board-check").get_attribute("data-ok") == "1"

    # --- the report ---------------------------------------------------------------------------------
    _go(page, "#tab-report", re.compile(r"/report/$"))
    assert page.locator("#report-scorecard tbody tr").count() == 1
    pdf = page.request.get(page.locator("#report-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    xlsx = page.request.get(page.locator("#report-xlsx").get_attribute("href"))
    assert xlsx.status == 200 and xlsx.body().startswith(b"PK")

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.body()))
    scorecard = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert scorecard == ["Færre unge oplever utryghed"]
    fields = {row[1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert len(fields) == 2 and not fields & {"family", "neighbourhood"}  # labels, not codes

    # The new programme is listed with the demo programmes.
    _go(page, "nav.breadcrumbs a[href='/programmes/']", re.compile(r"/programmes/$"))
    assert page.locator(f"a.pg-programme-link[href='{programme_path}']").count() == 1
