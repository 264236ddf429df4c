from django.core.cache import caches
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from annotations.models import Label, visibility_q
from annotations.views import reader_context
from classrooms.scope import Scope

from .models import Article

# Anonymous readers share a rendering of the page for at most this long (see shared_reading).
SHARED_SECONDS = 300


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Counts obey the visibility rule too: a private note is not even a number to others.
    articles = Article.objects.published().annotate(
        annotation_count=Count(
            "annotations",
            # A deleted highlight's placeholder (kept for its thread) is no highlight.
            filter=visibility_q(request.user, "annotations__")
            & Q(annotations__deleted_at__isnull=True),
            distinct=True,
        )
    )
    return render(request, "articles/article_list.html", {"articles": articles})


@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    if not request.user.is_authenticated and not request.GET:
        context = {"article": article, "scope": Scope(), "labels": Label, "key_result": None}
        context["shared"] = shared_reading(request, article)
        context["counts"] = context["shared"]["counts"]
        return render(request, "articles/article_detail.html", context)
    # A permalink (?thread=<id>) opens that highlight's thread in its card.
    context = reader_context(request, article)
    return render(request, "articles/article_detail.html", context)


def shared_reading(request: HttpRequest, article: Article) -> dict:
    """The text and margin every anonymous reader sees, rendered once per change (per process).

    A popular public article is read by many more people than write on it; this spares each
    of them rendering every card. The key holds the article's activity counter (bumped by
    every write that changes what the page shows), so only the cards' "5 minutes ago" can be
    behind, by SHARED_SECONDS at most. Nothing in these fragments depends on the reader:
    anonymous cards carry no forms.
    """
    key = f"reading:{article.pk}:{article.created.timestamp()}:{article.activity}"
    fragments = caches["fragments"]
    shared = fragments.get(key)
    if shared is None:
        context = reader_context(request, article)
        page = "articles/article_detail.html"
        shared = {
            "text": render_to_string(f"{page}#article-text", context, request),
            "margin": render_to_string(f"{page}#margin-body", context, request),
            "counts": context["counts"],
        }
        fragments.set(key, shared, SHARED_SECONDS)
    return shared
