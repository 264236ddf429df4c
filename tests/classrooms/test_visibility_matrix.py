"""Who may do what to an annotation, for every role × visibility × action. Every cell asserted."""

import pytest
from django.test import Client

from annotations.models import Annotation, Reply
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
ROLES = ["anonymous", "outsider", "student_a", "student_b", "teacher_a", "author"]
VISIBILITIES = ["private", "class", "public", "hidden"]
SEES = {
    "private": {"author"},
    "class": {"author", "student_a", "teacher_a"},
    "public": set(ROLES),
    "hidden": {"author", "teacher_a"},
}
MARKER = "Zebra-marker-note"


@pytest.fixture
def world():
    article = make_article(slug="matrix")
    class_a, class_b = Classroom.objects.create(name="A"), Classroom.objects.create(name="B")
    people = {role: make_user(role) for role in ROLES if role != "anonymous"}
    class_a.add_member(people["teacher_a"], Membership.Role.TEACHER)
    class_a.add_member(people["student_a"], Membership.Role.STUDENT)
    class_a.add_member(people["author"], Membership.Role.STUDENT)
    class_b.add_member(people["student_b"], Membership.Role.STUDENT)
    assignment = Assignment.objects.create(classroom=class_a, article=article)
    return article, class_a, people, assignment


def annotate(world, visibility):
    article, class_a, people, _ = world
    annotation = make_annotation(article, people["author"], note=MARKER)
    annotation.visibility = "class" if visibility == "hidden" else visibility
    annotation.classroom = None if visibility == "private" else class_a
    annotation.hidden = visibility == "hidden"
    annotation.save()
    return annotation


def client_for(world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(world[2][role])
    return client


CELLS = [(r, v) for r in ROLES for v in VISIBILITIES]


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_seeing_it_on_the_page_in_fragments_and_in_live_updates(world, role, visibility):
    annotation = annotate(world, visibility)
    client = client_for(world, role)
    sees = role in SEES[visibility]
    article = world[0]
    page = client.get(article.get_absolute_url()).content.decode()
    assert (MARKER in page) is sees
    assert (f'data-annotations="{annotation.pk}"' in page) is sees
    fragment = client.get(f"/annotations/{annotation.pk}/", headers=HTMX)
    thread = client.get(f"/annotations/{annotation.pk}/thread/", headers=HTMX)
    assert fragment.status_code == thread.status_code == (200 if sees else 404)
    assert MARKER not in fragment.content.decode() + thread.content.decode() or sees
    live = client.get(f"/articles/{article.slug}/updates/", {"v": -1}, headers=HTMX)
    assert (MARKER in live.content.decode()) is sees
    debate_map = client.get(f"/articles/{article.slug}/map/").content.decode()
    assert (f"/annotations/{annotation.pk}/" in debate_map) is sees


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_counting_it_in_the_margin_and_on_the_home_page(world, role, visibility):
    annotate(world, visibility)
    client = client_for(world, role)
    sees = role in SEES[visibility]
    page = client.get(world[0].get_absolute_url()).content.decode()
    assert ("1 claim<" in page) is sees
    assert ("0 claims<" in page) is not sees
    home = client.get("/").content.decode()
    assert ("1 highlight<" in home) is sees


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_replying(world, role, visibility):
    annotation = annotate(world, visibility)
    response = client_for(world, role).post(
        f"/annotations/{annotation.pk}/replies/", {"body": "A reply"}, headers=HTMX
    )
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in SEES[visibility] else 404)
    assert Reply.objects.exists() is (role != "anonymous" and role in SEES[visibility])


@pytest.mark.parametrize(("role", "visibility"), CELLS)
@pytest.mark.parametrize("action", ["edit", "delete"])
def test_editing_and_deleting_are_the_authors_alone(world, role, visibility, action):
    annotation = annotate(world, visibility)
    response = client_for(world, role).post(
        f"/annotations/{annotation.pk}/{action}/",
        {"label": "opinion", "note": "changed"},
        headers=HTMX,
    )
    expected = {"anonymous": 302, "author": 200}.get(role, 404)
    assert response.status_code == expected
    changed = not Annotation.objects.filter(pk=annotation.pk, label="claim", note=MARKER).exists()
    assert changed is (role == "author")
    assert MARKER not in response.content.decode() or role == "author"


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_hiding_is_for_the_classs_teachers(world, role, visibility):
    annotation = annotate(world, visibility)
    response = client_for(world, role).post(f"/annotations/{annotation.pk}/hide/", headers=HTMX)
    allowed = role == "teacher_a" and visibility != "private"
    assert response.status_code == (200 if allowed else 302 if role == "anonymous" else 404)
    annotation.refresh_from_db()
    assert annotation.hidden is ((visibility == "hidden") is not allowed)


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_flagging_reaches_the_teachers(world, role, visibility):
    annotation = annotate(world, visibility)
    response = client_for(world, role).post(
        f"/annotations/{annotation.pk}/flag/", {"reason": "Rude"}, headers=HTMX
    )
    sees = role in SEES[visibility]
    if role == "anonymous":
        assert response.status_code == 302
    elif not sees:
        assert response.status_code == 404
    elif role == "author" or visibility == "private":
        assert response.status_code == 422
    else:
        assert response.status_code == 200
    flagged = response.status_code == 200
    teacher = world[2]["teacher_a"]
    assert teacher.notifications.filter(kind="flag").exists() is flagged


@pytest.mark.parametrize(("role", "visibility"), CELLS)
def test_exporting_is_for_the_classs_teachers(world, role, visibility):
    annotate(world, visibility)
    assignment = world[3]
    response = client_for(world, role).get(f"/assignments/{assignment.pk}/annotations.csv")
    if role == "teacher_a":
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert (MARKER in body.decode()) is (visibility != "private")
    else:
        assert response.status_code in {302, 404} if role == "anonymous" else 404
        assert MARKER not in response.content.decode() if not response.streaming else True
