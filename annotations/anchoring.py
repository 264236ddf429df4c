"""Anchor annotations to article blocks: validation, re-anchoring, offsets, segments, sentences.

Pure Python, no Django. An article is a sequence of block texts (NFC ``str``). Offsets count
Unicode code points (Python ``str`` indices). The "document" is the block texts joined with
``BLOCK_SEPARATOR``; quotes and their context are taken from it, so a cross-block quote contains
the separator and a prefix can reach back into the previous block.
"""

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

BLOCK_SEPARATOR = "\n"
CONTEXT_LENGTH = 32

# User-facing messages (plain English: they are shown next to the selection form).
NO_TEXT = "This article has no text to annotate."
OUTSIDE_ARTICLE = "The selection points outside the article. Reload the page and select it again."
OUTSIDE_BLOCK = (
    "The selection doesn't fit the paragraph it was made in. Reload the page and select it again."
)
BACKWARDS = "The selection ends before it starts. Select the text again."
BETWEEN_BLOCKS = (
    "The selection starts or ends between paragraphs. "
    "Select from the first word you want to the last."
)
BLANK = "The selection contains no words. Select some text and try again."
NOT_FOUND = "The selected text no longer matches the article. Reload the page and select it again."
AMBIGUOUS = (
    "The selected text appears more than once in the article, so we can't tell which one you "
    "mean. Select a longer passage."
)


class AnchorError(ValueError):
    """An anchor or quote that cannot be placed in the article; the message is user-facing."""


@dataclass(frozen=True)
class Anchor:
    """A range in an article: start and end block indexes with code point offsets, end exclusive."""

    start_block: int
    start_offset: int
    end_block: int
    end_offset: int


@dataclass(frozen=True)
class Quote:
    """A W3C TextQuote selector over the joined document text."""

    exact: str
    prefix: str = ""
    suffix: str = ""


# --- Document offsets -----------------------------------------------------------------------


def document_text(blocks: Sequence[str]) -> str:
    """The blocks joined with BLOCK_SEPARATOR: the text quotes and context are taken from."""
    return BLOCK_SEPARATOR.join(blocks)


def _block_starts(blocks: Sequence[str]) -> list[int]:
    """Document position of each block's first code point."""
    step = len(BLOCK_SEPARATOR)
    return [0, *accumulate(len(b) + step for b in blocks[:-1])] if blocks else []


def _check_position(blocks: Sequence[str], block: int, offset: int) -> None:
    """Raise AnchorError unless (block, offset) is a position in the article."""
    if not blocks:
        raise AnchorError(NO_TEXT)
    if not 0 <= block < len(blocks):
        raise AnchorError(OUTSIDE_ARTICLE)
    if not 0 <= offset <= len(blocks[block]):
        raise AnchorError(OUTSIDE_BLOCK)


def to_document_offset(blocks: Sequence[str], block: int, offset: int) -> int:
    """The position in the joined document of a code point offset within a block."""
    _check_position(blocks, block, offset)
    return sum(len(b) + len(BLOCK_SEPARATOR) for b in blocks[:block]) + offset


def from_document_offset(blocks: Sequence[str], pos: int) -> tuple[int, int]:
    """The (block, offset) of a document position; a separator position is the end of its block."""
    if not blocks:
        raise AnchorError(NO_TEXT)
    if not 0 <= pos <= len(document_text(blocks)):
        raise AnchorError(OUTSIDE_ARTICLE)
    return _from_position(_block_starts(blocks), pos)


def _from_position(starts: list[int], pos: int) -> tuple[int, int]:
    """(block, offset) of an in-range document position, given the block starts."""
    block = bisect_right(starts, pos) - 1
    return block, pos - starts[block]


def _is_separator(blocks: Sequence[str], starts: list[int], pos: int) -> bool:
    """Whether the document character at pos is a BLOCK_SEPARATOR between two blocks."""
    block, offset = _from_position(starts, pos)
    return block < len(blocks) - 1 and offset >= len(blocks[block])


# --- Validation, quotes and re-anchoring -------------------------------------------------


