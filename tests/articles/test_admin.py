import pytest

from articles.models import Article
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    user = make_user("curator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_it_lists_articles_with_status_filter_and_title_search(client, curator):
    make_article("Sanctions explained", slug="sanctions")
    make_article("A draft on minerals", slug="minerals", status=Article.Status.DRAFT)
    listing = client.get("/admin/articles/article/?status__exact=draft").content.decode()
    assert "A draft on minerals" in listing and "Sanctions explained" not in listing
    found = client.get("/admin/articles/article/?q=sanctions").content.decode()
    assert "Sanctions explained" in found and "A draft on minerals" not in found


def test_it_shows_blocks_as_ordered_inlines(client, curator):
    article = make_article(blocks=[("heading", "First"), ("paragraph", "Second")])
    html = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert html.index("First</textarea>") < html.index("Second</textarea>")


def test_publishing_from_the_admin_puts_the_article_on_the_site(client, curator):
    from django.test import Client

    reader = Client()
    draft = make_article("Soon to be read", slug="soon", status=Article.Status.DRAFT)
    assert reader.get(draft.get_absolute_url()).status_code == 404
    client.post("/admin/articles/article/", {"action": "publish", "_selected_action": [draft.pk]})
    assert reader.get(draft.get_absolute_url()).status_code == 200
    client.post("/admin/articles/article/", {"action": "unpublish", "_selected_action": [draft.pk]})
    assert reader.get(draft.get_absolute_url()).status_code == 404


def test_readers_cannot_reach_the_admin(client):
    client.force_login(make_user("student"))
    response = client.get("/admin/articles/article/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
