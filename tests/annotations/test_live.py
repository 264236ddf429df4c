import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.views import LIVE_SECONDS
from articles.models import Article
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def article():
    return make_article(slug="live")


def updates(client, article, version):
    return client.get(f"/articles/{article.slug}/updates/", {"v": version}, headers=HTMX)


def test_it_answers_no_content_while_nothing_changed(client, article):
    version = Article.objects.get(pk=article.pk).activity
    client.force_login(make_user())
    with CaptureQueriesContext(connection) as ctx:
        response = updates(client, article, version)
    assert response.status_code == 204
    assert response.content == b""
    # The published article's row only: not the session, not the user (they matter for
    # archived articles alone), nothing that grows with the annotations.
    assert len(ctx.captured_queries) == 1


def test_every_kind_of_change_moves_the_version(article):
    author = make_user()
    versions = [Article.objects.get(pk=article.pk).activity]

    def moved():
        versions.append(Article.objects.get(pk=article.pk).activity)
        return versions[-1] > versions[-2]

    claim = make_annotation(article, author)
    reply = claim.reply(make_user(), "A reply", "agree")
    assert moved()
    reply.edit("Edited")
    assert moved()
    claim.set_resolved(True)
    assert moved()
    reply.remove()
    assert moved()


def test_it_sends_fresh_highlights_and_threads_when_something_changed(client, article):
    old = Article.objects.get(pk=article.pk).activity
    claim = make_annotation(article, make_user("writer", first_name="Wri"), note="Fresh note")
    claim.reply(make_user("replier", first_name="Rep"), "Fresh reply", "disagree")
    client.force_login(make_user())
    response = client.get(
        f"/articles/{article.slug}/updates/", {"v": old, "open_threads": [claim.pk]}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="margin-body" class="margin__body" hx-swap-oob="true"' in html
    assert "Fresh note" in html
    assert "Fresh reply" in html  # the open thread comes back open, with the new reply
    assert "1 disagree" in html
    assert f"?v={Article.objects.get(pk=article.pk).activity}" in html  # the poll moves on
    assert "hx-preserve" in html  # and a draft in a reply box survives the swap


def test_it_404s_for_a_draft(client):
    draft = make_article(slug="draft", status=Article.Status.DRAFT)
    assert updates(client, draft, 0).status_code == 404


def test_polls_within_a_second_share_one_read_and_a_write_here_shows_at_once(client, article):
    client.force_login(make_user())
    version = Article.objects.get(pk=article.pk).activity
    assert updates(client, article, version).status_code == 204
    with CaptureQueriesContext(connection) as ctx:
        assert updates(client, article, version).status_code == 204
    assert len(ctx.captured_queries) == 0  # the version this process read a moment ago
    # A write through this process forgets it: the next poll has the news.
    make_annotation(article, make_user(), note="Just written").reply(make_user(), "Yes", "agree")
    response = updates(client, article, version)
    assert response.status_code == 200 and "Just written" in response.content.decode()


def test_a_page_that_knows_a_newer_version_asks_the_database(client, article):
    client.force_login(make_user())
    version = Article.objects.get(pk=article.pk).activity
    assert updates(client, article, version).status_code == 204
    # Another process wrote (no touch() here) and this page already knows the new version
    # (its own write's response carried it): it must not be told about its own news again.
    Article.objects.filter(pk=article.pk).update(activity=version + 1)
    assert updates(client, article, version + 1).status_code == 204


def test_news_from_another_process_arrives_within_a_second(client, article):
    client.force_login(make_user())
    version = Article.objects.get(pk=article.pk).activity
    assert updates(client, article, version).status_code == 204
    make_annotation(article, make_user(), note="From elsewhere")
    Article.objects.filter(pk=article.pk).update(activity=version + 2)  # another process
    caches["versions"].set(article.slug, version, LIVE_SECONDS)  # as this one remembers it
    assert updates(client, article, version).status_code == 204  # within the second
    time.sleep(LIVE_SECONDS + 0.1)
    response = updates(client, article, version)
    assert response.status_code == 200 and "From elsewhere" in response.content.decode()
