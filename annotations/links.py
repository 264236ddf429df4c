"""Evidence linked to claims: the picker, linking and unlinking, and an article's debate map."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from articles.models import Article, Block

from .models import (
    JUSTIFICATION_MAX_LENGTH,
    Annotation,
    EvidenceLink,
    Label,
    LinkRelation,
    Notification,
)
from .views import _changed, _first_error

# The picker is a list to choose from, not a search engine: a search narrows it down.
PICKER_LIMIT = 40
CLAIM_GONE = "That claim no longer exists."
RELATION_ERRORS = {
    "required": "Choose Supports, Refutes or Qualifies.",
    "invalid_choice": "Choose Supports, Refutes or Qualifies.",
}
DUPLICATE = "This evidence is already linked to that claim."


def _linkable_claims(user) -> QuerySet[Annotation]:
    """Every annotation `user` may see on a published article: the form checks the label."""
    return (
        Annotation.objects.visible_to(user).live().filter(article__in=Article.objects.published())
    )


class LinkForm(forms.Form):
    claim = forms.IntegerField(error_messages={"required": CLAIM_GONE, "invalid": CLAIM_GONE})
    relation = forms.ChoiceField(choices=LinkRelation.choices, error_messages=RELATION_ERRORS)
    justification = forms.CharField(
        label="Justification",
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        error_messages={
            "max_length": f"Keep the justification to {JUSTIFICATION_MAX_LENGTH} characters "
            "or fewer."
        },
    )

    def __init__(self, *args, evidence: Annotation, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence = evidence
        self.user = user

    def clean_claim(self) -> Annotation:
        claim = (
            _linkable_claims(self.user)
            .select_related("article", "author", "start_block")
            .filter(pk=self.cleaned_data["claim"])
            .first()
        )
        if claim is None:
            raise forms.ValidationError(CLAIM_GONE)
        if claim.pk == self.evidence.pk:
            raise forms.ValidationError("Evidence can’t be linked to itself: choose a claim.")
        if claim.label != Label.CLAIM:
            raise forms.ValidationError("You can only link evidence to a claim.")
        return claim

    def clean(self):
        data = super().clean()
        claim = data.get("claim")
        if claim and EvidenceLink.objects.filter(evidence=self.evidence, claim=claim).exists():
            raise forms.ValidationError(DUPLICATE)
        return data


def _own_evidence(request: HttpRequest, pk: int) -> Annotation:
    # Someone else's highlight, or one that is not evidence, looks exactly like a missing one.
    return get_object_or_404(
        Annotation.objects.visible_to(request.user)
        .owned_by(request.user)
        .filter(label=Label.EVIDENCE)
        .select_related("article", "author", "start_block"),
        pk=pk,
    )


def picker_claims(user, evidence: Annotation, q: str) -> list[Annotation]:
    """Claims to link `evidence` to: its own article's first, in reading order, then the rest."""
    claims = _linkable_claims(user).filter(label=Label.CLAIM).exclude(pk=evidence.pk)
    if q:
        claims = claims.filter(Q(exact__icontains=q) | Q(article__title__icontains=q))
    existing = EvidenceLink.objects.filter(evidence=evidence, claim=OuterRef("pk"))
    return list(
        claims.select_related("article", "author", "start_block")
        .annotate(
            elsewhere=Case(
                When(article=evidence.article_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            linked_as=Subquery(existing.values("relation")[:1]),
        )
        .order_by(
            "elsewhere", "article__title", "article_id", "start_block__position", "start_offset"
        )[: PICKER_LIMIT + 1]
    )


@require_http_methods(["GET", "POST"])
@login_required
def picker(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: claims to link this evidence to. POST: link it to one of them."""
    evidence = _own_evidence(request, pk)
    # PostgreSQL refuses NUL in a text parameter (a 500): nobody searches for one.
    q = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    if request.method == "POST":
        form = LinkForm(request.POST, evidence=evidence, user=request.user)
        if form.is_valid():
            return _link(request, evidence, form.cleaned_data)
        claim = form.cleaned_data.get("claim")
        return _refuse_link(request, evidence, claim, q, _first_error(form))
    context = _picker_context(request, evidence, q)
    template = "annotations/link_picker.html"
    if request.htmx:
        # The search box asks for the results only; the card's button for the whole picker.
        results = request.htmx.target == f"link-results-{evidence.pk}"
        template += "#link-results" if results else "#link-picker"
    return render(request, template, context)


def _picker_context(request: HttpRequest, evidence: Annotation, q: str, **extra) -> dict:
    claims = picker_claims(request.user, evidence, q)
    return {
        "evidence": evidence,
        "claims": claims[:PICKER_LIMIT],
        "more": len(claims) > PICKER_LIMIT,
        "q": q,
        "relations": LinkRelation,
        "max_justification": JUSTIFICATION_MAX_LENGTH,
        **extra,
    }


def _refuse_link(
    request: HttpRequest, evidence: Annotation, claim: Annotation | None, q: str, message: str
) -> HttpResponse:
    """The form again, with what was typed and the error where it is seen; nothing stored."""
    values = {
        "relation": request.POST.get("relation", ""),
        "justification": request.POST.get("justification", ""),
    }
    if request.htmx:
        context = {
            "evidence": evidence,
            "claim": claim,
            "error": message,
            "values": values,
            "relations": LinkRelation,
            "max_justification": JUSTIFICATION_MAX_LENGTH,
        }
        return render(request, "annotations/link_picker.html#link-form", context, status=422)
    context = _picker_context(request, evidence, q, error=message, values=values)
    context["error_claim_id"] = claim.pk if claim else None
    context["error_inline"] = claim is not None and any(c.pk == claim.pk for c in context["claims"])
    return render(request, "annotations/link_picker.html", context, status=422)


def _link(request: HttpRequest, evidence: Annotation, data: dict) -> HttpResponse:
    claim = data["claim"]
    try:
        with transaction.atomic():
            link = EvidenceLink.objects.create(
                evidence=evidence,
                claim=claim,
                relation=data["relation"],
                justification=data["justification"].strip(),
                author=request.user,
            )
            Notification.for_link(link)
    except IntegrityError:
        # A double click raced us: the other request stored the link. Answer as for a duplicate.
        if not EvidenceLink.objects.filter(evidence=evidence, claim=claim).exists():
            raise
        return _refuse_link(request, evidence, claim, "", DUPLICATE)
    # Live readers of both articles hear of it: _changed records it on the evidence's own.
    if claim.article_id != evidence.article_id:
        claim.article.touch()
    if not request.htmx:
        evidence.article.touch()
        return redirect(evidence.get_absolute_url())
    if _on_picker_page(request, evidence):
        # No margin on that page to update: go and see the link on the evidence's card.
        evidence.article.touch()
        return HttpResponseClientRedirect(evidence.get_absolute_url())
    return _changed(request, evidence.article, set(), "linkCreated", evidence.pk)


def _on_picker_page(request: HttpRequest, evidence: Annotation) -> bool:
    """An htmx request sent from the picker's own page rather than from a card."""
    page = urlsplit(request.htmx.current_url_abs_path or "").path
    return page == reverse("links:picker", args=[evidence.pk])


@require_POST
@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Unlink: only the link's author may, anyone else finds nothing here."""
    link = get_object_or_404(
        EvidenceLink.objects.visible_to(request.user)
        .filter(author=request.user)
        .select_related("evidence__article", "claim__article"),
        pk=pk,
    )
    # The card the button was on decides which article's margin comes back.
    card = link.claim if request.POST.get("card") == str(link.claim_id) else link.evidence
    link.delete()
    # As for linking: _changed records it on the card's article, this on the other end's.
    for end in {link.evidence.article, link.claim.article} - {card.article}:
        end.touch()
    if not request.htmx:
        card.article.touch()
        return redirect(card.get_absolute_url())
    return _changed(request, card.article, set(), "linkDeleted", card.pk)


# ---- The debate map ----


@dataclass
class MapClaim:
    claim: Annotation
    supports: list[EvidenceLink] = field(default_factory=list)
    refutes: list[EvidenceLink] = field(default_factory=list)
    qualifies: list[EvidenceLink] = field(default_factory=list)

    @property
    def unsupported(self) -> bool:
        """No evidence at all, for or against."""
        return not (self.supports or self.refutes or self.qualifies)


@dataclass
class MapParagraph:
    block: Block | None  # None: claims whose paragraph was deleted
    claims: list[MapClaim] = field(default_factory=list)


@dataclass
class DebateMap:
    paragraphs: list[MapParagraph]
    opinions: list[Annotation]
    unlinked_evidence: list[Annotation]
    # Evidence here that bears only on claims in other articles.
    evidence_elsewhere: list[Annotation]
    linked_evidence_count: int

    @property
    def claim_count(self) -> int:
        return sum(len(p.claims) for p in self.paragraphs)

    @property
    def unsupported_count(self) -> int:
        return sum(c.unsupported for p in self.paragraphs for c in p.claims)

    @property
    def evidence_count(self) -> int:
        return len(self.unlinked_evidence) + self.linked_evidence_count


def debate_map_of(annotations: list[Annotation], article: Article) -> DebateMap:
    """Group an article's annotations (in document order, links prefetched) for the map."""
    paragraphs: dict[int | None, MapParagraph] = {}
    opinions, unlinked, elsewhere = [], [], []
    linked = 0
    for annotation in annotations:
        if annotation.label == Label.CLAIM:
            entry = MapClaim(annotation)
            for link in annotation.evidence_links.all():
                getattr(entry, link.relation).append(link)
            paragraph = paragraphs.setdefault(
                annotation.start_block_id, MapParagraph(annotation.start_block)
            )
            paragraph.claims.append(entry)
        elif annotation.label == Label.OPINION:
            opinions.append(annotation)
        else:
            links = annotation.claim_links.all()
            if not links:
                unlinked.append(annotation)
                continue
            linked += 1
            if all(link.claim.article_id != article.pk for link in links):
                elsewhere.append(annotation)
    ordered = [p for key, p in paragraphs.items() if key is not None]
    if None in paragraphs:
        ordered.append(paragraphs[None])
    return DebateMap(ordered, opinions, unlinked, elsewhere, linked)


@require_safe
def debate_map(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    # One query for the annotations with their thread counts, one for each side of the links.
    annotations = list(
        # A deleted highlight's placeholder holds a thread, not a claim: it has no place here.
        Annotation.objects.for_reader(request.user)
        .live()
        .filter(article=article)
        .in_document_order()
    )
    context = {"article": article, "map": debate_map_of(annotations, article)}
    return render(request, "annotations/debate_map.html", context)
