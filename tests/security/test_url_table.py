"""Every URL is in the permission table, and every cell of the table holds."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from zeal import zeal_ignore

from .permission_table import (
    ADMIN_CURATOR_GET,
    ADMIN_LOGIN,
    ADMIN_NAMESPACE,
    ADMIN_NON_STAFF,
    ADMIN_OPEN,
    ANONYMOUS,
    CURATOR,
    HOME,
    LOGIN,
    MARKERS,
    ROLES,
    TABLE,
    TEACHER,
    admin_kwargs,
    changed_tables,
    every_url,
    snapshot,
)

pytestmark = pytest.mark.django_db
WRONG_METHODS = ("GET", "POST", "PUT", "DELETE")


def _in_admin(name: str | None, route: str) -> bool:
    return (name or "").startswith(f"{ADMIN_NAMESPACE}:") or route.startswith("admin/")


def test_it_has_a_row_for_every_url():
    missing = [
        name or route
        for name, route, _ in every_url()
        if not _in_admin(name, route)
        if name not in TABLE
    ]
    assert missing == [], f"Add these URLs to tests/security/permission_table.py: {missing}"


def test_it_names_no_url_that_no_longer_exists():
    names = {name for name, _, _ in every_url()}
    assert sorted(set(TABLE) - names) == []


def test_it_finds_the_admin_and_its_custom_views():
    admin = {name for name, route, _ in every_url() if _in_admin(name, route)}
    # The import and re-attach views are ours: a family rule that missed them would be blind.
    assert {
        "admin:articles_article_import",
        "admin:articles_article_import_preview",
        "admin:annotations_annotation_reattach",
        "admin:articles_article_change",
    } <= admin


def client_as(world, role: str, **options) -> Client:
    client = Client(**options)
    if world.user(role) is not None:
        client.force_login(world.user(role))
    return client


def assert_status(response, expected, url: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    elif expected == HOME:
        assert response.status_code == 302
        assert response["Location"] == "/"
    else:
        assert response.status_code == expected, url


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


CELLS = [
    pytest.param(name, role, method, id=f"{name}-{role}-{method}")
    for name, rule in TABLE.items()
    for method in rule.methods
    for role in ROLES
    if not rule.matrix or role == CURATOR
]


@pytest.mark.parametrize(("name", "role", "method"), CELLS)
def test_it_answers_every_role_as_the_table_says(world, name, role, method):
    rule = TABLE[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    client = client_as(world, role)
    before = snapshot()
    if method == "GET":
        response = client.get(url, rule.query)
    else:
        response = client.post(url, rule.data(world))
    after = snapshot()
    expected = rule.expected(role, method)
    assert_status(response, expected, url)
    if role not in rule.allowed:
        assert changed_tables(before, after) == []
        assert not [m for m in MARKERS if m in body(response)]
    elif method == "GET":
        assert changed_tables(before, after) == [], "a GET never writes"
    elif rule.writes and role not in rule.no_write_for:
        # The positive control: the same request that others are refused does something.
        assert changed_tables(before, after) != []


METHOD_CELLS = [
    pytest.param(name, method, id=f"{name}-{method}")
    for name, rule in TABLE.items()
    # The view's decorator is an allow-list: the other of GET/POST, and one or two more.
    for method in [m for m in WRONG_METHODS if m not in rule.methods][:2]
]


@pytest.mark.parametrize(("name", "method"), METHOD_CELLS)
def test_it_answers_other_methods_with_405(world, name, method):
    rule = TABLE[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    # Someone allowed to use the URL, so the refusal is about the method alone.
    role = next(r for r in ROLES if r in rule.allowed)
    before = snapshot()
    response = client_as(world, role).generic(method, url, "")
    assert response.status_code == 405
    assert changed_tables(before, snapshot()) == []


def _admin_url(world, name: str | None, route: str, pattern: URLPattern) -> str:
    if name is None:
        # The admin's unnamed "object id → change page" redirects and its catch-all.
        path = re.sub(r"<(?:\w+:)?object_id>", str(world.article.pk), route)
        return "/" + (path if "(?P<url>" not in path else "admin/no-such-page/")
    params = list(pattern.pattern.converters) or list(pattern.pattern.regex.groupindex)
    return reverse(name, kwargs=admin_kwargs(world, name, params))


ADMIN_URLS = [(name, route, p) for name, route, p in every_url() if _in_admin(name, route)]
# To the admin every signed-in reader who is not staff is the same: the teacher stands for
# them all. POSTs go to the URLs that write.
ADMIN_WRITES = ("_add", "_change", "_delete", "import", "import_preview", "reattach", "logout")
ADMIN_CELLS = [
    pytest.param(name, route, p, role, method, id=f"{name or route}-{role}-{method}")
    for name, route, p in ADMIN_URLS
    for role, method in [
        (ANONYMOUS, "GET"),
        (TEACHER, "GET"),
        (CURATOR, "GET"),
        (ANONYMOUS, "POST"),
        (TEACHER, "POST"),
    ]
    if method == "GET" or (name or "").endswith(ADMIN_WRITES)
]


@pytest.mark.parametrize(("name", "route", "pattern", "role", "method"), ADMIN_CELLS)
def test_it_keeps_the_admin_for_staff(world, name, route, pattern, role, method):
    url = _admin_url(world, name, route, pattern)
    before = snapshot()
    client = client_as(world, role)
    # Django's own admin pages repeat queries (raw-id widgets): not ours to flag as N+1.
    with zeal_ignore():
        response = client.get(url) if method == "GET" else client.post(url, {"title": "Defaced"})
    if role == CURATOR:
        if name is None:
            expected = 404 if "(?P<url>" in route else 302
        else:
            expected = ADMIN_CURATOR_GET.get(name, 200)
        assert response.status_code == expected, url
    elif name in ADMIN_NON_STAFF:
        assert response.status_code == 302
        assert response["Location"] == ADMIN_NON_STAFF[name]
    elif name in ADMIN_OPEN:
        # The admin's sign-in form, and nothing else.
        assert response.status_code == 200
        assert 'name="password"' in body(response)
    else:
        assert_status(response, ADMIN_LOGIN, url)
    if role != CURATOR or method == "GET":
        assert changed_tables(before, snapshot()) == []
    if role != CURATOR:
        assert not [m for m in MARKERS if m in body(response)]
