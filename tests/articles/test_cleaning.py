"""The cleaner turns scraped page text into an article: fields, blocks and what it dropped.

No database: the cleaner is a pure function of its input.
"""

import calendar
import unicodedata
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from articles import cleaning
from articles.cleaning import (
    Block,
    CleanArticle,
    Dropped,
    PartialDate,
    clean_article,
    normalize_text,
)
from tests.benchmarks.test_bench_cleaner import varied_seeds
from tests.benchmarks.text import long_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
P, H = "paragraph", "heading"


def seed(name: str) -> CleanArticle:
    return clean_article((SEEDS / name).read_text(encoding="utf-8"))


def outline(article: CleanArticle) -> list[tuple[str, str]]:
    return [(block.kind, block.text[:40]) for block in article.blocks]


def body_text(article: CleanArticle) -> str:
    return "\n".join(block.text for block in article.blocks)


def every_string(article: CleanArticle) -> list[str]:
    fields = [
        article.title,
        article.standfirst,
        article.author,
        article.source,
        article.article_type,
    ]
    return fields + [block.text for block in article.blocks]


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


# --------------------------------------------------------------------------- seed 1

PUTIN = "putin-deal-with-trump.txt"
PUTIN_OUTLINE = [
    (P, "U.S. President Donald Trump and Russian "),
    (P, "By criticizing former President Joseph B"),
    (P, "Such an initial stance does not bode wel"),
    (H, "Putin’s Position"),
    (P, "For Russia, the situation is simpler—at "),
    (P, "For Putin, any deal that grants Russia d"),
    (P, "The rapprochement between Putin and Trum"),
    (P, "In a short span, both leaders have spoke"),
    (P, "“I am in serious talks with Russian Pres"),
    (P, "A day later, on Tuesday, Putin spoke fav"),
    (P, "Putin made this statement just hours aft"),
    (P, "While Macron was still in the United Sta"),
    (H, "Post-War: Sanctions and China"),
    (P, "Putin’s offer to Trump regarding joint e"),
    (P, "Putin is offering rare minerals that Ame"),
    (P, "The inclusion of China in this equation "),
    (P, "Regardless of China, Putin is determined"),
    (P, "Putin is ready to negotiate with Trump a"),
    (P, "Putin now has the opportunity to capital"),
    (P, "European resistance to Trump, particular"),
    (P, "Europeans argue that Putin cannot be tru"),
]


def test_it_reads_the_fields_of_the_first_seed():
    article = seed(PUTIN)
    assert article.title == "For Putin, a Deal with Trump Could Yield More Than Land in Ukraine"
    assert article.standfirst == (
        "While many in the West are questioning what Washington and Trump stand to gain from "
        "this meeting, there is no doubt in Russia that a deal would be a major victory for the "
        "Kremlin."
    )
    assert article.author == "Armin Sijamić"
    assert article.published == PartialDate(None, 2, 27)
    assert article.source == "nap.ba"
    assert article.article_type == ""


def test_it_keeps_every_heading_and_paragraph_of_the_first_seed_in_order():
    assert outline(seed(PUTIN)) == PUTIN_OUTLINE


def test_it_lists_what_it_dropped_from_the_first_seed_with_reasons():
    assert seed(PUTIN).dropped == (
        Dropped("top of page", "page chrome"),
        Dropped("• Writer: Armin Sijamić", "byline"),
        Dropped("Armin Sijamić", "byline"),
        Dropped("• Feb 27", "date"),
        Dropped("• 5 min read", "reading time"),
        Dropped(
            "Two men in suits talking outdoors, one gesturing with his hand. Background has "
            "green foliage. Mood appears serious, focused discussion.",
            "image alt text",
        ),
        Dropped("Photo: Vladimir Putin and Donald Trump", "caption"),
        Dropped("The article was previously published on nap.ba.", "source"),
        Dropped("\u00a0", "blank"),
        Dropped("Comments", "comments"),
        Dropped("bottom of page", "page chrome"),
    )


