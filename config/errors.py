from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CSRF_MESSAGE = (
    "Your session’s security token was missing or out of date, so nothing was saved. "
    "Reload the page and try again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused write explains itself in words a reader understands."""
    if request.headers.get("HX-Request"):
        return HttpResponse(CSRF_MESSAGE, status=403, content_type="text/plain; charset=utf-8")
    return render(request, "403_csrf.html", {"message": CSRF_MESSAGE}, status=403)
