"""Clients for the load benchmark's data (the `make_bench` fixture)."""

from django.conf import settings
from django.test import Client


def client_of(bench: dict, who: str = "") -> Client:
    """A client signed in as the bench's "student" or "teacher" (anonymous for "")."""
    client = Client()
    if who:
        client.cookies[settings.SESSION_COOKIE_NAME] = bench["sessions"][who]
    return client
