from pathlib import Path

import pytest
from django.core.management import call_command

from articles.models import Article, Block

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

pytestmark = pytest.mark.django_db


def snapshot():
    return [
        (
            a.import_key,
            a.slug,
            a.title,
            a.standfirst,
            a.author,
            a.updated,
            [(b.position, b.kind, b.text, b.pk) for b in a.blocks.order_by("position")],
        )
        for a in Article.objects.order_by("import_key")
    ]


def test_it_imports_both_seeds_as_published_articles():
    call_command("import_seeds")
    titles = set(Article.objects.published().values_list("title", flat=True))
    assert titles == {
        "For Putin, a Deal with Trump Could Yield More Than Land in Ukraine",
        "Can Trump do a deal with Putin on Ukraine?",
    }
    putin = Article.objects.get(title__startswith="For Putin")
    assert putin.author == "Armin Sijamić"
    assert putin.source_name == "nap.ba"
    assert (putin.published_year, putin.published_month, putin.published_day) == (None, 2, 27)
    assert putin.published_display == "27 Feb"
    chatham = Article.objects.get(title__startswith="Can Trump")
    assert chatham.article_type == "Expert comment"
    assert chatham.published_display == "12 November 2024"
    assert chatham.word_count > 900
    assert chatham.reading_minutes >= 4


def test_it_changes_and_duplicates_nothing_when_run_twice():
    call_command("import_seeds")
    first = snapshot()
    call_command("import_seeds")
    assert snapshot() == first
    assert Article.objects.count() == 2


def test_it_updates_the_article_when_a_seed_file_is_edited(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    seed = folder / "one.txt"
    seed.write_text((SEEDS / "can-trump-do-a-deal.txt").read_text(encoding="utf-8"))
    call_command("import_seeds", folder=folder)
    article = Article.objects.get()
    blocks_before = article.blocks.count()

    text = seed.read_text(encoding="utf-8")
    seed.write_text(
        text.replace(
            "The nervousness of Ukrainian leadership is understandable.",
            "The anxiety of Ukraine’s leaders is understandable.",
        )
    )
    call_command("import_seeds", folder=folder)

    article.refresh_from_db()
    assert Article.objects.count() == 1
    assert article.blocks.count() == blocks_before
    assert Block.objects.filter(
        article=article, text__startswith="The anxiety of Ukraine’s leaders"
    ).exists()
    assert not Block.objects.filter(text__contains="The nervousness").exists()


def test_it_keeps_block_positions_unique_and_ordered():
    call_command("import_seeds")
    for article in Article.objects.all():
        positions = list(article.blocks.values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))