def _span(blocks: Sequence[str], anchor: Anchor) -> tuple[int, int]:
    """Document (start, end) of an anchor whose positions and order are valid."""
    _check_position(blocks, anchor.start_block, anchor.start_offset)
    _check_position(blocks, anchor.end_block, anchor.end_offset)
    if anchor.start_block > anchor.end_block or (
        anchor.start_block == anchor.end_block and anchor.start_offset >= anchor.end_offset
    ):
        raise AnchorError(BACKWARDS)
    if anchor.start_offset == len(blocks[anchor.start_block]) or anchor.end_offset == 0:
        # Only possible across blocks: the range would begin or end on the separator.
        raise AnchorError(BETWEEN_BLOCKS)
    start = to_document_offset(blocks, anchor.start_block, anchor.start_offset)
    end = to_document_offset(blocks, anchor.end_block, anchor.end_offset)
    return start, end


def _checked(blocks: Sequence[str], anchor: Anchor) -> tuple[str, int, int]:
    """The document text and the document (start, end) of an anchor, or AnchorError."""
    start, end = _span(blocks, anchor)
    doc = document_text(blocks)
    if doc[start:end].isspace():
        raise AnchorError(BLANK)
    return doc, start, end


def validate_anchor(blocks: Sequence[str], anchor: Anchor) -> None:
    """Raise AnchorError unless the anchor is an in-range, forward, non-blank article range."""
    _checked(blocks, anchor)


def quote_at(blocks: Sequence[str], anchor: Anchor) -> Quote:
    """The TextQuote selector (exact, plus CONTEXT_LENGTH of context) of a valid anchor."""
    doc, start, end = _checked(blocks, anchor)
    return Quote(
        exact=doc[start:end],
        prefix=doc[max(0, start - CONTEXT_LENGTH) : start],
        suffix=doc[end : end + CONTEXT_LENGTH],
    )


def _occurrences(doc: str, exact: str) -> list[int]:
    """Start positions of every (possibly overlapping) occurrence of exact in doc."""
    found = []
    pos = doc.find(exact)
    while pos != -1:
        found.append(pos)
        pos = doc.find(exact, pos + 1)
    return found


def resolve(blocks: Sequence[str], anchor: Anchor | None, quote: Quote) -> Anchor:
    """The anchor to store: the given one if its text is quote.exact, else the unique match."""
    exact, prefix, suffix = (
        unicodedata.normalize("NFC", s) for s in (quote.exact, quote.prefix, quote.suffix)
    )
    if not exact or exact.isspace():
        raise AnchorError(BLANK)
    if anchor is not None:
        try:
            if quote_at(blocks, anchor).exact == exact:
                return anchor
        except AnchorError:
            pass  # stale or malformed positions: fall back to the quote
    if not blocks:
        raise AnchorError(NO_TEXT)
    doc = document_text(blocks)
    starts = _block_starts(blocks)
    candidates = [
        pos
        for pos in _occurrences(doc, exact)
        if not _is_separator(blocks, starts, pos)
        and not _is_separator(blocks, starts, pos + len(exact) - 1)
    ]
    in_context = [
        pos
        for pos in candidates
        if doc.endswith(prefix, 0, pos) and doc.startswith(suffix, pos + len(exact))
    ]
    if len(in_context) == 1:
        match = in_context[0]
    elif len(candidates) == 1:
        match = candidates[0]
    elif not candidates:
        raise AnchorError(NOT_FOUND)
    else:
        raise AnchorError(AMBIGUOUS)
    return Anchor(*_from_position(starts, match), *_from_position(starts, match + len(exact)))


# --- UTF-16 (browser) offsets -------------------------------------------------------------


def _utf16_width(char: str) -> int:
    """UTF-16 code units of one code point: 2 outside the Basic Multilingual Plane."""
    return 2 if ord(char) > 0xFFFF else 1


def utf16_to_codepoints(text: str, utf16_offset: int) -> int:
    """Code point offset of a UTF-16 offset; one inside a surrogate pair rounds down."""
    if utf16_offset < 0:
        raise AnchorError(OUTSIDE_BLOCK)
    units = 0
    for index, char in enumerate(text):
        units += _utf16_width(char)
        if units > utf16_offset:
            return index
    if units < utf16_offset:
        raise AnchorError(OUTSIDE_BLOCK)
    return len(text)


def codepoints_to_utf16(text: str, offset: int) -> int:
    """UTF-16 offset of a code point offset, as the browser counts it."""
    if not 0 <= offset <= len(text):
        raise AnchorError(OUTSIDE_BLOCK)
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


# --- Highlight segments -------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A highlight within one block, in code points, end exclusive."""

    start: int
    end: int
    key: object
    kind: str


