"""The debate map of 1,500 highlights: rendered for a signed-in student, shared by the rest.

A signed-in reader's map is rendered for them (what they may see is theirs); anonymous readers
share one rendering per change of the article, so theirs costs the article's row and the page
around the map. Timed only by `make bench`; in the normal suite each runs once and checks that
every claim the reader may see is on the map.
"""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from annotations.models import Annotation, Label, visibility_q
from tests.benchmarks.clients import client_of


@pytest.fixture
def bench(make_bench) -> dict:
    return make_bench(1500)


def claims_seen_by(user, slug: str) -> int:
    claims = Annotation.objects.filter(visibility_q(user), article__slug=slug, label=Label.CLAIM)
    return claims.count()


def test_it_renders_the_map_of_1500_highlights_for_a_signed_in_student(benchmark, bench):
    client = client_of(bench, "student")
    slug = bench["articles"]["1500"]["slug"]
    response = benchmark(client.get, f"/articles/{slug}/map/")
    assert response.status_code == 200
    student = User.objects.get(username="bench-student-1")
    assert response.content.count(b'<article class="map-claim') == claims_seen_by(student, slug)


def test_anonymous_readers_share_the_map_of_1500_highlights(benchmark, bench):
    client = client_of(bench)
    slug = bench["articles"]["1500"]["slug"]
    first = client.get(f"/articles/{slug}/map/")
    response = benchmark(client.get, f"/articles/{slug}/map/")
    assert response.status_code == 200
    claims = claims_seen_by(AnonymousUser(), slug)
    assert claims > 300
    assert response.content.count(b'<article class="map-claim') == claims
    assert len(response.content) == len(first.content)
