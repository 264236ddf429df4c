import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils.safestring import SafeString
from hypothesis import given
from hypothesis import strategies as st

from annotations.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    render_markdown,
)

PAYLOADS_FILE = Path(__file__).resolve().parent.parent / "xss_payloads.txt"

FORBIDDEN_TAG_TEXT = (
    "<script",
    "<iframe",
    "<object",
    "<embed",
    "<svg",
    "<math",
    "<style",
    "<img",
    "<form",
    "<input",
    "<base",
    "<meta",
    "<link",
)
FORBIDDEN_ATTR_PREFIXES = ("on", "hx-", "data-", "style", "src", "action")
# Attributes the sanitizer adds itself, on top of the ones it lets through.
ADDED_ATTRIBUTES = {"a": {"rel"}}
FORBIDDEN_ATTR = re.compile(r"\s(on|hx-|data-|style|src|action)[^\s=>]*\s*=")
SAFE_HREF = re.compile(r"(https?://|mailto:)", re.IGNORECASE)


class TagCollector(HTMLParser):
    """Every start tag in a fragment, with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def start_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_structurally_safe(html: str) -> None:
    for tag, attrs in start_tags(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ADDED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            assert name in allowed, (tag, name, html)
            assert not name.startswith(FORBIDDEN_ATTR_PREFIXES), (tag, name, html)
            if name == "href":
                assert value is not None
                assert SAFE_HREF.match(value), (value, html)
            if name == "rel":
                assert value == LINK_REL


def load_payloads() -> list:
    params = []
    lines = PAYLOADS_FILE.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        params.append(pytest.param(line, id=f"L{number}"))
        # Escapes are written as text (\x00, \n, \u003c); also try what they stand for.
        try:
            decoded = line.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            continue
        if decoded != line:
            params.append(pytest.param(decoded, id=f"L{number}-decoded"))
    return params


PAYLOADS = load_payloads()


# --- allowed constructs


def test_it_returns_a_safe_string():
    html = render_markdown("hello")
    assert isinstance(html, SafeString)
    assert html == "<p>hello</p>"


def test_it_renders_empty_and_blank_text_as_empty():
    assert render_markdown("") == ""
    assert render_markdown("   \n\t\n  ") == ""


def test_it_renders_links_with_rel():
    html = render_markdown("[the source](https://example.com/a?b=1&c=2)")
    assert html == (
        '<p><a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer ugc">'
        "the source</a></p>"
    )


def test_it_renders_http_links():
    assert '<a href="http://example.com/"' in render_markdown("[x](http://example.com/)")


def test_it_renders_link_titles():
    html = render_markdown('[x](https://example.com "The title")')
    assert 'title="The title"' in html


def test_it_renders_mailto_links():
    html = render_markdown("[write](mailto:someone@example.com)")
    assert html == (
        '<p><a href="mailto:someone@example.com" rel="nofollow noopener noreferrer ugc">'
        "write</a></p>"
    )


def test_it_renders_autolinks():
    html = render_markdown("<https://example.com>")
    assert html == (
        '<p><a href="https://example.com" rel="nofollow noopener noreferrer ugc">'
        "https://example.com</a></p>"
    )


def test_it_does_not_linkify_bare_urls():
    assert render_markdown("see https://example.com") == "<p>see https://example.com</p>"


@pytest.mark.parametrize("url", ["/admin/", "../x", "page.html", "#top", "?q=1", "//evil.example/"])
def test_it_drops_relative_urls_but_keeps_the_link_text(url):
    html = render_markdown(f"[kept text]({url})")
    assert html == '<p><a rel="nofollow noopener noreferrer ugc">kept text</a></p>'


def test_it_renders_emphasis():
    assert render_markdown("*em* _em_ **strong** __strong__") == (
        "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong></p>"
    )


def test_it_renders_strikethrough():
    assert render_markdown("~~gone~~") == "<p><s>gone</s></p>"


def test_it_renders_unordered_lists():
    assert render_markdown("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_it_renders_ordered_lists_without_a_start_attribute():
    assert render_markdown("1. one\n2. two") == "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"
    # `start` is not on the allowlist: the list renders, counting from 1.
    assert render_markdown("3. three\n4. four") == ("<ol>\n<li>three</li>\n<li>four</li>\n</ol>")


def test_it_renders_block_quotes():
    assert render_markdown("> quoted\n\nreply") == (
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>"
    )


def test_it_renders_inline_code_escaped():
    assert render_markdown("use `<b>` here") == "<p>use <code>&lt;b&gt;</code> here</p>"


def test_it_renders_indented_code_blocks():
    assert render_markdown("    x = 1\n    y < 2") == "<pre><code>x = 1\ny &lt; 2\n</code></pre>"


def test_it_renders_fenced_code_blocks_without_the_language_class():
    html = render_markdown("```python\nprint('<hi>')\n```")
    assert html == "<pre><code>print('&lt;hi&gt;')\n</code></pre>"


def test_it_turns_single_newlines_into_line_breaks():
    assert render_markdown("first line\nsecond line") == "<p>first line<br>\nsecond line</p>"


def test_it_separates_paragraphs_on_blank_lines():
    assert render_markdown("one\n\ntwo") == "<p>one</p>\n<p>two</p>"


# --- things that must stay text


def test_it_escapes_raw_html():
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"


def test_it_escapes_raw_html_blocks():
    html = render_markdown('<div hx-get="/admin/" hx-trigger="load">\nx\n</div>')
    assert html == '<p>&lt;div hx-get="/admin/" hx-trigger="load"&gt;<br>\nx<br>\n&lt;/div&gt;</p>'


@pytest.mark.parametrize("text", ["# Title", "## Sub", "###### Deep", "#Title"])
def test_it_keeps_atx_headings_as_text(text):
    assert render_markdown(text) == f"<p>{text}</p>"


def test_it_keeps_setext_headings_as_text():
    assert render_markdown("Title\n=====") == "<p>Title<br>\n=====</p>"
    assert render_markdown("Title\n-----") == "<p>Title<br>\n-----</p>"


@pytest.mark.parametrize("text", ["---", "***", "___"])
def test_it_keeps_horizontal_rules_as_text(text):
    assert render_markdown(text) == f"<p>{text}</p>"


def test_it_renders_images_as_a_plain_link():
    html = render_markdown("![a chart](https://example.com/chart.png)")
    assert html == (
        '<p>!<a href="https://example.com/chart.png" rel="nofollow noopener noreferrer ugc">'
        "a chart</a></p>"
    )


def test_it_does_not_render_tables():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table" not in html
    assert "<td" not in html


def test_it_keeps_typographic_characters_unchanged():
    text = "It’s — “quoted” — 𝒳 … « » ‘single’ -- \"straight\" 'straight' (c) ..."
    assert render_markdown(text) == f"<p>{text}</p>"


def test_it_keeps_template_syntax_literal():
    html = render_markdown("{{ 7*7 }} and {% debug %}")
    assert html == "<p>{{ 7*7 }} and {% debug %}</p>"
    assert "49" not in html


def test_it_replaces_null_bytes():
    html = render_markdown("a\x00b<script>")
    assert "\x00" not in html
    assert "<script" not in html


def test_it_is_pure():
    text = "**same** [input](https://example.com)"
    assert render_markdown(text) == render_markdown(text)


# --- hostile payloads


def test_it_has_enough_payloads():
    assert len({p.id.split("-")[0] for p in PAYLOADS}) >= 70


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_neutralises_payload(payload):
    html = render_markdown(payload)
    lowered = html.lower()
    for needle in FORBIDDEN_TAG_TEXT:
        assert needle not in lowered, (needle, html)
    # Text is escaped (`<` is `&lt;`, in attribute values too), so every `<` opens a tag.
    # Attribute values are always double-quoted, with `"` inside them escaped as `&quot;`.
    for tag in re.findall(r"<[a-z][^>]*>", lowered):
        assert not FORBIDDEN_ATTR.search(re.sub(r'"[^"]*"', '""', tag)), (tag, html)
        for href in re.findall(r'\shref="([^"]*)"', tag):
            assert SAFE_HREF.match(href), (href, html)
    assert_structurally_safe(html)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "{{" in p.values[0]])
def test_it_keeps_double_braces_literal(payload):
    assert "{{" in render_markdown(payload)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "{%" in p.values[0]])
def test_it_keeps_template_tags_literal(payload):
    assert "{%" in render_markdown(payload)


# --- property

MARKDOWN_PIECES = [
    *"<>[]()!*_`~#-+=|\"'&;:/\\. \n\t0123456789ab",
    "javascript:",
    "https://x.example",
    "mailto:a@b",
    "<script>",
    "<a href=",
    "onerror=",
    "hx-get=",
    "data-",
    "&#106;",
    "&lt;",
    "<!--",
    "-->",
    "```",
    "    ",
    "> ",
    "- ",
    "1. ",
]
MARKDOWNISH = st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=60).map("".join)


@given(st.one_of(st.text(max_size=200), MARKDOWNISH))
def test_it_only_emits_allowlisted_tags_and_attributes(text):
    assert_structurally_safe(render_markdown(text))
