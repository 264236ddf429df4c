from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from articles.importing import import_file


class Command(BaseCommand):
    help = "Import (or update) the articles in seeds/ through the cleaner. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--folder", type=Path, default=settings.BASE_DIR / "seeds")

    def handle(self, *args, folder: Path, **options):
        paths = sorted(folder.glob("*.txt"))
        if not paths:
            self.stderr.write(f"No .txt seeds in {folder}")
            return
        for path in paths:
            article, outcome = import_file(path, key_root=folder.parent)
            self.stdout.write(f"{outcome:>9}  {article.title}  ({path.name})")
