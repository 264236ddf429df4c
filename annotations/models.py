from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from articles.models import Article, Block

from .anchoring import Anchor, quote_at

NOTE_MAX_LENGTH = 2000
QUOTE_MAX_LENGTH = 5000


class Label(models.TextChoices):
    CLAIM = "claim", "Claim"
    EVIDENCE = "evidence", "Evidence"
    OPINION = "opinion", "Opinion"


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What `user` may see. Every page, fragment and count goes through here."""
        # All annotations are public until classrooms add private and class-only ones.
        return self

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(author=user)

    def create_at(
        self,
        *,
        article: Article,
        author,
        blocks: list[Block],
        anchor: Anchor,
        label: str,
        note: str = "",
        submission_key=None,
    ) -> "Annotation":
        """Store an annotation at a resolved anchor with its quote and context."""
        quote = quote_at([b.text for b in blocks], anchor)
        return self.create(
            article=article,
            author=author,
            start_block=blocks[anchor.start_block],
            start_offset=anchor.start_offset,
            end_block=blocks[anchor.end_block],
            end_offset=anchor.end_offset,
            exact=quote.exact,
            prefix=quote.prefix,
            suffix=quote.suffix,
            label=label,
            note=note.strip(),
            submission_key=submission_key,
        )

    def in_document_order(self):
        return self.order_by(
            "start_block__position", "start_offset", "end_block__position", "end_offset", "id"
        )


class Annotation(models.Model):
    """A labelled highlight: W3C TextPosition (block + offset) and TextQuote selectors."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations"
    )
    # Offsets count Unicode code points of the block's text; end is exclusive.
    # A deleted block leaves the annotation detached (null) rather than losing it.
    start_block = models.ForeignKey(Block, on_delete=models.SET_NULL, null=True, related_name="+")
    start_offset = models.PositiveIntegerField()
    end_block = models.ForeignKey(Block, on_delete=models.SET_NULL, null=True, related_name="+")
    end_offset = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=20, choices=Label)
    note = models.TextField(blank=True)
    # Sent by the client once per selection: a double click or a retried request repeats it.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(start_offset__gte=0) & Q(end_offset__gte=0),
                name="annotation_offsets_non_negative",
            ),
            # Across blocks the order depends on block positions, which the view checks;
            # within one block the database holds it too.
            models.CheckConstraint(
                condition=~Q(start_block=F("end_block")) | Q(start_offset__lt=F("end_offset")),
                name="annotation_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(label__in=Label.values), name="annotation_label_valid"
            ),
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="annotation_submission_once",
            ),
        ]
        indexes = [models.Index(fields=["article", "start_block"])]

    def __str__(self) -> str:
        return f"{self.get_label_display()}: {self.exact[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", args=[self.article.slug]) + f"#annotation-{self.pk}"
