"""Turn text scraped from an article web page into a clean article.

Pure functions, no Django: the input is whatever a curator pasted (or a seed file held),
the output says what the article is and everything that was thrown away, and why.

The rules describe the *shapes* of lines (a short line standing alone is a heading, a
"Photo: ..." line is a caption, "5 min read" is a reading time...), never the wording of
particular pages, because new articles from other sites go through the same cleaner.
Each non-empty input line is one unit: scraped pages put one paragraph on a line.
"""

from __future__ import annotations

import calendar
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from fractions import Fraction

__all__ = [
    "Block",
    "CleanArticle",
    "Dropped",
    "PartialDate",
    "clean_article",
    "normalize_text",
]


@dataclass(frozen=True)
class PartialDate:
    """A publication date whose parts may be unknown; a missing year is never invented."""

    year: int | None
    month: int | None
    day: int | None


@dataclass(frozen=True)
class Block:
    """One piece of the article body: kind is "heading" or "paragraph"."""

    kind: str
    text: str


@dataclass(frozen=True)
class Dropped:
    """A line the cleaner removed, with a short reason for the curator preview."""

    text: str
    reason: str


@dataclass(frozen=True)
class CleanArticle:
    """The article as the cleaner understood it."""

    title: str
    standfirst: str
    author: str
    published: PartialDate | None
    source: str
    article_type: str
    blocks: tuple[Block, ...]
    dropped: tuple[Dropped, ...]


# --------------------------------------------------------------------------- text

# Invisible characters that scrapers leave behind; removed before NFC so that a base
# letter and its combining mark separated by one of them still compose.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")  # str patterns match every Unicode space, NBSP included


def normalize_text(s: str) -> str:
    """Return s in NFC with every run of (Unicode) whitespace collapsed to one space, stripped."""
    s = unicodedata.normalize("NFC", s.translate(_INVISIBLE))
    return _SPACES.sub(" ", s).strip()


def _words(text: str) -> list[str]:
    """Split text into whitespace-separated words."""
    return text.split()


# --------------------------------------------------------------------------- dates

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
} | {"sept": 9}

_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
# A time of day after the date ("10.00 GMT", "at 3:15 p.m. EST") is read and ignored.
_TIME = r"(?:,?\s+(?:at\s+)?\d{1,2}[.:]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?"
_DATE_PATTERNS = [
    re.compile(p + _TIME, re.IGNORECASE)
    for p in (
        rf"{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH},?(?:\s+{_YEAR})?",  # 12 November 2024
        rf"{_WEEKDAY}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?",  # Feb 27 / November 12, 2024
        rf"{_MONTH},?\s+{_YEAR}",  # November 2024
        r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})",  # 2024-11-12
    )
]


def _parse_date(text: str) -> PartialDate | None:
    """Parse a whole string as a (possibly partial) date, or return None."""
    text = text.strip().rstrip(",")
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _valid_date(match.groupdict())
    return None


def _valid_date(parts: dict[str, str | None]) -> PartialDate | None:
    """Build a PartialDate from regex parts, rejecting impossible days and months."""
    raw_month = (parts.get("month") or "").lower()
    month = int(raw_month) if raw_month.isdigit() else _MONTHS.get(raw_month)
    year = int(parts["year"]) if parts.get("year") else None
    day = int(parts["day"]) if parts.get("day") else None
    if month is None or not 1 <= month <= 12 or (year is not None and not 1000 <= year <= 2999):
        return None
    # Without a year allow 29 February: a leap year is possible.
    if day is not None and not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        return None
    return PartialDate(year, month, day)


# --------------------------------------------------------------------------- line shapes

