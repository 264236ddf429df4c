"""Query budgets: every page and fragment a reader or teacher polls costs the same number of
queries with 3 annotations as with 60, replies, links and votes included.

The article page signed in without a thread, the dashboard's growth with the class size and the
debate map's constancy are pinned beside their views (tests/articles/test_views.py,
tests/classrooms/test_dashboard.py, tests/annotations/test_links.py); these pin the rest, with
exact numbers so that a new query anywhere is a decision, not an accident. N+1s that a fixed
total could hide are zeal's job (config/settings_test.py).
"""

import pytest

from annotations.models import Annotation, EvidenceLink, HelpfulVote
from articles.models import Article
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
SIZES = [3, 60]
LABELS = ["claim", "evidence", "opinion"]


@pytest.fixture(params=SIZES, ids=lambda n: f"{n}-annotations")
def reading(request):
    """An article read by a class: n highlights with replies, answers, links and votes."""
    teacher, reader = make_user(first_name="Ms Reed"), make_user(first_name="Ann")
    students = [reader, *(make_user() for _ in range(3))]
    classroom = Classroom.objects.create(name="9B", anonymous_students=True)
    classroom.add_member(teacher, Membership.Role.TEACHER)
    for student in students:
        classroom.add_member(student, Membership.Role.STUDENT)
    article = make_article()
    assignment = Assignment.objects.create(classroom=classroom, article=article)
    annotations = []
    for i in range(request.param):
        author = students[i % len(students)]
        annotation = make_annotation(
            article, author, block=2 + i % 3, start=i % 5, end=8 + i % 5, label=LABELS[i % 3]
        )
        annotation.visibility = "class" if i % 2 else "public"
        annotation.classroom, annotation.assignment = classroom, assignment
        annotation.note = "A *note*." if i % 4 == 0 else ""
        annotation.save()
        question = annotation.reply(students[(i + 1) % 4], "Why?", "question")
        answer = annotation.reply(author, "Because.", "agree", parent=question)
        question.mark_answered(answer)
        annotation.reply(teacher, "Deeper.", "disagree", parent=answer)
        HelpfulVote.objects.create(voter=teacher, annotation=annotation)
        HelpfulVote.objects.create(voter=teacher, reply=answer)
        annotations.append(annotation)
    claims = [a for a in annotations if a.label == "claim"]
    for evidence in (a for a in annotations if a.label == "evidence"):
        EvidenceLink.objects.create(
            evidence=evidence, claim=claims[0], relation="supports", author=evidence.author
        )
    return {
        "article": Article.objects.get(pk=article.pk),
        "assignment": assignment,
        "teacher": teacher,
        "reader": reader,
        "claim": claims[0],
    }


def test_it_reads_the_article_page_anonymously_in_fixed_queries(
    client, reading, django_assert_num_queries
):
    # article, blocks, every highlight (for the text, counts and stubs), the cards rendered in
    # full (authors and counts joined), evidence links, claim links
    with django_assert_num_queries(6):
        assert client.get(reading["article"].get_absolute_url()).status_code == 200


def test_it_reads_the_article_page_with_an_open_thread_in_fixed_queries(
    client, reading, django_assert_num_queries
):
    client.force_login(reading["reader"])
    url = f"{reading['article'].get_absolute_url()}?thread={reading['claim'].pk}"
    # session, user, article, blocks, my classes, classmates' numbers, every highlight, the
    # full cards, both kinds of links, the open thread's replies, unread notifications
    with django_assert_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert f'id="annotation-{reading["claim"].pk}-thread"' in response.content.decode()


def test_it_reads_a_card_in_fixed_queries(client, reading, django_assert_num_queries):
    client.force_login(reading["reader"])
    # session, user, the annotation (counts and article joined), its two kinds of links,
    # my classes, classmates' numbers
    with django_assert_num_queries(7):
        response = client.get(f"/annotations/{reading['claim'].pk}/", headers=HTMX)
    assert response.status_code == 200


def test_it_reads_a_thread_in_fixed_queries(client, reading, django_assert_num_queries):
    client.force_login(reading["reader"])
    # session, user, the annotation with its links, the replies (authors, answers, votes
    # joined), my classes, classmates' numbers
    with django_assert_num_queries(8):
        response = client.get(f"/annotations/{reading['claim'].pk}/thread/", headers=HTMX)
    assert response.status_code == 200
    assert "Deeper." in response.content.decode()


