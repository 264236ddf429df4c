"""Turn an uploaded or pasted article (text, Markdown or an HTML page) into a draft to review.

No database: the input is bytes or text, the output is a `Draft` whose rows are every line of
the article in reading order, kept or left out (with the reason), ready for the curator's
preview or for `importing.import_draft`. Plain text goes straight to the cleaner, exactly as the
seeds do. Markdown and HTML are first reduced to one line per paragraph or heading (HTML by
trafilatura, which finds the article in a page and its title, author, date and site) and then go
through the same cleaner; their markup, not the cleaner's guess from line shapes, says which
lines are headings.
"""

from __future__ import annotations

import calendar
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from markdown_it import MarkdownIt

from .cleaning import CleanArticle, PartialDate, clean_article, normalize_text

__all__ = [
    "MAX_BYTES",
    "MAX_SIZE_LABEL",
    "OUTSIDE_REASON",
    "SUPPORTED_SUFFIXES",
    "Draft",
    "ImportRejected",
    "Row",
    "draft_from_paste",
    "draft_from_text",
    "draft_from_upload",
    "extract_html",
    "text_from_upload",
]

MAX_BYTES = 2 * 1024 * 1024
MAX_SIZE_LABEL = "2 MB"
SUPPORTED_SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
# Why a line the extractor left out of the article, and the cleaner has no word for, is missing.
OUTSIDE_REASON = "outside the article body"


class ImportRejected(ValueError):
    """The input cannot become an article; the message says why, for the curator."""


@dataclass(frozen=True)
class Row:
    """One line of the article in reading order: kept as a block, or left out and why."""

    kind: str  # "heading" or "paragraph"
    text: str
    include: bool = True
    reason: str = ""  # why the importer left it out; "" for article text


@dataclass(frozen=True)
class Draft:
    """An article as the importer understood it, before anything is saved."""

    title: str
    standfirst: str = ""
    author: str = ""
    published: PartialDate | None = None
    source: str = ""
    source_url: str = ""
    article_type: str = ""
    rows: tuple[Row, ...] = ()

    @property
    def blocks(self) -> list[tuple[str, str]]:
        """The kept rows as (kind, text), ready for `Article.replace_blocks`."""
        return [(r.kind, r.text) for r in self.rows if r.include]


# --------------------------------------------------------------------------- entry points


def draft_from_upload(name: str, data: bytes) -> Draft:
    """Read an uploaded .txt, .md or .html file into a draft, or raise ImportRejected."""
    kind, text = _decode_upload(name, data)
    if kind == "html":
        return _require_paragraphs(_draft_from_source(_html_source(text)), name)
    if kind == "markdown":
        return _require_paragraphs(_draft_from_source(_markdown_source(text)), name)
    return _require_paragraphs(_draft_from_source(_Source(text)), name)