# Whole lines of site furniture: navigation, sharing widgets, counters.
_PAGE_CHROME = re.compile(
    r"top of page|bottom of page|skip to (?:main )?content|back to top|go to top|home|"
    r"(?:main )?menu|search|navigation|share(?: this(?: article| story| post| page)?)?|"
    r"share (?:on|via) \w+|facebook|twitter|x|linkedin|whatsapp|reddit|telegram|e-?mail|print|"
    r"copy link|link copied|subscribe(?: now)?|sign in|sign up|log ?in|log ?out|newsletter|"
    r"follow us|all posts|recent posts|see all|related (?:posts|articles|stories)|tags|"
    r"post not marked as liked|like|\d+ (?:views?|likes?|reads?)",
    re.IGNORECASE,
)
_COMMENTS = re.compile(
    r"\d* ?comments?(?: \(\d+\))?|(?:leave|add|write|post|view|show|hide) (?:a |the )?comments?|"
    r"comments are closed|be the first to comment",
    re.IGNORECASE,
)
# Markers a page layout inserts between parts of the text.
_LAYOUT_MARKER = re.compile(
    r"article (?:\d+(?:st|nd|rd|th)|first|second|third|last) (?:half|part)|"
    r"advertisements?|advert|ad|sponsored(?: content)?|paid (?:content|post)|promoted|"
    r"(?:continue|keep) reading(?: below| the (?:main )?(?:story|article))?|"
    r"(?:story|article) continues(?: below| after (?:this |the )?(?:advertisement|ad))?|"
    r"skip advertisement|scroll to continue(?: with content)?",
    re.IGNORECASE,
)
_RELATED_LINK = re.compile(r"(?:read more|related|see also|also read|read also)\s*:", re.I)
_READING_TIME = re.compile(
    r"(?:about |approx\.? )?\d+(?:\s?[-–]\s?\d+)?\s?(?:min|mins|minutes?)\.?\s+read(?:ing)?"
    r"(?: time)?|"
    r"(?:estimated )?read(?:ing)? time:?\s+(?:about )?\d+\s?(?:min|mins|minutes?)\.?",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"(?:by|written by|words by|story by|reporting by|writers?|authors?|words)"
    r"(?:\s*:\s*|\s+)(?P<name>.+)",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"(?:(?P<type>.+?)\s+)?(?:first published|published|posted|last updated|updated)"
    r"(?:\s+on)?\s*:?\s+(?P<rest>.+)",
    re.IGNORECASE,
)
_DATE_THEN_READING_TIME = re.compile(
    rf"(?P<date>.+?)\s*[,·|•]?\s+(?:{_READING_TIME.pattern})", re.IGNORECASE
)
_CAPTION = re.compile(
    r"[(\[]?(?:(?:photo|image|picture|illustration|video)s?(?:\s+(?:credits?|illustration|"
    r"courtesy))?|photograph|pic|credits?|caption)\s*(?::|/|\bby\s)\s*\S",
    re.IGNORECASE,
)
_SOURCE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:the|this) (?:article|story|piece|post|text|column|commentary|analysis|essay|op-ed|"
        r"interview|report) (?:was |has been |is )?(?:originally |previously |first |also )?"
        r"(?:published|posted|appeared|ran)(?: originally| first| previously)? "
        r"(?:on|in|at|by) (?P<source>.+?)\.?",
        r"(?:originally|previously|first) (?:published|posted|appeared) (?:on|in|at|by) "
        r"(?P<source>.+?)\.?",
    )
]
# Bullets that scraped lists of metadata start with ("• Feb 27").
_BULLET = re.compile(r"^[•·▪◦‣∙*\-–]\s+")
_METADATA_SEPARATOR = re.compile(r"\s+[·•|]\s+")
_NAME_PARTICLES = {"and", "&", "de", "da", "di", "del", "van", "von", "der", "den", "la", "le"}
_CLOSERS = "”’\"')]»"
_OPENERS = "“‘\"'([«"


def _bare(text: str) -> str:
    """Drop a leading bullet and trailing dots or colons, for matching whole-line patterns."""
    return _BULLET.sub("", text, count=1).rstrip(".:…!").strip()


def _looks_like_name(text: str) -> bool:
    """Is text shaped like one or more personal names ("Jane Doe", "A. Smith and B. Jones")?"""
    words = text.replace(",", " ").split()
    if not 1 <= len(words) <= 8 or text[-1] in "!?:;" or any(c.isdigit() for c in text):
        return False
    if text.endswith(".") and len(words[-1]) > 3:  # "J." or "Jr." fine, a sentence is not
        return False
    if words[0].lower() in _NAME_PARTICLES:
        return False
    return all(w.lower() in _NAME_PARTICLES or w[0].isupper() for w in words)


@dataclass
class _Facts:
    """Why a line was dropped, and what it told us about the article."""

    reason: str
    author: str = ""
    published: PartialDate | None = None
    article_type: str = ""
    source: str = ""


