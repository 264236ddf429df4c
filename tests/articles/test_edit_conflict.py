"""Two curators editing one article: the later save is refused, and nothing of it is written."""

import threading
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection
from django.test import Client
from lxml import html

from annotations.models import Annotation
from articles.models import Article, BlockRevision
from tests.factories import make_annotation, make_article, make_user

P1 = "Sanctions cost Russia growth in 2023. Exports fell by a third."
P2 = "Oil revenue held up, and the Kremlin says the economy is resilient."
OIL = "Oil revenue held up"
REFUSED = "Your changes were not saved"


def curator(username: str, first_name: str) -> Client:
    client = Client()
    client.force_login(make_user(username, first_name=first_name, is_staff=True, is_superuser=True))
    return client


def change_url(article: Article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


def open_form(client: Client, article: Article) -> dict:
    """Open the change form and return what the browser would send back unchanged."""
    page = client.get(change_url(article))
    assert page.status_code == 200
    form = html.fromstring(page.content.decode()).get_element_by_id("article_form")
    return dict(form.form_values())


def state(article: Article) -> dict:
    """Everything a save writes: the article, its blocks, their history, highlights' anchors."""
    row = Article.objects.get(pk=article.pk)
    return {
        "article": (row.title, row.standfirst, row.status, row.version, row.edited_by_id),
        "blocks": list(article.blocks.values_list("pk", "position", "kind", "text", "revision")),
        "revisions": list(
            BlockRevision.objects.filter(block__article=article).values_list(
                "block_id", "number", "text", "edited_by_id"
            )
        ),
        "anchors": list(
            Annotation.objects.filter(article=article).values_list(
                "pk",
                "start_block_id",
                "start_offset",
                "end_block_id",
                "end_offset",
                "anchored_revision",
                "approximate",
            )
        ),
        "log": LogEntry.objects.count(),
    }


@pytest.fixture
def article():
    article = make_article(slug="shared", blocks=[("paragraph", P1), ("paragraph", P2)])
    make_annotation(article, make_user("reader"), block=2, start=0, end=len(OIL))
    return article


@pytest.mark.django_db
def test_the_second_curator_is_told_and_nothing_of_her_save_is_written(article):
    ada, ben = curator("ada", "Ada"), curator("ben", "Ben")
    ada_form, ben_form = open_form(ada, article), open_form(ben, article)
    assert ada_form["opened_version"] == str(Article.objects.get(pk=article.pk).version)

    ada_form["title"] = "Ada’s title"
    ada_form["blocks-0-text"] = "Western sanctions cost Russia growth. Exports fell by a third."
    assert ada.post(change_url(article), ada_form).status_code == 302
    after_ada = state(article)

    # Ben's edit would move the highlight and retitle the article, had it been saved.
    ben_form["title"] = "Ben’s title"
    ben_form["blocks-1-text"] = "Indeed, " + P2
    refused = ben.post(change_url(article), ben_form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Someone else (Ada) saved this article at " in page
    assert REFUSED in page
    # At the top of the form, and Ben's words are still there for him to copy.
    assert page.index(REFUSED) < page.index('name="title"')
    assert "Indeed, Oil revenue held up" in page
    assert state(article) == after_ada

    # Reloaded, the same change goes through, on top of Ada's.
    ben_form = open_form(ben, article)
    ben_form["blocks-1-text"] = "Indeed, " + P2
    assert ben.post(change_url(article), ben_form).status_code == 302
    oil = Annotation.objects.get(article=article)
    assert oil.start_block.text[oil.start_offset : oil.end_offset] == OIL
    assert oil.start_offset == len("Indeed, ")
    saved = Article.objects.get(pk=article.pk)
    assert (saved.title, saved.version) == ("Ada’s title", after_ada["article"][3] + 1)


@pytest.mark.django_db
def test_the_same_curator_in_two_tabs_is_told_it_was_herself(article):
    ada = curator("ada", "Ada")
    first_tab, second_tab = open_form(ada, article), open_form(ada, article)
    assert ada.post(change_url(article), first_tab).status_code == 302
    refused = ada.post(change_url(article), second_tab).content.decode()
    assert "You (in another tab or window) saved this article at " in refused


@pytest.mark.django_db
def test_a_bulk_action_after_the_form_opened_makes_it_stale(article):
    ada, ben = curator("ada", "Ada"), curator("ben", "Ben")
    ada_form = open_form(ada, article)
    ben.post("/admin/articles/article/", {"action": "unpublish", "_selected_action": [article.pk]})
    ada_form["standfirst"] = "Ada’s standfirst."
    refused = ada.post(change_url(article), ada_form).content.decode()
    assert "Someone else (Ben) saved this article at " in refused
    # Her stale form said "published": saving it would have undone Ben's unpublishing.
    saved = Article.objects.get(pk=article.pk)
    assert (saved.status, saved.standfirst) == (Article.Status.DRAFT, "A standfirst.")


@pytest.mark.django_db
def test_a_reimport_after_the_form_opened_makes_it_stale(tmp_path):
    source = tmp_path / "piece.txt"
    source.write_text(f"A piece on sanctions\n\n{P1}\n\n{P2}\n", encoding="utf-8")
    call_command("import_articles", source, key_root=tmp_path, stdout=StringIO())
    article = Article.objects.get(import_key="piece.txt")
    ada = curator("ada", "Ada")
    ada_form = open_form(ada, article)

    source.write_text(f"A piece on sanctions\n\n{P1}\n\nRevised: {P2}\n", encoding="utf-8")
    call_command("import_articles", source, key_root=tmp_path, stdout=StringIO())
    imported = state(article)
    assert imported["article"][3] > int(ada_form["opened_version"])

    ada_form["blocks-1-text"] = "Ada’s version of the paragraph."
    refused = ada.post(change_url(article), ada_form).content.decode()
    assert "A re-import of its source saved this article at " in refused
    assert state(article) == imported


@pytest.mark.django_db
def test_a_form_that_does_not_say_its_version_is_refused(article):
    ada = curator("ada", "Ada")
    form = open_form(ada, article)
    del form["opened_version"]
    form["title"] = "Blind save"
    before = state(article)
    refused = ada.post(change_url(article), form).content.decode()
    assert "does not say which version" in refused
    assert state(article) == before


def race(article: Article, saves: dict[str, tuple[Client, dict]]) -> dict:
    """Post each curator's form from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(saves))
    answers, errors = {}, {}

    def save(name: str) -> None:
        client, form = saves[name]
        try:
            barrier.wait(timeout=30)
            answers[name] = client.post(change_url(article), form)
        except Exception as error:
            errors[name] = error
        finally:
            connection.close()  # the thread's own connection; open, it would block the flush

    threads = [threading.Thread(target=save, args=(name,)) for name in saves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert answers.keys() == saves.keys(), "a save never answered"
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_cannot_both_win(article):
    curators = {"Ada": curator("ada", "Ada"), "Ben": curator("ben", "Ben")}
    for n in range(2):  # twice: the second race starts from the first one’s version
        saves = {}
        for name, client in curators.items():
            form = open_form(client, article)
            form["title"] = f"{name}’s title, round {n}"
            form["blocks-1-text"] = f"{name} rewrote this in round {n}. " + P2
            saves[name] = (client, form)
        opened = state(article)
        answers = race(article, saves)
        codes = {name: answer.status_code for name, answer in answers.items()}
        assert sorted(codes.values()) == [200, 302], codes
        winner = next(name for name, code in codes.items() if code == 302)
        loser = "Ben" if winner == "Ada" else "Ada"
        refusal = answers[loser].content.decode()
        assert f"Someone else ({winner}) saved this article" in refusal
        saved = state(article)
        assert saved["article"][0] == f"{winner}’s title, round {n}"
        assert saved["article"][3] == opened["article"][3] + 1
        text = article.blocks.get(position=2).text
        assert text.startswith(f"{winner} rewrote this in round {n}.")
        # One new revision (the winner's) and one admin log entry: the loser wrote nothing.
        assert len(saved["revisions"]) == len(opened["revisions"]) + 1
        assert saved["log"] == opened["log"] + 1


@pytest.mark.django_db
def test_a_save_from_an_instance_read_earlier_keeps_newer_counters(article):
    """The live counter and the version only ever count up, whatever saves an old copy."""
    stale = Article.objects.get(pk=article.pk)
    article.touch()
    article.bump_version()
    fresh = Article.objects.get(pk=article.pk)
    stale.title = "Retitled"
    stale.save()
    saved = Article.objects.get(pk=article.pk)
    assert (saved.title, saved.activity, saved.version) == (
        "Retitled",
        fresh.activity,
        fresh.version,
    )
