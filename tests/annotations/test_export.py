"""W3C Web Annotation export and import: the pure mapping, the commands, the round trip."""

import io
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from annotations import webannotation as wa
from annotations.anchoring import document_text
from annotations.models import Annotation, EvidenceLink, HelpfulVote, Reply
from articles.models import Article
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

NOTE_OF_DELETED = "Quokka-5519: words the author took back"
P2 = "The Kremlin’s offer is simple — and, some say, a trap."
P3 = "Sanctions cost Russia 𝒳 growth in 2023. Exports fell by a third."
P4 = "Critics argue the deal “rewards aggression”. Supporters call it realism."
DELETED_QUOTE = "Critics argue the deal"
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


# ---- The pure mapping ----------------------------------------------------------------------


def highlight(**fields) -> dict:
    record = {
        "uid": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "article": "the-offer",
        "author": "ann",
        "label": "claim",
        "note": "A *trap*?",
        "exact": "trap.\nSanctions",
        "prefix": "and, some say, a ",
        "suffix": " cost Russia 𝒳 growth in 2023. Ex",
        "anchor": {"start_block": 1, "start_offset": 49, "end_block": 2, "end_offset": 9},
        "anchored_revision": 1,
        "approximate": False,
        "visibility": "public",
        "classroom": None,
        "assignment": None,
        "hidden": False,
        "resolved": False,
        "deleted_at": None,
        "created": T0,
        "updated": T0 + timedelta(minutes=5),
        "helpful": ["bob", "cat"],
    }
    return record | fields


def reply(**fields) -> dict:
    record = {
        "uid": uuid.UUID("00000000-0000-4000-8000-000000000002"),
        "annotation": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "parent": None,
        "author": "bob",
        "body": "Is it?",
        "stance": "question",
        "answered_by": None,
        "deleted": False,
        "hidden": False,
        "edited": False,
        "created": T0 + timedelta(hours=1),
        "updated": T0 + timedelta(hours=1),
        "helpful": [],
    }
    return record | fields


def dataset(**sections) -> dict:
    article = {
        "slug": "the-offer",
        "url": None,
        "title": "The offer",
        "standfirst": "",
        "author": "",
        "source_name": "",
        "source_url": "",
        "published_year": 2024,
        "published_month": None,
        "published_day": None,
        "article_type": "",
        "status": "published",
        "import_key": None,
        "created": T0,
        "updated": T0,
        "blocks": [
            {"kind": "paragraph", "text": P2, "revision": 1},
            {"kind": "paragraph", "text": P3, "revision": 2},
        ],
    }
    data = {
        "users": [{"username": n, "name": n.title()} for n in ["ann", "bob", "cat"]],
        "articles": [article],
        "classrooms": [],
        "assignments": [],
        "annotations": [highlight()],
        "replies": [reply()],
        "links": [],
    }
    return data | sections


def test_it_writes_a_highlight_as_a_w3c_annotation_with_both_selectors():
    document = wa.to_document(dataset(annotations=[highlight(helpful=["cat", "bob"])]))
    item = document["first"]["items"][0]

    assert document["type"] == "AnnotationCollection"
    assert document["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert item["@context"] == ["http://www.w3.org/ns/anno.jsonld", {"gloss": "urn:gloss:terms:"}]
    assert item["id"] == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert (item["type"], item["motivation"]) == ("Annotation", "commenting")
    assert item["creator"] == {"id": "urn:gloss:user:ann", "type": "Person", "nickname": "ann"}
    assert item["created"] == "2026-03-01T09:30:15.123456Z"
    assert item["body"] == [
        {
            "type": "TextualBody",
            "value": "A *trap*?",
            "format": "text/markdown",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "claim", "purpose": "classifying"},
    ]
    quote, position = item["target"]["selector"]
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "trap.\nSanctions",
        "prefix": "and, some say, a ",
        "suffix": " cost Russia 𝒳 growth in 2023. Ex",
    }
    # Code points over the blocks joined by one newline: the same text as the quote.
    assert document_text([P2, P3])[position["start"] : position["end"]] == quote["exact"]
    assert item["target"]["source"] == "urn:gloss:article:the-offer"
    assert item["gloss:helpful"] == ["bob", "cat"]


