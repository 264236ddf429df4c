"""The cleaner on a seed article and on a long pasted page."""

from pathlib import Path

from articles.cleaning import clean_article
from tests.benchmarks.text import long_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_it_cleans_a_seed_article(benchmark):
    raw = (SEEDS / "putin-deal-with-trump.txt").read_text()
    article = benchmark(clean_article, raw)
    assert article.title
    assert len(article.blocks) > 5


def test_it_cleans_a_long_paste(benchmark):
    raw = "A long title for a pasted page\n" + "\n".join(long_article(blocks=200))
    article = benchmark(clean_article, raw)
    assert len(article.blocks) > 150
