"""The plugin surface: every name ember-layers owns resolves through ``ember.nn`` and
``ember.nn.functional``, matches torch's signature, and is documented."""

import inspect

import pytest

import ember
from ember.plugins.catalog import CATALOG
from ember_layers import plugin

torch = pytest.importorskip("torch")

MODULE_NAMES = [n for names in plugin.MODULES.values() for n in names]
FUNCTION_NAMES = [n for names in plugin.FUNCTIONS.values() for n in names]


def test_catalog_names_are_all_provided():
    owned = {name for name, dist in CATALOG.items() if dist == "ember-layers"}
    provided = {f"nn.{n}" for n in MODULE_NAMES} | {f"nn.functional.{n}"
                                                    for n in FUNCTION_NAMES}
    provided |= {f"nn.modules.{path}" for path in plugin.SUBMODULES}
    assert owned <= provided, sorted(owned - provided)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_resolves_and_is_documented(name):
    cls = getattr(ember.nn, name)
    assert isinstance(cls, type) and issubclass(cls, ember.nn.Module)
    assert cls.__doc__ and ">>>" in cls.__doc__
    t_params = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    e_params = list(inspect.signature(cls.__init__).parameters)
    assert e_params == t_params, (e_params, t_params)


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_resolves_and_is_documented(name):
    fn = getattr(ember.nn.functional, name)
    assert callable(fn) and fn.__doc__
    if not name.endswith("_"):
        assert ">>>" in fn.__doc__ and "Args:" in fn.__doc__ and "Returns:" in fn.__doc__
    t_fn = getattr(torch.nn.functional, name)
    try:
        t_params = list(inspect.signature(t_fn).parameters)
    except (ValueError, TypeError):  # a C builtin without a Python signature
        return
    e_params = list(inspect.signature(fn).parameters)
    assert e_params[:len(t_params)] == t_params, (e_params, t_params)


def test_ops_are_declared():
    from ember.plugins.manager import manager

    manager.load()
    for op in plugin.OPS:
        assert manager.ops.ops[op][0] == "ember-layers"
