"""Plain helpers that make rows for tests."""

import itertools

from django.contrib.auth.models import User

from annotations.models import Annotation
from articles.models import Article

_seq = itertools.count(1)
# One password for every test user; never a real credential.
PASSWORD = "a-long-test-password"

PARAGRAPHS = [
    "The Kremlin’s offer is simple — and, some say, a trap.",
    "Sanctions cost Russia 2.1 per cent of growth in 2023. Exports fell by a third.",
    "Critics argue the deal “rewards aggression”. Supporters call it realism.",
]


def make_user(username: str | None = None, password: str = PASSWORD, **fields) -> User:
    username = username or f"reader{next(_seq)}"
    return User.objects.create_user(username=username, password=password, **fields)


def make_article(
    title: str | None = None, blocks=None, status=Article.Status.PUBLISHED, **fields
) -> Article:
    n = next(_seq)
    title = title or f"Article {n}"
    article = Article.objects.create(
        title=title,
        slug=fields.pop("slug", f"article-{n}"),
        status=status,
        standfirst=fields.pop("standfirst", "A standfirst."),
        **fields,
    )
    if blocks is None:
        blocks = [("heading", "A heading"), *(("paragraph", p) for p in PARAGRAPHS)]
    article.replace_blocks(list(blocks))
    return article


def make_annotation(
    article: Article,
    author: User,
    block: int = 2,
    start: int = 0,
    end: int = 10,
    end_block: int | None = None,
    label: str = "claim",
    note: str = "",
) -> Annotation:
    """An annotation on block positions (1-based) with code point offsets."""
    blocks = {b.position: b for b in article.blocks.all()}
    first, last = blocks[block], blocks[end_block or block]
    if first == last:
        exact = first.text[start:end]
    else:
        middle = [blocks[p].text for p in range(first.position + 1, last.position)]
        exact = "\n".join([first.text[start:], *middle, last.text[:end]])
    return Annotation.objects.create(
        article=article,
        author=author,
        start_block=first,
        start_offset=start,
        end_block=last,
        end_offset=end,
        exact=exact,
        label=label,
        note=note,
    )
