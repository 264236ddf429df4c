"""Turn cleaned text into Article rows: one path for seeds, files on disk and the admin's import."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .extraction import (
    MAX_BYTES,
    MAX_SIZE_LABEL,
    Draft,
    ImportRejected,
    draft_from_text,
    draft_from_upload,
)
from .models import Article


class DuplicateArticle(ImportRejected):
    """Another article already has this title from this source."""

    def __init__(self, article: Article):
        self.article = article
        source = f" from {article.source_name}" if article.source_name else ""
        super().__init__(f"“{article.title}”{source} is already imported (article #{article.pk}).")


def article_fields(draft: Draft) -> dict:
    """The Article field values a draft gives, checked against the columns' sizes."""
    date = draft.published
    fields = {
        "title": draft.title,
        "standfirst": draft.standfirst,
        "author": draft.author,
        "source_name": draft.source,
        "article_type": draft.article_type,
        "published_year": date.year if date else None,
        "published_month": date.month if date else None,
        "published_day": date.day if date else None,
    }
    # Only a URL the page gave: re-importing must not wipe one a curator typed in.
    if draft.source_url:
        fields["source_url"] = draft.source_url
    if not draft.title:
        raise ImportRejected("No title found: the first line of the text should be the title.")
    for name, value in fields.items():
        limit = Article._meta.get_field(name).max_length
        if limit and isinstance(value, str) and len(value) > limit:
            label = Article._meta.get_field(name).verbose_name
            raise ImportRejected(
                f"The {label} is longer than {limit} characters: “{value[:60]}…”. "
                "Is the first line of the text really the title?"
            )
    return fields


def same_article(title: str, source: str) -> Article | None:
    """The article already imported with this title from this source, if any."""
    return Article.objects.filter(title__iexact=title, source_name__iexact=source).first()


@transaction.atomic
def import_draft(
    draft: Draft, import_key: str | None, status: str = Article.Status.DRAFT
) -> tuple[Article, str]:
    """Create or update the article for `import_key`; returns (article, outcome).

    outcome is "created", "updated" or "unchanged", so a second run can say it changed nothing.
    Without a key (the admin's import) or for a key not seen before, an article with the same
    title and source is the same article: DuplicateArticle, rather than a second copy. `status`
    applies to a new article only; an update never publishes or hides anything.
    """
    fields = article_fields(draft)
    blocks = draft.blocks
    # Locked for the import's transaction: a curator's save waits for it, then is told.
    found = Article.objects.select_for_update().filter(import_key=import_key)
    article = found.first() if import_key else None
    if article is None:
        if existing := same_article(draft.title, draft.source):
            raise DuplicateArticle(existing)
        article = Article.objects.create(
            import_key=import_key, slug=Article.unique_slug(draft.title), status=status, **fields
        )
        article.replace_blocks(blocks)
        return article, "created"
    changed = [name for name, value in fields.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, fields[name])
    if changed:
        article.save(update_fields=[*changed, "updated"])
    blocks_changed = article.replace_blocks(blocks)  # a new version if the text changed
    if changed and not blocks_changed:
        article.bump_version()
    return article, "updated" if changed or blocks_changed else "unchanged"


def import_text(
    raw: str, import_key: str, status: str = Article.Status.PUBLISHED
) -> tuple[Article, str]:
    """Import plain text (one paragraph per line) under `import_key`."""
    return import_draft(draft_from_text(raw), import_key, status)


def import_file(
    path: Path, key_root: Path | None = None, status: str = Article.Status.PUBLISHED
) -> tuple[Article, str]:
    """Import a .txt, .md or .html file; its import key is its path (see `file_key`)."""
    if path.stat().st_size > MAX_BYTES:  # before reading a huge file into memory
        raise ImportRejected(f"{path.name} is larger than {MAX_SIZE_LABEL}.")
    draft = draft_from_upload(path.name, path.read_bytes())
    return import_draft(draft, file_key(path, key_root), status)


_KEY_LENGTH = Article._meta.get_field("import_key").max_length


def file_key(path: Path, key_root: Path | None = None) -> str:
    """A file's import key: its resolved path under key_root (default: the project folder).

    A file outside key_root is keyed by its absolute path, so the same file always maps to
    the same article wherever the command is run from.
    """
    resolved = path.resolve()
    root = (key_root or settings.BASE_DIR).resolve()
    key = resolved.relative_to(root) if resolved.is_relative_to(root) else resolved
    text = key.as_posix()
    if len(text) > _KEY_LENGTH:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text
