import uuid

import pytest

from annotations.models import Annotation, HelpfulVote, Reply
from annotations.threads import MAX_DEPTH, thread_items
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def claim():
    article = make_article(slug="debate")
    return make_annotation(article, make_user("claimant"), block=2, start=4, end=19)


@pytest.fixture
def reader(client):
    user = make_user("reader", first_name="Rea")
    client.force_login(user)
    return user


def post_reply(client, annotation, body="I disagree.", stance="disagree", parent=None, **extra):
    data = {"body": body, "stance": stance, "submission_key": str(uuid.uuid4()), **extra}
    if parent:
        data["parent"] = parent.pk
    return client.post(f"/annotations/{annotation.pk}/replies/", data, headers=HTMX)


def test_it_adds_a_reply_with_a_stance_and_updates_the_summary(client, claim, reader):
    response = post_reply(client, claim, "Not **quite**: see ¶4.", "disagree")
    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.author, reply.stance, reply.body) == (
        reader,
        "disagree",
        "Not **quite**: see ¶4.",
    )
    html = response.content.decode()
    assert "Not <strong>quite</strong>: see ¶4." in html
    assert f'id="annotation-{claim.pk}-summary" hx-swap-oob="true"' in html
    assert "1 disagree" in html
    assert "replyCreated" in response["HX-Trigger"]


def test_it_threads_replies_to_replies_and_sums_stances(client, claim, reader):
    post_reply(client, claim, "Agreed.", "agree")
    first = Reply.objects.get()
    post_reply(client, claim, "Why?", "question", parent=first)
    post_reply(client, claim, "Also agree.", "agree")
    response = client.get(f"/annotations/{claim.pk}/thread/", headers=HTMX)
    html = response.content.decode()
    assert "2 agree · 1 question" in html
    assert Reply.objects.get(body="Why?").parent == first
    assert 'class="reply reply--depth-1"' in html
    page = client.get(claim.article.get_absolute_url()).content.decode()
    assert "2 agree · 1 question" in page  # the card in the margin says the same


def test_deep_threads_are_flattened_with_in_reply_to(claim):
    author = make_user("deep", first_name="Dee")
    parent, replies = None, []
    for n in range(MAX_DEPTH + 2):
        parent = Reply.objects.create(annotation=claim, author=author, body=f"r{n}", parent=parent)
        replies.append(parent)
    items = thread_items(replies)
    assert [i.depth for i in items] == [0, 1, 2, 3, 3]
    assert items[-1].in_reply_to == replies[-2]
    assert items[2].in_reply_to is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   "}, "Write something before posting."),
        ({"body": "x" * 5001}, "Keep replies under 5,000 characters."),
        ({"stance": "maybe"}, "Choose Agree, Disagree, Question or no stance."),
    ],
)
def test_it_refuses_bad_replies_and_stores_nothing(client, claim, reader, data, message):
    response = post_reply(client, claim, **{"body": "ok", **data})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Reply.objects.count() == 0


def test_it_refuses_a_parent_from_another_thread(client, claim, reader):
    other = make_annotation(claim.article, reader, block=3, start=0, end=5)
    elsewhere = other.reply(reader, "elsewhere")
    response = post_reply(client, claim, "hi", parent=elsewhere)
    assert response.status_code == 422
    assert "no longer exists" in response.content.decode()
    assert Reply.objects.count() == 1


def test_a_repeated_reply_submission_posts_once(client, claim, reader):
    key = str(uuid.uuid4())
    post_reply(client, claim, "Once.", submission_key=key)
    post_reply(client, claim, "Once.", submission_key=key)
    assert Reply.objects.count() == 1


def test_anonymous_readers_cannot_reply(client, claim):
    response = post_reply(client, claim)
    assert response.status_code == 302
    assert Reply.objects.count() == 0


def test_it_edits_my_reply_and_shows_edited(client, claim, reader):
    reply = claim.reply(reader, "First thought")
    response = client.post(f"/replies/{reply.pk}/edit/", {"body": "Second thought"}, headers=HTMX)
    assert response.status_code == 200
    reply.refresh_from_db()
    assert (reply.body, reply.edited) == ("Second thought", True)
    assert "(edited)" in response.content.decode()


