"""ember-recurrent's op-database records run through ember-testing's harness: forward,
backward and double backward against torch, with the cpu backend's fused kernels and with
the composites only."""

import pytest

import ember

torch = pytest.importorskip("torch")
opdb = pytest.importorskip("ember_testing.opdb")
harness = pytest.importorskip("ember_testing.harness")

from ember_recurrent import testing_ops  # noqa: E402

testing_ops.populate()
RECORDS = [info.name for info in opdb.all_ops(owner="ember-recurrent")]
KERNELS = ("lstm_gates", "lstm_gates_backward", "gru_gates", "gru_gates_backward")


def test_records_are_loaded_through_the_entry_point():
    opdb.load_plugin_ops()
    assert not [e for e in opdb.LOAD_ERRORS if e[0] == "recurrent"], opdb.LOAD_ERRORS
    assert sorted(RECORDS) == ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_tanh_cell"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", RECORDS)
def test_record(name, dtype):
    summary = harness.check_op(opdb.get(name), device="cpu", dtype=dtype)
    assert summary["samples"] > 0


@pytest.mark.parametrize("name", RECORDS)
def test_record_composite_only(name, monkeypatch):
    table = ember.ones(1)._k
    for kernel in KERNELS:
        monkeypatch.setattr(table, kernel, None)
    summary = harness.check_op(opdb.get(name), device="cpu", dtype="float64")
    assert summary["samples"] > 0
