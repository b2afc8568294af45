"""Run one unmodified torch model script under torch and under ``import ember as torch``.

A model script (``scripts/*.py``) is ordinary PyTorch code: ``import torch``,
``import torch.nn as nn``, ``from torch.utils.data import DataLoader`` ... It exposes

- ``build_model()``: the model (an ``nn.Module``);
- ``make_data()``: the data, a tensor or a tuple/list/dict of tensors;
- ``train(model, data, steps)``: a training loop; returns the per-step losses (floats);
- optionally ``evaluate(model, data)``: a float or a tuple/list/dict of floats.

:func:`load_script` executes the script's source twice under two module names: once as
written (``torch`` is torch) and once with every ``import torch`` / ``import torch.X`` /
``from torch.X import Y`` answered by ``ember`` / ``ember.X``. The aliasing lasts only
while the script's module body runs: torch's own entries in ``sys.modules`` are taken
out for that time and put back afterwards, and a meta-path finder placed first on
``sys.meta_path`` maps the names. The script's globals keep what its imports bound, so
its functions run on ember afterwards without any aliasing in place.

:func:`run_both` builds both models, copies the torch model's ``state_dict`` (parameters
and buffers) into the ember model through numpy, converts the torch data to ember
tensors through numpy, trains both for the same number of steps and returns both
results for the test to compare.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent / "scripts"


class _TorchToEmberFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``torch`` and ``torch.*`` with ``ember`` and ``ember.*``."""

    @staticmethod
    def _target(fullname: str) -> str | None:
        if fullname == "torch":
            return "ember"
        if fullname.startswith("torch."):
            return "ember" + fullname[len("torch"):]
        return None

    def find_spec(self, fullname, path=None, target=None):
        if self._target(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        # A throwaway module: exec_module puts the ember module in its place, and the
        # import system returns whatever sys.modules holds under the name afterwards.
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        sys.modules[module.__name__] = importlib.import_module(self._target(module.__name__))


def _is_torch_name(name: str) -> bool:
    return name == "torch" or name.startswith("torch.")


def load_script(name: str, backend: str) -> types.ModuleType:
    """Execute ``scripts/<name>.py`` with ``torch`` meaning torch or ember (``backend``)."""
    if backend not in ("torch", "ember"):
        raise ValueError(f"backend must be 'torch' or 'ember', got {backend!r}")
    path = SCRIPTS / f"{name}.py"
    modname = f"ember_models_{backend}_{name}"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    if backend == "torch":
        import torch  # noqa: F401  (the real one, imported before the script runs)

        sys.modules[modname] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(modname, None)
        return module

    import ember  # noqa: F401

    saved = {k: v for k, v in sys.modules.items() if _is_torch_name(k)}
    for k in saved:
        del sys.modules[k]
    finder = _TorchToEmberFinder()
    sys.meta_path.insert(0, finder)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(modname, None)
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _is_torch_name(k)]:
            del sys.modules[k]
        sys.modules.update(saved)
    return module


def _check_backend(module: types.ModuleType, backend: str) -> None:
    """The script's ``torch`` global really is the backend it was loaded for."""
    bound = module.torch.__name__
    if bound != backend:
        raise AssertionError(f"{module.__name__}: `torch` is bound to {bound!r}, not {backend!r}")


def to_numpy(obj):
    """Nested tensors (torch or ember) -> the same nesting of numpy arrays."""
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy(v) for v in obj)
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):
        return np.array(obj.detach().cpu().numpy(), copy=True)
    return obj


def to_ember(obj):
    """Nested torch tensors -> the same nesting of ember tensors (through numpy)."""
    import ember

    arrays = to_numpy(obj)

    def conv(a):
        if isinstance(a, dict):
            return {k: conv(v) for k, v in a.items()}
        if isinstance(a, (list, tuple)):
            return type(a)(conv(v) for v in a)
        if isinstance(a, np.ndarray):
            return ember.from_numpy(a)
        return a

    return conv(arrays)


def copy_state(torch_model, ember_model) -> None:
    """Load the torch model's parameters and buffers into the ember model."""
    state = to_ember(dict(torch_model.state_dict()))
    result = ember_model.load_state_dict(state, strict=True)
    if list(result.missing_keys) or list(result.unexpected_keys):
        raise AssertionError(f"state_dict mismatch: {result}")


@dataclass
class Run:
    losses: list[float]
    state: dict[str, np.ndarray]
    evaluation: object = None
    extra: dict = field(default_factory=dict)


@dataclass
class Pair:
    torch: Run
    ember: Run
    initial_keys: tuple[list[str], list[str]]


def _to_double(obj):
    """Floating tensors in a nesting -> float64 (integer tensors unchanged)."""
    if isinstance(obj, dict):
        return {k: _to_double(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_double(v) for v in obj)
    if hasattr(obj, "is_floating_point") and obj.is_floating_point():
        return obj.double()
    return obj


def run_both(name: str, steps: int, double: bool = False) -> Pair:
    """Load script ``name`` twice, train both models from the same weights and data.

    With ``double``, both models are converted with ``model.double()`` and floating data
    to float64 before training (the scripts themselves are unchanged).
    """
    import torch

    tmod = load_script(name, "torch")
    emod = load_script(name, "ember")
    _check_backend(tmod, "torch")
    _check_backend(emod, "ember")

    torch.manual_seed(0)
    tmodel = tmod.build_model()
    emodel = emod.build_model()
    keys = (list(tmodel.state_dict().keys()), list(emodel.state_dict().keys()))
    copy_state(tmodel, emodel)

    torch.manual_seed(1)
    tdata = tmod.make_data()
    edata = to_ember(tdata)
    if double:
        tmodel.double()
        emodel.double()
        tdata, edata = _to_double(tdata), _to_double(edata)

    runs = []
    # torch on one thread: the tests share a few cores, where torch's thread pool only
    # waits on itself (and its reductions would change order with the thread count).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for mod, model, data in ((tmod, tmodel, tdata), (emod, emodel, edata)):
            losses = [float(v) for v in mod.train(model, data, steps)]
            evaluation = mod.evaluate(model, data) if hasattr(mod, "evaluate") else None
            runs.append(Run(losses, to_numpy(dict(model.state_dict())), evaluation))
    finally:
        torch.set_num_threads(threads)
    return Pair(runs[0], runs[1], keys)
