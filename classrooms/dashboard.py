"""The teacher's view of an assignment: progress per student, where the class is split, exports.

Only the class's teachers reach any of it; to everyone else it looks missing (404). Everything
is read in a fixed number of queries and tallied in Python, so a class of 40 costs what a class
of 4 does.
"""

import csv
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from annotations.anchoring import Anchor, sentences
from annotations.models import (
    Annotation,
    EvidenceLink,
    HelpfulVote,
    Label,
    Reply,
    Stance,
    Visibility,
)

from . import agreement
from .models import DONE, IN_PROGRESS, NOT_STARTED, Assignment, Classroom, Membership

DISCUSSION_NOTE = "Class discussion: how should we label this passage?"
# Deterministic keys make "open a discussion" idempotent even for a double click.
DISCUSSION_KEYS = uuid.UUID("6f1e4a52-0d8e-4f55-9a38-5c1bd0a7e3c1")
# Cells a spreadsheet would run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

STATUS_RANK = {NOT_STARTED: 0, IN_PROGRESS: 1, DONE: 2}

# Heat strip geometry, in viewBox units: bars grow up from BASELINE, disagreement marks below.
BAR_UNIT, BAR_WIDTH, BASELINE, BAR_MAX = 10, 8, 46, 44
MARK_Y, MARK_HEIGHT, STRIP_HEIGHT = 51, 9, 60


def _taught_assignment(request: HttpRequest, pk: int) -> Assignment:
    # A student, another class's teacher and a stranger all get the same 404.
    assignments = Assignment.objects.filter(
        classroom__in=Classroom.objects.taught_by(request.user)
    ).select_related("article", "classroom")
    return get_object_or_404(assignments, pk=pk)


def display_name(user) -> str:
    return user.first_name or user.username


@dataclass
class StudentRow:
    user: object
    work_url: str
    claims: int = 0
    evidence: int = 0
    opinions: int = 0
    replies: int = 0
    links: int = 0
    helpful: int = 0
    last_activity: datetime | None = None
    hidden: int = 0
    status: str = NOT_STARTED

    @property
    def name(self) -> str:
        return display_name(self.user)

    @property
    def annotations(self) -> int:
        return self.claims + self.evidence + self.opinions

    def saw(self, moment: datetime) -> None:
        if self.last_activity is None or moment > self.last_activity:
            self.last_activity = moment


# Column key → (heading, sort key, first direction when chosen). Ties always go by name.
COLUMNS = {
    "name": ("Student", lambda r: 0, "asc"),
    "claims": ("Claims", lambda r: r.claims, "desc"),
    "evidence": ("Evidence", lambda r: r.evidence, "desc"),
    "opinions": ("Opinions", lambda r: r.opinions, "desc"),
    "replies": ("Replies", lambda r: r.replies, "desc"),
    "links": ("Links", lambda r: r.links, "desc"),
    "helpful": ("Helpful votes", lambda r: r.helpful, "desc"),
    "activity": (
        "Last activity",
        lambda r: r.last_activity.timestamp() if r.last_activity else float("-inf"),
        "desc",
    ),
    "status": ("Status", lambda r: STATUS_RANK[r.status], "desc"),
}


def _name_key(row: StudentRow) -> tuple[str, str]:
    return (row.name.casefold(), row.user.username.casefold())


def sort_rows(rows: list[StudentRow], column: str, direction: str) -> list[StudentRow]:
    """Rows by one column (then by name, always A→Z), in the direction asked."""
    key = COLUMNS[column][1]
    by_name = sorted(rows, key=_name_key, reverse=column == "name" and direction == "desc")
    if column == "name":
        return by_name
    return sorted(by_name, key=key, reverse=direction == "desc")  # stable: names stay A→Z


def _sort_params(request: HttpRequest) -> tuple[str, str]:
    column = request.GET.get("sort", "name")
    if column not in COLUMNS:
        column = "name"
    direction = request.GET.get("dir", COLUMNS[column][2])
    if direction not in ("asc", "desc"):
        direction = COLUMNS[column][2]
    return column, direction


