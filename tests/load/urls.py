"""The app's URLs plus the benchmark's ceiling: a view that does nothing but pass the middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("", include("config.urls")),
]
