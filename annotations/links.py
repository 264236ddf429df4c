"""Evidence linked to claims: the picker, linking and unlinking, and an article's debate map."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from articles.models import Article
from articles.views import SHARED_SECONDS

from .models import (
    JUSTIFICATION_MAX_LENGTH,
    Annotation,
    EvidenceLink,
    Label,
    LinkRelation,
    Notification,
    visibility_q,
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
    # Rows of _map_links: the evidence, on this claim.
    supports: list[dict] = field(default_factory=list)
    refutes: list[dict] = field(default_factory=list)
    qualifies: list[dict] = field(default_factory=list)

    @property
    def unsupported(self) -> bool:
        """No evidence at all, for or against."""
        return not (self.supports or self.refutes or self.qualifies)


@dataclass
class MapParagraph:
    position: int | None  # None: claims whose paragraph was deleted
    text: str
    claims: list[MapClaim] = field(default_factory=list)


@dataclass
class MapEvidence:
    evidence: Annotation
    # Rows of _map_links: every claim it bears on, here or in other articles.
    links: list[dict]


@dataclass
class DebateMap:
    paragraphs: list[MapParagraph]
    opinions: list[Annotation]
    unlinked_evidence: list[Annotation]
    # Evidence here that bears only on claims in other articles.
    evidence_elsewhere: list[MapEvidence]
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


def _author_name(prefix: str = "") -> Coalesce:
    """The name the map shows (first name, else username), computed by the database."""
    first_name = NullIf(f"{prefix}author__first_name", Value(""))
    return Coalesce(first_name, f"{prefix}author__username")


def _map_annotations(user, article: Article) -> list[Annotation]:
    """The article's live highlights `user` may see, in document order, with thread counts.

    The author's name and the paragraph come as columns, not as joined models: three model
    instances per highlight instead of one were a fifth of the map's time at 1,500.
    """
    return list(
        # A deleted highlight's placeholder holds a thread, not a claim: it has no place here.
        Annotation.objects.visible_to(user)
        .live()
        .filter(article=article)
        .only("exact", "label", "resolved")
        .annotate(
            author_name=_author_name(),
            position=F("start_block__position"),
            paragraph=F("start_block__text"),
        )
        .with_debate_summary(user)
        .in_document_order()
    )


def _map_links(user, article: Article) -> tuple[list[dict], list[dict]]:
    """The links on the article's live claims, and those from its live evidence, as rows.

    Each row describes the link's other end: its quote, author, article and paragraph. Two
    joins from the article's highlights rather than a prefetch: a Prefetch queryset is cloned
    for every highlight, its `__in` visibility subqueries with it (a quarter of the map's time
    at 1,500 highlights), and those subqueries read every visible highlight of the site. Links
    whose other end `user` may not see come too, marked `shown`: the shared map must know
    every article it depends on, even one whose evidence is hidden for now (see _shared_map).
    """
    links = EvidenceLink.objects.order_by("created", "id")

    def other_end(end: str) -> dict:
        return {
            "quote": F(f"{end}__exact"),
            "article_id": F(f"{end}__article_id"),
            "title": F(f"{end}__article__title"),
            "activity": F(f"{end}__article__activity"),
            "version": F(f"{end}__article__version"),
            "shown": ExpressionWrapper(visibility_q(user, f"{end}__"), BooleanField()),
        }

    on_claims = links.filter(
        visibility_q(user, "claim__"),
        claim__article=article,
        claim__label=Label.CLAIM,
        claim__deleted_at__isnull=True,
    ).values(
        "claim_id",
        "evidence_id",
        "relation",
        "justification",
        author_name=_author_name("evidence__"),
        position=F("evidence__start_block__position"),
        **other_end("evidence"),
    )
    from_evidence = links.filter(
        visibility_q(user, "evidence__"),
        evidence__article=article,
        evidence__label=Label.EVIDENCE,
        evidence__deleted_at__isnull=True,
    ).values("claim_id", "evidence_id", "relation", **other_end("claim"))
    return list(on_claims), list(from_evidence)


def debate_map_of(
    annotations: list[Annotation],
    on_claims: list[dict],
    from_evidence: list[dict],
    article: Article,
) -> DebateMap:
    """Group an article's annotations (in document order) and their links for the map."""
    evidence_links: dict[int, list[dict]] = {}
    for link in from_evidence:
        if link["shown"]:
            evidence_links.setdefault(link["evidence_id"], []).append(link)
    claims: dict[int, MapClaim] = {}
    paragraphs: dict[int | None, MapParagraph] = {}
    opinions, unlinked, elsewhere = [], [], []
    linked = 0
    for annotation in annotations:
        if annotation.label == Label.CLAIM:
            entry = claims[annotation.pk] = MapClaim(annotation)
            if annotation.position not in paragraphs:
                paragraph = MapParagraph(annotation.position, annotation.paragraph or "")
                paragraphs[annotation.position] = paragraph
            paragraphs[annotation.position].claims.append(entry)
        elif annotation.label == Label.OPINION:
            opinions.append(annotation)
        else:
            links = evidence_links.get(annotation.pk)
            if not links:
                unlinked.append(annotation)
                continue
            linked += 1
            if all(link["article_id"] != article.pk for link in links):
                for link in links:
                    link["relation_label"] = LinkRelation(link["relation"]).label
                elsewhere.append(MapEvidence(annotation, links))
    for link in on_claims:
        # A claim made between the two queries waits for the next rendering.
        if link["shown"] and link["claim_id"] in claims:
            getattr(claims[link["claim_id"]], link["relation"]).append(link)
    ordered = [p for key, p in paragraphs.items() if key is not None]
    if None in paragraphs:
        ordered.append(paragraphs[None])
    return DebateMap(ordered, opinions, unlinked, elsewhere, linked)


