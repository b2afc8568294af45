"""ember-transformer's records in ember-testing's op database, run through its harness:
forward, backward and double backward against torch, on every installed device, and with
the fused attention kernel disabled (the composite definition)."""

import pytest

import ember
from ember_testing import harness, opdb
from ember_transformer import testing_ops

torch = pytest.importorskip("torch")

testing_ops.populate()
RECORDS = [info.name for info in opdb.all_ops(owner="ember-transformer")]
OTHER_DEVICES = [d for d in harness.installed_devices() if d != "cpu"]


def test_records_are_loaded_through_the_entry_point():
    opdb.load_plugin_ops()
    assert not [e for e in opdb.LOAD_ERRORS if e[0] == "transformer"], opdb.LOAD_ERRORS
    assert len(RECORDS) == 3


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", RECORDS)
def test_record(name, dtype):
    summary = harness.check_op(opdb.get(name), device="cpu", dtype=dtype)
    assert summary["samples"] > 0


@pytest.mark.parametrize("name", RECORDS)
def test_record_composite_only(name, monkeypatch):
    table = ember.ones(1)._k
    assert table.scaled_dot_product_attention is not None  # ember-cpu fuses it
    monkeypatch.setattr(table, "scaled_dot_product_attention", None)
    monkeypatch.setattr(table, "scaled_dot_product_attention_backward", None)
    summary = harness.check_op(opdb.get(name), device="cpu", dtype="float64")
    assert summary["samples"] > 0


@pytest.mark.parametrize("device", OTHER_DEVICES)
@pytest.mark.parametrize("name", RECORDS)
def test_record_on_other_devices(name, device):
    summary = harness.check_op(opdb.get(name), device=device, dtype="float64")
    assert summary["samples"] > 0
