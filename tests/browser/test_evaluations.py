"""Journey 4 (UX.md): the evaluator creates a study, accepts the suggested controls, runs it, reads the
result sentence and downloads the report (axe-checked on every page)."""

import re

import pytest

from tests.browser.conftest import check_axe, log_in

pytestmark = pytest.mark.browser


def test_evaluator_journey(page):
    log_in(page, "analyst")
    page.goto("/evaluations/")
    check_axe(page)
    page.locator("#new-study").click()
    page.wait_for_url("**/evaluations/new/")
    check_axe(page)

    page.locator("#id_name").fill("Hotspots 2010")
    page.select_option("#id_outcome", "reports_citizen")
    page.locator("#id_first_year").fill("2008")
    page.locator("#id_last_year").fill("2016")
    # the two hotspots that started in 2010 (their labels carry the start date)
    boxes = page.locator("input[name='treated']")
    labels = page.locator("input[name='treated'] + label")
    for i in range(boxes.count()):
        if "2010" in labels.nth(i).inner_text():
            boxes.nth(i).check()
    page.locator("#suggest-controls").click()
    page.wait_for_selector("#balance-table")
    assert page.locator("input[name='controls']:checked").count() == 8
    check_axe(page)

    page.locator("#create-study").click()
    page.wait_for_url(re.compile(r".*/evaluations/\d+/$"))
    check_axe(page)
    page.locator("#run-study").click()
    page.wait_for_selector("#result-sentence", timeout=60000)
    sentence = page.locator("#result-sentence").inner_text()
    assert re.search(r"\d+ %", sentence) and "29" in sentence
    page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    assert page.locator("#table-robustness tbody tr").count() >= 6
    check_axe(page)

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")
