import uuid

from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from articles.models import Article
from classrooms.scope import classroom_for, key_match, reading_scope
from config import throttle

from .anchoring import Anchor, AnchorError, Quote, resolve, sentences
from .forms import AnnotationEditForm, SelectionForm, SentenceRangeForm
from .models import Annotation, Label
from .rendering import Highlight, label_counts, margin_groups, shared_blocks
from .threads import thread_context

# The margin renders this many cards in full; the rest arrive as stubs in batches of
# MARGIN_BATCH, each filled in when it scrolls into view (see margin_groups).
MARGIN_FIRST = 12
MARGIN_BATCH = 16
# How long a process answers live-update polls from the version it last read.
LIVE_SECONDS = 1
# Cards a request may ask to have in full (open threads, cards on screen, one batch).
MAX_ASKED = 60


def _asked_ids(request: HttpRequest, name: str) -> list[int]:
    """Ids the page sent under `name` (repeated, or comma-separated), at most MAX_ASKED."""
    values = [
        part
        for value in (*request.GET.getlist(name), *request.POST.getlist(name))
        for part in value.split(",")
    ]
    # ASCII digits only: "²".isdigit() is True but int("²") raises; no id has 19 digits.
    ids = [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19]
    return list(dict.fromkeys(ids))[:MAX_ASKED]


def open_thread_ids(request: HttpRequest) -> set[int]:
    """Threads the reader has open (sent by the page with every request) or asked for."""
    return {*_asked_ids(request, "open_threads"), *_asked_ids(request, "thread")[:1]}


def _scoped(queryset, request: HttpRequest, article: Article, scope):
    """The annotations of `article` this reader sees here (class reveal rules, one author)."""
    queryset = queryset.filter(article=article)
    if scope.hide_classmates:
        queryset = queryset.exclude(
            Q(classroom=scope.assignment.classroom_id) & ~Q(author=request.user)
        )
    if scope.only_author:
        queryset = queryset.filter(author=scope.only_author)
    return queryset


def full_cards(request: HttpRequest, article: Article, scope, ids) -> dict[int, Annotation]:
    """Cards `ids` as this reader sees them, with counts, links and any open thread."""
    if not ids:
        return {}
    queryset = Annotation.objects.for_reader(request.user).filter(pk__in=ids)
    open_ids = open_thread_ids(request)
    cards = {}
    for annotation in _scoped(queryset, request, article, scope):
        annotation.is_mine = annotation.author_id == request.user.pk
        annotation.author_label = scope.author_label(
            annotation.author, annotation.classroom_id, request.user
        )
        annotation.can_moderate = annotation.classroom_id in scope.teacher_of
        # None, not unset: a template looking up a missing attribute lists the object's dir()
        # to tell a bad lookup from a missing one, which per card added up.
        annotation.thread = (
            thread_context(request, annotation, scope=scope) if annotation.pk in open_ids else None
        )
        cards[annotation.pk] = annotation
    return cards


def reader_context(
    request: HttpRequest, article: Article, *, show: tuple[int, ...] = (), **extra
) -> dict:
    """Everything the article page shows: blocks with highlights, the margin, counts.

    Every highlight is in the text, the counts and the margin, but only some cards are
    rendered in full: the first MARGIN_FIRST, any with an open thread, those the page says are
    on screen (`near`), and `show`. A card costs about a millisecond to render, so a class's
    1,500 highlights would otherwise cost every page, write and live update seconds. The rest
    are stubs (label, paragraph, quote, permalink) that the page fills in as they scroll into
    view. A constant number of queries however many annotations, plus one per open thread.
    """
    scope = reading_scope(request, article)
    blocks = list(article.blocks.order_by("position"))
    # Only what the text, the counts and the stubs need: no authors, counts or links.
    visible = _scoped(Annotation.objects.visible_to(request.user), request, article, scope)
    annotations = Highlight.read(visible.in_document_order(), blocks, request.user.pk)
    wanted = {
        *(a.pk for a in annotations[:MARGIN_FIRST]),
        *open_thread_ids(request),
        *_asked_ids(request, "near"),
        *show,
    }
    cards = full_cards(request, article, scope, wanted)
    key_result = None
    if scope.assignment and not scope.is_teacher:
        # Deleted highlights' placeholders are nobody's labels.
        live = [a for a in annotations if not a.deleted_at]
        key = [a for a in live if a.visibility == "key"]
        if key:  # visible only once the assignment is due
            mine = [a for a in live if a.is_mine and a.visibility != "key"]
            key_result = key_match([b.text for b in blocks], key, mine)
    return {
        "article": article,
        "scope": scope,
        "key_result": key_result,
        "blocks": shared_blocks(blocks, annotations),
        "margin": margin_groups(annotations, cards, batch_url(article, scope), MARGIN_BATCH),
        "counts": label_counts(annotations),
        "labels": Label,
        **extra,
    }


