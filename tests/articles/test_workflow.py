import pytest

from articles.models import Article
from classrooms.forms import AssignmentForm
from classrooms.models import Classroom
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db


def test_archived_articles_leave_the_home_page_but_stay_readable_for_their_annotators(client):
    article = make_article("Old debate", slug="old")
    reader = make_user("reader")
    make_annotation(article, reader, note="My old note")
    article.status = Article.Status.ARCHIVED
    article.save()
    assert "Old debate" not in client.get("/").content.decode()
    assert client.get("/articles/old/").status_code == 404
    client.force_login(make_user("stranger"))
    assert client.get("/articles/old/").status_code == 404
    client.force_login(reader)
    page = client.get("/articles/old/")
    assert page.status_code == 200
    assert "My old note" in page.content.decode()
    assert "Old debate" not in client.get("/").content.decode()


def test_archived_and_draft_articles_cannot_be_assigned():
    make_article("Live", slug="live")
    make_article("Gone", slug="gone", status=Article.Status.ARCHIVED)
    make_article("Soon", slug="soon", status=Article.Status.DRAFT)
    form = AssignmentForm(classroom=Classroom.objects.create(name="9B"))
    titles = [a.title for a in form.fields["article"].queryset]
    assert titles == ["Live"]


def test_curators_preview_drafts_exactly_as_readers_will_see_them(client):
    draft = make_article("Coming soon", slug="soon", status=Article.Status.DRAFT)
    client.force_login(make_user("curator", is_staff=True, is_superuser=True))
    page = client.get(draft.get_absolute_url())
    assert page.status_code == 200
    assert "Draft preview" in page.content.decode()
    client.force_login(make_user("reader"))
    assert client.get(draft.get_absolute_url()).status_code == 404
