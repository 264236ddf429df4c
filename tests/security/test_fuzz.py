"""Hostile input at every form and query parameter: never a 5xx, never half a write.

Each endpoint gets random examples (hypothesis): every field valid, missing or replaced by
something nasty (lone surrogates, NUL, huge and negative numbers, 200 kB of text…), sent as
raw bytes so nothing is cleaned up on the way. Each example runs in a savepoint that is
rolled back, so examples cannot see each other's writes. After each one: a 4xx changed no row
at all; a 2xx/3xx left every row valid (a stored quote is the text at its stored offsets).
"""

import os
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import hypothesis
import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.anchoring import Anchor, quote_at
from annotations.models import NOTE_MAX_LENGTH, REPLY_MAX_LENGTH, Annotation, Reply
from articles.models import Article
from classrooms.models import Classroom, Flag

from .permission_table import ROLES, TABLE, changed_tables, every_url, snapshot

pytestmark = pytest.mark.django_db
# 43 endpoints × (6 fixed + this many random) examples: about 30 s per database on an idle
# machine. Hunt longer locally with GLOSS_FUZZ_EXAMPLES=500.
EXAMPLES = int(os.environ.get("GLOSS_FUZZ_EXAMPLES", "8"))
MISSING = object()
# What broke Gloss before (a 500 each): NUL on PostgreSQL, a digit int() cannot read.
ALWAYS = ["a\x00b", "\ud800", "²", "9" * 5000, "99999999999999999999", "x" * 200_000]

NASTY = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\ud800",  # a lone surrogate: not encodable as UTF-8, sent as its raw bytes
            "a\udfffb",
            "\x00",
            "note\x00with NUL",
            "-1",
            "-99999999999999999999",
            "99999999999999999999",
            "9" * 400,
            "9" * 5000,  # past int()'s 4,300-digit limit
            "1e309",
            "NaN",
            "0x10",
            "1.5",
            "²",  # a digit to str.isdigit(), not to int()
            "١٢",  # Arabic-Indic digits
            "class:-1",
            "class:²",
            "key",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "\u202e\u200b",
            "👩‍👩‍👧" * 20,
        ]
    ),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.lists(st.text(max_size=5), min_size=2, max_size=3),  # a field sent several times
    st.just("x" * 200_000),
)


def encode(data: dict) -> str:
    """application/x-www-form-urlencoded, byte for byte, lone surrogates included."""

    def one(value: str) -> str:
        return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")

    pairs = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{one(key)}={one(str(item))}")
    return "&".join(pairs)


@dataclass
class Endpoint:
    name: str
    method: str
    role: str
    fields: dict  # field -> World -> a valid value (POSTs: read from the table, fields_of)
    path: object = None  # World -> URL, for the GETs (POSTs take theirs from the table)


OPTIONAL = {
    "annotations:create": {"submission_key": lambda w: "", "open_threads": lambda w: ""},
    "annotations:annotate_block": {"submission_key": lambda w: "", "note": lambda w: "A note"},
    "annotations:reply": {
        "stance": lambda w: "agree",
        "parent": lambda w: w.reply.pk,
        "submission_key": lambda w: "",
    },
    "links:picker": {"justification": lambda w: "Because."},
    "classrooms:assignment_create": {"due": lambda w: "2030-01-01T10:00"},
}


def post_endpoints() -> list[Endpoint]:
    """Every POST in the table, by someone allowed to use it: its fields are read from the
    table's valid body once the world exists (see `fields_of`)."""
    return [
        Endpoint(name, "POST", next(r for r in ROLES if r in rule.allowed), {})
        for name, rule in TABLE.items()
        if rule.posts
    ]


def fields_of(world, endpoint: Endpoint) -> dict:
    if endpoint.method == "GET":
        return endpoint.fields
    valid = TABLE[endpoint.name].data(world)
    found = {key: (lambda w, key=key: TABLE[endpoint.name].data(w)[key]) for key in valid}
    return {**found, **OPTIONAL.get(endpoint.name, {})}


def _query(name, role, params, path=None):
    return Endpoint(name, "GET", role, params, path)


