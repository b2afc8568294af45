"""The ember meta-distribution installs the core, the cpu backend and every family.

Installed as ``ember[distributed]`` in the ``all`` environment, so the extra is present too.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import ember
from ember.plugins.manager import canonical_name, manager

ROOT = Path(__file__).resolve().parents[3]
#: plugins offered as extras (``ember[distributed]``) rather than installed by default
EXTRAS = {"ember-distributed", "ember-cuda"}
#: plugins outside the meta-distribution: extras, and ember-quantization (installed alone)
OUTSIDE = EXTRAS | {"ember-quantization"}


def _requirements() -> dict[str, str]:
    """The meta-distribution's installed requirements: name -> specifier."""
    out = {}
    for req in metadata.requires("ember") or []:
        if ";" in req:
            continue
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", req).groups()
        out[canonical_name(name)] = spec.replace(" ", "")
    return out


def test_depends_on_every_plugin_in_the_repository_with_a_compatible_range() -> None:
    plugins = set()
    for pyproject in ROOT.glob("plugins/*/pyproject.toml"):
        found = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
        plugins.add(canonical_name(found.group(1)))
    reqs = _requirements()
    assert set(reqs) == plugins - OUTSIDE | {"ember-core"}
    extras = {canonical_name(r.split(">")[0].split("<")[0].strip())
              for r in metadata.requires("ember") or [] if "extra ==" in r}
    assert extras == plugins & EXTRAS
    for name, spec in reqs.items():
        assert set(spec.split(",")) == {">=0.1", "<0.2"}, (name, spec)


def test_every_dependency_is_installed_and_its_plugin_loaded() -> None:
    manager.load()
    assert manager.failures == []
    for name in _requirements():
        assert metadata.version(name).startswith("0.1."), name
        if name != "ember-core":
            assert manager.is_loaded(name), name


def test_a_model_across_families_trains_a_step() -> None:
    """Names from several families work together through the one install."""
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.ReLU(), ember.nn.Flatten(),
                                ember.nn.Linear(2 * 4 * 4, 3))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x = ember.randn(5, 1, 6, 6)
    y = ember.tensor([0, 1, 2, 0, 1])
    loss_fn = ember.nn.CrossEntropyLoss()
    before = loss_fn(model(x), y)
    before.backward()
    opt.step()
    after = loss_fn(model(x), y)
    assert after.item() < before.item()
