"""Deleting a highlight others replied to: the thread stays, the author's words go everywhere."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, EvidenceLink, HelpfulVote, Notification, Reply
from classrooms.models import Assignment, Classroom, Flag, Membership
from classrooms.views import assignments_for
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}

# The note is the author's own words: after deletion it may not appear anywhere at all.
NOTE = "Zebrafinch-7731: my private reasoning about this"
P2 = "The Kremlin’s offer is simple — and, some say, a trap."
P3 = "Sanctions cost Russia 2.1 per cent of growth in 2023. Exports fell by a third."
P4 = "Critics argue the deal rewards aggression. Supporters call it realism."
# The quote is the article's text, shown in the article itself; it may appear nowhere else.
QUOTE = "Sanctions cost Russia 2.1 per cent of growth"


@pytest.fixture
def scene():
    article = make_article(
        "The offer",
        slug="the-offer",
        blocks=[
            ("heading", "Putin’s position"),
            ("paragraph", P2),
            ("paragraph", P3),
            ("paragraph", P4),
        ],
    )
    people = {
        name: make_user(name, first_name=name.title()) for name in ["alice", "bob", "carol", "reed"]
    }
    curator = make_user("curator", is_staff=True, is_superuser=True)
    classroom = Classroom.objects.create(name="9B English")
    classroom.add_member(people["reed"], Membership.Role.TEACHER)
    for name in ["alice", "bob", "carol"]:
        classroom.add_member(people[name], Membership.Role.STUDENT)
    assignment = Assignment.objects.create(classroom=classroom, article=article, reveal_after=1)
    claim = make_annotation(
        article, people["alice"], block=3, start=0, end=len(QUOTE), label="claim", note=NOTE
    )
    claim.classroom, claim.assignment = classroom, assignment
    claim.save()
    evidence = make_annotation(article, people["bob"], block=4, start=0, end=42, label="evidence")
    evidence.classroom, evidence.assignment = classroom, assignment
    evidence.save()
    link = EvidenceLink.objects.create(
        evidence=evidence, claim=claim, relation="refutes", author=people["bob"]
    )
    Notification.for_link(link)
    question = claim.reply(people["bob"], "Where is the 2.1 from?", "question")
    answer = claim.reply(people["carol"], "The IMF, *page 4*.", "agree", parent=question)
    question.mark_answered(answer)
    HelpfulVote.objects.create(voter=people["carol"], annotation=claim)
    HelpfulVote.objects.create(voter=people["alice"], reply=answer)
    Flag.objects.create(reporter=people["bob"], annotation=claim, reason="Off topic")
    return {
        "article": article,
        "claim": claim,
        "evidence": evidence,
        "question": question,
        "answer": answer,
        "classroom": classroom,
        "assignment": assignment,
        "curator": curator,
        **people,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def delete(scene, user=None):
    return client_for(user or scene["alice"]).post(
        f"/annotations/{scene['claim'].pk}/delete/", headers=HTMX
    )


def margin_of(html: str) -> str:
    """The margin of an article page: cards only, none of the article's own text."""
    return html[html.index('id="margin-body"') :]


def test_it_keeps_a_placeholder_with_the_thread_and_erases_the_words(scene):
    response = delete(scene)

    assert response.status_code == 200
    claim = Annotation.objects.get(pk=scene["claim"].pk)
    assert claim.deleted_at is not None
    assert (claim.exact, claim.prefix, claim.suffix, claim.note, claim.label) == ("",) * 5
    # Only the paragraph is kept, as an empty range: not even which words were chosen.
    assert (claim.start_block.position, claim.end_block.position) == (3, 3)
    assert (claim.start_offset, claim.end_offset) == (0, 0)
    assert set(claim.replies.values_list("body", flat=True)) == {
        "Where is the 2.1 from?",
        "The IMF, *page 4*.",
    }
    assert Reply.objects.get(pk=scene["question"].pk).answered_by_id == scene["answer"].pk
    # What was about the words goes with them: links, votes on it, flags on it.
    assert not EvidenceLink.objects.exists()
    assert not HelpfulVote.objects.filter(annotation=claim).exists()
    assert HelpfulVote.objects.filter(reply=scene["answer"]).exists()
    assert not Flag.objects.filter(annotation=claim).exists()
    assert not Notification.objects.filter(kind="link").exists()
    # The response swaps the placeholder into the margin and the unmarked paragraph into the text.
    html = response.content.decode()
    assert "Deleted highlight" in html
    assert f'data-annotations="{claim.pk}"' not in html
    assert NOTE not in html
    assert response["HX-Trigger"] == json.dumps({"annotationDeleted": {"id": claim.pk}})