def _metadata_part(part: str) -> _Facts | None:
    """Classify one piece of a metadata line: byline, date, reading time or published line."""
    if _READING_TIME.fullmatch(part):
        return _Facts("reading time")
    if date := _parse_date(part):
        return _Facts("date", published=date)
    byline = _BYLINE.fullmatch(part)
    if byline and _looks_like_name(byline["name"]):
        return _Facts("byline", author=byline["name"].strip().rstrip(","))
    return _published_line(part)


def _published_line(part: str) -> _Facts | None:
    """Parse "[Type] Published <date> [reading time]", e.g. "Expert comment Published 1 May"."""
    match = _PUBLISHED.fullmatch(part)
    if not match:
        return None
    kind = (match["type"] or "").strip()
    # A type label is a short tag ("Expert comment", "Analysis"), not the start of a sentence.
    if kind and (len(_words(kind)) > 3 or not kind[0].isupper() or kind[-1] in ".,;:!?"):
        return None
    rest = match["rest"].strip()
    date = _parse_date(rest)
    timed = None if date else _DATE_THEN_READING_TIME.fullmatch(rest)
    if timed:
        date = _parse_date(timed["date"])
    if date is None:
        return None
    reason = "metadata" if kind or timed else "date"
    return _Facts(reason, published=date, article_type=kind)


def _metadata_line(text: str) -> _Facts | None:
    """Classify a line made only of metadata pieces ("• Feb 27 · 5 min read"), else None."""
    if len(_words(text)) > 25:  # metadata is terse; this also keeps the regexes cheap
        return None
    parts = _METADATA_SEPARATOR.split(_BULLET.sub("", text, count=1))
    facts = [_metadata_part(p.strip()) for p in parts]
    found = [f for f in facts if f is not None]
    if len(found) < len(facts):
        return None
    merged = _Facts(found[0].reason if len(found) == 1 else "metadata")
    merged.author = _first(f.author for f in found)
    merged.published = next((f.published for f in found if f.published), None)
    merged.article_type = _first(f.article_type for f in found)
    return merged


def _source_line(text: str) -> _Facts | None:
    """Recognise an attribution line such as "The article was previously published on X."."""
    if len(_words(text)) > 20:
        return None
    for pattern in _SOURCE:
        match = pattern.fullmatch(text)
        if match:
            return _Facts("source", source=match["source"].strip())
    return None


def _classify(text: str) -> _Facts | None:
    """Say why a line is not article content, or None when it is content."""
    bare = _bare(text)
    whole_line_kinds = (
        (_PAGE_CHROME, "page chrome"),
        (_COMMENTS, "comments"),
        (_LAYOUT_MARKER, "layout marker"),
    )
    for pattern, reason in whole_line_kinds:
        if pattern.fullmatch(bare):
            return _Facts(reason)
    if _RELATED_LINK.match(text) and len(_words(text)) <= 20:
        return _Facts("related link")
    if _CAPTION.match(text) and len(_words(text)) <= 40:
        return _Facts("caption")
    return _metadata_line(text) or _source_line(text)


# --------------------------------------------------------------------------- units


@dataclass
class _Unit:
    """One non-empty input line, and why it was dropped (no facts while it is content)."""

    line: int
    raw: str
    text: str
    facts: _Facts | None = None
    kind: str = "paragraph"

    @property
    def reason(self) -> str | None:
        """The drop reason, or None for content."""
        return self.facts.reason if self.facts else None

    def drop(self, reason: str) -> None:
        """Mark the unit as removed for the given reason."""
        self.facts = _Facts(reason)


def _units(raw: str) -> list[_Unit]:
    """Split the input into classified units, one per non-empty line."""
    units = []
    for number, line in enumerate(raw.splitlines()):
        if not line:
            continue
        unit = _Unit(number, line, normalize_text(line))
        # Whitespace-only lines (a lone NBSP) are recorded so the preview can show them.
        unit.facts = _classify(unit.text) if unit.text else _Facts("blank")
        units.append(unit)
    return units


def _mark_author_echoes(units: list[_Unit]) -> None:
    """Drop a bare author name printed right beside its byline (a widget repeating it)."""
    for i, unit in enumerate(units):
        if unit.facts is None or unit.reason != "byline" or not unit.facts.author:
            continue
        name = unit.facts.author.casefold()
        for j in (i - 1, i + 1):
            near = units[j] if 0 <= j < len(units) else None
            if near and near.reason is None and near.text.casefold() == name:
                near.drop("byline")


