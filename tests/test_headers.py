"""The security headers and cookie flags a browser actually receives."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import PASSWORD, make_article, make_user

pytestmark = pytest.mark.django_db

STRICT_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# What the production settings module decides, printed as JSON by a fresh interpreter.
PRODUCTION_VALUES = """
import json
from config import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
]}))
"""
COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
]


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def production(**env) -> dict:
    """The settings a server gets from this environment; the test run's own switches removed."""
    # config.settings_test sets DEBUG, SECRET_KEY and SECURE_SSL_REDIRECT in os.environ.
    ours = {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "BEHIND_PROXY"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean.update(SECRET_KEY="a-production-secret-for-this-test", **env)
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_VALUES],
        cwd=Path(__file__).resolve().parents[1],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def prod():
    return production()


class Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline: list[str] = []
        self.meta: dict[str, str] = {}
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = True
        if tag == "meta" and "name" in attrs:
            self.meta[attrs["name"]] = attrs.get("content", "")
        assert not [a for a in attrs if a == "style" or a.startswith("on")], (tag, attrs)

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data)


def test_it_sends_a_strict_content_security_policy(client):
    article = make_article()
    client.force_login(make_user())
    for url in ["/", article.get_absolute_url(), "/no-such-page/", "/admin/login/"]:
        header = client.get(url)["Content-Security-Policy"]
        assert policy(header) == STRICT_CSP, url
        for loose in ["'unsafe-inline'", "'unsafe-eval'", "'nonce-", "'strict-dynamic'", "*"]:
            assert loose not in header, (url, loose)


def test_it_loads_every_script_from_our_own_static_files(client):
    """No nonce is needed: htmx and our modules are all same-origin files, nothing inline."""
    client.force_login(make_user())
    head = Head()
    head.feed(client.get(make_article().get_absolute_url()).content.decode())
    assert head.inline == []
    sources = [s["src"] for s in head.scripts]
    assert any("htmx" in src for src in sources), sources
    assert all(src.startswith(settings.STATIC_URL) for src in sources), sources


def test_it_configures_htmx_without_eval_inline_styles_or_foreign_requests(client):
    head = Head()
    head.feed(client.get("/").content.decode())
    config = json.loads(head.meta["htmx-config"])
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["selfRequestsOnly"] is True
    assert config["allowScriptTags"] is False


def test_it_forbids_framing_and_sniffing_and_trims_the_referrer(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_settings_are_strict_by_default(prod):
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True
    assert prod["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert prod["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert prod["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_HSTS_PRELOAD"] is True
    assert prod["SECURE_SSL_REDIRECT"] is True
    # Trusting X-Forwarded-Proto without a proxy would let any client claim https.
    assert prod["SECURE_PROXY_SSL_HEADER"] is None
    assert prod["X_FRAME_OPTIONS"] == "DENY"
    assert prod["SECURE_CONTENT_TYPE_NOSNIFF"] is True


def test_production_settings_follow_the_proxy_switches():
    assert production(SECURE_SSL_REDIRECT="0")["SECURE_SSL_REDIRECT"] is False
    assert production(BEHIND_PROXY="1")["SECURE_PROXY_SSL_HEADER"] == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]


def test_signing_in_under_production_settings_sets_secure_httponly_lax_cookies(client, prod):
    user = make_user("cookie-reader")
    with override_settings(**{name: prod[name] for name in COOKIE_SETTINGS}):
        assert client.get("/accounts/login/")["Location"].startswith("https://")
        page = client.get("/accounts/login/", secure=True)
        response = client.post(
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD},
            secure=True,
        )
    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # Exactly the Set-Cookie lines the WSGI handler sends.
    session = response.cookies[settings.SESSION_COOKIE_NAME].output(header="").strip()
    csrf = page.cookies[settings.CSRF_COOKIE_NAME].output(header="").strip()
    flags = {flag.strip().lower() for flag in session.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags, session
    flags = {flag.strip().lower() for flag in csrf.split(";")[1:]}
    assert {"secure", "samesite=lax"} <= flags, csrf
