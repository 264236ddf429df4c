import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, EvidenceLink, HelpfulVote
from classrooms.dashboard import DISCUSSION_NOTE
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db

# Sentences: "Cats purr." 0–10, "Dogs bark." 11–21, "Birds sing." 22–33.
P2 = "Cats purr. Dogs bark. Birds sing."
# "Rain falls." 0–11, "Snow melts." 12–23.
P3 = "Rain falls. Snow melts."
CATS, DOGS, BIRDS = (0, 10), (11, 21), (22, 33)
RAIN, SNOW = (0, 11), (12, 23)


def make_class(teacher, *students, name="9B English"):
    classroom = Classroom.objects.create(name=name)
    classroom.add_member(teacher, Membership.Role.TEACHER)
    for student in students:
        classroom.add_member(student, Membership.Role.STUDENT)
    return classroom


def work(article, author, classroom, block, span, label="claim", visibility="class", **fields):
    """A highlight written in a class (or, with visibility="private", a private note)."""
    annotation = make_annotation(
        article, author, block=block, start=span[0], end=span[1], label=label, **fields
    )
    annotation.visibility = visibility
    annotation.classroom = None if visibility == "private" else classroom
    annotation.save()
    return annotation


def dashboard_url(assignment, what=""):
    return f"/assignments/{assignment.pk}/{what or 'dashboard/'}"


@pytest.fixture
def article():
    return make_article(
        "The offer",
        slug="the-article",
        blocks=[("heading", "Putin’s position"), ("paragraph", P2), ("paragraph", P3)],
    )


@pytest.fixture
def people():
    return {
        "teacher": make_user("reed", first_name="Ms Reed"),
        "ann": make_user("ann", first_name="Ann Archer"),
        "bob": make_user("bob", first_name="Bob Bell"),
        "cat": make_user("cat", first_name="Cat Cole"),
    }


@pytest.fixture
def assignment(article, people):
    classroom = make_class(people["teacher"], people["ann"], people["bob"], people["cat"])
    return Assignment.objects.create(
        classroom=classroom,
        article=article,
        instructions="Label three passages.",
        min_annotations=2,
        min_replies=1,
    )


@pytest.fixture
def class_work(assignment, article, people):
    """Ann is done, Bob has started, Cat has not."""
    classroom, ann, bob, cat = (
        assignment.classroom,
        people["ann"],
        people["bob"],
        people["cat"],
    )
    ann_claim = work(article, ann, classroom, 2, CATS, "claim")
    ann_evidence = work(article, ann, classroom, 2, DOGS, "evidence", visibility="public")
    hidden = work(article, ann, classroom, 3, RAIN, "opinion")
    hidden.hidden = True
    hidden.save()
    bob_opinion = work(article, bob, classroom, 2, CATS, "opinion")
    ann_reply = bob_opinion.reply(ann, "Not an opinion: it is a claim.", "disagree")
    bob_reply = ann_claim.reply(bob, "Fair.", "agree")
    gone = ann_claim.reply(bob, "Never mind.")
    gone.deleted = True
    gone.save()
    EvidenceLink.objects.create(
        evidence=ann_evidence, claim=ann_claim, relation="supports", author=ann
    )
    HelpfulVote.objects.create(voter=bob, annotation=ann_claim)
    HelpfulVote.objects.create(voter=cat, annotation=ann_claim)
    HelpfulVote.objects.create(voter=people["teacher"], reply=bob_reply)
    return {"ann_claim": ann_claim, "ann_reply": ann_reply, "bob_opinion": bob_opinion}


@pytest.fixture
def teacher_client(client, people):
    client.force_login(people["teacher"])
    return client


def counts(response):
    return {
        row.user.username: (
            row.claims,
            row.evidence,
            row.opinions,
            row.replies,
            row.links,
            row.helpful,
            row.status,
        )
        for row in response.context["rows"]
    }


