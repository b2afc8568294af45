"""The module database: small instances of every layer family, checked on any device.

A :class:`ModuleInfo` names a public module class (``"nn.Conv2d"``), its constructor
arguments and its inputs. :func:`check_module` builds it in torch and in ember with the
same weights, runs forward and backward on the device under test, and compares outputs,
parameter gradients and input gradients. Without torch it compares the device with the
cpu, or (on the cpu itself) checks the input gradients with finite differences.

Records whose class is not installed are simply not available; the conformance suite's
``modules`` level runs the available ones. Plugins add records with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .harness import assert_close, torch_available
from .opdb import Arg

__all__ = ["ModuleInfo", "register", "get", "all_modules", "available", "check_module"]


@dataclass
class ModuleInfo:
    """One module configuration to test.

    Attributes:
        name: unique record name (``"Conv2d.stride2"``).
        cls: the public dotted name below ``ember`` / ``torch`` (``"nn.Conv2d"``).
        args: constructor positional arguments.
        kwargs: constructor keywords.
        inputs: ``inputs(rng) -> tuple of Arg`` for the forward call.
        dtypes: dtypes to test.
        train: call ``train()`` (True) or ``eval()`` before the forward.
        tols: (rtol, atol) per dtype for outputs; gradients get ten times as much.
        owner: the distribution providing the class.
    """

    name: str
    cls: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    inputs: Callable[[np.random.Generator], tuple[Arg, ...]] = lambda rng: ()
    dtypes: tuple[str, ...] = ("float32", "float64")
    train: bool = True
    tols: dict[str, tuple[float, float]] = field(default_factory=dict)
    owner: str = ""

    def resolve(self, lib: Any) -> Any:
        """The class in ``lib`` (``ember`` or ``torch``); raises AttributeError if absent."""
        obj = lib
        for part in self.cls.split("."):
            obj = getattr(obj, part)
        return obj

    def tolerance(self, dtype: str, grad: bool = False) -> tuple[float, float]:
        """(rtol, atol) for outputs (or, with ``grad``, gradients) in ``dtype``."""
        base = {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}
        rtol, atol = self.tols.get(dtype, base.get(dtype, (1e-3, 1e-3)))
        return (rtol * 10, atol * 10) if grad else (rtol, atol)


_DB: dict[str, ModuleInfo] = {}
_core_loaded = False


def register(info: ModuleInfo, *, replace: bool = False) -> ModuleInfo:
    """Add a record; a second one with the same name is an error unless ``replace``."""
    if info.name in _DB and not replace:
        raise ValueError(f"module record '{info.name}' is already registered")
    _DB[info.name] = info
    return info


def _ensure_core() -> None:
    global _core_loaded
    if not _core_loaded:
        _core_loaded = True
        for info in _core_records():
            register(info, replace=True)


def get(name: str) -> ModuleInfo:
    """The record named ``name``."""
    _ensure_core()
    try:
        return _DB[name]
    except KeyError:
        raise KeyError(f"no module record '{name}'") from None


def all_modules() -> list[ModuleInfo]:
    """Every record, installed or not, in name order."""
    _ensure_core()
    return [info for _, info in sorted(_DB.items())]


def available() -> list[ModuleInfo]:
    """The records whose ember class is installed."""
    import ember

    out = []
    for info in all_modules():
        try:
            info.resolve(ember)
        except Exception:  # not installed (or its plugin failed to load)
            continue
        out.append(info)
    return out


# ------------------------------------------------------------------ checking
def _flat(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        out: list[Any] = []
        for el in x:
            out.extend(_flat(el))
        return out
    return [] if x is None else [x]


def _build(info: ModuleInfo, lib: Any, dtype: str, device: Any, state: dict[str, Any] | None
           ) -> Any:
    module = info.resolve(lib)(*info.args, **info.kwargs)
    if state is not None:
        module.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    module = module.to(dtype=getattr(lib, dtype))
    if device is not None:
        module = module.to(device)
    return module.train(info.train)


def _run(info: ModuleInfo, lib: Any, dtype: str, device: Any, state: dict[str, Any] | None,
         ) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Forward and backward; returns (outputs, parameter grads, input grads, inputs)."""
    module = _build(info, lib, dtype, device, state)
    args = info.inputs(np.random.default_rng(0))
    tensors = [a.build(lib, dtype, device, requires_grad=True) for a in args]
    outs = _flat(module(*tensors))
    live = [o for o in outs if getattr(o, "requires_grad", False)]
    if live:
        loss = sum((o * o).sum() for o in live)
        loss.backward()
    params = [p.grad for _, p in sorted(module.named_parameters())]
    grads = []
    for t, a in zip(tensors, args, strict=True):
        if a.grad and a.is_float:
            grads.append(t.grad if t.is_leaf else None)
    return outs, params, grads, tensors


