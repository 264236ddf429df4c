"""What happened to my highlights and replies while I was away."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST, require_safe

from .models import Notification


def unread_count(request: HttpRequest) -> dict:
    """Context processor: the header's unread badge (one indexed count, signed-in only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: htmx fragments and live updates have no header, so they never pay for the count.
    count = SimpleLazyObject(lambda: Notification.objects.for_user(user).unread().count())
    return {"unread_notifications": count}


@require_safe
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_user(request.user).select_related(
        "actor", "annotation__article", "reply", "link__evidence"
    )[:100]
    return render(request, "annotations/notification_list.html", {"notifications": notifications})


@require_POST
@login_required
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Open one: it is read, and the reader lands on the reply or link it is about."""
    notification = get_object_or_404(
        Notification.objects.for_user(request.user).select_related("annotation"), pk=pk
    )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(notification.get_absolute_url())


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.for_user(request.user).unread().update(read_at=timezone.now())
    return redirect("annotations:inbox")
