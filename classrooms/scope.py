"""Reading an article as a member of classes: assignment context, composer choices, names."""

from dataclasses import dataclass, field

from django.http import HttpRequest

from .models import Assignment, Classroom, Membership


@dataclass
class Scope:
    classes: list[Classroom] = field(default_factory=list)
    teacher_of: set[int] = field(default_factory=set)
    assignment: Assignment | None = None
    # Students of an assignment that reveals classmates late, before they posted enough.
    hide_classmates: bool = False
    # A teacher following one student's work from the dashboard.
    only_author: int | None = None
    # (classroom id, user id) -> "Student N" number, for classes that hide names.
    numbers: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """Carries the assignment into links that leave the page."""
        return f"?assignment={self.assignment.pk}" if self.assignment else ""

    @property
    def is_teacher(self) -> bool:
        return bool(self.assignment and self.assignment.classroom_id in self.teacher_of)

    def default_visibility(self) -> str:
        return f"class:{self.assignment.classroom_id}" if self.assignment else "public"

    def author_label(self, author, classroom_id: int | None, viewer) -> str:
        """A classmate's number where the class hides names; a name everywhere else."""
        number = self.numbers.get((classroom_id, author.pk))
        if number and author.pk != viewer.pk and classroom_id not in self.teacher_of:
            return f"Student {number}"
        return author.first_name or author.username


def _int(value) -> int | None:
    # ASCII digits only: "²".isdigit() is True but int("²") raises; no id has 19 digits.
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def reading_scope(request: HttpRequest, article) -> Scope:
    """What this reader's classes change about the page (no queries for anonymous readers)."""
    user = request.user
    if not user.is_authenticated:
        return Scope()
    memberships = list(Membership.objects.filter(user=user).select_related("classroom"))
    scope = Scope(
        classes=[m.classroom for m in memberships],
        teacher_of={m.classroom_id for m in memberships if m.role == Membership.Role.TEACHER},
    )
    wanted = _int(request.GET.get("assignment") or request.POST.get("assignment"))
    if wanted:
        scope.assignment = (
            Assignment.objects.filter(
                pk=wanted, article=article, classroom__in=[c.pk for c in scope.classes]
            )
            .select_related("classroom")
            .first()
        )
    if scope.assignment and not scope.is_teacher and scope.assignment.reveal_after:
        posted = article.annotations.filter(
            author=user, classroom=scope.assignment.classroom_id, deleted_at__isnull=True
        ).count()
        scope.hide_classmates = posted < scope.assignment.reveal_after
    if scope.is_teacher:
        scope.only_author = _int(request.GET.get("author"))
    anonymous = [c.pk for c in scope.classes if c.anonymous_students]
    if anonymous:
        scope.numbers = {
            (m.classroom_id, m.user_id): m.number
            for m in Membership.objects.filter(
                classroom__in=anonymous, role=Membership.Role.STUDENT
            )
        }
    return scope


def classroom_for(scope: Scope, visibility: str) -> tuple[str, int | None] | None:
    """Turn the composer's choice into (visibility, classroom id); None if not allowed."""
    if visibility == "private":
        return "private", None
    if visibility == "public":
        # Written for an assignment: the class's dashboard counts it.
        return "public", scope.assignment.classroom_id if scope.assignment else None
    if visibility == "key":
        # The answer key belongs to an assignment the reader teaches.
        return ("key", scope.assignment.classroom_id) if scope.is_teacher else None
    if visibility.startswith("class:"):
        wanted = _int(visibility.removeprefix("class:"))
        if wanted in {c.pk for c in scope.classes}:
            return "class", wanted
    return None


@dataclass
class KeyMatch:
    key_count: int
    attempted: int
    matched: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.matched / self.attempted) if self.attempted else None


def key_match(texts: list[str], key: list, mine: list) -> KeyMatch:
    """How a student's labels compare with the answer key, passage by passage.

    A key passage counts as attempted when one of the student's highlights overlaps it; it
    matches when the highlight overlapping it most carries the same label.
    """
    from annotations.anchoring import to_document_offset

    def span(a):
        start = to_document_offset(texts, a.start_block.position - 1, a.start_offset)
        return start, to_document_offset(texts, a.end_block.position - 1, a.end_offset)

    spans = [(span(a), a.label) for a in mine if a.start_block and a.end_block]
    attempted = matched = 0
    for k in key:
        if not (k.start_block and k.end_block):
            continue
        k_start, k_end = span(k)
        overlaps = [(min(e, k_end) - max(s, k_start), label) for (s, e), label in spans]
        overlaps = [o for o in overlaps if o[0] > 0]
        if overlaps:
            attempted += 1
            matched += max(overlaps)[1] == k.label
    return KeyMatch(len(key), attempted, matched)
