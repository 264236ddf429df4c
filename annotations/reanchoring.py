"""Move highlights onto an article's new text after a curator edits it, or detach them.

Pure Python, no Django. Positions are code point offsets as in ``annotations.anchoring``; the
"document" is the blocks joined with ``BLOCK_SEPARATOR``. Each highlight goes through, in order:

KEPT      the diff of its block(s) leaves the quote at the same offsets of the mapped block(s);
DIFF      the diff carries one end of the highlight to a position where the quote's exact text
          now sits;
EXACT     the quote's exact text is found elsewhere, the diff doesn't trace it to text that
          was there all along (someone else's words), and it is long enough to identify
          itself, or its context or the diff say these are the highlight's words; the best
          context wins, then the one nearest the old position; a tie detaches;
FUZZY     the diff says where the highlight's own characters went, and the text there is close
          enough to the quote (``FUZZY_THRESHOLD``): moved, flagged ``approximate``;
ORPHANED  anything else. A detached highlight is a nuisance; a highlight on the wrong words puts
          a reader's comment on something the article never said.

Why the diff is per block. ``block_map`` says which new block each old block became, so each
old block is diffed against its own new block only: a reordered article diffs cleanly (a
whole-document diff sees a moved paragraph as a deletion plus an insertion and loses its
highlights), and ``difflib.SequenceMatcher``'s quadratic cost is paid on paragraphs, not
articles. A pairing is only believed if the diff carries at least ``SAME_BLOCK`` of the old
block's text: paired with an unrelated paragraph (a map that follows positions while a
paragraph was inserted above), the matcher happily aligns a phrase the two share, and the
highlight would land on the same words in the wrong paragraph. Common prefix and suffix are
trimmed before the matcher runs, so text outside the edited stretch always keeps its alignment,
and ``autojunk`` is off: from 200 characters on it treats every character more frequent than
1% - every letter of prose - as junk, and the diff falls apart.

Why no rapidfuzz. The similarity is the normalized Indel similarity ``2·LCS / (len a + len b)``,
the number ``rapidfuzz.fuzz.ratio`` computes (times 100), here from a bit-parallel longest
common subsequence (Allison-Dix / Hyyrö) on Python's big integers: a few integer operations per
character, exact and symmetric. ``difflib``'s ``ratio`` is not used as the score: it is built
on greedy matching blocks, so it under-counts, and ``ratio(a, b)`` can differ from
``ratio(b, a)``. Fuzzy matches are only looked for where the diff says the highlight went, so a
search compares a few windows of one highlight's length, never every window of the article: a
C++ dependency would buy no measurable speed. (Checked: the same scores as rapidfuzz 3.14
within floating-point rounding; 300 highlights re-anchored on a 22,000-character article in
0.1 to 0.4 seconds.)
"""

import math
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate

from .anchoring import (
    BLOCK_SEPARATOR,
    CONTEXT_LENGTH,
    Anchor,
    AnchorError,
    Quote,
    document_text,
    from_document_offset,
    quote_at,
)

# Minimum normalized similarity between the quote and the text a FUZZY match moves it to.
# Measured on the two seed articles (the tests pin these down):
# - the edits fuzzy matching is for score well above it: a typo fixed in a one-word highlight
#   ("recieved" -> "received") 0.875; a word changed, added or dropped in a sentence 0.9+;
# - different sentences of an article score 0.48 in the median, 0.52 at the 90th percentile,
#   against their *closest* other sentence. Hypothesis's client accepts matches with up to half
#   their characters wrong, with no threshold at all: a highlight whose sentence was deleted
#   would land on another sentence one time in ten to one in four;
# - 0.85 allows about one wrong character in seven: one typo in a word of seven letters or
#   more, or a changed word in a sentence. More than that, and the reader should re-select.
# No threshold tells an edited sentence from a near-duplicate ("Figure 1 shows the results."
# vs "Figure 2 ...": 0.96); that is why a fuzzy match must also hold MIN_DIFF_SUPPORT of the
# highlight's own characters.
FUZZY_THRESHOLD = 0.85

# A fuzzy match may be at most this much shorter or longer than the quote (shorter / longer).
# The threshold alone lets a highlight lose 26% of its text or grow by 35%; a fifth either way
# is already another passage.
LENGTH_RATIO = 0.8

# Share of the highlight's characters that the diff must carry into a fuzzy match (or into an
# exact one that neither its length nor its context vouches for): the match is where the
# highlight's own text went, not a lookalike that ended up next to a deletion.
MIN_DIFF_SUPPORT = 0.5