@dataclass(frozen=True)
class Segment:
    """A run of block text and the spans covering all of it, ordered by (start, key)."""

    text: str
    spans: tuple[Span, ...]


def _ordered(spans: list[Span]) -> list[Span]:
    """Spans by (start, key); by start alone (stable) if the keys can't be compared."""
    try:
        return sorted(spans, key=lambda s: (s.start, s.key))
    except TypeError:
        return sorted(spans, key=lambda s: s.start)


def segment(text: str, spans: Iterable[Span]) -> list[Segment]:
    """Split text at every span boundary into flat, non-empty runs with their covering spans."""
    length = len(text)
    live = _ordered([s for s in spans if max(s.start, 0) < min(s.end, length)])
    bounds = sorted(
        {0, length} | {max(s.start, 0) for s in live} | {min(s.end, length) for s in live}
    )
    segments: list[Segment] = []
    run_start = 0
    # A sweep: spans join the covering set where they start and leave it where they end, so a
    # crowded paragraph costs its overlaps, not every boundary times every span. Spans start
    # at a boundary in `live` order, so appending keeps the set ordered by (start, key).
    starting: dict[int, list[Span]] = {}
    for s in live:
        starting.setdefault(max(s.start, 0), []).append(s)
    active: list[Span] = []
    for here, after in pairwise(bounds):
        active = [s for s in active if s.end > here] + starting.get(here, [])
        covering = tuple(active)
        if segments and segments[-1].spans == covering:
            segments[-1] = Segment(text[run_start:after], covering)
        else:
            run_start = here
            segments.append(Segment(text[here:after], covering))
    return segments


def spans_for_block(
    block_index: int, block_length: int, anchor: Anchor, key: object, kind: str
) -> Span | None:
    """The part of an anchor inside one block, or None if it doesn't touch the block."""
    if not anchor.start_block <= block_index <= anchor.end_block:
        return None
    start = anchor.start_offset if block_index == anchor.start_block else 0
    end = anchor.end_offset if block_index == anchor.end_block else block_length
    start, end = max(start, 0), min(end, block_length)
    return Span(start, end, key, kind) if start < end else None


# --- Sentences ----------------------------------------------------------------------------

_TERMINALS = ".!?…"
_CLOSERS = "\u201d\u2019\"')]»"  # curly closing quotes
_OPENERS = "\u201c\u2018\"'([«¿¡"  # curly opening quotes
_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "mx", "dr", "prof", "rev", "hon", "sr", "jr", "st", "mt", "ft"),
        *("vs", "etc", "e.g", "i.e", "cf", "al", "approx", "dept", "est", "fig"),
        *("gen", "gov", "lt", "col", "capt", "sgt", "inc", "ltd", "co", "corp"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    }
)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")


def _is_abbreviation(word: str, next_char: str) -> bool:
    """Whether the word before a lone '.' is an abbreviation or initials, not a sentence end."""
    word = word.lstrip(_OPENERS)
    lowered = word.lower()
    if lowered in _ABBREVIATIONS:
        return True
    if lowered == "no" and next_char.isdigit():  # "No. 5"
        return True
    return word != "I" and _INITIALS.fullmatch(word) is not None  # "J. Smith", "U.S. Army"


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) code point ranges of a block, trailing whitespace excluded."""
    length = len(text)
    ranges: list[tuple[int, int]] = []
    start = 0
    i = 0
    while i < length:
        if text[i] not in _TERMINALS:
            i += 1
            continue
        j = i
        while j < length and text[j] in _TERMINALS:
            j += 1
        terminal = text[i:j]
        while j < length and text[j] in _CLOSERS:
            j += 1
        sentence_end = j
        while j < length and text[j].isspace():
            j += 1
        if j in (sentence_end, length):
            i = j
            continue
        following = text[j]
        splits = following.isupper() or following.isdigit() or following in _OPENERS
        if splits and terminal == ".":
            word_start = i
            while word_start > 0 and not text[word_start - 1].isspace():
                word_start -= 1
            splits = not _is_abbreviation(text[word_start:i], following)
        if splits:
            _add_range(text, start, sentence_end, ranges)
            start = j
        i = j
    _add_range(text, start, length, ranges)
    return ranges


def _add_range(text: str, start: int, end: int, ranges: list[tuple[int, int]]) -> None:
    """Append text[start:end] without its surrounding whitespace, unless nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        ranges.append((start, end))
