"""When a curator edits an article's text: history for the blocks, new anchors for highlights.

Runs inside the edit's transaction, so readers never see text and anchors disagree.
"""

from dataclasses import dataclass

from django.db import transaction

from articles.models import Article, Block, BlockRevision

from .anchoring import Anchor, Quote
from .models import Annotation
from .reanchoring import Method, match_blocks, reanchor


@dataclass(frozen=True)
class BlockBefore:
    pk: int
    kind: str
    text: str
    revision: int


@dataclass(frozen=True)
class Snapshot:
    """The blocks and every highlight's anchor before the edit.

    Taken first because deleting a block detaches its highlights at once (SET_NULL), and a
    merge or a move should still let them find their words.
    """

    blocks: list[BlockBefore]
    anchors: dict[int, Anchor]


def snapshot(article: Article) -> Snapshot:
    blocks = list(article.blocks.order_by("position"))
    index = {b.pk: i for i, b in enumerate(blocks)}
    anchors = {
        a.pk: Anchor(index[a.start_block_id], a.start_offset, index[a.end_block_id], a.end_offset)
        for a in Annotation.objects.filter(
            article=article, start_block__isnull=False, end_block__isnull=False
        )
    }
    return Snapshot([BlockBefore(b.pk, b.kind, b.text, b.revision) for b in blocks], anchors)


@transaction.atomic
def text_edited(
    article: Article, snap: Snapshot, editor=None, match_by_text: bool = False
) -> dict[str, int]:
    """Record revisions of changed blocks and re-anchor every highlight on the article.

    Returns how many highlights were kept, moved, marked approximate or detached.
    """
    before = snap.blocks
    after = list(article.blocks.order_by("position"))
    old_by_pk = {s.pk: s for s in before}
    for block in after:
        old = old_by_pk.get(block.pk)
        if old and (old.text, old.kind) != (block.text, block.kind):
            BlockRevision.objects.create(
                block=block, number=old.revision, kind=old.kind, text=old.text, edited_by=editor
            )
            block.revision = old.revision + 1
            Block.objects.filter(pk=block.pk).update(revision=block.revision)
    old_texts = [s.text for s in before]
    new_texts = [b.text for b in after]
    new_index = {b.pk: i for i, b in enumerate(after)}
    if match_by_text:
        # Re-imports reuse block rows by position, so a row's identity says nothing about
        # which paragraph became which: pair them by their text instead.
        block_map = match_blocks(old_texts, new_texts)
    else:
        block_map = {i: new_index.get(s.pk) for i, s in enumerate(before)}
    outcome = {"kept": 0, "moved": 0, "approximate": 0, "detached": 0}
    if old_texts == new_texts:
        return outcome
    annotations = Annotation.objects.filter(pk__in=snap.anchors).select_for_update()
    for annotation in annotations:
        if annotation.deleted_at:
            # A deleted highlight's placeholder has no words to look for: it follows its
            # paragraph, and is detached only when the paragraph itself is gone.
            new_position = block_map.get(snap.anchors[annotation.pk].start_block)
            block = after[new_position] if new_position is not None else None
            annotation.start_block = annotation.end_block = block
            annotation.save(update_fields=["start_block", "end_block", "updated"])
            continue
        result = reanchor(
            old_texts,
            new_texts,
            snap.anchors[annotation.pk],
            Quote(annotation.exact, annotation.prefix, annotation.suffix),
            block_map,
        )
        if result.method == Method.ORPHANED or result.anchor is None:
            annotation.start_block = annotation.end_block = None
            annotation.approximate = False
            outcome["detached"] += 1
        else:
            new = result.anchor
            annotation.start_block, annotation.end_block = (
                after[new.start_block],
                after[new.end_block],
            )
            annotation.start_offset, annotation.end_offset = new.start_offset, new.end_offset
            annotation.anchored_revision = after[new.start_block].revision
            annotation.approximate = result.approximate
            # The quote stays what the reader selected; an approximate match says so.
            key = (
                "kept"
                if result.method in (Method.KEPT, Method.DIFF)
                else ("approximate" if result.approximate else "moved")
            )
            outcome[key] += 1
        annotation.save(
            update_fields=[
                "start_block",
                "end_block",
                "start_offset",
                "end_offset",
                "anchored_revision",
                "approximate",
                "updated",
            ]
        )
    article.touch()
    return outcome
