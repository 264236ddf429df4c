"""Highlight segmentation at classroom scale: one paragraph under 125 overlapping highlights.

Timed only by `make bench` (pytest-benchmark is disabled in the normal suite, where these run
once as correctness checks).
"""

import random

from annotations.anchoring import Span, segment
from annotations.rendering import block_html

TEXT = " ".join(f"Sentence {i} says something arguable about sanctions." for i in range(12))


def spans(n: int, seed: int = 7) -> list[Span]:
    rng = random.Random(seed)
    found = []
    for key in range(n):
        start = rng.randrange(len(TEXT) - 20)
        found.append(
            Span(start, start + rng.randint(5, 120), key, rng.choice(["claim", "opinion"]))
        )
    return found


def test_it_segments_a_crowded_paragraph(benchmark):
    crowd = spans(125)
    segments = benchmark(segment, TEXT, crowd)
    assert "".join(s.text for s in segments) == TEXT
    # Every run is covered by exactly the spans that contain it.
    position = 0
    for s in segments:
        assert {x.key for x in s.spans} == {
            x.key for x in crowd if x.start <= position < min(x.end, len(TEXT))
        }
        position += len(s.text)


def test_it_renders_a_crowded_paragraph_as_marks(benchmark):
    html = benchmark(block_html, TEXT, spans(125))
    assert html.count("<mark") > 100