def batch_url(article: Article, scope) -> str:
    """Where a batch of stubs fetches its full cards (ids are appended), keeping the scope."""
    url = reverse("annotations:cards", args=[article.slug])
    params = [("assignment", scope.assignment.pk)] if scope.assignment else []
    if scope.only_author:
        params.append(("author", scope.only_author))
    return f"{url}?{urlencode(params)}&ids=" if params else f"{url}?ids="


@require_safe
def cards(request: HttpRequest, slug: str) -> HttpResponse:
    """A batch of the margin's cards in full, for stubs that scrolled into view."""
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    if not request.htmx:
        # Only the page's scripts ask for batches; a person following the URL gets the page.
        return redirect(article.get_absolute_url())
    ids = _asked_ids(request, "ids")
    found = full_cards(request, article, reading_scope(request, article), ids)
    # In the order asked (document order); one that is gone or no longer visible is left out.
    context = {"annotations": [found[pk] for pk in ids if pk in found]}
    return render(request, "annotations/_card_batch.html", context)


def _changed(
    request: HttpRequest,
    article: Article,
    positions: set[int],
    event: str,
    annotation_id: int | None = None,
) -> HttpResponse:
    """After a write: the re-rendered blocks it touched and the margin, as out-of-band swaps."""
    article.touch()
    if not request.htmx:
        target = article.get_absolute_url()
        return redirect(f"{target}#annotation-{annotation_id}" if annotation_id else target)
    article.refresh_from_db(fields=["activity"])
    # Re-rendered threads keep whatever the reader is typing in them. The card written is
    # rendered in full wherever it falls: the page moves focus to it.
    show = (annotation_id,) if annotation_id else ()
    context = reader_context(request, article, show=show, preserve_drafts=True)
    context["changed_blocks"] = [b for b in context["blocks"] if b.position in positions]
    response = render(request, "annotations/_changed.html", context)
    return trigger_client_event(response, event, {"id": annotation_id})


@require_safe
def updates(request: HttpRequest, slug: str) -> HttpResponse:
    """Live reading: 204 while nothing changed (one indexed row), else fresh blocks and margin.

    The counter lives in the database, so any number of server processes agree on it.
    """
    # Every open page asks this every 5 seconds and nearly always nothing changed. A published
    # article is readable by everyone, so that answer needs neither the session nor the user,
    # and its version as read in the last LIVE_SECONDS serves every poll in between: a class
    # of thirty polls six times a second, and this process reads the database once. News from
    # another process is at most that much later; from this one it is never late (touch()).
    # A page that knows a newer version than the one remembered asks the database.
    versions = caches["versions"]
    if (known := versions.get(slug)) is not None and request.GET.get("v") == str(known):
        return HttpResponse(status=204)
    article = Article.objects.published().filter(slug=slug).first()
    if article is not None:
        versions.set(slug, article.activity, LIVE_SECONDS)
    else:  # a draft or an archived article: who is asking matters, every time
        article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    if request.GET.get("v") == str(article.activity):
        return HttpResponse(status=204)
    context = reader_context(request, article, preserve_drafts=True)
    context["changed_blocks"] = context["blocks"]
    return render(request, "annotations/_changed.html", context)


def _refuse(request: HttpRequest, message: str, status: int = 422, article=None) -> HttpResponse:
    """A clear message the user sees, and nothing stored."""
    if request.htmx:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return render(
        request, "annotations/refused.html", {"message": message, "article": article}, status=status
    )


def _positions(annotation: Annotation) -> set[int]:
    if annotation.start_block is None or annotation.end_block is None:
        return set()
    return set(range(annotation.start_block.position, annotation.end_block.position + 1))


def _create(
    request: HttpRequest, article: Article, blocks, anchor: Anchor, data: dict
) -> HttpResponse:
    """Store one annotation per submission key; a repeat answers with the first one."""
    scope = reading_scope(request, article)
    audience = classroom_for(scope, data.get("visibility") or scope.default_visibility())
    if audience is None:
        return _refuse(
            request,
            "Choose who can see this: everyone, one of your classes, or only you.",
            article=article,
        )
    visibility, classroom_id = audience
    key = data["submission_key"]
    repeat = Annotation.objects.filter(author=request.user, submission_key=key)
    annotation = repeat.first() if key else None
    if annotation is None:
        try:
            with transaction.atomic():
                annotation = Annotation.objects.create_at(
                    article=article,
                    author=request.user,
                    blocks=blocks,
                    anchor=anchor,
                    label=data["label"],
                    note=data["note"],
                    submission_key=key,
                    visibility=visibility,
                    classroom_id=classroom_id,
                    assignment_id=scope.assignment.pk
                    if scope.assignment and classroom_id
                    else None,
                )
        except IntegrityError:
            # The same submission raced us in another request: it won, answer with its result.
            annotation = repeat.first() if key else None
            if annotation is None:
                # No repeat: the paragraph went (a curator's edit) while this was saved.
                return _refuse(
                    request,
                    "The article’s text changed while your highlight was being saved, so it "
                    "was not saved: select the words again.",
                    article=article,
                )
    return _changed(request, article, _positions(annotation), "annotationCreated", annotation.pk)


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Something in the form is not right."