def test_it_still_deletes_a_highlight_without_replies_outright(scene):
    lonely = make_annotation(scene["article"], scene["alice"], block=2, start=4, end=19)

    response = client_for(scene["alice"]).post(f"/annotations/{lonely.pk}/delete/", headers=HTMX)

    assert response.status_code == 200
    assert not Annotation.objects.filter(pk=lonely.pk).exists()


def test_it_lets_only_the_author_delete(scene):
    for user in [scene["bob"], scene["reed"], scene["curator"]]:
        assert delete(scene, user).status_code == 404
    claim = Annotation.objects.get(pk=scene["claim"].pk)
    assert claim.deleted_at is None and claim.note == NOTE


def test_it_refuses_to_edit_delete_link_or_vote_on_a_placeholder(scene):
    delete(scene)
    pk = scene["claim"].pk
    alice, bob = client_for(scene["alice"]), client_for(scene["bob"])

    assert alice.get(f"/annotations/{pk}/edit/").status_code == 404
    assert (
        alice.post(f"/annotations/{pk}/edit/", {"label": "claim", "note": "back"}).status_code
        == 404
    )
    assert delete(scene).status_code == 404
    assert alice.post(f"/annotations/{pk}/resolve/", headers=HTMX).status_code == 404
    assert bob.post(f"/annotations/{pk}/helpful/", headers=HTMX).status_code == 404
    picker = f"/annotations/{scene['evidence'].pk}/link/"
    linked = bob.post(picker, {"claim": pk, "relation": "supports"}, headers=HTMX)
    assert linked.status_code == 422
    assert not EvidenceLink.objects.exists()
    assert f'name="claim" value="{pk}"' not in bob.get(picker).content.decode()
    assert Annotation.objects.get(pk=pk).note == ""


