import uuid

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.timezone import now

from articles.models import Article, Block
from config.reversing import reverse_pk

from .anchoring import Anchor, quote_at

NOTE_MAX_LENGTH = 2000
QUOTE_MAX_LENGTH = 5000


class Label(models.TextChoices):
    CLAIM = "claim", "Claim"
    EVIDENCE = "evidence", "Evidence"
    OPINION = "opinion", "Opinion"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Only me"
    CLASS = "class", "My class"
    PUBLIC = "public", "Everyone"
    # A teacher's answer key: the class sees it once the assignment is due.
    KEY = "key", "Answer key"


def visibility_q(user, prefix: str = "") -> Q:
    """The one visibility rule, as a condition on annotations (reached through `prefix`).

    Public ones (unless a teacher hid them) to everyone; class ones to that class's members
    (unless hidden); everything in a class but private notes to its teachers, hidden included;
    and your own, always.
    """
    from classrooms.models import Membership  # classrooms builds on annotations

    def on(**conditions):
        return Q(**{prefix + name: value for name, value in conditions.items()})

    public = on(visibility=Visibility.PUBLIC, hidden=False)
    if not user.is_authenticated:
        return public
    member_of = Membership.objects.filter(user=user).values("classroom")
    teacher_of = member_of.filter(role=Membership.Role.TEACHER)
    if user.is_staff and user.has_perm("annotations.change_annotation"):
        # Moderators see public content they or teachers hid, to restore it.
        public = on(visibility=Visibility.PUBLIC)
    return (
        public
        | on(author=user)
        | on(visibility=Visibility.CLASS, hidden=False, classroom__in=member_of)
        | on(visibility=Visibility.KEY, classroom__in=member_of, assignment__due__lt=now())
        | (on(classroom__in=teacher_of) & ~on(visibility=Visibility.PRIVATE))
    )


