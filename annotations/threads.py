"""Debate on a highlight: a thread of replies with stances, votes and answers."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from classrooms.scope import reading_scope
from config import throttle

from .forms import ReplyEditForm, ReplyForm
from .models import Annotation, HelpfulVote, Reply, Stance

# Deeper answers are shown flat, with "in reply to …", so a phone margin stays readable.
MAX_DEPTH = 3


@dataclass
class ThreadItem:
    reply: Reply
    depth: int
    in_reply_to: Reply | None  # set where the tree was flattened
    can_mark_answer: bool = False
    is_answer: bool = False


def thread_items(replies: list[Reply]) -> list[ThreadItem]:
    """Replies in conversation order: each followed by its answers, depth capped."""
    children: dict[int | None, list[Reply]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    items: list[ThreadItem] = []

    def walk(parent_id: int | None, depth: int, parent: Reply | None) -> None:
        for reply in children.get(parent_id, []):
            flattened = depth > MAX_DEPTH
            items.append(ThreadItem(reply, min(depth, MAX_DEPTH), parent if flattened else None))
            walk(reply.pk, depth + 1, reply)

    walk(None, 0, None)
    return items


def _annotation(request: HttpRequest, pk: int) -> Annotation:
    annotation = get_object_or_404(
        Annotation.objects.for_reader(request.user).select_related("article"), pk=pk
    )
    annotation.is_mine = annotation.author_id == request.user.pk
    return annotation


def _target(request: HttpRequest, pk: int) -> Annotation:
    """The annotation a write is about: visibility checked, nothing counted.

    The response reads it again with its fresh counts (_thread_response), so counting here
    would be a second, wasted copy of the heaviest query.
    """
    return get_object_or_404(
        Annotation.objects.visible_to(request.user).select_related("article"), pk=pk
    )


def thread_context(request: HttpRequest, annotation: Annotation, form=None, scope=None) -> dict:
    voted = HelpfulVote.objects.filter(reply=OuterRef("pk"), voter=request.user.pk or 0)
    replies = list(
        Reply.objects.visible_to(request.user)
        .filter(annotation=annotation)
        .select_related("author", "answered_by__author")
        .annotate(helpful_count=Count("votes"), helpful_mine=Exists(voted))
        .order_by("created", "id")
    )
    if scope is None:
        scope = reading_scope(request, annotation.article)
    for reply in replies:
        reply.author_label = scope.author_label(reply.author, annotation.classroom_id, request.user)
        reply.can_moderate = annotation.classroom_id in scope.teacher_of
    items = thread_items(replies)
    by_id = {r.pk: r for r in replies}
    for item in items:
        question = by_id.get(item.reply.parent_id)
        if question is None or question.deleted or question.stance != Stance.QUESTION:
            continue
        item.is_answer = question.answered_by_id == item.reply.pk
        # Only the person who asked, or the highlight's author, decides what answered it.
        item.can_mark_answer = request.user.pk in {question.author_id, annotation.author_id}
    return {
        "annotation": annotation,
        "items": items,
        "form": form or ReplyForm(),
        "stances": Stance,
    }


def _thread_response(
    request: HttpRequest, annotation: Annotation, event: str = "", form=None, status: int = 200
) -> HttpResponse:
    """The thread, plus the card's summary out of band so both agree at once."""
    if not request.htmx:
        return redirect(annotation.get_absolute_url())
    # Counts changed: read the annotation again with its summary.
    annotation = _annotation(request, annotation.pk)
    context = thread_context(request, annotation, form)
    context["oob_summary"] = True
    response = render(request, "annotations/_thread.html", context, status=status)
    if event:
        trigger_client_event(response, event, {"id": annotation.pk})
    return response


@require_safe
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = _annotation(request, pk)
    if not request.htmx:
        return redirect(annotation.get_absolute_url())
    return render(request, "annotations/_thread.html", thread_context(request, annotation))