@dataclass
class Snapshot:
    """Everything of one assignment the dashboard shows, read in a fixed number of queries.

    Highlights and replies are plain rows (`values_list(named=True)`), not model instances: at
    classroom scale there are thousands, and building a model (and its author, and its blocks)
    for each, then collecting the garbage they made, was most of the page's time.
    """

    assignment: Assignment
    blocks: list
    members: list[Membership]
    annotations: list  # rows of HIGHLIGHT_FIELDS, live ones, oldest first
    # Only counted and summed up: in no particular order (the database need not sort them).
    replies: list  # rows of REPLY_FIELDS
    links: list  # (author_id, created)
    helpful: list[int]  # the author of each helpful vote on the above
    # Deleted highlights kept for their threads: their replies count, they do not.
    placeholders: list = field(default_factory=list)
    student_ids: set[int] = field(init=False)
    # Live highlight id → (first, last) block index; highlights whose blocks are gone are absent.
    spans: dict[int, tuple[int, int]] = field(init=False)

    def __post_init__(self):
        self.student_ids = {m.user_id for m in self.members if m.role == Membership.Role.STUDENT}
        index_of = {b.pk: i for i, b in enumerate(self.blocks)}
        self.spans = {
            a.id: (index_of[a.start_block_id], index_of[a.end_block_id])
            for a in self.annotations
            if a.start_block_id is not None and a.end_block_id is not None
        }


HIGHLIGHT_FIELDS = (
    "id",
    "author_id",
    "label",
    "visibility",
    "hidden",
    "created",
    "deleted_at",
    "start_block_id",
    "start_offset",
    "end_block_id",
    "end_offset",
)
REPLY_FIELDS = ("id", "annotation_id", "author_id", "stance", "deleted", "created")


def assignment_annotations(assignment: Assignment, teacher):
    """The highlights the assignment is about: its article, written in its class by members.

    Private notes never have a class, so they never count; nor does a teacher's answer key
    (it is not the class's reading). Hidden ones do: the teacher hid them, the work was done.
    """
    members = Membership.objects.filter(classroom=assignment.classroom).values("user")
    return (
        Annotation.objects.visible_to(teacher)
        .filter(article=assignment.article, classroom=assignment.classroom, author__in=members)
        .exclude(visibility__in=[Visibility.PRIVATE, Visibility.KEY])
    )


def load(assignment: Assignment, teacher) -> Snapshot:
    """The assignment's highlights, then what hangs off them, each read once.

    Replies, links and votes are read by article and class (plain indexed joins) and kept here
    only where they hang off a highlight just read. That is the same rows as asking the
    database for "on these highlights" with the highlights' query as a subquery, which made
    PostgreSQL evaluate the visibility rule again in each (the votes query alone took ~40 ms
    at 1,500 highlights) and Django compile it again for each.
    """
    article, classroom = assignment.article, assignment.classroom
    everything = list(
        assignment_annotations(assignment, teacher)
        .order_by("created", "id")
        .values_list(*HIGHLIGHT_FIELDS, named=True)
    )
    members = list(Membership.objects.filter(classroom=classroom).select_related("user"))
    member_ids = [m.user_id for m in members]
    author_of = {a.id: a.author_id for a in everything}
    replies = [
        r
        for r in Reply.objects.visible_to(teacher)
        .filter(annotation__article=article, annotation__classroom=classroom, author__in=member_ids)
        .order_by()
        .values_list(*REPLY_FIELDS, named=True)
        if r.annotation_id in author_of
    ]
    links = [
        (author, created)
        for evidence, author, created in EvidenceLink.objects.visible_to(teacher)
        .filter(evidence__article=article, evidence__classroom=classroom, author__in=member_ids)
        .order_by()
        .values_list("evidence_id", "author_id", "created")
        if evidence in author_of
    ]
    # A vote is on a highlight or on a reply, never both (a check constraint).
    replier_of = {r.id: r.author_id for r in replies}
    fields = ("annotation_id", "reply_id")
    on_highlights = HelpfulVote.objects.filter(
        annotation__article=article, annotation__classroom=classroom
    )
    on_replies = HelpfulVote.objects.filter(
        reply__annotation__article=article, reply__annotation__classroom=classroom
    )
    votes = on_highlights.values_list(*fields).union(on_replies.values_list(*fields), all=True)
    helpful = [
        author_of.get(highlight) if highlight is not None else replier_of.get(reply)
        for highlight, reply in votes
    ]
    return Snapshot(
        assignment=assignment,
        blocks=list(article.blocks.order_by("position")),
        members=members,
        annotations=[a for a in everything if a.deleted_at is None],
        placeholders=[a for a in everything if a.deleted_at is not None],
        replies=replies,
        links=links,
        helpful=[author for author in helpful if author is not None],
    )


