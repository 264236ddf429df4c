import datetime

import pytest
from django.utils import timezone

from annotations.models import Annotation
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def teacher(client):
    user = make_user("teacher", first_name="Ms Reed")
    client.force_login(user)
    return user


def make_class(teacher, name="9B English", *students, anonymous=False):
    classroom = Classroom.objects.create(name=name, anonymous_students=anonymous)
    classroom.add_member(teacher, Membership.Role.TEACHER)
    for student in students:
        classroom.add_member(student, Membership.Role.STUDENT)
    return classroom


def test_a_teacher_creates_a_class_and_sees_its_join_code(client, teacher):
    response = client.post("/classes/new/", {"name": "9B English"})
    classroom = Classroom.objects.get()
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert classroom.is_teacher(teacher)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert classroom.join_code in page
    assert len(classroom.join_code) == 8


def test_an_empty_class_name_is_refused(client, teacher):
    response = client.post("/classes/new/", {"name": ""})
    assert response.status_code == 422
    assert "Give the class a name" in response.content.decode()
    assert not Classroom.objects.exists()


def test_a_student_joins_with_the_code_in_any_case_and_spacing(client, teacher):
    classroom = make_class(teacher)
    student = make_user("sam")
    client.force_login(student)
    code = classroom.join_code.lower()
    response = client.post("/classes/join/", {"code": f" {code[:4]} {code[4:]} "})
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert classroom.role_of(student) == "student"
    client.post("/classes/join/", {"code": classroom.join_code})
    assert classroom.memberships.filter(user=student).count() == 1


def test_a_wrong_code_says_so_and_joins_nothing(client, teacher):
    make_class(teacher)
    client.force_login(make_user("sam"))
    response = client.post("/classes/join/", {"code": "NOPE2345"})
    assert response.status_code == 422
    assert "No class has that code" in response.content.decode()
    assert Membership.objects.filter(role="student").count() == 0


def test_rotating_the_code_retires_the_old_one(client, teacher):
    classroom = make_class(teacher)
    old = classroom.join_code
    client.post(f"/classes/{classroom.pk}/rotate-code/")
    classroom.refresh_from_db()
    assert classroom.join_code != old
    client.force_login(make_user("late"))
    assert client.post("/classes/join/", {"code": old}).status_code == 422


def test_the_teacher_removes_a_student_and_adds_a_co_teacher(client, teacher):
    student = make_user("sam")
    classroom = make_class(teacher, "9B", student)
    client.post(f"/classes/{classroom.pk}/members/{student.pk}/remove/")
    assert classroom.role_of(student) is None
    colleague = make_user("colleague")
    client.post(f"/classes/{classroom.pk}/teachers/", {"username": "colleague"})
    assert classroom.is_teacher(colleague)


@pytest.mark.parametrize("url", ["rotate-code/", "teachers/"])
def test_students_and_outsiders_cannot_run_the_class(client, teacher, url):
    student = make_user("sam")
    classroom = make_class(teacher, "9B", student)
    old = classroom.join_code
    for who in [student, make_user("outsider")]:
        client.force_login(who)
        assert client.post(f"/classes/{classroom.pk}/{url}", {"username": "sam"}).status_code == 404
    classroom.refresh_from_db()
    assert classroom.join_code == old and not classroom.is_teacher(student)


def test_an_outsider_cannot_see_a_class(client, teacher):
    classroom = make_class(teacher)
    client.force_login(make_user("outsider"))
    response = client.get(f"/classes/{classroom.pk}/")
    assert response.status_code == 404
    assert classroom.join_code not in response.content.decode()


