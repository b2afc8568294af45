"""Conformance level "gradients": the op database through the harness on the device.

Each record's forward values, input gradients and second derivatives are compared with
torch (when installed) or with numpy references and finite differences.
"""

from __future__ import annotations

import pytest

from ember_testing import harness, opdb

LEVEL = "gradients"
EMBER_CONFORMANCE = True

opdb.load_plugin_ops()
_CASES = [(info.name, dtype) for info in opdb.all_ops() for dtype in info.dtypes]


def availability(device: str) -> str | None:
    """The gradient level runs whenever the op database has records."""
    return None if _CASES else "the op database is empty"


@pytest.mark.parametrize(("name", "dtype"), _CASES, ids=[f"{n}-{d}" for n, d in _CASES])
def test_op(ember_device: str, name: str, dtype: str) -> None:
    info = opdb.get(name)
    summary = harness.check_op(info, device=ember_device, dtype=dtype)
    assert summary["samples"] > 0


def test_plugin_op_modules_import() -> None:
    assert not opdb.LOAD_ERRORS, f"op modules of plugins failed to import: {opdb.LOAD_ERRORS}"