def test_it_leaves_no_page_chrome_in_the_first_seed_body():
    text = body_text(seed(PUTIN))
    for chrome in [
        "top of page",
        "bottom of page",
        "Writer:",
        "Armin Sijamić",
        "Feb 27",
        "min read",
        "Two men in suits",
        "Photo:",
        "previously published",
        "Comments",
        "\u00a0",
        "While many in the West are questioning",  # the standfirst is not repeated in the body
    ]:
        assert chrome not in text, chrome


def test_it_keeps_a_body_paragraph_that_starts_with_by():
    blocks = seed(PUTIN).blocks
    assert blocks[1].text.startswith("By criticizing former President Joseph Biden")


def test_it_preserves_typography_in_the_first_seed():
    article = seed(PUTIN)
    text = body_text(article)
    for character in "’—“”":
        assert character in text
    assert "there is no hesitation—any agreement" in text
    assert "ć" in article.author


# --------------------------------------------------------------------------- seed 2

CHATHAM = "can-trump-do-a-deal.txt"
CHATHAM_OUTLINE = [
    (P, "The nervousness of Ukrainian leadership "),
    (P, "Ukrainian President Volodymyr Zelenskyy "),
    (P, "Trump appears to have no sympathy for Uk"),
    (P, "Trump clearly regards Ukraine as an oppo"),
    (P, "Seen from Kyiv, the power relationship w"),
    (H, "Putin’s objectives"),
    (P, "Putin has not deviated from his goals st"),
    (P, "Putin’s highest priority for talks will "),
    (P, "Putin will also hope to consolidate Russ"),
    (P, "Lastly, Putin will want sanctions relief"),
    (P, "The loss of access to Western technology"),
    (P, "Trump might readily agree to these terms"),
    (P, "Trump could easily brush aside claims th"),
    (P, "It is fair to assume that Trump will wan"),
    (P, "Putin may therefore need to offer the US"),
    (H, "Ukrainian hopes"),
    (P, "Shortly before the election, Trump spoke"),
    (P, "The relationship between Beijing and Mos"),
    (P, "It is also hard to see a new arms contro"),
    (P, "The one consolation for Ukrainians is th"),
    (H, "Who Trump listens to"),
    (P, "While Trump’s approach to negotiating wi"),
    (P, "During the US election campaign, Vice Pr"),
    (P, "But sooner or later, campaign slogans wi"),
    (P, "As the Russian president’s speech last w"),
    (P, "Recent opinion polls in Ukraine show inc"),
    (P, "A disadvantageous settlement imposed on "),
]
PULL_QUOTES = [
    "Zelenskyy has genuine reason to fear that Trump might agree to terms whose consequences "
    "he does not fully understand.",
    "One consolation for Ukrainians is that the Kremlin was disappointed by Trump during his "
    "first term since despite his friendly signals, no major results were achieved.",
    "An acceptable deal for Ukrainians will require Western security guarantees that are not "
    "subject to a Russian veto.",
]


def test_it_reads_the_fields_of_the_second_seed():
    article = seed(CHATHAM)
    assert article.title == "Can Trump do a deal with Putin on Ukraine?"
    assert article.standfirst == (
        "The Kremlin is signalling that it is ready to talk to the incoming US administration. "
        "But Trump may find Russia’s terms make him look unacceptably weak."
    )
    assert article.author == ""
    assert article.published == PartialDate(2024, 11, 12)
    assert article.source == ""
    assert article.article_type == "Expert comment"


def test_it_keeps_every_heading_and_paragraph_of_the_second_seed_in_order():
    assert outline(seed(CHATHAM)) == CHATHAM_OUTLINE


def test_it_lists_what_it_dropped_from_the_second_seed_with_reasons():
    assert seed(CHATHAM).dropped == (
        Dropped("Expert comment Published 12 November 2024 4 minute READ", "metadata"),
        Dropped(PULL_QUOTES[0], "pull quote"),
        Dropped(PULL_QUOTES[1], "pull quote"),
        Dropped("Article 2nd half", "layout marker"),
        Dropped(PULL_QUOTES[2], "pull quote"),
    )