# An exact match elsewhere shorter than CONTEXT_LENGTH needs one side of its context at least
# this similar to the quote's. Unrelated 32-character stretches of the seed articles score 0.44
# at the 90th percentile and 0.56 at the 99.9th; one changed word in 32 characters still 0.8.
CONTEXT_THRESHOLD = 0.75

# Share of an old block's text its diff must carry for the pairing with a new block to count.
# Different paragraphs of the seed articles: 0.25 in the median, 0.47 at most; a paragraph with
# eight words changed, added or removed: 0.76 at least.
SAME_BLOCK = 0.5

_MAX_ROUNDS = 8  # coordinate ascent of a fuzzy window's ends; converges in two or three


class Method(StrEnum):
    KEPT = "kept"
    DIFF = "diff"
    EXACT = "exact"
    FUZZY = "fuzzy"
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class Result:
    """Where a highlight is now: its anchor in the new blocks and how it was found."""

    anchor: Anchor | None  # None when orphaned
    method: Method
    approximate: bool  # True only for FUZZY: the words differ from what the reader selected
    similarity: float  # 1.0 for exact methods, the fuzzy similarity, 0.0 when orphaned
    quote: Quote | None  # quote_at(new_blocks, anchor); None when orphaned


ORPHANED = Result(None, Method.ORPHANED, False, 0.0, None)


# --- Similarity ---------------------------------------------------------------------------


def _masks(pattern: str) -> dict[str, int]:
    """For each character, the bit set of its positions in pattern."""
    masks: dict[str, int] = {}
    for i, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << i)
    return masks


def _lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence, bit-parallel over the shorter string."""
    if len(a) < len(b):
        a, b = b, a
    masks, full = _masks(b), (1 << len(b)) - 1
    row = full  # each zero bit is one character of the LCS so far
    for char in a:
        matched = row & masks.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(b) - row.bit_count()


def similarity(a: str, b: str) -> float:
    """Normalized Indel similarity 2·LCS / (len a + len b): 1.0 for equal strings, even empty."""
    if not a and not b:
        return 1.0
    return 2 * _lcs_length(a, b) / (len(a) + len(b))


# --- Diffs and block maps -------------------------------------------------------------------

type Opcode = tuple[str, int, int, int, int]


@lru_cache(maxsize=512)
def _opcodes(old: str, new: str) -> tuple[Opcode, ...]:
    """difflib opcodes turning old into new, common prefix and suffix aligned first."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_mid, new_mid = old[head : len(old) - tail], new[head : len(new) - tail]
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    if old_mid and new_mid:
        matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=False)
        ops += [
            (tag, i1 + head, i2 + head, j1 + head, j2 + head)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        ]
    elif old_mid or new_mid:
        ops.append(("replace", head, len(old) - tail, head, len(new) - tail))
    if tail:
        ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return tuple(ops)


def _opcode_at(ops: tuple[Opcode, ...], index: int) -> Opcode:
    """The opcode covering old character index (which must be < len(old))."""
    return ops[bisect_right([op[2] for op in ops], index)]


def match_blocks(old_blocks: Sequence[str], new_blocks: Sequence[str]) -> dict[int, int | None]:
    """A block_map from the texts alone, for when block identities can't be trusted.

    Unchanged blocks follow their text: in order, or wherever it went if it is in one block on
    each side. Changed ones pair up in order within each stretch that changed; the rest count
    as deleted. Only a hint: reanchor checks every pairing against the text.
    """
    old, new = list(old_blocks), list(new_blocks)
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    mapping: dict[int, int | None] = dict.fromkeys(range(len(old)))
    for tag, i1, i2, j1, _ in ops:
        if tag == "equal":
            mapping.update((i, j1 + i - i1) for i in range(i1, i2))
    taken = set(mapping.values())
    old_counts, new_counts = Counter(old), Counter(new)
    moved = {text: j for j, text in enumerate(new) if j not in taken and new_counts[text] == 1}
    for i, text in enumerate(old):
        if mapping[i] is None and old_counts[text] == 1 and text in moved:
            mapping[i] = moved.pop(text)
            taken.add(mapping[i])
    for tag, i1, i2, j1, j2 in ops:
        if tag == "replace":
            free = (j for j in range(j1, j2) if j not in taken)
            for i, j in zip((i for i in range(i1, i2) if mapping[i] is None), free, strict=False):
                mapping[i] = j
    return mapping


