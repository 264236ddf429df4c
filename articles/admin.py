from django import forms
from django.contrib import admin, messages
from django.db import models

from .models import Article, Block


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
    actions = ["publish", "unpublish"]
    inlines = [BlockInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "standfirst"]}),
        (
            "Attribution",
            {
                "fields": [
                    "author",
                    "source_name",
                    "source_url",
                    "article_type",
                    ("published_day", "published_month", "published_year"),
                ]
            },
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.refresh_word_count()
