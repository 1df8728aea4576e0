"""A real server (gunicorn) on a database of its own with the demo city, and Debian's Chromium.

The server gets its own database so that the browser sees committed data while the rest of the suite
keeps its rolled-back transactions. It is a copy of the test database, so the demo city is built once
per worker, not again for the server: a temporary SQLite file, or, when DATABASE_URL points at
PostgreSQL, a database made from the test database as a template, dropped afterwards.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _new_postgres_database(cfg, template=None):
    """A new PostgreSQL database next to the one ``cfg`` (Django's settings_dict) names, empty or a copy
    of ``template``: its URL and a function that drops it."""
    import psycopg

    name = f"hotspot_browser_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{name}", drop


def _fresh_database(tmp_path):
    """A database of the server's own, migrated and with the demo city built into it (for a run of the
    browser tests alone, where there is no test database to copy)."""
    url = os.environ.get("DATABASE_URL", "")
    drop = None
    if not url.startswith(("postgres://", "postgresql://")):
        url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    else:
        import dj_database_url

        url, drop = _new_postgres_database(dj_database_url.parse(url))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "hotspot.test_settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "make_demo_city", "--scale", "0.1", "-v0"], env=env, check=True, cwd=ROOT
    )
    return url, drop


def _copy_of_test_database(tmp_path):
    """A copy of this worker's test database, which already holds the demo city (conftest.py builds it
    once per worker): SQLite's backup API into a file, or PostgreSQL's ``CREATE DATABASE … TEMPLATE``.
    The copy is taken before any test transaction is open (the fixture is session-scoped), so it holds
    exactly the committed demo city. Returns the copy's URL and a function that drops it (or None)."""
    from django.db import connection, connections

    if connection.vendor == "sqlite":
        path = tmp_path / "browser.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return f"sqlite:///{path}", None
    cfg = dict(connection.settings_dict)
    connections.close_all()  # a template database must have no other sessions
    return _new_postgres_database(cfg, template=cfg["NAME"])


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def server(tmp_path_factory, django_db_setup, django_db_blocker):
    need_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    with django_db_blocker.unblock():
        if django_db_setup:  # the test database with the demo city (conftest.py)
            url, drop = _copy_of_test_database(tmp)
        else:
            url, drop = _fresh_database(tmp)
    yield from serve(url, tmp, demo=True)
    if drop:
        drop()


def serve(url, tmp, *, demo: bool):
    """gunicorn on the database at ``url`` until the caller is done: yields the base address."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "hotspot.test_settings",
        "DEMO_MODE": "1" if demo else "0",
    }
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hotspot.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "60",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((tmp / "server.log").read_text()) from None
            time.sleep(0.3)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def empty_database(tmp_path):
    """A new, migrated database with nothing in it but what the migrations seed (a fresh install):
    a SQLite file, or a new PostgreSQL database when DATABASE_URL points at PostgreSQL. Returns its URL,
    the environment to run manage.py against it and a function that drops it (or None)."""
    url = os.environ.get("DATABASE_URL", "")
    drop = None
    if url.startswith(("postgres://", "postgresql://")):
        from django.db import connection

        url, drop = _new_postgres_database(dict(connection.settings_dict))
    else:
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "hotspot.test_settings"}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    return url, env, drop


@pytest.fixture(scope="session")
def browser(server):
    # After the server: Playwright's sync API runs an event loop in this thread, and the server's set-up
    # (a copy of the test database) is Django database work, which refuses to run beside one.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, locale="da-DK")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def check_axe(page):
    """axe-core on the current page: no serious or critical violations."""
    # Evaluated through the DevTools protocol, not added as a <script> tag: the site's
    # Content-Security-Policy refuses inline scripts, and the check must not need a looser policy.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in bad
    ]
    assert not bad, f"axe violations on {page.url}: {details}"


def log_in(page, username, password=None):
    page.goto("/accounts/login/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password or f"{username}-hotspot-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


# --- Controls that are visible where they belong (issue 14) ---------------------------------------------
# axe-core checks names, roles and contrast, not where a control is drawn: a checkbox drawn at the page's
# top-left corner, or a link under an overlay, passes it. These checks do what a person's eye does.

# A drawer that slides in (DKFDS's 0.3 s "slidein-left") is measured where it comes to rest, not mid-way:
# every finite animation on the page is awaited first (an endless one, a spinner, is not).
_SETTLED = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
    .map(a => a.finished.catch(() => null)))"""

_HIT_TEST = """el => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    const ok = !!hit && (hit === el || el.contains(hit)
        || (el.control && (hit === el.control || el.control.contains(hit)))
        || (el.labels && Array.from(el.labels).some(l => l === hit || l.contains(hit))));
    return {
        ok, x, y, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
        width: r.width, height: r.height, innerWidth, innerHeight,
        hit: hit ? hit.outerHTML.slice(0, 160) : null,
    };
}"""


def assert_visible(page, locator):
    """The element is visible, has a box inside the viewport once scrolled into view, and is what a click
    at its centre hits (``document.elementFromPoint``): a control drawn elsewhere, or covered by another
    element, fails. A label may be hit through its control and a control through its label."""
    assert locator.count() == 1, f"{locator} matches {locator.count()} elements on {page.url}"
    assert locator.is_visible(), f"{locator} is not visible on {page.url}"
    locator.scroll_into_view_if_needed()
    page.evaluate(_SETTLED)
    box = locator.evaluate(_HIT_TEST)
    assert box["width"] > 0 and box["height"] > 0, (
        f"{locator} has an empty box on {page.url}: {box}"
    )
    inside = (
        box["left"] >= -1
        and box["top"] >= -1
        and box["right"] <= box["innerWidth"] + 1
        and box["bottom"] <= box["innerHeight"] + 1
    )
    assert inside, f"{locator} lies outside the viewport on {page.url}: {box}"
    assert box["ok"], f"{locator} is covered at its centre by {box['hit']} on {page.url}: {box}"
    return box


def assert_no_overflow(page):
    """The page does not scroll sideways (WCAG 1.4.10): wide content scrolls inside its own box."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    inner = page.evaluate("innerWidth")
    assert width <= inner + 1, f"{page.url} is {width} px wide in a {inner} px window"


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test (``-m "not browser"`` leaves them out: .ci/run's
    PostgreSQL pass), whether or not its module says so. Under pytest-xdist (``make test``) they all
    run in one worker (``--dist loadgroup``), so the server and its database are set up once."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