def student_rows(snapshot: Snapshot) -> list[StudentRow]:
    assignment = snapshot.assignment
    article_url = assignment.article.get_absolute_url()
    rows = {
        m.user_id: StudentRow(
            user=m.user, work_url=f"{article_url}?assignment={assignment.pk}&author={m.user_id}"
        )
        for m in snapshot.members
        if m.role == Membership.Role.STUDENT
    }
    claim, evidence = Label.CLAIM.value, Label.EVIDENCE.value
    for annotation in snapshot.annotations:
        row = rows.get(annotation.author_id)
        if row is None:
            continue
        if annotation.label == claim:
            row.claims += 1
        elif annotation.label == evidence:
            row.evidence += 1
        else:
            row.opinions += 1
        row.hidden += annotation.hidden
        row.saw(annotation.created)
    for reply in snapshot.replies:
        row = rows.get(reply.author_id)
        if row is not None and not reply.deleted:
            row.replies += 1
            row.saw(reply.created)
    for author, created in snapshot.links:
        row = rows.get(author)
        if row is not None:
            row.links += 1
            row.saw(created)
    for author in snapshot.helpful:
        row = rows.get(author)
        if row is not None:
            row.helpful += 1
    for row in rows.values():
        row.status = assignment.status_for(row.annotations, row.replies)
    return list(rows.values())


def marks(snapshot: Snapshot) -> list[agreement.Mark]:
    """Students' highlights for the agreement maths, oldest first (ties go to the later)."""
    students, spans = snapshot.student_ids, snapshot.spans
    found = []
    for a in snapshot.annotations:
        if a.author_id in students and a.id in spans:
            first, last = spans[a.id]
            found.append(
                agreement.Mark(a.author_id, first, a.start_offset, last, a.end_offset, a.label)
            )
    return found


@dataclass
class HeatBar:
    position: int
    heading: bool
    highlights: int
    disagreements: int
    alpha: float | None = None
    slot_x: int = 0
    x: int = 0
    y: int = 0
    height: int = 0
    mark_opacity: str = ""

    @property
    def title(self) -> str:
        h, d = self.highlights, self.disagreements
        return (
            f"¶{self.position}: {h} highlight{'' if h == 1 else 's'}, "
            f"{d} disagreement{'' if d == 1 else 's'}"
        )


def heat_bars(snapshot: Snapshot, alphas: dict[int, float | None]) -> list[HeatBar]:
    """One bar per block: highlights touching it, and "disagree" replies on those."""
    highlights = [0] * len(snapshot.blocks)
    disagreements = [0] * len(snapshot.blocks)
    spans = snapshot.spans
    for first, last in spans.values():
        for i in range(first, last + 1):
            highlights[i] += 1
    disagree = Stance.DISAGREE.value
    for reply in snapshot.replies:
        if reply.stance == disagree and not reply.deleted and reply.annotation_id in spans:
            first, last = spans[reply.annotation_id]
            for i in range(first, last + 1):
                disagreements[i] += 1
    bars = [
        HeatBar(
            position=block.position,
            heading=block.kind == block.Kind.HEADING,
            highlights=highlights[i],
            disagreements=disagreements[i],
            alpha=alphas.get(i),
        )
        for i, block in enumerate(snapshot.blocks)
    ]
    most = max((b.highlights for b in bars), default=0) or 1
    most_split = max((b.disagreements for b in bars), default=0) or 1
    for i, bar in enumerate(bars):
        # An empty paragraph keeps a 2-unit stub so the strip still shows where it is.
        bar.height = max(2, round(BAR_MAX * bar.highlights / most))
        bar.slot_x = i * BAR_UNIT
        bar.x = bar.slot_x + (BAR_UNIT - BAR_WIDTH) // 2
        bar.y = BASELINE - bar.height
        if bar.disagreements:
            bar.mark_opacity = f"{0.35 + 0.65 * bar.disagreements / most_split:.2f}"
    return bars


def split_segments(passage: agreement.Passage) -> list[dict]:
    """The stacked bar of a split passage: one segment per label, x and width out of 100."""
    segments, x = [], 0.0
    for label, n in passage.counts:
        width = 100 * n / passage.raters
        segments.append({"label": label, "count": n, "x": f"{x:.2f}", "width": f"{width:.2f}"})
        x += width
    return segments


