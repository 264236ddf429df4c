"""Every write needs the CSRF token and our own Origin; refused, it explains itself and
changes nothing. The control: with both, the same request goes through."""

import pytest
from django.test import Client
from django.urls import reverse
from zeal import zeal_ignore

from config.errors import CSRF_MESSAGE

from .permission_table import CURATOR, ROLES, TABLE, changed_tables, snapshot

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
EVIL = "https://evil.example"
OURS = "http://testserver"
POSTS = [name for name, rule in TABLE.items() if rule.posts]
# The admin is one family: its writes go through the same middleware.
ADMIN_POSTS = {
    "admin:articles_article_delete": lambda w: ({"object_id": w.article.pk}, {"post": "yes"}),
    "admin:articles_article_change": lambda w: ({"object_id": w.article.pk}, {"title": "X"}),
    "admin:annotations_annotation_delete": lambda w: (
        {"object_id": w.public.pk},
        {"post": "yes"},
    ),
    "admin:articles_article_import": lambda w: ({}, {"text": "Title\n\nA paragraph."}),
    "admin:auth_user_delete": lambda w: ({"object_id": w.user("student").pk}, {"post": "yes"}),
    "admin:logout": lambda w: ({}, {}),
}


def signed_in(world, role: str) -> tuple[Client, str]:
    """A browser that enforces CSRF like a real one, and the token its page gave it."""
    client = Client(enforce_csrf_checks=True)
    if world.user(role) is not None:
        client.force_login(world.user(role))
    client.get("/")  # the page sets the CSRF cookie, as base.html's hx-headers shows
    return client, client.cookies["csrftoken"].value


def request_for(world, name: str) -> tuple[str, str, dict]:
    """URL, role allowed to post there, and a valid body."""
    if name in ADMIN_POSTS:
        kwargs, data = ADMIN_POSTS[name](world)
        return reverse(name, kwargs=kwargs), CURATOR, data
    rule = TABLE[name]
    role = next(r for r in ROLES if r in rule.allowed)
    return reverse(name, kwargs=rule.kwargs(world)), role, rule.data(world)


CASES = ["no token", "no token, htmx", "foreign origin"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", [*POSTS, *ADMIN_POSTS])
def test_it_refuses_a_write_without_the_token_or_from_another_origin(world, name, case):
    url, role, data = request_for(world, name)
    client, token = signed_in(world, role)
    headers = dict(HTMX) if "htmx" in case else {}
    if "foreign origin" in case:
        data = {**data, "csrfmiddlewaretoken": token}
        headers["Origin"] = EVIL
    before = snapshot()
    response = client.post(url, data, headers=headers)
    assert response.status_code == 403
    assert CSRF_MESSAGE in response.content.decode()
    if "htmx" in case:
        # htmx shows a 4xx body only if told to: plain text it can put in a message.
        assert response["Content-Type"].startswith("text/plain")
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("name", [*POSTS, "admin:logout"])
def test_it_lets_the_same_write_through_with_the_token_from_our_origin(world, name):
    url, role, data = request_for(world, name)
    client, token = signed_in(world, role)
    before = snapshot()
    with zeal_ignore():  # the admin's sign-out is Django's page
        response = client.post(
            url, {**data, "csrfmiddlewaretoken": token}, headers={"Origin": OURS}
        )
    assert response.status_code != 403
    if name in TABLE:
        rule = TABLE[name]
        assert response.status_code == rule.methods["POST"]
        if rule.writes and role not in rule.no_write_for:
            assert changed_tables(before, snapshot()) != []
    else:
        # Signed out, and sent home (LOGOUT_REDIRECT_URL).
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
