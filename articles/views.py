from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import visibility_q
from annotations.views import reader_context

from .models import Article


def home(request: HttpRequest) -> HttpResponse:
    # Counts obey the visibility rule too: a private note is not even a number to others.
    articles = Article.objects.published().annotate(
        annotation_count=Count(
            "annotations", filter=visibility_q(request.user, "annotations__"), distinct=True
        )
    )
    return render(request, "articles/article_list.html", {"articles": articles})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.readable_by(request.user), slug=slug)
    # A permalink (?thread=<id>) opens that highlight's thread in its card.
    context = reader_context(request, article)
    return render(request, "articles/article_detail.html", context)
