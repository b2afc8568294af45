"""The plugin surface: every name ember-distributed owns resolves through ember's
namespaces, is documented, and takes torch's arguments."""

import inspect

import pytest

import ember
import ember.distributed as dist
from ember.plugins.catalog import CATALOG
from ember_distributed import plugin

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")

DIST_NAMES = [n for names in plugin.DISTRIBUTED.values() for n in names]


def test_catalog_names_are_provided():
    owned = {name for name, d in CATALOG.items() if d == "ember-distributed"
             and not name.endswith(("nn.parallel", "distributed"))}
    assert owned <= set(plugin.NN), sorted(owned - set(plugin.NN))


@pytest.mark.parametrize("name", DIST_NAMES)
def test_distributed_name_resolves_and_is_documented(name):
    obj = getattr(dist, name)
    if callable(obj) and not isinstance(obj, (str, dist.Backend)):
        assert obj.__doc__, name
    if hasattr(tdist, name) and inspect.isfunction(getattr(tdist, name)):
        theirs = list(inspect.signature(getattr(tdist, name)).parameters)
        ours = list(inspect.signature(obj).parameters)
        assert ours == theirs, (name, ours, theirs)


@pytest.mark.parametrize("dotted", sorted(plugin.NN))
def test_nn_names_match_torch_signatures(dotted):
    parts = dotted.split(".")[1:]
    ours, theirs = ember.nn, torch.nn
    for p in parts:
        ours, theirs = getattr(ours, p), getattr(theirs, p)
    assert ours.__doc__
    sig = (lambda f: list(inspect.signature(f).parameters))
    if inspect.isclass(ours):
        assert sig(ours.__init__) == sig(theirs.__init__), dotted
        assert issubclass(ours, ember.nn.Module)
    else:
        assert sig(ours) == sig(theirs), dotted


def test_submodules_and_hooks():
    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks

    assert default_hooks.allreduce_hook.__doc__
    import ember.distributed.run as launcher

    assert launcher.main.__doc__
    assert dist.is_available()


def test_comm_backends_registered():
    from ember.plugins.manager import manager

    engines = manager.comm_backends()
    assert {"mpi", "gloo", "nccl"} <= set(engines)
    assert engines["nccl"][0].device_types == ("cuda",)
    assert engines["mpi"][1] == "ember-distributed"


def test_install_hint_when_the_plugin_is_left_out(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, EMBER_DISABLE_PLUGINS="distributed", EMBER_PLUGINS="cpu,layers",
               EMBER_STRICT_PLUGINS="0")
    code = ("import ember\n"
            "print('AVAILABLE', ember.distributed.is_available())\n"
            "try:\n"
            "    ember.distributed.all_reduce\n"
            "except AttributeError as e:\n"
            "    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert "ERR ember.distributed.all_reduce is provided by ember-distributed" in out.stdout, \
        out.stdout + out.stderr
    assert "AVAILABLE False" in out.stdout  # torch's contract: never raises