def _map_context(user, article: Article) -> dict:
    annotations = _map_annotations(user, article)
    on_claims, from_evidence = _map_links(user, article)
    # Every other article a link leads to, with its counters as this rendering saw them (the
    # earliest, should the two queries have seen one change in between).
    depends_on: dict[int, tuple[int, int]] = {}
    for link in [*on_claims, *from_evidence]:
        if link["article_id"] != article.pk:
            seen = (link["activity"], link["version"])
            depends_on[link["article_id"]] = min(depends_on.get(link["article_id"], seen), seen)
    return {
        "article": article,
        "map": debate_map_of(annotations, on_claims, from_evidence, article),
        "depends_on": depends_on,
    }


# Where debate_map.html leaves the shared map out: markup that no escaped text can contain.
MAP_SLOT = b"<!-- shared map -->"


@require_safe
def debate_map(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    template = "annotations/debate_map.html"
    if request.user.is_authenticated:
        return render(request, template, _map_context(request.user, article))
    # Only the page around the map is rendered per reader (its sign-in link, its CSRF token).
    # The map goes in as bytes: passed through the template, the 0.7 MB of a map of 1,500
    # highlights was copied at every level of nesting, encoded and unpickled, which made a
    # shared map cost three times the page around it.
    body = _shared_map(request, article)
    response = render(request, template, {"article": article, "shared": True})
    before, slot, after = response.content.partition(MAP_SLOT)
    if not slot:
        raise ImproperlyConfigured("debate_map.html lost its slot for the shared map.")
    response.content = b"".join([before, body, after])
    return response


def _shared_map(request: HttpRequest, article: Article) -> bytes:
    """The map every anonymous reader sees, rendered once per change (per process).

    As the article page's shared_reading: the entry holds the article's activity counter
    (bumped by every write that changes what readers see) and version (bumped by a curator's
    edit of its title or text). A link's other end may be in another article, whose changes
    (its evidence deleted, hidden or restored by a teacher, relabelled, its title edited) bump
    that article's counters and not this one's: the entry lists those articles with their
    counters, checked in one more query only for maps that have any. Nothing in the map
    depends on the reader beyond what they may see: no forms, no "mine", no relative times.
    """
    fragments = caches["fragments"]
    key = f"map:{article.pk}:{article.created.timestamp()}"
    entry = fragments.get(key)
    if entry is not None and entry["counters"] == (article.activity, article.version):
        others = entry["depends_on"]
        if not others or _counters(others) == others:
            return entry["html"]
    context = _map_context(request.user, article)
    html = render_to_string("annotations/debate_map.html#map-body", context, request).encode()
    entry = {
        "counters": (article.activity, article.version),
        "depends_on": context["depends_on"],
        "html": html,
    }
    fragments.set(key, entry, SHARED_SECONDS)
    return html


def _counters(pks) -> dict[int, tuple[int, int]]:
    rows = Article.objects.filter(pk__in=pks).values_list("pk", "activity", "version")
    return {pk: (activity, version) for pk, activity, version in rows}
