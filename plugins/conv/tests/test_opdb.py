"""ember-conv's records in the shared op database pass the ember-testing harness on the cpu
(forward, backward and double backward against torch)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from ember_conv.testing_ops import RECORDS  # noqa: E402
from ember_testing.harness import check_op  # noqa: E402


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("info", RECORDS, ids=lambda r: r.name)
def test_record_passes_the_harness(info: object, dtype: str) -> None:
    summary = check_op(info, "cpu", dtype)
    assert summary["samples"] > 0
