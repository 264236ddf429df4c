"""Load benchmark: Gloss under gunicorn with production settings, driven by wrk.

    .venv/bin/python tests/load/bench.py          (what `make bench` runs)

Creates a throwaway PostgreSQL database (BENCH_DATABASE_URL, default gloss_bench on
127.0.0.1), fills it with deterministic articles of 0, 500, 1,500 and 5,000 annotations plus
replies, links and votes (manage.py make_bench_data), serves it with gunicorn and measures each
endpoint with wrk from a second process. Every endpoint run sits between two runs of a trivial
view behind the same middleware (A B A B … A): its ratio to the mean of those two neighbours is
the number to compare, since absolute timings move with whatever else the machine is doing.

Environment: BENCH_DURATION (seconds per run, default 6), BENCH_CONNECTIONS (16),
BENCH_WORKERS (gunicorn workers, 3), BENCH_PORT (8765), BENCH_JSON (write the results there),
BENCH_KEEP_DB=1 (keep the database afterwards), BENCH_ONLY (endpoint names or name@N,
separated by ';').
Only 127.0.0.1 is ever a target.
"""

# Every URL opened here is http://127.0.0.1 (BASE): S310 guards against file: and the like.
# ruff: noqa: S310

import gzip
import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
LOAD = Path(__file__).resolve().parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://gloss:gloss@127.0.0.1:5432/gloss_bench")
DURATION = int(os.environ.get("BENCH_DURATION", "6"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SIZES = (0, 500, 1500, 5000)


@dataclass
class Endpoint:
    name: str
    size: int
    path: str
    script: str = "get.lua"
    who: str = ""  # "", "student" or "teacher"
    htmx: bool = False
    target: float | None = None  # minimum ratio to the ceiling
    read: bool = True
    live_version: str = ""  # "current": ask with the article's version as it is at run time
    data: str = ""  # a Lua table for the POST scripts
    warm: bool = False  # fill every worker's shared rendering first (anonymous pages)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607 - apt from PATH
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],  # noqa: S607
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "/usr/bin/wrk"


def admin_connection():
    import psycopg

    url = urlsplit(DB_URL)
    return psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    )


def database_name() -> str:
    name = urlsplit(DB_URL).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Unexpected database name {name!r}")
    return name


def recreate_database() -> None:
    name = database_name()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')


def analyze() -> None:
    """Planner statistics for the rows just loaded, as after any bulk load or restore.

    Without them PostgreSQL guessed one highlight where there were 1,422 and nested-looped the
    dashboard's replies in 383 ms instead of 10; autovacuum would fix it at some moment during
    the run, so results would depend on when.
    """
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("ANALYZE")


def current_activity(slug: str) -> int:
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT activity FROM articles_article WHERE slug = %s", [slug]
        ).fetchone()
    return row[0]


