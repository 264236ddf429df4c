from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Import (or update) the articles in seeds/ through the cleaner. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--folder", type=Path, default=settings.BASE_DIR / "seeds")

    def handle(self, *args, folder: Path, **options):
        paths = sorted(folder.glob("*.txt"))
        if not paths:
            self.stderr.write(f"No .txt seeds in {folder}")
            return
        # Seeds are published, and keyed "seeds/<name>" wherever the folder is.
        call_command(
            "import_articles",
            *paths,
            publish=True,
            key_root=folder.parent,
            stdout=self.stdout,
            stderr=self.stderr,
        )
