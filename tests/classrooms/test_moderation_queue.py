import pytest

from classrooms.models import Flag, ModerationAction
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def flagged(client):
    article = make_article(slug="pub")
    annotation = make_annotation(article, make_user("author"), note="Something rude")
    client.force_login(make_user("reporter"))
    client.post(f"/annotations/{annotation.pk}/flag/", {"reason": "Insulting"}, headers=HTMX)
    return annotation


def test_curators_hide_flagged_public_content_and_the_log_says_so(client, flagged):
    curator = make_user("curator", is_staff=True, is_superuser=True)
    client.force_login(curator)
    queue = client.get("/moderation/").content.decode()
    assert "Insulting" in queue and "Something rude" in queue
    flag = Flag.objects.get()
    client.post(f"/moderation/flags/{flag.pk}/", {"action": "hide"})
    flagged.refresh_from_db()
    assert flagged.hidden
    assert ModerationAction.objects.get().action == "hide"
    # Hidden for everyone but its author and moderators.
    article_url = flagged.article.get_absolute_url()
    assert "Something rude" in client.get(article_url).content.decode()
    client.force_login(make_user("someone"))
    assert "Something rude" not in client.get(article_url).content.decode()
    client.logout()
    assert "Something rude" not in client.get(article_url).content.decode()
    client.force_login(flagged.author)
    assert "Something rude" in client.get(article_url).content.decode()


def test_dismissing_closes_the_flag_without_hiding(client, flagged):
    client.force_login(make_user("curator", is_staff=True, is_superuser=True))
    client.post(f"/moderation/flags/{Flag.objects.get().pk}/", {"action": "dismiss"})
    flagged.refresh_from_db()
    assert not flagged.hidden
    assert Flag.objects.get().handled is not None
    assert "Insulting" not in client.get("/moderation/").content.decode()


def test_readers_cannot_reach_the_queue(client, flagged):
    client.force_login(make_user("reader"))
    assert client.get("/moderation/").status_code == 404
    assert (
        client.post(f"/moderation/flags/{Flag.objects.get().pk}/", {"action": "hide"}).status_code
        == 404
    )
    flagged.refresh_from_db()
    assert not flagged.hidden
