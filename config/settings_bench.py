"""Production settings for `make bench`: the real ones, served over plain http on loopback.

Only what a load test on 127.0.0.1 needs differs: no https redirect, a ceiling view, and
rate limits high enough that the benchmark's own posts are not refused.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: F403

# A trivial view behind the whole middleware stack: the ceiling every endpoint is compared to.
ROOT_URLCONF = "tests.load.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405
# Rate limits stop one person flooding the site; here one "person" is the load generator. They
# still run (their cache reads and writes are part of every write measured), they just never
# refuse.
RATE_LIMITS = {
    name: {scope: (10**9, seconds) for scope, (_, seconds) in limits.items()}
    for name, limits in RATE_LIMITS.items()  # noqa: F405
}
# BENCH_FRAGMENT_CACHE=0 measures the pages as they were before anonymous readers shared one
# rendering (articles.views.shared_reading): the before/after in the README's table.
if os.environ.get("BENCH_FRAGMENT_CACHE") == "0":
    CACHES = {**CACHES, "fragments": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}  # noqa: F405