def test_it_drops_the_three_pull_quotes_and_keeps_the_paragraphs_that_contain_them():
    texts = [block.text for block in seed(CHATHAM).blocks]
    assert not set(PULL_QUOTES) & set(texts)
    assert any(t.startswith("Seen from Kyiv") and t.endswith(PULL_QUOTES[0]) for t in texts)
    assert any(
        t.startswith("The one consolation for Ukrainians is that the Kremlin was disappointed")
        for t in texts
    )
    assert any(t.startswith("Recent opinion polls") and t.endswith(PULL_QUOTES[2]) for t in texts)


def test_it_leaves_no_metadata_or_markers_in_the_second_seed_body():
    article = seed(CHATHAM)
    text = body_text(article)
    for chrome in ["Expert comment", "Published", "minute READ", "Article 2nd half", "\u00a0"]:
        assert chrome not in text, chrome
    assert article.standfirst not in text
    assert all(not block.text.endswith(" ") for block in article.blocks)


def test_it_preserves_typography_in_the_second_seed():
    text = body_text(seed(CHATHAM))
    assert "Ukraine – although reports" in text
    assert "Russia–China relations" in text
    assert "(‘denazification’)" in text


def test_it_returns_nfc_text_for_both_seeds():
    for name in (PUTIN, CHATHAM):
        article = seed(name)
        assert all(is_nfc(text) for text in every_string(article))
        assert all(is_nfc(dropped.text) for dropped in article.dropped)


def render(article: CleanArticle) -> str:
    """Write a clean article back out as page text, with the furniture the cleaner reads."""
    lines = [article.title, article.standfirst]
    if article.author:
        lines.append(f"By {article.author}")
    if date := article.published:
        when = " ".join(
            str(part)
            for part in (date.day, calendar.month_name[date.month or 0], date.year)
            if part
        )
        lines.append(f"{article.article_type} Published {when}".strip())
    lines += [block.text for block in article.blocks]
    if article.source:
        lines.append(f"The article was previously published on {article.source}.")
    return "\n\n".join(lines)


def test_it_reads_its_own_output_back_unchanged():
    for name in (PUTIN, CHATHAM):
        first = seed(name)
        again = clean_article(render(first))
        # Only the dropped furniture differs: render() writes its own.
        assert replace(again, dropped=()) == replace(first, dropped=())


# --------------------------------------------------------------------------- synthetic

ALT_TEXT = "A flooded street with a red bus half under water."
MESSY = "\r\n".join(
    [
        "Skip to content",
        "",
        "The River\u00a0Rises\u00a0\u00a0",
        "",
        "A town learns to live with water, and with\tthe river that made it.",
        "By Jane Doe",
        "\u00a0",
        "\t8 min read",
        "",
        "\tThe river rose four metres overnight, and by morning the old bridge was gone. "
        "Residents say that the warnings came far too late for anyone to act.  ",
        "",
        "Residents say the warnings came far too late for anyone to act",
        "",
        "Nobody was hurt.",
        "",
        "Advertisement",
        "",
        "What the Engineers Found",
        "",
        "A flood wall is only as strong as its weakest gate.",
        "",
        "Engineers had warned for years that a flood wall is only as strong as its weakest "
        "gate, and the gate at Mill Street was rusted shut.",
        "",
        ALT_TEXT,
        "Image credit: Jane Doe / Example Agency",
        "",
        "The bridge was built in 1911 by Marko Petrovic\u0301\tand was the town’s pride.",
        "",
        "\u00a0\t ",
        "Story continues below",
        "",
        "Repairs will take a year.",
        "",
    ]
)