GET_ENDPOINTS = [
    _query(
        "articles:detail",
        "student",
        {
            "thread": lambda w: w.annotation.pk,
            "assignment": lambda w: w.assignment.pk,
            "author": lambda w: w.user("author").pk,
            "open_threads": lambda w: w.annotation.pk,
        },
        lambda w: f"/articles/{w.article.slug}/",
    ),
    _query(
        "articles:detail as the teacher",
        "teacher",
        {"assignment": lambda w: w.assignment.pk, "author": lambda w: w.user("author").pk},
        lambda w: f"/articles/{w.article.slug}/",
    ),
    _query(
        "annotations:updates",
        "student",
        {
            "v": lambda w: -1,
            "open_threads": lambda w: w.annotation.pk,
            "near": lambda w: f"{w.annotation.pk},{w.reply.annotation_id}",
            "assignment": lambda w: w.assignment.pk,
        },
        lambda w: f"/articles/{w.article.slug}/updates/",
    ),
    _query(
        "annotations:cards",
        "student",
        {
            "ids": lambda w: f"{w.annotation.pk},{w.reply.annotation_id}",
            "open_threads": lambda w: w.annotation.pk,
            "assignment": lambda w: w.assignment.pk,
        },
        lambda w: f"/articles/{w.article.slug}/cards/",
    ),
    _query(
        "annotations:card",
        "student",
        {"reply": lambda w: w.reply.pk},
        lambda w: f"/annotations/{w.annotation.pk}/",
    ),
    _query(
        "annotations:thread",
        "student",
        {"open_threads": lambda w: w.annotation.pk},
        lambda w: f"/annotations/{w.annotation.pk}/thread/",
    ),
    _query(
        "links:picker",
        "author",
        {"q": lambda w: "Sanctions"},
        lambda w: f"/annotations/{w.evidence.pk}/link/",
    ),
    _query(
        "classrooms:dashboard",
        "teacher",
        {"sort": lambda w: "claims", "dir": lambda w: "asc"},
        lambda w: f"/assignments/{w.assignment.pk}/dashboard/",
    ),
    _query(
        "classrooms:dashboard_csv",
        "teacher",
        {"sort": lambda w: "name", "dir": lambda w: "desc"},
        lambda w: f"/assignments/{w.assignment.pk}/dashboard.csv",
    ),
    _query(
        "links:debate_map",
        "student",
        {"assignment": lambda w: w.assignment.pk},
        lambda w: f"/articles/{w.article.slug}/map/",
    ),
    _query("login", "anonymous", {"next": lambda w: "/classes/"}, lambda w: "/accounts/login/"),
]
ENDPOINTS = [*post_endpoints(), *GET_ENDPOINTS]


def values(fields: dict):
    """Either one field made nasty (or missing) and the rest valid, or every field drawn."""
    names = list(fields)
    if not names:
        return st.just({})
    each = {n: st.one_of(st.just("valid"), st.just(MISSING), NASTY) for n in names}
    one = st.tuples(st.sampled_from(names), st.one_of(st.just(MISSING), NASTY)).map(
        lambda pair: {n: (pair[1] if n == pair[0] else "valid") for n in names}
    )
    return st.one_of(one, st.fixed_dictionaries(each))


def build(world, fields: dict, drawn: dict) -> dict:
    data = {}
    for name, value in drawn.items():
        if value is MISSING:
            continue
        data[name] = fields[name](world) if value == "valid" else value
    return data


def check_rows_are_whole() -> None:
    """What a successful write may leave behind: nothing half-made, nothing out of bounds."""
    texts: dict[int, list[str]] = {}
    positions: dict[int, dict[int, int]] = {}
    for article in Article.objects.prefetch_related("blocks"):
        blocks = sorted(article.blocks.all(), key=lambda b: b.position)
        texts[article.pk] = [b.text for b in blocks]
        positions[article.pk] = {b.pk: i for i, b in enumerate(blocks)}
    for a in Annotation.objects.exclude(start_block=None).exclude(end_block=None):
        if getattr(a, "deleted_at", None):
            continue  # a deleted highlight's placeholder keeps no words
        index = positions[a.article_id]
        anchor = Anchor(
            index[a.start_block_id], a.start_offset, index[a.end_block_id], a.end_offset
        )
        assert quote_at(texts[a.article_id], anchor).exact == a.exact, a.pk
        assert a.exact.strip() and len(a.note) <= NOTE_MAX_LENGTH
        assert "\x00" not in a.note + a.exact + a.prefix + a.suffix
    for r in Reply.objects.filter(deleted=False):
        assert r.body.strip() and len(r.body) <= REPLY_MAX_LENGTH and "\x00" not in r.body
    for text in [
        *Flag.objects.values_list("reason", flat=True),
        *Classroom.objects.values_list("name", flat=True),
    ]:
        assert text.strip() and "\x00" not in text


