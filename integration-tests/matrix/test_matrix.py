"""What one plugin combination has works; what it lacks fails with the install hint.

Run by every environment of the tox matrix against installed wheels. The environment names
the distributions it asked pip for in ``EMBER_MATRIX_INSTALL`` (comma or space separated);
the test adds what those declare as dependencies, and expects exactly that set of
first-party distributions to be installed and loaded (ember-testing, a test tool that every
environment with torch installs, is not counted). Every other first-party family that
exists in this repository must be absent and must say how to install it.
``EMBER_MATRIX_BROKEN`` names the distributions expected to fail to load (the
broken-plugin environment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest

import ember
from ember.plugins.manager import canonical_name, manager

ROOT = Path(__file__).resolve().parents[2]


def _repo_distributions() -> set[str]:
    """Names of the plugin distributions whose sources are in this repository."""
    names = set()
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        match = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
        if match:
            names.add(canonical_name(match.group(1)))
    return names


def _requested() -> dict[str, set[str]]:
    """The distributions the environment asked for, each with the extras it asked for."""
    raw = os.environ.get("EMBER_MATRIX_INSTALL")
    if raw is None:
        pytest.fail("EMBER_MATRIX_INSTALL is not set: run these tests through tox")
    out: dict[str, set[str]] = {}
    for item in re.split(r"[,\s]+(?![^\[]*\])", raw):
        if not item:
            continue
        name, _, extras = item.partition("[")
        out.setdefault(canonical_name(name), set()).update(
            e.strip() for e in extras.rstrip("]").split(",") if e.strip())
    return out


def _closure(requested: dict[str, set[str]]) -> set[str]:
    """The requested distributions plus every ember distribution they depend on
    (through the requested extras too), recursively."""
    todo = [(name, extras) for name, extras in requested.items()]
    seen: set[str] = set()
    while todo:
        dist, extras = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        for req in metadata.requires(dist) or []:
            if ";" in req:
                marker = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", req)
                if marker is None or marker.group(1) not in extras:
                    continue
            name = canonical_name(re.split(r"[\s<>=!~\[(;]", req, maxsplit=1)[0])
            if name == "ember" or name.startswith("ember-"):
                todo.append((name, set()))
    return seen


REQUESTED = _requested()
EXPECTED = _closure(REQUESTED)
IN_REPO = _repo_distributions()


def _has(dist: str) -> bool:
    return dist in EXPECTED


# -- what each first-party distribution must do when it is there --------------------------


def _cpu_works() -> None:
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def _layers_works() -> None:
    layer = ember.nn.Linear(3, 2)
    out = ember.nn.functional.relu(layer(ember.ones(4, 3)))
    assert tuple(out.shape) == (4, 2)
    assert (out.detach().numpy() >= 0).all()


def _conv_works() -> None:
    conv = ember.nn.Conv2d(1, 2, 3)
    assert tuple(conv(ember.ones(1, 1, 5, 5)).shape) == (1, 2, 3, 3)


def _losses_works() -> None:
    loss = ember.nn.MSELoss()(ember.zeros(3), ember.ones(3))
    assert loss.item() == pytest.approx(1.0)


def _optim_works() -> None:
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    p.sum().backward()
    opt.step()
    assert p.detach().tolist() == [0.5, 0.5]


def _data_works() -> None:
    data = ember.utils.data
    loader = data.DataLoader(data.TensorDataset(ember.arange(6.0)), batch_size=4)
    sizes = [len(batch[0]) for batch in loader]
    assert sizes == [4, 2]


def _utils_works() -> None:
    p = ember.nn.Parameter(ember.ones(4))
    (p * 3).sum().backward()
    total = ember.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == pytest.approx(6.0)
    assert (p.grad * p.grad).sum().item() == pytest.approx(1.0, rel=1e-4)


def _recurrent_works() -> None:
    lstm = ember.nn.LSTM(3, 4, batch_first=True)
    out, (h, c) = lstm(ember.ones(2, 5, 3))
    assert tuple(out.shape) == (2, 5, 4)
    assert tuple(h.shape) == tuple(c.shape) == (1, 2, 4)


def _transformer_works() -> None:
    layer = ember.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                             dropout=0.0, batch_first=True)
    assert tuple(layer(ember.ones(2, 3, 8)).shape) == (2, 3, 8)


def _distributed_works() -> None:
    assert isinstance(ember.nn.parallel.DistributedDataParallel, type)
    assert callable(ember.distributed.is_available)


def _quantization_works() -> None:
    q = ember.quantize_per_tensor(ember.tensor([0.5, 1.0, -1.5]), 0.5, 3, ember.quint8)
    assert q.int_repr().tolist() == [4, 5, 0]
    assert ember.dequantize(q).tolist() == [0.5, 1.0, -1.5]


#: distribution -> (a public name it provides, a check that it works on the cpu)
FAMILIES: dict[str, tuple[str, Callable[[], None]]] = {
    "ember-layers": ("nn.Linear", _layers_works),
    "ember-conv": ("nn.Conv2d", _conv_works),
    "ember-losses": ("nn.MSELoss", _losses_works),
    "ember-optim": ("optim.SGD", _optim_works),
    "ember-data": ("utils.data", _data_works),
    "ember-utils": ("nn.utils.clip_grad_norm_", _utils_works),
    "ember-recurrent": ("nn.LSTM", _recurrent_works),
    "ember-transformer": ("nn.TransformerEncoderLayer", _transformer_works),
    "ember-distributed": ("nn.parallel.DistributedDataParallel", _distributed_works),
    "ember-quantization": ("quantize_per_tensor", _quantization_works),
}


def _lookup(dotted: str) -> object:
    obj: object = ember
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# -- the tests ------------------------------------------------------------------------------


def test_plugins_loaded_without_errors() -> None:
    """Every installed plugin loaded, except those ``EMBER_MATRIX_BROKEN`` names."""
    manager.load()
    names = re.split(r"[,\s]+", os.environ.get("EMBER_MATRIX_BROKEN", ""))
    broken = {canonical_name(n) for n in names if n}
    failed = {canonical_name(f.distribution) for f in manager.failures}
    assert failed == broken, [f.traceback for f in manager.failures]
    assert manager.skipped == []


def test_installed_first_party_set_is_what_was_asked_for() -> None:
    for dist in sorted(IN_REPO | {"ember-core", "ember"}):
        try:
            metadata.version(dist)
            installed = True
        except metadata.PackageNotFoundError:
            installed = False
        assert installed == (dist in EXPECTED), (dist, sorted(EXPECTED))
    for dist in IN_REPO & EXPECTED:
        assert manager.is_loaded(dist), f"{dist} is installed but no plugin of it loaded"


@pytest.mark.parametrize("dist", sorted(IN_REPO - set(FAMILIES) - {"ember-cpu"}) or ["-"])
def test_other_plugins_in_the_repo_are_loaded_when_installed(dist: str) -> None:
    if dist == "-":
        assert not (IN_REPO - set(FAMILIES) - {"ember-cpu"})
        return
    if _has(dist):
        assert manager.is_loaded(dist)
    else:
        with pytest.raises(metadata.PackageNotFoundError):
            metadata.version(dist)


def test_cpu_backend() -> None:
    if _has("ember-cpu"):
        _cpu_works()
        assert "cpu" in manager.backends
    else:
        with pytest.raises(RuntimeError) as info:
            ember.ones(2)
        assert str(info.value) == ("no backend for device 'cpu'; installed: none; "
                                   "pip install ember-cpu")


@pytest.mark.parametrize("dist", sorted(FAMILIES))
def test_family(dist: str) -> None:
    name, works = FAMILIES[dist]
    if dist not in IN_REPO:
        assert not _has(dist)
    if _has(dist):
        assert _lookup(name) is not None
        if _has("ember-cpu"):
            works()
    else:
        with pytest.raises(AttributeError) as info:
            _lookup(name)
        assert str(info.value) == (f"ember.{name} is provided by {dist}, which is not "
                                   f"installed: pip install {dist}")


def test_missing_family_module_import_names_the_distribution() -> None:
    if _has("ember-data"):
        from ember.utils.data import DataLoader  # noqa: F401
    else:
        with pytest.raises(ModuleNotFoundError, match="pip install ember-data$"):
            from ember.utils.data import DataLoader  # noqa: F401


def test_conv2d_hint_message_exactly() -> None:
    """The message the design names, checked word for word where ember-conv is absent."""
    if _has("ember-conv"):
        assert isinstance(ember.nn.Conv2d, type)
    else:
        with pytest.raises(AttributeError, match=r"^ember\.nn\.Conv2d is provided by "
                                                 r"ember-conv, which is not installed: "
                                                 r"pip install ember-conv$"):
            ember.nn.Conv2d  # noqa: B018


def test_every_registered_name_imports() -> None:
    """Each public name an installed plugin registers resolves to an object."""
    manager.load()
    broken = []
    for dotted, (target, dist) in sorted(manager.namespace.items()):
        try:
            manager.resolve(dotted)
        except Exception as exc:  # collect them all, report once
            broken.append(f"ember.{dotted} -> {target} ({dist}): {type(exc).__name__}: {exc}")
    assert broken == []


def test_registered_names_match_the_catalog() -> None:
    """A first-party plugin registers only names the catalog assigns to it (or new ones)."""
    manager.load()
    from ember.plugins.catalog import provider

    wrong = []
    for dotted, (_target, dist) in sorted(manager.namespace.items()):
        expected = provider(dotted)
        if expected is not None and dist in IN_REPO and expected != canonical_name(dist):
            wrong.append(f"ember.{dotted}: registered by {dist}, catalog says {expected}")
    assert wrong == []