def test_its_text_is_gone_from_every_page_fragment_and_export(scene):
    pk, slug = scene["claim"].pk, scene["article"].slug
    # Anonymous readers share a cached rendering: it must not outlive the deletion.
    assert NOTE in client_for(None).get(f"/articles/{slug}/").content.decode()
    delete(scene)
    assignment = scene["assignment"].pk
    reed, bob, alice = (
        client_for(scene["reed"]),
        client_for(scene["bob"]),
        client_for(scene["alice"]),
    )
    anonymous = client_for(None)
    article_pages = {
        "article, anonymous": anonymous.get(f"/articles/{slug}/?thread={pk}"),
        "article, anonymous, shared": anonymous.get(f"/articles/{slug}/"),
        "article, author": alice.get(f"/articles/{slug}/?thread={pk}"),
        "article, replier": bob.get(f"/articles/{slug}/?assignment={assignment}&thread={pk}"),
        "article, teacher": reed.get(f"/articles/{slug}/?assignment={assignment}&thread={pk}"),
        "live update": bob.get(f"/articles/{slug}/updates/?v=0&open_threads={pk}", headers=HTMX),
    }
    pages = {
        "card": bob.get(f"/annotations/{pk}/", headers=HTMX),
        "thread": bob.get(f"/annotations/{pk}/thread/", headers=HTMX),
        "debate map": bob.get(f"/articles/{slug}/map/"),
        "replier's notifications": bob.get("/notifications/"),
        "author's notifications": alice.get("/notifications/"),
        "link picker": bob.get(f"/annotations/{scene['evidence'].pk}/link/"),
        "home": bob.get("/"),
        "class page": reed.get(f"/classes/{scene['classroom'].pk}/"),
        "dashboard": reed.get(f"/assignments/{assignment}/dashboard/"),
        "dashboard csv": reed.get(f"/assignments/{assignment}/dashboard.csv"),
        "annotations csv": reed.get(f"/assignments/{assignment}/annotations.csv"),
        "moderation queue": client_for(scene["curator"]).get("/moderation/"),
        "admin": client_for(scene["curator"]).get("/admin/annotations/annotation/"),
    }
    for name, response in {**article_pages, **pages}.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert NOTE not in html, name
        assert QUOTE not in (margin_of(html) if name in article_pages else html), name
        assert not re.search(rf'data-annotations="[^"]*\b{pk}\b', html), name
    # The thread is still there, readable by those who could read it before.
    for name in ["article, anonymous", "article, replier", "article, teacher"]:
        html = article_pages[name].content.decode()
        assert "Deleted highlight" in html, name
        assert "Where is the 2.1 from?" in html and "<em>page 4</em>" in html, name
    export = io.StringIO()
    call_command("export_annotations", stdout=export)
    items = json.dumps(json.loads(export.getvalue())["first"]["items"], ensure_ascii=False)
    assert NOTE not in export.getvalue()
    assert QUOTE not in items
    dump = io.StringIO()
    call_command("dumpdata", "annotations", "classrooms", stdout=dump)
    assert NOTE not in dump.getvalue() and QUOTE not in dump.getvalue()


def test_it_no_longer_counts_a_deleted_highlight(scene):
    delete(scene)
    slug, assignment = scene["article"].slug, scene["assignment"]
    bob, reed = client_for(scene["bob"]), client_for(scene["reed"])

    page = bob.get(f"/articles/{slug}/")
    assert page.context["counts"] == {"claim": 0, "evidence": 1, "opinion": 0, "all": 1}
    assert 'id="margin-toggle-count">1<' in page.content.decode()
    home = bob.get("/")
    assert [a.annotation_count for a in home.context["articles"]] == [1]
    debate_map = bob.get(f"/articles/{slug}/map/").context["map"]
    assert debate_map.claim_count == 0
    dashboard = reed.get(f"/assignments/{assignment.pk}/dashboard/")
    rows = {r.user.username: r for r in dashboard.context["rows"]}
    assert (rows["alice"].claims, rows["alice"].helpful) == (0, 0)
    # Replies were real work and still count.
    assert (rows["bob"].replies, rows["carol"].replies, rows["carol"].helpful) == (1, 1, 1)
    assert dashboard.context["counts"]["highlights"] == 1
    # Nor on the student's own assignment list, nor towards "post N to see classmates".
    assert assignments_for(scene["alice"]).get().my_annotations == 0
    alice_page = client_for(scene["alice"]).get(f"/articles/{slug}/?assignment={assignment.pk}")
    assert alice_page.context["scope"].hide_classmates
    csv_text = reed.get(f"/assignments/{assignment.pk}/annotations.csv").content.decode()
    deleted_row = next(line for line in csv_text.splitlines() if "(deleted)" in line)
    assert deleted_row.startswith(f"annotation,{scene['claim'].pk},3,,,(deleted),alice")