def format_alpha(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".replace("-", "−")


def _discussions(snapshot: Snapshot, teacher) -> dict[tuple[int, int, int], str]:
    """The teacher's class discussions already open, by (block index, start, end): their URLs."""
    found = {}
    teacher_id, spans = teacher.pk, snapshot.spans
    for a in snapshot.annotations:
        if a.author_id == teacher_id and a.visibility == Visibility.CLASS and a.id in spans:
            first, last = spans[a.id]
            if first == last:
                found[(first, a.start_offset, a.end_offset)] = a.id
    # The permalink, as Annotation.get_absolute_url: for the few kept, not for every highlight.
    return {where: reverse("annotations:card", args=[pk]) for where, pk in found.items()}


@require_safe
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _taught_assignment(request, pk)
    snapshot = load(assignment, request.user)
    column, direction = _sort_params(request)
    rows = sort_rows(student_rows(snapshot), column, direction)

    texts = [b.text for b in snapshot.blocks]
    labels = agreement.unit_labels(texts, marks(snapshot))
    shared = agreement.passages(texts, labels)
    overall = agreement.alpha(labels)
    alphas = agreement.alpha_by_block(labels)
    open_discussions = _discussions(snapshot, request.user)
    contested = [
        {
            "passage": passage,
            "discussion_url": open_discussions.get(
                (passage.unit.block, passage.unit.start, passage.unit.end)
            ),
            "segments": split_segments(passage),
            "position": snapshot.blocks[passage.unit.block].position,
        }
        for passage in agreement.contested(texts, labels)
    ]
    bars = heat_bars(snapshot, alphas)

    headers = []
    for key, (heading, _, first) in COLUMNS.items():
        active = key == column
        next_dir = ("desc" if direction == "asc" else "asc") if active else first
        headers.append(
            {
                "key": key,
                "heading": heading,
                "url": f"?sort={key}&dir={next_dir}",
                "aria_sort": ("ascending" if direction == "asc" else "descending")
                if active
                else "",
            }
        )
    statuses = Counter(row.status for row in rows)
    context = {
        "assignment": assignment,
        "article": assignment.article,
        "classroom": assignment.classroom,
        "reading_url": f"{assignment.article.get_absolute_url()}?assignment={assignment.pk}",
        "rows": rows,
        "headers": headers,
        "sort": column,
        "direction": direction,
        "counts": {
            "students": len(rows),
            "done": statuses[DONE],
            "in_progress": statuses[IN_PROGRESS],
            "not_started": statuses[NOT_STARTED],
            "highlights": len(snapshot.annotations),
            "replies": sum(not r.deleted for r in snapshot.replies),
        },
        "alpha": format_alpha(overall),
        "alpha_value": overall,
        "shared_count": len(shared),
        "agreed_count": sum(p.disagreement == 0 for p in shared),
        "paragraph_alphas": [
            (snapshot.blocks[i].position, format_alpha(value))
            for i, value in alphas.items()
            if value is not None
        ],
        "contested": contested,
        "discuss_url": reverse("classrooms:open_discussion", args=[assignment.pk]),
        "bars": bars,
        "strip": {
            "width": len(bars) * BAR_UNIT,
            "height": STRIP_HEIGHT,
            # Wide bars on a short article, thin ones (down to 6px) on a long one.
            "px": len(bars) * max(6, min(36, 960 // max(len(bars), 1))),
            "baseline": BASELINE,
            "bar_width": BAR_WIDTH,
            "unit": BAR_UNIT,
            "mark_y": MARK_Y,
            "mark_height": MARK_HEIGHT,
        },
        "statuses": (NOT_STARTED, IN_PROGRESS, DONE),
    }
    return render(request, "classrooms/dashboard.html", context)


def _cell(value) -> object:
    """Neutralise spreadsheet formulas: a leading ' makes Excel and Sheets show text as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The byte order mark tells Excel the file is UTF-8 (names and quotes are not all ASCII).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell("" if v is None else v) for v in row])
    return response


def _filename(assignment: Assignment, what: str) -> str:
    base = slugify(f"{assignment.classroom.name} {assignment.article.title}")[:80]
    return f"{base or 'assignment'}-{what}.csv"


@require_safe
def dashboard_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _taught_assignment(request, pk)
    column, direction = _sort_params(request)
    rows = sort_rows(student_rows(load(assignment, request.user)), column, direction)
    header = [
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
    return _csv_response(
        _filename(assignment, "dashboard"),
        header,
        (
            [
                r.name,
                r.user.username,
                r.claims,
                r.evidence,
                r.opinions,
                r.replies,
                r.links,
                r.helpful,
                r.hidden,
                r.last_activity.isoformat() if r.last_activity else "",
                r.status,
            ]
            for r in rows
        ),
    )


@require_safe
def annotations_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _taught_assignment(request, pk)
    # Every column of every highlight and reply, with authors: the dashboard's rows are too thin.
    annotations_qs = assignment_annotations(assignment, request.user)
    members = Membership.objects.filter(classroom=assignment.classroom).values("user")
    everything = list(
        annotations_qs.select_related("author", "start_block").order_by("created", "id")
    )
    replies = list(
        Reply.objects.visible_to(request.user)
        .filter(annotation__in=annotations_qs, author__in=members)
        .select_related("author")
        .order_by("created", "id")
    )
    header = [
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
    paragraph = {a.pk: a.start_block.position if a.start_block else "" for a in everything}

    def rows():
        for a in everything:
            # A deleted highlight stays as the row its replies point to, without its words.
            deleted = a.deleted_at is not None
            yield [
                "annotation",
                a.pk,
                paragraph[a.pk],
                "" if deleted else a.label,
                a.exact,
                "(deleted)" if deleted else a.note,
                a.author.username,
                display_name(a.author),
                a.created.isoformat(),
                a.visibility,
                a.hidden,
                "",
                a.pk,
            ]
        for r in replies:
            yield [
                "reply",
                r.pk,
                paragraph[r.annotation_id],
                r.stance,
                "",
                "(deleted)" if r.deleted else r.body,
                r.author.username,
                display_name(r.author),
                r.created.isoformat(),
                "",
                r.hidden,
                r.parent_id or "",
                r.annotation_id,
            ]

    return _csv_response(_filename(assignment, "annotations"), header, rows())


@require_POST
def open_discussion(request: HttpRequest, pk: int) -> HttpResponse:
    """Start (or return to) a class thread on one sentence the class labels differently."""
    assignment = _taught_assignment(request, pk)
    dashboard_url = reverse("classrooms:dashboard", args=[assignment.pk])
    blocks = list(assignment.article.blocks.order_by("position"))
    try:
        position, start, end = (int(request.POST[k]) for k in ("block", "start", "end"))
    except (KeyError, ValueError):
        position, start, end = 0, 0, 0
    # Positions are 1..n as imported, but look the block up rather than trust arithmetic.
    index = next((i for i, b in enumerate(blocks) if b.position == position), None)
    if index is None or (start, end) not in sentences(blocks[index].text):
        # Only a stale page gets here: the article was edited since it was rendered.
        messages.error(request, "That passage has changed. Here is the up-to-date list.")
        return redirect(dashboard_url)

    teacher, classroom = request.user, assignment.classroom
    block = blocks[index]
    existing = Annotation.objects.filter(
        author=teacher,
        article=assignment.article,
        classroom=classroom,
        visibility=Visibility.CLASS,
        start_block=block,
        end_block=block,
        start_offset=start,
        end_offset=end,
    ).first()
    if existing:
        return redirect(existing.get_absolute_url())

    snapshot = load(assignment, teacher)
    labels = agreement.unit_labels([b.text for b in blocks], marks(snapshot))
    raters = labels.get(agreement.Unit(index, start, end))
    if not raters:
        messages.error(request, "Nobody in the class has labelled that sentence yet.")
        return redirect(dashboard_url)
    # Most common label; a tie goes to the first in label order (claim, evidence, opinion).
    counts = Counter(raters.values())
    label = min(counts, key=lambda name: (-counts[name], name))

    key = uuid.uuid5(DISCUSSION_KEYS, f"{classroom.pk}:{block.pk}:{start}:{end}")
    try:
        with transaction.atomic():
            annotation = Annotation.objects.create_at(
                article=assignment.article,
                author=teacher,
                blocks=blocks,
                anchor=Anchor(index, start, index, end),
                label=label,
                note=DISCUSSION_NOTE,
                submission_key=key,
                visibility=Visibility.CLASS,
                classroom_id=classroom.pk,
                assignment_id=assignment.pk,
            )
    except IntegrityError:
        # A double click raced us: the first request's thread is the one.
        annotation = Annotation.objects.get(author=teacher, submission_key=key)
    assignment.article.touch()
    return redirect(annotation.get_absolute_url())
