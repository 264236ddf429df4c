from django.contrib import admin

from .models import Annotation


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "author", "article", "created"]
    list_filter = ["label"]
    search_fields = ["exact", "note", "author__username"]
    list_select_related = ["author", "article"]
    raw_id_fields = ["author", "start_block", "end_block"]
    readonly_fields = ["submission_key", "created", "updated"]