def test_it_cleans_a_messy_synthetic_page():
    article = clean_article(MESSY)
    assert article.title == "The River Rises"
    assert (
        article.standfirst == "A town learns to live with water, and with the river that made it."
    )
    assert article.author == "Jane Doe"
    assert article.published is None
    assert article.blocks == (
        Block(
            P,
            "The river rose four metres overnight, and by morning the old bridge was gone. "
            "Residents say that the warnings came far too late for anyone to act.",
        ),
        Block(P, "Nobody was hurt."),
        Block(H, "What the Engineers Found"),
        Block(
            P,
            "Engineers had warned for years that a flood wall is only as strong as its weakest "
            "gate, and the gate at Mill Street was rusted shut.",
        ),
        Block(P, "The bridge was built in 1911 by Marko Petrović and was the town’s pride."),
        Block(P, "Repairs will take a year."),
    )


def test_it_says_why_it_dropped_each_synthetic_line():
    reasons = [(d.reason, d.text[:30]) for d in clean_article(MESSY).dropped]
    assert reasons == [
        ("page chrome", "Skip to content"),
        ("byline", "By Jane Doe"),
        ("blank", "\u00a0"),
        ("reading time", "8 min read"),
        ("pull quote", "Residents say the warnings cam"),
        ("layout marker", "Advertisement"),
        ("pull quote", "A flood wall is only as strong"),
        ("image alt text", ALT_TEXT[:30]),
        ("caption", "Image credit: Jane Doe / Examp"),
        ("blank", "\u00a0\t "),
        ("layout marker", "Story continues below"),
    ]


def test_it_composes_decomposed_characters():
    article = clean_article(MESSY)
    assert "Petrović" in body_text(article)
    assert "c\u0301" not in body_text(article)
    assert all(is_nfc(text) for text in every_string(article))


def test_it_accepts_crlf_and_lf_alike():
    assert clean_article(MESSY) == clean_article(MESSY.replace("\r\n", "\n"))


def test_it_gives_equal_results_when_cleaning_twice():
    assert clean_article(MESSY) == clean_article(MESSY)


def test_it_does_not_call_a_short_sentence_a_heading():
    article = clean_article(MESSY)
    assert Block(P, "Nobody was hurt.") in article.blocks


def test_it_keeps_a_short_paragraph_that_only_shares_words_with_another():
    raw = "\n\n".join(
        [
            "Title",
            "Trump appears to have no sympathy for Ukraine and no interest in the country "
            "beyond preventing further US commitments to its defence.",
            "Trump appears to have no interest in the Ukrainian economy.",
            "Ukraine and the country’s defence are not his interest.",
        ]
    )
    assert len(clean_article(raw).blocks) == 3
    assert not clean_article(raw).dropped


def test_it_drops_a_pull_quote_that_differs_only_in_case_commas_and_article():
    long = (
        "Officials said on Monday that the deal, which took months, would hold. "
        "Critics were less sure."
    )
    raw = "\n\n".join(["Title", long, "THE DEAL WHICH TOOK MONTHS WOULD HOLD!"])
    article = clean_article(raw)
    assert [block.text for block in article.blocks] == [long]
    assert [d.reason for d in article.dropped] == ["pull quote"]


def test_it_only_makes_a_heading_of_a_short_line_that_introduces_text():
    raw = "\n\n".join(
        [
            "Title",
            "First paragraph of the body, which is long enough to read as a paragraph.",
            "A section",
            "Second paragraph, under the section heading.",
            "Last words without a full stop",
        ]
    )
    assert [block.kind for block in clean_article(raw).blocks] == [P, H, P, P]


def test_it_needs_furniture_after_a_first_paragraph_to_call_it_a_standfirst():
    plain = "\n\n".join(
        ["Title", "By Jane Doe", "The first paragraph is body text.", "The second too."]
    )
    assert clean_article(plain).standfirst == ""
    assert len(clean_article(plain).blocks) == 2