def _block_map(
    block_map: Mapping[int, int | None] | None, old_count: int, new_count: int
) -> list[int | None]:
    """New block index (or None) of every old block; missing keys count as deleted."""
    if block_map is None:
        return [i if i < new_count else None for i in range(old_count)]
    mapped = [block_map.get(i) for i in range(old_count)]
    for target in mapped:
        if target is not None and not 0 <= target < new_count:
            raise ValueError(f"block_map points at block {target}; there are {new_count}.")
    return mapped


# --- Re-anchoring ---------------------------------------------------------------------------


def reanchor(
    old_blocks: Sequence[str],
    new_blocks: Sequence[str],
    anchor: Anchor,
    quote: Quote,
    block_map: Mapping[int, int | None] | None = None,
) -> Result:
    """Where the highlight (anchor, quote) on old_blocks belongs in new_blocks, if anywhere.

    block_map maps old block indexes to new ones (None: deleted); by default each block keeps
    its index if it still exists. The quote is what the reader selected and wins over the
    anchor: an anchor that doesn't hold quote.exact in old_blocks is ignored, and the highlight
    can then only be found by its exact text and context.
    """
    exact, prefix, suffix = (
        unicodedata.normalize("NFC", s) for s in (quote.exact, quote.prefix, quote.suffix)
    )
    if not new_blocks or not exact or exact.isspace():
        return ORPHANED
    mapping = _block_map(block_map, len(old_blocks), len(new_blocks))
    search = _Search(old_blocks, new_blocks, Quote(exact, prefix, suffix), mapping)
    try:
        old = anchor if quote_at(old_blocks, anchor).exact == exact else None
    except AnchorError:
        old = None
    return (old and search.by_diff(old)) or search.elsewhere(old)


@dataclass(frozen=True)
class _Candidate:
    start: int  # document positions in the new text, end exclusive
    end: int
    similarity: float
    context: float


