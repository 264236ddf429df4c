from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Label
from annotations.views import reader_context

from .models import Article


def home(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().annotate(annotation_count=Count("annotations"))
    return render(request, "articles/article_list.html", {"articles": articles})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.published(), slug=slug)
    context = reader_context(request, article)
    context["labels"] = Label
    return render(request, "articles/article_detail.html", context)