def test_it_writes_replies_as_replying_to_what_they_answer():
    nested = reply(uid=uuid.uuid4(), parent=reply()["uid"], stance="", body="Yes.")
    items = wa.to_document(dataset(replies=[reply(), nested]))["first"]["items"]

    top, answer = items[1], items[2]
    assert top["motivation"] == answer["motivation"] == "replying"
    assert top["target"] == top["gloss:thread"] == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert answer["target"] == "urn:uuid:00000000-0000-4000-8000-000000000002"
    assert answer["gloss:thread"] == top["target"]
    assert top["body"] == {"type": "TextualBody", "value": "Is it?", "format": "text/markdown"}
    assert (top["gloss:stance"], answer["gloss:stance"]) == ("question", None)


def test_it_writes_a_deleted_highlight_without_any_of_its_words():
    placeholder = highlight(
        label="",
        note="",
        exact="",
        prefix="",
        suffix="",
        deleted_at=T0 + timedelta(days=1),
        anchor={"start_block": 2, "start_offset": 0, "end_block": 2, "end_offset": 0},
    )
    item = wa.to_document(dataset(annotations=[placeholder]))["first"]["items"][0]

    assert "body" not in item and "selector" not in item["target"]
    assert item["gloss:deleted"] == "2026-03-02T09:30:15.123456Z"
    assert wa.from_document(wa.to_document(dataset(annotations=[placeholder])))["annotations"] == [
        placeholder
    ]


def test_it_writes_links_as_linking_annotations_on_the_claim():
    evidence = highlight(uid=uuid.uuid4(), label="evidence", note="")
    link = {
        "uid": uuid.uuid4(),
        "evidence": evidence["uid"],
        "claim": highlight()["uid"],
        "relation": "refutes",
        "justification": "Figures differ",
        "author": "cat",
        "created": T0 + timedelta(days=2),
    }
    item = wa.to_document(dataset(annotations=[highlight(), evidence], links=[link]))["first"][
        "items"
    ][-1]

    assert item["motivation"] == "linking"
    assert item["target"] == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert item["body"] == [
        wa.uid_urn(evidence["uid"]),
        {"type": "TextualBody", "value": "Figures differ", "purpose": "commenting"},
    ]
    assert item["gloss:relation"] == "refutes"


def test_it_reads_back_exactly_what_it_wrote():
    data = dataset(replies=[reply(), reply(uid=uuid.uuid4(), parent=reply()["uid"], stance="")])
    again = wa.from_document(json.loads(wa.dumps(wa.to_document(data))))

    for section in data:
        assert len(again[section]) == len(data[section]), section
    assert again["annotations"][0] == data["annotations"][0]
    assert again["replies"] == data["replies"]
    assert wa.dumps(wa.to_document(again)) == wa.dumps(wa.to_document(data))


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda d: d.update({"@context": "http://example.com"}), "@context: must include"),
        (lambda d: d.update({"type": "Thing"}), "type: expected AnnotationCollection"),
        (lambda d: item(d).update({"id": "42"}), "first.items[0].id: expected an id like urn:uuid"),
        (lambda d: item(d).update({"motivation": "bookmarking"}), "is not one we store"),
        (lambda d: item(d).update({"gloss:visibility": "class"}), "needs a gloss:classroom"),
        (lambda d: item(d).update({"gloss:visibility": "secret"}), "'secret' is not one of"),
        (lambda d: item(d).update({"created": "yesterday"}), "not a date and time"),
        (lambda d: item(d).update({"created": "2026-03-01T09:30:15"}), "needs its time zone"),
        (lambda d: item(d).update({"gloss:hidden": "no"}), "expected true or false"),
        (lambda d: item(d)["body"].pop(), "needs a classifying body"),
        (
            lambda d: item(d)["target"]["selector"][0].update({"exact": "a different text"}),
            "is not its quote",
        ),
        (
            lambda d: item(d)["gloss:anchor"].update({"endBlock": 9}),
            "its anchor does not fit the article",
        ),
        (lambda d: d["first"]["items"].append(item(d)), "appears twice"),
        (lambda d: item(d, 1).update({"target": wa.uid_urn(uuid.uuid4())}), "not in the file"),
        (lambda d: item(d, 1).update({"gloss:stance": "maybe"}), "'maybe' is not one of"),
        (lambda d: d["gloss:articles"][0]["blocks"].clear(), "needs at least one block"),
        (lambda d: d["gloss:users"][0].update({"nickname": "a b"}), "not a username"),
    ],
)
def test_it_refuses_a_bad_document_saying_where(spoil, message):
    document = json.loads(wa.dumps(wa.to_document(dataset())))
    spoil(document)

    with pytest.raises(wa.FormatError) as error:
        wa.from_document(document)

    assert message in str(error.value)


