"""A fresh install in the browser (issue 13): an empty database, ``manage.py create_municipality``, then
the administrator creates the catalogue entries, imports every sample file of docs/examples through the
Data pages, computes an index with all three pillars and reads the § 61 a/b criteria on an area profile;
a coordinator sets a goal on a register indicator and one on the safety index. Everything a person
does, through the pages, in Danish; runs on SQLite and on PostgreSQL (.ci/run's second pass)."""

import re
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import (
    ROOT,
    check_axe,
    empty_database,
    need_chromium,
    serve,
)
from tests.test_first_install import DIRECTIONS, EXAMPLES, FILES, NATIONAL, PASSWORD, _examples

pytestmark = [pytest.mark.browser, pytest.mark.fresh_install]

# the sample files, their order and the catalogue entries: the same as the test-client path's
FILES = (*FILES, NATIONAL)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, django_db_blocker):
    """(base address, manage.py environment) of a server on a new, empty, migrated database with one
    municipality and its administrator, made by the README's command."""
    need_chromium()
    tmp = tmp_path_factory.mktemp("fresh")
    with django_db_blocker.unblock():
        url, env, drop = empty_database(tmp)
    secret = tmp / "password"
    secret.write_text(PASSWORD + "\n")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "create_municipality", "990", "Eksempelkøbing", "--admin", "ada",
         "--email", "ada@eksempelkoebing.dk", "--password-file", str(secret)],
        env=env, check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    try:
        for base in serve(url, tmp, demo=False):
            yield base, env
    finally:
        if drop:
            drop()


@pytest.fixture
def fresh_page(fresh, browser):
    base, _env = fresh
    context = browser.new_context(base_url=base, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


def _log_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _import(page, name, kind, source):
    page.goto("/data/")
    page.select_option("#id_kind", kind)
    page.set_input_files("#id_file", str(EXAMPLES / name))
    page.fill("#id_source", source)
    page.click("#upload-button")
    page.wait_for_selector("#status[data-status='ready'], #status[data-status='invalid']")
    status = page.locator("#status").get_attribute("data-status")
    assert status == "ready", (name, page.locator("main").inner_text()[:2000])
    page.click("#commit-button")
    page.wait_for_selector("#status[data-status='committed']", timeout=60000)


def _choose(page, select, text):
    """Select the option of ``select`` whose label contains ``text``."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def test_a_fresh_install_from_the_sample_files(fresh, fresh_page, capsys):
    page = fresh_page
    examples = _examples()
    started = time.perf_counter()
    _log_in(page, "ada", PASSWORD)
    assert page.locator("h1").count() == 1

    # 1. the catalogue: the survey questions and register indicators the files name
    for code, text_da, text_en, low, high in examples.SURVEY_ITEMS:
        page.goto("/survey-items/new/")
        page.fill("#id_code", code)
        page.fill("#id_text_da", text_da)
        page.fill("#id_text_en", text_en)
        page.fill("#id_scale_min", str(low))
        page.fill("#id_scale_max", str(high))
        page.click("#save-item")
        page.wait_for_url(lambda url: "/new/" not in url)
    check_axe(page)
    for code, name_da, name_en, unit, direction in examples.INDICATORS:
        page.goto("/indicators/new/")
        page.fill("#id_code", code)
        page.fill("#id_name_da", name_da)
        page.fill("#id_name_en", name_en)
        page.fill("#id_unit", unit)
        page.select_option("#id_direction", DIRECTIONS[direction])
        page.fill("#id_source", "Danmarks Statistik (opdigtet)")
        page.click("#save-indicator")
        page.wait_for_url(lambda url: "/new/" not in url)
    catalogue = page.locator("main").inner_text()
    assert all(name_da in catalogue for _c, name_da, *_rest in examples.INDICATORS)

    # 2. every sample file through the Data pages
    for name, kind, source in FILES:
        _import(page, name, kind, source)
    page.goto("/data/")
    history = page.locator("main").inner_text()
    assert all(name in history for name, _k, _s in FILES)
    check_axe(page)

    # 3. an index with all three pillars
    page.goto("/index/")
    page.select_option("#id_preset", "copenhagen")
    page.fill("#id_name", "Tryghedsindeks")
    page.select_option("#id_reference_year", "2023")
    page.click("#create-preset")
    page.wait_for_selector("#compute")
    page.click("#compute")
    page.wait_for_selector("#run-status[data-status='done']", timeout=60000)
    text = page.locator("main").inner_text()
    assert f"Beregnet for {len(examples.TILING)} områder, 2023–2025" in text
    assert page.locator("#no-score").count() == 0  # no area lacks a pillar
    # one indicator of each pillar: police reports, the survey, the registers
    used = page.locator("#provenance").inner_text().lower()
    for word in ("anmeldelser", "utryg", "grundskole"):
        assert word in used, (word, used)
    check_axe(page)

    # 4. the ranking, and Kløverparken's profile with the § 61 a/b criteria
    page.click("#nav-ranking")
    page.get_by_role("link", name="Kløverparken").first.click()
    page.wait_for_selector("#table-criteria")
    criteria = page.locator("#table-criteria").inner_text()
    assert "dømt" in criteria.lower() and "ukendt" not in criteria.lower()
    assert page.locator("#table-criteria").get_by_text("ja", exact=True).count() >= 3
    check_axe(page)
    profile = page.url

    # 5. the administrator adds a coordinator under Administration, who sets two goals
    page.goto("/administration/members/new/")
    page.fill("#id_username", "kim")
    page.fill("#id_email", "kim@eksempelkoebing.dk")
    page.fill("#id_full_name", "Kim Sekretariat")
    page.select_option("#id_role", "coordinator")
    page.fill("#id_password1", PASSWORD + "-kim")
    page.fill("#id_password2", PASSWORD + "-kim")
    page.click("#member-add")
    page.wait_for_url(lambda url: "/members/new/" not in url)
    assert "kim" in page.locator("main").inner_text()
    check_axe(page)
    page.context.clear_cookies()
    _log_in(page, "kim", PASSWORD + "-kim")
    page.goto("/programmes/new/")
    page.fill("#id_name", "Hotspot Kløverparken")
    _choose(page, "#id_areas", "Kløverparken")
    page.fill("#id_start", "2026-01-01")
    page.fill("#id_end", "2029-12-31")
    page.click("#save")
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    programme = page.url
    for title, measure, extra in (
        ("Flere i arbejde eller uddannelse", "indicator", {"#id_indicator": "Uden for"}),
        ("Tryghedsindekset i Kløverparken", "safety_index", {"#id_index": "Tryghedsindeks"}),
    ):
        page.goto(programme + "goals/new/")
        page.fill("#id_title", title)
        page.select_option("#id_kind", "effect")
        page.select_option("#id_measure", measure)
        for selector, label in extra.items():
            _choose(page, selector, label)
        _choose(page, "#id_area", "Kløverparken")
        page.fill("#id_baseline_value", "90" if measure == "safety_index" else "45")
        page.fill("#id_baseline_date", "2023-12-31")
        page.fill("#id_target_value", "100" if measure == "safety_index" else "40")
        page.fill("#id_deadline", "2029-12-31")
        if measure == "safety_index":
            page.fill("#id_milestones", "2025: 92")
        page.click("#save")
        page.wait_for_url(re.compile(r"/programmes/goals/\d+/$"))
        assert page.locator("#goal-title").inner_text() == title
        assert "2025" in page.locator("main").inner_text()  # the current value is of 2025
    assert page.locator("#goal-milestones").is_visible()
    check_axe(page)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nfresh install in the browser: {seconds:.1f} s ({profile})")