def test_a_deleted_reply_with_answers_stays_as_a_placeholder(client, claim, reader):
    mine = claim.reply(reader, "Mine")
    claim.reply(make_user("other"), "An answer", parent=mine)
    response = client.post(f"/replies/{mine.pk}/delete/", headers=HTMX)
    assert "Deleted reply" in response.content.decode()
    mine.refresh_from_db()
    assert mine.deleted and mine.body == ""
    assert "An answer" in response.content.decode()
    lonely = claim.reply(reader, "Alone")
    client.post(f"/replies/{lonely.pk}/delete/", headers=HTMX)
    assert not Reply.objects.filter(pk=lonely.pk).exists()


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_someone_elses_reply_looks_missing(client, claim, reader, action):
    theirs = claim.reply(make_user("other"), "Theirs")
    assert client.get(f"/replies/{theirs.pk}/{action}/").status_code == 404
    assert (
        client.post(
            f"/replies/{theirs.pk}/{action}/", {"body": "Mine now"}, headers=HTMX
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.body == "Theirs" and not theirs.deleted


def test_only_the_author_resolves_and_reopens(client, claim, reader):
    assert client.post(f"/annotations/{claim.pk}/resolve/", headers=HTMX).status_code == 404
    claim.refresh_from_db()
    assert not claim.resolved
    client.force_login(claim.author)
    response = client.post(f"/annotations/{claim.pk}/resolve/", headers=HTMX)
    assert "Resolved" in response.content.decode()
    claim.refresh_from_db()
    assert claim.resolved
    client.post(f"/annotations/{claim.pk}/resolve/", headers=HTMX)
    claim.refresh_from_db()
    assert not claim.resolved


def test_the_asker_marks_the_answer_to_a_question(client, claim, reader):
    question = claim.reply(reader, "Source?", "question")
    answer = claim.reply(make_user("helper", first_name="Hal"), "Reuters, 3 May.", parent=question)
    stranger = make_user("stranger")
    client.force_login(stranger)
    assert client.post(f"/replies/{answer.pk}/answer/", headers=HTMX).status_code == 403
    client.force_login(reader)
    response = client.post(f"/replies/{answer.pk}/answer/", headers=HTMX)
    assert "Answered" in response.content.decode()
    assert "see Hal’s answer" in response.content.decode()
    question.refresh_from_db()
    assert question.answered_by == answer


def test_helpful_toggles_once_per_person_and_not_on_my_own(client, claim, reader):
    url = f"/annotations/{claim.pk}/helpful/"
    response = client.post(url, headers=HTMX)
    assert 'aria-pressed="true"' in response.content.decode()
    assert HelpfulVote.objects.filter(annotation=claim, voter=reader).count() == 1
    client.post(url, headers=HTMX)
    assert HelpfulVote.objects.count() == 0
    mine = claim.reply(reader, "Mine")
    response = client.post(f"/replies/{mine.pk}/helpful/", headers=HTMX)
    assert response.status_code == 422
    assert HelpfulVote.objects.count() == 0


def test_the_permalink_opens_the_article_with_the_thread_open(client, claim, reader):
    claim.reply(reader, "Opening words")
    response = client.get(f"/annotations/{claim.pk}/")
    url = f"{claim.article.get_absolute_url()}?thread={claim.pk}#annotation-{claim.pk}"
    assert response["Location"] == url
    html = client.get(url).content.decode()
    assert f'id="annotation-{claim.pk}-thread"' in html
    assert "Opening words" in html


def test_replies_render_markdown_safely(client, claim, reader):
    post_reply(client, claim, "<script>alert(1)</script> [x](javascript:alert(1)) *ok*")
    html = client.get(f"/annotations/{claim.pk}/thread/", headers=HTMX).content.decode()
    assert "<script>alert" not in html
    assert 'href="javascript' not in html  # left as inert text
    assert "&lt;script&gt;" in html
    assert "<em>ok</em>" in html


def test_the_article_page_query_count_does_not_grow_with_threads(client, claim, reader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = claim.article.get_absolute_url()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    before = count()
    for n in range(30):
        annotation = make_annotation(claim.article, reader, block=2 + n % 3, start=0, end=5)
        reply = annotation.reply(reader, f"reply {n}", "agree")
        annotation.reply(make_user(), "answer", "question", parent=reply)
        HelpfulVote.toggle(make_user(), annotation)
    assert Annotation.objects.count() == 31
    assert count() == before