def test_it_counts_each_students_work(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment))
    assert response.status_code == 200
    assert counts(response) == {
        "ann": (1, 1, 1, 1, 1, 2, "done"),
        "bob": (0, 0, 1, 1, 0, 1, "in progress"),
        "cat": (0, 0, 0, 0, 0, 0, "not started"),
    }
    rows = {row.user.username: row for row in response.context["rows"]}
    assert rows["ann"].last_activity == EvidenceLink.objects.get().created
    assert rows["ann"].hidden == 1
    assert rows["cat"].last_activity is None
    html = response.content.decode()
    assert "Ann Archer" in html and "Bob Bell" in html and "Cat Cole" in html
    assert "Label three passages." in html
    assert "1 hidden" in html


def test_it_links_each_row_to_the_students_work_in_context(
    teacher_client, assignment, class_work, people
):
    html = teacher_client.get(dashboard_url(assignment)).content.decode()
    for name in ("ann", "bob", "cat"):
        url = f"/articles/the-article/?assignment={assignment.pk}&amp;author={people[name].pk}"
        assert f'href="{url}"' in html


def test_it_sorts_by_name_by_default(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment))
    assert [r.user.username for r in response.context["rows"]] == ["ann", "bob", "cat"]
    html = response.content.decode()
    assert 'class="progress__name" aria-sort="ascending"' in html
    assert 'href="?sort=name&amp;dir=desc"' in html  # the active column's link flips it


def test_it_sorts_by_a_column_both_ways(teacher_client, assignment, class_work):
    def order(query):
        response = teacher_client.get(dashboard_url(assignment) + query)
        return [r.user.username for r in response.context["rows"]], response.content.decode()

    names, html = order("?sort=helpful&dir=desc")
    assert names == ["ann", "bob", "cat"]
    assert 'class="progress__helpful" aria-sort="descending"' in html
    assert 'href="?sort=helpful&amp;dir=asc"' in html
    assert 'class="progress__name">' in html  # other columns carry no aria-sort

    names, html = order("?sort=helpful&dir=asc")
    assert names == ["cat", "bob", "ann"]
    assert 'class="progress__helpful" aria-sort="ascending"' in html

    # Ties go by name, A→Z, in either direction.
    assert order("?sort=claims&dir=asc")[0] == ["bob", "cat", "ann"]
    assert order("?sort=claims&dir=desc")[0] == ["ann", "bob", "cat"]
    assert order("?sort=status&dir=asc")[0] == ["cat", "bob", "ann"]
    assert order("?sort=activity&dir=desc")[0][-1] == "cat"
    assert order("?sort=name&dir=desc")[0] == ["cat", "bob", "ann"]


def test_it_ignores_an_unknown_sort(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment) + "?sort=password&dir=sideways")
    assert [r.user.username for r in response.context["rows"]] == ["ann", "bob", "cat"]


def test_it_never_counts_private_notes_or_another_classs_work(
    teacher_client, assignment, article, people
):
    ann = people["ann"]
    work(article, ann, None, 2, CATS, "claim", visibility="private", note="My secret note")
    other = make_class(make_user("other_teacher"), ann, name="10C History")
    Assignment.objects.create(classroom=other, article=article)
    work(article, ann, other, 2, DOGS, "evidence", note="Written for 10C")
    work(make_article(), ann, assignment.classroom, 2, CATS, note="Another article")
    # Someone outside the class who set the class on a public highlight is not its work.
    work(article, make_user("stranger"), assignment.classroom, 2, BIRDS, visibility="public")

    response = teacher_client.get(dashboard_url(assignment))
    assert counts(response)["ann"] == (0, 0, 0, 0, 0, 0, "not started")
    assert response.context["counts"]["highlights"] == 0
    export = teacher_client.get(dashboard_url(assignment, "annotations.csv")).content.decode()
    assert "My secret note" not in export
    assert "Written for 10C" not in export
    assert "Another article" not in export
    assert len(list(csv.reader(io.StringIO(export)))) == 1  # the header alone