def _count(rows: models.QuerySet) -> Coalesce:
    """COUNT(*) of `rows` (correlated to the outer annotation) as a scalar subquery."""
    counted = rows.order_by().values("annotation").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What `user` may see. Every page, fragment, count and export goes through here."""
        return self.filter(visibility_q(user))

    def owned_by(self, user):
        """What `user` may edit or delete: a deleted highlight's placeholder is nobody's."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(author=user, deleted_at__isnull=True)

    def live(self):
        """Not deleted: what counts, links and maps consider (placeholders only hold threads)."""
        return self.filter(deleted_at__isnull=True)

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
        visibility: str = "public",
        classroom_id: int | None = None,
        assignment_id: int | None = None,
    ) -> "Annotation":
        """Store an annotation at a resolved anchor with its quote and context."""
        quote = quote_at([b.text for b in blocks], anchor)
        return self.create(
            article=article,
            author=author,
            anchored_revision=blocks[anchor.start_block].revision,
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
            visibility=visibility,
            classroom_id=classroom_id,
            assignment_id=assignment_id,
        )

    def for_reader(self, user):
        """Cards as `user` sees them: authors, anchors, thread counts and links, batched.

        A link shows where both ends may be seen (EvidenceLink.visible_to); the card's end is
        visible already, so each prefetch checks the other end only: the rule is the costliest
        condition to build and to plan.
        """
        links = EvidenceLink.objects.all()
        return (
            self.visible_to(user)
            .select_related("author", "start_block", "end_block", "classroom")
            .with_debate_summary(user)
            .prefetch_related(
                Prefetch(
                    "evidence_links",
                    queryset=links.filter(visibility_q(user, "evidence__")).select_related(
                        "evidence__author", "evidence__article", "evidence__start_block"
                    ),
                ),
                Prefetch(
                    "claim_links",
                    queryset=links.filter(visibility_q(user, "claim__")).select_related(
                        "claim__author", "claim__article", "claim__start_block"
                    ),
                ),
            )
        )

    def with_debate_summary(self, user):
        """Reply, stance and helpful counts, and whether `user` found it helpful: no N+1.

        Each count is a subquery on its foreign key's index. Joining replies and votes and
        counting DISTINCT made PostgreSQL hash every reply of every article on each page view
        (EXPLAIN: a sequential scan of annotations_reply, 39 ms at 500 highlights), so the cost
        grew with the whole site instead of with the article.
        """
        live = Reply.objects.filter(annotation=OuterRef("pk"), deleted=False, hidden=False)
        voted = HelpfulVote.objects.filter(annotation=OuterRef("pk"), voter=user.pk or 0)
        return self.annotate(
            reply_count=_count(live),
            agree_count=_count(live.filter(stance="agree")),
            disagree_count=_count(live.filter(stance="disagree")),
            question_count=_count(live.filter(stance="question")),
            helpful_count=_count(HelpfulVote.objects.filter(annotation=OuterRef("pk"))),
            helpful_mine=Exists(voted),
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
    # The start block's revision this anchor was made (or last re-anchored) against, and
    # whether re-anchoring had to settle for a close but not exact match.
    anchored_revision = models.PositiveIntegerField(default=1)
    approximate = models.BooleanField(default=False)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=20, choices=Label)
    note = models.TextField(blank=True)
    # Sent by the client once per selection: a double click or a retried request repeats it.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    # The author closes the debate (and may reopen it).
    resolved = models.BooleanField(default=False)
    visibility = models.CharField(max_length=20, choices=Visibility, default=Visibility.PUBLIC)
    # The class it was written in: required for class-only, kept for public ones written for
    # an assignment (the teacher's dashboard counts them), never set on private notes.
    classroom = models.ForeignKey(
        "classrooms.Classroom",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="annotations",
    )
    # A teacher hid it: its author and the class's teachers still see it, marked hidden.
    hidden = models.BooleanField(default=False)
    # Written while reading an assignment (answer keys are revealed by its due date).
    assignment = models.ForeignKey(
        "classrooms.Assignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="annotations",
    )
    # Deleted by its author while others had replied: a placeholder holding the thread, its
    # words (note, quote and context) erased. Without replies it is deleted outright.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Stable identity across databases: the W3C export's id, the import's key.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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
            # A deleted highlight keeps only its paragraph: an empty range at its start.
            models.CheckConstraint(
                condition=~Q(start_block=F("end_block"))
                | Q(start_offset__lt=F("end_offset"))
                | Q(deleted_at__isnull=False),
                name="annotation_start_before_end",
            ),
            # The author asked for their words to go: the database holds none of them.
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True)
                | Q(exact="", prefix="", suffix="", note="", submission_key__isnull=True),
                name="annotation_deleted_is_blank",
            ),
            # A deleted highlight's placeholder keeps no label, as a deleted reply no stance.
            models.CheckConstraint(
                condition=Q(label__in=Label.values) | Q(label="", deleted_at__isnull=False),
                name="annotation_label_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="annotation_visibility_valid"
            ),
            models.CheckConstraint(
                condition=~Q(visibility__in=[Visibility.CLASS, Visibility.KEY])
                | Q(classroom__isnull=False),
                name="annotation_class_needs_a_class",
            ),
            models.CheckConstraint(
                condition=~Q(visibility=Visibility.KEY) | Q(assignment__isnull=False),
                name="annotation_key_needs_an_assignment",
            ),
            models.CheckConstraint(
                condition=~Q(visibility=Visibility.PRIVATE) | Q(classroom__isnull=True),
                name="annotation_private_has_no_class",
            ),
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="annotation_submission_once",
            ),
        ]
        indexes = [models.Index(fields=["article", "start_block"])]

    def __str__(self) -> str:
        if self.deleted_at:
            return "Deleted highlight"
        return f"{self.get_label_display()}: {self.exact[:60]}"

    def get_absolute_url(self) -> str:
        """The permalink: the article scrolled to this highlight with its thread open."""
        return reverse_pk("annotations:card", self.pk)

    @transaction.atomic  # the reply, its notifications and the live counter: all or none
    def reply(self, author, body: str, stance: str = "", parent=None, submission_key=None):
        """Add a reply to this annotation's thread."""
        reply = Reply.objects.create(
            annotation=self,
            author=author,
            body=body,
            stance=stance or "",
            parent=parent,
            submission_key=submission_key,
        )
        Notification.for_reply(reply)
        self.article.touch()
        return reply

    @transaction.atomic
    def remove(self) -> None:
        """Delete; a highlight others replied to stays as a placeholder so the thread holds.

        The placeholder keeps its paragraph (where the thread sits in the margin) but not the
        words: note, quote, context and exact offsets are erased, and so is everything that
        was about those words (links, helpful votes, flags on the highlight itself).
        """
        article = self.article
        # Cards and maps in the articles its links reach show its words too.
        linked = self.linked_articles()
        if not self.replies.exists():
            self.delete()
            article.touch()
            for other in linked:
                other.touch()
            return
        from classrooms.models import Flag  # classrooms builds on annotations

        self.exact = self.prefix = self.suffix = self.note = self.label = ""
        self.end_block = self.start_block
        self.start_offset = self.end_offset = 0
        # A retried "create" or a teacher's deterministic discussion key must not find it.
        self.submission_key = None
        self.approximate = False
        self.deleted_at = now()
        self.save()
        EvidenceLink.objects.filter(Q(evidence=self) | Q(claim=self)).delete()
        HelpfulVote.objects.filter(annotation=self).delete()
        Flag.objects.filter(annotation=self, reply__isnull=True).delete()
        Notification.objects.filter(annotation=self, reply__isnull=True).delete()
        article.touch()
        for other in linked:
            other.touch()

    def linked_articles(self) -> list[Article]:
        """Other articles holding an end of one of this highlight's links."""
        ends = EvidenceLink.objects.filter(Q(evidence=self) | Q(claim=self))
        pks = {
            pk for pair in ends.values_list("evidence__article", "claim__article") for pk in pair
        }
        pks.discard(self.article_id)
        return list(Article.objects.filter(pk__in=pks)) if pks else []

    def set_resolved(self, resolved: bool) -> None:
        self.resolved = resolved
        self.save(update_fields=["resolved", "updated"])
        self.article.touch()

    @property
    def stance_summary(self) -> str:
        """ "3 agree · 1 disagree · 2 questions" from with_debate_summary() counts."""
        parts = []
        for count, one, many in [
            (getattr(self, "agree_count", 0), "agree", "agree"),
            (getattr(self, "disagree_count", 0), "disagree", "disagree"),
            (getattr(self, "question_count", 0), "question", "questions"),
        ]:
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        return " · ".join(parts)


