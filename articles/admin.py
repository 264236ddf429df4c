from django import forms
from django.contrib import admin, messages
from django.db import DatabaseError, models
from django.utils import timezone
from django.utils.html import format_html

from .models import Article, Block

# Shared with the import preview, so both forms read alike.
ATTRIBUTION_FIELDS = [
    "author",
    "source_name",
    "source_url",
    "article_type",
    ("published_day", "published_month", "published_year"),
]


class BlockInline(admin.TabularInline):
    model = Block
    extra = 0
    fields = ["position", "kind", "text"]
    ordering = ["position"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 90})}
    }


def conflict_message(current: Article, editor) -> str:
    """What a curator is told when someone saved the article after they opened the form."""
    if current.edited_by is None:
        who = "A re-import of its source"
    elif current.edited_by.pk == getattr(editor, "pk", None):
        who = "You (in another tab or window)"
    else:
        name = current.edited_by.get_full_name() or current.edited_by.get_username()
        who = f"Someone else ({name})"
    at = timezone.localtime(current.updated)
    return format_html(
        "{} saved this article at {} on {} ({}), after you opened it. Your changes were not "
        "saved: copy them from this form, "
        '<a href="" target="_blank" rel="noopener">open the current version in a new tab</a> '
        "(or reload this page), and apply them again.",
        who,
        f"{at:%H:%M:%S}",
        f"{at.day} {at:%B %Y}",
        timezone.get_current_timezone_name(),
    )


class ArticleForm(forms.ModelForm):
    # The version the form was opened at. Saving over a newer one would silently undo
    # someone else's edit, so clean() refuses it.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    editor = None  # the curator saving; set per request by ArticleAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            return data
        # The admin runs the whole POST in one transaction: the row stays locked until this
        # save commits, so no other save can land between this check and ours.
        current = self.instance.lock()
        if data.get("opened_version") is None:
            raise forms.ValidationError(
                "This form does not say which version of the article it was opened at, so "
                "saving it could overwrite someone else’s changes. Reload the page and apply "
                "your changes again.",
                code="stale",
            )
        if data["opened_version"] != current.version:
            raise forms.ValidationError(conflict_message(current, self.editor), code="stale")
        return data


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ["title", "status", "source_name", "author", "published_display", "updated"]
    list_filter = ["status", "source_name", "article_type"]
    search_fields = ["title", "standfirst", "author"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["import_key", "word_count", "version", "edited_by", "created", "updated"]
    inlines = [BlockInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "standfirst", "opened_version"]}),
        (
            "Attribution",
            {"fields": ATTRIBUTION_FIELDS},
        ),
        (
            "Import",
            {
                "classes": ["collapse"],
                "fields": [
                    "import_key",
                    "word_count",
                    ("version", "edited_by"),
                    "created",
                    "updated",
                ],
            },
        ),
    ]

    @admin.display(description="Published")
    def published_display(self, article: Article) -> str:
        return article.published_display or "—"

    @admin.action(description="Publish selected articles")
    def publish(self, request, queryset):
        count = queryset.set_status(Article.Status.PUBLISHED, request.user)
        self.message_user(request, f"{count} article(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        count = queryset.set_status(Article.Status.DRAFT, request.user)
        self.message_user(request, f"{count} article(s) hidden as drafts.", messages.SUCCESS)

    def get_urls(self):
        from .import_admin import urls

        return urls(self) + super().get_urls()

    actions = ["publish", "unpublish", "archive"]

    @admin.action(description="Archive (off the home page; kept for its annotators)")
    def archive(self, request, queryset):
        count = queryset.set_status(Article.Status.ARCHIVED, request.user)
        self.message_user(request, f"{count} article(s) archived.", messages.SUCCESS)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.editor = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        if change and not obj.claim_version(form.cleaned_data["opened_version"], request.user):
            # Unreachable while clean() holds the row: rather a failed save than a lost edit.
            raise DatabaseError(f"Article {obj.pk} changed between the version check and save.")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Highlights follow the text: snapshot before the blocks change, re-anchor after,
        # all in the admin's transaction.
        from annotations.editing import snapshot, text_edited

        before = snapshot(form.instance) if change else None
        super().save_related(request, form, formsets, change)
        form.instance.refresh_word_count()
        if before is not None:
            outcome = text_edited(form.instance, before, request.user)
            if any(outcome.values()):
                self.message_user(
                    request,
                    "Highlights re-anchored: {kept} kept, {moved} moved, {approximate} "
                    "approximate, {detached} detached.".format(**outcome),
                    messages.WARNING if outcome["detached"] else messages.INFO,
                )
