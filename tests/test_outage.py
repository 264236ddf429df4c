"""A real PostgreSQL, really stopped under a real gunicorn: what readers see, and the way back.

The test builds its own throwaway cluster (it does not use DATABASE_URL), so it runs in both
CI passes. Every step is timed; run with -s to see the figures.
"""

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import drag_select
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
OUTAGE_MESSAGE = "Gloss can’t reach its database right now. Nothing was saved"
HTMX = {"HX-Request": "true"}
TIMES: dict[str, float] = {}

# Production settings from the environment; only static files come straight from the app
# folders, because the manifest storage needs a collectstatic this test does not run.
SETTINGS = """\
from config.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
"""

SEED = """\
import json
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
call_command("createcachetable", verbosity=0)
from django.contrib.auth.models import User
from tests.factories import make_annotation, make_article, make_user
article = make_article("The outage", slug="the-outage")
author = User.objects.create(username="author")  # never signs in: no password to hash
claim = make_annotation(article, author, block=2, start=4, end=19, note="A claim")
make_user("reader", first_name="Rea")
print(json.dumps({"claim": claim.pk}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Timer:
    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.start = time.monotonic()

    def __exit__(self, *exc):
        TIMES[self.name] = round(time.monotonic() - self.start, 2)


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on its own port, started and stopped at will."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="gloss-outage-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://gloss@127.0.0.1:{self.port}/gloss"
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create(self) -> None:
        self.run(
            "initdb", "-D", str(self.data), "-U", "gloss", "--auth=trust", "--no-sync",
            "--encoding=UTF8", "--locale=C",
        )  # fmt: skip
        self.start()
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE gloss")

    def start(self) -> None:
        # fsync off: the outage is a crash of the server process, not of the machine, and
        # the OS keeps what was written either way. synchronous_commit stays on, so an
        # acknowledged commit is in the WAL before the client hears of it.
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off"
        )
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w",
            "-t", "30", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            stop = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            subprocess.run([*self.prefix, *stop], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _dsn(self, database: str = "gloss") -> str:
        return f"host=127.0.0.1 port={self.port} user=gloss dbname={database}"

    def rows(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self._dsn()) as conn:
            return conn.execute(sql, params).fetchall()


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.text = status, headers, body.decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, not to follow


class LocalCookies(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over plain http: the production server here has no TLS in front."""

    def return_ok_secure(self, cookie, request):
        return True


class Visitor:
    """A reader's browser without a browser: cookies, CSRF, htmx headers, no redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar(policy=LocalCookies())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def request(self, path: str, data: dict | None = None, headers=None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = dict(headers or {})
        if data is not None:
            headers["X-CSRFToken"] = self.cookie("csrftoken")
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=15) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def sign_in(self, username: str) -> None:
        self.request("/accounts/login/")
        response = self.request(
            "/accounts/login/", {"username": username, "password": PASSWORD, "next": "/"}
        )
        assert response.status == 302, response.text

    def reply(self, annotation: int, body: str) -> Response:
        data = {"body": body, "stance": "agree", "submission_key": str(uuid.uuid4())}
        return self.request(f"/annotations/{annotation}/replies/", data, HTMX)


class Server:
    """gunicorn with production settings on the cluster, as a load balancer would see it."""

    def __init__(self, cluster: Cluster):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cluster.dir / "gunicorn.log"
        (cluster.dir / "outage_settings.py").write_text(SETTINGS)
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
        self.env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "outage_settings",
            "PYTHONPATH": f"{cluster.dir}{os.pathsep}{ROOT}",
            "DATABASE_URL": cluster.url,
            "SECRET_KEY": "outage-test-" + uuid.uuid4().hex,
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CONN_MAX_AGE": "60",
        }
        self.process = None

    def seed(self) -> dict:
        done = subprocess.run(
            [str(PYTHON), "-c", "import django; django.setup(); exec(open(0).read())"],
            input=SEED,
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        # Two workers, like production: each must find its own way back after the outage.
        command = [
            str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--timeout", "30", "--graceful-timeout", "3",
            "--access-logfile", "-", "--access-logformat", "access %(p)s %(s)s %(U)s",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def cluster(postgres_bin):
    cluster = Cluster(postgres_bin)
    try:
        with Timer("create and start the cluster"):
            cluster.create()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def server(cluster):
    server = Server(cluster)
    try:
        with Timer("migrate, createcachetable, seed; gunicorn starts meanwhile"):
            server.start()  # its workers touch no database until the first request
            server.ids = server.seed()
            server.wait_until_up()
        yield server
    finally:
        server.stop()


def wait_until(check, seconds: float) -> float:
    """Seconds until check() was true; fails after `seconds`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return round(time.monotonic() - start, 2)