@require_POST
@login_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = _target(request, pk)
    if throttled := throttle.REPLY.hit(request):
        return throttled
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _thread_response(request, annotation, form=form, status=422)
    data = form.cleaned_data
    parent = None
    if data["parent"]:
        parent = annotation.replies.filter(pk=data["parent"]).first()
        if parent is None:
            form.add_error(None, "The reply you answered no longer exists.")
            return _thread_response(request, annotation, form=form, status=422)
    key = data["submission_key"]
    repeat = Reply.objects.filter(author=request.user, submission_key=key) if key else None
    if repeat is None or not repeat.exists():
        try:
            with transaction.atomic():
                annotation.reply(request.user, data["body"], data["stance"], parent, key)
        except IntegrityError:
            # The same submission, sent twice at once: the first one stands. Anything else
            # (the reply answered was deleted meanwhile) must not lose the words silently.
            if repeat is None or not repeat.exists():
                form.add_error(
                    None,
                    "Your reply was not posted: the reply you answered was deleted meanwhile. "
                    "Copy your text and post it in the thread again.",
                )
                return _thread_response(request, annotation, form=form, status=422)
    return _thread_response(request, annotation, "replyCreated")


def _own_reply(request: HttpRequest, pk: int) -> Reply:
    return get_object_or_404(
        Reply.objects.visible_to(request.user)
        .owned_by(request.user)
        .select_related("annotation__article"),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@login_required
def reply_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _own_reply(request, pk)
    form = ReplyEditForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        reply.edit(form.cleaned_data["body"])
        return _thread_response(request, reply.annotation, "replyChanged")
    template = "annotations/reply_edit.html"
    if request.htmx:
        template += "#reply-edit-form"
    return render(
        request, template, {"reply": reply, "form": form}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def reply_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _own_reply(request, pk)
    if request.method == "POST":
        annotation = reply.annotation
        reply.remove()
        if not Annotation.objects.filter(pk=annotation.pk).exists():
            from .views import _changed  # views builds on threads

            # The last reply under a deleted highlight: its placeholder went with it.
            return _changed(request, annotation.article, set(), "annotationDeleted")
        return _thread_response(request, annotation, "replyDeleted")
    return render(request, "annotations/reply_delete.html", {"reply": reply})


@require_POST
@login_required
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(
        Annotation.objects.owned_by(request.user).select_related("article"), pk=pk
    )
    annotation.set_resolved(not annotation.resolved)
    return _thread_response(request, annotation, "threadResolved")


@require_POST
@login_required
def mark_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Point a question at the reply that answers it (or clear it)."""
    answer = get_object_or_404(
        Reply.objects.visible_to(request.user)
        .filter(deleted=False)
        .select_related("parent", "annotation__article"),
        pk=pk,
    )
    question = answer.parent
    annotation = answer.annotation
    # Only the person who asked, or the highlight's author, decides what answered it.
    if (
        question is None
        or question.stance != Stance.QUESTION
        or request.user.pk not in {question.author_id, annotation.author_id}
    ):
        return HttpResponse(
            "Only the person who asked can mark the answer.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    question.mark_answered(None if question.answered_by_id == answer.pk else answer)
    return _thread_response(request, annotation, "questionAnswered")


@require_POST
@login_required
def helpful(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Toggle my "helpful" on someone else's annotation or reply."""
    if kind == "annotation":
        target = _target(request, pk)
        if target.deleted_at:
            raise Http404  # a placeholder has no words to find helpful
        annotation = target
    else:
        target = get_object_or_404(
            Reply.objects.visible_to(request.user)
            .filter(deleted=False)
            .select_related("annotation__article"),
            pk=pk,
        )
        annotation = target.annotation
    if target.author_id == request.user.pk:
        return HttpResponse(
            "You can’t mark your own words helpful.",
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    HelpfulVote.toggle(request.user, target)
    return _thread_response(request, annotation, "helpfulToggled")