def test_it_never_counts_the_answer_key(teacher_client, assignment, article, people):
    key = work(article, people["teacher"], assignment.classroom, 2, CATS, "claim")
    key.visibility, key.assignment = "key", assignment
    key.save()
    response = teacher_client.get(dashboard_url(assignment))
    assert response.context["counts"]["highlights"] == 0


def test_it_counts_nothing_hanging_off_highlights_that_are_not_the_assignments(
    teacher_client, assignment, article, people
):
    # Same article, same class, but not the class's reading: the answer key and a stranger's
    # public highlight. Replies, links and votes on them are read with the class's and must be
    # left out, as must "disagree" marks on their paragraph.
    classroom, ann, bob = assignment.classroom, people["ann"], people["bob"]
    key = work(article, people["teacher"], classroom, 2, CATS, "claim")
    key.visibility, key.assignment = "key", assignment
    key.save()
    stranger = work(article, make_user("stranger"), classroom, 2, BIRDS, visibility="public")
    ann_claim = work(article, ann, classroom, 3, RAIN, "claim")
    for outside in (key, stranger):
        reply = outside.reply(ann, "Not so.", "disagree")
        HelpfulVote.objects.create(voter=bob, reply=reply)
        EvidenceLink.objects.create(
            evidence=outside, claim=ann_claim, relation="supports", author=ann
        )

    response = teacher_client.get(dashboard_url(assignment))
    assert counts(response)["ann"] == (1, 0, 0, 0, 0, 0, "in progress")
    assert response.context["counts"]["highlights"] == 1
    assert response.context["counts"]["replies"] == 0
    assert [(b.highlights, b.disagreements) for b in response.context["bars"]] == [
        (0, 0),
        (0, 0),
        (1, 0),
    ]


def test_it_counts_the_thread_of_a_deleted_highlight_but_not_the_highlight(
    teacher_client, assignment, article, people
):
    ann, bob = people["ann"], people["bob"]
    gone = work(article, ann, assignment.classroom, 2, CATS, "claim")
    reply = gone.reply(bob, "Not a claim.", "disagree")
    HelpfulVote.objects.create(voter=ann, reply=reply)
    gone.remove()

    response = teacher_client.get(dashboard_url(assignment))
    assert counts(response)["ann"] == (0, 0, 0, 0, 0, 0, "not started")
    assert counts(response)["bob"] == (0, 0, 0, 1, 0, 1, "in progress")
    assert response.context["counts"]["highlights"] == 0
    assert response.context["counts"]["replies"] == 1
    # A placeholder marks no paragraph, so neither does the disagreement in its thread.
    assert all(b.disagreements == 0 for b in response.context["bars"])
    export = teacher_client.get(dashboard_url(assignment, "annotations.csv")).content.decode()
    assert "(deleted)" in export and "Not a claim." in export


@pytest.mark.parametrize("who", ["student", "other_teacher", "anonymous"])
@pytest.mark.parametrize("what", ["dashboard/", "dashboard.csv", "annotations.csv"])
def test_it_looks_missing_to_anyone_but_the_classs_teachers(
    client, assignment, class_work, people, who, what
):
    if who == "student":
        client.force_login(people["cat"])
    elif who == "other_teacher":
        stranger = make_user("other_teacher", first_name="Mr Other")
        Assignment.objects.create(classroom=make_class(stranger), article=make_article())
        client.force_login(stranger)
    response = client.get(dashboard_url(assignment, what))
    assert response.status_code == 404
    body = response.content.decode()
    for name in ("Ann Archer", "Bob Bell", "Not an opinion"):
        assert name not in body


def test_it_lets_a_co_teacher_in(client, assignment, class_work):
    co_teacher = make_user("co")
    assignment.classroom.add_member(co_teacher, Membership.Role.TEACHER)
    client.force_login(co_teacher)
    response = client.get(dashboard_url(assignment))
    assert response.status_code == 200
    assert [r.user.username for r in response.context["rows"]] == ["ann", "bob", "cat"]