REPLY_MAX_LENGTH = 5000
JUSTIFICATION_MAX_LENGTH = 200


class Stance(models.TextChoices):
    AGREE = "agree", "Agree"
    DISAGREE = "disagree", "Disagree"
    QUESTION = "question", "Question"


class ReplyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Replies of the annotations `user` may see, less replies a teacher hid.

        A hidden reply stays visible to its author and to the class's teachers.
        """
        from classrooms.models import Membership

        # The rule on the joined annotation, not `annotation__in=<every visible annotation>`:
        # PostgreSQL hashed that subquery over the whole site's annotations on every read.
        replies = self.filter(visibility_q(user, "annotation__"))
        if not user.is_authenticated:
            return replies.filter(hidden=False)
        if user.is_staff and user.has_perm("annotations.change_annotation"):
            return replies
        teacher_of = Membership.objects.filter(user=user, role=Membership.Role.TEACHER)
        return replies.filter(
            Q(hidden=False)
            | Q(author=user)
            | Q(annotation__classroom__in=teacher_of.values("classroom"))
        )

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(author=user, deleted=False)


class Reply(models.Model):
    """A message in an annotation's thread; `parent` makes replies to replies a tree."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="replies")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    stance = models.CharField(max_length=20, choices=Stance, blank=True)
    # Set when the question this reply asks is answered by another reply of the thread.
    answered_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    # A deleted reply that has answers stays as a placeholder so the thread holds together.
    deleted = models.BooleanField(default=False)
    # A teacher hid it: its author and the class's teachers still see it, marked hidden.
    hidden = models.BooleanField(default=False)
    edited = models.BooleanField(default=False)
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "replies"
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__in=["", *Stance.values]), name="reply_stance_valid"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="reply_not_its_own_parent"),
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="reply_submission_once",
            ),
        ]
        indexes = [models.Index(fields=["annotation", "created"])]

    def __str__(self) -> str:
        return f"Reply by {self.author} on {self.annotation_id}"

    def edit(self, body: str) -> None:
        self.body, self.edited = body, True
        self.save(update_fields=["body", "edited", "updated"])
        self.annotation.article.touch()

    def remove(self) -> None:
        """Delete; a reply others answered stays as a placeholder so the thread holds."""
        article = self.annotation.article
        if self.children.exists():
            self.body, self.deleted, self.stance = "", True, ""
            self.save(update_fields=["body", "deleted", "stance", "updated"])
        else:
            self.delete()
            # A deleted highlight's placeholder exists for its thread: with none left, it goes.
            Annotation.objects.filter(
                pk=self.annotation_id, deleted_at__isnull=False, replies__isnull=True
            ).delete()
        article.touch()

    def mark_answered(self, answer: "Reply | None") -> None:
        self.answered_by = answer
        self.save(update_fields=["answered_by", "updated"])
        self.annotation.article.touch()


