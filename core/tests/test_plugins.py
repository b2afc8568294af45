"""The plugin loader: entry points, settings, conflicts, failures and install hints.

Fake plugins are small modules built here and either registered by hand with
``manager.register`` or served through a monkeypatched ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ember
from ember import _dispatch
from ember.plugins import (
    BackendSpec,
    CommBackendSpec,
    NamespaceEntry,
    PluginConflictError,
    hookimpl,
    namespace,
)
from ember.plugins import manager as manager_mod
from ember.plugins.catalog import CATALOG, provider
from ember.plugins.hookspec import PLUGIN_API_VERSION
from ember.plugins.manager import PluginLoadError, PluginManager, canonical_name


def make_plugin(name: str, api: Any = PLUGIN_API_VERSION, **hooks: Callable[..., Any]
                ) -> types.ModuleType:
    """A module named ``name`` whose functions implement the given hooks."""
    module = types.ModuleType(name)
    module.EMBER_PLUGIN_API = api
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))
    return module


class FakeDist:
    """The part of ``importlib.metadata.Distribution`` the loader reads."""

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version


class FakeEntryPoint:
    """An entry point of group ``ember.plugins`` whose ``load`` returns or raises."""

    def __init__(self, name: str, dist: str, version: str, target: Any) -> None:
        self.name = name
        self.dist = FakeDist(dist, version)
        self._target = target

    def load(self) -> Any:
        if isinstance(self._target, BaseException):
            raise self._target
        return self._target


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., PluginManager]]:
    """Make a fresh manager that sees only the fake entry points passed to it.

    The fresh manager also replaces the process-wide one for the namespace and dispatch
    code, so error messages are computed against it; everything is restored afterwards.
    """
    for var in ("EMBER_STRICT_PLUGINS", "EMBER_PLUGINS", "EMBER_DISABLE_PLUGINS",
                "EMBER_PLUGIN_AUTOLOAD"):
        monkeypatch.delenv(var, raising=False)

    # Names the real plugins provided earlier in this process are cached on the skeleton
    # modules (and module aliases in sys.modules); hide them so lookups reach the fresh
    # manager. monkeypatch puts them back afterwards.
    for dotted in list(manager_mod.manager.namespace):
        parent, _, attr = f"ember.{dotted}".rpartition(".")
        module = sys.modules.get(parent)
        if module is not None and attr in vars(module):
            monkeypatch.delattr(module, attr)
        if f"ember.{dotted}" in sys.modules:
            monkeypatch.delitem(sys.modules, f"ember.{dotted}")

    def build(*eps: FakeEntryPoint, installed: tuple[str, ...] = ()) -> PluginManager:
        pm = PluginManager()
        monkeypatch.setattr(manager_mod.metadata, "entry_points",
                            lambda group: list(eps) if group == "ember.plugins" else [])
        monkeypatch.setattr(manager_mod, "manager", pm)
        monkeypatch.setattr(namespace, "manager", pm)
        monkeypatch.setattr(namespace, "_installed", lambda dist: dist in installed)
        _dispatch.reset_tables()
        return pm

    yield build
    _dispatch.reset_tables()


def backend_plugin(name: str, device_type: str) -> types.ModuleType:
    """A plugin that declares one device type and nothing else."""
    return make_plugin(name, ember_register_backends=lambda: [BackendSpec(device_type)])


def names_plugin(name: str, *entries: tuple[str, str]) -> types.ModuleType:
    """A plugin that registers the given ``(dotted name, target)`` public names."""
    return make_plugin(name, ember_register_namespace=lambda: [
        NamespaceEntry(n, t) for n, t in entries])


# -- loading and settings -----------------------------------------------------------------


def test_entry_points_load_in_name_order_and_record_what_they_provide(fresh):
    pm = fresh(FakeEntryPoint("zdev", "ember-zdev", "0.2.0", backend_plugin("z", "zdev")),
               FakeEntryPoint("names", "ember-names", "0.1.1",
                              names_plugin("n", ("nn.Fancy", "collections:OrderedDict"))))
    pm.load()
    assert list(pm.plugins) == ["names", "zdev"]
    assert pm.backends["zdev"][1] == "ember-zdev"
    assert pm.plugins["zdev"].version == "0.2.0"
    assert pm.plugins["names"].names == ["nn.Fancy"]
    assert pm.failures == []


def test_loaded_name_resolves_lazily_and_is_cached(fresh):
    pm = fresh(FakeEntryPoint("names", "ember-names", "0.1.0",
                              names_plugin("n", ("nn.FancyDict", "collections:OrderedDict"))))
    pm.load()
    import collections

    try:
        assert ember.nn.FancyDict is collections.OrderedDict
        assert "FancyDict" in vars(ember.nn)
        assert "FancyDict" in dir(ember.nn)
    finally:
        delattr(ember.nn, "FancyDict")


def test_whole_module_entry_is_importable(fresh):
    pm = fresh(FakeEntryPoint("mods", "ember-mods", "0.1.0",
                              names_plugin("m", ("nn.utils.fakemod", "json"))))
    pm.load()
    import json
    import sys

    try:
        import ember.nn.utils.fakemod as fake

        assert fake is json
    finally:
        sys.modules.pop("ember.nn.utils.fakemod", None)
        vars(ember.nn.utils).pop("fakemod", None)


def test_broken_plugin_is_recorded_with_distribution_version_and_traceback(fresh):
    pm = fresh(FakeEntryPoint("bad", "ember-bad", "9.9.9", ImportError("no module named zzz")),
               FakeEntryPoint("good", "ember-good", "1.0.0", backend_plugin("g", "gdev")))
    pm.load()
    assert "good" in pm.plugins
    (failure,) = pm.failures
    assert (failure.name, failure.distribution, failure.version) == ("bad", "ember-bad",
                                                                     "9.9.9")
    assert failure.error == "ImportError: no module named zzz"
    assert "Traceback" in failure.traceback and "no module named zzz" in failure.traceback
    assert pm.failure_for("ember_bad") is failure


def test_strict_mode_turns_a_failure_into_an_error(fresh, monkeypatch):
    pm = fresh(FakeEntryPoint("bad", "ember-bad", "9.9.9", ValueError("boom")))
    monkeypatch.setenv("EMBER_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match=r"'bad' \(ember-bad 9.9.9\) failed to load: "
                                              r"ValueError: boom"):
        pm.load()


@pytest.mark.parametrize(("allow", "deny", "expected"), [
    (None, None, ["a", "b", "c"]),
    ("a,ember-c", None, ["a", "c"]),
    ("EMBER_B", None, ["b"]),
    (None, "b", ["a", "c"]),
    ("a,b", "ember-a", ["b"]),
])
def test_allow_and_deny_lists(fresh, monkeypatch, allow, deny, expected):
    eps = [FakeEntryPoint(n, f"ember-{n}", "0.1.0", backend_plugin(n, f"{n}dev"))
           for n in "abc"]
    pm = fresh(*eps)
    if allow is not None:
        monkeypatch.setenv("EMBER_PLUGINS", allow)
    if deny is not None:
        monkeypatch.setenv("EMBER_DISABLE_PLUGINS", deny)
    pm.load()
    assert sorted(pm.plugins) == expected


def test_autoload_off_loads_nothing_but_allows_registration(fresh, monkeypatch):
    pm = fresh(FakeEntryPoint("a", "ember-a", "0.1.0", backend_plugin("a", "adev")))
    monkeypatch.setenv("EMBER_PLUGIN_AUTOLOAD", "0")
    pm.load()
    assert pm.plugins == {}
    pm.register(backend_plugin("b", "bdev"), name="b", distribution="ember-b")
    assert "bdev" in pm.backends


def test_disabled_but_installed_plugin_says_why_it_is_missing(fresh, monkeypatch):
    pm = fresh(installed=("ember-conv",))
    monkeypatch.setenv("EMBER_PLUGIN_AUTOLOAD", "0")
    pm.load()
    with pytest.raises(AttributeError, match="ember-conv, which is installed but was not "
                                             "loaded"):
        ember.nn.Conv2d  # noqa: B018


def test_configure_hook_receives_the_settings(fresh, monkeypatch):
    seen: list[dict[str, Any]] = []
    plugin = make_plugin("c", ember_configure=lambda config: seen.append(config))
    pm = fresh(FakeEntryPoint("c", "ember-c", "0.1.0", plugin))
    monkeypatch.setenv("EMBER_STRICT_PLUGINS", "1")
    pm.load()
    assert seen == [{"strict": True, "plugins": ["c"]}]


# -- plugin API versions --------------------------------------------------------------------


@pytest.mark.parametrize(("api", "upgrade"), [
    ((PLUGIN_API_VERSION[0] + 1, 0), "Upgrade ember-core"),
    ((PLUGIN_API_VERSION[0], PLUGIN_API_VERSION[1] + 1), "Upgrade ember-core"),
    ((PLUGIN_API_VERSION[0] - 1, 0), "Upgrade ember-old"),
])
def test_incompatible_plugin_api_is_skipped_with_a_warning(fresh, api, upgrade):
    plugin = make_plugin("old", api=api, ember_register_backends=lambda: [BackendSpec("odev")])
    pm = fresh(FakeEntryPoint("old", "ember-old", "3.0.0", plugin))
    with pytest.warns(RuntimeWarning, match=upgrade) as record:
        pm.load()
    assert f"plugin API {api[0]}.{api[1]}" in str(record[0].message)
    assert pm.plugins == {} and "odev" not in pm.backends
    assert pm.skipped_for("ember-old").api == api


def test_compatible_older_minor_api_loads(fresh):
    plugin = make_plugin("m", api=(PLUGIN_API_VERSION[0], 0),
                         ember_register_backends=lambda: [BackendSpec("mdev")])
    pm = fresh(FakeEntryPoint("m", "ember-m", "0.1.0", plugin))
    pm.load()
    assert "mdev" in pm.backends


# -- conflicts --------------------------------------------------------------------------------


def test_duplicate_device_is_an_error_naming_both(fresh):
    pm = fresh()
    pm.register(backend_plugin("one", "dup"), name="one", distribution="ember-one")
    with pytest.raises(PluginConflictError,
                       match="device type 'dup' is provided by both ember-one and ember-two"):
        pm.register(backend_plugin("two", "dup"), name="two", distribution="ember-two")
    assert "two" not in pm.plugins
    assert pm.backends["dup"][1] == "ember-one"


def test_duplicate_name_is_an_error_naming_both_and_registers_nothing(fresh):
    pm = fresh()
    pm.register(names_plugin("one", ("nn.Thing", "json:dumps")), name="one",
                distribution="ember-one")
    two = make_plugin("two", ember_register_backends=lambda: [BackendSpec("twodev")],
                      ember_register_namespace=lambda: [NamespaceEntry("nn.Thing", "json:loads")])
    with pytest.raises(PluginConflictError,
                       match=r"ember.nn.Thing is provided by both ember-one and ember-two"):
        pm.register(two, name="two", distribution="ember-two")
    assert "twodev" not in pm.backends
    assert pm.namespace["nn.Thing"] == ("json:dumps", "ember-one")
    # the rejected plugin left no hooks behind, so it can be registered after a fix
    assert pm.pm.get_plugin("two") is None


def test_duplicate_in_broken_entry_point_is_recorded_not_raised(fresh):
    pm = fresh(FakeEntryPoint("a", "ember-a", "0.1.0", backend_plugin("a", "same")),
               FakeEntryPoint("b", "ember-b", "0.2.0", backend_plugin("b", "same")))
    pm.load()
    (failure,) = pm.failures
    assert failure.distribution == "ember-b"
    assert "provided by both ember-a and ember-b" in failure.error


def test_duplicate_op_is_an_error_and_rolls_back(fresh):
    def declare_x(registry):
        registry.declare("fancy_op", "one")

    def declare_xy(registry):
        registry.declare("other_op", "two")
        registry.declare("fancy_op", "two")

    pm = fresh()
    pm.register(make_plugin("one", ember_register_ops=declare_x), name="one",
                distribution="ember-one")
    assert pm.plugins["one"].ops == ["fancy_op"]
    with pytest.raises(PluginConflictError,
                       match="op 'fancy_op' is declared by both ember-one and ember-two"):
        pm.register(make_plugin("two", ember_register_ops=declare_xy), name="two",
                    distribution="ember-two")
    assert set(pm.ops.ops) == {"fancy_op"}


def test_duplicate_kernel_is_an_error_naming_both(fresh):
    def kernels(backend, registry):
        if backend == "kdev":
            registry.add("add", lambda a, b: a + b)

    pm = fresh()
    pm.register(make_plugin("one", ember_register_kernels=kernels), name="one",
                distribution="ember-one")
    pm.register(make_plugin("two", ember_register_kernels=kernels), name="two",
                distribution="ember-two")
    with pytest.raises(PluginConflictError,
                       match="kernel 'add' for device 'kdev' is registered by both ember-one "
                             "and ember-two"):
        pm.collect_kernels("kdev")


def test_kernel_counts_and_hooks_called_with_keywords(fresh):
    calls: list[str] = []

    def kernels(registry, backend):  # keyword call: argument order does not matter
        calls.append(backend)
        if backend == "kdev":
            registry.update({"add": lambda a, b: a + b, "neg": lambda a: -a})

    pm = fresh()
    pm.register(make_plugin("k", ember_register_backends=lambda: [BackendSpec("kdev")],
                            ember_register_kernels=kernels), name="k", distribution="ember-k")
    registry = pm.collect_kernels("kdev")
    assert set(registry.kernels) == {"add", "neg"}
    assert registry.kernels["neg"](3) == -3
    pm.collect_kernels("kdev")
    assert pm.plugins["k"].kernels == {"kdev": 2}
    assert calls == ["kdev", "kdev"]


def test_kernel_hook_failure_is_recorded_and_other_plugins_still_serve(fresh):
    def good(backend, registry):
        registry.add("add", lambda a, b: a + b)

    def bad(backend, registry):
        registry.add("neg", lambda a: -a)
        raise KeyError("lost")

    pm = fresh()
    pm.register(make_plugin("good", ember_register_kernels=good), name="good",
                distribution="ember-good")
    pm.register(make_plugin("bad", ember_register_kernels=bad), name="bad",
                distribution="ember-bad")
    registry = pm.collect_kernels("any")
    assert set(registry.kernels) == {"add"}
    assert pm.failure_for("ember-bad").error == "KeyError: 'lost'"


def test_comm_backends_are_collected_and_conflicts_named(fresh):
    def engines():
        return [CommBackendSpec("fakempi", factory=lambda rank, world_size: (rank, world_size))]

    pm = fresh()
    pm.register(make_plugin("c1", ember_register_comm_backends=engines), name="c1",
                distribution="ember-c1")
    spec, dist = pm.comm_backends()["fakempi"]
    assert dist == "ember-c1" and spec.factory(1, 2) == (1, 2)
    pm.register(make_plugin("c2", ember_register_comm_backends=engines), name="c2",
                distribution="ember-c2")
    with pytest.raises(PluginConflictError, match="'fakempi' is provided by both ember-c1 "
                                                  "and ember-c2"):
        pm.comm_backends()


def test_unregister_removes_everything(fresh):
    pm = fresh()
    pm.register(make_plugin("u", ember_register_backends=lambda: [BackendSpec("udev")],
                            ember_register_namespace=lambda: [NamespaceEntry("nn.U", "json")],
                            ember_register_ops=lambda registry: registry.declare("u_op")),
                name="u", distribution="ember-u")
    pm.unregister("u")
    assert "udev" not in pm.backends and "nn.U" not in pm.namespace
    assert "u_op" not in pm.ops.ops and pm.pm.get_plugin("u") is None
    with pytest.raises(ValueError, match="already registered"):
        pm.register(backend_plugin("v", "vdev"), name="v", distribution="ember-v")
        pm.register(backend_plugin("v", "vdev2"), name="v", distribution="ember-v")


# -- install hints ------------------------------------------------------------------------------


def test_missing_family_name_says_what_to_install(fresh):
    fresh().load()
    with pytest.raises(AttributeError) as info:
        ember.nn.Conv2d  # noqa: B018
    assert str(info.value) == ("ember.nn.Conv2d is provided by ember-conv, which is not "
                               "installed: pip install ember-conv")


@pytest.mark.parametrize(("expr", "dist"), [
    ("ember.nn.Linear", "ember-layers"),
    ("ember.nn.functional.cross_entropy", "ember-losses"),
    ("ember.nn.functional.conv2d", "ember-conv"),
    ("ember.nn.LSTM", "ember-recurrent"),
    ("ember.optim.SGD", "ember-optim"),
    ("ember.utils.data", "ember-data"),
    ("ember.nn.utils.clip_grad_norm_", "ember-utils"),
])
def test_every_family_has_an_install_hint(fresh, expr, dist):
    fresh().load()
    with pytest.raises(AttributeError, match=f"which is not installed: pip install {dist}$"):
        eval(expr)


def test_missing_submodule_import_says_what_to_install(fresh):
    fresh().load()
    with pytest.raises(ModuleNotFoundError, match="pip install ember-utils"):
        importlib.import_module("ember.nn.utils.prune")


def test_unknown_name_is_a_plain_attribute_error(fresh):
    fresh().load()
    with pytest.raises(AttributeError, match="module 'ember.nn' has no attribute 'Nope'"):
        ember.nn.Nope  # noqa: B018
    with pytest.raises(ModuleNotFoundError, match="No module named 'ember.nn.nope'"):
        importlib.import_module("ember.nn.nope")


def test_failed_family_points_at_ember_info(fresh):
    fresh(FakeEntryPoint("conv", "ember-conv", "0.1.0", ImportError("bad build"))).load()
    with pytest.raises(AttributeError, match=r"ember.nn.Conv2d is provided by ember-conv, "
                                             r"which failed to load \(ImportError: bad build\); "
                                             r"run `python -m ember info`"):
        ember.nn.Conv2d  # noqa: B018


def test_no_backend_names_ember_cpu(fresh):
    fresh().load()
    with pytest.raises(RuntimeError, match="no backend for device 'cpu'; installed: none; "
                                           "pip install ember-cpu"):
        ember.ones(2)


def test_no_cuda_backend_lists_the_installed_ones(fresh):
    pm = fresh()
    pm.load()
    pm.register(backend_plugin("cpu", "cpu"), name="cpu", distribution="ember-cpu",
                version="0.1.0")
    with pytest.raises(RuntimeError, match=r"no backend for device 'cuda'; installed: cpu "
                                           r"\(ember-cpu 0.1.0\); pip install ember-cuda"):
        ember.ones(2, device="cuda")


def test_catalog_covers_the_api_contract_sections():
    assert CATALOG["nn.Conv2d"] == "ember-conv"
    assert CATALOG["nn.MultiheadAttention"] == "ember-transformer"
    assert provider("optim.lr_scheduler.StepLR") == "ember-optim"
    assert provider("utils.data.DataLoader") == "ember-data"
    assert provider("nn.utils.prune.l1_unstructured") == "ember-utils"
    assert provider("nn.NotAThing") is None
    assert canonical_name("Ember_CPU.x") == "ember-cpu-x"