def item(document, index=0) -> dict:
    return document["first"]["items"][index]


def test_it_refuses_replies_that_go_round_in_a_circle():
    a, b = uuid.uuid4(), uuid.uuid4()
    circle = [reply(uid=a, parent=b), reply(uid=b, parent=a)]
    document = json.loads(wa.dumps(wa.to_document(dataset(replies=circle))))

    with pytest.raises(wa.FormatError, match="circle"):
        wa.from_document(document)


# ---- The commands on a rich dataset --------------------------------------------------------


def build_rich_dataset() -> dict:
    """Everything the export has to carry, each kind at least once."""
    people = {
        name: make_user(name, first_name=full)
        for name, full in [
            ("reed", "Ms Reed"),
            ("tess", "Tess Teach"),
            ("ann", "Ann Archer"),
            ("bob", "Bob Bell"),
            ("cat", "Cat Cole"),
            ("dan", "Dan Doe"),
        ]
    }
    first = make_article(
        "The offer",
        slug="the-offer",
        blocks=[
            ("heading", "Putin’s position"),
            ("paragraph", P2),
            ("paragraph", "Old."),
            ("paragraph", P4),
        ],
        author="A. Writer",
        source_name="The Paper",
        source_url="https://paper.example/offer",
        published_year=2024,
        published_month=2,
    )
    # An edit before anyone annotated: ¶3 is at its second revision.
    first.replace_blocks(
        [("heading", "Putin’s position"), ("paragraph", P2), ("paragraph", P3), ("paragraph", P4)]
    )
    second = make_article(
        "Sanctions", slug="sanctions", blocks=[("paragraph", P3), ("paragraph", P2)]
    )
    make_article("A draft", slug="a-draft", status=Article.Status.DRAFT)
    nine_b = Classroom.objects.create(name="9B English", anonymous_students=True)
    nine_b.add_member(people["reed"], Membership.Role.TEACHER)
    nine_b.add_member(people["tess"], Membership.Role.TEACHER)
    for name in ["ann", "bob", "cat"]:
        nine_b.add_member(people[name], Membership.Role.STUDENT)
    ten_a = Classroom.objects.create(name="10A History")
    ten_a.add_member(people["tess"], Membership.Role.TEACHER)
    ten_a.add_member(people["dan"], Membership.Role.STUDENT)
    assignment = Assignment.objects.create(
        classroom=nine_b,
        article=first,
        instructions="Find two claims.",
        due=datetime(2026, 1, 5, 12, tzinfo=UTC),
        reveal_after=1,
        min_annotations=2,
    )

    def written(annotation, visibility="public", classroom=None, **fields):
        annotation.visibility, annotation.classroom = visibility, classroom
        for name, value in fields.items():
            setattr(annotation, name, value)
        annotation.save()
        return annotation

    claim = written(
        make_annotation(
            first, people["ann"], block=2, start=4, end=19, note="The **offer** itself"
        ),
        classroom=nine_b,
        assignment=assignment,
        resolved=True,
    )
    evidence = written(
        make_annotation(first, people["bob"], block=3, start=0, end=24, label="evidence"),
        "class",
        nine_b,
        assignment=assignment,
    )
    written(
        make_annotation(
            first, people["cat"], block=2, start=40, end=53, label="opinion", note="Mine"
        ),
        "private",
    )
    written(
        make_annotation(first, people["bob"], block=4, start=45, end=71, label="opinion"),
        "class",
        nine_b,
        hidden=True,
    )
    written(
        make_annotation(first, people["reed"], block=2, start=4, end=19),
        "key",
        nine_b,
        assignment=assignment,
    )
    across = make_annotation(
        second, people["dan"], block=1, start=10, end=5, end_block=2, note="Spans"
    )
    written(
        make_annotation(second, people["dan"], block=2, start=0, end=13),
        "class",
        ten_a,
        approximate=True,
    )
    detached = make_annotation(second, people["ann"], block=1, start=0, end=9, label="evidence")
    Annotation.objects.filter(pk=detached.pk).update(start_block=None, end_block=None)

    question = claim.reply(people["bob"], "Is it *really* simple?", "question")
    answer = claim.reply(people["cat"], "Yes: read ¶3.", "agree", parent=question)
    deeper = claim.reply(people["ann"], "Not quite.", "disagree", parent=answer)
    claim.reply(people["dan"], "Deeper still", parent=deeper)
    question.mark_answered(answer)
    gone = claim.reply(people["cat"], "I take this back", parent=answer)
    claim.reply(people["bob"], "Answering the taken back", parent=gone)
    gone.remove()
    hidden = evidence.reply(people["cat"], "Off topic", "")
    Reply.objects.filter(pk=hidden.pk).update(hidden=True)
    edited = evidence.reply(people["ann"], "First thoughts")
    edited.edit("Second thoughts")

    EvidenceLink.objects.create(
        evidence=evidence,
        claim=claim,
        relation="supports",
        justification="Growth fell",
        author=people["bob"],
    )
    EvidenceLink.objects.create(
        evidence=evidence, claim=across, relation="qualifies", author=people["bob"]
    )
    EvidenceLink.objects.create(
        evidence=detached, claim=claim, relation="refutes", author=people["ann"]
    )
    HelpfulVote.objects.create(voter=people["cat"], annotation=claim)
    HelpfulVote.objects.create(voter=people["dan"], annotation=claim)
    HelpfulVote.objects.create(voter=people["ann"], reply=answer)

    deleted = make_annotation(
        first, people["ann"], block=4, start=0, end=len(DELETED_QUOTE), note=NOTE_OF_DELETED
    )
    deleted.reply(people["bob"], "Why delete it?")
    deleted.remove()
    return {"first": first, "second": second, "people": people, "deleted": deleted}


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_annotations", *args, stdout=out)
    return out.getvalue()


