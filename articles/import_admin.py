"""The admin's "Import article": paste or upload, preview and correct, then save as a draft.

Nothing is kept between the two steps but the preview form itself: every field and every line
(kept or left out) travels in it, and saving validates all of it again.
"""

import calendar
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .admin import ATTRIBUTION_FIELDS
from .cleaning import PartialDate, normalize_text
from .extraction import (
    MAX_BYTES,
    MAX_SIZE_LABEL,
    OUTSIDE_REASON,
    Draft,
    ImportRejected,
    Row,
    draft_from_paste,
    draft_from_upload,
)
from .importing import DuplicateArticle, import_draft, same_article
from .models import Article, Block

# Each line costs up to four POST fields; Django refuses a request of more than 1,000 fields
# (DATA_UPLOAD_MAX_NUMBER_FIELDS), so a preview stays well under that.
MAX_ROWS = 230


def urls(model_admin: admin.ModelAdmin) -> list:
    """The import URLs, for `ArticleAdmin.get_urls`."""
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "import/",
            wrap(partial(import_article, model_admin=model_admin)),
            name="articles_article_import",
        ),
        path(
            "import/preview/",
            wrap(partial(import_preview, model_admin=model_admin)),
            name="articles_article_import_preview",
        ),
    ]


# --------------------------------------------------------------------------- forms


class ImportForm(forms.Form):
    text = forms.CharField(
        label="Paste the article",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
        help_text="Everything from the article's page: title, byline, date and text. "
        "Menus, share buttons and captions are left out for you.",
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text=f"A .txt, .md or .html file (a saved web page), at most {MAX_SIZE_LABEL}.",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.html,.htm"}),
    )

    draft: Draft | None = None

    def clean(self):
        text, upload = self.cleaned_data.get("text") or "", self.cleaned_data.get("file")
        if self.errors:  # e.g. Django's own "The submitted file is empty."
            return self.cleaned_data
        if upload and text.strip():
            raise forms.ValidationError("Paste the text or upload a file, not both.")
        if not upload and not text.strip():
            if text:
                self.add_error("text", "Nothing to import: the pasted text is empty.")
                return self.cleaned_data
            raise forms.ValidationError("Paste the article's text, or choose a file to upload.")
        try:
            if upload:
                if upload.size > MAX_BYTES:  # before reading it into memory
                    raise ImportRejected(f"{upload.name} is larger than {MAX_SIZE_LABEL}.")
                draft = draft_from_upload(upload.name, upload.read())
            else:
                draft = draft_from_paste(text)
            if len(draft.blocks) > MAX_ROWS:
                raise ImportRejected(
                    f"This article has {len(draft.blocks)} paragraphs and headings, more than "
                    f"the preview can show ({MAX_ROWS}). Import it with "
                    "`manage.py import_articles` instead."
                )
            self.draft = draft
        except ImportRejected as rejected:
            self.add_error("file" if upload else "text", str(rejected))
        return self.cleaned_data


def _field_max(name: str) -> int:
    return Article._meta.get_field(name).max_length


def _text_input() -> forms.TextInput:
    return forms.TextInput(attrs={"class": "vTextField"})