def draft_from_paste(text: str) -> Draft:
    """Read pasted text into a draft; a pasted HTML document is treated as a page."""
    if not text.strip():
        raise ImportRejected("Nothing to import: the pasted text is empty.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ImportRejected(f"The pasted text is larger than {MAX_SIZE_LABEL}.")
    if _looks_binary(text):
        raise ImportRejected("The pasted text contains binary data, not an article.")
    text = _CONTROL.sub("", text)
    source = _html_source(text) if _HTML_DOCUMENT.match(text) else _Source(text)
    return _require_paragraphs(_draft_from_source(source), "the pasted text")


def draft_from_text(text: str) -> Draft:
    """Clean plain text (one paragraph per line) into a draft, as the seeds are."""
    return _require_paragraphs(_draft_from_source(_Source(text)), "the text")


def text_from_upload(name: str, data: bytes) -> str:
    """The text the cleaner reads for an upload: one paragraph, heading or metadata per line."""
    kind, text = _decode_upload(name, data)
    if kind == "html":
        return _html_source(text).raw
    if kind == "markdown":
        return _markdown_source(text).raw
    return text


def extract_html(html: str) -> str:
    """The cleaner's input for an HTML page: title, standfirst, byline, date, then the body."""
    return _html_source(html).raw


# --------------------------------------------------------------------------- bytes to text

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.I)
_HTML_DOCUMENT = re.compile(r"\s*(?:<!doctype html|<html[\s>])", re.I)
# C0 control characters other than tab and line breaks never appear in an article's text.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _decode_upload(name: str, data: bytes) -> tuple[str, str]:
    """Check an upload's type, size and encoding; return (kind, text)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = SUPPORTED_SUFFIXES.get(suffix)
    if kind is None:
        what = f"{suffix} files are" if suffix else "Files without an extension are"
        raise ImportRejected(
            f"{name}: {what} not supported. Upload a .txt, .md or .html file, "
            "or copy the article's text and paste it."
        )
    if len(data) > MAX_BYTES:
        raise ImportRejected(f"{name} is larger than {MAX_SIZE_LABEL}.")
    if not data.strip():
        raise ImportRejected(f"{name} is empty.")
    text = _decode(name, data, kind)
    if _looks_binary(text):
        raise ImportRejected(f"{name} is not a text file: it contains binary data.")
    text = _CONTROL.sub("", text)  # a stray one left by a word processor
    if not text.strip():
        raise ImportRejected(f"{name} is empty.")
    return kind, text


def _decode(name: str, data: bytes, kind: str) -> str:
    # Windows editors save "Unicode" text as UTF-16 with a byte order mark.
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise ImportRejected(f"{name} is not a text file: it contains binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # An older page may declare its own encoding; text files have no such label to trust.
    declared = _META_CHARSET.search(data[:4096]) if kind == "html" else None
    if declared:
        try:
            return data.decode(declared[1].decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    raise ImportRejected(f"{name} is not UTF-8 text. Save it as UTF-8 and try again.")


def _looks_binary(text: str) -> bool:
    """NUL, or control characters in more than 1% of the text: not something a person wrote."""
    sample = text[:100_000]
    return "\x00" in sample or len(_CONTROL.findall(sample)) > len(sample) / 100


def _require_paragraphs(draft: Draft, what: str) -> Draft:
    if not any(r.include and r.kind == "paragraph" for r in draft.rows):
        raise ImportRejected(
            f"No article paragraphs found in {what}: after cleaning, nothing was left "
            "that reads as body text."
        )
    return draft


# --------------------------------------------------------------------------- source to draft


@dataclass
class _Source:
    """The cleaner's input, with what the document's markup and metadata said about it."""

    raw: str
    # Input line numbers (as the cleaner counts them) written from metadata, not article text.
    header: set[int] = field(default_factory=set)
    # The kind each body line's markup gives it; plain text has none and the cleaner decides.
    kinds: dict[int, str] = field(default_factory=dict)
    title: str = ""
    standfirst: str = ""
    author: str = ""
    published: PartialDate | None = None
    source: str = ""
    source_url: str = ""
    # Page text the extractor left out: (input line it came after, text), in page order.
    outside: list[tuple[int, str]] = field(default_factory=list)


def _draft_from_source(source: _Source) -> Draft:
    """Run the cleaner and lay its result out as rows in reading order."""
    clean = clean_article(source.raw)
    keyed = list(_rows(source, clean))
    outside_clean = _clean_outside(source, keyed)
    rows = tuple(row for _, row in sorted(keyed, key=lambda pair: pair[0]))
    return Draft(
        title=source.title or clean.title,
        standfirst=source.standfirst or clean.standfirst,
        author=clean.author or source.author or outside_clean.author,
        published=clean.published or source.published or outside_clean.published,
        source=clean.source or source.source,
        source_url=source.source_url,
        article_type=clean.article_type,
        rows=rows,
    )


def _rows(source: _Source, clean: CleanArticle) -> Iterable[tuple[tuple[int, int], Row]]:
    """Match the cleaner's blocks and dropped lines back to input lines, in input order.

    The cleaner reports blocks and dropped lines as two lists; walking the input lines in order
    and taking from whichever list's head is that line interleaves them again, so a dropped
    line the curator turns back on lands where it stood.
    """
    blocks, dropped = deque(clean.blocks), deque(clean.dropped)
    title_left, standfirst_left = bool(clean.title), bool(clean.standfirst)
    for number, line in enumerate(source.raw.splitlines()):
        if not line:
            continue
        text = normalize_text(line)
        if title_left and text == clean.title:
            title_left = False
            row = None
        elif standfirst_left and not title_left and text == clean.standfirst:
            standfirst_left = False
            row = None
        elif blocks and blocks[0].text == text:
            block = blocks.popleft()
            row = Row(source.kinds.get(number, block.kind), text)
        elif dropped and dropped[0].text == (text or line):
            reason = dropped.popleft().reason
            row = None if reason == "blank" else Row("paragraph", text, False, reason)
        else:  # cannot happen while the cleaner reports every line once; never lose a line
            row = Row("paragraph", text, False, "not recognised")
        if row is not None and number not in source.header:
            yield (number, 0), row


def _clean_outside(source: _Source, keyed: list) -> CleanArticle:
    """Add the page text the extractor left out, with the cleaner's reason where it has one.

    Its bylines and dates also stand in for metadata the extractor could not find.
    """
    if not source.outside:
        return clean_article("")
    # Blank lines between them: neighbours on a page are not one figure and its caption.
    outside = clean_article("\n\n".join(text for _, text in source.outside))
    reasons = {d.text: d.reason for d in outside.dropped}
    for order, (after, text) in enumerate(source.outside, start=1):
        reason = reasons.get(text)
        # Menu entries ("World", "Opinion") are too many and too short to be worth a row.
        if reason is None and len(text.split()) < 3:
            continue
        keyed.append(((after, order), Row("paragraph", text, False, reason or OUTSIDE_REASON)))
    return outside


def _compose(
    body: list[tuple[str, str]],
    *,
    title: str = "",
    standfirst: str = "",
    author: str = "",
    date: str = "",
    source: str = "",
    source_url: str = "",
) -> _Source:
    """Lay metadata and body lines out as a page for the cleaner, remembering which is which.

    The cleaner finds a standfirst by the byline and date that follow it, so metadata is
    written as those lines; they never become rows, and the fields come from the metadata.
    """
    lines: list[str] = []
    header: set[int] = set()
    kinds: dict[int, str] = {}

    def add(text: str, kind: str | None = None) -> None:
        # Blank lines between units: a line above a caption is not taken for image alt text.
        number = 2 * len(lines)
        lines.append(text)
        if kind is None:
            header.add(number)
        else:
            kinds[number] = kind

    for text in (title, standfirst, f"By {author}" if author else "", _date_line(date)):
        if text:
            add(text)
    for kind, text in body:
        add(text, kind)
    return _Source(
        raw="\n\n".join(lines),
        header=header,
        kinds=kinds,
        title=title,
        standfirst=standfirst,
        author=author,
        published=_iso_date(date),
        source=source,
        source_url=source_url,
    )


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _date_line(date: str) -> str:
    if not date:
        return ""
    iso = _ISO_DATE.match(date)  # "2025-03-03T07:30:00Z": the time is of no interest
    return f"Published: {iso[0] if iso else date}"


def _iso_date(date: str) -> PartialDate | None:
    iso = _ISO_DATE.match(date)
    if not iso:
        return None
    year, month, day = (int(part) for part in iso.groups())
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return PartialDate(year, month, day)


# --------------------------------------------------------------------------- HTML

# Page elements that start a new line of text.
_PAGE_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "td", "th", "tr", "ul",
}  # fmt: skip
_PAGE_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_PAGE_SKIP = {
    "script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object",
    "select", "textarea", "input",
}  # fmt: skip
# The same for trafilatura's XML body.
_BODY_BLOCKS = {"head", "p", "item", "list", "quote", "code", "table", "row", "cell"}
_BODY_HEADINGS = {"head"}
_BODY_SKIP = {"graphic", "table"}
# Classes a page gives the line under its headline.
_STANDFIRST_CLASS = re.compile(
    r"standfirst|\bdek\b|deck|lede|\blead\b|summary|subtitle|sub-?head|intro|excerpt|strap",
    re.I,
)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


def _html_source(html: str) -> _Source:
    """Find the article in a page with trafilatura and lay it out for the cleaner."""
    # A quarter of a second to import (dates, languages): paid by the first page, not by
    # every process that loads the admin's URLs.
    import trafilatura

    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses one in a str
    try:
        page = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as error:
        raise ImportRejected("The page could not be read as HTML.") from error
    # trafilatura prunes the tree it is given: read the page's own lines from a fresh parse.
    page_lines = [(tag, text) for tag, text, _ in _text_lines(page, _PAGE_BLOCKS, _PAGE_SKIP)]
    document = trafilatura.bare_extraction(
        lxml.html.document_fromstring(html),
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_formatting=True,  # a paragraph that is all bold is a heading
        # Its extensive search makes "2023-01-01" of a "© 2023" footer: never invent a date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )

    def meta(name: str) -> str:
        return normalize_text(getattr(document, name, None) or "")

    extracted = getattr(document, "body", None)
    if extracted is not None and len(extracted) >= 2:
        body = [_body_line(*line) for line in _text_lines(extracted, _BODY_BLOCKS, _BODY_SKIP)]
    else:
        # Too little for the extractor to call an article (its fallback then runs the whole
        # page into one paragraph): let the cleaner read the page line by line instead.
        extracted = None
        body = [("heading" if tag in _PAGE_HEADINGS else "paragraph", t) for tag, t in page_lines]
    title = meta("title")
    _drop_title(body, title)
    standfirst, description = "", meta("description")
    if body and body[0][0] == "standfirst":
        standfirst = body.pop(0)[1]
    elif description and not _is_described_in(description, body):
        standfirst = description
    body = [("paragraph" if kind == "standfirst" else kind, text) for kind, text in body]
    source = _compose(
        body,
        title=title,
        standfirst=standfirst,
        author=_authors(meta("author")),
        date=meta("date"),
        source=meta("sitename"),
        source_url=_http_url(meta("url")),
    )
    if extracted is not None:
        source.outside = _outside_lines(source, [text for _, text in page_lines])
    return source


def _drop_title(body: list[tuple[str, str]], title: str) -> None:
    """Remove the headline from the top of the body: the title is kept apart."""
    folded = title.casefold()
    for i, (_, text) in enumerate(body[:5]):
        line = text.casefold()
        # "Short note" under a <title> of "Short note | The Site" is the same headline.
        if folded and (line == folded or (len(line.split()) > 1 and folded.startswith(line))):
            del body[i]
            return


def _text_lines(
    root: etree._Element, blocks: set[str], skip: set[str]
) -> list[tuple[str, str, etree._Element]]:
    """Split an element's text into lines at block elements: (block tag, text, block element).

    Iterative, not recursive: a hostile page nested ten thousand deep must not crash the import.
    """
    lines: list[tuple[str, str, etree._Element]] = []
    parts: list[str] = []
    owners = [root]
    skipping = 0

    def flush() -> None:
        text = normalize_text("".join(parts))
        parts.clear()
        if text:
            lines.append((_tag(owners[-1]), text, owners[-1]))

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = _tag(element)
        if event == "start":
            if skipping or not tag or tag in skip:
                skipping += 1
                continue
            if tag in blocks:
                flush()
                owners.append(element)
            elif tag in ("br", "lb"):
                parts.append(" ")
            parts.append(element.text or "")
            continue
        if skipping:
            skipping -= 1
            if skipping:
                continue
        elif tag in blocks:
            flush()
            owners.pop()
        if element is not root:
            parts.append(element.tail or "")
    flush()
    return lines


def _tag(element: etree._Element) -> str:
    """An element's tag, or "" for comments and processing instructions."""
    return element.tag if isinstance(element.tag, str) else ""