def signed_in(world, role: str) -> Client:
    """One browser per endpoint: each example's writes, session ones too, are rolled back."""
    client = Client()
    if world.user(role) is not None:
        client.force_login(world.user(role))
    return client


def send(client, world, endpoint: Endpoint, data: dict, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    if endpoint.method == "GET":
        return client.get(f"{endpoint.path(world)}?{encode(data)}", headers=headers)
    rule = TABLE[endpoint.name]
    url = reverse(endpoint.name, kwargs=rule.kwargs(world))
    return client.post(
        url, encode(data), content_type="application/x-www-form-urlencoded", headers=headers
    )


def run_one(client, world, endpoint: Endpoint, data: dict, htmx: bool):
    with transaction.atomic():
        before = snapshot()
        response = send(client, world, endpoint, data, htmx)
        assert response.status_code < 500
        if response.status_code >= 400:
            assert changed_tables(before, snapshot()) == [], response.status_code
        else:
            check_rows_are_whole()
        transaction.set_rollback(True)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.name}-{e.method}")
def test_it_never_fails_or_half_writes_on_hostile_input(world, endpoint):
    fields = fields_of(world, endpoint)
    client = signed_in(world, endpoint.role)

    @settings(max_examples=EXAMPLES)
    @given(drawn=values(fields), htmx=st.booleans())
    def example(drawn, htmx):
        run_one(client, world, endpoint, build(world, fields, drawn), htmx)

    # Tried every time, in every field at once, before the random ones.
    for bad in ALWAYS:
        example = hypothesis.example(drawn=dict.fromkeys(fields, bad), htmx=True)(example)
    example()


def test_it_takes_any_paragraph_number_in_the_keyboard_path(world):
    client = signed_in(world, "student")

    @settings(max_examples=EXAMPLES * 2)
    @given(
        position=st.one_of(st.integers(min_value=0, max_value=10**30), st.just(3)),
        method=st.sampled_from(["GET", "POST"]),
        drawn=st.fixed_dictionaries(
            {
                "first_sentence": st.one_of(st.just("1"), NASTY),
                "last_sentence": st.one_of(st.just("1"), NASTY),
                "label": st.one_of(st.just("claim"), NASTY),
            }
        ),
    )
    def example(position, method, drawn):
        url = f"/articles/{world.article.slug}/p/{position}/annotate/"
        with transaction.atomic():
            before = snapshot()
            if method == "POST":
                body = encode(drawn)
                response = client.post(url, body, content_type="application/x-www-form-urlencoded")
            else:
                response = client.get(f"{url}?{encode(drawn)}")
            assert response.status_code < 500
            if response.status_code >= 400 or method == "GET":
                assert changed_tables(before, snapshot()) == []
            else:
                check_rows_are_whole()
            transaction.set_rollback(True)

    example()


def test_the_world_itself_is_whole(world):
    # Otherwise check_rows_are_whole() would fail examples for rows they never wrote.
    check_rows_are_whole()


def test_it_refuses_a_body_over_the_upload_limit_without_a_500(world):
    client = signed_in(world, "student")
    before = snapshot()
    body = encode({"body": "x" * 3_000_000})
    response = client.post(
        f"/annotations/{world.annotation.pk}/replies/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert changed_tables(before, snapshot()) == []


def _with_huge_ids(kwargs: dict) -> dict:
    return {k: (10**20 if isinstance(v, int) else v) for k, v in kwargs.items()}


# Every URL of the table with an id in its path.
ID_URLS = [name for name, route, _ in every_url() if name in TABLE and "<int:" in route]


@pytest.mark.parametrize("name", ID_URLS)
def test_it_answers_ids_beyond_any_column_with_404(world, name):
    rule = TABLE[name]
    url = reverse(name, kwargs=_with_huge_ids(rule.kwargs(world)))
    client = signed_in(world, next(r for r in ROLES if r in rule.allowed))
    before = snapshot()
    method = "POST" if rule.posts else "GET"
    response = client.generic(
        method, url, encode(rule.data(world)), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    assert changed_tables(before, snapshot()) == []
