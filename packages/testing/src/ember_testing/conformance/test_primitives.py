"""Conformance level "primitives": every kernel of the backend contract against numpy."""

from __future__ import annotations

import pytest

import ember
from ember.primitives import PRIMITIVES

from ._primitives import CASES, run_case

LEVEL = "primitives"
EMBER_CONFORMANCE = True


def availability(device: str) -> str | None:
    """The primitive level always runs."""
    return None


def test_every_primitive_has_cases() -> None:
    missing = sorted(set(PRIMITIVES) - set(CASES))
    assert not missing, f"the conformance kit has no cases for primitives {missing}"


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive(ember_device: str, name: str) -> None:
    from ember._dispatch import table_for

    dev = ember.device(ember_device)
    table = table_for(dev)
    assert callable(getattr(table, name, None)), f"no kernel '{name}'"
    for case in CASES[name]:
        run_case(table, dev, name, case)
