"""The cleaner on a seed article and on long pasted pages."""

import random
from pathlib import Path

from articles.cleaning import clean_article
from tests.benchmarks.text import long_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def varied_seeds(paragraphs: int) -> str:
    """A long page of seed lines (pull quotes included), one word changed in each repeat."""
    pool = [
        line
        for seed in sorted(SEEDS.glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()
        if len(line.split()) > 3
    ]
    rng = random.Random(paragraphs)
    lines = ["A long pasted page", "By Jane Doe", "5 min read", "What the page is about, briefly."]
    for i in range(paragraphs):
        words = pool[i % len(pool)].split()
        if i >= len(pool):
            words[rng.randrange(len(words))] += str(i)
        lines.append(" ".join(words))
    return "\n\n".join(lines)


def test_it_cleans_a_seed_article(benchmark):
    raw = (SEEDS / "putin-deal-with-trump.txt").read_text()
    article = benchmark(clean_article, raw)
    assert article.title
    assert len(article.blocks) > 5


def test_it_cleans_a_long_paste(benchmark):
    raw = "A long title for a pasted page\n" + "\n".join(long_article(blocks=200))
    article = benchmark(clean_article, raw)
    assert len(article.blocks) > 150


def test_it_cleans_200_paragraphs_of_seed_text(benchmark):
    # Seed prose holds real pull quotes, and its near repeats are candidates to compare.
    article = benchmark(clean_article, varied_seeds(200))
    assert len(article.blocks) > 150
    assert any(dropped.reason == "pull quote" for dropped in article.dropped)
