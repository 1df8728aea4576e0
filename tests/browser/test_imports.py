"""UX.md journey 2 up to the commit: an analyst uploads crime reports with two bad rows, reads the
problems, uploads the corrected file, imports it and finds the batch in the history (axe-checked)."""

import re

import pytest

from tests.browser.conftest import check_axe, log_in

pytestmark = pytest.mark.browser

HEADER = "id,occurred_at,offence,x,y,crs\n"
ROWS = [
    "B-1,2021-03-01T21:15:00,VOLD_SIMP,718715.04,6175581.34,EPSG:25832",
    "B-2,2021-03-02T22:00:00,HAERV,718725.04,6175591.34,EPSG:25832",
    "B-3,2021-03-03T23:30:00,TYV_CYK,718735.04,6175601.34,EPSG:25832",
    "B-4,2021-03-04T08:10:00,TRUS,718745.04,6175611.34,EPSG:25832",
]


def _file(tmp_path, rows):
    path = tmp_path / "anmeldelser.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_analyst_uploads_fixes_and_commits(page, tmp_path):
    log_in(page, "analyst")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Data").click()
    page.wait_for_url("**/data/")
    check_axe(page)

    bad = list(ROWS)
    bad[1] = bad[1].replace("HAERV", "XYZ")  # unknown offence code (row 3)
    bad[3] = bad[3].replace("2021-03-04T08:10:00", "04-13-2021 08:10")  # no 13th month (row 5)
    page.select_option("#id_kind", "reports")
    page.set_input_files("#id_file", _file(tmp_path, bad))
    page.click("#upload-button")
    page.wait_for_selector("#status[data-status='invalid']")
    assert page.locator("#errors").inner_text() == "2"
    assert page.locator("#commit-button").count() == 0
    problems = page.locator("#problems tbody tr")
    assert problems.count() == 2
    cells = [problems.nth(i).locator("td").all_inner_texts() for i in range(2)]
    assert [(c[0], c[1], c[2]) for c in cells] == [
        ("anmeldelser.csv", "3", "offence"),
        ("anmeldelser.csv", "5", "occurred_at"),
    ]
    assert page.locator("#problems-csv").get_attribute("href").endswith("/problems.csv")
    check_axe(page)

    page.locator("#fix-hint a").click()
    page.wait_for_url(re.compile(r"/data/\?corrects=\d+(#[\w-]*)?$"))
    assert page.locator("#id_kind").input_value() == "reports"  # the corrected file's data type
    page.set_input_files("#id_file", _file(tmp_path, ROWS))
    page.fill("#id_source", "Politiet, udtræk til hotspotsekretariatet")
    page.click("#upload-button")
    page.wait_for_selector("#status[data-status='ready']")
    assert page.locator("#errors").inner_text() == "0"
    assert page.locator("#preview tbody tr").count() == 4
    check_axe(page)

    page.click("#commit-button")
    page.wait_for_selector("#status[data-status='committed']")
    assert page.locator("#created").inner_text() == "4"
    assert page.locator("#rollback-button").is_visible()
    check_axe(page)

    page.get_by_role("link", name="Data", exact=True).first.click()
    page.wait_for_url("**/data/")
    history = page.locator("#batches tbody tr")
    assert history.first.get_attribute("data-status") == "committed"
    assert history.nth(1).get_attribute("data-status") == "invalid"
    check_axe(page)