def _state_from_torch(info: ModuleInfo) -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    module = info.resolve(torch)(*info.args, **info.kwargs)
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def check_module(info: ModuleInfo, device: Any = "cpu", dtype: str = "float64") -> str:
    """Compare the module's outputs and gradients on ``device`` with the reference.

    Returns:
        The reference used: ``"torch"``, ``"cpu"`` or ``"finite differences"``.
    """
    import ember

    what = f"[{info.name}] on {device} {dtype}"
    rtol, atol = info.tolerance(dtype)
    grtol, gatol = info.tolerance(dtype, grad=True)
    if torch_available():
        import torch

        state = _state_from_torch(info)
        got = _run(info, ember, dtype, device, state)
        ref = _run(info, torch, dtype, None, state)
        kind = "torch"
    else:
        ember.manual_seed(0)
        module = info.resolve(ember)(*info.args, **info.kwargs)
        state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
        got = _run(info, ember, dtype, device, state)
        if str(device) != "cpu":
            ref = _run(info, ember, dtype, "cpu", state)
            kind = "cpu"
        else:
            _finite_differences(info, state, what)
            return "finite differences"
    assert_close(got[0], ref[0], rtol, atol, msg=f"{what} outputs")
    assert_close(got[1], ref[1], grtol, gatol, msg=f"{what} parameter gradients")
    _input_grads_close(got, ref, grtol, gatol, what, torch_ref=kind == "torch")
    return kind


def _input_grads_close(got: Any, ref: Any, rtol: float, atol: float, what: str,
                       torch_ref: bool) -> None:
    # inputs that are views of a leaf (non-contiguous layouts) have no .grad: skip those
    pairs = [(g, r) for g, r in zip(got[2], ref[2], strict=True)
             if g is not None or r is not None]
    for g, r in pairs:
        assert_close(g, r, rtol, atol, msg=f"{what} input gradients")


def _finite_differences(info: ModuleInfo, state: dict[str, Any], what: str) -> None:
    import ember

    module = _build(info, ember, "float64", None, state)
    args = info.inputs(np.random.default_rng(0))
    tensors = [a.build(ember, "float64", None, requires_grad=True) for a in args]
    slots = [i for i, a in enumerate(args) if a.grad and a.is_float]
    if not slots:
        return

    def fn(*diff: Any) -> Any:
        call = list(tensors)
        for i, t in zip(slots, diff, strict=True):
            call[i] = t
        return tuple(o for o in _flat(module(*call)) if o.is_floating_point())

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ember.autograd.gradcheck(fn, tuple(tensors[i] for i in slots), atol=1e-5, rtol=1e-3)


# ------------------------------------------------------------------ core records
def _f(*shapes: tuple[int, ...], layout: str = "contig") -> Callable[..., tuple[Arg, ...]]:
    def gen(rng: np.random.Generator) -> tuple[Arg, ...]:
        return tuple(Arg(rng.standard_normal(s), layout if i == 0 else "contig")
                     for i, s in enumerate(shapes))

    return gen


def _with_target(shape: tuple[int, ...], classes: int) -> Callable[..., tuple[Arg, ...]]:
    def gen(rng: np.random.Generator) -> tuple[Arg, ...]:
        return (Arg(rng.standard_normal(shape)),
                Arg(rng.integers(0, classes, shape[:1]).astype(np.int64)))

    return gen


