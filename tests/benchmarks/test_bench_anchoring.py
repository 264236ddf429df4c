"""Anchoring a selection in a long article: exact offsets, and offsets that drifted."""

from annotations.anchoring import Anchor, Quote, quote_at, resolve
from tests.benchmarks.text import long_article


def test_it_resolves_a_selection_at_its_offsets(benchmark):
    texts = long_article()
    anchor = Anchor(20, 10, 20, 60)
    quote = quote_at(texts, anchor)
    assert benchmark(resolve, texts, anchor, quote) == anchor


def test_it_relocates_a_selection_whose_offsets_drifted(benchmark):
    texts = long_article()
    anchor = Anchor(30, 5, 31, 40)
    quote = quote_at(texts, anchor)
    drifted = Anchor(29, 0, 29, 12)
    assert benchmark(resolve, texts, drifted, Quote(quote.exact, quote.prefix, quote.suffix)) == (
        anchor
    )
