"""Gloss settings, read from the environment.

DATABASE_URL   default: a SQLite file in the project folder; postgres://… uses psycopg 3.
SECRET_KEY     required unless DEBUG is on (then a development key is used).
DEBUG          off unless set to 1/true/yes.
ALLOWED_HOSTS  comma-separated; defaults to localhost names.
SECURE_SSL_REDIRECT  on unless DEBUG; set to 0 behind a proxy that already redirects.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG")


def serving() -> bool:
    """True for a web server (gunicorn, runserver); False for maintenance commands."""
    return Path(sys.argv[0]).name != "manage.py" or sys.argv[1:2] == ["runserver"]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105
    elif serving():
        # Fail at start-up, not at the first request that signs something.
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    # makemigrations, migrate, collectstatic… need no key; Django refuses to sign with an
    # empty one, so nothing can be forged with it.

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "articles",
    "annotations",
    "classrooms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "annotations.notifications.unread_count",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections gain nothing on SQLite and keep files locked.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite lets one writer in at a time. A transaction that starts IMMEDIATE takes the
    # write lock first, so two that read then write queue for each other instead of failing
    # with "database is locked"; the timeout is how long a writer queues.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (a database table) so throttles hold across server processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "gloss_cache",
        # The default 300 entries would cull live throttle counters on a busy day (and let a
        # client evict its own by making new keys).
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
    # Rendered fragments that every anonymous reader shares, per process: their keys carry the
    # article's activity counter, so no process can serve one older than the database says.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "gloss-fragments",
        "OPTIONS": {"MAX_ENTRIES": 50},
    },
    # Highlighted article text by the set of highlights marked in it (per process): a class
    # mostly sees the same set, so its readers share one rendering.
    "marks": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "gloss-marks",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
    # Each article's activity counter as this process last read it, for at most a second:
    # every open page polls it every 5 s, and one read a second serves them all.
    "versions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "gloss-versions",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}

# Rate limits on writes and sign-in, (attempts, seconds) per signed-in user (for sign-in, per
# username typed) and per client address, counted in the cache above (config/throttle.py). Per
# address is generous: a school puts every class behind one address, so 30 students annotating
# flat out must stay far below it.
RATE_LIMITS = {
    "signup": {"address": (100, 60 * 60)},
    "annotate": {"user": (100, 10 * 60), "address": (2000, 10 * 60)},
    "reply": {"user": (50, 10 * 60), "address": (1000, 10 * 60)},
    "flag": {"user": (20, 60 * 60), "address": (200, 60 * 60)},
    # Failed codes only: 31⁸ possible codes make 100 guesses an hour hopeless.
    "join-failures": {"user": (10, 60 * 60), "address": (100, 60 * 60)},
    # Failed passwords only, per username typed ("account") and per address.
    "sign-in-failures": {"account": (5, 15 * 60), "address": (20, 15 * 60)},
}
# Behind a proxy every request comes from the proxy's address; count the one it forwards.
THROTTLE_TRUSTS_PROXY = env_flag("BEHIND_PROXY")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security: strict by default, relaxed only by DEBUG for local http.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonce: every script, htmx included ({% htmx_script %} serves it from our static files),
    # is a same-origin file, so 'self' covers them and no inline script can ever run.
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Nothing we serve (our CSS, the admin's) uses data: images; the CSP walk would say so.
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes over plain http; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_flag("BEHIND_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
