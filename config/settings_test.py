"""Test settings: the real settings, with plain static storage and a fast hasher."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: F403

# The manifest storage needs collectstatic; live_server would 404 the hashed names.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's default in-memory database: threads in the concurrency tests share
    # the in-memory one through SQLite's shared cache, whose table locks fail at once instead of
    # waiting. Per process, so two test runs on one machine never meet; measured no slower.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"gloss-test-{os.getpid()}.sqlite3")
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The live server speaks plain http.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Serve from the app folders as files change; no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# N+1 detection: any request in a test that runs the same query twice from one place raises
# zeal.errors.NPlusOneError (tests/nplusone.py wraps each request; the admin's per-widget reads
# are Django's). Deliberate repeats are allowlisted here, with why.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, "tests.nplusone.middleware"]  # noqa: F405
ZEAL_ALLOWLIST = [
    # Signing in cycles the session key, which reads the session row again inside Django.
    {"model": "sessions.Session", "field": "get()"},
]
