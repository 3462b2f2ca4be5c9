"""Fixtures shared by every app's tests: the browser for Playwright tests."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM is still used synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The suite runs as a demonstration: messages go to the console channel with DEBUG off, which the start-up check
# (notifications.E004) refuses in production. In the environment for commands run as subprocesses (the worker, the
# CLI), and on the settings pytest-django has already loaded; the check itself is tested with it overridden.
os.environ.setdefault("NOTIFICATION_CONSOLE_ALLOWED", "1")
os.environ.setdefault("FEES_SIMULATOR_ALLOWED", "1")  # likewise the payment simulator (fees.E001)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Rows made by migrate itself, the same in every test: content types and permissions.
MIGRATED_TABLES = {"django_content_type", "auth_permission"}


@pytest.fixture(scope="session", autouse=True)
def _cheap_flush_after_transactional_tests():
    """A transactional test (the browser tests, the concurrency tests) ends with Django's flush: every table
    emptied, then the post_migrate signal re-creating content types, permissions and the role groups — about 0.7 s
    on an idle machine and several seconds on a busy one, each time. Here the flush keeps the content types and
    permissions (migrate's own rows, never changed by a test), re-creates only the role groups (`sync_role_groups`,
    the one post_migrate receiver with data of ours), and on PostgreSQL deletes the rows of the tables that have
    any instead of truncating all 150 (Django's foreign keys are deferred, so the order does not matter). The
    database a test starts with is the same. A flush that resets sequences keeps Django's way entirely."""
    from django.core.management.commands import flush
    from django.db import connection

    from yichuang.organisation.roles import sync_role_groups

    operations = type(connection.ops)  # the backend of this run
    original_sql_flush = operations.sql_flush
    original_handle = flush.Command.handle

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        original = original_sql_flush
        if reset_sequences:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        tables = [t for t in tables if t not in MIGRATED_TABLES]
        if self.connection.vendor != "postgresql" or not tables:
            return original(self, style, tables, allow_cascade=allow_cascade)
        quoted = [self.quote_name(t) for t in tables]
        probe = " UNION ALL ".join(f"(SELECT {i} FROM {q} LIMIT 1)" for i, q in enumerate(quoted))
        with self.connection.cursor() as cursor:
            cursor.execute(probe)
            filled = sorted(i for (i,) in cursor.fetchall())
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(quoted[i])};" for i in filled]

    def handle(self, **options):
        if options.get("reset_sequences"):
            return original_handle(self, **options)
        original_handle(self, **{**options, "inhibit_post_migrate": True})
        sync_role_groups()

    operations.sql_flush = sql_flush
    flush.Command.handle = handle
    yield
    operations.sql_flush = original_sql_flush
    flush.Command.handle = original_handle


@pytest.fixture(autouse=True)
def _console_channel_allowed(settings):
    settings.NOTIFICATION_CONSOLE_ALLOWED = True
    settings.FEES_SIMULATOR_ALLOWED = True


@pytest.fixture(autouse=True)
def _no_login_throttle_between_tests(settings):
    settings.AXES_ENABLED = False


# How close to the hall's local midnight a test may start (seconds); see _not_across_the_halls_midnight.
MIDNIGHT_MARGIN = 90


@pytest.fixture(autouse=True)
def _not_across_the_halls_midnight():
    """Tests play a working day on the real clock: a clerk seated "today", a ticket of today, a deadline from
    today. One that starts a few seconds before the hall's local midnight ends on another day (a seat of
    yesterday takes no intake), which no hall sees — it closes in the evening. So a test that would start in the
    last MIDNIGHT_MARGIN seconds of a day waits for the new one (only a run that crosses midnight ever waits, once
    per midnight; tests that need a given moment travel there with time-machine)."""
    import datetime as dt
    import time
    from zoneinfo import ZoneInfo

    from django.conf import settings

    now = dt.datetime.now(ZoneInfo(settings.TIME_ZONE))
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = (midnight - now).total_seconds()
    if left < MIDNIGHT_MARGIN:
        time.sleep(left + 1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """A fast hasher in tests: the default PBKDF2 spends about half a second on every user a factory makes and
    every password sign-in (the suite makes thousands). Production settings keep Django's default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _uses_database(request) -> bool:
    return bool(
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _calendar_known_to_the_suite(request):
    """The suite runs on any date, but chinesecalendar knows only the years of its data (1.11.0: up to 2026).
    Every test database therefore holds a calendar built by the suite itself: each year after the package's data
    up to two years past today is marked complete (Monday–Friday, weekends off), so a test never depends on the
    real year being covered. Tests of the unknown-year rules use explicit dates and opt out with
    `@pytest.mark.calendar_as_installed` (the package's data and nothing else)."""
    if request.node.get_closest_marker("calendar_as_installed") or not _uses_database(request):
        return
    import datetime as dt

    from yichuang.clock.models import CalendarYear
    from yichuang.clock.workcalendar import DATA_LAST_YEAR

    request.getfixturevalue("db")  # the test's own kind of access (transactional for live_server and markers)
    for year in range(DATA_LAST_YEAR + 1, dt.date.today().year + 3):
        CalendarYear.objects.get_or_create(year=year, defaults={"complete": True, "note": "test suite"})


@pytest.fixture(autouse=True)
def _one_request_at_a_time_on_sqlite(request):
    """On SQLite the test database lives in memory and every thread of the live server shares its one
    connection: two pages requesting at once (a board polling while a person books) interleave two statements
    on it ("bad parameter or other API misuse", "cannot start a transaction within a transaction"). There the
    live server serves one request at a time — a harness limit, not the app's: a real SQLite file or PostgreSQL
    gives each request its own connection, and on PostgreSQL the browser tests run concurrent as in production.
    No page streams (no server-sent events), so a whole response is made under the lock."""
    if "live_server" not in request.fixturenames:
        yield
        return
    import threading

    from django.db import connection

    live_server = request.getfixturevalue("live_server")
    httpd = getattr(live_server.thread, "httpd", None)
    if connection.vendor != "sqlite" or httpd is None:
        yield
        return
    app = httpd.get_app()
    lock = threading.Lock()

    def locked(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    httpd.set_app(locked)
    yield
    httpd.set_app(app)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the session: its sync API runs an event loop in this thread, and a second one started
    while the first is alive fails ("Sync API inside the asyncio loop") — every browser fixture launches from it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (1366×900) whose relative URLs go to the live test server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def staff_login(page):
    """Log a user in through the real login form: staff_login(user) → page."""

    def login(user, password="pass-word-123"):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture
def screenshot():
    """screenshot(page, "guide-search") saves docs/screenshots/guide-search.png when YICHUANG_SCREENSHOTS=1.

    The README's pictures come from the same walks as the browser tests: `YICHUANG_SCREENSHOTS=1 make test-sqlite`.
    """
    from pathlib import Path

    def take(page, name: str, full_page: bool = False):
        if os.environ.get("YICHUANG_SCREENSHOTS") == "1":
            out = Path(__file__).parent / "docs" / "screenshots" / f"{name}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=full_page)

    return take
