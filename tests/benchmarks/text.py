"""Deterministic long article text: the benchmark's own generator, so both measure alike."""

import random

from annotations.management.commands.make_bench_data import paragraph


def long_article(blocks: int = 40, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    return [paragraph(rng) for _ in range(blocks)]