class ArticleFieldsForm(forms.Form):
    """The article's fields as detected, for the curator to correct."""

    title = forms.CharField(max_length=_field_max("title"), widget=_text_input())
    standfirst = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
    )
    author = forms.CharField(required=False, max_length=_field_max("author"), widget=_text_input())
    source_name = forms.CharField(
        label="Source", required=False, max_length=_field_max("source_name"), widget=_text_input()
    )
    source_url = forms.URLField(
        label="Source URL",
        required=False,
        max_length=_field_max("source_url"),
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )
    article_type = forms.CharField(
        label="Type", required=False, max_length=_field_max("article_type"), widget=_text_input()
    )
    published_day = forms.IntegerField(label="Day", required=False, min_value=1, max_value=31)
    published_month = forms.TypedChoiceField(
        label="Month",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *((m, calendar.month_name[m]) for m in range(1, 13))],
    )
    published_year = forms.IntegerField(
        label="Year", required=False, min_value=1000, max_value=2999
    )

    fieldsets = [
        (None, {"fields": ["title", "standfirst"]}),
        (
            "Attribution",
            {
                "fields": ATTRIBUTION_FIELDS,
                "description": "Publication date: leave out what the page does not say.",
            },
        ),
    ]

    def clean(self):
        data = super().clean()
        day, month, year = (data.get(f"published_{p}") for p in ("day", "month", "year"))
        if day and not month:
            self.add_error("published_month", "A day needs a month.")
        elif day and month and day > calendar.monthrange(year or 2000, month)[1]:
            # Without a year allow 29 February, as the cleaner does.
            self.add_error("published_day", f"{calendar.month_name[month]} has no day {day}.")
        return data

    def published(self) -> PartialDate | None:
        parts = [self.cleaned_data.get(f"published_{p}") for p in ("year", "month", "day")]
        return PartialDate(*parts) if any(parts) else None


class RowForm(forms.Form):
    """One line of the article: kept or not, heading or paragraph."""

    include = forms.BooleanField(label="Keep", required=False)
    kind = forms.ChoiceField(label="Kind", choices=Block.Kind.choices)
    text = forms.CharField(widget=forms.HiddenInput)
    # Why the importer left the line out; "" for article text. Shown, never trusted for more.
    reason = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        line = f"line {int(self.prefix.rsplit('-', 1)[-1]) + 1}" if self.prefix else "line"
        self.fields["include"].widget.attrs["aria-label"] = f"Keep {line}"
        self.fields["kind"].widget.attrs["aria-label"] = f"Kind of {line}"

    def clean_text(self) -> str:
        # One block is one line of text, whatever came back in the hidden field.
        text = normalize_text(self.cleaned_data["text"])
        if not text:
            raise forms.ValidationError("This line is empty.")
        return text


class BaseRowFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f.cleaned_data for f in self.forms if f.cleaned_data.get("include")]
        if not any(row["kind"] == Block.Kind.PARAGRAPH for row in kept):
            raise forms.ValidationError("Keep at least one paragraph.")

    def rows(self) -> tuple[Row, ...]:
        return tuple(
            Row(
                kind=f.cleaned_data["kind"],
                text=f.cleaned_data["text"],
                include=f.cleaned_data["include"],
                reason=f.cleaned_data["reason"],
            )
            for f in self.forms
        )


RowFormSet = forms.formset_factory(
    RowForm,
    formset=BaseRowFormSet,
    extra=0,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)
ROWS_PREFIX = "rows"


# --------------------------------------------------------------------------- views


