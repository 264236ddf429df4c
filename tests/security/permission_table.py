"""Who may do what at every URL, in one table (after hypothesis/h's `permission_map.py`).

Every named URL outside the admin has a row; the admin is one family (staff only). The tests
in this folder read the table: a URL missing from it, or a row naming a URL that no longer
exists, fails `test_url_table.py`; every row × role is requested and its status asserted.

Roles, always the same six people around one class:
  anonymous  nobody signed in
  outsider   signed in, in no class
  student    a student of the class (not the author of the objects)
  teacher    the class's teacher
  author     a student of the class who wrote the annotation, reply, link… the URL is about
  curator    staff with every permission (the admin), in no class
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from annotations.anchoring import sentences
from annotations.models import Annotation, EvidenceLink, Notification, Reply
from articles.models import Article
from classrooms.models import Assignment, Classroom, Flag, Membership
from tests.factories import PASSWORD, make_annotation, make_article, make_user

ANONYMOUS, OUTSIDER, STUDENT, TEACHER, AUTHOR, CURATOR = ROLES = (
    "anonymous",
    "outsider",
    "student",
    "teacher",
    "author",
    "curator",
)
SIGNED_IN = frozenset(ROLES) - {ANONYMOUS}
MEMBERS = frozenset({STUDENT, TEACHER, AUTHOR})
EVERYONE = frozenset(ROLES)

# Refusals that are not a status of their own.
LOGIN = "redirect to sign in"
ADMIN_LOGIN = "redirect to the admin's sign in"
HOME = "redirect home"

# Text that only some roles may read: no refusal may ever contain any of it.
CLASS_NOTE = "Marker-class-note-Q7"
REPLY_BODY = "Marker-reply-body-Q7"
PRIVATE_NOTE = "Marker-private-note-Q7"
MARKERS = (CLASS_NOTE, REPLY_BODY, PRIVATE_NOTE)


@dataclass
class World:
    """The objects every row is about; `people` maps each role to its user (None: anonymous)."""

    people: dict[str, User | None]
    article: Article
    other_article: Article
    draft: Article
    classroom: Classroom
    other_class: Classroom
    assignment: Assignment
    annotation: Annotation  # the author's, visible to the class
    evidence: Annotation  # the author's, public
    claim: Annotation  # the student's, public, linked from the evidence
    other_claim: Annotation  # the student's, public, not linked yet
    public: Annotation  # the author's, public and flagged by the student
    private: Annotation  # the author's private note
    reply: Reply  # the author's question on the annotation
    answer: Reply  # the student's answer to it
    link: EvidenceLink
    notification: Notification  # the author's: the student answered
    flag: Flag  # the student's, on the public annotation
    group: Group
    sentence: tuple[int, int]  # the first sentence of ¶3, which the author labelled

    def user(self, role: str) -> User | None:
        return self.people[role]


def make_world() -> World:
    people: dict[str, User | None] = {ANONYMOUS: None}
    for role in SIGNED_IN:
        staff = role == CURATOR
        people[role] = make_user(f"{role}-q7", is_staff=staff, is_superuser=staff)
    article = make_article(slug="table-article")
    other_article = make_article(slug="table-other")
    draft = make_article(slug="table-draft", status=Article.Status.DRAFT)
    classroom = Classroom.objects.create(name="Table class")
    classroom.add_member(people[TEACHER], Membership.Role.TEACHER)
    classroom.add_member(people[STUDENT], Membership.Role.STUDENT)
    classroom.add_member(people[AUTHOR], Membership.Role.STUDENT)
    other_class = Classroom.objects.create(name="Another class")
    other_class.add_member(make_user("other-teacher-q7"), Membership.Role.TEACHER)
    assignment = Assignment.objects.create(
        classroom=classroom, article=article, due=timezone.now() + timedelta(days=7)
    )
    text = article.blocks.get(position=3).text
    sentence = sentences(text)[0]

    def annotation_by(user, label="claim", visibility="public", classroom=None, note="", **at):
        annotation = make_annotation(article, user, label=label, note=note, **at)
        annotation.visibility, annotation.classroom = visibility, classroom
        annotation.save()
        return annotation

    author, student = people[AUTHOR], people[STUDENT]
    annotation = annotation_by(
        author, visibility="class", classroom=classroom, note=CLASS_NOTE, block=3, end=12
    )
    evidence = annotation_by(author, label="evidence", block=3, start=20, end=40)
    claim = annotation_by(student, block=4, start=0, end=12)
    other_claim = annotation_by(student, block=4, start=20, end=30)
    public = annotation_by(author, label="opinion", block=2, start=4, end=20)
    private = annotation_by(author, visibility="private", note=PRIVATE_NOTE, block=2, end=3)
    reply = annotation.reply(author, REPLY_BODY, "question")
    answer = annotation.reply(student, "An answer.", "", parent=reply)
    link = EvidenceLink.objects.create(
        evidence=evidence, claim=claim, relation="supports", author=author
    )
    return World(
        people=people,
        article=article,
        other_article=other_article,
        draft=draft,
        classroom=classroom,
        other_class=other_class,
        assignment=assignment,
        annotation=annotation,
        evidence=evidence,
        claim=claim,
        other_claim=other_claim,
        public=public,
        private=private,
        reply=reply,
        answer=answer,
        link=link,
        notification=Notification.objects.get(recipient=author, reply=answer),
        flag=Flag.objects.create(reporter=student, annotation=public, reason="Rude"),
        group=Group.objects.create(name="Editors"),
        sentence=sentence,
    )


def _nothing(world: World) -> dict:
    return {}


@dataclass(frozen=True)
class Rule:
    """One URL: the methods it answers (status for the roles allowed), who is allowed, and
    what everyone else gets (404 unless said: forbidden looks missing)."""

    methods: dict[str, int]
    allowed: frozenset[str]
    refused: dict[str, Any] = field(default_factory=lambda: {ANONYMOUS: LOGIN})
    kwargs: Any = _nothing  # World -> URL kwargs
    data: Any = _nothing  # World -> a valid POST for an allowed role
    query: dict = field(default_factory=dict)
    # An allowed POST changes rows; False where it changes only the session (sign in, out).
    writes: bool = True
    # Allowed roles with nothing to do here (already members, nothing unread).
    no_write_for: frozenset[str] = frozenset()
    # Its role cells are in tests/classrooms/test_visibility_matrix.py, which has no curator:
    # here only the curator's cell is asserted.
    matrix: bool = False

    def expected(self, role: str, method: str) -> Any:
        if role in self.allowed:
            return self.methods[method]
        return self.refused.get(role, 404)

    @property
    def posts(self) -> bool:
        return "POST" in self.methods


def _slug(article_of):
    return lambda w: {"slug": article_of(w).slug}


def _pk(object_of):
    return lambda w: {"pk": object_of(w).pk}


def _selection(w: World) -> dict:
    text = w.article.blocks.get(position=3).text
    return {
        "start_block": 3,
        "start_offset": 0,
        "end_block": 3,
        "end_offset": 8,
        "exact": text[:8],
        "prefix": "",
        "suffix": text[8:40],
        "label": "claim",
        "note": "A new note.",
        "visibility": "public",
    }


ANYONE_READS = {"GET": 200}
OPEN = {ANONYMOUS: 404}  # no sign-in asked: what may not be seen is missing to everyone

TABLE: dict[str, Rule] = {
    # ---- reading
    "home": Rule(ANYONE_READS, EVERYONE, {}),
    # A draft: only curators read it, as readers will see it.
    "articles:detail": Rule(ANYONE_READS, frozenset({CURATOR}), OPEN, _slug(lambda w: w.draft)),
    "annotations:updates": Rule(
        ANYONE_READS, frozenset({CURATOR}), OPEN, _slug(lambda w: w.draft), query={"v": "-1"}
    ),
    "links:debate_map": Rule(ANYONE_READS, frozenset({CURATOR}), OPEN, _slug(lambda w: w.draft)),
    # The margin's batches are for the page's scripts; a person following one gets the page.
    "annotations:cards": Rule(
        {"GET": 302}, frozenset({CURATOR}), OPEN, _slug(lambda w: w.draft), query={"ids": "1,2"}
    ),
    # ---- highlights (the class-only annotation of the world)
    "annotations:create": Rule(
        {"POST": 302}, SIGNED_IN, kwargs=_slug(lambda w: w.article), data=_selection
    ),
    "annotations:annotate_block": Rule(
        {"GET": 200, "POST": 302},
        SIGNED_IN,
        kwargs=lambda w: {"slug": w.article.slug, "position": 3},
        data=lambda w: {
            "first_sentence": 1,
            "last_sentence": 1,
            "label": "opinion",
            "visibility": "public",
        },
    ),
    # The permalink sends readers to the article with the thread open.
    "annotations:card": Rule({"GET": 302}, MEMBERS, OPEN, _pk(lambda w: w.annotation), matrix=True),
    "annotations:thread": Rule(
        {"GET": 302}, MEMBERS, OPEN, _pk(lambda w: w.annotation), matrix=True
    ),
    "annotations:edit": Rule(
        {"GET": 200, "POST": 302},
        frozenset({AUTHOR}),
        kwargs=_pk(lambda w: w.annotation),
        data=lambda w: {"label": "opinion", "note": "Changed."},
        matrix=True,
    ),
    "annotations:delete": Rule(
        {"GET": 200, "POST": 302},
        frozenset({AUTHOR}),
        kwargs=_pk(lambda w: w.annotation),
        matrix=True,
    ),
    "annotations:resolve": Rule(
        {"POST": 302}, frozenset({AUTHOR}), kwargs=_pk(lambda w: w.annotation)
    ),
    "annotations:annotation_helpful": Rule(
        {"POST": 302},
        frozenset({STUDENT, TEACHER}),
        # One's own words cannot be helpful: refused with a reason.
        {ANONYMOUS: LOGIN, AUTHOR: 422},
        _pk(lambda w: w.annotation),
    ),
    # ---- threads
    "annotations:reply": Rule(
        {"POST": 302},
        MEMBERS,
        kwargs=_pk(lambda w: w.annotation),
        data=lambda w: {"body": "Another reply."},
        matrix=True,
    ),
    "annotations:reply_edit": Rule(
        {"GET": 200, "POST": 302},
        frozenset({AUTHOR}),
        kwargs=_pk(lambda w: w.reply),
        data=lambda w: {"body": "Edited reply."},
    ),
    "annotations:reply_delete": Rule(
        {"GET": 200, "POST": 302}, frozenset({AUTHOR}), kwargs=_pk(lambda w: w.reply)
    ),
    # Whoever asked (or the highlight's author: here the same person) marks the answer;
    # others who can read the thread are told why not.
    "annotations:mark_answer": Rule(
        {"POST": 302},
        frozenset({AUTHOR}),
        {ANONYMOUS: LOGIN, STUDENT: 403, TEACHER: 403},
        _pk(lambda w: w.answer),
    ),
    "annotations:reply_helpful": Rule(
        {"POST": 302},
        frozenset({STUDENT, TEACHER}),
        {ANONYMOUS: LOGIN, AUTHOR: 422},
        _pk(lambda w: w.reply),
    ),
    # ---- evidence links (the author's evidence)
    "links:picker": Rule(
        {"GET": 200, "POST": 302},
        frozenset({AUTHOR}),
        kwargs=_pk(lambda w: w.evidence),
        data=lambda w: {"claim": w.other_claim.pk, "relation": "refutes", "justification": "J."},
    ),
    "links:delete": Rule({"POST": 302}, frozenset({AUTHOR}), kwargs=_pk(lambda w: w.link)),
    # ---- notifications (the author's)
    "annotations:inbox": Rule(ANYONE_READS, SIGNED_IN),
    "annotations:read": Rule(
        {"POST": 302}, frozenset({AUTHOR}), kwargs=_pk(lambda w: w.notification)
    ),
    # Everyone may; only the author has something unread.
    "annotations:read_all": Rule({"POST": 302}, SIGNED_IN, no_write_for=SIGNED_IN - {AUTHOR}),
    # ---- classes
    "classrooms:my_classes": Rule(ANYONE_READS, SIGNED_IN),
    "classrooms:create": Rule(
        {"GET": 200, "POST": 302}, SIGNED_IN, data=lambda w: {"name": "A new class"}
    ),
    "classrooms:join": Rule(
        {"GET": 200, "POST": 302},
        SIGNED_IN,
        data=lambda w: {"code": w.classroom.join_code},
        no_write_for=MEMBERS,
    ),
    "classrooms:join_code": Rule(
        {"GET": 200, "POST": 302},
        SIGNED_IN,
        kwargs=lambda w: {"code": w.classroom.join_code},
        data=lambda w: {"code": w.classroom.join_code},
        no_write_for=MEMBERS,
    ),
    "classrooms:detail": Rule(ANYONE_READS, MEMBERS, kwargs=_pk(lambda w: w.classroom)),
    "classrooms:rotate_code": Rule(
        {"POST": 302}, frozenset({TEACHER}), kwargs=_pk(lambda w: w.classroom)
    ),
    "classrooms:remove_member": Rule(
        {"POST": 302},
        frozenset({TEACHER}),
        kwargs=lambda w: {"pk": w.classroom.pk, "user_id": w.user(STUDENT).pk},
    ),
    "classrooms:add_teacher": Rule(
        {"POST": 302},
        frozenset({TEACHER}),
        kwargs=_pk(lambda w: w.classroom),
        data=lambda w: {"username": w.user(OUTSIDER).username},
    ),
    "classrooms:settings": Rule(
        {"GET": 200, "POST": 302},
        frozenset({TEACHER}),
        kwargs=_pk(lambda w: w.classroom),
        data=lambda w: {"name": "Renamed class", "anonymous_students": "on"},
    ),
    "classrooms:assignment_create": Rule(
        {"GET": 200, "POST": 302},
        frozenset({TEACHER}),
        kwargs=_pk(lambda w: w.classroom),
        data=lambda w: {
            "article": w.other_article.pk,
            "instructions": "Read it closely.",
            "reveal_after": 0,
            "min_annotations": 1,
            "min_replies": 0,
        },
    ),
    # ---- assignments: the dashboard and exports ask no sign-in, so they are missing to all
    # but the class's teachers.
    "classrooms:my_assignments": Rule(ANYONE_READS, SIGNED_IN),
    "classrooms:assignment": Rule({"GET": 302}, MEMBERS, kwargs=_pk(lambda w: w.assignment)),
    "classrooms:dashboard": Rule(
        ANYONE_READS, frozenset({TEACHER}), OPEN, _pk(lambda w: w.assignment)
    ),
    "classrooms:dashboard_csv": Rule(
        ANYONE_READS, frozenset({TEACHER}), OPEN, _pk(lambda w: w.assignment)
    ),
    "classrooms:annotations_csv": Rule(
        ANYONE_READS, frozenset({TEACHER}), OPEN, _pk(lambda w: w.assignment), matrix=True
    ),
    "classrooms:open_discussion": Rule(
        {"POST": 302},
        frozenset({TEACHER}),
        OPEN,
        _pk(lambda w: w.assignment),
        data=lambda w: {"block": 3, "start": w.sentence[0], "end": w.sentence[1]},
    ),
    # ---- moderation
    "classrooms:hide_annotation": Rule(
        {"POST": 302}, frozenset({TEACHER}), kwargs=_pk(lambda w: w.annotation), matrix=True
    ),
    "classrooms:hide_reply": Rule(
        {"POST": 302}, frozenset({TEACHER}), kwargs=_pk(lambda w: w.reply)
    ),
    "classrooms:flag_annotation": Rule(
        {"POST": 302},
        frozenset({STUDENT, TEACHER}),
        {ANONYMOUS: LOGIN, AUTHOR: 422},
        _pk(lambda w: w.annotation),
        data=lambda w: {"reason": "Off topic."},
        matrix=True,
    ),
    "classrooms:flag_reply": Rule(
        {"POST": 302},
        frozenset({STUDENT, TEACHER}),
        {ANONYMOUS: LOGIN, AUTHOR: 422},
        _pk(lambda w: w.reply),
        data=lambda w: {"reason": "Off topic."},
    ),
    "classrooms:moderation_queue": Rule(ANYONE_READS, frozenset({CURATOR})),
    "classrooms:moderation_decide": Rule(
        {"POST": 302},
        frozenset({CURATOR}),
        kwargs=_pk(lambda w: w.flag),
        data=lambda w: {"action": "hide"},
    ),
    # ---- accounts
    "signup": Rule(
        {"GET": 200, "POST": 302},
        frozenset({ANONYMOUS}),
        {role: HOME for role in SIGNED_IN},
        data=lambda w: {
            "username": "newcomer-q7",
            "display_name": "Newcomer",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    ),
    # Signing in writes only last_login; a wrong password is the fuzzer's business.
    "login": Rule(
        {"GET": 200, "POST": 302},
        EVERYONE,
        data=lambda w: {"username": w.user(AUTHOR).username, "password": PASSWORD},
        writes=False,
    ),
    "logout": Rule({"POST": 302}, EVERYONE, writes=False),
    # ---- probes for the load balancer: plain text, no sign-in, nothing private
    "healthz": Rule(ANYONE_READS, EVERYONE, {}),
    "readyz": Rule(ANYONE_READS, EVERYONE, {}),
}

# Not in the table because the admin is one family: every `admin:` URL is for staff.
ADMIN_NAMESPACE = "admin"
# What the curator gets on a GET of these admin URLs; every other one answers 200.
ADMIN_CURATOR_GET = {
    "admin:login": 302,  # already signed in: on to the index
    "admin:logout": 405,  # POST only
    "admin:view_on_site": 302,
    "admin:autocomplete": 403,  # without its query parameters
    "admin:articles_article_import_preview": 302,  # nothing imported to preview: back
}
# Only the admin's sign-in page answers non-staff; everything else sends them to it (its
# sign-out page, to the index, which sends them on to the sign-in).
ADMIN_OPEN = {"admin:login"}
ADMIN_NON_STAFF = {"admin:logout": "/admin/"}


def admin_kwargs(world: World, name: str, params: list[str]) -> dict:
    """URL kwargs for an admin URL: the world's row of the model the URL name is about."""
    rows = {
        "auth_group": world.group,
        "auth_user": world.user(AUTHOR),
        "articles_article": world.article,
        "annotations_annotation": world.annotation,
    }
    row = next((r for key, r in rows.items() if name.startswith(f"admin:{key}_")), None)
    values = {
        "object_id": row.pk if row else world.article.pk,
        "id": world.user(AUTHOR).pk,
        "pk": world.annotation.pk,
        "content_type_id": ContentType.objects.get_for_model(Article).pk,
        "app_label": "articles",
    }
    return {p: values[p] for p in params}


def snapshot() -> dict[str, list[tuple]]:
    """Every row the app keeps, field by field: a refusal must leave all of it as it was.

    Sessions are left out (signing in and messages live there), and so is `last_login`.
    """
    from django.apps import apps

    state = {}
    for app in ("articles", "annotations", "classrooms", "auth", "admin"):
        for model in apps.get_app_config(app).get_models():
            if model._meta.label == "auth.Permission":
                continue  # made by migrations, never by a request
            names = [f.attname for f in model._meta.concrete_fields if f.name != "last_login"]
            state[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def every_url(patterns=None, prefix: str = "", namespace: str = ""):
    """(name or None, route, pattern) for every URL, through every include() and the admin."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from every_url(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(n for n in (namespace, entry.name) if n) if entry.name else None
            yield name, route, entry
