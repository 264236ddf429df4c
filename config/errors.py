"""Error answers that explain themselves: refused writes, and a database that is down."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults

CSRF_MESSAGE = (
    "Your session’s security token was missing or out of date, so nothing was saved. "
    "Reload the page and try again."
)
DATABASE_DOWN_MESSAGE = (
    "Gloss can’t reach its database right now. Nothing was saved; try again in a minute."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused write explains itself in words a reader understands."""
    if request.headers.get("HX-Request"):
        return HttpResponse(CSRF_MESSAGE, status=403, content_type="text/plain; charset=utf-8")
    return render(request, "403_csrf.html", {"message": CSRF_MESSAGE}, status=403)


def _database_unreachable(error: BaseException | None) -> bool:
    # The outage may surface wrapped (raised while handling the first failure): follow the chain.
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def server_error(request: HttpRequest) -> HttpResponseBase:
    """Django's 500, except that an unreachable database answers 503 without touching it.

    handler500 runs inside Django's `except` block, so the exception is in sys.exc_info():
    unlike a middleware's process_exception, this also sees failures in middleware (a session
    read, a session save) and in context processors, not only in views.
    """
    if not _database_unreachable(sys.exc_info()[1]):
        return defaults.server_error(request)
    if request.headers.get("HX-Request"):
        response = HttpResponse(
            DATABASE_DOWN_MESSAGE, status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        # No request: no context processors, so no unread count and no request.user, which
        # would each ask the database that just failed.
        page = render_to_string("503.html", {"message": DATABASE_DOWN_MESSAGE})
        response = HttpResponse(page, status=503)
    # Most outages are a restart or a failover: a client that retries may soon succeed.
    response["Retry-After"] = "30"
    return response