def manage(env: dict, *args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def lua_table(value) -> str:
    """JSON-ish data as a Lua literal for the POST scripts."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_table(k)}] = {lua_table(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(lua_table(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # Lua reads JSON strings' escapes
    return str(value)


def endpoints(described: dict, tmp: Path) -> list[Endpoint]:
    articles = described["articles"]
    found = []
    for size in (0, 500, 5000):
        target = {0: None, 500: 0.5, 5000: 0.25}[size]
        slug = articles[str(size)]["slug"]
        found.append(
            Endpoint("article (anonymous)", size, f"/articles/{slug}/", target=target, warm=True)
        )
        found.append(
            Endpoint(
                "article (signed in)", size, f"/articles/{slug}/", who="student", target=target
            )
        )
    slug500 = articles["500"]["slug"]
    # The stubs the article page leaves in the margin fetch their cards 16 at a time.
    batch = ",".join(str(pk) for pk in sorted(articles["500"]["reply_targets"])[:16])
    found.append(
        Endpoint(
            "margin batch of 16 cards",
            500,
            f"/articles/{slug500}/cards/?ids={batch}",
            who="student",
            htmx=True,
        )
    )
    found.append(
        Endpoint(
            "live update, nothing new",
            500,
            f"/articles/{slug500}/updates/",
            who="student",
            htmx=True,
            target=0.8,
            live_version="current",
        )
    )
    for size in (500, 5000):
        slug = articles[str(size)]["slug"]
        found.append(
            Endpoint(
                "live update, something new",
                size,
                f"/articles/{slug}/updates/?v=0",
                who="student",
                htmx=True,
            )
        )
    a1500 = articles["1500"]
    found.append(
        Endpoint(
            "teacher's dashboard",
            1500,
            f"/assignments/{a1500['assignment']}/dashboard/",
            who="teacher",
            target=0.3,
        )
    )
    for size in (500, 1500, 5000):
        slug = articles[str(size)]["slug"]
        found.append(
            Endpoint(
                "debate map",
                size,
                f"/articles/{slug}/map/",
                target=0.3 if size == 1500 else None,
            )
        )
    for size in (500, 5000):
        article = articles[str(size)]
        create_data = tmp / f"create-{size}.lua"
        create_data.write_text(
            "return "
            + lua_table(
                {
                    "path": f"/articles/{article['slug']}/annotations/",
                    "selections": article["selections"],
                }
            )
        )
        found.append(
            Endpoint(
                "create annotation",
                size,
                f"/articles/{article['slug']}/annotations/",
                script="post_annotation.lua",
                who="student",
                htmx=True,
                target=0.4,
                read=False,
                data=str(create_data),
            )
        )
        reply_data = tmp / f"reply-{size}.lua"
        reply_data.write_text("return " + lua_table({"targets": article["reply_targets"]}))
        found.append(
            Endpoint(
                "post reply",
                size,
                f"/annotations/{article['reply_targets'][0]}/replies/",
                script="post_reply.lua",
                who="student",
                htmx=True,
                target=0.4,
                read=False,
                data=str(reply_data),
            )
        )
    only = os.environ.get("BENCH_ONLY")
    if only:
        # Names hold commas ("live update, nothing new"): separate them with ";".
        wanted = {w.strip() for w in only.split(";")}
        found = [e for e in found if e.name in wanted or f"{e.name}@{e.size}" in wanted]
    return found


def wait_for_server(process: subprocess.Popen) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
        try:
            with urllib.request.urlopen(f"{BASE}/bench/ceiling/", timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:  # refused while booting, or slow to answer its first request
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in 20 seconds")


def warm(endpoint: Endpoint) -> None:
    """Ask every worker at once, twice: each process keeps its own rendering of the page."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WORKERS * 2) as pool:
        list(pool.map(lambda _: probe(endpoint, {}), range(WORKERS * 4)))


def drain() -> bool:
    """Wait for requests still being served after wrk stopped, so the next run starts clean."""
    quick = 0
    deadline = time.monotonic() + 90
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{BASE}/bench/ceiling/", timeout=30) as response:
                response.read()
        except OSError:
            continue
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
    return quick >= 2


def start_server(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            # Long enough to measure a slow page rather than have gunicorn kill it (30 s default).
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for_server(server)
    return server


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def request_path(endpoint: Endpoint) -> str:
    """The endpoint's path; a poll with nothing new asks with the article's current version."""
    if endpoint.live_version != "current":
        return endpoint.path
    slug = endpoint.path.split("/")[2]
    return f"{endpoint.path}?v={current_activity(slug)}"


def probe(endpoint: Endpoint, env: dict) -> tuple[int, int, float]:
    """One request alone: status, body size and seconds, so a broken endpoint fails loudly."""
    if not endpoint.read:
        return 0, 0, 0.0
    request = urllib.request.Request(f"{BASE}{request_path(endpoint)}", headers=headers_for(env))
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status, len(response.read()), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, 0, time.monotonic() - started


def headers_for(env: dict) -> dict:
    cookies = []
    headers = {}
    if env.get("BENCH_SESSION"):
        cookies.append(f"sessionid={env['BENCH_SESSION']}")
    if env.get("BENCH_CSRF"):
        cookies.append(f"csrftoken={env['BENCH_CSRF']}")
        headers["X-CSRFToken"] = env["BENCH_CSRF"]
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    if env.get("BENCH_HTMX") == "1":
        headers["HX-Request"] = "true"
    return headers


def run_wrk(wrk: str, endpoint: Endpoint, described: dict, csrf: str) -> dict:
    env = {**os.environ, "BENCH_LUA_DIR": str(LOAD), "BENCH_HTMX": "1" if endpoint.htmx else "0"}
    env["BENCH_SESSION"] = described["sessions"][endpoint.who] if endpoint.who else ""
    env["BENCH_CSRF"] = csrf if endpoint.who else ""
    env["BENCH_DATA"] = endpoint.data
    path = request_path(endpoint)
    command = [
        wrk,
        "--threads",
        "2",
        "--connections",
        str(CONNECTIONS),
        "--duration",
        f"{DURATION}s",
        "--timeout",
        "30s",
        "--script",
        str(LOAD / endpoint.script),
        f"{BASE}{path}",
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCH "))
    result = json.loads(line.removeprefix("BENCH "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def static_weight() -> tuple[int, list[tuple[str, int, int]]]:
    """Our own JavaScript and CSS (htmx aside): bytes and gzipped bytes, per file and in all."""
    files = sorted(
        [*(ROOT / "static" / "js").glob("*.js"), *(ROOT / "static" / "css").glob("*.css")]
    )
    rows = []
    for path in files:
        raw = path.read_bytes()
        rows.append((str(path.relative_to(ROOT)), len(raw), len(gzip.compress(raw, 9))))
    return sum(r[2] for r in rows), rows


def main() -> None:
    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="gloss-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if k != "DEBUG"},
        "DJANGO_SETTINGS_MODULE": "config.settings_bench",
        "DATABASE_URL": DB_URL,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BENCH_STATIC_ROOT": str(tmp / "static"),
        "CONN_MAX_AGE": "600",
    }
    started = time.monotonic()
    print(f"Database {database_name()}: recreating, migrating, filling…", flush=True)
    recreate_database()
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    data_file = tmp / "data.json"
    manage(env, "make_bench_data", "--sizes", ",".join(map(str, SIZES)), "--output", str(data_file))
    described = json.loads(data_file.read_text())
    analyze()
    for size, article in described["articles"].items():
        print(
            f"  N={size}: {article['annotations']} annotations, {article['replies']} replies, "
            f"{article['links']} links"
        )
    print(f"Filled in {time.monotonic() - started:.0f} s", flush=True)

    server = start_server(env)
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    results = []
    try:
        plan = endpoints(described, tmp)
        ceiling = Endpoint("ceiling", 0, "/bench/ceiling/")
        for endpoint in plan:
            probe_env = {
                "BENCH_SESSION": described["sessions"][endpoint.who] if endpoint.who else "",
                "BENCH_CSRF": csrf if endpoint.who else "",
                "BENCH_HTMX": "1" if endpoint.htmx else "0",
            }
            status, size, seconds = probe(endpoint, probe_env)
            if endpoint.read and status not in (200, 204):
                raise SystemExit(f"{endpoint.name} N={endpoint.size}: answered {status}")
            endpoint.bytes, endpoint.alone_ms = size, seconds * 1000
        # Warm every worker (imports, template loading) before anything is measured.
        run_wrk(wrk, Endpoint("warm", 0, "/bench/ceiling/"), described, csrf)
        previous = run_wrk(wrk, ceiling, described, csrf)
        print(
            f"\n{'endpoint':32} {'N':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'non-2xx':>8} {'ratio':>6} {'target':>7}  ok  {'alone ms':>8} {'KB':>6}",
            flush=True,
        )
        for endpoint in plan:
            if endpoint.warm:
                warm(endpoint)
            measured = run_wrk(wrk, endpoint, described, csrf)
            if not drain():
                # Requests the run left queued would slow the next ones: start afresh.
                stop_server(server)
                server = start_server(env)
                run_wrk(wrk, Endpoint("warm", 0, "/bench/ceiling/"), described, csrf)
            after = run_wrk(wrk, ceiling, described, csrf)
            reference = (previous["rps"] + after["rps"]) / 2
            ratio = measured["rps"] / reference
            checks = []
            if endpoint.target is not None:
                checks.append(ratio >= endpoint.target)
            if endpoint.read and endpoint.size == 500:
                checks.append(measured["p99_us"] < 100_000)
            checks.append(measured["non2xx"] == 0 and measured["socket_errors"] == 0)
            row = {
                "endpoint": endpoint.name,
                "size": endpoint.size,
                "rps": round(measured["rps"], 1),
                "p50_ms": round(measured["p50_us"] / 1000, 1),
                "p99_ms": round(measured["p99_us"] / 1000, 1),
                "non2xx": measured["non2xx"],
                "socket_errors": measured["socket_errors"],
                "ceiling_rps": round(reference, 1),
                "ratio": round(ratio, 3),
                "target": endpoint.target,
                "bytes": getattr(endpoint, "bytes", 0),
                "alone_ms": round(getattr(endpoint, "alone_ms", 0.0)),
                "ok": all(checks),
            }
            results.append(row)
            target = f"≥{endpoint.target}" if endpoint.target is not None else ""
            print(
                f"{endpoint.name:32} {endpoint.size:>5} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} "
                f"{row['p99_ms']:>8.1f} {row['non2xx']:>8} {row['ratio']:>6.2f} {target:>7}  "
                f"{'yes' if row['ok'] else 'NO ':3} {row['alone_ms']:>8} {row['bytes'] // 1024:>6}",
                flush=True,
            )
            previous = after
    finally:
        stop_server(server)
        if os.environ.get("BENCH_KEEP_DB") != "1":
            drop_database()
        shutil.rmtree(tmp, ignore_errors=True)

    total, rows = static_weight()
    print(f"\nCeiling (trivial view, whole middleware): ~{previous['rps']:.0f} req/s at the end")
    print(f"Our JavaScript and CSS, gzipped: {total / 1024:.1f} KB (budget 30 KB, htmx aside)")
    for name, raw, packed in rows:
        print(f"  {name:28} {raw:>7} B  {packed:>6} B gzipped")
    print(
        f"{WORKERS} gunicorn workers, {CONNECTIONS} connections, {DURATION} s per run; "
        f"took {time.monotonic() - started:.0f} s"
    )
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(
            json.dumps({"results": results, "static_gzip_bytes": total}, indent=1)
        )
    if total > 30 * 1024 or not all(r["ok"] for r in results):
        print("Some targets were missed (see the ok column).")


if __name__ == "__main__":
    sys.exit(main())
