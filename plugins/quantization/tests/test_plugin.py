"""The plugin surface: every name resolves through ``ember``, the catalog knows them, the
docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import ember
import ember_quantization
from ember.plugins.catalog import provider
from ember.plugins.manager import manager
from ember_quantization import plugin

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", plugin.NAMES)
def test_name_resolves_through_ember(name: str) -> None:
    assert getattr(ember, name) is getattr(ember_quantization, name)
    assert provider(name) == "ember-quantization"
    assert hasattr(torch, name)


def test_plugin_is_loaded_under_its_distribution() -> None:
    manager.load()
    assert manager.is_loaded("ember-quantization")
    assert plugin.EMBER_PLUGIN_API == (1, 0)


def test_matrix_smoke_check() -> None:
    q = ember.quantize_per_tensor(ember.tensor([0.5, 1.0, -1.5]), 0.5, 3, ember.quint8)
    assert q.int_repr().tolist() == [4, 5, 0]
    assert ember.dequantize(q).tolist() == [0.5, 1.0, -1.5]


@pytest.mark.parametrize("module", ["_dtypes", "_qtensor", "_quantize", "_fake"])
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"ember_quantization.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
