import math
from collections import defaultdict

import krippendorff
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classrooms.agreement import (
    Mark,
    Passage,
    Unit,
    alpha,
    alpha_by_block,
    contested,
    passages,
    shared,
    unit_labels,
    units,
)

# Sentences: "Cats purr." 0–10, "Dogs bark." 11–21, "Birds sing." 22–33.
B0 = "Cats purr. Dogs bark. Birds sing."
# "Rain falls." 0–11, "Snow melts." 12–23.
B1 = "Rain falls. Snow melts."
BLOCKS = [B0, B1]
CATS, DOGS, BIRDS = Unit(0, 0, 10), Unit(0, 11, 21), Unit(0, 22, 33)
RAIN, SNOW = Unit(1, 0, 11), Unit(1, 12, 23)


def on(student, unit, label):
    """A highlight of exactly one unit."""
    return Mark(student, unit.block, unit.start, unit.block, unit.end, label)


def test_it_splits_every_block_into_sentence_units():
    assert units(BLOCKS) == [CATS, DOGS, BIRDS, RAIN, SNOW]
    assert units([]) == []


def test_it_counts_any_overlap_as_labelling_a_unit():
    # "purr. Dogs" touches the first two sentences, by 5 and 4 code points.
    labels = unit_labels(BLOCKS, [Mark("ann", 0, 5, 0, 15, "claim")])
    assert labels == {CATS: {"ann": "claim"}, DOGS: {"ann": "claim"}}


def test_it_does_not_count_the_gap_between_sentences_as_overlap():
    # The space at 10–11 lies between "Cats purr." and "Dogs bark.".
    assert unit_labels(BLOCKS, [Mark("ann", 0, 10, 0, 11, "claim")]) == {}
    # Ending exactly where a sentence starts doesn't touch it (ends are exclusive).
    labels = unit_labels(BLOCKS, [Mark("ann", 0, 0, 0, 11, "claim")])
    assert labels == {CATS: {"ann": "claim"}}


def test_it_covers_every_block_a_highlight_crosses():
    blocks = [B0, "Middle one. Middle two.", B1]
    # From "Birds" in the first block to "Rain" in the third.
    labels = unit_labels(blocks, [Mark("ann", 0, 22, 2, 4, "evidence")])
    assert set(labels) == {
        BIRDS,
        Unit(1, 0, 11),
        Unit(1, 12, 23),
        Unit(2, 0, 11),
    }
    assert all(raters == {"ann": "evidence"} for raters in labels.values())


def test_it_takes_the_label_of_the_largest_overlap():
    marks = [
        Mark("ann", 0, 0, 0, 10, "claim"),  # all of "Cats purr."
        Mark("ann", 0, 5, 0, 10, "opinion"),  # only "purr."
    ]
    assert unit_labels(BLOCKS, marks)[CATS] == {"ann": "claim"}
    assert unit_labels(BLOCKS, list(reversed(marks)))[CATS] == {"ann": "claim"}


def test_it_breaks_an_overlap_tie_in_favour_of_the_later_highlight():
    marks = [Mark("ann", 0, 0, 0, 4, "claim"), Mark("ann", 0, 5, 0, 9, "opinion")]
    assert unit_labels(BLOCKS, marks)[CATS] == {"ann": "opinion"}
    assert unit_labels(BLOCKS, list(reversed(marks)))[CATS] == {"ann": "claim"}


def test_it_counts_each_student_once_per_unit():
    marks = [on("ann", CATS, "claim"), on("ann", CATS, "claim"), on("bob", CATS, "opinion")]
    assert unit_labels(BLOCKS, marks)[CATS] == {"ann": "claim", "bob": "opinion"}


def test_it_reports_a_passages_distribution_and_disagreement():
    marks = [
        *(on(s, DOGS, "claim") for s in "abcde"),
        *(on(s, DOGS, "opinion") for s in "fgh"),
    ]
    [passage] = passages(BLOCKS, unit_labels(BLOCKS, marks))
    assert passage.text == "Dogs bark."
    assert passage.unit == DOGS
    assert passage.distribution == "5 claim · 3 opinion"
    assert passage.raters == 8
    assert passage.top_label == "claim"
    assert passage.disagreement == pytest.approx(3 / 8)


def test_it_orders_tied_labels_in_label_order():
    marks = [on("a", CATS, "opinion"), on("b", CATS, "claim")]
    [passage] = passages(BLOCKS, unit_labels(BLOCKS, marks))
    assert passage.distribution == "1 claim · 1 opinion"
    assert passage.top_label == "claim"


def test_it_needs_two_students_for_a_passage():
    assert passages(BLOCKS, unit_labels(BLOCKS, [on("a", CATS, "claim")])) == []