def _indices(rng: np.random.Generator) -> tuple[Arg, ...]:
    return (Arg(np.array([[1, 2, 4], [9, 1, 0]], np.int64)),)


def _core_records() -> list[ModuleInfo]:
    loose = {"float32": (1e-3, 1e-4)}
    return [
        ModuleInfo("Linear", "nn.Linear", (5, 4), inputs=_f((3, 5), layout="noncontig"),
                   owner="ember-layers"),
        ModuleInfo("Bilinear", "nn.Bilinear", (3, 4, 2), inputs=_f((5, 3), (5, 4)),
                   owner="ember-layers"),
        ModuleInfo("LayerNorm", "nn.LayerNorm", (5,), inputs=_f((3, 5)), owner="ember-layers"),
        ModuleInfo("BatchNorm1d", "nn.BatchNorm1d", (5,), inputs=_f((6, 5)),
                   owner="ember-layers"),
        ModuleInfo("BatchNorm2d.eval", "nn.BatchNorm2d", (3,), inputs=_f((2, 3, 4, 4)),
                   train=False, owner="ember-layers"),
        ModuleInfo("GELU", "nn.GELU", inputs=_f((3, 5)), owner="ember-layers"),
        ModuleInfo("Softmax", "nn.Softmax", kwargs={"dim": -1}, inputs=_f((3, 5)),
                   owner="ember-layers"),
        ModuleInfo("LogSoftmax", "nn.LogSoftmax", kwargs={"dim": 1}, inputs=_f((3, 5)),
                   owner="ember-layers"),
        ModuleInfo("Embedding", "nn.Embedding", (10, 4), inputs=_indices, owner="ember-layers"),
        ModuleInfo("Conv1d", "nn.Conv1d", (2, 3, 3), {"stride": 2}, inputs=_f((2, 2, 9)),
                   owner="ember-conv"),
        ModuleInfo("Conv2d", "nn.Conv2d", (3, 4, 3), {"padding": 1},
                   inputs=_f((2, 3, 6, 6), layout="noncontig"), tols=loose, owner="ember-conv"),
        ModuleInfo("ConvTranspose2d", "nn.ConvTranspose2d", (3, 2, 3), {"stride": 2},
                   inputs=_f((1, 3, 4, 4)), tols=loose, owner="ember-conv"),
        ModuleInfo("MaxPool2d", "nn.MaxPool2d", (2,), inputs=_f((2, 3, 6, 6)),
                   owner="ember-conv"),
        ModuleInfo("AvgPool2d", "nn.AvgPool2d", (2,), inputs=_f((2, 3, 6, 6)),
                   owner="ember-conv"),
        ModuleInfo("LSTM", "nn.LSTM", (4, 3), {"batch_first": True}, inputs=_f((2, 5, 4)),
                   tols=loose, owner="ember-recurrent"),
        ModuleInfo("GRU", "nn.GRU", (4, 3), inputs=_f((5, 2, 4)), tols=loose,
                   owner="ember-recurrent"),
        ModuleInfo("MultiheadAttention", "nn.MultiheadAttention", (8, 2),
                   {"batch_first": True}, inputs=_f((2, 3, 8), (2, 4, 8), (2, 4, 8)),
                   tols=loose, owner="ember-transformer"),
        ModuleInfo("TransformerEncoderLayer", "nn.TransformerEncoderLayer", (8, 2),
                   {"dim_feedforward": 16, "dropout": 0.0, "batch_first": True},
                   inputs=_f((2, 3, 8)), tols=loose, owner="ember-transformer"),
        ModuleInfo("MSELoss", "nn.MSELoss", inputs=_f((3, 4), (3, 4)), owner="ember-losses"),
        ModuleInfo("CrossEntropyLoss", "nn.CrossEntropyLoss", inputs=_with_target((4, 5), 5),
                   owner="ember-losses"),
    ]