# Chromium drives one step, so without it this is skipped like the tests in tests/browser/.
@pytest.mark.browser
def test_it_answers_503_while_the_database_is_down_and_recovers_by_itself(cluster, server, browser):
    started = time.monotonic()
    claim = server.ids["claim"]
    article = "/articles/the-outage/"
    reader = Visitor(server.url)
    reader.sign_in("reader")

    # Writes acknowledged before the crash.
    acknowledged = [f"Before the outage, reply {i}" for i in range(5)]
    for body in acknowledged:
        response = reader.reply(claim, body)
        assert response.status == 200, response.text
        assert body in response.text

    # A reader with the article open in Chromium, the thread open, signed in as the same
    # reader (the production cookies are Secure; this server speaks http, so they are
    # handed over by hand).
    context = browser.new_context()
    context.add_cookies(
        [
            {"name": name, "value": reader.cookie(name), "url": server.url}
            for name in ("sessionid", "csrftoken")
        ]
    )
    page = context.new_page()
    page.goto(server.url + article)
    card = page.locator(f"#annotation-{claim}")
    card.get_by_role("link", name=re.compile("^Discuss")).click()
    thread = card.get_by_role("region", name="Discussion")
    expect(thread.locator(".reply")).to_have_count(len(acknowledged))
    # The live poll would report the outage on its own within 5 s; without it, each message
    # on screen below comes from the action just taken.
    page.locator("[data-live]").evaluate("poller => poller.remove()")

    # The crash: PostgreSQL stops at once, no checkpoint, clients cut off mid-connection.
    with Timer("stop the cluster (-m immediate)"):
        cluster.stop("immediate")

    response = reader.request(article)
    assert response.status == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert OUTAGE_MESSAGE in response.text
    assert "Gloss is briefly unavailable" in response.text
    for leak in ("Traceback", "OperationalError", "psycopg", "127.0.0.1", "Server Error"):
        assert leak not in response.text
    assert response.headers["Retry-After"] == "30"
    assert Visitor(server.url).request(article).status == 503  # signed out too

    response = reader.reply(claim, "Written during the outage")
    assert response.status == 503
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text.startswith(OUTAGE_MESSAGE)

    health = reader.request("/healthz")
    assert (health.status, health.text) == (200, "ok\n")
    assert health.headers["Content-Type"] == "text/plain; charset=utf-8"
    ready = reader.request("/readyz")
    assert (ready.status, ready.text) == (503, "database unreachable\n")

    # In Chromium: posting the reply fails, and the reader is told why, on screen.
    box = thread.get_by_role("textbox", name="Reply", exact=True).last
    box.fill("Typed while the database was down")
    expect(page.locator("[data-flash]")).to_have_text("")
    with page.expect_response(lambda r: r.url.endswith("/replies/")) as posted:
        thread.get_by_role("button", name="Post reply").last.click()
    assert posted.value.status == 503
    expect(page.locator("[data-flash]")).to_contain_text(OUTAGE_MESSAGE)
    expect(box).to_have_value("Typed while the database was down")  # nothing lost on screen

    # The selection toolbar too: it says "not saved" in place, the flash region says why.
    page.locator("[data-flash]").evaluate("region => region.replaceChildren()")
    drag_select(page, 3, "Exports fell")
    toolbar = page.get_by_role("form", name="Label the selected passage")
    with page.expect_response(lambda r: r.url.endswith("/annotations/")) as posted:
        toolbar.get_by_role("button", name="Evidence", exact=True).click()
    assert posted.value.status == 503
    expect(toolbar.get_by_role("alert")).to_contain_text("Not saved")
    expect(page.locator("[data-flash]")).to_contain_text(OUTAGE_MESSAGE)

    # The operator still gets the cause in the log, with its traceback.
    assert "OperationalError" in server.log.read_text()

    # PostgreSQL comes back (crash recovery replays the WAL); nobody touches gunicorn.
    with Timer("start the cluster again"):
        cluster.start()
    ready_after = wait_until(lambda: reader.request("/readyz").status == 200, seconds=10)
    TIMES["/readyz 200 after PostgreSQL accepts connections"] = ready_after
    # Each worker lost its persistent connection; each must find its own way back.
    log_from = len(server.log.read_text())
    served_by = set()

    def both_workers_served_the_article() -> bool:
        response = reader.request(article)
        assert response.status == 200
        assert "A claim" in response.text
        served_by.update(
            re.findall(r"^access <(\d+)> 200 /articles/", server.log.read_text()[log_from:], re.M)
        )
        return len(served_by) == 2

    TIMES["both workers serve pages again"] = wait_until(both_workers_served_the_article, 10)

    # Every acknowledged write survived the crash; the refused ones wrote nothing.
    response = reader.request(f"/annotations/{claim}/thread/", headers=HTMX)
    assert all(body in response.text for body in acknowledged)
    bodies = [row[0] for row in cluster.rows("SELECT body FROM annotations_reply ORDER BY id")]
    assert bodies == acknowledged
    assert cluster.rows("SELECT count(*) FROM annotations_annotation")[0][0] == 1

    # The reader's draft is still in the box: sending it again now works.
    thread.get_by_role("button", name="Post reply").last.click()
    expect(thread.locator(".reply")).to_have_count(len(acknowledged) + 1)
    expect(thread).to_contain_text("Typed while the database was down")
    context.close()
    assert cluster.rows("SELECT count(*) FROM annotations_reply")[0][0] == len(acknowledged) + 1

    TIMES["the test itself, without set-up"] = round(time.monotonic() - started, 2)
    print("\nOutage test timings (s):", json.dumps(TIMES, indent=1), file=sys.stderr)


# The probes without an outage, in-process on the test database.


@pytest.mark.django_db
def test_healthz_answers_without_asking_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_asks_the_database(django_assert_num_queries):
    with django_assert_num_queries(1):
        response = Client().get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")


@pytest.mark.django_db
def test_the_probes_are_not_redirected_to_https(settings):
    # The test settings run with DEBUG off, so the production exemptions are in force here.
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/articles/").status_code == 301
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code == 200
