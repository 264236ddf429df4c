"""The debate map of 1,500 highlights: rendered for a signed-in student, shared by the rest.

A signed-in reader's map is rendered for them (what they may see is theirs); anonymous readers
share one rendering per change of the article, so theirs costs the article's row and the page
around the map. Timed only by `make bench`; in the normal suite each runs once and checks that
every claim the reader may see is on the map.
"""

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.management import call_command
from django.test import Client

from annotations.models import Annotation, Label, visibility_q


@pytest.fixture
def bench(db, tmp_path) -> dict:
    output = tmp_path / "bench.json"
    call_command("make_bench_data", sizes="1500", output=str(output), stdout=io.StringIO())
    return json.loads(output.read_text())


def claims_seen_by(user, slug: str) -> int:
    claims = Annotation.objects.filter(visibility_q(user), article__slug=slug, label=Label.CLAIM)
    return claims.count()


def test_it_renders_the_map_of_1500_highlights_for_a_signed_in_student(benchmark, bench):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = bench["sessions"]["student"]
    slug = bench["articles"]["1500"]["slug"]
    response = benchmark(client.get, f"/articles/{slug}/map/")
    assert response.status_code == 200
    student = User.objects.get(username="bench-student-1")
    assert response.content.count(b'<article class="map-claim') == claims_seen_by(student, slug)


def test_anonymous_readers_share_the_map_of_1500_highlights(benchmark, bench):
    client = Client()
    slug = bench["articles"]["1500"]["slug"]
    first = client.get(f"/articles/{slug}/map/")
    response = benchmark(client.get, f"/articles/{slug}/map/")
    assert response.status_code == 200
    claims = claims_seen_by(AnonymousUser(), slug)
    assert claims > 300
    assert response.content.count(b'<article class="map-claim') == claims
    assert len(response.content) == len(first.content)
