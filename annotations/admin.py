from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from .anchoring import Anchor, quote_at
from .models import Annotation


class DetachedFilter(admin.SimpleListFilter):
    title = "anchoring"
    parameter_name = "anchoring"

    def lookups(self, request, model_admin):
        return [("detached", "Detached (text removed)"), ("approximate", "Approximate")]

    def queryset(self, request, queryset):
        if self.value() == "detached":
            return queryset.filter(start_block__isnull=True)
        if self.value() == "approximate":
            return queryset.filter(approximate=True)
        return queryset


class ReattachForm(forms.Form):
    block = forms.TypedChoiceField(coerce=int, label="Paragraph")
    words = forms.CharField(label="Words to attach it to", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, blocks, **kwargs):
        super().__init__(*args, **kwargs)
        self.blocks = blocks
        self.fields["block"].choices = [
            (b.position, f"¶{b.position} {b.text[:80]}") for b in blocks
        ]

    def clean(self):
        data = super().clean()
        block = next((b for b in self.blocks if b.position == data.get("block")), None)
        words = data.get("words", "")
        if block is None or not words.strip():
            return data
        count = block.text.count(words)
        if count == 0:
            raise forms.ValidationError(
                "Those words are not in that paragraph: copy them from the text exactly."
            )
        if count > 1:
            raise forms.ValidationError(
                "Those words appear more than once in that paragraph: select a longer passage."
            )
        data["anchor_block"], data["start"] = block, block.text.index(words)
        return data


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "visibility", "author", "article", "approximate", "created"]
    list_filter = [DetachedFilter, "label", "visibility", "hidden"]
    search_fields = ["exact", "note", "author__username"]
    list_select_related = ["author", "article"]
    raw_id_fields = ["author", "start_block", "end_block", "classroom", "assignment"]
    readonly_fields = ["submission_key", "anchored_revision", "created", "updated"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/reattach/",
                self.admin_site.admin_view(self.reattach),
                name="annotations_annotation_reattach",
            ),
            *super().get_urls(),
        ]

    def reattach(self, request, pk):
        """Give a detached highlight new words to stand on."""
        annotation = get_object_or_404(Annotation.objects.select_related("article"), pk=pk)
        if not self.has_change_permission(request, annotation):
            raise PermissionDenied
        blocks = list(annotation.article.blocks.order_by("position"))
        form = ReattachForm(
            request.POST or None, blocks=blocks, initial={"words": annotation.exact}
        )
        if request.method == "POST" and form.is_valid():
            block, start = form.cleaned_data["anchor_block"], form.cleaned_data["start"]
            index = blocks.index(block)
            anchor = Anchor(index, start, index, start + len(form.cleaned_data["words"]))
            quote = quote_at([b.text for b in blocks], anchor)
            annotation.start_block = annotation.end_block = block
            annotation.start_offset, annotation.end_offset = anchor.start_offset, anchor.end_offset
            annotation.exact, annotation.prefix, annotation.suffix = (
                quote.exact,
                quote.prefix,
                quote.suffix,
            )
            annotation.anchored_revision, annotation.approximate = block.revision, False
            annotation.save()
            annotation.article.touch()
            self.message_user(request, f"Re-attached to ¶{block.position}.", messages.SUCCESS)
            return redirect(reverse("admin:annotations_annotation_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "annotation": annotation,
            "form": form,
            "opts": self.model._meta,
            "title": "Re-attach a highlight",
        }
        return render(request, "admin/annotations/reattach.html", context)
