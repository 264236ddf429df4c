"""Teachers hide and restore what is written in their classes; readers flag it to them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from annotations.models import Annotation, Notification, Reply
from annotations.views import _changed
from config import throttle

from .models import FLAG_REASON_MAX_LENGTH, Classroom, Flag, Membership, ModerationAction


class FlagForm(forms.Form):
    reason = forms.CharField(
        max_length=FLAG_REASON_MAX_LENGTH,
        error_messages={
            "required": "Say briefly what is wrong, so your teacher knows what to look at.",
            "max_length": f"Keep the reason under {FLAG_REASON_MAX_LENGTH} characters.",
        },
    )


def _target(request: HttpRequest, kind: str, pk: int, taught_only: bool):
    """The annotation or reply, as this reader may see it (teachers: in a class they teach)."""
    annotations = Annotation.objects.visible_to(request.user)
    if taught_only:
        annotations = annotations.filter(classroom__in=Classroom.objects.taught_by(request.user))
    if kind == "annotation":
        annotation = get_object_or_404(annotations.select_related("article"), pk=pk)
        return annotation, None
    reply = get_object_or_404(
        Reply.objects.visible_to(request.user)
        .filter(annotation__in=annotations)
        .select_related("annotation__article"),
        pk=pk,
    )
    return reply.annotation, reply


@require_POST
@login_required
def hide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Toggle hidden; only a teacher of the class it was written in (others: 404)."""
    annotation, reply = _target(request, kind, pk, taught_only=True)
    _decide(request.user, annotation, reply, "restore" if (reply or annotation).hidden else "hide")
    return _changed(request, annotation.article, set(), "annotationChanged", annotation.pk)


@require_POST
@login_required
def flag(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    annotation, reply = _target(request, kind, pk, taught_only=False)
    if throttled := throttle.FLAG.hit(request):
        return throttled
    author_id = (reply or annotation).author_id
    form = FlagForm(request.POST)
    if author_id == request.user.pk:
        message = "You can’t flag your own words: edit or delete them instead."
    elif annotation.visibility == "private":
        message = "Private notes can’t be flagged."
    elif not form.is_valid():
        message = " ".join(form.errors["reason"])
    else:
        message = ""
    if message:
        return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")
    try:
        with transaction.atomic():
            created = Flag.objects.create(
                reporter=request.user,
                annotation=annotation,
                reply=reply,
                reason=form.cleaned_data["reason"],
            )
    except IntegrityError:
        created = None  # flagged before: once is enough
    if created:
        teachers = Membership.objects.filter(
            classroom=annotation.classroom_id, role=Membership.Role.TEACHER
        ).values_list("user", flat=True)
        Notification.objects.bulk_create(
            Notification(
                recipient_id=t,
                actor=request.user,
                kind=Notification.Kind.FLAG,
                annotation=annotation,
                reply=reply,
            )
            for t in teachers
        )
    if not request.htmx:
        return redirect(annotation.get_absolute_url())
    return HttpResponse(
        "Thanks: your teacher will take a look.", content_type="text/plain; charset=utf-8"
    )


def _decide(moderator, annotation, reply, action: str) -> None:
    """Hide, restore or dismiss; close the open flags; write it in the log."""
    if action in {"hide", "restore"}:
        target = reply or annotation
        target.hidden = action == "hide"
        target.save(update_fields=["hidden", "updated"])
        annotation.article.touch()
        if reply is None:  # its links' other ends show the highlight, or stop showing it
            for other in annotation.linked_articles():
                other.touch()
    Flag.objects.filter(annotation=annotation, reply=reply, handled__isnull=True).update(
        handled=timezone.now()
    )
    ModerationAction.objects.create(
        moderator=moderator, action=action, annotation=annotation, reply=reply
    )


def _is_moderator(user) -> bool:
    return user.is_authenticated and user.has_perm("annotations.change_annotation")


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Curators: open flags on public content, and the log of decisions."""
    if not _is_moderator(request.user):
        raise Http404
    flags = (
        Flag.objects.filter(handled__isnull=True, annotation__visibility="public")
        .select_related("reporter", "annotation__article", "annotation__author", "reply__author")
        .order_by("annotation", "reply", "created")
    )
    groups: dict[tuple, dict] = {}
    for f in flags:
        group = groups.setdefault(
            (f.annotation_id, f.reply_id),
            {"annotation": f.annotation, "reply": f.reply, "flags": []},
        )
        group["flags"].append(f)
    log = ModerationAction.objects.select_related("moderator", "annotation__article", "reply")[:50]
    return render(
        request, "classrooms/moderation_queue.html", {"groups": list(groups.values()), "log": log}
    )


@require_POST
@login_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Act on a flagged item from the queue: hide, restore or dismiss."""
    if not _is_moderator(request.user):
        raise Http404
    flag = get_object_or_404(
        Flag.objects.filter(annotation__visibility="public").select_related(
            "annotation__article", "reply"
        ),
        pk=pk,
    )
    action = request.POST.get("action", "")
    if action not in {"hide", "restore", "dismiss"}:
        messages.error(request, "Choose hide, restore or dismiss.")
    else:
        _decide(request.user, flag.annotation, flag.reply, action)
        messages.success(request, "Done, and written in the log.")
    return redirect("classrooms:moderation_queue")
