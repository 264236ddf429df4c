"""Tests for annotations.anchoring: pure Python, no database."""

# Typographic quotes, dashes and non-BMP letters are the point of these tests.

from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from annotations.anchoring import (
    BLOCK_SEPARATOR,
    CONTEXT_LENGTH,
    Anchor,
    AnchorError,
    Quote,
    Segment,
    Span,
    codepoints_to_utf16,
    from_document_offset,
    quote_at,
    resolve,
    segment,
    sentences,
    spans_for_block,
    to_document_offset,
    utf16_to_codepoints,
    validate_anchor,
)

ALPHABET = [*"abXY ’—“”–ć", "𝒳", "😀"]
SENTENCE_ALPHABET = [*ALPHABET, ".", "!", "?", "3", "A", "”", '"', "M", "r", "\u00a0"]
KINDS = ["claim", "evidence", "opinion"]

texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=30)
block_lists = st.lists(texts, min_size=1, max_size=4)


def doc_of(blocks):
    return BLOCK_SEPARATOR.join(blocks)


def expected_exact(blocks, anchor):
    """The anchor's text, computed independently of the module."""
    joined = doc_of(blocks[anchor.start_block : anchor.end_block + 1])
    end = len(joined) - len(blocks[anchor.end_block]) + anchor.end_offset
    return joined[anchor.start_offset : end]


def is_valid(blocks, anchor):
    """The module's validity rules, restated from the spec."""
    sb, so, eb, eo = anchor.start_block, anchor.start_offset, anchor.end_block, anchor.end_offset
    if not (0 <= sb < len(blocks) and 0 <= eb < len(blocks)):
        return False
    if not (0 <= so <= len(blocks[sb]) and 0 <= eo <= len(blocks[eb])):
        return False
    if sb > eb or (sb == eb and so >= eo):
        return False
    if sb < eb and (so == len(blocks[sb]) or eo == 0):  # would start/end on the separator
        return False
    return not expected_exact(blocks, anchor).isspace()


@st.composite
def blocks_and_anchor(draw):
    blocks = draw(block_lists)
    sb = draw(st.integers(0, len(blocks) - 1))
    eb = draw(st.integers(sb, len(blocks) - 1))
    so = draw(st.integers(0, len(blocks[sb])))
    eo = draw(st.integers(0, len(blocks[eb])))
    anchor = Anchor(sb, so, eb, eo)
    assume(is_valid(blocks, anchor))
    return blocks, anchor


def count_occurrences(haystack, needle):
    return sum(haystack.startswith(needle, i) for i in range(len(haystack)))


# --- segment ---------------------------------------------------------------------------------


@st.composite
def text_and_spans(draw):
    text = draw(texts)
    bound = st.integers(-2, len(text) + 2)
    spans = draw(
        st.lists(
            st.builds(Span, bound, bound, st.integers(0, 6), st.sampled_from(KINDS)), max_size=8
        )
    )
    return text, spans


@given(text_and_spans())
def test_it_segments_rejoin_to_the_text_with_exact_covering_sets(case):
    text, spans = case
    result = segment(text, spans)
    assert "".join(s.text for s in result) == text
    assert all(s.text for s in result)
    for before, after in pairwise(result):
        assert Counter(before.spans) != Counter(after.spans)
    position = 0
    for seg in result:
        assert list(seg.spans) == sorted(seg.spans, key=lambda s: (s.start, s.key))
        for i in range(position, position + len(seg.text)):
            covering = [s for s in spans if s.start <= i < s.end]
            assert Counter(seg.spans) == Counter(covering)
        position += len(seg.text)


def test_it_keeps_plain_text_as_one_segment():
    assert segment("plain 𝒳", []) == [Segment("plain 𝒳", ())]
    assert segment("", [Span(0, 3, 1, "claim")]) == []


def test_it_splits_nested_and_overlapping_spans_flat():
    outer = Span(0, 9, 1, "claim")
    inner = Span(2, 4, 2, "evidence")
    tail = Span(7, 20, 3, "opinion")
    result = segment("ab😀d efghi", [tail, inner, outer])
    assert [(s.text, s.spans) for s in result] == [
        ("ab", (outer,)),
        ("😀d", (outer, inner)),
        (" ef", (outer,)),
        ("gh", (outer, tail)),
        ("i", (tail,)),
    ]


def test_it_ignores_zero_length_and_out_of_text_spans():
    text = "hello"
    result = segment(text, [Span(2, 2, 1, "claim"), Span(7, 9, 2, "claim"), Span(4, 1, 3, "claim")])
    assert result == [Segment("hello", ())]


