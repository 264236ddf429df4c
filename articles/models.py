import calendar
import math

from django.core.cache import caches
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

WORDS_PER_MINUTE = 230


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """On the home page and offered for new assignments."""
        return self.filter(status=Article.Status.PUBLISHED)

    def readable_by(self, user):
        """Published ones; archived ones for the people who annotated them; all for curators.

        Curators read drafts exactly as readers will see them.
        """
        if user.is_authenticated and user.is_staff and user.has_perm("articles.change_article"):
            return self
        readable = Q(status=Article.Status.PUBLISHED)
        if user.is_authenticated:
            annotated = Article.objects.filter(
                status=Article.Status.ARCHIVED, annotations__author=user
            ).values("pk")
            readable |= Q(pk__in=annotated)
        return self.filter(readable)

    def set_status(self, status: str, editor=None) -> int:
        """Publish, unpublish or archive in bulk: a new version, so open edit forms are stale."""
        return self.update(status=status, **Article.next_version(editor))


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    standfirst = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(blank=True)
    # A page may give "Feb 27" with no year: store what is known, never invent the rest.
    published_year = models.PositiveSmallIntegerField(null=True, blank=True)
    published_month = models.PositiveSmallIntegerField(null=True, blank=True)
    published_day = models.PositiveSmallIntegerField(null=True, blank=True)
    article_type = models.CharField("type", max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, db_index=True)
    # Where an import came from (e.g. "seeds/name.txt"); re-importing it updates this article.
    import_key = models.CharField(max_length=300, unique=True, null=True, blank=True)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by every write to the article's annotations, threads and links: a live reader
    # asks "anything newer than N?" and gets a one-row answer.
    activity = models.PositiveBigIntegerField(default=0, editable=False)
    # Bumped by every save of the article or its blocks (admin, bulk actions, re-imports).
    # An edit form carries the version it was opened at, and a save from an older one is
    # refused: two curators editing at once never overwrite each other without knowing.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Who made the current version (nobody for a re-import), named when a save is refused.
    edited_by = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_month__isnull=True)
                | Q(published_month__gte=1, published_month__lte=12),
                name="article_month_in_range",
            ),
            models.CheckConstraint(
                condition=Q(published_day__isnull=True)
                | Q(published_day__gte=1, published_day__lte=31),
                name="article_day_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "archived"]),
                name="article_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # Moved only by UPDATE … SET n = n + 1 (touch, claim_version): a save() of an instance
    # read a moment earlier must not write an older number back over a newer one.
    COUNTERS = ("activity", "version")

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNTERS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", args=[self.slug])

    @property
    def published_display(self) -> str:
        """The publication date as far as it is known: "27 Feb", "12 November 2024", "2019"."""
        parts = []
        if self.published_day:
            parts.append(str(self.published_day))
        if self.published_month:
            months = calendar.month_name if self.published_year else calendar.month_abbr
            parts.append(months[self.published_month])
        if self.published_year:
            parts.append(str(self.published_year))
        return " ".join(parts)

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    def count_words(self) -> int:
        return sum(len(b.text.split()) for b in self.blocks.all())

    def refresh_word_count(self) -> None:
        self.word_count = self.count_words()
        Article.objects.filter(pk=self.pk).update(word_count=self.word_count)

    @transaction.atomic
    def replace_blocks(self, blocks: list[tuple[str, str]], editor=None) -> bool:
        """Make the article's blocks exactly `blocks` [(kind, text)]; True if anything changed.

        Highlights on changed text are re-anchored in the same transaction.
        """
        from annotations.editing import snapshot, text_edited  # annotations build on articles

        current = list(self.blocks.order_by("position"))
        if [(b.kind, b.text) for b in current] == list(blocks):
            return False
        before = snapshot(self)
        # Update in place where a position still exists so annotations keep their blocks.
        for position, (kind, text) in enumerate(blocks, start=1):
            if position <= len(current):
                block = current[position - 1]
                if (block.kind, block.text) != (kind, text):
                    block.kind, block.text = kind, text
                    block.save(update_fields=["kind", "text"])
            else:
                self.blocks.create(position=position, kind=kind, text=text)
        self.blocks.filter(position__gt=len(blocks)).delete()
        self.refresh_word_count()
        text_edited(self, before, editor, match_by_text=True)
        self.bump_version(editor)
        return True

    def touch(self) -> None:
        """Record that something on this article changed (atomic across processes)."""
        Article.objects.filter(pk=self.pk).update(activity=F("activity") + 1)
        # This process's readers see it at once; other processes' within LIVE_SECONDS.
        caches["versions"].delete(self.slug)

    @staticmethod
    def next_version(editor=None) -> dict:
        """The UPDATE that makes a new version: counted in the database, never read first."""
        return {"version": F("version") + 1, "edited_by": editor, "updated": timezone.now()}

    def bump_version(self, editor=None) -> None:
        Article.objects.filter(pk=self.pk).update(**self.next_version(editor))
        self.refresh_from_db(fields=["version", "edited_by", "updated"])

    def claim_version(self, opened: int, editor=None) -> bool:
        """Make the next version if it is still `opened`; False if someone saved since.

        One conditional UPDATE: of two saves racing from the same version only one matches
        (PostgreSQL re-reads the row after waiting for the other's lock).
        """
        moved = Article.objects.filter(pk=self.pk, version=opened).update(
            **self.next_version(editor)
        )
        if moved:
            self.refresh_from_db(fields=["version", "edited_by", "updated"])
        return bool(moved)

    def lock(self) -> "Article":
        """This article's row as committed now, locked until the transaction ends.

        SELECT … FOR UPDATE on PostgreSQL; SQLite has no row locks but lets one transaction
        write at a time (settings open them IMMEDIATE), which serializes saves just the same.
        No select_related: after waiting for the lock PostgreSQL returns the new row but keeps
        the joined rows it found before (edited_by would name the previous editor).
        """
        return Article.objects.select_for_update().get(pk=self.pk)

    @classmethod
    def unique_slug(cls, title: str, exclude_pk: int | None = None) -> str:
        base = slugify(title)[:100] or "article"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class Block(models.Model):
    class Kind(models.TextChoices):
        HEADING = "heading", "Heading"
        PARAGRAPH = "paragraph", "Paragraph"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="blocks")
    # 1-based; the page gives block n the id "p-n" so "see ¶12" links to it.
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.PARAGRAPH)
    text = models.TextField()
    # Bumped whenever the text changes; each earlier text is kept as a BlockRevision.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"],
                name="block_position_unique_per_article",
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="block_position_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["heading", "paragraph"]), name="block_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"¶{self.position} {self.text[:60]}"

    @property
    def anchor_id(self) -> str:
        return f"p-{self.position}"


class BlockRevision(models.Model):
    """A block's text as it was before an edit: who changed it, and when."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Block.Kind)
    text = models.TextField()
    edited_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["block", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["block", "number"], name="block_revision_once"),
        ]

    def __str__(self) -> str:
        return f"¶{self.block.position} r{self.number}"
