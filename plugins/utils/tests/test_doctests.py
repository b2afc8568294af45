"""The ``>>>`` examples in ember-utils' docstrings run and give the documented output."""

import doctest
import importlib
import warnings

import pytest

torch = pytest.importorskip("torch")

MODULES = ["clip_grad", "convert_parameters", "fusion", "memory_format", "init", "weight_norm",
           "spectral_norm", "prune", "parametrize", "parametrizations", "stateless", "rnn"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"ember_utils.{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