def _mark_alt_text(units: list[_Unit]) -> None:
    """Drop the image description printed on the line directly above a caption."""
    first_content = next((u for u in units if u.reason is None), None)
    for before, unit in itertools.pairwise(units):
        adjacent = unit.line == before.line + 1  # no blank line between: the same figure
        is_text = before.reason is None and before is not first_content  # never the title
        if unit.reason == "caption" and adjacent and is_text:
            before.drop("image alt text")


# Furniture that separates a standfirst from the body (layout markers do not: they sit
# inside the body, often right after its first paragraph).
_HEADER_FURNITURE = {
    "byline",
    "date",
    "reading time",
    "metadata",
    "image alt text",
    "caption",
    "page chrome",
}


def _find_standfirst(units: list[_Unit], title: int) -> int | None:
    """Index of the standfirst: the first content after the title, set apart by furniture."""
    i = title + 1
    while i < len(units) and (units[i].reason is not None or _is_header_bullet(units[i])):
        if units[i].reason is None:
            units[i].drop("metadata")
        i += 1
    if i >= len(units) or not 4 <= len(_words(units[i].text)) <= 80:
        return None
    following = next((u for u in units[i + 1 :] if u.reason != "blank"), None)
    # Without furniture after it, the first line is just the body's first paragraph.
    if following is None or following.reason not in _HEADER_FURNITURE:
        return None
    return i


def _is_header_bullet(unit: _Unit) -> bool:
    """Is this a short bulleted tag (category, location) in the header?"""
    return bool(_BULLET.match(unit.raw.strip())) and len(_words(unit.text)) <= 6


# --------------------------------------------------------------------------- body


def _is_heading_shaped(text: str) -> bool:
    """Short, starts with a capital or digit, and does not end like a sentence."""
    words = _words(text)
    if not 1 <= len(words) <= 10 or len(text) > 90:
        return False
    first = text.lstrip(_OPENERS)[:1]
    last = text.rstrip(_CLOSERS)[-1:]
    return (first.isupper() or first.isdigit()) and last not in ".!?…:;,"


def _assign_kinds(body: list[_Unit]) -> None:
    """Mark heading-shaped units as headings when body paragraphs follow them."""
    shaped = [_is_heading_shaped(u.text) for u in body]
    # A heading introduces text; a short line after the last paragraph is a paragraph.
    last_text = max((i for i, s in enumerate(shaped) if not s), default=-1)
    for i, unit in enumerate(body):
        if shaped[i] and i < last_text:
            unit.kind = "heading"


_LEADING_ARTICLE = re.compile(r"(?:the|a|an) ")
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[" + re.escape(_CLOSERS) + r"]*\s+(?=[" + re.escape(_OPENERS) + r"]*[A-Z0-9])"
)
# Pull quotes are one or two sentences; shorter lines are too generic to call repeats.
_PULL_QUOTE_WORDS = range(6, 61)
_NEAR_REPEAT = 0.9


def _comparable(text: str) -> str:
    """Reduce text for repeat detection: casefold, no punctuation, no leading article."""
    kept = [" " if unicodedata.category(c)[0] in "PS" else c for c in text.casefold()]
    flat = _SPACES.sub(" ", "".join(kept)).strip()
    return _LEADING_ARTICLE.sub("", flat, count=1)


def _sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (good enough for comparing them)."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass
class _Comparison:
    """A paragraph prepared once for repeat detection against all the others."""

    flat: str  # comparable text, padded with spaces so substring tests match whole words
    sentences: list[str]  # comparable sentences
    size: int  # words
    grams: set[tuple[str, ...]]  # word trigrams of flat and of the joined sentences


_GRAM = 3


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    """Every run of _GRAM consecutive words."""
    return {tuple(words[i : i + _GRAM]) for i in range(len(words) - _GRAM + 1)}


def _prepare(text: str) -> _Comparison:
    """Prepare a paragraph's comparable forms."""
    flat = _comparable(text)
    words = flat.split()
    sentences = [_comparable(s) for s in _sentences(text)]
    # Every window _repeats compares is a run of the sentences' words, not of flat's.
    grams = _grams(words) | _grams(" ".join(sentences).split())
    return _Comparison(f" {flat} ", sentences, len(words), grams)