def test_a_live_update_with_nothing_new_costs_one_query(client, reading, django_assert_num_queries):
    client.force_login(reading["reader"])
    article = reading["article"]
    # The published article's version only: not even the session or the user.
    with django_assert_num_queries(1):
        response = client.get(
            f"/articles/{article.slug}/updates/", {"v": article.activity}, headers=HTMX
        )
    assert response.status_code == 204


def test_a_live_update_with_news_costs_what_the_page_does(
    client, reading, django_assert_num_queries
):
    client.force_login(reading["reader"])
    article = reading["article"]
    # article, session, user, blocks, my classes, classmates' numbers, every highlight, the
    # full cards, both kinds of links (no header: an htmx fragment shows no unread badge)
    with django_assert_num_queries(10):
        response = client.get(
            f"/articles/{article.slug}/updates/", {"v": article.activity - 1}, headers=HTMX
        )
    assert response.status_code == 200
    assert Annotation.objects.filter(article=article).exists() == (
        "margin-body" in response.content.decode()
    )


def test_it_reads_the_debate_map_in_fixed_queries(client, reading, django_assert_num_queries):
    client.force_login(reading["reader"])
    # session, user, article, annotations, both kinds of links, unread notifications
    with django_assert_num_queries(7):
        response = client.get(f"/articles/{reading['article'].slug}/map/")
    assert response.status_code == 200


def test_it_reads_the_dashboard_in_fixed_queries(client, reading, django_assert_num_queries):
    client.force_login(reading["teacher"])
    # session, user, assignment, blocks, members, annotations, replies, links, votes,
    # unread notifications
    with django_assert_num_queries(10):
        response = client.get(f"/assignments/{reading['assignment'].pk}/dashboard/")
    assert response.status_code == 200


def margin(html: str) -> str:
    return html[html.index('<div class="article-text">') : html.index("</aside>")]


def test_anonymous_readers_share_one_rendering_until_something_changes(
    client, reading, django_assert_num_queries
):
    article = reading["article"]
    first = client.get(article.get_absolute_url()).content.decode()
    # The text and the margin come from the shared rendering: only the article row is read.
    with django_assert_num_queries(1):
        again = client.get(article.get_absolute_url()).content.decode()
    # Same text and cards; the rest (CSP nonce, CSRF token) is still made per request.
    assert margin(again) == margin(first)
    assert 'nonce="' in again and again != first
    # Any write moves the article's activity counter, and the next reader sees it at once.
    make_annotation(article, reading["reader"], block=4, start=0, end=5, label="opinion").reply(
        reading["teacher"], "A reply moves the counter.", "question"
    )
    fresh = client.get(article.get_absolute_url()).content.decode()
    assert fresh.count('class="card card--') == first.count('class="card card--') + 1


# ---- The debate map, shared by anonymous readers ----


def debate_map(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_anonymous_readers_share_one_debate_map_until_a_link_changes_it(
    client, reading, django_assert_num_queries
):
    article, claim = reading["article"], reading["claim"]
    url = f"/articles/{article.slug}/map/"
    # article, annotations (authors, paragraphs, counts joined), evidence on the claims, the
    # claims of the evidence
    with django_assert_num_queries(4):
        first = client.get(url).content.decode()
    # The map comes from the shared rendering: only the article row is read.
    with django_assert_num_queries(1):
        again = client.get(url).content.decode()
    assert debate_map(again) == debate_map(first)
    # A new link moves the article's activity counter, and the next reader sees it at once.
    reader = reading["reader"]
    evidence = make_annotation(article, reader, block=4, start=0, end=5, label="evidence")
    link = {"claim": claim.pk, "relation": "refutes", "justification": "Not so."}
    client.force_login(reader)
    assert client.post(f"/annotations/{evidence.pk}/link/", link, headers=HTMX).status_code == 200
    client.logout()
    fresh = client.get(url).content.decode()
    assert fresh.count('class="map-ev map-ev--refutes"') == 1 + first.count(
        'class="map-ev map-ev--refutes"'
    )
    assert "Not so." in fresh
