"""The plugin surface: every name ember-transformer owns resolves through ``ember.nn`` and
``ember.nn.functional``, matches torch's signature, and is documented."""

import inspect

import pytest

import ember
from ember.plugins.catalog import CATALOG
from ember_transformer import plugin

torch = pytest.importorskip("torch")

MODULE_NAMES = [n for names in plugin.MODULES.values() for n in names]
FUNCTION_NAMES = [n for names in plugin.FUNCTIONS.values() for n in names]


def test_catalog_names_are_all_provided():
    owned = {name for name, dist in CATALOG.items() if dist == "ember-transformer"}
    provided = {f"nn.{n}" for n in MODULE_NAMES} | {f"nn.functional.{n}"
                                                    for n in FUNCTION_NAMES}
    provided.add("nn.modules.transformer")
    assert owned <= provided, sorted(owned - provided)
    assert "nn.MultiheadAttention" in provided


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_resolves_and_is_documented(name):
    cls = getattr(ember.nn, name)
    assert isinstance(cls, type) and issubclass(cls, ember.nn.Module)
    assert cls.__doc__ and ">>>" in cls.__doc__
    t_params = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    e_params = list(inspect.signature(cls.__init__).parameters)
    assert e_params == t_params, (e_params, t_params)
    t_fwd = list(inspect.signature(getattr(torch.nn, name).forward).parameters)
    assert list(inspect.signature(cls.forward).parameters) == t_fwd
    assert cls.forward.__doc__


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_resolves_and_is_documented(name):
    fn = getattr(ember.nn.functional, name)
    assert callable(fn) and fn.__doc__
    assert ">>>" in fn.__doc__ and "Args:" in fn.__doc__ and "Returns:" in fn.__doc__
    e_params = list(inspect.signature(fn).parameters)
    if name == "scaled_dot_product_attention":  # a C builtin in torch: its documented order
        t_params = ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale",
                    "enable_gqa"]
    else:
        t_params = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
    assert e_params == t_params


def test_ops_are_declared():
    from ember.plugins.manager import manager

    manager.load()
    for op in plugin.OPS:
        assert manager.ops.ops[op][0] == "ember-transformer"


def test_docstring_examples_run():
    import doctest

    from ember_transformer import activation, functional, transformer

    for mod in (activation, functional, transformer):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.failed == 0 and res.attempted > 0, mod.__name__