def import_article(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """Step 1: paste or upload; a good input is answered with its preview."""
    _check_permission(request, model_admin)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid() and form.draft is not None:
            fields, rows, left_out = _preview_forms(form.draft)
            return _preview(request, model_admin, fields, rows, left_out)
    else:
        form = ImportForm()
    context = {
        **_context(request, model_admin, "Import article"),
        "adminform": helpers.AdminForm(form, [(None, {"fields": ["text", "file"]})], {}),
        "form": form,
    }
    return TemplateResponse(request, "admin/articles/import_article.html", context)


def import_preview(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """Step 2: the corrected preview comes back; save it as a draft or show what is wrong."""
    _check_permission(request, model_admin)
    if request.method != "POST":
        return redirect("admin:articles_article_import")
    fields = ArticleFieldsForm(request.POST)
    rows = RowFormSet(request.POST, prefix=ROWS_PREFIX)
    if fields.is_valid() and rows.is_valid():
        data = fields.cleaned_data
        draft = Draft(
            title=data["title"],
            standfirst=data["standfirst"],
            author=data["author"],
            published=fields.published(),
            source=data["source_name"],
            source_url=data["source_url"],
            article_type=data["article_type"],
            rows=rows.rows(),
        )
        try:
            article, _ = import_draft(draft, import_key=None, status=Article.Status.DRAFT)
        except DuplicateArticle as duplicate:
            fields.add_error("title", _duplicate_message(duplicate.article))
        except ImportRejected as rejected:
            fields.add_error(None, str(rejected))
        else:
            return _saved(request, model_admin, article)
    return _preview(request, model_admin, fields, rows)


def _check_permission(request: HttpRequest, model_admin: admin.ModelAdmin) -> None:
    # admin_view has already sent anyone who is not active staff to the login page.
    if not model_admin.has_add_permission(request):
        raise PermissionDenied


def _preview_forms(draft: Draft) -> tuple[ArticleFieldsForm, BaseRowFormSet, int]:
    """Unbound preview forms holding the draft, and how many rows did not fit."""
    date = draft.published or PartialDate(None, None, None)
    fields = ArticleFieldsForm(
        initial={
            "title": draft.title,
            "standfirst": draft.standfirst,
            "author": draft.author,
            "source_name": draft.source,
            "source_url": draft.source_url,
            "article_type": draft.article_type,
            "published_day": date.day,
            "published_month": date.month,
            "published_year": date.year,
        }
    )
    fitted = _fit(draft.rows)
    rows = RowFormSet(
        initial=[
            {"include": r.include, "kind": r.kind, "text": r.text, "reason": r.reason}
            for r in fitted
        ],
        prefix=ROWS_PREFIX,
    )
    return fields, rows, len(draft.rows) - len(fitted)


def _fit(rows: tuple[Row, ...]) -> list[Row]:
    """At most MAX_ROWS rows: page text from outside the article goes first, then other drops."""
    fitted = list(rows)
    for droppable in (lambda r: r.reason == OUTSIDE_REASON, lambda r: not r.include):
        excess = len(fitted) - MAX_ROWS
        if excess <= 0:
            break
        # The last ones go: footers and "more from" lists matter least.
        candidates = [i for i, row in enumerate(fitted) if droppable(row)]
        gone = set(candidates[-excess:])
        fitted = [row for i, row in enumerate(fitted) if i not in gone]
    return fitted


def _preview(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    fields: ArticleFieldsForm,
    rows: BaseRowFormSet,
    left_out: int = 0,
) -> TemplateResponse:
    kept, dropped = [], []
    for form in rows.forms:
        (dropped if form["reason"].value() else kept).append(form)
    title = fields["title"].value() or ""
    source = fields["source_name"].value() or ""
    existing = same_article(title, source) if title and not fields.is_bound else None
    context = {
        **_context(request, model_admin, "Preview import"),
        "adminform": helpers.AdminForm(fields, ArticleFieldsForm.fieldsets, {}),
        "fields": fields,
        "rows": rows,
        "kept": kept,
        "dropped": dropped,
        "left_out": left_out,
        "existing": existing,
        "existing_url": _change_url(existing) if existing else "",
        "errors": fields.errors or rows.non_form_errors() or any(rows.errors),
    }
    return TemplateResponse(request, "admin/articles/import_preview.html", context)


def _saved(
    request: HttpRequest, model_admin: admin.ModelAdmin, article: Article
) -> HttpResponseRedirect:
    model_admin.log_addition(request, article, [{"added": {}}])
    model_admin.message_user(
        request,
        format_html(
            "Imported “{}” as a draft with {} blocks. "
            '<a href="{}">Preview it</a> as readers will see it once published.',
            article.title,
            article.blocks.count(),
            article.get_absolute_url(),
        ),
        messages.SUCCESS,
    )
    return HttpResponseRedirect(_change_url(article))


def _duplicate_message(article: Article) -> str:
    return format_html(
        'An article with this title and source already exists: <a href="{}">{}</a>. '
        "Change the title, or edit that article instead.",
        _change_url(article),
        article.title,
    )


def _change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def _context(request: HttpRequest, model_admin: admin.ModelAdmin, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Article._meta,
        "title": title,
        "has_view_permission": model_admin.has_view_permission(request),
    }
