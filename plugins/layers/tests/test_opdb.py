"""ember-layers' records in ember-testing's op database, run through its harness: forward,
backward and double backward against torch, with the cpu backend's fused kernels and with
the composites only."""

import pytest

import ember

torch = pytest.importorskip("torch")
opdb = pytest.importorskip("ember_testing.opdb")
harness = pytest.importorskip("ember_testing.harness")

from ember_layers import testing_ops  # noqa: E402

testing_ops.populate()
RECORDS = [info.name for info in opdb.all_ops(owner="ember-layers")]


def test_records_are_loaded_through_the_entry_point():
    opdb.load_plugin_ops()
    assert not [e for e in opdb.LOAD_ERRORS if e[0] == "layers"], opdb.LOAD_ERRORS
    assert len(RECORDS) >= 40


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", RECORDS)
def test_record(name, dtype):
    summary = harness.check_op(opdb.get(name), device="cpu", dtype=dtype)
    assert summary["samples"] > 0


@pytest.mark.parametrize("name", ["nn.functional.linear", "nn.functional.layer_norm",
                                  "nn.functional.gelu", "nn.functional.gelu.tanh",
                                  "nn.functional.embedding", "nn.functional.embedding_bag"])
def test_record_composite_only(name, monkeypatch):
    table = ember.ones(1)._k
    for kernel in ("linear", "layer_norm", "gelu", "gelu_backward", "embedding_backward"):
        monkeypatch.setattr(table, kernel, None)
    summary = harness.check_op(opdb.get(name), device="cpu", dtype="float64")
    assert summary["samples"] > 0