def test_it_lists_the_most_split_passages_first_then_the_most_rated():
    marks = [
        # Cats: 2 vs 1 among 3 (1/3 off the majority).
        on("a", CATS, "claim"),
        on("b", CATS, "claim"),
        on("c", CATS, "opinion"),
        # Dogs: 1 vs 1 (1/2).
        on("a", DOGS, "claim"),
        on("b", DOGS, "evidence"),
        # Birds: 2 vs 2 (1/2, more raters than Dogs).
        on("a", BIRDS, "claim"),
        on("b", BIRDS, "claim"),
        on("c", BIRDS, "opinion"),
        on("d", BIRDS, "opinion"),
        # Rain: everyone agrees: not contested at all.
        on("a", RAIN, "evidence"),
        on("b", RAIN, "evidence"),
        # Snow: three ways among 3 (2/3).
        on("a", SNOW, "claim"),
        on("b", SNOW, "evidence"),
        on("c", SNOW, "opinion"),
    ]
    found = contested(BLOCKS, unit_labels(BLOCKS, marks))
    assert [p.unit for p in found] == [SNOW, BIRDS, DOGS, CATS]
    assert contested(BLOCKS, unit_labels(BLOCKS, marks), limit=2)[1].unit == BIRDS


def test_it_keeps_equally_contested_passages_in_document_order():
    marks = [
        on("a", RAIN, "claim"),
        on("b", RAIN, "opinion"),
        on("a", CATS, "claim"),
        on("b", CATS, "opinion"),
    ]
    assert [p.unit for p in contested(BLOCKS, unit_labels(BLOCKS, marks))] == [CATS, RAIN]


def test_it_lists_at_most_five_contested_passages():
    blocks = ["One. Two. Three. Four. Five. Six. Seven."]
    marks = []
    for unit in units(blocks):
        marks += [on("a", unit, "claim"), on("b", unit, "opinion")]
    assert len(contested(blocks, unit_labels(blocks, marks))) == 5


def test_it_matches_a_hand_computed_alpha():
    # Two raters, four units:      Cats   Dogs     Birds    Rain
    #                        ann:  claim  claim    opinion  opinion
    #                        bob:  claim  opinion  opinion  opinion
    # Coincidence matrix (each pair within a unit counted both ways, weight 1/(m−1) = 1):
    #   o(claim, claim) = 2 (Cats), o(claim, opinion) = o(opinion, claim) = 1 (Dogs),
    #   o(opinion, opinion) = 2 + 2 (Birds, Rain).
    #   n_claim = 3, n_opinion = 5, n = 8.
    # Nominal alpha = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k
    #              = 1 − 7 · 2 / (2 · 3 · 5) = 1 − 14/30 = 8/15 ≈ 0.5333.
    marks = [
        on("ann", CATS, "claim"),
        on("bob", CATS, "claim"),
        on("ann", DOGS, "claim"),
        on("bob", DOGS, "opinion"),
        on("ann", BIRDS, "opinion"),
        on("bob", BIRDS, "opinion"),
        on("ann", RAIN, "opinion"),
        on("bob", RAIN, "opinion"),
    ]
    assert alpha(unit_labels(BLOCKS, marks)) == pytest.approx(8 / 15)


def test_it_gives_alpha_one_when_everyone_agrees_on_varied_labels():
    marks = [
        *(on(s, CATS, "claim") for s in "abc"),
        *(on(s, DOGS, "evidence") for s in "ab"),
        *(on(s, RAIN, "opinion") for s in "bc"),
    ]
    assert alpha(unit_labels(BLOCKS, marks)) == 1.0


def test_it_gives_alpha_below_zero_for_systematic_disagreement():
    # o(claim, opinion) = o(opinion, claim) = 2; n_claim = n_opinion = 2, n = 4:
    # alpha = 1 − 3 · 4 / (2 · 2 · 2) = −0.5.
    marks = [
        on("a", CATS, "claim"),
        on("b", CATS, "opinion"),
        on("a", DOGS, "opinion"),
        on("b", DOGS, "claim"),
    ]
    assert alpha(unit_labels(BLOCKS, marks)) == pytest.approx(-0.5)


def test_it_needs_two_units_that_two_students_labelled_for_alpha():
    # One shared unit, however split, and any number of units only one student labelled.
    marks = [
        on("a", CATS, "claim"),
        on("b", CATS, "opinion"),
        on("a", DOGS, "claim"),
        on("b", BIRDS, "opinion"),
        on("c", RAIN, "evidence"),
    ]
    assert alpha(unit_labels(BLOCKS, marks)) is None
    # A second shared unit makes it measurable.
    marks.append(on("c", CATS, "claim"))
    marks.append(on("c", DOGS, "opinion"))
    assert alpha(unit_labels(BLOCKS, marks)) is not None


def test_it_leaves_alpha_undefined_when_nobody_chose_differently():
    # Every label the same: expected disagreement is zero and alpha 0/0.
    marks = [on(s, u, "claim") for s in "ab" for u in (CATS, DOGS, RAIN)]
    assert alpha(unit_labels(BLOCKS, marks)) is None


def test_it_gives_no_alpha_for_nothing():
    assert alpha({}) is None


