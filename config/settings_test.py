"""Test settings: the real settings, with plain static storage and a fast hasher."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: F403

# The manifest storage needs collectstatic; live_server would 404 the hashed names.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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
# zeal.errors.NPlusOneError. Deliberate repeats are allowlisted where they happen, with why.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, "zeal.middleware.zeal_middleware"]  # noqa: F405
ZEAL_ALLOWLIST = [
    # Django's admin formsets clean each inline row's hidden id with its own queryset.get():
    # one query per block when a curator saves an article, in Django's code, not ours.
    {"model": "articles.Block", "field": "get()"},
    # Signing in cycles the session key, which reads the session row again inside Django.
    {"model": "sessions.Session", "field": "get()"},
]
