"""The test harness: check an op's forward, backward and double backward on any device.

The reference is torch 2.13 when it is installed; otherwise the op's numpy reference for
values and finite differences (``gradcheck`` / ``gradgradcheck`` in float64) for
gradients, with float32 checked against the same op in float64. The helpers
:func:`to_torch`, :func:`from_torch`, :func:`to_numpy` and :func:`assert_close` are
meant for every plugin's tests.

>>> from ember_testing import harness, opdb
>>> harness.check_op(opdb.get("exp"), device="cpu", dtype="float64")["samples"] > 0
True
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from .opdb import DEFAULT_TOLS, OpInfo, SampleInput

__all__ = ["to_numpy", "to_torch", "from_torch", "assert_close", "torch_available",
           "installed_devices", "run_forked",
           "reference_kind", "run_sample", "check_forward", "check_backward",
           "check_double_backward", "check_op"]


def torch_available() -> bool:
    """Whether torch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def installed_devices() -> list[str]:
    """The device types of every installed backend that is available on this machine
    (e.g. ``["cpu", "cuda"]``), for tests that run on every backend."""
    from ember.plugins.manager import manager

    manager.load()
    out = []
    for device_type, (spec, _dist) in sorted(manager.backends.items()):
        try:
            if spec.is_available():
                out.append(device_type)
        except Exception:  # a backend that cannot even answer is not usable here
            continue
    return out


def run_forked(fn: Any, timeout: float = 60.0) -> int:
    """Run ``fn()`` in a forked child and return the child's exit status (``0`` when ``fn``
    returned true, ``1`` when false, ``2`` when it raised).

    For checking that kernels still work in a fork of a process that already ran them (as
    data-loading workers are). The child leaves with ``os._exit``, skipping the parent's
    cleanup; a child still running after ``timeout`` seconds is killed and reported with
    an ``AssertionError``.
    """
    import os
    import signal
    import time

    pid = os.fork()
    if pid == 0:  # the child
        try:
            code = 0 if fn() else 1
        except BaseException:  # noqa: BLE001 - any failure is reported as status 2
            code = 2
        os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"the forked child was still running after {timeout} s")
        time.sleep(0.05)


def _is_ember(x: Any) -> bool:
    import ember

    return isinstance(x, ember.Tensor)


def _is_torch(x: Any) -> bool:
    mod = type(x).__module__
    return mod.startswith("torch") and hasattr(x, "detach")


def _dtype_name(x: Any) -> str:
    return str(x.dtype).rsplit(".", 1)[-1]


def to_numpy(x: Any) -> np.ndarray:
    """The values of an ember tensor, a torch tensor, an array or a number as a numpy
    array (bfloat16 becomes float32)."""
    if _is_ember(x):
        t = x.detach()
        if _dtype_name(t) == "bfloat16":
            t = t.float()
        return np.asarray(t.cpu().numpy())
    if _is_torch(x):
        t = x.detach().cpu()
        if _dtype_name(t) == "bfloat16":
            t = t.float()
        return t.numpy(force=True)  # force: torch may hand back a lazy "ZeroTensor"
    return np.asarray(x)


def to_torch(t: Any, requires_grad: bool | None = None) -> Any:
    """A torch tensor with the values and dtype of ember tensor ``t`` (a copy, on cpu)."""
    import torch

    name = _dtype_name(t)
    arr = np.array(to_numpy(t), copy=True)
    out = torch.from_numpy(arr)
    if name == "bfloat16":
        out = out.to(torch.bfloat16)
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg)


