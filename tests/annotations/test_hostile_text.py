"""Every text field a user fills, fed the XSS corpus, renders inert on the pages that show it."""

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from annotations.models import EvidenceLink
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
PAYLOADS = [
    line
    for line in (Path(__file__).resolve().parents[1] / "xss_payloads.txt")
    .read_text(encoding="utf-8")
    .split("\n")
    if line and not line.startswith("#")
]
# What Markdown may add to a page, and nothing else.
MARKDOWN_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "del",
    "s",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shapes: Counter = Counter()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.shapes[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


def shapes(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def build(text_for, prefix):
    """One article whose every user-written field holds text_for(n)."""
    article = make_article(
        slug="hostile",
        blocks=[
            ("heading", text_for(0)),
            *[("paragraph", f"Para {n}: " + text_for(n)) for n in range(3)],
        ],
    )
    reader = make_user(f"{prefix}-reader")
    for n in range(len(PAYLOADS)):
        author = make_user(f"{prefix}-writer{n}", first_name=text_for(n)[:150])
        claim = make_annotation(article, author, block=2, start=0, end=4, note=text_for(n))
        evidence = make_annotation(
            article, author, block=3, start=0, end=4, label="evidence", note=text_for(n)
        )
        EvidenceLink.objects.create(
            evidence=evidence,
            claim=claim,
            relation="supports",
            justification=text_for(n)[:200],
            author=author,
        )
        claim.reply(
            make_user(f"{prefix}-replier{n}", first_name=text_for(n)[:150]), text_for(n), "question"
        )
    return article, reader


def page_and_threads(client, article, reader):
    client.force_login(reader)
    html = client.get(article.get_absolute_url()).content.decode()
    html += client.get(f"/articles/{article.slug}/map/").content.decode()
    for claim in article.annotations.filter(label="claim"):
        html += client.get(
            f"/annotations/{claim.pk}/thread/", headers={"HX-Request": "true"}
        ).content.decode()
    return html


def test_the_xss_corpus_renders_inert_in_every_user_field(client):
    assert len(PAYLOADS) >= 60
    article, reader = build(lambda n: f"Benign words *{n}*", "benign")
    baseline = shapes(page_and_threads(client, article, reader))
    article.delete()

    hostile_article, reader = build(lambda n: PAYLOADS[n % len(PAYLOADS)], "hostile")
    hostile = shapes(page_and_threads(client, hostile_article, reader))

    new_shapes = set(hostile.shapes) - set(baseline.shapes)
    for tag, attrs in new_shapes:
        assert tag in MARKDOWN_TAGS, (tag, attrs)
        assert set(attrs) <= ({"href", "title", "rel"} if tag == "a" else set()), (tag, attrs)
    # Our own scripts, and not one more.
    scripts = {shape: n for shape, n in hostile.shapes.items() if shape[0] == "script"}
    assert scripts == {s: n for s, n in baseline.shapes.items() if s[0] == "script"}
    for href in hostile.hrefs:
        lowered = "".join(href.split()).lower()
        assert not lowered.startswith(("javascript:", "data:", "vbscript:")), href
