"""The plugin surface: every registered public name resolves through ember.nn /
ember.nn.functional, is documented, and the ops are declared."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember_conv import plugin  # noqa: E402


@pytest.mark.parametrize("entry", plugin.namespace_entries(), ids=lambda e: e.name)
def test_every_name_resolves_and_is_documented(entry: object) -> None:
    obj = ember
    for part in entry.name.split("."):
        obj = getattr(obj, part)
    assert obj.__doc__ and obj.__doc__.strip(), f"{entry.name} has no docstring"
    if entry.name.startswith("nn.modules."):  # torch's per-family file, as a module
        assert hasattr(torch.nn.modules, entry.name.rsplit(".", 1)[1]), entry.name
        return
    assert hasattr(torch.nn if entry.name.startswith("nn.") and entry.name.count(".") == 1
                   else torch.nn.functional, entry.name.rsplit(".", 1)[1]) or \
        entry.name == "nn.functional.conv_tbc", f"{entry.name} is not a torch.nn name"


def test_catalog_names_of_this_distribution_are_provided() -> None:
    from ember.plugins.catalog import CATALOG

    ours = {e.name for e in plugin.namespace_entries()}
    expected = {name for name, dist in CATALOG.items() if dist == "ember-conv"}
    missing = sorted(expected - ours)
    assert missing == [], f"catalog names not provided yet: {missing}"


def test_plugin_declares_its_ops() -> None:
    from ember.plugins.records import OpRegistry

    reg = OpRegistry()
    plugin.ember_register_ops(registry=reg)
    assert {"convolution", "conv_input_grad", "conv_weight_grad", "pool_max",
            "pool_avg"} <= set(reg.ops)