def from_torch(t: Any, device: Any = None, requires_grad: bool | None = None) -> Any:
    """An ember tensor with the values and dtype of torch tensor ``t`` (a copy)."""
    import ember

    name = _dtype_name(t)
    arr = np.array(to_numpy(t), copy=True)
    out = ember.tensor(arr, device=device)
    if name == "bfloat16":
        out = out.to(ember.bfloat16)
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def _flatten(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        out: list[Any] = []
        for el in x:
            out.extend(_flatten(el))
        return out
    return [x]


def assert_close(actual: Any, expected: Any, rtol: float | None = None,
                 atol: float | None = None, *, equal_nan: bool = True,
                 check_dtype: bool = True, msg: str = "") -> None:
    """Assert that two (nested tuples of) tensors, arrays or numbers are close.

    Tolerances default to the dtype's (see :data:`ember_testing.opdb.DEFAULT_TOLS`).
    ``None`` matches ``None`` or an all-zero tensor (an unused input's gradient).
    """
    a_items, e_items = _flatten(actual), _flatten(expected)
    if len(a_items) != len(e_items):
        raise AssertionError(f"{msg}: got {len(a_items)} values, expected {len(e_items)}")
    for i, (a, e) in enumerate(zip(a_items, e_items, strict=True)):
        where = f"{msg} [item {i}]" if len(a_items) > 1 else msg
        if a is None or e is None:
            other = e if a is None else a
            if other is not None and np.any(to_numpy(other) != 0):
                raise AssertionError(f"{where}: one side is None, the other is non-zero")
            continue
        if check_dtype and hasattr(a, "dtype") and hasattr(e, "dtype") and \
                not isinstance(a, np.ndarray) and _dtype_name(a) != _dtype_name(e):
            raise AssertionError(f"{where}: dtype {_dtype_name(a)} != {_dtype_name(e)}")
        an, en = to_numpy(a), to_numpy(e)
        if an.shape != en.shape:
            raise AssertionError(f"{where}: shape {an.shape} != {en.shape}")
        name = an.dtype.name if an.dtype.kind == "f" else "float64"
        r, t = DEFAULT_TOLS.get(name, (1e-5, 1e-8))
        r = r if rtol is None else rtol
        t = t if atol is None else atol
        if an.dtype.kind in "biu" and en.dtype.kind in "biu":
            if not np.array_equal(an, en):
                raise AssertionError(f"{where}: values differ\nactual: {an}\nexpected: {en}")
            continue
        np.testing.assert_allclose(an.astype(np.float64), en.astype(np.float64), rtol=r,
                                   atol=t, equal_nan=equal_nan, err_msg=where)


# ------------------------------------------------------------------ running one sample
def reference_kind(info: OpInfo, device: Any = "cpu") -> str:
    """Which reference the checks use: ``"torch"``; ``"numpy"`` (the record's numpy
    reference, finite differences for gradients); ``"cpu"`` (the same op on the cpu
    backend, for another device); or ``"self"`` (float32 against float64 and finite
    differences only)."""
    if info.ref is not None and torch_available():
        return "torch"
    if info.np_ref is not None:
        return "numpy"
    if str(device).split(":")[0] != "cpu" and "cpu" in installed_devices():
        return "cpu"
    return "self"


def _lib(name: str) -> Any:
    import importlib

    return importlib.import_module(name)


def run_sample(fn: Any, sample: SampleInput, lib: Any, dtype: str, device: Any = None,
               requires_grad: bool = False) -> tuple[Any, list[Any]]:
    """Build the sample's tensors in ``lib`` and call ``fn``.

    Returns:
        ``(output, inputs)``: the raw output and the tensors gradients are taken for.
    """
    tensors = [a.build(lib, dtype, device, requires_grad) for a in sample.tensors]
    out = fn(*tensors, *sample.args, **sample.kwargs)
    diff = [t for t, a in zip(tensors, sample.tensors, strict=True)
            if requires_grad and a.grad and a.is_float]
    return out, diff


def _float_outs(out: Any) -> list[Any]:
    return [o for o in _flatten(out) if hasattr(o, "requires_grad") and o.requires_grad]


def _seeds(outs: list[Any], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.uniform(-1.0, 1.0, tuple(o.shape)) for o in outs]


def _grads(lib: Any, outs: list[Any], inputs: list[Any], seeds: list[np.ndarray],
           dtype: str, create_graph: bool) -> list[Any]:
    if not outs or not inputs:
        return [None] * len(inputs)
    gos = [lib.tensor(s.astype(dtype), device=o.device) for s, o in zip(seeds, outs,
                                                                         strict=True)]
    return list(lib.autograd.grad(outs, inputs, gos, allow_unused=True,
                                  create_graph=create_graph))


def _second(lib: Any, grads: list[Any], inputs: list[Any], seeds: list[np.ndarray],
            dtype: str) -> list[Any]:
    live = [(g, s) for g, s in zip(grads, seeds, strict=True)
            if g is not None and g.requires_grad]
    if not live:
        return [None] * len(inputs)
    total = None
    for g, s in live:
        term = (g * lib.tensor(s.astype(dtype), device=g.device)).sum()
        total = term if total is None else total + term
    return list(lib.autograd.grad(total, inputs, allow_unused=True))


def _desc(info: OpInfo, sample: SampleInput, device: Any, dtype: str, what: str) -> str:
    return f"[{info.name}] {what} on {device} {dtype}, {sample!r}"


# ------------------------------------------------------------------ checks
def check_forward(info: OpInfo, device: Any = "cpu", dtype: str = "float64",
                  reference: str | None = None) -> int:
    """Compare the op's outputs with the reference for every sample.

    Returns:
        The number of samples checked.
    """
    import ember

    kind = reference or reference_kind(info, device)
    rtol, atol = info.tolerance(dtype)
    n = 0
    for sample in info.sample_inputs():
        got, _ = run_sample(info.op, sample, ember, dtype, device)
        what = _desc(info, sample, device, dtype, "forward")
        if kind == "torch":
            expected, _ = run_sample(info.ref, sample, _lib("torch"), dtype)
            assert_close(got, expected, rtol, atol, msg=what)
        elif kind == "cpu":
            expected, _ = run_sample(info.op, sample, ember, dtype, "cpu")
            assert_close(got, expected, rtol, atol, msg=what)
        elif kind == "numpy":
            vals = [a.values(dtype) for a in sample.tensors]
            expected = info.np_ref(*vals, *sample.args, **sample.kwargs)  # type: ignore[misc]
            assert_close(got, expected, rtol, atol, check_dtype=False, msg=what)
        else:
            wide, _ = run_sample(info.op, sample, ember, "float64", device)
            assert_close(got, wide, max(rtol, 1e-4), max(atol, 1e-5), check_dtype=False,
                         msg=what)
        n += 1
    return n


def check_backward(info: OpInfo, device: Any = "cpu", dtype: str = "float64",
                   reference: str | None = None, double: bool = False) -> int:
    """Compare input gradients (and, with ``double``, second derivatives) with the
    reference for every sample, using random output gradients.

    Returns:
        The number of samples checked.
    """
    import ember

    kind = reference or reference_kind(info, device)
    rtol, atol = info.tolerance(dtype, grad=True)
    n = 0
    for i, sample in enumerate(info.sample_inputs()):
        what = _desc(info, sample, device, dtype, "double backward" if double else "backward")
        out, inputs = run_sample(info.op, sample, ember, dtype, device, requires_grad=True)
        outs = _float_outs(out)
        if not inputs:
            continue
        seeds = _seeds(outs, np.random.default_rng(i))
        got = _grads(ember, outs, inputs, seeds, dtype, create_graph=double)
        if double:
            seeds2 = [np.random.default_rng(100 + i).uniform(-1, 1, tuple(t.shape))
                      for t in inputs]
            got = _second(ember, got, inputs, seeds2, dtype)
        if kind == "torch":
            torch = _lib("torch")
            t_out, t_inputs = run_sample(info.ref, sample, torch, dtype, requires_grad=True)
            t_outs = _float_outs(t_out)
            expected = _grads(torch, t_outs, t_inputs, seeds, dtype, create_graph=double)
            if double:
                expected = _second(torch, expected, t_inputs, seeds2, dtype)
            assert_close(got, expected, rtol, atol, msg=what)
        elif kind == "cpu":
            c_out, c_inputs = run_sample(info.op, sample, ember, dtype, "cpu", True)
            expected = _grads(ember, _float_outs(c_out), c_inputs, seeds, dtype, double)
            if double:
                expected = _second(ember, expected, c_inputs, seeds2, dtype)
            assert_close(got, expected, rtol, atol, msg=what)
        elif any(t.numel() == 0 for t in inputs):
            for g, t in zip(got, inputs, strict=True):  # nothing to differentiate numerically
                if g is not None and tuple(g.shape) != tuple(t.shape):
                    raise AssertionError(f"{what}: gradient shape {tuple(g.shape)} != input "
                                         f"shape {tuple(t.shape)}")
        elif dtype == "float64":
            fn = _bind(info, sample, inputs)
            check = ember.autograd.gradgradcheck if double else ember.autograd.gradcheck
            with _quiet():
                check(fn, tuple(inputs), atol=1e-5, rtol=1e-3)
        else:
            wide_out, wide_in = run_sample(info.op, sample, ember, "float64", device, True)
            wide = _grads(ember, _float_outs(wide_out), wide_in, seeds, "float64", double)
            if double:
                wide = _second(ember, wide, wide_in, seeds2, "float64")
            assert_close(got, wide, max(rtol, 1e-3), max(atol, 1e-4), check_dtype=False,
                         msg=what)
        n += 1
    return n


def check_double_backward(info: OpInfo, device: Any = "cpu", dtype: str = "float64",
                          reference: str | None = None) -> int:
    """Compare second derivatives with the reference (see :func:`check_backward`)."""
    return check_backward(info, device, dtype, reference, double=True)


def _bind(info: OpInfo, sample: SampleInput, inputs: Sequence[Any]) -> Any:
    """``fn(*diff_inputs)`` calling the op with the sample's other arguments fixed."""
    import ember

    fixed = [a.build(ember, "float64", inputs[0].device) for a in sample.tensors]
    slots = [i for i, a in enumerate(sample.tensors) if a.grad and a.is_float]

    def fn(*diff: Any) -> Any:
        args = list(fixed)
        for slot, t in zip(slots, diff, strict=True):
            args[slot] = t
        return info.op(*args, *sample.args, **sample.kwargs)

    return fn


class _quiet:
    """Silence gradcheck's float precision warnings (the harness picks the dtype)."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


def check_op(info: OpInfo, device: Any = "cpu", dtype: str = "float64",
             reference: str | None = None) -> dict[str, Any]:
    """Run every check that applies to ``info``: forward, backward, double backward.

    Returns:
        A summary: the reference used and the number of samples each check covered.
    """
    kind = reference or reference_kind(info, device)
    summary: dict[str, Any] = {"op": info.name, "device": str(device), "dtype": dtype,
                               "reference": kind}
    summary["samples"] = check_forward(info, device, dtype, kind)
    if info.differentiable:
        summary["backward"] = check_backward(info, device, dtype, kind)
        if info.gradgrad:
            summary["double_backward"] = check_double_backward(info, device, dtype, kind)
    return summary
