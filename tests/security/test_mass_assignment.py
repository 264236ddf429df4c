"""Fields a user does not control, posted anyway, change nothing: only the form's own do."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from annotations.models import Annotation, EvidenceLink, Reply
from classrooms.models import Assignment, Classroom, Flag, Membership

from .permission_table import (
    AUTHOR,
    OUTSIDER,
    STUDENT,
    TABLE,
    TEACHER,
    changed_tables,
    snapshot,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def client_as(world, role: str) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def hostile(world) -> dict:
    """Everything a crafted form could add: others' ids, moderation state, privileges.

    Not `assignment`: it says which assignment the reader is reading in, a choice of theirs
    that reading_scope checks against their classes (tested below with another class's).
    """
    return {
        "author": world.user(TEACHER).pk,
        "author_id": world.user(TEACHER).pk,
        "reporter": world.user(TEACHER).pk,
        "classroom": world.other_class.pk,
        "classroom_id": world.other_class.pk,
        "article": world.draft.pk,
        "article_id": world.draft.pk,
        "annotation": world.public.pk,
        "evidence": world.public.pk,
        "hidden": "on",
        "resolved": "on",
        "deleted": "on",
        "edited": "on",
        "approximate": "on",
        "handled": "2020-01-01T00:00",
        "answered_by": world.answer.pk,
        "status": "draft",
        "role": "teacher",
        "is_staff": "on",
        "is_superuser": "on",
        "join_code": "AAAAAAAA",
        "activity": "999",
        "created": "2000-01-01T00:00",
        "id": "1",
        "pk": "1",
    }


def new_rows(model, before_ids):
    return list(model.objects.exclude(pk__in=before_ids))


def test_it_creates_a_highlight_with_only_the_selection_label_note_and_audience(world):
    data = {**hostile(world), **TABLE["annotations:create"].data(world)}
    before = set(Annotation.objects.values_list("pk", flat=True))
    response = client_as(world, STUDENT).post(f"/articles/{world.article.slug}/annotations/", data)
    assert response.status_code == 302
    [created] = new_rows(Annotation, before)
    assert created.author == world.user(STUDENT)
    assert created.article == world.article
    assert (created.classroom_id, created.assignment_id) == (None, None)
    assert (created.visibility, created.hidden, created.resolved) == ("public", False, False)
    assert created.exact == world.article.blocks.get(position=3).text[:8]


@pytest.mark.parametrize(
    "visibility",
    ["key", "class:{other_class}", "class:{classroom}x", "private:{classroom}", "hidden"],
)
def test_it_refuses_an_audience_the_student_may_not_choose(world, visibility):
    chosen = visibility.format(classroom=world.classroom.pk, other_class=world.other_class.pk)
    data = {**TABLE["annotations:create"].data(world), "visibility": chosen}
    before = snapshot()
    # Even inside the assignment, a student writes no answer key.
    url = f"/articles/{world.article.slug}/annotations/?assignment={world.assignment.pk}"
    response = client_as(world, STUDENT).post(url, data, headers=HTMX)
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []


def test_it_ignores_an_assignment_of_another_class(world):
    other = Assignment.objects.create(classroom=world.other_class, article=world.article)
    data = {
        "first_sentence": 1,
        "last_sentence": 1,
        "label": "claim",
        "visibility": "public",
        **{k: v for k, v in hostile(world).items() if k != "assignment"},
        "assignment": other.pk,
    }
    before = set(Annotation.objects.values_list("pk", flat=True))
    url = f"/articles/{world.article.slug}/p/3/annotate/"
    response = client_as(world, OUTSIDER).post(url, data)
    assert response.status_code == 302
    [created] = new_rows(Annotation, before)
    assert created.author == world.user(OUTSIDER)
    assert (created.classroom_id, created.assignment_id, created.hidden) == (None, None, False)


def test_it_cannot_annotate_a_draft_by_naming_it(world):
    before = snapshot()
    data = TABLE["annotations:create"].data(world)
    response = client_as(world, STUDENT).post(f"/articles/{world.draft.slug}/annotations/", data)
    assert response.status_code == 404
    assert changed_tables(before, snapshot()) == []


def test_it_does_not_answer_with_someone_elses_submission_key(world):
    key = uuid.uuid4()
    Annotation.objects.filter(pk=world.annotation.pk).update(submission_key=key)
    data = {**TABLE["annotations:create"].data(world), "submission_key": str(key)}
    before = set(Annotation.objects.values_list("pk", flat=True))
    response = client_as(world, STUDENT).post(f"/articles/{world.article.slug}/annotations/", data)
    assert response.status_code == 302
    [created] = new_rows(Annotation, before)
    assert created.author == world.user(STUDENT)
    assert f"annotation-{world.annotation.pk}" not in response["Location"]


def test_it_edits_only_the_label_and_note(world):
    annotation = world.annotation
    fields = ["start_offset", "end_offset", "exact", "prefix", "suffix", "visibility"]
    kept = {f: getattr(annotation, f) for f in [*fields, "start_block_id", "classroom_id"]}
    data = {
        **hostile(world),
        "label": "evidence",
        "note": "Only this changes.",
        "start_offset": 0,
        "end_offset": 50,
        "exact": "Somebody else’s words",
        "prefix": "x",
        "suffix": "y",
        "start_block": world.claim.start_block_id,
        "visibility": "public",
    }
    response = client_as(world, AUTHOR).post(f"/annotations/{annotation.pk}/edit/", data)
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert (annotation.label, annotation.note) == ("evidence", "Only this changes.")
    assert {f: getattr(annotation, f) for f in kept} == kept
    assert (annotation.author, annotation.article) == (world.user(AUTHOR), world.article)
    assert (annotation.hidden, annotation.resolved, annotation.assignment_id) == (
        False,
        False,
        None,
    )


def test_it_posts_a_reply_in_the_thread_it_was_posted_to_and_nowhere_else(world):
    data = {**hostile(world), "body": "Mine.", "stance": "agree"}
    before = set(Reply.objects.values_list("pk", flat=True))
    response = client_as(world, STUDENT).post(f"/annotations/{world.annotation.pk}/replies/", data)
    assert response.status_code == 302
    [created] = new_rows(Reply, before)
    assert (created.annotation, created.author) == (world.annotation, world.user(STUDENT))
    assert (created.hidden, created.deleted, created.edited) == (False, False, False)
    assert created.answered_by_id is None and created.parent_id is None


def test_it_refuses_a_parent_from_another_thread(world):
    other = world.public.reply(world.user(TEACHER), "Elsewhere.")
    before = snapshot()
    response = client_as(world, STUDENT).post(
        f"/annotations/{world.annotation.pk}/replies/",
        {"body": "Grafted.", "parent": other.pk},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []


def test_it_edits_only_a_replys_body(world):
    reply = world.reply
    data = {**hostile(world), "body": "New words.", "stance": "agree"}
    response = client_as(world, AUTHOR).post(f"/replies/{reply.pk}/edit/", data)
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.body, reply.stance, reply.edited) == ("New words.", "question", True)
    assert (reply.annotation, reply.author) == (world.annotation, world.user(AUTHOR))
    assert (reply.hidden, reply.deleted, reply.answered_by_id) == (False, False, None)


def test_it_links_the_evidence_in_the_url_as_its_author(world):
    data = {**hostile(world), "claim": world.other_claim.pk, "relation": "qualifies"}
    before = set(EvidenceLink.objects.values_list("pk", flat=True))
    response = client_as(world, AUTHOR).post(f"/annotations/{world.evidence.pk}/link/", data)
    assert response.status_code == 302
    [link] = new_rows(EvidenceLink, before)
    assert (link.evidence, link.claim, link.author) == (
        world.evidence,
        world.other_claim,
        world.user(AUTHOR),
    )


def test_it_refuses_to_link_to_a_claim_the_author_cannot_see(world):
    hidden_claim = world.annotation  # class-only: the outsider's evidence cannot reach it
    evidence = Annotation.objects.create(
        article=world.article,
        author=world.user(OUTSIDER),
        start_block=world.evidence.start_block,
        start_offset=0,
        end_block=world.evidence.start_block,
        end_offset=5,
        exact=world.evidence.start_block.text[:5],
        label="evidence",
    )
    Annotation.objects.filter(pk=hidden_claim.pk).update(label="claim")
    before = snapshot()
    response = client_as(world, OUTSIDER).post(
        f"/annotations/{evidence.pk}/link/", {"claim": hidden_claim.pk, "relation": "supports"}
    )
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []


def test_it_creates_a_class_with_its_own_join_code_and_the_creator_as_teacher(world):
    data = {**hostile(world), "name": "Mine", "anonymous_students": "on"}
    response = client_as(world, OUTSIDER).post("/classes/new/", data)
    assert response.status_code == 302
    created = Classroom.objects.get(name="Mine")
    assert created.join_code != "AAAAAAAA"
    assert list(created.memberships.values_list("user", "role")) == [
        (world.user(OUTSIDER).pk, "teacher")
    ]


def test_it_saves_only_name_and_anonymity_in_class_settings(world):
    classroom = world.classroom
    data = {**hostile(world), "name": "Renamed"}
    response = client_as(world, TEACHER).post(f"/classes/{classroom.pk}/settings/", data)
    assert response.status_code == 302
    classroom.refresh_from_db()
    assert (classroom.name, classroom.join_code) == ("Renamed", world.classroom.join_code)
    assert classroom.memberships.count() == 3


def test_it_assigns_to_the_class_in_the_url_only(world):
    data = {**hostile(world), "article": world.other_article.pk, "classroom": world.other_class.pk}
    data.update({"reveal_after": 0, "min_annotations": 1, "min_replies": 0})
    response = client_as(world, TEACHER).post(
        f"/classes/{world.classroom.pk}/assignments/new/", data
    )
    assert response.status_code == 302
    created = Assignment.objects.get(article=world.other_article)
    assert created.classroom == world.classroom
    assert not world.other_class.assignments.exists()


def test_it_refuses_to_assign_a_draft(world):
    before = snapshot()
    response = client_as(world, TEACHER).post(
        f"/classes/{world.classroom.pk}/assignments/new/", {"article": world.draft.pk}
    )
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []


def test_it_joins_as_a_student_whatever_role_is_posted(world):
    data = {**hostile(world), "code": world.classroom.join_code}
    response = client_as(world, OUTSIDER).post("/classes/join/", data)
    assert response.status_code == 302
    membership = Membership.objects.get(classroom=world.classroom, user=world.user(OUTSIDER))
    assert membership.role == "student"


def test_it_flags_as_the_reporter_and_leaves_moderation_to_teachers(world):
    data = {**hostile(world), "reason": "Off topic."}
    response = client_as(world, STUDENT).post(f"/replies/{world.reply.pk}/flag/", data)
    assert response.status_code == 302
    flag = Flag.objects.get(reply=world.reply)
    assert (flag.reporter, flag.annotation, flag.handled) == (
        world.user(STUDENT),
        world.annotation,
        None,
    )
    world.reply.refresh_from_db()
    assert world.reply.hidden is False


def test_it_signs_up_a_reader_not_a_curator():
    data = {
        "username": "climber",
        "display_name": "Climber",
        "password1": "a-long-test-password",
        "password2": "a-long-test-password",
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "",
        "groups": "1",
        "user_permissions": "1",
        "first_name": "Overridden",
        "last_name": "Set",
        "email": "x@example.com",
    }
    response = Client().post("/accounts/signup/", data)
    assert response.status_code == 302
    user = User.objects.get(username="climber")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert (user.first_name, user.last_name, user.email) == ("Climber", "", "")
    assert not user.groups.exists() and not user.user_permissions.exists()


def test_it_opens_a_class_discussion_with_the_dashboards_note_and_audience(world):
    from classrooms.dashboard import DISCUSSION_NOTE

    start, end = world.sentence
    data = {**hostile(world), "block": 3, "start": start, "end": end, "label": "opinion"}
    data.update({"note": "Posted note", "visibility": "public"})
    before = set(Annotation.objects.values_list("pk", flat=True))
    response = client_as(world, TEACHER).post(f"/assignments/{world.assignment.pk}/discuss/", data)
    assert response.status_code == 302
    [created] = new_rows(Annotation, before)
    assert (created.note, created.visibility, created.classroom) == (
        DISCUSSION_NOTE,
        "class",
        world.classroom,
    )
    assert (created.author, created.label) == (world.user(TEACHER), "claim")
