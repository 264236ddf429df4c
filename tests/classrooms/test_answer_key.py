import datetime

import pytest
from django.utils import timezone

from annotations.models import Annotation
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
TEXT = "Sanctions cost Russia growth. Exports fell by a third. Oil held up."


@pytest.fixture
def lesson():
    article = make_article(slug="key", blocks=[("paragraph", TEXT)])
    classroom = Classroom.objects.create(name="9B")
    teacher, sam, outsider = make_user("teacher"), make_user("sam"), make_user("outsider")
    classroom.add_member(teacher, Membership.Role.TEACHER)
    classroom.add_member(sam, Membership.Role.STUDENT)
    assignment = Assignment.objects.create(
        classroom=classroom, article=article, due=timezone.now() + datetime.timedelta(days=1)
    )
    return article, classroom, assignment, teacher, sam, outsider


def select(phrase, label, visibility):
    start = TEXT.index(phrase)
    return {
        "start_block": 1,
        "start_offset": start,
        "end_block": 1,
        "end_offset": start + len(phrase),
        "exact": phrase,
        "label": label,
        "visibility": visibility,
    }


def test_only_the_teacher_writes_the_key_and_only_after_the_due_date_the_class_sees_it(
    client, lesson
):
    article, classroom, assignment, teacher, sam, outsider = lesson
    url = f"/articles/key/annotations/?assignment={assignment.pk}"
    client.force_login(sam)
    refused = client.post(url, select("Exports fell by a third.", "evidence", "key"), headers=HTMX)
    assert refused.status_code == 422
    client.force_login(teacher)
    for phrase, label in [("Exports fell by a third.", "evidence"), ("Oil held up.", "claim")]:
        assert client.post(url, select(phrase, label, "key"), headers=HTMX).status_code == 200
    assert Annotation.objects.filter(visibility="key", assignment=assignment).count() == 2
    page = f"/articles/key/?assignment={assignment.pk}"
    assert "Answer key" in client.get(page).content.decode()  # the teacher sees it

    # Sam labels before the due date and sees no key.
    sam_ann = make_annotation(
        article,
        sam,
        block=1,
        start=TEXT.index("Exports"),
        end=TEXT.index("Oil") - 1,
        label="evidence",
    )
    sam_ann.visibility, sam_ann.classroom = "class", classroom
    sam_ann.save()
    other = make_annotation(
        article, sam, block=1, start=TEXT.index("Oil"), end=len(TEXT), label="opinion"
    )
    other.visibility, other.classroom = "class", classroom
    other.save()
    client.force_login(sam)
    before = client.get(page).content.decode()
    assert 'data-kind="key"' not in before and "Answer key" not in before

    assignment.due = timezone.now() - datetime.timedelta(minutes=1)
    assignment.save()
    after = client.get(page).content.decode()
    assert "visibility-badge--key" in after
    assert "you labelled 2 of the teacher’s 2 key passages; 1 matched" in after
    assert "(50%)" in after
    client.force_login(outsider)
    assert "visibility-badge--key" not in client.get("/articles/key/").content.decode()
