import io
import json

import pytest
from django.core.management import call_command


@pytest.fixture
def make_bench(db, tmp_path):
    """The load benchmark's deterministic data (manage.py make_bench_data) at the sizes asked."""

    def make_bench(*sizes: int) -> dict:
        output = tmp_path / "bench.json"
        call_command(
            "make_bench_data",
            sizes=",".join(map(str, sizes)),
            output=str(output),
            stdout=io.StringIO(),
        )
        return json.loads(output.read_text())

    return make_bench
