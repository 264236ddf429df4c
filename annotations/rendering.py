"""Turn an article's blocks and annotations into escaped HTML with flat <mark> segments."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import caches
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Block
from config.reversing import reverse_pk

from .anchoring import Anchor, Span, segment, spans_for_block
from .models import Annotation, Label

# Marks are the same for as long as the text and the highlights are; this only bounds memory.
SHARED_MARKS_SECONDS = 600


@dataclass
class RenderedBlock:
    block: Block
    html: SafeString

    @property
    def position(self) -> int:
        return self.block.position


def block_html(text: str, spans: Sequence[Span]) -> SafeString:
    """Escaped block text with each run covered by highlights wrapped in one <mark>."""
    parts = []
    for seg in segment(text, spans):
        if not seg.spans:
            parts.append(escape(seg.text))
            continue
        # The innermost (latest-starting) highlight decides the colour; the rest are listed.
        top = max(seg.spans, key=lambda s: (s.start, -s.end))
        ids = " ".join(str(s.key) for s in seg.spans)
        kinds = sorted({s.kind for s in seg.spans})
        classes = f"hl hl--{top.kind}"
        if len(seg.spans) > 1:
            classes += " hl--overlap"
        parts.append(
            f'<mark class="{classes}" data-kind="{top.kind}" data-kinds="{" ".join(kinds)}"'
            f' data-annotations="{ids}" data-count="{len(seg.spans)}">{escape(seg.text)}</mark>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def anchor_of(annotation: "Annotation | Highlight", index_of: dict[int, int]) -> Anchor | None:
    """The annotation's anchor as block indexes, or None when it is detached."""
    if annotation.start_block_id is None or annotation.end_block_id is None:
        return None
    try:
        return Anchor(
            index_of[annotation.start_block_id],
            annotation.start_offset,
            index_of[annotation.end_block_id],
            annotation.end_offset,
        )
    except KeyError:
        return None


def render_blocks(
    blocks: Sequence[Block], annotations: Sequence["Annotation | Highlight"]
) -> list[RenderedBlock]:
    """Every block with its highlights, in one pass over the annotations."""
    index_of = {b.pk: i for i, b in enumerate(blocks)}
    spans: list[list[Span]] = [[] for _ in blocks]
    for annotation in annotations:
        anchor = anchor_of(annotation, index_of)
        # A deleted highlight's placeholder marks no words: which words were chosen is what
        # its author took back, so even a neutral mark would say too much.
        if anchor is None or annotation.deleted_at:
            continue
        for i in range(anchor.start_block, anchor.end_block + 1):
            span = spans_for_block(i, len(blocks[i].text), anchor, annotation.pk, annotation.label)
            if span is not None:
                spans[i].append(span)
    return [
        RenderedBlock(block, block_html(block.text, block_spans))
        for block, block_spans in zip(blocks, spans, strict=True)
    ]


def shared_blocks(
    blocks: Sequence[Block], highlights: Sequence["Highlight"]
) -> list[RenderedBlock]:
    """render_blocks, done once per process for every reader who sees the same highlights.

    The marks depend only on the blocks' text and the highlights' places and labels, and a
    class mostly sees the same ones: the key is exactly those, so no reader can get another's
    marks (a private note makes its own key). Kept in the per-process `marks` cache.
    """
    marks = [
        (h.pk, h.label, h.start_block_id, h.start_offset, h.end_block_id, h.end_offset)
        for h in highlights
        if not h.deleted_at
    ]
    texts = [(b.pk, b.position, b.kind, b.text) for b in blocks]
    key = hashlib.sha256(repr((texts, marks)).encode()).hexdigest()
    if (html := caches["marks"].get(key)) is not None:
        # Made by block_html, which escapes every piece of text.
        safe = [mark_safe(h) for h in html]  # noqa: S308
        return [RenderedBlock(b, h) for b, h in zip(blocks, safe, strict=True)]
    rendered = render_blocks(blocks, highlights)
    caches["marks"].set(key, [str(r.html) for r in rendered], SHARED_MARKS_SECONDS)
    return rendered


def label_counts(annotations: Sequence["Annotation | Highlight"]) -> dict[str, int]:
    """Highlights per label, and in all; a deleted highlight's placeholder is none of them."""
    counts = {value: 0 for value in Label.values}
    for annotation in annotations:
        if not annotation.deleted_at:
            counts[annotation.label] += 1
    counts["all"] = sum(counts.values())
    return counts