class _Search:
    """One highlight's search through the new text."""

    def __init__(
        self,
        old_blocks: Sequence[str],
        new_blocks: Sequence[str],
        quote: Quote,
        mapping: list[int | None],
    ) -> None:
        self.old_blocks, self.new_blocks = old_blocks, new_blocks
        self.quote, self.mapping = quote, mapping
        self.doc = document_text(new_blocks)
        step = len(BLOCK_SEPARATOR)
        self.starts = [0, *accumulate(len(b) + step for b in new_blocks[:-1])]
        self.separators = {start - step for start in self.starts[1:]}
        self.length = len(quote.exact)
        # The length guard in code points (the epsilon keeps 10 * 0.8 from rounding up to 9).
        self.min_width = max(1, math.ceil(self.length * LENGTH_RATIO - 1e-9))
        self.max_width = math.floor(self.length / LENGTH_RATIO + 1e-9)
        self.masks = _masks(quote.exact)
        self.reversed_masks = _masks(quote.exact[::-1])
        self.pairs: dict[int, tuple[int, tuple[Opcode, ...]] | None] = {}
        self.sources: dict[int, list[int]] = {}  # new block -> the old blocks mapped to it
        for block, new_block in enumerate(mapping):
            if new_block is not None:
                self.sources.setdefault(new_block, []).append(block)

    def _pair(self, old_block: int) -> tuple[int, tuple[Opcode, ...]] | None:
        """The new block an old block became and their diff, if the diff agrees they're one."""
        if old_block not in self.pairs:
            new_block = self.mapping[old_block]
            pair = None
            if new_block is not None:
                old_text = self.old_blocks[old_block]
                ops = _opcodes(old_text, self.new_blocks[new_block])
                carried = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
                if carried >= SAME_BLOCK * len(old_text):
                    pair = new_block, ops
            self.pairs[old_block] = pair
        return self.pairs[old_block]

    def _image(self, old_block: int, index: int, exact: bool, end: bool = False) -> int | None:
        """Document position in the new text of an old block's character.

        exact: only if the diff kept that character (else None); otherwise a character it
        replaced or deleted goes to the start (or, with end, the end) of what replaced it.
        """
        pair = self._pair(old_block)
        if pair is None:
            return None
        new_block, ops = pair
        tag, i1, _, j1, j2 = _opcode_at(ops, index)
        if tag == "equal":
            return self.starts[new_block] + j1 + index - i1
        if exact:
            return None
        return self.starts[new_block] + (j2 if end else j1)

    # --- KEPT and DIFF ----------------------------------------------------------------------

    def by_diff(self, old: Anchor) -> Result | None:
        """KEPT or DIFF: one end of the highlight carried by the diff to where the quote sits."""
        spans = set()
        start = self._image(old.start_block, old.start_offset, exact=True)
        if start is not None:
            spans.add((start, start + self.length))
        end = self._image(old.end_block, old.end_offset - 1, exact=True)
        if end is not None:
            spans.add((end + 1 - self.length, end + 1))
        found = [(a, b) for a, b in spans if a >= 0 and self.doc[a:b] == self.quote.exact]
        if len(found) != 1:  # lost, or the two ends disagree: let the context decide
            return None
        anchor = self._anchor(*found[0])
        if anchor is None:
            return None
        kept = (
            anchor.start_block == self.mapping[old.start_block]
            and anchor.end_block == self.mapping[old.end_block]
            and (anchor.start_offset, anchor.end_offset) == (old.start_offset, old.end_offset)
        )
        return self._result(anchor, Method.KEPT if kept else Method.DIFF, 1.0)

    # --- EXACT and FUZZY --------------------------------------------------------------------

    def elsewhere(self, old: Anchor | None) -> Result:
        """EXACT, else FUZZY, else ORPHANED."""
        hint = end_hint = None
        if old is not None:
            hint = self._image(old.start_block, old.start_offset, exact=False)
            end_hint = self._image(old.end_block, old.end_offset - 1, exact=False, end=True)
            if hint is None and end_hint is not None:
                hint = max(0, end_hint - self.length)
        found = []
        pos = self.doc.find(self.quote.exact)
        while pos != -1:
            end = pos + self.length
            if self._anchor(pos, end) is not None and self._vouched(old, pos, end):
                found.append(_Candidate(pos, end, 1.0, self._context(pos, end)))
            pos = self.doc.find(self.quote.exact, pos + 1)
        if found:
            return self._best(found, hint, Method.EXACT)
        if old is None:
            return ORPHANED
        fuzzy = []
        for window in {self._ascend(hint, None), self._ascend(None, end_hint)}:
            if window is None:
                continue
            start, end = window
            score = similarity(self.quote.exact, self.doc[start:end])
            if (
                score >= FUZZY_THRESHOLD
                and self._support(old, start, end) >= MIN_DIFF_SUPPORT
                and self._anchor(start, end) is not None
            ):
                fuzzy.append(_Candidate(start, end, score, self._context(start, end)))
        return self._best(fuzzy, hint, Method.FUZZY) if fuzzy else ORPHANED

    def _vouched(self, old: Anchor | None, start: int, end: int) -> bool:
        """Whether an exact occurrence is the highlight's words, not just the same letters."""
        if old is not None and self._foreign(old, start, end) > (end - start) / 2:
            return False  # the diff says it was already there, as someone else's words
        if self.length >= CONTEXT_LENGTH:
            return True
        if max(self._context_sides(start, end)) >= CONTEXT_THRESHOLD:
            return True
        return old is not None and self._support(old, start, end) >= MIN_DIFF_SUPPORT

    def _best(self, found: list[_Candidate], hint: int | None, method: Method) -> Result:
        """The best candidate by similarity and context, then nearness; ORPHANED on a tie."""

        def key(c: _Candidate) -> tuple[float, int]:
            distance = abs(c.start - hint) if hint is not None else 0
            return round((c.similarity + c.context) / 2, 9), -distance

        ranked = sorted(found, key=key, reverse=True)
        if len(ranked) > 1 and key(ranked[0]) == key(ranked[1]):
            return ORPHANED
        best = ranked[0]
        anchor = self._anchor(best.start, best.end)
        assert anchor is not None  # checked when the candidate was found
        return self._result(anchor, method, best.similarity)

    def _context_sides(self, start: int, end: int) -> tuple[float, float]:
        """Similarity of the quote's prefix and suffix to the text around [start, end)."""
        prefix, suffix = self.quote.prefix, self.quote.suffix
        before = self.doc[max(0, start - (len(prefix) or CONTEXT_LENGTH)) : start]
        after = self.doc[end : end + (len(suffix) or CONTEXT_LENGTH)]
        return similarity(prefix, before), similarity(suffix, after)

    def _context(self, start: int, end: int) -> float:
        return sum(self._context_sides(start, end)) / 2

    def _foreign(self, old: Anchor, start: int, end: int) -> int:
        """How many characters of [start, end) the diff traces to old text outside the highlight.

        Such an occurrence is not where the highlight went but one that was in the article all
        along: near the old position its context is the quote's own, shifted by a few
        characters, so only the diff can tell them apart.
        """
        first = from_document_offset(self.new_blocks, start)[0]
        last = from_document_offset(self.new_blocks, end)[0]
        foreign = 0
        for new_block in range(first, last + 1):
            for block in self.sources.get(new_block, ()):
                foreign += self._traced(old, block, start, end)
        return foreign

    def _traced(self, old: Anchor, block: int, start: int, end: int) -> int:
        """Characters of [start, end) that the diff traces to block, outside the highlight."""
        pair = self._pair(block)
        if pair is None:
            return 0
        new_block, ops = pair
        lo = hi = 0  # the highlight's part of the old block, if any
        if old.start_block <= block <= old.end_block:
            lo = old.start_offset if block == old.start_block else 0
            hi = old.end_offset if block == old.end_block else len(self.old_blocks[block])
        traced = 0
        base = self.starts[new_block]
        for tag, i1, i2, j1, _ in ops:
            if tag != "equal":
                continue
            # The old characters whose images fall in [start, end) ...
            a = i1 + max(start - base - j1, 0)
            b = i1 + min(end - base - j1, i2 - i1)
            if a < b:  # ... less those of the highlight itself
                traced += (b - a) - max(0, min(b, hi) - max(a, lo))
        return traced

    def _support(self, old: Anchor, start: int, end: int) -> float:
        """Share of the highlight's characters that the diff carries into [start, end)."""
        total = carried = 0
        for block in range(old.start_block, old.end_block + 1):
            lo = old.start_offset if block == old.start_block else 0
            hi = old.end_offset if block == old.end_block else len(self.old_blocks[block])
            total += hi - lo
            pair = self._pair(block)
            if pair is None:
                continue
            new_block, ops = pair
            base = self.starts[new_block]
            for tag, i1, i2, j1, _ in ops:
                if tag == "equal" and max(i1, lo) < min(i2, hi):
                    first = base + j1 + max(i1, lo) - i1
                    last = base + j1 + min(i2, hi) - i1
                    carried += max(0, min(last, end) - max(first, start))
        return carried / total if total else 0.0

    # --- Fuzzy windows ----------------------------------------------------------------------

    def _ascend(self, start: int | None, end: int | None) -> tuple[int, int] | None:
        """The window most like the quote near a seed start or end, improving one end at a time.

        Each step is exact (every width within the length guard is scored); alternating them
        converges on a window neither of whose ends can move to a better score.
        """
        if start is None:
            if end is None:
                return None
            start = self._best_start(end)
        for _ in range(_MAX_ROUNDS):
            if start is None:
                return None
            new_end = self._best_end(start)
            if new_end is None:
                return None
            new_start = self._best_start(new_end)
            if (new_start, new_end) == (start, end):
                break
            start, end = new_start, new_end
        return None if start is None or end is None else (start, end)

    def _best_end(self, start: int) -> int | None:
        """The end of the window starting at start that is most like the quote."""
        return self._scan(self.doc[start : start + self.max_width], self.masks, start, 1)

    def _best_start(self, end: int) -> int | None:
        """The start of the window ending at end that is most like the quote."""
        text = self.doc[max(0, end - self.max_width) : end][::-1]
        return self._scan(text, self.reversed_masks, end, -1)

    def _scan(self, text: str, masks: dict[str, int], origin: int, direction: int) -> int | None:
        """Walk from origin over text, scoring each window width by its LCS with the quote.

        Only widths within the length guard count, and the moving end must not sit on a block
        separator. masks is the quote's (reversed when walking backwards).
        """
        full = (1 << self.length) - 1
        row = full
        best, best_score = None, -1.0
        for width, char in enumerate(text, 1):
            matched = row & masks.get(char, 0)
            row = ((row + matched) | (row - matched)) & full
            bound = origin + direction * width
            edge = bound - 1 if direction == 1 else bound  # the character at the moving end
            if width < self.min_width or edge in self.separators:
                continue
            score = 2 * (self.length - row.bit_count()) / (self.length + width)
            if score > best_score:
                best, best_score = bound, score
        return best

    # --- Helpers ----------------------------------------------------------------------------

    def _anchor(self, start: int, end: int) -> Anchor | None:
        """The anchor of a document range, or None if it isn't a valid highlight."""
        if not 0 <= start < end <= len(self.doc):
            return None
        anchor = Anchor(
            *from_document_offset(self.new_blocks, start),
            *from_document_offset(self.new_blocks, end),
        )
        try:
            quote_at(self.new_blocks, anchor)
        except AnchorError:
            return None
        return anchor

    def _result(self, anchor: Anchor, method: Method, score: float) -> Result:
        quote = quote_at(self.new_blocks, anchor)
        return Result(anchor, method, method == Method.FUZZY, score, quote)
