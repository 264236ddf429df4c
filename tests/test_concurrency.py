"""Many people writing at once, through the views, against the real database.

Each writer is a thread with its own client and its own database connection, and a barrier
releases them together, so the requests really overlap in the database: nothing lost, nothing
doubled, no server error. The figures below are the ones the README quotes.
"""

import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client

from annotations.models import Annotation, HelpfulVote, Notification, Reply
from articles.models import Article
from tests.factories import PARAGRAPHS, make_annotation, make_article, make_user

DATABASE = settings.DATABASES["default"]
ON_POSTGRES = DATABASE["ENGINE"] == "django.db.backends.postgresql"
# SQLite runs them too: config/settings_test.py gives it a file test database (threads
# sharing Django's default in-memory one fail at once with "database table is locked").
# SQLite takes one writer at a time however many threads ask, so more writers there only
# queue longer; PostgreSQL runs them side by side, which is where races show.
WRITERS = 50 if ON_POSTGRES else 8
REPEATS = 10 if ON_POSTGRES else 5
VOTERS = 20 if ON_POSTGRES else 6
MIXED = 12 if ON_POSTGRES else 6  # a third each: replies, votes, new highlights
HTMX = {"HX-Request": "true"}
STANCES = ["agree", "disagree", "question"]

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(
    users: list[User], requests: list[Callable[[Client], HttpResponse]]
) -> list[HttpResponse]:
    """Send requests[i] as users[i], each from its own thread, all released at once."""
    clients = []
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)  # before the race: only the requests under test overlap
        clients.append(client)
    barrier = threading.Barrier(len(requests))
    responses: list[HttpResponse | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            responses[i] = requests[i](clients[i])
        except BaseException as error:
            errors.append(error)
        finally:
            # Threads open their own connection; an open one would block the flush after
            # the test on PostgreSQL.
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(r is not None for r in responses), "a writer never answered"
    return responses


def statuses(responses: list[HttpResponse]) -> list[int]:
    return [r.status_code for r in responses]


def activity(article: Article) -> int:
    return Article.objects.values_list("activity", flat=True).get(pk=article.pk)


def post(url: str, data: dict | None = None) -> Callable[[Client], HttpResponse]:
    return lambda client: client.post(url, data or {}, headers=HTMX)


def reply_to(annotation: Annotation, body: str, stance: str = "", key: str | None = None):
    data = {"body": body, "stance": stance, "submission_key": key or str(uuid.uuid4())}
    return post(f"/annotations/{annotation.pk}/replies/", data)


@pytest.fixture(autouse=True)
def generous_limits(settings):
    # Every test client writes from 127.0.0.1, and the throttles count in a cache table that
    # outlives each test's flush: here the database is under test, not the limits.
    settings.RATE_LIMITS = {
        name: {scope: (100_000, 60) for scope in limits}
        for name, limits in settings.RATE_LIMITS.items()
    }


@pytest.fixture
def claim():
    article = make_article(slug="contested")
    return make_annotation(article, make_user("claimant", first_name="Cleo"), block=2, end=15)


def test_it_keeps_every_reply_posted_at_the_same_moment(claim):
    repliers = [make_user(f"replier{i}") for i in range(WRITERS)]
    before = activity(claim.article)
    responses = run_together(
        repliers, [reply_to(claim, f"Reply number {i}.", STANCES[i % 3]) for i in range(WRITERS)]
    )
    assert statuses(responses) == [200] * WRITERS
    for i, response in enumerate(responses):
        assert f"Reply number {i}." in response.content.decode()  # each sees its own reply
    replies = Reply.objects.filter(annotation=claim)
    assert replies.count() == WRITERS
    assert {r.author_id for r in replies} == {u.pk for u in repliers}
    # One notification per reply, to the claim's author, from the right person.
    notes = Notification.objects.filter(recipient=claim.author)
    assert sorted(notes.values_list("reply_id", "actor_id")) == sorted(
        replies.values_list("pk", "author_id")
    )
    # A lost update of the live counter would leave some readers without the new replies.
    assert activity(claim.article) >= before + WRITERS

    agree = len(range(0, WRITERS, 3))
    disagree = len(range(1, WRITERS, 3))
    questions = len(range(2, WRITERS, 3))
    summary = f"{agree} agree · {disagree} disagree · {questions} questions"
    reader = Client()
    thread = reader.get(f"/annotations/{claim.pk}/thread/", headers=HTMX).content.decode()
    assert summary in thread
    page = reader.get(claim.article.get_absolute_url()).content.decode()
    assert summary in page
    assert f'Discuss <span class="count-pill">{WRITERS}</span>' in page
    author = Client()
    author.force_login(claim.author)
    inbox = author.get("/notifications/").content.decode()
    assert f'<span class="badge badge--alert">{WRITERS}</span>' in inbox


def test_a_reply_sent_many_times_at_once_counts_once(claim):
    replier = make_user("doubleclicker")
    key = str(uuid.uuid4())
    responses = run_together(
        [replier] * REPEATS, [reply_to(claim, "Only once.", "agree", key)] * REPEATS
    )
    assert statuses(responses) == [200] * REPEATS
    assert Reply.objects.filter(annotation=claim).count() == 1
    assert Notification.objects.filter(recipient=claim.author).count() == 1
    page = Client().get(claim.article.get_absolute_url()).content.decode()
    assert "1 agree" in page and 'Discuss <span class="count-pill">1</span>' in page


def test_an_annotation_sent_many_times_at_once_is_stored_once():
    article = make_article(slug="once")
    author = make_user("highlighter")
    text = PARAGRAPHS[1]
    data = {
        "start_block": 3,
        "start_offset": 0,
        "end_block": 3,
        "end_offset": 9,
        "exact": text[:9],
        "prefix": "",
        "suffix": text[9:41],
        "label": "evidence",
        "note": "Sent by a retrying client.",
        "submission_key": str(uuid.uuid4()),
    }
    before = activity(article)
    url = f"/articles/{article.slug}/annotations/"
    responses = run_together(
        [author] * REPEATS,
        [lambda client: client.post(url, data, headers=HTMX)] * REPEATS,
    )
    assert statuses(responses) == [200] * REPEATS
    annotation = Annotation.objects.get(article=article)  # exactly one
    assert annotation.exact == "Sanctions"
    # Every request is answered with that one annotation, the repeats too.
    assert {r.headers["HX-Trigger"] for r in responses} == {
        f'{{"annotationCreated": {{"id": {annotation.pk}}}}}'
    }
    assert activity(article) > before


def test_one_reader_toggling_helpful_many_times_at_once_leaves_at_most_one_vote(claim):
    voter = make_user("clicker")
    url = f"/annotations/{claim.pk}/helpful/"
    responses = run_together(
        [voter] * REPEATS, [lambda client: client.post(url, headers=HTMX)] * REPEATS
    )
    assert statuses(responses) == [200] * REPEATS
    votes = HelpfulVote.objects.filter(annotation=claim, voter=voter).count()
    assert votes <= 1
    # Whatever state the race left, the next click flips it.
    client = Client()
    client.force_login(voter)
    client.post(url, headers=HTMX)
    assert HelpfulVote.objects.filter(annotation=claim, voter=voter).count() == 1 - votes


def test_many_readers_voting_helpful_at_once_are_all_counted(claim):
    voters = [make_user(f"voter{i}") for i in range(VOTERS)]
    url = f"/annotations/{claim.pk}/helpful/"
    before = activity(claim.article)
    responses = run_together(voters, [lambda client: client.post(url, headers=HTMX)] * VOTERS)
    assert statuses(responses) == [200] * VOTERS
    assert HelpfulVote.objects.filter(annotation=claim).count() == VOTERS
    assert activity(claim.article) >= before + VOTERS
    page = Client().get(claim.article.get_absolute_url()).content.decode()
    assert f'Helpful <span class="count-pill">{VOTERS}</span>' in page


def test_the_live_counter_moves_once_for_every_kind_of_write_at_once(claim):
    """Replies, votes and new highlights at once: a reader polling with the old value sees them."""
    article = claim.article
    users = [make_user(f"writer{i}") for i in range(MIXED)]
    text = PARAGRAPHS[2]
    highlight = {
        "start_block": 4,
        "start_offset": 0,
        "end_block": 4,
        "end_offset": 7,
        "exact": text[:7],
        "suffix": text[7:39],
        "label": "opinion",
    }

    def write(i: int) -> Callable[[Client], HttpResponse]:
        if i % 3 == 0:
            return reply_to(claim, f"Writer {i} replies.")
        if i % 3 == 1:
            return lambda client: client.post(f"/annotations/{claim.pk}/helpful/", headers=HTMX)
        data = {**highlight, "submission_key": str(uuid.uuid4())}
        return lambda client: client.post(
            f"/articles/{article.slug}/annotations/", data, headers=HTMX
        )

    seen = activity(article)
    responses = run_together(users, [write(i) for i in range(MIXED)])
    assert statuses(responses) == [200] * MIXED
    now = activity(article)
    assert now >= seen + MIXED
    reader = Client()
    live = f"/articles/{article.slug}/updates/"
    fresh = reader.get(live, {"v": seen}, headers=HTMX)
    assert fresh.status_code == 200
    opinions = Annotation.objects.filter(article=article, label="opinion")
    assert opinions.count() == len(range(2, MIXED, 3))
    for opinion in opinions:
        assert f'id="annotation-{opinion.pk}"' in fresh.content.decode()
    assert reader.get(live, {"v": now}, headers=HTMX).status_code == 204


def in_background(user: User, request: Callable[[Client], HttpResponse]):
    """Send one request as `user` from its own thread; join the thread, then read the list."""
    client = Client(raise_request_exception=False)
    client.force_login(user)  # committed now, before the test opens its transaction
    answers: list[HttpResponse] = []

    def send() -> None:
        try:
            answers.append(request(client))
        finally:
            connection.close()

    thread = threading.Thread(target=send)
    return thread, answers


def wait_for_a_lock() -> None:
    """Return once another connection waits for a lock this test's transaction holds."""
    with connection.cursor() as cursor:
        for _ in range(200):
            # Inside a transaction PostgreSQL shows one snapshot of the activity: drop it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the other request never waited for this transaction")


@pytest.mark.postgres_only  # holds a row lock while another connection waits on it
def test_a_reply_to_a_reply_deleted_meanwhile_is_refused_not_lost(claim):
    """The answered reply goes while the answer is being saved: the replier must be told."""
    question = claim.reply(make_user("asker"), "Source?", "question")
    replier = make_user("answerer")
    data = {"body": "Here it is.", "parent": question.pk, "submission_key": str(uuid.uuid4())}
    writer, answers = in_background(replier, post(f"/annotations/{claim.pk}/replies/", data))
    with transaction.atomic():
        # Deleted, not yet committed: the reply view still finds the question, and its
        # INSERT waits on the foreign key until this transaction ends.
        Reply.objects.filter(pk=question.pk).delete()
        writer.start()
        wait_for_a_lock()
    writer.join(timeout=30)
    [response] = answers
    assert response.status_code == 422
    assert "Here it is." in response.content.decode()  # the text, to post again
    assert "was deleted" in response.content.decode()
    assert not Reply.objects.filter(body="Here it is.").exists()


@pytest.mark.postgres_only  # holds a row lock while another connection waits on it
def test_a_highlight_on_a_paragraph_deleted_meanwhile_is_refused_with_a_reason():
    """A curator deletes the paragraph while a reader's highlight on it is being saved."""
    article = make_article(slug="edited")
    block = article.blocks.get(position=3)
    data = {
        "start_block": 3,
        "start_offset": 0,
        "end_block": 3,
        "end_offset": 9,
        "exact": block.text[:9],
        "suffix": block.text[9:41],
        "label": "claim",
        "submission_key": str(uuid.uuid4()),
    }
    reader, answers = in_background(
        make_user(), post(f"/articles/{article.slug}/annotations/", data)
    )
    with transaction.atomic():
        block.delete()  # not yet committed: the view still anchors on it
        reader.start()
        wait_for_a_lock()
    reader.join(timeout=30)
    [response] = answers
    assert response.status_code == 422
    assert "text changed while your highlight was being saved" in response.content.decode()
    assert not Annotation.objects.exists()
