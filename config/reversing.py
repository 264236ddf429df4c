"""reverse() for the URLs a margin card repeats per highlight, at the cost of a string join.

A card links to its highlight's edit, delete, thread, reply, helpful… views, and the article page
at classroom scale shows hundreds of cards: reversing each URL was a tenth of the page's time.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Reversed once per URL name in place of the primary key, then replaced by each key.
_PLACEHOLDER = "987654321987654321"


@functools.lru_cache(maxsize=256)
def _halves(name: str, urlconf: str, prefix: str) -> tuple[str, str] | None:
    url = reverse(name, args=[int(_PLACEHOLDER)], urlconf=urlconf)
    before, found, after = url.partition(_PLACEHOLDER)
    if not found or _PLACEHOLDER in after:
        return None
    return before, after


def reverse_pk(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL whose one argument is a primary key."""
    if type(pk) is int and pk >= 0:
        # The script prefix and URLconf are in the key: a test or a request may change them.
        halves = _halves(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        if halves is not None:
            return f"{halves[0]}{pk}{halves[1]}"
    return reverse(name, args=[pk])
