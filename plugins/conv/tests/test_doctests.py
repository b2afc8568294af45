"""The ``>>>`` examples in every module of ember_conv run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

torch = pytest.importorskip("torch")

MODULES = ["conv", "padding", "pool_ops", "pooling", "fractional", "fold", "vision",
           "modules.conv", "modules.padding", "modules.pooling", "modules.fold",
           "modules.lazy", "modules.vision"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"ember_conv.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
