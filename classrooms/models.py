import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.urls import reverse

# No 0/O, 1/I/L: codes are read aloud and copied from a board.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
NOT_STARTED, IN_PROGRESS, DONE = "not started", "in progress", "done"


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ClassroomQuerySet(models.QuerySet):
    def of(self, user):
        """Classes `user` belongs to, in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def taught_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Membership.Role.TEACHER)


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    join_code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_join_code)
    # Students see classmates as "Student 1, Student 2…"; teachers always see names.
    anonymous_students = models.BooleanField(
        "show students to each other as numbers", default=False
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("classrooms:detail", args=[self.pk])

    @property
    def visibility_value(self) -> str:
        """How the composer names "visible to this class"."""
        return f"class:{self.pk}"

    def rotate_code(self) -> None:
        """A new join code; the old one stops working at once."""
        for _ in range(5):
            self.join_code = new_join_code()
            try:
                with transaction.atomic():
                    self.save(update_fields=["join_code"])
                return
            except IntegrityError:
                continue
        raise RuntimeError("Could not find a free join code")

    def role_of(self, user) -> str | None:
        if not user.is_authenticated:
            return None
        membership = self.memberships.filter(user=user).first()
        return membership.role if membership else None

    def is_teacher(self, user) -> bool:
        return self.role_of(user) == Membership.Role.TEACHER

    @transaction.atomic
    def add_member(self, user, role: str) -> "Membership":
        """Join (or change role); students get a stable number for anonymous mode."""
        membership = self.memberships.select_for_update().filter(user=user).first()
        if membership:
            if membership.role != role and role == Membership.Role.TEACHER:
                membership.role = role
                membership.save(update_fields=["role"])
            return membership
        number = (self.memberships.aggregate(n=Max("number"))["n"] or 0) + 1
        return self.memberships.create(user=user, role=role, number=number)


class Membership(models.Model):
    class Role(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        STUDENT = "student", "Student"

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role)
    # Stable within the class: "Student 3" stays Student 3.
    number = models.PositiveIntegerField()
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "joined", "id"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "user"], name="membership_once"),
            models.UniqueConstraint(fields=["classroom", "number"], name="membership_number_once"),
            models.CheckConstraint(
                condition=Q(role__in=["teacher", "student"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.classroom}"


class Assignment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="assignments"
    )
    instructions = models.TextField(blank=True)
    due = models.DateTimeField(null=True, blank=True)
    # Students see classmates' highlights only after posting this many of their own (0: always).
    reveal_after = models.PositiveSmallIntegerField(default=0)
    # "Done" means at least these many highlights and replies of one's own.
    min_annotations = models.PositiveSmallIntegerField(default=3)
    min_replies = models.PositiveSmallIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "-created"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "article"], name="assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article} for {self.classroom}"

    def get_absolute_url(self) -> str:
        return reverse("classrooms:assignment", args=[self.pk])

    def status_for(self, annotations: int, replies: int) -> str:
        """Not started / in progress / done, by this assignment's minimums."""
        if not (annotations or replies):
            return NOT_STARTED
        if annotations >= self.min_annotations and replies >= self.min_replies:
            return DONE
        return IN_PROGRESS


FLAG_REASON_MAX_LENGTH = 300


class Flag(models.Model):
    """A reader asks the class's teachers to look at a highlight or reply."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    annotation = models.ForeignKey(
        "annotations.Annotation", on_delete=models.CASCADE, related_name="flags"
    )
    reply = models.ForeignKey(
        "annotations.Reply",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
    )
    reason = models.CharField(max_length=FLAG_REASON_MAX_LENGTH)
    created = models.DateTimeField(auto_now_add=True)
    handled = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "annotation"],
                condition=Q(reply__isnull=True),
                name="flag_annotation_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "reply"],
                condition=Q(reply__isnull=False),
                name="flag_reply_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Flag by {self.reporter} on {self.reply_id or self.annotation_id}"


class ModerationAction(models.Model):
    """The log: who hid, restored or dismissed what, and when."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hid"
        RESTORE = "restore", "Restored"
        DISMISS = "dismiss", "Dismissed the flags on"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action)
    annotation = models.ForeignKey(
        "annotations.Annotation", on_delete=models.CASCADE, related_name="moderation_log"
    )
    reply = models.ForeignKey(
        "annotations.Reply", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.moderator} {self.action} {self.reply_id or self.annotation_id}"
