import uuid
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(moment: datetime) -> str:
    """ "just now" under a minute, then the largest unit: "5 minutes ago", "2 days ago"."""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


@register.filter
def markdown(text: str) -> str:
    """Notes and replies: Markdown, sanitized against an allowlist."""
    from annotations.markdown import render_markdown

    return render_markdown(text)


@register.simple_tag
def new_key() -> str:
    """A fresh submission key per rendered form: a double submit repeats it."""
    return str(uuid.uuid4())