def test_replies_can_go_on_without_notifying_who_deleted_it(scene):
    delete(scene)
    pk = scene["claim"].pk
    Notification.objects.all().delete()

    response = client_for(scene["reed"]).post(
        f"/annotations/{pk}/replies/",
        {"body": "Let’s keep talking.", "parent": scene["question"].pk},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Let’s keep talking." in response.content.decode()
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["bob"]


def test_the_last_reply_going_takes_the_placeholder_with_it(scene):
    delete(scene)
    pk = scene["claim"].pk
    carol, bob = client_for(scene["carol"]), client_for(scene["bob"])

    carol.post(f"/replies/{scene['answer'].pk}/delete/", headers=HTMX)
    assert Annotation.objects.filter(pk=pk).exists()
    response = bob.post(f"/replies/{scene['question'].pk}/delete/", headers=HTMX)

    assert response.status_code == 200
    assert not Annotation.objects.filter(pk=pk).exists()
    assert f'id="annotation-{pk}"' not in response.content.decode()


def test_a_teacher_can_open_a_new_discussion_where_one_was_deleted(scene):
    """The deterministic discussion key is freed, as a hard delete would free it."""
    reed = client_for(scene["reed"])
    assignment = scene["assignment"]
    # Ann and Bob label the same sentence differently: a contested passage.
    for user, label in [(scene["alice"], "claim"), (scene["bob"], "opinion")]:
        a = make_annotation(scene["article"], user, block=2, start=0, end=len(P2), label=label)
        a.classroom, a.assignment = scene["classroom"], assignment
        a.save()
    where = {"block": 2, "start": 0, "end": len(P2)}
    first = reed.post(f"/assignments/{assignment.pk}/discuss/", where)
    discussion = Annotation.objects.get(author=scene["reed"])
    discussion.reply(scene["bob"], "Is it a claim?")
    client_for(scene["reed"]).post(f"/annotations/{discussion.pk}/delete/", headers=HTMX)

    second = reed.post(f"/assignments/{assignment.pk}/discuss/", where)

    assert first.status_code == second.status_code == 302
    fresh = Annotation.objects.live().get(author=scene["reed"])
    assert fresh.pk != discussion.pk and second["Location"].endswith(f"/annotations/{fresh.pk}/")


def test_the_article_page_takes_the_same_queries_with_placeholders(scene):
    slug = scene["article"].slug
    bob = client_for(scene["bob"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert bob.get(f"/articles/{slug}/").status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    delete(scene)
    other = make_annotation(scene["article"], scene["carol"], block=2, start=4, end=19)
    other.reply(scene["bob"], "Agreed.")
    client_for(scene["carol"]).post(f"/annotations/{other.pk}/delete/", headers=HTMX)

    assert Annotation.objects.filter(deleted_at__isnull=False).count() == 2
    assert queries() == before


def test_it_works_without_javascript_too(scene):
    alice, pk = client_for(scene["alice"]), scene["claim"].pk

    confirm = alice.get(f"/annotations/{pk}/delete/").content.decode()
    response = alice.post(f"/annotations/{pk}/delete/")

    assert "The replies others wrote stay" in confirm
    assert response.status_code == 302
    assert response["Location"] == f"/articles/the-offer/#annotation-{pk}"
    assert str(Annotation.objects.get(pk=pk)) == "Deleted highlight"


def test_an_edit_of_the_article_keeps_the_placeholder_and_its_thread(scene):
    delete(scene)
    article = scene["article"]

    article.replace_blocks(
        [
            ("heading", "Putin’s position"),
            ("paragraph", P2),
            ("paragraph", P3 + " New."),
            ("paragraph", P4),
        ]
    )

    # No words are left to look for: the placeholder follows its paragraph, thread and all.
    claim = Annotation.objects.get(pk=scene["claim"].pk)
    assert claim.deleted_at and claim.replies.count() == 2
    assert claim.start_block.text == P3 + " New." and claim.end_block == claim.start_block
    html = (
        client_for(scene["bob"])
        .get(f"/articles/{article.slug}/?thread={claim.pk}")
        .content.decode()
    )
    assert "Deleted highlight" in html and "Where is the 2.1 from?" in html


def test_a_placeholder_is_detached_only_when_its_paragraph_goes(scene):
    delete(scene)
    article = scene["article"]

    article.replace_blocks([("heading", "Putin’s position"), ("paragraph", P2), ("paragraph", P4)])

    claim = Annotation.objects.get(pk=scene["claim"].pk)
    assert claim.deleted_at and claim.start_block is None and claim.replies.count() == 2