def import_text(tmp_path, text: str, name="export.json") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_annotations", str(path), stdout=out)
    return out.getvalue()


MARK = re.compile(
    r'<mark class="([^"]+)" data-kind="(\w+)" data-kinds="([^"]+)" data-annotations="[^"]*"'
    r' data-count="(\d+)">([^<]*)</mark>'
)


def highlights_seen(client: Client, slug: str) -> list:
    """Every mark on the page as a reader sees it, without row ids (they change on import)."""
    html = client.get(f"/articles/{slug}/").content.decode()
    cards = re.findall(r'class="card card--(\w+)"', html)
    return [MARK.findall(html), cards]


def views_of(slugs) -> dict:
    seen = {}
    for username in [None, "ann", "reed", "cat", "dan"]:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        for slug in slugs:
            seen[(username, slug)] = highlights_seen(client, slug)
    return seen


def empty_database() -> None:
    Annotation.objects.all().delete()
    Classroom.objects.all().delete()  # first: assignments protect their articles
    Article.objects.all().delete()
    User.objects.all().delete()


def table_counts() -> dict:
    models = [
        User,
        Article,
        Classroom,
        Membership,
        Assignment,
        Annotation,
        Reply,
        EvidenceLink,
        HelpfulVote,
    ]
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.django_db(transaction=True)
def test_it_restores_an_export_onto_an_empty_database_byte_for_byte(tmp_path):
    build_rich_dataset()
    before = export()
    pages_before = views_of(["the-offer", "sanctions"])
    # The comparison below means something: readers see marks, and not all the same ones.
    marks_seen = {
        who: len(marks) for (who, slug), (marks, _) in pages_before.items() if slug == "the-offer"
    }
    assert marks_seen[None] > 0 and marks_seen["reed"] > marks_seen[None]
    assert "deleted" in pages_before[(None, "the-offer")][1]
    counts_before = table_counts()

    call_command("flush", interactive=False)
    assert table_counts()["Annotation"] == 0
    summary = import_text(tmp_path, before)

    assert "highlights created" in summary
    after = export()
    assert after == before
    assert table_counts() == counts_before
    assert views_of(["the-offer", "sanctions"]) == pages_before
    # Nothing was lost on the way: every kind is in there.
    document = json.loads(after)
    motivations = {i["motivation"] for i in document["first"]["items"]}
    assert motivations == {"highlighting", "commenting", "replying", "linking"}
    assert {i.get("gloss:visibility") for i in document["first"]["items"]} >= set(wa.VISIBILITIES)
    imported = User.objects.get(username="ann")
    assert imported.first_name == "Ann Archer" and not imported.has_usable_password()


@pytest.mark.django_db
def test_it_imports_twice_without_changing_anything(tmp_path):
    build_rich_dataset()
    text = export()

    summary = import_text(tmp_path, text)

    assert summary.endswith("nothing new.\n")
    assert export() == text
    updated = list(Annotation.objects.order_by("uid").values_list("uid", "updated", "created"))
    activity = list(Article.objects.order_by("slug").values_list("slug", "activity"))
    import_text(tmp_path, text)
    assert (
        list(Annotation.objects.order_by("uid").values_list("uid", "updated", "created")) == updated
    )
    assert list(Article.objects.order_by("slug").values_list("slug", "activity")) == activity


