"""The teacher's dashboard at classroom scale: 1,500 highlights of 30 students, with replies.

Timed only by `make bench`; in the normal suite it runs once and checks the page counts what
the database holds.
"""

import pytest

from annotations.models import Annotation, Reply
from classrooms import agreement
from tests.benchmarks.clients import client_of


@pytest.fixture
def bench(make_bench) -> dict:
    return make_bench(1500)


def test_it_renders_the_dashboard_of_1500_highlights(benchmark, bench):
    client = client_of(bench, "teacher")
    article = bench["articles"]["1500"]
    response = benchmark(client.get, f"/assignments/{article['assignment']}/dashboard/")
    assert response.status_code == 200
    # Every class highlight counts for the teacher (the bench writes no answer key).
    in_class = Annotation.objects.filter(article__slug=article["slug"], classroom__isnull=False)
    replies = Reply.objects.filter(annotation__in=in_class, deleted=False)
    assert response.context["counts"]["highlights"] == in_class.count() > 1000
    assert response.context["counts"]["replies"] == replies.count()
    assert response.context["counts"]["students"] == 30
    assert response.content.count(b'class="heat__link"') == 41
    assert len(response.context["contested"]) == agreement.CONTESTED_LIMIT
