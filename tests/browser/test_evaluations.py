"""Journey 4 (UX.md): the evaluator starts a new study from a programme, accepts the suggested controls,
runs it, reads the result sentence and downloads the report (axe-checked on every page)."""

import re

import pytest

from tests.browser.conftest import assert_visible, check_axe, log_in

pytestmark = pytest.mark.browser


def test_evaluator_journey(page):
    log_in(page, "analyst")
    page.goto("/evaluations/")
    check_axe(page)
    page.locator("#new-study").click()
    page.wait_for_url("**/evaluations/new/")
    check_axe(page)

    # start from a programme: it fills in its hotspot area, its start date and its name
    # an ended 2010 programme (the demo's running one started in 2025 has no after-years to study)
    ended = page.locator("#id_programme_pick option", has_text="2010-2014").first
    page.select_option("#id_programme_pick", ended.get_attribute("value"))
    page.locator("#use-programme").click()
    page.wait_for_url(re.compile(r".*/evaluations/new/\?programme=\d+$"))
    programme_url = page.locator("#study-programme a").get_attribute("href")
    assert re.fullmatch(r"/programmes/\d+/", programme_url)
    assert page.locator("input[name='treated']:checked").count() == 1
    assert page.locator("#id_start").input_value() == "2010-07-01"
    assert page.locator("#id_name").input_value()
    check_axe(page)

    page.select_option("#id_outcome", "reports_citizen_directed")
    page.locator("#id_first_year").fill("2008")
    page.locator("#id_last_year").fill("2016")
    assert_visible(page, page.locator("#suggest-controls"))
    page.locator("#suggest-controls").click()
    page.wait_for_selector("#balance-table")
    # one hotspot, four suggested controls (the default per hotspot)
    assert page.locator("input[name='treated']:checked").count() == 1
    assert page.locator("input[name='controls']:checked").count() == 4
    check_axe(page)

    assert_visible(page, page.locator("#create-study"))
    page.locator("#create-study").click()
    page.wait_for_url(re.compile(r".*/evaluations/\d+/$"))
    # the study records the programme it evaluates
    assert page.locator("#study-programme a").get_attribute("href") == programme_url
    check_axe(page)
    assert_visible(page, page.locator("#run-study"))
    page.locator("#run-study").click()
    page.wait_for_selector("#result-sentence", timeout=60000)
    sentence = page.locator("#result-sentence").inner_text()
    # measured: "… faldt 21 % mere … (95 %-interval 13–29 %); … i 1 af 5 placebotildelinger."
    # (one hotspot, four controls: 1 of 5 is the strongest answer placebo areas can give)
    assert re.search(r"faldt \d+ %", sentence) and re.search(r"\b1 af 5\b", sentence)
    page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    assert page.locator("#table-robustness tbody tr").count() >= 6
    check_axe(page)

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")