@pytest.mark.django_db
def test_it_leaves_the_deleted_highlights_words_out_of_the_export():
    dataset = build_rich_dataset()
    text = export()
    document = json.loads(text)
    items = json.dumps(document["first"]["items"], ensure_ascii=False)

    assert NOTE_OF_DELETED not in text
    assert DELETED_QUOTE not in items
    placeholder = next(
        i for i in document["first"]["items"] if i["id"] == wa.uid_urn(dataset["deleted"].uid)
    )
    assert placeholder["gloss:deleted"] and "body" not in placeholder


@pytest.mark.django_db
def test_it_exports_one_article_with_only_what_belongs_to_it(tmp_path):
    build_rich_dataset()
    document = json.loads(export("--article", "sanctions", "--base-url", "https://gloss.example/"))

    assert [a["slug"] for a in document["gloss:articles"]] == ["sanctions"]
    assert [c["name"] for c in document["gloss:classrooms"]] == ["10A History"]
    highlights = [i for i in document["first"]["items"] if i["motivation"] != "linking"]
    assert {i["target"]["source"] for i in highlights if i["motivation"] != "replying"} == {
        "https://gloss.example/articles/sanctions/"
    }
    # Links to the other article would name rows the file doesn't hold.
    assert all(i["motivation"] != "linking" for i in document["first"]["items"])
    with pytest.raises(CommandError, match="No article"):
        export("--article", "nope")


@pytest.mark.django_db
def test_it_writes_a_file_with_output(tmp_path):
    build_rich_dataset()
    path = tmp_path / "backup.jsonld"
    call_command("export_annotations", "--output", str(path), stderr=io.StringIO())

    assert path.read_text(encoding="utf-8") == export()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda text: text[:-20], "is not JSON"),
        (
            lambda text: text.replace(
                '"gloss:visibility": "private"', '"gloss:visibility": "secret"'
            ),
            "'secret' is not one of",
        ),
        (
            lambda text: text.replace('"slug": "sanctions"', '"slug": "elsewhere"'),
            "'sanctions' is neither in the file nor in the database",
        ),
    ],
)
def test_a_bad_file_writes_nothing_and_says_why(tmp_path, spoil, message):
    build_rich_dataset()
    text = spoil(export())
    empty_database()
    make_user("somebody")

    with pytest.raises(CommandError, match=message):
        import_text(tmp_path, text)

    assert table_counts() == {**{k: 0 for k in table_counts()}, "User": 1}


def test_a_bad_file_exits_non_zero(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"type": "AnnotationCollection"}', encoding="utf-8")
    # A database of its own: the file is refused before anything is read or written.
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "import_annotations", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "@context: must include http://www.w3.org/ns/anno.jsonld" in result.stderr
    assert "nothing was written" in result.stderr


@pytest.mark.django_db
def test_it_refuses_highlights_whose_article_text_changed(tmp_path):
    build_rich_dataset()
    text = export()
    empty_database()
    make_article(
        "Sanctions",
        slug="sanctions",
        blocks=[("paragraph", "Other words entirely."), ("paragraph", P2)],
    )
    document = json.loads(text)
    document["gloss:articles"] = [a for a in document["gloss:articles"] if a["slug"] != "sanctions"]

    with pytest.raises(CommandError, match=r"not its quote|does not fit"):
        import_text(tmp_path, json.dumps(document))

    assert Annotation.objects.count() == 0


def test_an_approximate_highlight_may_differ_from_the_text_at_its_anchor():
    blocks = [P2, P3]
    moved = highlight(exact="trap!\nSanctions", approximate=True)

    assert wa.anchor_problem(blocks, moved) is None
    assert "is not its quote" in wa.anchor_problem(blocks, moved | {"approximate": False})
    assert wa.anchor_problem(blocks, moved | {"anchor": None}) is None


@pytest.mark.django_db
def test_what_the_database_refuses_is_rolled_back_whole(tmp_path):
    build_rich_dataset()
    document = json.loads(export())
    history = next(c for c in document["gloss:classrooms"] if c["name"] == "10A History")
    Classroom.objects.get(name="10A History").add_member(make_user("eve"), "student")  # number 3
    history["members"].append({"user": "zed", "role": "student", "number": 3})
    counts = table_counts()

    with pytest.raises(CommandError, match="The database refused"):
        import_text(tmp_path, json.dumps(document))

    assert table_counts() == counts
    assert not User.objects.filter(username="zed").exists()