def _class_of(size, article):
    teacher = make_user()
    students = [make_user() for _ in range(size)]
    classroom = make_class(teacher, *students)
    assignment = Assignment.objects.create(classroom=classroom, article=article)
    previous = None
    for i, student in enumerate(students):
        label = ["claim", "evidence", "opinion"][i % 3]
        annotation = work(article, student, classroom, 2, CATS, label)
        work(article, student, classroom, 3, SNOW, "claim", visibility="public")
        if previous:
            reply = previous.reply(student, "Hmm.", "disagree")
            HelpfulVote.objects.create(voter=teacher, reply=reply)
            EvidenceLink.objects.create(
                evidence=annotation, claim=previous, relation="supports", author=student
            )
        HelpfulVote.objects.create(voter=teacher, annotation=annotation)
        previous = annotation
    return teacher, assignment


@pytest.mark.parametrize("what", ["dashboard/", "dashboard.csv", "annotations.csv"])
def test_it_reads_a_constant_number_of_queries_however_big_the_class(client, what):
    def queries(size):
        teacher, assignment = _class_of(size, make_article())
        client.force_login(teacher)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(dashboard_url(assignment, what))
        assert response.status_code == 200
        return len(captured)

    assert queries(2) == queries(12)


def test_it_exports_the_table_as_csv(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment, "dashboard.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="9b-english-the-offer-dashboard.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "student",
        "username",
        "claims",
        "evidence",
        "opinions",
        "replies",
        "links",
        "helpful votes",
        "hidden by teacher",
        "last activity",
        "status",
    ]
    assert [r[:9] + r[10:] for r in rows[1:]] == [
        ["Ann Archer", "ann", "1", "1", "1", "1", "1", "2", "1", "done"],
        ["Bob Bell", "bob", "0", "0", "1", "1", "0", "1", "0", "in progress"],
        ["Cat Cole", "cat", "0", "0", "0", "0", "0", "0", "0", "not started"],
    ]
    assert rows[1][9].startswith(str(EvidenceLink.objects.get().created.year))
    assert rows[3][9] == ""


def test_it_exports_every_annotation_and_reply(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment, "annotations.csv"))
    assert response["Content-Disposition"] == (
        'attachment; filename="9b-english-the-offer-annotations.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "type",
        "id",
        "paragraph",
        "label or stance",
        "quote",
        "note or body",
        "author username",
        "display name",
        "created",
        "visibility",
        "hidden",
        "parent id",
        "annotation id",
    ]
    annotations = [r for r in rows if r["type"] == "annotation"]
    replies = [r for r in rows if r["type"] == "reply"]
    assert len(annotations) == 4 and len(replies) == 3  # the deleted reply is marked
    claim = class_work["ann_claim"]
    first = next(r for r in annotations if r["id"] == str(claim.pk))
    assert first["paragraph"] == "2"
    assert first["label or stance"] == "claim"
    assert first["quote"] == "Cats purr."
    assert first["author username"] == "ann"
    assert first["display name"] == "Ann Archer"
    assert first["visibility"] == "class"
    assert first["hidden"] == "False"
    assert first["created"] == claim.created.isoformat()
    hidden = next(r for r in annotations if r["quote"] == "Rain falls.")
    assert hidden["hidden"] == "True"
    disagree = next(r for r in replies if r["id"] == str(class_work["ann_reply"].pk))
    assert disagree["label or stance"] == "disagree"
    assert disagree["note or body"] == "Not an opinion: it is a claim."
    assert disagree["annotation id"] == str(class_work["bob_opinion"].pk)
    assert disagree["paragraph"] == "2"
    assert "(deleted)" in [r["note or body"] for r in replies]