@dataclass(slots=True)
class Highlight:
    """What the text, the counts and a stub card need of an annotation, read as plain values.

    An article at classroom scale has thousands of these per page: a model instance each cost
    more than everything else done with them.
    """

    pk: int
    author_id: int
    label: str
    start_block_id: int | None
    start_offset: int
    end_block_id: int | None
    end_offset: int
    exact: str
    visibility: str
    classroom_id: int | None
    deleted_at: object
    start_block: Block | None = None
    end_block: Block | None = None
    is_mine: bool = False

    @classmethod
    def read(cls, queryset, blocks: Sequence[Block], viewer_id: int | None) -> list["Highlight"]:
        """`queryset`'s annotations as highlights, their blocks attached from `blocks`."""
        by_id = {b.pk: b for b in blocks}
        found = []
        for row in queryset.values_list(*HIGHLIGHT_FIELDS):
            highlight = cls(*row)
            highlight.start_block = by_id.get(highlight.start_block_id)
            highlight.end_block = by_id.get(highlight.end_block_id)
            highlight.is_mine = highlight.author_id == viewer_id
            found.append(highlight)
        return found


HIGHLIGHT_FIELDS = (
    "pk",
    "author_id",
    "label",
    "start_block_id",
    "start_offset",
    "end_block_id",
    "end_offset",
    "exact",
    "visibility",
    "classroom_id",
    "deleted_at",
)
ICONS = {Label.CLAIM: "◆", Label.EVIDENCE: "■", Label.OPINION: "●"}
LABELS = dict(Label.choices)
STUB_QUOTE = 140


@dataclass
class CardGroup:
    """A run of the margin in document order: cards in full, or stubs to fetch as a batch."""

    cards: list[Annotation] = field(default_factory=list)
    stubs: list[Highlight] = field(default_factory=list)
    url: str = ""

    @property
    def stub_html(self) -> SafeString:
        return mark_safe("".join(stub_html(a) for a in self.stubs))  # noqa: S308 - escaped


def margin_groups(
    annotations: Sequence[Highlight], full: dict[int, Annotation], url: str, batch: int
) -> list[CardGroup]:
    """The margin in document order: the `full` cards as they are, the rest as stub batches.

    Each batch's `url` is `url` with its ids appended, in document order.
    """
    groups: list[CardGroup] = []
    for annotation in annotations:
        card = full.get(annotation.pk)
        last = groups[-1] if groups else None
        if card is not None:
            if last is None or last.stubs:
                last = CardGroup()
                groups.append(last)
            last.cards.append(card)
        else:
            if last is None or last.cards or len(last.stubs) >= batch:
                last = CardGroup()
                groups.append(last)
            last.stubs.append(annotation)
    for group in groups:
        if group.stubs:
            group.url = url + ",".join(str(a.pk) for a in group.stubs)
    return groups


def stub_html(annotation: Highlight) -> str:
    """A card before it is filled in: label, paragraph, quote and the permalink.

    Enough to filter it, find it from its highlight and read the quote; the permalink opens
    the whole card with its thread without scripts. Built without the template engine: a
    class's article holds thousands of these.
    """
    pk = annotation.pk
    link = reverse_pk("annotations:card", pk)
    mine = "true" if annotation.is_mine else "false"
    start, end = annotation.start_block, annotation.end_block
    if annotation.deleted_at:
        kind, title = "deleted", '<span class="tag tag--deleted">Deleted highlight</span>'
        body, more = "", "Show the discussion"
    else:
        kind = annotation.label
        title = (
            f'<span class="tag tag--{kind}"><span class="tag__icon" aria-hidden="true">'
            f"{ICONS[kind]}</span>{LABELS[kind]}</span>"
        )
        quote = annotation.exact
        if len(quote) > STUB_QUOTE:  # the card in full has more; the stub shows three lines
            quote = quote[: STUB_QUOTE - 1].rstrip() + "…"
        body = f'<blockquote class="card__quote">{escape(quote)}</blockquote>'
        more = "Show note and replies"
    if start is None or end is None:
        where = '<span class="card__where card__where--detached">detached</span>'
    else:
        span = str(start.position)
        if end.position != start.position:
            span += f"–{end.position}"
        # A deleted highlight marks no words: its paragraph is all there is to go to.
        jump = "" if annotation.deleted_at else f' data-jump="{pk}"'
        where = (
            f'<a class="card__where" href="#p-{start.position}"{jump}>¶{span}'
            '<span class="visually-hidden"> — show in the text</span></a>'
        )
    # Dozens of these links in a row: each names its highlight to a screen reader.
    whose = "the deleted highlight" if annotation.deleted_at else f"this {kind}"
    if start is not None:
        whose += f" on ¶{start.position}"
    more += f'<span class="visually-hidden"> — {whose}</span>'
    return (
        f'<article class="card card--{kind} card--stub" id="annotation-{pk}"'
        f' data-annotation="{pk}" data-kind="{kind}" data-mine="{mine}" tabindex="-1"'
        f' aria-labelledby="annotation-{pk}-title">'
        f'<header class="card__head"><h3 class="card__title" id="annotation-{pk}-title">'
        f"{title}</h3>{where}</header>{body}"
        f'<p class="card__more"><a href="{link}">{more}</a></p></article>'
    )
