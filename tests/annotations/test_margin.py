"""The margin at classroom scale: some cards in full, the rest as stubs filled in by batches."""

import re

import pytest

from annotations.views import MARGIN_BATCH, MARGIN_FIRST
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
LABELS = ["claim", "evidence", "opinion"]
MANY = MARGIN_FIRST + MARGIN_BATCH + 5


def full_ids(html: str) -> list[int]:
    return [
        int(i) for i in re.findall(r'<article class="card card--\w+" id="annotation-(\d+)"', html)
    ]


def stub_ids(html: str) -> list[int]:
    return [
        int(i)
        for i in re.findall(
            r'<article class="card card--\w+ card--stub" id="annotation-(\d+)"', html
        )
    ]


def batch_urls(html: str) -> list[str]:
    return [
        url.replace("&amp;", "&")
        for url in re.findall(r'class="card-batch" hx-get="([^"]+)"', html)
    ]


@pytest.fixture
def crowded():
    """An article with MANY highlights by a classmate, one per word, in document order."""
    article = make_article(blocks=[("paragraph", " ".join(f"w{i:03d}" for i in range(MANY)))])
    writer = make_user(first_name="Wren")
    annotations = [
        make_annotation(article, writer, block=1, start=5 * i, end=5 * i + 4, label=LABELS[i % 3])
        for i in range(MANY)
    ]
    for annotation in annotations:
        annotation.note = f"Note number {annotation.pk}"
        annotation.save()
    return {"article": article, "writer": writer, "annotations": annotations}


def test_it_renders_the_first_cards_in_full_and_the_rest_as_stubs_in_document_order(
    client, crowded
):
    client.force_login(make_user())
    html = client.get(crowded["article"].get_absolute_url()).content.decode()
    ids = [a.pk for a in crowded["annotations"]]
    assert full_ids(html) == ids[:MARGIN_FIRST]
    assert stub_ids(html) == ids[MARGIN_FIRST:]
    # Every highlight is still counted and marked in the text.
    assert f'id="margin-toggle-count">{MANY}<' in html
    assert html.count("<mark ") == MANY
    # A full card has its note and discussion; a stub has its label, paragraph, quote and a
    # permalink that opens the whole card without scripts.
    assert f"Note number {ids[0]}" in html and f"Note number {ids[-1]}" not in html
    last = crowded["annotations"][-1]
    stub = html[html.index(f'id="annotation-{last.pk}"') :]
    stub = stub[: stub.index("</article>")]
    assert f'<blockquote class="card__quote">{last.exact}</blockquote>' in stub
    assert 'data-kind="' + last.label + '"' in stub and 'data-mine="false"' in stub
    assert f'href="/annotations/{last.pk}/"' in stub and 'href="#p-1" data-jump=' in stub


def test_stubs_come_in_batches_that_fetch_their_own_cards(client, crowded):
    client.force_login(make_user())
    article = crowded["article"]
    html = client.get(article.get_absolute_url()).content.decode()
    ids = [a.pk for a in crowded["annotations"]][MARGIN_FIRST:]
    urls = batch_urls(html)
    assert len(urls) == 2
    assert urls[0] == f"/articles/{article.slug}/cards/?ids=" + ",".join(
        map(str, ids[:MARGIN_BATCH])
    )
    response = client.get(urls[1], headers=HTMX)
    assert response.status_code == 200
    batch = response.content.decode()
    assert full_ids(batch) == ids[MARGIN_BATCH:]
    assert f"Note number {ids[-1]}" in batch and "Wren" in batch


def test_a_batch_leaves_out_what_the_reader_may_not_see(client, crowded):
    reader, article = make_user(), crowded["article"]
    private = make_annotation(article, crowded["writer"], block=1, start=0, end=3)
    private.visibility, private.note = "private", "Secret plans"
    private.save()
    public = crowded["annotations"][-1].pk
    client.force_login(reader)
    response = client.get(
        f"/articles/{article.slug}/cards/", {"ids": f"{private.pk},{public},999999"}, headers=HTMX
    )
    assert response.status_code == 200
    assert full_ids(response.content.decode()) == [public]
    assert "Secret plans" not in response.content.decode()
    # Its author gets it.
    client.force_login(crowded["writer"])
    response = client.get(f"/articles/{article.slug}/cards/", {"ids": private.pk}, headers=HTMX)
    assert "Secret plans" in response.content.decode()


def test_a_batch_of_a_draft_is_missing_and_nonsense_ids_are_ignored(client, crowded):
    client.force_login(make_user())
    draft = make_article(status="draft")
    url = f"/articles/{draft.slug}/cards/"
    assert client.get(url, {"ids": "1"}, headers=HTMX).status_code == 404
    url = f"/articles/{crowded['article'].slug}/cards/"
    response = client.get(url, {"ids": "x,²,-3,,1e3"}, headers=HTMX)
    assert response.status_code == 200 and full_ids(response.content.decode()) == []
    # Followed as a link (no htmx), it is the article page.
    response = client.get(url, {"ids": "1"})
    assert response.status_code == 302 and response.url == crowded["article"].get_absolute_url()