def test_it_measures_alpha_per_block():
    marks = [
        # Block 0: perfect agreement on varied labels.
        on("a", CATS, "claim"),
        on("b", CATS, "claim"),
        on("a", DOGS, "opinion"),
        on("b", DOGS, "opinion"),
        # Block 1: one shared unit only.
        on("a", RAIN, "claim"),
        on("b", RAIN, "evidence"),
    ]
    by_block = alpha_by_block(unit_labels(BLOCKS, marks))
    assert by_block == {0: 1.0, 1: None}
    overall = alpha(unit_labels(BLOCKS, marks))
    assert overall is not None and not math.isnan(overall) and overall < 1


def test_it_clips_highlights_to_the_article():
    labels = unit_labels(BLOCKS, [Mark("a", 0, 0, 7, 3, "claim")])
    assert set(labels) == {CATS, DOGS, BIRDS, RAIN, SNOW}
    assert unit_labels([], [Mark("a", 0, 0, 0, 3, "claim")]) == {}


def test_it_takes_students_of_any_id_type():
    marks = [on(1, CATS, "claim"), on(2, CATS, "opinion")]
    [passage] = passages(BLOCKS, unit_labels(BLOCKS, marks))
    assert isinstance(passage, Passage)
    assert passage.raters == 2


# The first implementations, kept as the reference the faster ones must match exactly.


def reference_covered(blocks, mark):
    last = min(mark.end_block, len(blocks) - 1)
    for block in range(max(mark.start_block, 0), last + 1):
        start = mark.start_offset if block == mark.start_block else 0
        end = mark.end_offset if block == mark.end_block else len(blocks[block])
        if start < end:
            yield block, start, end


def reference_unit_labels(blocks, marks):
    by_block = defaultdict(list)
    for unit in units(blocks):
        by_block[unit.block].append(unit)
    best = {}
    for order, mark in enumerate(marks):
        for block, start, end in reference_covered(blocks, mark):
            for unit in by_block[block]:
                overlap = min(end, unit.end) - max(start, unit.start)
                if overlap > 0:
                    key = (unit, mark.student)
                    candidate = (overlap, order, mark.label)
                    if key not in best or candidate > best[key]:
                        best[key] = candidate
    labels = defaultdict(dict)
    for (unit, student), (_, _, label) in sorted(best.items(), key=lambda item: item[0][0]):
        labels[unit][student] = label
    return dict(labels)


def reference_alpha(labels):
    """Alpha from a students × units table with NaN where a student left a unit alone."""
    units_ = sorted(shared(labels))
    if len(units_) < 2:
        return None
    students = sorted({s for u in units_ for s in labels[u]}, key=repr)
    domain = sorted({label for u in units_ for label in labels[u].values()})
    code = {label: float(i) for i, label in enumerate(domain)}
    row = {s: i for i, s in enumerate(students)}
    data = np.full((len(students), len(units_)), np.nan)
    for column, unit in enumerate(units_):
        for student, label in labels[unit].items():
            data[row[student], column] = code[label]
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


SENTENCES = ["Cats purr.", "Dogs bark!", "Birds sing?", "Rain falls.", "A.", "Snow melts"]
block_texts = st.lists(st.sampled_from(SENTENCES), max_size=4).map(" ".join)
articles = st.lists(block_texts, max_size=4)


@st.composite
def marked_articles(draw):
    """An article and highlights on it, some running past its ends or across blocks."""
    blocks = draw(articles)
    longest = max((len(text) for text in blocks), default=0)
    offsets = st.integers(0, longest + 2)
    marks = draw(
        st.lists(
            st.builds(
                Mark,
                st.integers(0, 5),
                st.integers(-1, len(blocks)),
                offsets,
                st.integers(-1, len(blocks) + 1),
                offsets,
                st.sampled_from(["claim", "evidence", "opinion"]),
            ),
            max_size=40,
        )
    )
    return blocks, marks


@given(marked_articles())
def test_it_labels_units_as_the_first_implementation_did(article):
    blocks, marks = article
    found, expected = unit_labels(blocks, marks), reference_unit_labels(blocks, marks)
    # Same units in the same order, each with the same students in the same order.
    assert [(u, list(raters.items())) for u, raters in found.items()] == [
        (u, list(raters.items())) for u, raters in expected.items()
    ]


@given(marked_articles())
def test_it_measures_alpha_as_the_first_implementation_did(article):
    blocks, marks = article
    labels = unit_labels(blocks, marks)
    # Bit for bit: the page prints these to two decimals and must not flip a rounding.
    assert alpha(labels) == reference_alpha(labels)
    blocks_ = defaultdict(dict)
    for unit, raters in shared(labels).items():
        blocks_[unit.block][unit] = raters
    assert alpha_by_block(labels) == {b: reference_alpha(ls) for b, ls in sorted(blocks_.items())}


def test_it_agrees_with_the_first_alpha_on_a_real_sized_class():
    # 30 students, 200 sentences, labels drawn with a fixed seed: far past what hypothesis tries.
    rng = np.random.default_rng(2026)
    labels = {
        Unit(i // 5, i, i + 1): {
            s: ["claim", "evidence", "opinion"][rng.integers(3)]
            for s in range(30)
            if rng.random() < 0.3
        }
        for i in range(200)
    }
    assert alpha(labels) == reference_alpha(labels)
    assert alpha(labels) is not None
