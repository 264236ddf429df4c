"""Where a class agrees on its labels and where it is split: pure functions, no ORM.

The units are the sentences of each block (`annotations.anchoring.sentences`). A student
labelled a unit when one of their highlights overlaps it by at least one code point; a highlight
across blocks covers the end of its first block, every block in between and the start of its
last. A student with several labels on one unit counts once, with the label of the highlight
that covers most of it (ties: the later highlight, i.e. later in the input).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import krippendorff
import numpy as np

from annotations.anchoring import sentences

CONTESTED_LIMIT = 5


class Mark(NamedTuple):
    """One student's highlight: block indexes (0-based) and code point offsets, end exclusive."""

    student: object
    start_block: int
    start_offset: int
    end_block: int
    end_offset: int
    label: str


class Unit(NamedTuple):
    """A sentence: block index (0-based) and its code point range in that block.

    A tuple rather than a frozen dataclass: thousands of (unit, student) keys are hashed and
    sorted per page, and a tuple does both in C.
    """

    block: int
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A unit two or more students labelled, with how they labelled it."""

    unit: Unit
    text: str
    counts: tuple[tuple[str, int], ...]  # most common first, ties in label order

    @property
    def raters(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def top_label(self) -> str:
        return self.counts[0][0]

    @property
    def disagreement(self) -> float:
        """0 when everyone chose the same label, approaching 1 as the class splits."""
        return 1 - self.counts[0][1] / self.raters

    @property
    def distribution(self) -> str:
        """ "5 claim · 3 opinion"."""
        return " · ".join(f"{n} {label}" for label, n in self.counts)


def units(blocks: Sequence[str]) -> list[Unit]:
    """Every sentence of the article, in document order."""
    return [Unit(i, a, b) for i, text in enumerate(blocks) for a, b in sentences(text)]


def _covered(blocks: Sequence[str], mark: Mark) -> Sequence[tuple[int, int, int]]:
    """(block, start, end) of the part of a highlight inside each block it touches."""
    if mark.start_block == mark.end_block:
        # Most highlights stay within one block: no loop for them.
        inside = 0 <= mark.start_block < len(blocks) and mark.start_offset < mark.end_offset
        return ((mark.start_block, mark.start_offset, mark.end_offset),) if inside else ()
    found = []
    last = min(mark.end_block, len(blocks) - 1)
    for block in range(max(mark.start_block, 0), last + 1):
        start = mark.start_offset if block == mark.start_block else 0
        end = mark.end_offset if block == mark.end_block else len(blocks[block])
        if start < end:
            found.append((block, start, end))
    return found


def unit_labels(blocks: Sequence[str], marks: Iterable[Mark]) -> dict[Unit, dict[object, str]]:
    """For each unit anyone labelled: student → the label that counts for them."""
    by_block: list[list[Unit]] = [[] for _ in blocks]
    for unit in units(blocks):
        by_block[unit.block].append(unit)
    # (unit, student) → (overlap, label). Marks come oldest first, so a later highlight that
    # covers as much replaces an earlier one: the largest overlap wins, ties to the latest.
    best: dict[tuple[Unit, object], tuple[int, str]] = {}
    for mark in marks:
        student, label = mark.student, mark.label
        for block, start, end in _covered(blocks, mark):
            for unit in by_block[block]:
                _, unit_start, unit_end = unit
                if unit_start < end and unit_end > start:
                    overlap = (end if end < unit_end else unit_end) - (
                        start if start > unit_start else unit_start
                    )
                    held = best.get((unit, student))
                    if held is None or overlap >= held[0]:
                        best[unit, student] = (overlap, label)
    labels: dict[Unit, dict[object, str]] = defaultdict(dict)
    for (unit, student), (_, label) in sorted(best.items(), key=lambda item: item[0][0]):
        labels[unit][student] = label
    return dict(labels)


def shared(labels: dict[Unit, dict[object, str]]) -> dict[Unit, dict[object, str]]:
    """Only the units at least two students labelled: the ones agreement can be measured on."""
    return {unit: raters for unit, raters in labels.items() if len(raters) >= 2}


def passages(blocks: Sequence[str], labels: dict[Unit, dict[object, str]]) -> list[Passage]:
    """Every shared unit as a Passage, in document order."""
    found = []
    for unit, raters in sorted(shared(labels).items()):
        counts = Counter(raters.values())
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        text = blocks[unit.block][unit.start : unit.end]
        found.append(Passage(unit, text, tuple(ordered)))
    return found


def contested(
    blocks: Sequence[str], labels: dict[Unit, dict[object, str]], limit: int = CONTESTED_LIMIT
) -> list[Passage]:
    """The most split passages: highest disagreement, then more raters, then document order."""
    split = [p for p in passages(blocks, labels) if p.disagreement > 0]
    split.sort(key=lambda p: (-p.disagreement, -p.raters, p.unit))
    return split[:limit]


def alpha(labels: dict[Unit, dict[object, str]]) -> float | None:
    """Krippendorff's alpha (nominal) over shared units; None when it can't be measured.

    That is: fewer than two shared units, or no variation at all (every label the same), where
    the statistic is 0/0.
    """
    units_ = sorted(shared(labels))
    if len(units_) < 2:
        return None
    domain = sorted({label for u in units_ for label in labels[u].values()})
    column = {label: i for i, label in enumerate(domain)}
    # How many students chose each label, per unit: what the library would count from a
    # students × units table, without building that table of NaNs first.
    counts = []
    for unit in units_:
        row = [0] * len(domain)
        for label in labels[unit].values():
            row[column[label]] += 1
        counts.append(row)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(
                krippendorff.alpha(
                    value_counts=np.array(counts, dtype=np.int64), level_of_measurement="nominal"
                )
            )
    except (ValueError, ZeroDivisionError):
        # The library refuses a one-value domain: nobody ever chose differently.
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def alpha_by_block(labels: dict[Unit, dict[object, str]]) -> dict[int, float | None]:
    """Alpha within each block that has any shared unit, keyed by block index."""
    blocks: dict[int, dict[Unit, dict[object, str]]] = defaultdict(dict)
    for unit, raters in shared(labels).items():
        blocks[unit.block][unit] = raters
    return {block: alpha(block_labels) for block, block_labels in sorted(blocks.items())}