# --- spans_for_block -------------------------------------------------------------------------


def test_it_cuts_a_multi_block_anchor_into_block_spans():
    anchor = Anchor(1, 3, 3, 2)
    assert spans_for_block(0, 10, anchor, 7, "claim") is None
    assert spans_for_block(1, 10, anchor, 7, "claim") == Span(3, 10, 7, "claim")
    assert spans_for_block(2, 5, anchor, 7, "claim") == Span(0, 5, 7, "claim")
    assert spans_for_block(2, 0, anchor, 7, "claim") is None
    assert spans_for_block(3, 10, anchor, 7, "claim") == Span(0, 2, 7, "claim")
    assert spans_for_block(4, 10, anchor, 7, "claim") is None


def test_it_keeps_a_single_block_anchor_whole():
    assert spans_for_block(2, 10, Anchor(2, 1, 2, 4), "k", "opinion") == Span(1, 4, "k", "opinion")


@given(blocks_and_anchor())
def test_it_block_spans_cover_exactly_the_anchor_text(case):
    blocks, anchor = case
    pieces = []
    for i, text in enumerate(blocks):
        span = spans_for_block(i, len(text), anchor, 1, "claim")
        if span is not None:
            assert 0 <= span.start < span.end <= len(text)
            pieces.append((i, text[span.start : span.end]))
    assert "".join(p for _, p in pieces) == expected_exact(blocks, anchor).replace(
        BLOCK_SEPARATOR, ""
    )


# --- UTF-16 offsets --------------------------------------------------------------------------


@given(texts)
def test_it_round_trips_offsets_through_utf16(text):
    for offset in range(len(text) + 1):
        units = codepoints_to_utf16(text, offset)
        assert units == len(text[:offset].encode("utf-16-le")) // 2
        assert utf16_to_codepoints(text, units) == offset


@given(texts)
def test_it_rounds_utf16_offsets_inside_surrogate_pairs_down(text):
    total = len(text.encode("utf-16-le")) // 2
    for units in range(total + 1):
        expected = max(o for o in range(len(text) + 1) if codepoints_to_utf16(text, o) <= units)
        assert utf16_to_codepoints(text, units) == expected


def test_it_converts_non_bmp_offsets():
    text = "a𝒳b😀c"
    assert codepoints_to_utf16(text, 2) == 3
    assert codepoints_to_utf16(text, 5) == 7
    assert utf16_to_codepoints(text, 2) == 1  # inside 𝒳: rounds down
    assert utf16_to_codepoints(text, 3) == 2
    assert utf16_to_codepoints(text, 7) == 5


@pytest.mark.parametrize(("units", "offset"), [(-1, -1), (8, 6)])
def test_it_rejects_out_of_range_conversions(units, offset):
    with pytest.raises(AnchorError):
        utf16_to_codepoints("a𝒳b😀c", units)
    with pytest.raises(AnchorError):
        codepoints_to_utf16("a𝒳b😀c", offset)


# --- document offsets ------------------------------------------------------------------------


@given(block_lists)
def test_it_round_trips_document_offsets(blocks):
    doc = doc_of(blocks)
    for block, text in enumerate(blocks):
        for offset in range(len(text) + 1):
            pos = to_document_offset(blocks, block, offset)
            assert doc[:pos] == doc_of([*blocks[:block], text[:offset]])
            assert from_document_offset(blocks, pos) == (block, offset)
    with pytest.raises(AnchorError):
        from_document_offset(blocks, len(doc) + 1)


def test_it_maps_the_separator_position_to_the_end_of_its_block():
    blocks = ["ab", "", "c"]
    assert from_document_offset(blocks, 2) == (0, 2)
    assert from_document_offset(blocks, 3) == (1, 0)
    assert from_document_offset(blocks, 4) == (2, 0)
    assert to_document_offset(blocks, 2, 1) == 5


# --- quote_at and resolve --------------------------------------------------------------------


@given(blocks_and_anchor())
def test_it_resolves_an_anchor_with_its_own_quote(case):
    blocks, anchor = case
    doc = doc_of(blocks)
    start = to_document_offset(blocks, anchor.start_block, anchor.start_offset)
    quote = quote_at(blocks, anchor)
    assert quote.exact == expected_exact(blocks, anchor)
    assert quote.prefix == doc[:start][-CONTEXT_LENGTH:]
    assert quote.suffix == doc[start + len(quote.exact) :][:CONTEXT_LENGTH]
    assert resolve(blocks, anchor, quote) == anchor


