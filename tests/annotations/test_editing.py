"""Curators edit text that has highlights: history kept, every highlight kept, moved or detached."""

import pytest

from annotations.models import Annotation
from articles.models import Article, BlockRevision
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
P1 = "Sanctions cost Russia growth in 2023. Exports fell by a third."
P2 = "Oil revenue held up, and the Kremlin says the economy is resilient."


@pytest.fixture
def curator(client):
    user = make_user("curator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def article():
    return make_article(slug="edit", blocks=[("paragraph", P1), ("paragraph", P2)])


def highlight(article, phrase, block=1):
    text = [P1, P2][block - 1]
    start = text.index(phrase)
    return make_annotation(article, make_user(), block=block, start=start, end=start + len(phrase))


def admin_post(client, article, texts):
    """Save the article's change form with these block texts (as a curator would)."""
    blocks = list(article.blocks.order_by("position"))
    data = {
        # A form opened just now: at the article's current version (see test_edit_conflict).
        "opened_version": Article.objects.get(pk=article.pk).version,
        "title": article.title,
        "slug": article.slug,
        "status": article.status,
        "standfirst": article.standfirst,
        "author": "",
        "source_name": "",
        "source_url": "",
        "article_type": "",
        "published_day": "",
        "published_month": "",
        "published_year": "",
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": len(blocks),
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
    }
    for i, (block, text) in enumerate(zip(blocks, texts, strict=True)):
        data.update(
            {
                f"blocks-{i}-id": block.pk,
                f"blocks-{i}-article": article.pk,
                f"blocks-{i}-position": block.position,
                f"blocks-{i}-kind": block.kind,
                f"blocks-{i}-text": text,
            }
        )
        if text is None:
            data[f"blocks-{i}-text"] = block.text
            data[f"blocks-{i}-DELETE"] = "on"
    return client.post(f"/admin/articles/article/{article.pk}/change/", data)


def test_an_edit_before_a_highlight_keeps_it_on_the_same_words(client, curator, article):
    exports = highlight(article, "Exports fell by a third.")
    response = admin_post(
        client,
        article,
        ["Western sanctions cost Russia growth in 2023. Exports fell by a third.", P2],
    )
    assert response.status_code == 302
    exports.refresh_from_db()
    block = exports.start_block
    assert block.text[exports.start_offset : exports.end_offset] == "Exports fell by a third."
    assert not exports.approximate
    revision = BlockRevision.objects.get()
    assert (revision.text, revision.edited_by, revision.number) == (P1, curator, 1)
    assert block.revision == 2 and exports.anchored_revision == 2


def test_a_typo_fixed_inside_a_highlight_moves_it_as_approximate(client, curator):
    text = "The minister said the aid was recieved in full last spring."
    article = make_article(slug="typo", blocks=[("paragraph", text)])
    start = text.index("the aid was recieved in full")
    annotation = make_annotation(
        article, make_user(), block=1, start=start, end=start + len("the aid was recieved in full")
    )
    admin_post(client, article, [text.replace("recieved", "received")])
    annotation.refresh_from_db()
    block = annotation.start_block
    assert block.text[annotation.start_offset : annotation.end_offset] == (
        "the aid was received in full"
    )
    assert annotation.approximate
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Text changed: approximate" in page


def test_removed_words_leave_the_highlight_detached_with_its_thread(client, curator, article):
    oil = highlight(article, "Oil revenue held up", block=2)
    oil.reply(make_user("replier"), "Source?")
    admin_post(client, article, [P1, "The Kremlin says the economy is resilient."])
    oil.refresh_from_db()
    assert oil.start_block is None and oil.exact == "Oil revenue held up"
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Detached: its text was removed" in page
    assert "Oil revenue held up" in page
    listing = client.get("/admin/annotations/annotation/?anchoring=detached").content.decode()
    assert "Oil revenue held up" in listing


def test_a_deleted_paragraph_whose_words_moved_keeps_its_highlight(client, curator, article):
    exports = highlight(article, "Exports fell by a third.")
    # Merge: paragraph 1's last sentence now opens paragraph 2; paragraph 1 is deleted.
    admin_post(client, article, [None, "Exports fell by a third. " + P2])
    exports.refresh_from_db()
    assert exports.start_block is not None
    assert exports.start_block.text.startswith("Exports fell by a third.")
    assert (exports.start_offset, exports.end_offset) == (0, 24)


def test_a_curator_reattaches_a_detached_highlight(client, curator, article):
    oil = highlight(article, "Oil revenue held up", block=2)
    admin_post(client, article, [P1, "Revenue from oil held up, the Kremlin says."])
    oil.refresh_from_db()
    assert oil.start_block is None
    url = f"/admin/annotations/annotation/{oil.pk}/reattach/"
    assert "Oil revenue held up" in client.get(url).content.decode()
    bad = client.post(url, {"block": 2, "words": "not there"})
    assert "not in that paragraph" in bad.content.decode()
    client.post(url, {"block": 2, "words": "Revenue from oil held up"})
    oil.refresh_from_db()
    assert (oil.start_block.position, oil.exact) == (2, "Revenue from oil held up")


def test_reimporting_changed_text_re_anchors_too(article):
    exports = highlight(article, "Exports fell by a third.")
    article.replace_blocks([("paragraph", "New opening. " + P1), ("paragraph", P2)])
    exports.refresh_from_db()
    assert exports.start_block.text[exports.start_offset : exports.end_offset] == (
        "Exports fell by a third."
    )
    assert Annotation.objects.filter(start_block__isnull=True).count() == 0


def test_reimporting_with_a_new_first_paragraph_keeps_every_highlight(article):
    exports = highlight(article, "Exports fell by a third.")
    oil = highlight(article, "Oil revenue held up", block=2)
    article.replace_blocks(
        [
            ("paragraph", "A new opening paragraph."),
            ("paragraph", P1),
            ("paragraph", P2.replace("resilient", "strong")),
        ]
    )
    for annotation, words in [(exports, "Exports fell by a third."), (oil, "Oil revenue held up")]:
        annotation.refresh_from_db()
        block = annotation.start_block
        assert block.text[annotation.start_offset : annotation.end_offset] == words