def _body_line(tag: str, text: str, element: etree._Element) -> tuple[str, str]:
    """The kind of one line of trafilatura's body: heading, standfirst or paragraph."""
    if tag in _BODY_HEADINGS or (tag == "p" and _all_bold(element) and _heading_sized(text)):
        return "heading", text
    if tag == "p" and _STANDFIRST_CLASS.search(element.get("class") or ""):
        return "standfirst", text
    return "paragraph", text


def _all_bold(element: etree._Element) -> bool:
    """Is every word of the paragraph inside bold markup (a heading a CMS wrote as <p><b>)?"""
    children = list(element)
    loose = [element.text or "", *(child.tail or "" for child in children)]
    bold = [c for c in children if _tag(c) == "hi" and "#b" in (c.get("rend") or "")]
    return bool(bold) and len(bold) == len(children) and not "".join(loose).strip()


def _heading_sized(text: str) -> bool:
    return len(text.split()) <= 12 and text[-1] not in ".,;:"


def _is_described_in(description: str, body: list[tuple[str, str]]) -> bool:
    """Does the page's description just repeat (the start of) a body paragraph?"""
    probe = _ELLIPSIS.sub("", description).rstrip(".!?").casefold()
    return any(probe in text.casefold() for _, text in body)


def _authors(author: str) -> str:
    """trafilatura's "A; B; C" as a byline says it: "A, B and C"."""
    names = [normalize_text(n) for n in author.split(";") if n.strip()]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _http_url(url: str) -> str:
    return url if re.match(r"https?://\S+$", url) and len(url) <= 200 else ""


