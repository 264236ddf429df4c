from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.extraction import SUPPORTED_SUFFIXES, ImportRejected
from articles.importing import DuplicateArticle, import_file
from articles.models import Article


class Command(BaseCommand):
    help = (
        "Import (or update) articles from .txt, .md and .html files, or folders of them, "
        "through the cleaner. Safe to run again: a file's path says which article it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            metavar="PATH",
            help="a .txt, .md or .html file, or a folder searched for them (subfolders too)",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish new articles (default: draft). Existing articles keep their status.",
        )
        parser.add_argument(
            "--key-root",
            type=Path,
            default=None,
            help="Name files by their path under this folder (default: the project folder).",
        )

    def handle(self, *args, paths: list[Path], publish: bool, key_root: Path | None, **options):
        status = Article.Status.PUBLISHED if publish else Article.Status.DRAFT
        failed = total = 0
        for path, problem in _files(paths):
            total += 1
            try:
                if problem:
                    raise ImportRejected(problem)
                article, outcome = import_file(path, key_root=key_root, status=status)
            except DuplicateArticle as duplicate:
                # The same article from another file (or the admin): one copy, not two.
                existing = duplicate.article
                where = existing.import_key or "the admin"
                self.stdout.write(
                    f"{'skipped':>9}  {existing.title}  ({path}): already imported from "
                    f"{where} as article #{existing.pk}"
                )
                continue
            except (ImportRejected, OSError) as error:
                failed += 1
                self.stderr.write(f"{'error':>9}  {path}: {_message(error)}")
                continue
            self.stdout.write(f"{outcome:>9}  {article.title}  ({path})")
        if failed:
            raise CommandError(f"{failed} of {total} file(s) could not be imported.")


def _files(paths: list[Path]):
    """(file, None) for each file to import, or (path, why not) for a path that cannot be."""
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                yield path, "no .txt, .md or .html files in this folder"
            yield from ((p, None) for p in found)
        elif path.is_file():
            yield path, None
        else:
            yield path, "no such file or folder"


def _message(error: Exception) -> str:
    return error.strerror or str(error) if isinstance(error, OSError) else str(error)
