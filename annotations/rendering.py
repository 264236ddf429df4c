"""Turn an article's blocks and annotations into escaped HTML with flat <mark> segments."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Block

from .anchoring import Anchor, Span, segment, spans_for_block
from .models import Annotation, Label


@dataclass
class RenderedBlock:
    block: Block
    html: SafeString
    annotation_ids: list[int] = field(default_factory=list)

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


def anchor_of(annotation: Annotation, index_of: dict[int, int]) -> Anchor | None:
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
    blocks: Sequence[Block], annotations: Sequence[Annotation]
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
        RenderedBlock(block, block_html(block.text, block_spans), [s.key for s in block_spans])
        for block, block_spans in zip(blocks, spans, strict=True)
    ]


def label_counts(annotations: Sequence[Annotation]) -> dict[str, int]:
    """Highlights per label, and in all; a deleted highlight's placeholder is none of them."""
    counts = {value: 0 for value in Label.values}
    for annotation in annotations:
        if not annotation.deleted_at:
            counts[annotation.label] += 1
    counts["all"] = sum(counts.values())
    return counts