def test_it_neutralises_formulas_in_csv_cells(teacher_client, assignment, article, people):
    ann = people["ann"]
    ann.first_name = '=HYPERLINK("http://evil","x")'
    ann.save()
    annotation = work(article, ann, assignment.classroom, 2, CATS, note="+1 great")
    annotation.reply(ann, "@SUM(A1:A9)")
    annotation.reply(ann, "-2+3")
    annotation.reply(ann, "\tcmd")
    annotation.reply(ann, "fine - really = fine")

    table = teacher_client.get(dashboard_url(assignment, "dashboard.csv")).content.decode()
    rows = list(csv.reader(io.StringIO(table.removeprefix("\ufeff"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")'

    export = teacher_client.get(dashboard_url(assignment, "annotations.csv")).content.decode()
    cells = [c for row in csv.reader(io.StringIO(export.removeprefix("\ufeff"))) for c in row]
    assert "'+1 great" in cells
    assert "'@SUM(A1:A9)" in cells
    assert "'-2+3" in cells
    assert "'\tcmd" in cells
    assert "fine - really = fine" in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_it_draws_one_heat_bar_per_paragraph(teacher_client, assignment, class_work):
    html = teacher_client.get(dashboard_url(assignment)).content.decode()
    assert html.count('class="heat__link"') == 3
    base = f'href="/articles/the-article/?assignment={assignment.pk}'
    for position in (1, 2, 3):
        assert f'{base}#p-{position}" data-paragraph="{position}"' in html
    assert "<title>¶1: 0 highlights, 0 disagreements</title>" in html
    # Ann's claim and evidence and Bob's opinion; Ann disagrees with Bob.
    assert "<title>¶2: 3 highlights, 1 disagreement</title>" in html
    # The hidden highlight counts for the teacher.
    assert "<title>¶3: 1 highlight, 0 disagreements</title>" in html
    assert html.count('class="heat__mark"') == 1
    assert " style=" not in html  # the CSP forbids inline styles


def test_it_counts_a_highlight_across_paragraphs_in_each(
    teacher_client, assignment, article, people
):
    work(article, people["ann"], assignment.classroom, 2, (22, 11), end_block=3)
    html = teacher_client.get(dashboard_url(assignment)).content.decode()
    assert "<title>¶2: 1 highlight, 0 disagreements</title>" in html
    assert "<title>¶3: 1 highlight, 0 disagreements</title>" in html


def test_it_shows_the_most_contested_passages(teacher_client, assignment, class_work):
    response = teacher_client.get(dashboard_url(assignment))
    [item] = response.context["contested"]
    assert item["passage"].text == "Cats purr."
    assert item["passage"].distribution == "1 claim · 1 opinion"
    html = response.content.decode()
    assert "Cats purr." in html
    assert 'name="block" value="2"' in html
    assert 'name="start" value="0"' in html and 'name="end" value="10"' in html
    # One shared sentence is not enough to measure agreement.
    assert "Not enough overlap yet" in html
    assert "Krippendorff’s α" in html


def test_it_shows_agreement_when_there_is_enough_overlap(
    teacher_client, assignment, article, people
):
    classroom = assignment.classroom
    for student in ("ann", "bob"):
        work(article, people[student], classroom, 2, CATS, "claim")
        work(article, people[student], classroom, 2, DOGS, "evidence")
        work(article, people[student], classroom, 3, SNOW, "opinion")
    response = teacher_client.get(dashboard_url(assignment))
    assert response.context["alpha"] == "1.00"
    assert response.context["contested"] == []
    html = response.content.decode()
    assert "data-alpha>1.00<" in html
    assert "Not enough overlap yet" not in html
    assert "all students chose the same label on 3 of them" in html


def discuss(client, assignment, block=2, span=CATS, **extra):
    data = {"block": block, "start": span[0], "end": span[1], **extra}
    return client.post(dashboard_url(assignment, "discuss/"), data)


def test_it_opens_a_class_discussion_on_a_contested_sentence(
    teacher_client, assignment, class_work, people
):
    response = discuss(teacher_client, assignment)
    thread = Annotation.objects.get(author=people["teacher"])
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert (thread.start_block.position, thread.start_offset) == (2, 0)
    assert (thread.end_block.position, thread.end_offset) == (2, 10)
    assert thread.exact == "Cats purr."
    assert thread.visibility == "class"
    assert thread.classroom == assignment.classroom
    assert thread.label == "claim"  # 1 claim · 1 opinion: a tie goes to the first label
    assert thread.note == DISCUSSION_NOTE
    # The class sees it; the dashboard now links to it instead of offering a new one.
    assert Annotation.objects.visible_to(people["cat"]).filter(pk=thread.pk).exists()
    html = teacher_client.get(dashboard_url(assignment)).content.decode()
    assert "Go to the class discussion" in html
    assert f'href="{thread.get_absolute_url()}"' in html


def test_it_labels_a_discussion_with_the_most_common_label(
    teacher_client, assignment, article, people
):
    classroom = assignment.classroom
    work(article, people["ann"], classroom, 2, DOGS, "opinion")
    work(article, people["bob"], classroom, 2, DOGS, "opinion")
    work(article, people["cat"], classroom, 2, DOGS, "evidence")
    discuss(teacher_client, assignment, span=DOGS)
    assert Annotation.objects.get(author=people["teacher"]).label == "opinion"


def test_it_reuses_the_discussion_on_a_second_click(teacher_client, assignment, class_work, people):
    first = discuss(teacher_client, assignment)
    second = discuss(teacher_client, assignment)
    assert Annotation.objects.filter(author=people["teacher"]).count() == 1
    assert second["Location"] == first["Location"]


def test_it_refuses_a_range_that_is_not_a_sentence(teacher_client, assignment, class_work, people):
    for block, span in [(2, (0, 9)), (9, CATS), (0, CATS), (2, (5, 3))]:
        response = discuss(teacher_client, assignment, block=block, span=span)
        assert response["Location"] == dashboard_url(assignment)
    response = teacher_client.post(dashboard_url(assignment, "discuss/"), {"block": "x"})
    assert response["Location"] == dashboard_url(assignment)
    assert not Annotation.objects.filter(author=people["teacher"]).exists()


def test_it_refuses_a_sentence_nobody_labelled(teacher_client, assignment, class_work, people):
    response = discuss(teacher_client, assignment, block=3, span=SNOW)
    assert response["Location"] == dashboard_url(assignment)
    assert not Annotation.objects.filter(author=people["teacher"]).exists()


@pytest.mark.parametrize("who", ["student", "other_teacher", "anonymous"])
def test_it_opens_discussions_for_the_classs_teachers_only(
    client, assignment, class_work, people, who
):
    if who == "student":
        client.force_login(people["ann"])
    elif who == "other_teacher":
        stranger = make_user("other_teacher")
        make_class(stranger)
        client.force_login(stranger)
    assert discuss(client, assignment).status_code == 404
    assert Annotation.objects.count() == 4


def test_it_opens_discussions_by_post_with_csrf_only(assignment, class_work, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["teacher"])
    assert discuss(client, assignment).status_code == 403
    assert client.get(dashboard_url(assignment, "discuss/")).status_code == 405
    assert not Annotation.objects.filter(author=people["teacher"]).exists()


def test_it_does_not_count_the_teachers_discussion_as_a_student_label(
    teacher_client, assignment, class_work
):
    before = teacher_client.get(dashboard_url(assignment)).context
    discuss(teacher_client, assignment)
    after = teacher_client.get(dashboard_url(assignment)).context
    assert after["contested"][0]["passage"].raters == before["contested"][0]["passage"].raters
    discussion = Annotation.objects.get(note=DISCUSSION_NOTE)
    assert after["contested"][0]["discussion_url"] == discussion.get_absolute_url()
