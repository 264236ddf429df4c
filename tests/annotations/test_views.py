import uuid

import pytest
from django.test import Client

from annotations.models import Annotation
from articles.models import Article
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
P2 = "The Kremlin’s offer is simple — and, some say, a trap."
P3 = "Sanctions cost Russia 𝒳 growth. Exports fell by a third."
P4 = "A trap, some say. Others disagree."


@pytest.fixture
def article():
    return make_article(
        slug="the-article",
        blocks=[
            ("heading", "Putin’s position"),
            ("paragraph", P2),
            ("paragraph", P3),
            ("paragraph", P4),
        ],
    )


@pytest.fixture
def reader(client):
    user = make_user("reader")
    client.force_login(user)
    return user


def selection(block=2, start=4, end=19, end_block=None, **extra):
    article = Article.objects.get(slug="the-article")
    texts = {b.position: b.text for b in article.blocks.all()}
    end_block = end_block or block
    if block == end_block:
        exact = texts[block][start:end]
    else:
        exact = texts[block][start:] + "\n" + texts[end_block][:end]
    data = {
        "start_block": block,
        "start_offset": start,
        "end_block": end_block,
        "end_offset": end,
        "exact": exact,
        "label": "claim",
        "note": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


def create_url(article):
    return f"/articles/{article.slug}/annotations/"


def test_it_creates_an_annotation_and_returns_the_block_and_margin(client, article, reader):
    response = client.post(create_url(article), selection(note="Is it *really*?"), headers=HTMX)
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert (annotation.start_block.position, annotation.start_offset) == (2, 4)
    assert (annotation.end_block.position, annotation.end_offset) == (2, 19)
    assert annotation.exact == "Kremlin’s offer"
    assert annotation.prefix == "Putin’s position\nThe "
    assert annotation.suffix.startswith(" is simple — and")
    assert annotation.author == reader
    html = response.content.decode()
    assert 'id="p-2" data-block="2" hx-swap-oob="true"' in html
    assert f'data-annotations="{annotation.pk}"' in html
    assert ">Kremlin’s offer</mark>" in html
    assert 'id="margin-body" class="margin__body" hx-swap-oob="true"' in html
    assert f'id="annotation-{annotation.pk}"' in html
    assert "Is it <em>really</em>?" in html  # notes are Markdown
    assert "annotationCreated" in response["HX-Trigger"]


def test_it_anchors_a_selection_across_two_paragraphs(client, article, reader):
    start = P2.index("a trap.")
    response = client.post(
        create_url(article),
        selection(block=2, start=start, end_block=3, end=14, label="evidence"),
        headers=HTMX,
    )
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert annotation.exact == "a trap.\nSanctions cost"
    assert annotation.label == "evidence"
    html = response.content.decode()
    assert 'id="p-2"' in html and 'id="p-3"' in html


def test_it_accepts_line_breaks_sent_as_crlf(client, article, reader):
    # A form encoded by a browser (or another client) sends the paragraph break between two
    # selected paragraphs as CRLF; the article's text joins them with a plain newline.
    start = P2.index("a trap.")
    data = selection(block=2, start=start, end_block=3, end=14)
    data["exact"] = data["exact"].replace("\n", "\r\n")
    data["prefix"] = "Putin’s position\r\nThe "
    response = client.post(create_url(article), data, headers=HTMX)
    assert response.status_code == 200
    assert Annotation.objects.get().exact == "a trap.\nSanctions cost"


def test_it_counts_offsets_in_code_points_beyond_the_bmp(client, article, reader):
    # "𝒳" is one code point (two UTF-16 units): "growth" starts at 24.
    response = client.post(create_url(article), selection(block=3, start=24, end=30), headers=HTMX)
    assert response.status_code == 200
    assert Annotation.objects.get().exact == "growth"


def test_it_corrects_offsets_when_the_quote_and_context_match_one_place(client, article, reader):
    data = selection(block=2, start=4, end=19)
    data.update(start_offset=0, end_offset=15)  # wrong offsets, right quote
    assert client.post(create_url(article), data, headers=HTMX).status_code == 200
    annotation = Annotation.objects.get()
    assert (annotation.start_offset, annotation.end_offset) == (4, 19)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start_offset": "x"}, "Enter a whole number."),
        ({"start_offset": -3}, "greater than or equal to 0"),
        ({"label": "rumour"}, "Choose Claim, Evidence or Opinion."),
        ({"label": ""}, "Choose Claim, Evidence or Opinion."),
        ({"exact": "   "}, "only spaces were selected"),
        ({"exact": "x" * 5001}, "That selection is too long"),
        ({"note": "n" * 2001}, "Keep the note under 2,000 characters."),
        ({"exact": "words that are not in the article"}, "no longer matches"),
        ({"submission_key": "not-a-uuid"}, "valid UUID"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message_and_stores_nothing(
    client, article, reader, change, message
):
    response = client.post(create_url(article), selection(**change), headers=HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Annotation.objects.count() == 0


def test_it_refuses_a_block_outside_the_article_when_the_quote_does_not_match(
    client, article, reader
):
    data = selection(exact="not in this article")
    data.update(start_block=99, end_block=99)
    response = client.post(create_url(article), data, headers=HTMX)
    assert response.status_code == 422
    assert "no longer matches" in response.content.decode()
    assert Annotation.objects.count() == 0


def test_it_refuses_an_ambiguous_quote_whose_offsets_are_wrong(client, article, reader):
    # "some say" occurs in paragraphs 2 and 4; the offsets point at neither.
    start = P2.index("some say")
    data = selection(block=2, start=start, end=start + 8)
    assert data["exact"] == "some say"
    data.update(start_offset=0, end_offset=8, prefix="", suffix="")
    response = client.post(create_url(article), data, headers=HTMX)
    assert response.status_code == 422
    assert Annotation.objects.count() == 0


def test_it_refuses_a_quote_from_another_article(client, article, reader):
    other = make_article(slug="other", blocks=[("paragraph", "Completely different words.")])
    data = selection()
    data.update(
        exact="Completely different", start_offset=0, end_offset=20, start_block=1, end_block=1
    )
    response = client.post(create_url(article), data, headers=HTMX)
    assert response.status_code == 422
    assert not Annotation.objects.filter(article__in=[article, other]).exists()


def test_it_creates_one_annotation_for_a_repeated_submission(client, article, reader):
    data = selection()
    first = client.post(create_url(article), data, headers=HTMX)
    second = client.post(create_url(article), data, headers=HTMX)
    assert first.status_code == second.status_code == 200
    assert Annotation.objects.count() == 1
    # A new selection (new key) of the same words is a second, deliberate annotation.
    client.post(create_url(article), selection(), headers=HTMX)
    assert Annotation.objects.count() == 2


def test_it_refuses_anonymous_writers(client, article):
    response = client.post(create_url(article), selection(), headers=HTMX)
    assert response.status_code == 403
    assert "Sign in to annotate." in response.content.decode()
    response = client.post(create_url(article), selection())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Annotation.objects.count() == 0


def test_it_requires_a_csrf_token(article):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user())
    response = strict.post(create_url(article), selection(), headers=HTMX)
    assert response.status_code == 403
    assert "security token was missing" in response.content.decode()
    assert Annotation.objects.count() == 0


def test_it_404s_on_a_draft_article(client, reader):
    draft = make_article(status=Article.Status.DRAFT, slug="draft")
    response = client.post(create_url(draft), {"start_block": 2}, headers=HTMX)
    assert response.status_code == 404


def test_it_falls_back_to_a_page_with_the_message_without_javascript(client, article, reader):
    response = client.post(create_url(article), selection(label="rumour"))
    assert response.status_code == 422
    assert "Nothing was saved" in response.content.decode()
    ok = client.post(create_url(article), selection())
    assert ok.status_code == 302
    assert ok["Location"] == f"/articles/{article.slug}/#annotation-{Annotation.objects.get().pk}"


# The keyboard path: sentences of one paragraph.


def test_it_offers_the_sentences_of_a_paragraph(client, article, reader):
    response = client.get(f"/articles/{article.slug}/p/3/annotate/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1. Sanctions cost Russia 𝒳 growth." in html
    assert "2. Exports fell by a third." in html


def test_it_annotates_a_range_of_sentences(client, article, reader):
    url = f"/articles/{article.slug}/p/3/annotate/"
    key = str(uuid.uuid4())
    data = {
        "first_sentence": 2,
        "last_sentence": 2,
        "label": "evidence",
        "note": "Source?",
        "submission_key": key,
    }
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert annotation.exact == "Exports fell by a third."
    assert annotation.note == "Source?"
    client.post(url, data, headers=HTMX)
    assert Annotation.objects.count() == 1


def test_it_refuses_a_backwards_sentence_range(client, article, reader):
    response = client.post(
        f"/articles/{article.slug}/p/3/annotate/",
        {"first_sentence": 2, "last_sentence": 1, "label": "claim"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "The last sentence must come after the first one." in response.content.decode()
    assert Annotation.objects.count() == 0


def test_it_404s_for_a_paragraph_outside_the_article(client, article, reader):
    assert client.get(f"/articles/{article.slug}/p/99/annotate/").status_code == 404


# Your own annotations, and other people's.


def test_it_lets_the_author_change_the_label_and_note(client, article, reader):
    annotation = make_annotation(article, reader, block=2, start=4, end=19)
    response = client.post(
        f"/annotations/{annotation.pk}/edit/",
        {"label": "opinion", "note": "On reflection, an opinion."},
        headers=HTMX,
    )
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert (annotation.label, annotation.note) == ("opinion", "On reflection, an opinion.")
    assert 'data-kind="opinion"' in response.content.decode()


def test_it_lets_the_author_delete_after_confirming(client, article, reader):
    annotation = make_annotation(article, reader)
    confirm = client.get(f"/annotations/{annotation.pk}/delete/")
    assert "Delete this highlight?" in confirm.content.decode()
    assert Annotation.objects.count() == 1
    response = client.post(f"/annotations/{annotation.pk}/delete/", headers=HTMX)
    assert response.status_code == 200
    assert Annotation.objects.count() == 0
    assert "annotationDeleted" in response["HX-Trigger"]


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_someone_elses_annotation_looks_missing(client, article, reader, action):
    annotation = make_annotation(article, make_user("other"), note="theirs")
    get = client.get(f"/annotations/{annotation.pk}/{action}/")
    post = client.post(
        f"/annotations/{annotation.pk}/{action}/",
        {"label": "opinion", "note": "mine now"},
        headers=HTMX,
    )
    assert get.status_code == post.status_code == 404
    annotation.refresh_from_db()
    assert (annotation.label, annotation.note) == ("claim", "theirs")


def test_the_article_page_shows_everyones_highlights_and_only_my_edit_links(
    client, article, reader
):
    mine = make_annotation(article, reader, block=2, start=4, end=19)  # Kremlin’s offer
    theirs = make_annotation(
        article, make_user("other"), block=2, start=11, end=25, label="opinion"
    )  # ’s offer is si
    html = client.get(article.get_absolute_url()).content.decode()
    assert f"/annotations/{mine.pk}/edit/" in html
    assert f"/annotations/{theirs.pk}/edit/" not in html
    # Overlap is split into flat segments: "Kremlin" (mine), "’s offer" (both), " is si" (theirs)
    assert f'data-annotations="{mine.pk}" data-count="1">Kremlin</mark>' in html
    assert f'data-annotations="{mine.pk} {theirs.pk}" data-count="2">’s offer</mark>' in html
    assert f'data-annotations="{theirs.pk}" data-count="1"> is si</mark>' in html
    assert "1 claim" in html and "1 opinion" in html


def test_anonymous_readers_see_highlights_and_a_sign_in_prompt(client, article):
    make_annotation(article, make_user("other"))
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<mark" in html
    assert "Sign in to annotate" in html
    assert "data-selection-toolbar" not in html
