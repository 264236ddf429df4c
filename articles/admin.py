from django import forms
from django.contrib import admin, messages
from django.db import models

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


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "source_name", "author", "published_display", "updated"]
    list_filter = ["status", "source_name", "article_type"]
    search_fields = ["title", "standfirst", "author"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["import_key", "word_count", "created", "updated"]
    inlines = [BlockInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "standfirst"]}),
        (
            "Attribution",
            {"fields": ATTRIBUTION_FIELDS},
        ),
        (
            "Import",
            {"classes": ["collapse"], "fields": ["import_key", "word_count", "created", "updated"]},
        ),
    ]

    @admin.display(description="Published")
    def published_display(self, article: Article) -> str:
        return article.published_display or "—"

    @admin.action(description="Publish selected articles")
    def publish(self, request, queryset):
        count = queryset.update(status=Article.Status.PUBLISHED)
        self.message_user(request, f"{count} article(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        count = queryset.update(status=Article.Status.DRAFT)
        self.message_user(request, f"{count} article(s) hidden as drafts.", messages.SUCCESS)

    def get_urls(self):
        from .import_admin import urls

        return urls(self) + super().get_urls()

    actions = ["publish", "unpublish", "archive"]

    @admin.action(description="Archive (off the home page; kept for its annotators)")
    def archive(self, request, queryset):
        count = queryset.update(status=Article.Status.ARCHIVED)
        self.message_user(request, f"{count} article(s) archived.", messages.SUCCESS)

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
