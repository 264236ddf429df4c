"""The article page at classroom scale: 500 highlights for a signed-in student.

Rendering margin cards was most of this page's time (and of the live update's and of the
response to a new highlight, which re-render the margin): now only the first screenful is
rendered in full and the rest are stubs. Timed only by `make bench`; in the normal suite it
runs once and checks that every highlight the student may see is in the margin.
"""

import pytest
from django.contrib.auth.models import User

from annotations.models import Annotation, visibility_q
from annotations.views import MARGIN_FIRST
from tests.benchmarks.clients import client_of


@pytest.fixture
def bench(make_bench) -> dict:
    return make_bench(500)


def test_it_renders_500_highlights_for_a_signed_in_student(benchmark, bench):
    client = client_of(bench, "student")
    slug = bench["articles"]["500"]["slug"]
    response = benchmark(client.get, f"/articles/{slug}/")
    assert response.status_code == 200
    student = User.objects.get(username="bench-student-1")
    visible = Annotation.objects.filter(visibility_q(student), article__slug=slug).count()
    assert visible > 400
    assert response.content.count(b'<article class="card card--') == visible
    assert response.content.count(b" card--stub") == visible - MARGIN_FIRST