def test_it_drops_a_photo_caption_and_its_alt_text():
    raw = "\n".join(
        [
            "Title",
            "",
            "Body paragraph one, a real sentence.",
            "",
            "Body paragraph two, also a real sentence.",
            "",
            "Two men shaking hands in front of a flag.",
            "Photo: Reuters",
            "",
            "Body paragraph three, the last one.",
        ]
    )
    article = clean_article(raw)
    assert [b.text for b in article.blocks] == [
        "Body paragraph one, a real sentence.",
        "Body paragraph two, also a real sentence.",
        "Body paragraph three, the last one.",
    ]
    assert [d.reason for d in article.dropped] == ["image alt text", "caption"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Published 12 November 2024", PartialDate(2024, 11, 12)),
        ("• Feb 27", PartialDate(None, 2, 27)),
        ("27 Feb", PartialDate(None, 2, 27)),
        ("November 12, 2024", PartialDate(2024, 11, 12)),
        ("Posted on Sept. 3rd, 2023", PartialDate(2023, 9, 3)),
        ("Updated: 2024-01-05", PartialDate(2024, 1, 5)),
        ("March 2025", PartialDate(2025, 3, None)),
        ("Feb 29", PartialDate(None, 2, 29)),
        ("Tue 19 Nov 2024 10.00 GMT", PartialDate(2024, 11, 19)),
        ("March 3, 2025 at 3:15 p.m. EST", PartialDate(2025, 3, 3)),
        ("Feb 27 · 5 min read", PartialDate(None, 2, 27)),
        ("Analysis Published 1 May 2020 | 6 min read", PartialDate(2020, 5, 1)),
        ("Feb 30", None),
        ("May", None),
    ],
)
def test_it_reads_dates_in_common_shapes(line, expected):
    raw = f"Title\n\n{line}\n\nA body paragraph that ends properly.\n\nAnother one."
    assert clean_article(raw).published == expected


def test_it_reads_the_type_and_reading_time_from_one_metadata_line():
    raw = "Title\n\nAnalysis Published 1 May 2020 | 6 min read\n\nBody text here."
    article = clean_article(raw)
    assert article.article_type == "Analysis"
    assert article.dropped == (Dropped("Analysis Published 1 May 2020 | 6 min read", "metadata"),)


@pytest.mark.parametrize("raw", ["", "\n\n", " \u00a0 \r\n\t\n", "\u00a0"])
def test_it_returns_an_empty_article_for_empty_input(raw):
    article = clean_article(raw)
    assert article.title == ""
    assert article.standfirst == ""
    assert article.blocks == ()
    assert article.published is None
    assert all(d.reason == "blank" for d in article.dropped)


def test_it_normalises_whitespace_and_composes():
    assert normalize_text("\u00a0 a\t\tb\u2009c\u202fd  e\u00a0") == "a b c d e"
    assert normalize_text("Sijamic\u0301") == "Sijamić"
    assert normalize_text("“quoted” — it’s") == "“quoted” — it’s"


# --------------------------------------------------------------------------- properties

WORDS = st.sampled_from(
    [
        "the",
        "a",
        "Putin",
        "Trump",
        "deal",
        "war",
        "peace",
        "Kyiv",
        "sanctions",
        "said",
        "Published",
        "min",
        "read",
        "By",
        "Photo:",
        "Comments",
        "12",
        "Feb",
        "—",
        "“quote”",
        "it’s",
        "ć",
    ]
)
PARAGRAPHS = st.lists(WORDS, min_size=1, max_size=25).map(" ".join)
BREAKS = st.sampled_from(["\n", "\n\n", "\r\n\r\n", "\n\u00a0\n", "\n\t\n"])


@given(st.lists(st.tuples(PARAGRAPHS, BREAKS), max_size=12))
def test_it_never_leaves_stray_whitespace_in_blocks(pieces):
    raw = "".join(paragraph + brk for paragraph, brk in pieces)
    article = clean_article(raw)
    for text in every_string(article):
        assert text == normalize_text(text)
    assert all(block.text for block in article.blocks)
    assert article == clean_article(raw)


@given(st.text())
def test_it_never_crashes_on_arbitrary_text(raw):
    article = clean_article(raw)
    assert all(block.kind in (H, P) and block.text for block in article.blocks)
    assert all(is_nfc(text) for text in every_string(article))