@given(blocks_and_anchor())
def test_it_finds_a_lost_anchor_from_its_quote_or_says_it_is_ambiguous(case):
    blocks, anchor = case
    quote = quote_at(blocks, anchor)
    try:
        found = resolve(blocks, None, quote)
    except AnchorError as error:
        assert "more than once" in str(error)
        assert count_occurrences(doc_of(blocks), quote.exact) > 1
    else:
        assert found == anchor


@given(blocks_and_anchor(), texts.filter(bool))
def test_it_corrects_shifted_offsets_when_the_quote_is_unique(case, inserted):
    blocks, anchor = case
    quote = quote_at(blocks, anchor)
    shifted = [inserted + blocks[0], *blocks[1:]]
    expected = Anchor(
        anchor.start_block,
        anchor.start_offset + (len(inserted) if anchor.start_block == 0 else 0),
        anchor.end_block,
        anchor.end_offset + (len(inserted) if anchor.end_block == 0 else 0),
    )
    assume(count_occurrences(doc_of(shifted), quote.exact) == 1)
    assert resolve(shifted, anchor, quote) == expected


def test_it_corrects_a_stale_anchor_using_context():
    blocks = ["The cat sat. The dog sat.", "Later the cat sat again."]
    quote = Quote("sat", prefix="The dog ", suffix=".")
    assert resolve(blocks, Anchor(0, 0, 0, 3), quote) == Anchor(0, 21, 0, 24)
    assert resolve(blocks, None, quote) == Anchor(0, 21, 0, 24)
    assert resolve(blocks, Anchor(9, 0, 9, 3), quote) == Anchor(0, 21, 0, 24)


def test_it_uses_a_unique_exact_even_when_the_context_changed():
    blocks = ["An edited intro. The unique phrase here."]
    quote = Quote("unique phrase", prefix="Old intro. The ", suffix=" there")
    assert resolve(blocks, None, quote) == Anchor(0, 21, 0, 34)


def test_it_accepts_short_context_at_the_document_ends():
    blocks = ["same text", "middle", "same text"]
    assert resolve(blocks, None, Quote("same", prefix="", suffix=" text\nmid")) == Anchor(
        0, 0, 0, 4
    )
    assert resolve(blocks, None, Quote("text", prefix="middle\nsame ", suffix="")) == Anchor(
        2, 5, 2, 9
    )


def test_it_rejects_an_ambiguous_quote():
    blocks = ["We agree. We agree.", "We agree."]
    with pytest.raises(AnchorError, match="more than once"):
        resolve(blocks, None, Quote("agree", prefix="We ", suffix="."))


def test_it_rejects_a_quote_that_is_not_in_the_article():
    with pytest.raises(AnchorError, match="no longer matches"):
        resolve(["Some text."], Anchor(0, 0, 0, 4), Quote("Other"))


@pytest.mark.parametrize("exact", ["", "   ", "\n", " \n "])
def test_it_rejects_a_blank_quote(exact):
    with pytest.raises(AnchorError):
        resolve(["Some text.", "More"], None, Quote(exact))


def test_it_never_matches_a_quote_starting_or_ending_on_the_separator():
    blocks = ["first", "second"]
    with pytest.raises(AnchorError, match="no longer matches"):
        resolve(blocks, None, Quote("\nsecond"))
    with pytest.raises(AnchorError, match="no longer matches"):
        resolve(blocks, None, Quote("first\n"))
    assert resolve(blocks, None, Quote("st\nse")) == Anchor(0, 3, 1, 2)


def test_it_normalises_the_quote_to_nfc():
    assert resolve(["Un café noir."], None, Quote("cafe\u0301")) == Anchor(0, 3, 0, 7)


def test_it_quotes_across_blocks_with_context_from_the_previous_block():
    blocks = ["Heading 𝒳", "First paragraph ends.", "Second 😀 starts here."]
    anchor = Anchor(1, 6, 2, 6)
    quote = quote_at(blocks, anchor)
    assert quote.exact == "paragraph ends.\nSecond"
    assert "\n" in quote.exact
    assert quote.prefix == "Heading 𝒳\nFirst "
    assert quote.suffix == " 😀 starts here."
    assert resolve(blocks, Anchor(1, 0, 2, 3), quote) == anchor


