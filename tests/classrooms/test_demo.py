import pytest
from django.core.management import call_command

from annotations.models import Annotation, EvidenceLink, Reply
from classrooms.models import Assignment, Classroom

pytestmark = pytest.mark.django_db


def test_the_demo_class_is_created_once_with_work_in_it():
    call_command("import_seeds")
    call_command("create_demo_users")
    call_command("create_demo_class")
    call_command("create_demo_class")
    classroom = Classroom.objects.get()
    assert sorted(m.user.username for m in classroom.memberships.all()) == [
        "student1",
        "student2",
        "student3",
        "teacher",
    ]
    assert classroom.is_teacher(classroom.memberships.get(user__username="teacher").user)
    assert Assignment.objects.filter(classroom=classroom).count() == 2
    assert Annotation.objects.filter(classroom=classroom).count() == 9
    assert Annotation.objects.filter(visibility="public").exists()
    assert Reply.objects.count() == 4 and EvidenceLink.objects.count() == 3