def _repeats(short: _Comparison, long: _Comparison) -> bool:
    """Does the short paragraph repeat, exactly or nearly, sentences of the long one?"""
    if short.flat in long.flat:
        return True
    words = short.flat.split()
    span = max(1, len(short.sentences))
    for start in range(len(long.sentences) - span + 1):
        window = " ".join(long.sentences[start : start + span]).split()
        # Compare words, not characters: faster, and a changed word counts as one change.
        matcher = SequenceMatcher(None, words, window, autojunk=False)
        # The cheap upper bounds rule out most pairs before the costly exact ratio.
        bounds = (matcher.real_quick_ratio, matcher.quick_ratio, matcher.ratio)
        if all(bound() >= _NEAR_REPEAT for bound in bounds):
            return True
    return False


def _candidates(
    short: _Comparison, postings: dict[tuple[str, ...], list[int]], count: int
) -> Iterable[int]:
    """Indices of the paragraphs sharing enough trigrams with short that it may repeat them.

    Cut short's words into disjoint trigrams. A repeat keeps each one whole unless a word
    differs inside it or between two of its words (one unmatched word, on either side, breaks
    at most one trigram), and _repeats lets at most (1 - _NEAR_REPEAT) of the two lengths
    together differ, the longer at most (2 - _NEAR_REPEAT) / _NEAR_REPEAT times the shorter.
    So skipping the other paragraphs changes no result; exact fractions, so no rounding does.
    """
    words = short.flat.split()
    chunks = [tuple(words[i : i + _GRAM]) for i in range(0, len(words) - _GRAM + 1, _GRAM)]
    ratio = Fraction(str(_NEAR_REPEAT))
    longest = int(len(words) * (2 - ratio) / ratio)
    needed = len(chunks) - int((len(words) + longest) * (1 - ratio))
    if needed < 1:  # too few trigrams to rule anything out
        return range(count)
    hits = Counter(i for chunk in chunks for i in postings.get(chunk, ()))
    return sorted(i for i, n in hits.items() if n >= needed)


def _mark_pull_quotes(body: list[_Unit]) -> None:
    """Drop short paragraphs that repeat a sentence standing in a longer paragraph."""
    paragraphs = [(u, _prepare(u.text)) for u in body if u.kind == "paragraph"]
    # Comparing each short paragraph with every longer one grows with the square of the article
    # (1.4 s at 200 paragraphs): an index of word trigrams finds the few that can match.
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, (_, comparison) in enumerate(paragraphs):
        for gram in comparison.grams:
            postings[gram].append(i)
    for unit, short in paragraphs:
        if short.size not in _PULL_QUOTE_WORDS:
            continue
        found = (paragraphs[i][1] for i in _candidates(short, postings, len(paragraphs)))
        longer = (other for other in found if other.size > short.size)
        if any(_repeats(short, other) for other in longer):
            unit.drop("pull quote")


# --------------------------------------------------------------------------- article


def clean_article(raw: str) -> CleanArticle:
    """Clean text scraped from an article page: fields, body blocks and what was dropped."""
    units = _units(raw)
    _mark_author_echoes(units)
    _mark_alt_text(units)

    content = [i for i, u in enumerate(units) if u.reason is None]
    title = content[0] if content else None
    standfirst = _find_standfirst(units, title) if title is not None else None
    body = [u for i, u in enumerate(units) if u.reason is None and i not in (title, standfirst)]
    _assign_kinds(body)
    _mark_pull_quotes(body)

    facts = [u.facts for u in units if u.facts]
    return CleanArticle(
        title=units[title].text if title is not None else "",
        standfirst=units[standfirst].text if standfirst is not None else "",
        author=_first(f.author for f in facts),
        published=next((f.published for f in facts if f.published), None),
        source=_first(f.source for f in facts),
        article_type=_first(f.article_type for f in facts),
        blocks=tuple(Block(u.kind, u.text) for u in body if u.reason is None),
        # A blank line's text is empty: show its raw whitespace instead.
        dropped=tuple(Dropped(u.text or u.raw, u.facts.reason) for u in units if u.facts),
    )


def _first(values: Iterable[str]) -> str:
    """The first non-empty string among values, or ""."""
    return next((v for v in values if v), "")