def test_it_limits_context_to_context_length():
    blocks = ["x" * 50 + "target" + "y" * 50]
    quote = quote_at(blocks, Anchor(0, 50, 0, 56))
    assert quote == Quote("target", "x" * CONTEXT_LENGTH, "y" * CONTEXT_LENGTH)


@pytest.mark.parametrize(
    "anchor",
    [
        Anchor(3, 0, 3, 1),  # block out of range
        Anchor(0, 0, 5, 1),
        Anchor(-1, 0, 0, 1),
        Anchor(0, -1, 0, 2),  # negative offset
        Anchor(0, 0, 0, 99),  # beyond block length
        Anchor(0, 4, 0, 2),  # start after end
        Anchor(0, 3, 0, 3),  # empty
        Anchor(1, 1, 0, 3),  # end block before start block
        Anchor(0, 3, 0, 6),  # whitespace only
        Anchor(0, 10, 1, 2),  # starts on the separator
        Anchor(0, 2, 1, 0),  # ends on the separator
    ],
)
def test_it_rejects_invalid_anchors(anchor):
    blocks = ["one   four", "two"]
    with pytest.raises(AnchorError) as error:
        validate_anchor(blocks, anchor)
    assert str(error.value).endswith(".")
    with pytest.raises(AnchorError):
        quote_at(blocks, anchor)


def test_it_accepts_an_anchor_that_crosses_an_empty_block():
    blocks = ["ab", "", "cd"]
    validate_anchor(blocks, Anchor(0, 1, 2, 1))
    assert quote_at(blocks, Anchor(0, 1, 2, 1)).exact == "b\n\nc"


def test_it_rejects_anchors_into_an_empty_article():
    with pytest.raises(AnchorError):
        validate_anchor([], Anchor(0, 0, 0, 1))
    with pytest.raises(AnchorError):
        resolve([], None, Quote("x"))


def test_it_is_a_value_error_with_a_plain_message():
    with pytest.raises(ValueError, match="Reload the page"):
        resolve(["abc"], None, Quote("zzz"))


# --- sentences -------------------------------------------------------------------------------


def split(text):
    return [text[a:b] for a, b in sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        (
            "The U.S. Senate voted. Mr. Smith disagreed.",
            ["The U.S. Senate voted.", "Mr. Smith disagreed."],
        ),
        (
            "He moved to the U.S. in 2001. It rained.",
            ["He moved to the U.S. in 2001.", "It rained."],
        ),
        ("Dr. Jones and Mrs. Lee met St. John.", ["Dr. Jones and Mrs. Lee met St. John."]),
        (
            "Fruit, e.g. Apples, i.e. Ones. Cats vs. Dogs.",
            ["Fruit, e.g. Apples, i.e. Ones.", "Cats vs. Dogs."],
        ),
        ("“It is over.” He said it twice.", ["“It is over.”", "He said it twice."]),
        ('She said "Stop!" Then she left.', ['She said "Stop!"', "Then she left."]),
        ("Really? “Yes,” she said.", ["Really?", "“Yes,” she said."]),
        ("(It was late.) Everyone left.", ["(It was late.)", "Everyone left."]),
        (
            "Growth was 3.5 per cent. 2024 was worse.",
            ["Growth was 3.5 per cent.", "2024 was worse."],
        ),
        ("no final punctuation here", ["no final punctuation here"]),
        ("lower case after. the dot does not split", ["lower case after. the dot does not split"]),
        ("J. K. Rowling wrote it. See No. 5 too.", ["J. K. Rowling wrote it.", "See No. 5 too."]),
        ("Wait... What?! Fine.", ["Wait...", "What?!", "Fine."]),
        ("𝒳 is big. 𝒳 is bigger. 😀 stays.", ["𝒳 is big.", "𝒳 is bigger. 😀 stays."]),
        ("  Leading space. Trailing space.   ", ["Leading space.", "Trailing space."]),
        ("", []),
        ("   ", []),
    ],
)
def test_it_splits_sentences(text, expected):
    assert split(text) == expected


def test_it_gives_code_point_ranges_for_sentences():
    text = "𝒳 one. Two 😀."
    assert sentences(text) == [(0, 6), (7, 13)]
    assert codepoints_to_utf16(text, 13) == 15


@given(st.text(alphabet=st.sampled_from(SENTENCE_ALPHABET), max_size=60))
def test_it_sentence_ranges_cover_all_words_without_overlap(text):
    ranges = sentences(text)
    previous_end = 0
    for start, end in ranges:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace()
        assert not text[end - 1].isspace()
        previous_end = end
    covered = {i for start, end in ranges for i in range(start, end)}
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