def _outside_lines(source: _Source, page: list[str]) -> list[tuple[int, str]]:
    """Page lines that are in none of the cleaner's input, each after the body line it follows."""
    raw_lines = source.raw.splitlines()
    body = sorted(source.kinds)
    folded_body = [raw_lines[n].casefold() for n in body]
    where: dict[str, list[int]] = {}
    for i, text in enumerate(folded_body):
        where.setdefault(text, []).append(i)
    lines = {line.casefold() for line in raw_lines if line}
    # One string to search: a page line never holds a newline, so it cannot match across two.
    known = "\n".join(lines)
    anchor = max(source.header, default=-1)
    next_body, seen, outside = 0, set(), []
    for text in page:
        folded = text.casefold()
        match = _next_match(folded, folded_body, where, next_body)
        if match is not None:
            anchor, next_body = body[match], match + 1
        elif folded in seen or folded in lines or (len(folded) > 40 and folded in known):
            continue  # a line already listed, or (part of) a line the cleaner read
        else:
            seen.add(folded)
            outside.append((anchor, text))
    return outside


def _next_match(
    folded: str, body: list[str], where: dict[str, list[int]], start: int
) -> int | None:
    """The first body line from `start` on that this page line is (the extractor may trim a
    long line a little, so a long page line inside one of the next few also counts)."""
    exact = next((i for i in where.get(folded, ()) if i >= start), None)
    if exact is not None:
        return exact
    if len(folded) > 40:
        return next((i for i in range(start, min(start + 5, len(body))) if folded in body[i]), None)
    return None


