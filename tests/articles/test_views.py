import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db


def test_it_lists_published_articles_on_the_home_page(client):
    make_article("A published piece", standfirst="Why it matters.")
    make_article("A draft piece", status=Article.Status.DRAFT)
    html = client.get("/").content.decode()
    assert "A published piece" in html
    assert "Why it matters." in html
    assert "A draft piece" not in html
    assert "1 min read" in html


def test_it_hides_drafts_with_a_404(client):
    draft = make_article("Secret draft", status=Article.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_it_renders_numbered_blocks_with_headings_and_paragraphs(client):
    article = make_article(
        blocks=[
            ("heading", "Context"),
            ("paragraph", "First <b>para</b>."),
            ("paragraph", "Second para."),
        ]
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<h1 id="article-title" class="article-title">' in html
    assert 'id="p-1"' in html and 'id="p-2"' in html and 'id="p-3"' in html
    assert '<h2 class="block-text" data-block-text>Context</h2>' in html
    # User-visible text is escaped, never interpreted.
    assert "First &lt;b&gt;para&lt;/b&gt;." in html
    assert html.index("Context") < html.index("First &lt;b&gt;") < html.index("Second para.")


def test_it_shows_the_byline_source_and_partial_date(client):
    article = make_article(
        author="Ana Author", source_name="nap.ba", published_month=2, published_day=27
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Ana Author" in html
    assert "nap.ba" in html
    assert "27 Feb" in html


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_reads_the_home_page_in_a_constant_number_of_queries(client):
    make_article()
    one = queries_for(client, "/")
    for _ in range(5):
        make_article()
    assert queries_for(client, "/") == one == 1


def test_it_reads_an_article_page_in_a_constant_number_of_queries(client):
    article = make_article()
    reader = make_user()
    client.force_login(reader)
    make_annotation(article, reader)
    one = queries_for(client, article.get_absolute_url())
    other = make_user()
    for i in range(499):
        make_annotation(
            article,
            other if i % 2 else reader,
            block=2 + i % 3,
            start=i % 5,
            end=6 + i % 5,
            label=["claim", "evidence", "opinion"][i % 3],
        )
    assert queries_for(client, article.get_absolute_url()) == one
    # session, user, article, blocks, every highlight (text, counts, stubs), the cards in full
    # (authors, blocks and thread counts joined), evidence links of claims, claim links of
    # evidence, unread notifications, my classes
    assert one == 10