def test_a_batch_keeps_the_assignments_rules(client):
    """Students who have not yet posted enough don't see classmates' highlights in batches."""
    teacher, student, classmate = make_user(), make_user(), make_user()
    classroom = Classroom.objects.create(name="9B")
    classroom.add_member(teacher, Membership.Role.TEACHER)
    for person in (student, classmate):
        classroom.add_member(person, Membership.Role.STUDENT)
    article = make_article()
    assignment = Assignment.objects.create(classroom=classroom, article=article, reveal_after=1)
    theirs = make_annotation(article, classmate)
    theirs.visibility, theirs.classroom, theirs.assignment = "class", classroom, assignment
    theirs.save()
    client.force_login(student)
    url = f"/articles/{article.slug}/cards/"
    hidden = client.get(url, {"ids": theirs.pk, "assignment": assignment.pk}, headers=HTMX)
    assert full_ids(hidden.content.decode()) == []
    shown = client.get(url, {"ids": theirs.pk}, headers=HTMX)  # outside the assignment
    assert full_ids(shown.content.decode()) == [theirs.pk]


def test_a_batch_costs_the_same_queries_for_one_card_as_for_twenty(
    client, crowded, django_assert_num_queries
):
    client.force_login(make_user())
    url = f"/articles/{crowded['article'].slug}/cards/"
    ids = [a.pk for a in crowded["annotations"]]
    # session, user, article, my classes, the cards (counts joined), both kinds of links
    with django_assert_num_queries(7):
        client.get(url, {"ids": ids[0]}, headers=HTMX)
    with django_assert_num_queries(7):
        response = client.get(url, {"ids": ",".join(map(str, ids[:MARGIN_BATCH]))}, headers=HTMX)
    assert len(full_ids(response.content.decode())) == MARGIN_BATCH


def test_an_open_thread_and_the_cards_on_screen_come_in_full_wherever_they_are(client, crowded):
    client.force_login(make_user())
    article, ids = crowded["article"], [a.pk for a in crowded["annotations"]]
    crowded["annotations"][-1].reply(make_user(), "Late reply", "question")
    html = client.get(f"{article.get_absolute_url()}?thread={ids[-1]}").content.decode()
    assert ids[-1] in full_ids(html) and "Late reply" in html
    # The live update brings the cards the page says are on screen in full: they don't fall
    # back to stubs under the reader's eyes.
    near = ids[MARGIN_FIRST + 2 : MARGIN_FIRST + 5]
    response = client.get(
        f"/articles/{article.slug}/updates/",
        {"v": 0, "near": ",".join(map(str, near))},
        headers=HTMX,
    )
    assert set(near) <= set(full_ids(response.content.decode()))
    assert ids[MARGIN_FIRST + 6] in stub_ids(response.content.decode())


def test_a_new_highlight_deep_in_the_margin_comes_back_in_full(client, crowded):
    client.force_login(make_user())
    article = crowded["article"]
    text = article.blocks.get().text
    start = text.index(f"w{MANY - 1:03d}")
    response = client.post(
        f"/articles/{article.slug}/annotations/",
        {
            "start_block": 1,
            "start_offset": start,
            "end_block": 1,
            "end_offset": start + 4,
            "exact": text[start : start + 4],
            "prefix": text[max(0, start - 32) : start],
            "suffix": "",
            "label": "opinion",
            "note": "Mine at the end",
            "visibility": "public",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    new = article.annotations.get(note="Mine at the end")
    html = response.content.decode()
    assert new.pk in full_ids(html) and "Mine at the end" in html
    # The rest of the response's margin is stubs past the first screenful, as on the page.
    assert len(full_ids(html)) == MARGIN_FIRST + 1


def test_readers_who_see_the_same_highlights_share_one_rendering_of_the_text(
    client, crowded, monkeypatch
):
    from annotations import rendering

    renders = []
    real = rendering.render_blocks
    monkeypatch.setattr(rendering, "render_blocks", lambda *args: renders.append(1) or real(*args))
    article, alice, bob = crowded["article"], make_user(), make_user()
    client.force_login(alice)
    first = client.get(article.get_absolute_url()).content.decode()
    client.force_login(bob)
    client.get(article.get_absolute_url())
    assert len(renders) == 1
    # Bob's private note is his alone: his text gets its mark, Alice's keeps hers.
    note = make_annotation(article, bob, block=1, start=0, end=3)
    note.visibility = "private"
    note.save()
    bobs = client.get(article.get_absolute_url()).content.decode()
    marked = re.compile(rf'data-annotations="[^"]*\b{note.pk}\b')
    assert len(renders) == 2 and marked.search(bobs)
    client.force_login(alice)
    again = client.get(article.get_absolute_url()).content.decode()
    assert len(renders) == 2 and not marked.search(again)
    text = again[again.index('<div class="article-text">') : again.index("</article>")]
    assert text == first[first.index('<div class="article-text">') : first.index("</article>")]
