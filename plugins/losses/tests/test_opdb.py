"""The losses' records in ember-testing's op database pass its harness on the cpu."""

import pytest

torch = pytest.importorskip("torch")

from ember.plugins.manager import manager  # noqa: E402
from ember_testing import harness, opdb  # noqa: E402

opdb.load_plugin_ops()
LOSSES = [info.name for info in opdb.all_ops(owner="ember-losses")]
manager.load()
# every installed backend: the cpu with its fused kernels, and any primitives-only backend
# (integration-tests' npdev) that runs the composite definitions
DEVICES = sorted(manager.backends)


def test_every_loss_is_in_the_database():
    assert len(LOSSES) == 21
    assert not [err for err in opdb.LOAD_ERRORS if err[0] == "losses"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", LOSSES)
def test_harness(name, device, dtype):
    report = harness.check_op(opdb.get(name), device=device, dtype=dtype)
    assert report["samples"] > 0