# --------------------------------------------------------------------------- Markdown

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_MATTER_KEYS = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "by": "author",
    "date": "date",
    "published": "date",
    "pubdate": "date",
    "description": "standfirst",
    "summary": "standfirst",
    "subtitle": "standfirst",
    "excerpt": "standfirst",
    "standfirst": "standfirst",
    "dek": "standfirst",
    "source": "source",
    "publication": "source",
    "site": "source",
    "sitename": "source",
    "url": "source_url",
    "canonical_url": "source_url",
    "source_url": "source_url",
    "link": "source_url",
}
_markdown = MarkdownIt("commonmark")


def _markdown_source(markdown: str) -> _Source:
    """Markdown without its syntax: headings and paragraphs (list items, quotes) one a line."""
    meta, markdown = _front_matter(markdown)
    body: list[tuple[str, str]] = []
    tokens = _markdown.parse(markdown)
    for i, token in enumerate(tokens):
        if token.type == "inline":
            text = normalize_text(_inline_text(token.children or []))
            heading = tokens[i - 1].type == "heading_open" or (
                _all_strong(token.children or []) and _heading_sized(text)
            )
            if text:
                body.append(("heading" if heading else "paragraph", text))
        elif token.type in ("fence", "code_block"):
            if text := normalize_text(token.content):
                body.append(("paragraph", text))
        elif token.type == "html_block":
            try:
                fragment = lxml.html.fragment_fromstring(token.content, create_parent="div")
            except (etree.ParserError, ValueError):
                continue
            for tag, text, _ in _text_lines(fragment, _PAGE_BLOCKS, _PAGE_SKIP):
                body.append(("heading" if tag in _PAGE_HEADINGS else "paragraph", text))
    title = normalize_text(meta.get("title", ""))
    _drop_title(body, title)
    return _compose(
        body,
        title=title,
        standfirst=normalize_text(meta.get("standfirst", "")),
        author=normalize_text(meta.get("author", "")),
        date=meta.get("date", ""),
        source=normalize_text(meta.get("source", "")),
        source_url=_http_url(meta.get("source_url", "")),
    )


def _front_matter(markdown: str) -> tuple[dict[str, str], str]:
    """Simple `key: value` front matter (as static site generators write it), and the rest."""
    match = _FRONT_MATTER.match(markdown)
    if not match:
        return {}, markdown
    meta: dict[str, str] = {}
    for line in match[1].splitlines():
        key, colon, value = line.partition(":")
        field_name = _FRONT_MATTER_KEYS.get(key.strip().lower())
        value = value.strip().strip("\"'")
        if colon and field_name and value and field_name not in meta:
            meta[field_name] = value
    return meta, markdown[match.end() :]


def _inline_text(children: list) -> str:
    """The words of an inline token: emphasis and links unwrapped, images and HTML left out."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _all_strong(children: list) -> bool:
    """Is the whole paragraph bold ("**Why it matters**"), a heading in disguise?"""
    depth, bold_text, loose_text = 0, "", ""
    for child in children:
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
        elif depth:
            bold_text += child.content
        else:
            loose_text += child.content
    return bool(bold_text.strip()) and not loose_text.strip()