def test_assignments_show_status_and_due_dates_to_students(client, teacher):
    student = make_user("sam")
    classroom = make_class(teacher, "9B", student)
    article = make_article("Sanctions", slug="sanctions")
    due = timezone.now() + datetime.timedelta(days=3)
    response = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {
            "article": article.pk,
            "instructions": "Find two claims.",
            "due": due.strftime("%Y-%m-%dT%H:%M"),
            "reveal_after": 1,
            "min_annotations": 2,
            "min_replies": 0,
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    client.force_login(student)
    assert "Not started" in client.get("/assignments/").content.decode()
    for n in range(2):
        annotation = make_annotation(article, student, start=n, end=5)
        annotation.visibility, annotation.classroom = "class", classroom
        annotation.save()
        status = client.get("/assignments/").content.decode()
        assert ("In progress" if n == 0 else "Done") in status
    opened = client.get(f"/assignments/{assignment.pk}/")
    assert opened["Location"] == f"/articles/sanctions/?assignment={assignment.pk}"


def test_reading_through_an_assignment_defaults_to_the_class(client, teacher):
    student = make_user("sam")
    classroom = make_class(teacher, "9B", student)
    article = make_article(slug="read")
    assignment = Assignment.objects.create(classroom=classroom, article=article)
    client.force_login(student)
    page = client.get(f"/articles/read/?assignment={assignment.pk}").content.decode()
    assert f'<option value="class:{classroom.pk}" selected>Class: 9B</option>' in page
    assert "Assignment for 9B" in page
    plain = client.get("/articles/read/").content.decode()
    assert '<option value="public" selected>Everyone</option>' in plain


def test_creating_with_class_visibility_stores_the_class(client, teacher):
    student = make_user("sam")
    classroom = make_class(teacher, "9B", student)
    make_article(slug="read", blocks=[("paragraph", "Exports fell by a third.")])
    client.force_login(student)
    data = {
        "start_block": 1,
        "start_offset": 0,
        "end_block": 1,
        "end_offset": 7,
        "exact": "Exports",
        "label": "claim",
        "visibility": f"class:{classroom.pk}",
    }
    assert client.post("/articles/read/annotations/", data, headers=HTMX).status_code == 200
    annotation = Annotation.objects.get()
    assert (annotation.visibility, annotation.classroom) == ("class", classroom)


def test_a_class_i_am_not_in_is_refused(client, teacher):
    other = make_class(make_user("other-teacher"), "Other")
    make_article(slug="read", blocks=[("paragraph", "Exports fell by a third.")])
    data = {
        "start_block": 1,
        "start_offset": 0,
        "end_block": 1,
        "end_offset": 7,
        "exact": "Exports",
        "label": "claim",
        "visibility": f"class:{other.pk}",
    }
    response = client.post("/articles/read/annotations/", data, headers=HTMX)
    assert response.status_code == 422
    assert "Choose who can see this" in response.content.decode()
    assert not Annotation.objects.exists()


def test_classmates_stay_hidden_until_a_student_has_posted_enough(client, teacher):
    sam, priya = make_user("sam"), make_user("priya", first_name="Priya")
    classroom = make_class(teacher, "9B", sam, priya)
    article = make_article(slug="read")
    assignment = Assignment.objects.create(classroom=classroom, article=article, reveal_after=1)
    theirs = make_annotation(article, priya, note="Priya’s thought")
    theirs.visibility, theirs.classroom = "class", classroom
    theirs.save()
    url = f"/articles/read/?assignment={assignment.pk}"
    client.force_login(sam)
    page = client.get(url).content.decode()
    assert "Priya’s thought" not in page
    assert "appear once you have posted 1" in page
    mine = make_annotation(article, sam)
    mine.visibility, mine.classroom = "class", classroom
    mine.save()
    assert "Priya’s thought" in client.get(url).content.decode()
    client.force_login(teacher)  # the teacher always sees everything
    assert "Priya’s thought" in client.get(url).content.decode()


def test_anonymous_classes_number_students_for_classmates_not_teachers(client, teacher):
    sam, priya = make_user("sam"), make_user("priya", first_name="Priya Nair")
    classroom = make_class(teacher, "9B", sam, priya, anonymous=True)
    article = make_article(slug="read")
    theirs = make_annotation(article, priya)
    theirs.visibility, theirs.classroom = "class", classroom
    theirs.save()
    number = classroom.memberships.get(user=priya).number
    client.force_login(sam)
    page = client.get("/articles/read/").content.decode()
    assert f"Student {number}" in page and "Priya Nair" not in page
    client.force_login(teacher)
    assert "Priya Nair" in client.get("/articles/read/").content.decode()
