"""Turn cleaned text into Article rows: one path for seeds now and uploads later."""

from pathlib import Path

from django.db import transaction

from .cleaning import CleanArticle, clean_article
from .models import Article


@transaction.atomic
def import_text(
    raw: str, import_key: str, status: str = Article.Status.PUBLISHED
) -> tuple[Article, str]:
    """Create or update the article imported from `import_key`; returns (article, outcome).

    outcome is "created", "updated" or "unchanged", so a second run can say it changed nothing.
    """
    clean: CleanArticle = clean_article(raw)
    date = clean.published
    fields = {
        "title": clean.title,
        "standfirst": clean.standfirst,
        "author": clean.author,
        "source_name": clean.source,
        "article_type": clean.article_type,
        "published_year": date.year if date else None,
        "published_month": date.month if date else None,
        "published_day": date.day if date else None,
    }
    blocks = [(b.kind, b.text) for b in clean.blocks]
    article = Article.objects.filter(import_key=import_key).first()
    if article is None:
        article = Article.objects.create(
            import_key=import_key, slug=Article.unique_slug(clean.title), status=status, **fields
        )
        article.replace_blocks(blocks)
        return article, "created"
    changed = [name for name, value in fields.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, fields[name])
    if changed:
        article.save(update_fields=[*changed, "updated"])
    blocks_changed = article.replace_blocks(blocks)
    return article, "updated" if changed or blocks_changed else "unchanged"


def import_file(path: Path, key_root: Path) -> tuple[Article, str]:
    raw = path.read_text(encoding="utf-8")
    return import_text(raw, import_key=path.relative_to(key_root).as_posix())