@given(st.text())
def test_it_normalises_text_idempotently(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "  " not in once and "\u00a0" not in once


# --------------------------------------------------------------------------- same as before

# The body passes of the cleaner before they were made linear, kept as the oracle: the
# trigram index and the last-paragraph index must change the cost and nothing else.


def quadratic_assign_kinds(body):
    shaped = [cleaning._is_heading_shaped(u.text) for u in body]
    for i, unit in enumerate(body):
        if shaped[i] and not all(shaped[i + 1 :]):
            unit.kind = "heading"


def quadratic_mark_pull_quotes(body):
    paragraphs = [(u, cleaning._prepare(u.text)) for u in body if u.kind == "paragraph"]
    for unit, short in paragraphs:
        if short.size not in cleaning._PULL_QUOTE_WORDS:
            continue
        longer = (other for _, other in paragraphs if other.size > short.size)
        if any(cleaning._repeats(short, other) for other in longer):
            unit.drop("pull quote")


def quadratic_clean_article(raw: str) -> CleanArticle:
    with (
        mock.patch.object(cleaning, "_assign_kinds", quadratic_assign_kinds),
        mock.patch.object(cleaning, "_mark_pull_quotes", quadratic_mark_pull_quotes),
    ):
        return clean_article(raw)


@pytest.mark.parametrize("paragraphs", [50, 200])
def test_it_cleans_long_pages_as_the_quadratic_cleaner_did(paragraphs):
    for raw in (
        varied_seeds(paragraphs),
        "A long title for a pasted page\n" + "\n".join(long_article(blocks=paragraphs)),
    ):
        assert clean_article(raw) == quadratic_clean_article(raw)


def test_it_cleans_the_seeds_as_the_quadratic_cleaner_did():
    for name in (PUTIN, CHATHAM):
        raw = (SEEDS / name).read_text(encoding="utf-8")
        assert clean_article(raw) == quadratic_clean_article(raw)


ECHO_WORDS = st.sampled_from(
    ["the", "a", "deal", "war", "peace", "Kyiv", "said", "would", "hold", "it’s", "12", "—"]
)
SENTENCE = st.tuples(st.lists(ECHO_WORDS, min_size=1, max_size=12), st.sampled_from(".!?")).map(
    lambda parts: " ".join(parts[0]).capitalize() + parts[1]
)


@st.composite
def pages_with_echoes(draw) -> str:
    """Paragraphs of a few words, and copies of their word runs with a few words changed."""
    paragraphs = draw(
        st.lists(st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=8)
    )
    for _ in range(draw(st.integers(0, 5))):
        words = draw(st.sampled_from(paragraphs)).split()
        start = draw(st.integers(0, len(words) - 1))
        words = words[start : draw(st.integers(start + 1, len(words)))]
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(words)))
            edit = draw(st.sampled_from(["insert", "delete", "replace", "shout"]))
            if edit == "insert":
                words.insert(at, draw(ECHO_WORDS))
            elif at < len(words) and edit == "delete" and len(words) > 1:
                del words[at]
            elif at < len(words) and edit == "replace":
                words[at] = draw(ECHO_WORDS)
            elif at < len(words):
                words[at] = words[at].upper()
        paragraphs.insert(draw(st.integers(0, len(paragraphs))), " ".join(words))
    return "\n\n".join(["Title", *paragraphs])


@settings(max_examples=300)
@given(pages_with_echoes())
# A quote of two sentences without their leading "The": only the sentences' own words,
# not the paragraph's, share its trigrams.
@example(
    "Title\n\nThe now hold again kyiv. The said talks. The deal war said.\n\n"
    "said talks. Deal war said. would\n\nAnother paragraph here to end with."
)
def test_it_finds_the_same_pull_quotes_as_the_quadratic_cleaner(raw):
    assert clean_article(raw) == quadratic_clean_article(raw)


@given(st.lists(st.tuples(PARAGRAPHS, BREAKS), max_size=12))
def test_it_cleans_arbitrary_pages_as_the_quadratic_cleaner_did(pieces):
    raw = "".join(paragraph + brk for paragraph, brk in pieces)
    assert clean_article(raw) == quadratic_clean_article(raw)