@require_POST
def create(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    if not request.user.is_authenticated:
        if request.htmx:
            return _refuse(request, "Sign in to annotate.", status=403)
        return redirect(f"/accounts/login/?next={article.get_absolute_url()}")
    if throttled := throttle.ANNOTATE.hit(request):
        return throttled
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _first_error(form), article=article)
    data = form.cleaned_data
    blocks = list(article.blocks.order_by("position"))
    # Positions the page showed are 1-based; a position outside this article is no anchor,
    # and the quote alone then has to find its place.
    anchor = Anchor(
        data["start_block"] - 1, data["start_offset"], data["end_block"] - 1, data["end_offset"]
    )
    try:
        anchor = resolve(
            [b.text for b in blocks],
            anchor,
            Quote(data["exact"], data["prefix"], data["suffix"]),
        )
    except AnchorError as error:
        return _refuse(request, str(error), article=article)
    return _create(request, article, blocks, anchor, data)


@require_http_methods(["GET", "POST"])
@login_required
def annotate_block(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    """The keyboard path: choose a range of one paragraph's sentences and a label."""
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    blocks = list(article.blocks.order_by("position"))
    if not 1 <= position <= len(blocks):
        return _refuse(request, "That paragraph is not in this article.", 404, article)
    if request.method == "POST" and (throttled := throttle.ANNOTATE.hit(request)):
        return throttled
    index = position - 1
    block = blocks[index]
    ranges = sentences(block.text)
    form = SentenceRangeForm(
        request.POST or None,
        sentences=[block.text[a:b] for a, b in ranges],
        initial={"submission_key": uuid.uuid4(), "first_sentence": 1, "last_sentence": 1},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start, end = ranges[data["first_sentence"] - 1][0], ranges[data["last_sentence"] - 1][1]
        anchor = Anchor(index, start, index, end)
        return _create(request, article, blocks, anchor, data)
    # Not "block": inside {% block %} tags that name means the template block.
    scope = reading_scope(request, article)
    context = {
        "article": article,
        "paragraph": block,
        "form": form,
        "labels": Label,
        "scope": scope,
    }
    template = "annotations/block_annotate.html"
    if request.htmx:
        template += "#block-annotate-form"
    return render(request, template, context, status=422 if form.errors else 200)


def _own_annotation(request: HttpRequest, pk: int) -> Annotation:
    # Someone else's annotation looks exactly like a missing one.
    return get_object_or_404(
        Annotation.objects.owned_by(request.user).select_related(
            "article", "author", "start_block", "end_block"
        ),
        pk=pk,
    )


@require_safe
def card(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(
        Annotation.objects.for_reader(request.user).select_related("article"), pk=pk
    )
    annotation.is_mine = annotation.author_id == request.user.pk
    scope = reading_scope(request, annotation.article)
    annotation.author_label = scope.author_label(
        annotation.author, annotation.classroom_id, request.user
    )
    annotation.can_moderate = annotation.classroom_id in scope.teacher_of
    if not request.htmx:
        # The permalink: the article, scrolled to the highlight, its thread open.
        url = annotation.article.get_absolute_url()
        reply = request.GET.get("reply", "")
        anchor = f"reply-{reply}" if reply.isdigit() else f"annotation-{annotation.pk}"
        return redirect(f"{url}?thread={annotation.pk}#{anchor}")
    return render(request, "annotations/_card.html", {"annotation": annotation})


@require_http_methods(["GET", "POST"])
@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = _own_annotation(request, pk)
    form = AnnotationEditForm(request.POST or None, instance=annotation)
    if request.method == "POST" and form.is_valid():
        form.save()
        return _changed(
            request, annotation.article, _positions(annotation), "annotationChanged", annotation.pk
        )
    context = {"annotation": annotation, "form": form, "labels": Label}
    template = "annotations/annotation_edit.html"
    if request.htmx:
        template += "#annotation-edit-form"
    return render(request, template, context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = _own_annotation(request, pk)
    if request.method == "POST":
        article, positions = annotation.article, _positions(annotation)
        # With replies it stays as a "Deleted highlight" placeholder holding the thread.
        annotation.remove()
        return _changed(request, article, positions, "annotationDeleted", annotation.pk)
    return render(request, "annotations/annotation_delete.html", {"annotation": annotation})