class LinkRelation(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    QUALIFIES = "qualifies", "Qualifies"


class EvidenceLinkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A link shows only where both its ends may be seen.

        The rule on each joined end, so the cost follows the links read, not the whole site's
        annotations (as `evidence__in=<every visible annotation>` made it).
        """
        return self.filter(visibility_q(user, "evidence__"), visibility_q(user, "claim__"))


class EvidenceLink(models.Model):
    """Evidence bearing on a claim, possibly in another article."""

    evidence = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="claim_links")
    claim = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="evidence_links")
    relation = models.CharField(max_length=20, choices=LinkRelation)
    justification = models.CharField(max_length=JUSTIFICATION_MAX_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence_links"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = EvidenceLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "claim"], name="link_once_per_pair"),
            models.CheckConstraint(condition=~Q(evidence=F("claim")), name="link_not_to_itself"),
            models.CheckConstraint(
                condition=Q(relation__in=LinkRelation.values), name="link_relation_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.relation} {self.claim_id}"


class HelpfulVote(models.Model):
    """One "helpful" per person per annotation or reply."""

    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helpful_votes"
    )
    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )
    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(annotation__isnull=False, reply__isnull=True)
                | Q(annotation__isnull=True, reply__isnull=False),
                name="vote_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["voter", "annotation"],
                condition=Q(annotation__isnull=False),
                name="vote_once_per_annotation",
            ),
            models.UniqueConstraint(
                fields=["voter", "reply"],
                condition=Q(reply__isnull=False),
                name="vote_once_per_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter} found {self.annotation_id or self.reply_id} helpful"

    @classmethod
    def toggle(cls, voter, target: "Annotation | Reply") -> bool:
        """Vote, or take the vote back; True when the vote now stands."""
        field = "annotation" if isinstance(target, Annotation) else "reply"
        removed, _ = cls.objects.filter(voter=voter, **{field: target}).delete()
        if not removed:
            try:
                with transaction.atomic():
                    cls.objects.create(voter=voter, **{field: target})
            except IntegrityError:
                pass  # a double click: the first vote stands
        article = target.article if field == "annotation" else target.annotation.article
        article.touch()
        return not removed


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user, annotation__in=Annotation.objects.visible_to(user))

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Someone answered me, or brought evidence to my claim."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        LINK = "link", "Evidence linked"
        FLAG = "flag", "Flagged"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind)
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="+")
    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        EvidenceLink, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["reply", "link", "flag"]), name="notification_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"

    def get_absolute_url(self) -> str:
        url = self.annotation.get_absolute_url()
        return f"{url}?reply={self.reply_id}" if self.reply_id else url

    @classmethod
    def for_reply(cls, reply: Reply) -> None:
        """Tell the highlight's author and the person answered (never the replier)."""
        # Whoever deleted the highlight has left the conversation.
        recipients = set() if reply.annotation.deleted_at else {reply.annotation.author_id}
        if reply.parent_id:
            recipients.add(reply.parent.author_id)
        recipients.discard(reply.author_id)
        cls.objects.bulk_create(
            cls(
                recipient_id=r,
                actor_id=reply.author_id,
                kind=cls.Kind.REPLY,
                annotation_id=reply.annotation_id,
                reply=reply,
            )
            for r in recipients
        )

    @classmethod
    def for_link(cls, link: EvidenceLink) -> None:
        """Tell a claim's author that evidence now bears on it."""
        if link.claim.author_id != link.author_id:
            cls.objects.create(
                recipient_id=link.claim.author_id,
                actor_id=link.author_id,
                kind=cls.Kind.LINK,
                annotation_id=link.claim_id,
                link=link,
            )
