import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Shared CI machines stall now and then: a slow example is not a failure, and neither is a
# strategy that discards many draws on an unlucky seed.
settings.register_profile(
    "gloss",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# CI (CI=true) draws the same examples every run, so whether a commit lands never depends on
# luck; developers' runs draw new ones and keep hunting (GLOSS_FUZZ_EXAMPLES=500 for longer).
settings.register_profile("gloss-ci", parent=settings.get_profile("gloss"), derandomize=True)
settings.load_profile("gloss-ci" if os.environ.get("CI") else "gloss")

# Playwright keeps an event loop running in the test thread; Django's ORM refuses that unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GLOSS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_TESTS = Path(__file__).resolve().parent / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def on_postgres() -> bool:
    from django.conf import settings as django_settings

    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    # Races that need PostgreSQL's row locks (one connection waits on another's) exist only
    # there: on SQLite they are deselected, and said so, never skipped (CI runs both).
    if not on_postgres():
        postgres_only = [item for item in items if item.get_closest_marker("postgres_only")]
        if postgres_only:
            config.hook.pytest_deselected(items=postgres_only)
            items[:] = [item for item in items if item not in postgres_only]
            config.pluginmanager.get_plugin("terminalreporter").write_line(
                f"{len(postgres_only)} PostgreSQL-only race tests deselected on SQLite; "
                "they run with DATABASE_URL=postgres://… (CI's second pass)."
            )
    # Under tests/browser/, or marked (the outage test drives Chromium on its own server).
    browser_items = [
        item
        for item in items
        if BROWSER_TESTS in item.path.parents or item.get_closest_marker("browser")
    ]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if os.path.exists(CHROMIUM) or not browser_items:
        return
    reason = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`."
    if os.environ.get("GLOSS_REQUIRE_BROWSER"):
        # CI sets this: browser tests that cannot run are a failure, never a silent skip.
        raise pytest.UsageError(f"GLOSS_REQUIRE_BROWSER is set. {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def postgres_bin() -> Path:
    """PostgreSQL's server programs (initdb, pg_ctl), for tests that stop a real server."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    initdb = debian[-1] if debian else shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent  # beside the real initdb, not a symlink to it
    reason = (
        "PostgreSQL's initdb and pg_ctl not found: install them with `apt-get install postgresql`."
    )
    if os.environ.get("GLOSS_REQUIRE_BROWSER"):
        # CI installs PostgreSQL: there the outage test must run, never skip.
        pytest.fail(f"GLOSS_REQUIRE_BROWSER is set. {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _forget_article_versions():
    """Every test's articles count activity from zero: no version remembered by an earlier
    test's live updates (annotations.views.LIVE_SECONDS) may answer for them."""
    from django.core.cache import caches

    caches["versions"].clear()
    caches["marks"].clear()
