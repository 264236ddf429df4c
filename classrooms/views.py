from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotations.models import Annotation, Reply
from config import throttle

from .forms import AddTeacherForm, AssignmentForm, ClassroomForm, JoinForm
from .models import Assignment, Classroom, Membership


def _mine(request: HttpRequest, pk: int) -> Classroom:
    """A class I belong to; any other looks missing."""
    return get_object_or_404(Classroom.objects.of(request.user).distinct(), pk=pk)


def _taught(request: HttpRequest, pk: int) -> Classroom:
    return get_object_or_404(Classroom.objects.taught_by(request.user).distinct(), pk=pk)


@require_safe
@login_required
def my_classes(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("classroom")
        .annotate(
            member_count=Count("classroom__memberships", distinct=True),
            assignment_count=Count("classroom__assignments", distinct=True),
        )
        .order_by("classroom__name")
    )
    return render(
        request,
        "classrooms/classroom_list.html",
        {
            "memberships": memberships,
            "form": ClassroomForm(),
            "join_form": JoinForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = form.save()
        classroom.add_member(request.user, Membership.Role.TEACHER)
        messages.success(
            request, f"“{classroom.name}” is ready. Share the join code with your students."
        )
        return redirect(classroom)
    return render(
        request,
        "classrooms/classroom_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest, code: str = "") -> HttpResponse:
    form = JoinForm(request.POST or None, initial={"code": code})
    if request.method == "POST" and (throttled := throttle.JOIN_FAILURES.over(request)):
        # Checked before the code is looked up, so a blocked guesser learns nothing more.
        return throttled
    if request.method == "POST" and form.is_valid():
        classroom = Classroom.objects.get(join_code=form.cleaned_data["code"])
        already = classroom.role_of(request.user)
        classroom.add_member(request.user, Membership.Role.STUDENT)
        if already:
            messages.info(request, f"You are already in “{classroom.name}”.")
        else:
            messages.success(request, f"You joined “{classroom.name}”.")
        return redirect(classroom)
    if form.errors:
        throttle.JOIN_FAILURES.count(request)
    return render(
        request, "classrooms/join.html", {"form": form}, status=422 if form.errors else 200
    )


def _activity(classroom: Classroom, user, limit: int = 12) -> list:
    """Recent highlights and replies in the class, as this member may see them."""
    annotations = (
        Annotation.objects.visible_to(user)
        .live()
        .filter(classroom=classroom)
        .select_related("author", "article", "start_block")
        .order_by("-created")[:limit]
    )
    replies = (
        Reply.objects.visible_to(user)
        .filter(annotation__classroom=classroom, deleted=False)
        .select_related("author", "annotation__article")
        .order_by("-created")[:limit]
    )
    items = [("annotation", a.created, a) for a in annotations]
    items += [("reply", r.created, r) for r in replies]
    return sorted(items, key=lambda item: item[1], reverse=True)[:limit]


@require_safe
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _mine(request, pk)
    role = classroom.role_of(request.user)
    members = list(classroom.memberships.select_related("user").order_by("role", "number"))
    context = {
        "classroom": classroom,
        "is_teacher": role == Membership.Role.TEACHER,
        "teachers": [m for m in members if m.role == Membership.Role.TEACHER],
        "students": [m for m in members if m.role == Membership.Role.STUDENT],
        "assignments": classroom.assignments.select_related("article"),
        "activity": _activity(classroom, request.user),
        "join_url": request.build_absolute_uri(f"/classes/join/{classroom.join_code}/"),
    }
    if context["is_teacher"]:
        context["assignment_form"] = AssignmentForm(classroom=classroom)
        context["teacher_form"] = AddTeacherForm()
    return render(request, "classrooms/classroom_detail.html", context)


@require_POST
@login_required
def rotate_code(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _taught(request, pk)
    classroom.rotate_code()
    messages.success(request, f"New join code: {classroom.join_code}. The old one no longer works.")
    return redirect(classroom)


@require_POST
@login_required
def remove_member(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    classroom = _taught(request, pk)
    membership = get_object_or_404(
        classroom.memberships.filter(role=Membership.Role.STUDENT).select_related("user"),
        user_id=user_id,
    )
    membership.delete()
    messages.success(
        request,
        f"{membership.user.first_name or membership.user.username} was removed from the class.",
    )
    return redirect(classroom)


@require_POST
@login_required
def add_teacher(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _taught(request, pk)
    form = AddTeacherForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["username"]
        classroom.add_member(user, Membership.Role.TEACHER)
        messages.success(request, f"{user.first_name or user.username} now teaches this class.")
    else:
        messages.error(request, " ".join(form.errors["username"]))
    return redirect(classroom)


@require_http_methods(["GET", "POST"])
@login_required
def settings_view(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _taught(request, pk)
    form = ClassroomForm(request.POST or None, instance=classroom)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Class settings saved.")
        return redirect(classroom)
    return render(
        request,
        "classrooms/classroom_form.html",
        {"form": form, "classroom": classroom},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _taught(request, pk)
    form = AssignmentForm(request.POST or None, classroom=classroom)
    if request.method == "POST" and form.is_valid():
        assignment = form.save(commit=False)
        assignment.classroom = classroom
        assignment.save()
        messages.success(request, f"“{assignment.article.title}” is assigned to {classroom.name}.")
        return redirect(classroom)
    return render(
        request,
        "classrooms/assignment_form.html",
        {"form": form, "classroom": classroom},
        status=422 if form.errors else 200,
    )


def assignments_for(user):
    """My assignments with my own counts, for the status column."""
    mine = Annotation.objects.live().filter(
        author=user, article=OuterRef("article"), classroom=OuterRef("classroom")
    )
    my_replies = Reply.objects.filter(
        author=user,
        deleted=False,
        annotation__article=OuterRef("article"),
        annotation__classroom=OuterRef("classroom"),
    )

    def count(qs):
        return Coalesce(
            Subquery(
                qs.values("author").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    return (
        Assignment.objects.filter(classroom__memberships__user=user)
        .select_related("article", "classroom")
        .annotate(my_annotations=count(mine), my_replies=count(my_replies))
        .distinct()
    )


@require_safe
@login_required
def my_assignments(request: HttpRequest) -> HttpResponse:
    assignments = list(assignments_for(request.user).order_by("due", "-created"))
    now = timezone.now()
    for assignment in assignments:
        assignment.status = assignment.status_for(assignment.my_annotations, assignment.my_replies)
        assignment.overdue = bool(
            assignment.due and assignment.due < now and assignment.status != "done"
        )
    return render(request, "classrooms/assignment_list.html", {"assignments": assignments})


@require_safe
@login_required
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """Open an assignment: the article, read inside that class."""
    found = get_object_or_404(
        Assignment.objects.filter(classroom__in=Classroom.objects.of(request.user))
        .select_related("article")
        .distinct(),
        pk=pk,
    )
    return redirect(f"{found.article.get_absolute_url()}?assignment={found.pk}")
