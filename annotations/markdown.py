"""Render the Markdown that readers type into notes and replies as sanitized HTML.

Two layers, each enough on its own for the common cases:

1. markdown-it with raw HTML off, so any ``<tag>`` a reader types comes out as escaped text,
   and with headings, rules, images and tables never enabled, so a margin card stays quiet.
2. nh3 against an explicit allowlist, so whatever markdown-it emits (now or after an
   upgrade) can only contain the tags, attributes and URL schemes listed below.

Decisions:

- Images are not rendered: the ``image`` rule is off, so ``![alt](https://x/y.png)``
  becomes a literal ``!`` followed by an ordinary link to the image URL (no ``<img>``,
  nothing loaded from a third party when the card is shown).
- Relative URLs (``/articles/1``, ``#top``, ``page.html``) are dropped: the link keeps its
  text but loses its ``href``. Notes are about articles and the wider web, and an absolute
  ``https://`` link works everywhere the note is shown; refusing relative ones removes a whole
  class of tricks (same-origin GETs to admin or action URLs) at no cost to readers.
- Only ``a`` carries attributes (``href``, ``title``); ``class`` (e.g. ``language-py`` on
  fenced code) and ``start`` (on ``<ol>``) are dropped, so an ordered list always counts
  from 1.
- No typographer or smart quotes: what the reader typed (’ — “ ” 𝒳) is what is shown.
"""

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "del", "s", "ul", "ol", "li", "blockquote", "code", "pre", "a"}
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {"a": frozenset({"href", "title"})}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
# Relative URLs are stripped from href (see the module docstring).
URL_RELATIVE = "deny"
STRIP_COMMENTS = True

# Markdown rules switched off on top of the CommonMark preset (tables and linkify are never on):
# headings and rules would be loud in a margin card; images would load third-party content;
# raw HTML is already inert with html=False, disabling its rules just makes that explicit.
DISABLED_RULES = ("heading", "lheading", "hr", "image", "html_block", "html_inline")
ENABLED_RULES = ("strikethrough",)

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    .enable(list(ENABLED_RULES))
    .disable(list(DISABLED_RULES))
)

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=STRIP_COMMENTS,
    url_relative=URL_RELATIVE,
)


@functools.lru_cache(maxsize=4096)
def _render(text: str) -> str:
    if not text.strip():
        return ""
    return _cleaner.clean(_md.render(text)).strip()


def render_markdown(text: str) -> SafeString:
    """Sanitized HTML for a note or reply written in Markdown; empty for blank text."""
    return mark_safe(_render(text))  # noqa: S308 - the output of an allowlist sanitizer
