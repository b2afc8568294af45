"""Checking gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

The analytical Jacobian comes from the autograd engine (one backward per output element,
or one random projection in fast mode); the numerical one from central differences,
``(f(x + eps) - f(x - eps)) / (2 eps)``, computed in the inputs' own dtype (use float64:
float32 has too few digits for ``eps=1e-6``). Both are laid out as torch lays them out:
one ``(input numel, output numel)`` matrix per (input, output) pair.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` and :func:`gradgradcheck` when a check fails."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _to_np(t: Tensor) -> np.ndarray:
    return np.array(t.detach().cpu().numpy(), dtype=np.float64, copy=True)


def _like(arr: np.ndarray, t: Tensor) -> Tensor:
    from .. import ops

    return ops.tensor(arr, dtype=t.dtype, device=t.device)


def _float_outputs(outputs: tuple[Any, ...]) -> list[Tensor]:
    return [o for o in outputs if isinstance(o, Tensor) and o.is_floating_point()]


def _eval(func: Callable[..., Any], inputs: tuple[Any, ...]) -> list[np.ndarray]:
    outs = _as_tuple(func(*inputs))
    return [_to_np(o).reshape(-1) for o in _float_outputs(outs)]


def _numerical(func: Callable[..., Any], inputs: tuple[Any, ...], idx: int,
               direction: np.ndarray | None, eps: float) -> list[np.ndarray]:
    """Central differences of every float output with respect to input ``idx``.

    Without ``direction``: one ``(input numel, output numel)`` matrix per output. With it:
    the directional derivative along ``direction`` (a vector of output numel per output).
    """
    x = inputs[idx]
    base = _to_np(x)
    flat = base.reshape(-1)

    def at(values: np.ndarray) -> list[np.ndarray]:
        args = list(inputs)
        args[idx] = _like(values.reshape(base.shape), x).requires_grad_(x.requires_grad)
        return _eval(func, tuple(args))

    if direction is not None:
        plus = at(flat + eps * direction)
        minus = at(flat - eps * direction)
        return [(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)]
    columns: list[list[np.ndarray]] = []
    for j in range(flat.size):
        pert = flat.copy()
        pert[j] += eps
        plus = at(pert)
        pert[j] -= 2 * eps
        minus = at(pert)
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)])
    out_sizes = [c.size for c in columns[0]] if columns else \
        [o.size for o in _eval(func, inputs)]
    mats = []
    for k in range(len(out_sizes)):
        mat = np.zeros((flat.size, out_sizes[k]))
        for j, col in enumerate(columns):
            mat[j] = col[k]
        mats.append(mat)
    return mats


def _analytical(outputs: list[Tensor], diff_inputs: list[Tensor], k: int,
                check_grad_dtypes: bool) -> list[np.ndarray]:
    """The rows of output ``k``'s Jacobian from backward: one matrix per input."""
    from .. import ops
    from . import grad

    out = outputs[k]
    n = out.numel()
    mats = [np.zeros((t.numel(), n)) for t in diff_inputs]
    if not out.requires_grad:
        return mats
    flat_seed = np.zeros(n)
    for e in range(n):
        flat_seed[:] = 0.0
        flat_seed[e] = 1.0
        seed = ops.tensor(flat_seed.reshape(tuple(out.shape)), dtype=out.dtype, device=out.device)
        grads = grad(out, diff_inputs, seed, retain_graph=True, allow_unused=True)
        for i, (g, t) in enumerate(zip(grads, diff_inputs, strict=True)):
            if g is None:
                continue
            _check_meta(g, t, check_grad_dtypes)
            mats[i][:, e] = _to_np(g).reshape(-1)
    return mats


def _check_meta(g: Tensor, t: Tensor, check_grad_dtypes: bool) -> None:
    if tuple(g.shape) != tuple(t.shape):
        raise GradcheckError("Gradient has shape mismatch")
    if check_grad_dtypes and g.dtype is not t.dtype:
        raise GradcheckError("Gradient has dtype mismatch")
    if g.device.type != t.device.type:
        raise GradcheckError("Gradient has device type mismatch")


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _check_inputs(inputs: tuple[Any, ...]) -> list[int]:
    diff = []
    for idx, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t.dtype.name != "float64":
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all "
                              "the inputs are not of double precision floating point or "
                              "complex. ", UserWarning, stacklevel=3)
            strides = t.stride()
            if any(s == 0 and n > 1 for s, n in zip(strides, t.shape, strict=True)):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck "
                                 "only supports inputs that are non-overlapping to be able to "
                                 "compute the numerical gradients correctly. You should call "
                                 ".contiguous on the input before passing it to gradcheck.")
            diff.append(idx)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    return diff


def _fmt(mat: np.ndarray) -> str:
    from .. import ops

    return repr(ops.tensor(mat))


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Compare the gradients autograd computes for ``func`` with finite differences.

    For every input that requires grad and every floating-point output, the Jacobian
    from backward must match the central-difference Jacobian within
    ``|analytical - numerical| <= atol + rtol * |numerical|``.

    Args:
        func: takes the inputs, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of arguments; tensors with ``requires_grad=True`` are
            checked (use float64).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).
        nondet_tol: how much two backward runs on the same input may differ.
        check_undefined_grad: check that backward accepts zero output gradients.
        check_grad_dtypes: also require each gradient to have its input's dtype.
        check_batched_grad: also check backward on several random output gradients.
        check_batched_forward_grad: same as ``check_forward_ad`` here (no vmap).
        check_forward_ad: also check Jacobian-vector products (computed by double
            backward) against finite differences.
        check_backward_ad: check the backward Jacobian (default True).
        fast_mode: compare one random projection ``v^T J u`` instead of the whole Jacobian.
        masked: accepted for signature compatibility (dense tensors only).

    Returns:
        True when every check passes.

    >>> import ember
    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
    """
    del masked
    inputs = _as_tuple(inputs)
    diff_idx = _check_inputs(inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    outputs = _float_outputs(_as_tuple(func(*inputs)))
    if check_backward_ad:
        ok = (_check_fast if fast_mode else _check_full)(
            func, inputs, diff_idx, outputs, eps, atol, rtol, raise_exception, nondet_tol,
            check_grad_dtypes)
        if not ok:
            return False
        if check_batched_grad and not _check_batched(outputs, diff_inputs, atol, rtol,
                                                     raise_exception):
            return False
        if check_undefined_grad and not _check_undefined(outputs, diff_inputs,
                                                         raise_exception):
            return False
    if (check_forward_ad or check_batched_forward_grad) and not _check_forward(
            func, inputs, diff_idx, eps, atol, rtol, raise_exception):
        return False
    return True


def _check_full(func: Callable[..., Any], inputs: tuple[Any, ...], diff_idx: list[int],
                outputs: list[Tensor], eps: float, atol: float, rtol: float,
                raise_exception: bool, nondet_tol: float, check_grad_dtypes: bool) -> bool:
    diff_inputs = [inputs[i] for i in diff_idx]
    numerical = [_numerical(func, inputs, i, None, eps) for i in diff_idx]
    any_differentiable = any(o.requires_grad for o in outputs)
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            # As in torch: outputs that do not require grad are checked (their numerical
            # gradient must be exactly zero) only when no output requires grad.
            if not any_differentiable:
                for num in numerical:
                    if np.any(num[k] != 0):
                        return _fail("Numerical gradient for function expected to be zero",
                                     raise_exception)
            continue
        analytical = _analytical(outputs, diff_inputs, k, check_grad_dtypes)
        for j, (a, num) in enumerate(zip(analytical, numerical, strict=True)):
            if not np.allclose(a, num[k], rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {k} with respect to input "
                             f"{diff_idx[j]},\nnumerical:{_fmt(num[k])}\nanalytical:"
                             f"{_fmt(a)}\n", raise_exception)
        again = _analytical(outputs, diff_inputs, k, check_grad_dtypes)
        for a, b in zip(analytical, again, strict=True):
            if np.abs(a - b).max(initial=0.0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same "
                             "input and grad_output multiple times gives different values, "
                             "although analytical gradient matches numerical gradient.The "
                             f"tolerance for nondeterminism was {nondet_tol}.", raise_exception)
    return True


def _check_fast(func: Callable[..., Any], inputs: tuple[Any, ...], diff_idx: list[int],
                outputs: list[Tensor], eps: float, atol: float, rtol: float,
                raise_exception: bool, nondet_tol: float, check_grad_dtypes: bool) -> bool:
    from .. import ops
    from . import grad

    rng = np.random.default_rng(0)
    diff_inputs = [inputs[i] for i in diff_idx]
    for j, idx in enumerate(diff_idx):
        u = rng.uniform(-1.0, 1.0, diff_inputs[j].numel())
        num = _numerical(func, inputs, idx, u, eps)
        for k, out in enumerate(outputs):
            v = rng.uniform(-1.0, 1.0, out.numel())
            expected = float(num[k] @ v)
            if not out.requires_grad:
                if not any(o.requires_grad for o in outputs) and \
                        np.abs(num[k]).max(initial=0.0) > nondet_tol:
                    return _fail("Numerical gradient for function expected to be zero",
                                 raise_exception)
                continue
            seed = ops.tensor(v.reshape(tuple(out.shape)), dtype=out.dtype, device=out.device)
            (g,) = grad(out, diff_inputs[j], seed, retain_graph=True, allow_unused=True)
            if g is not None:
                _check_meta(g, diff_inputs[j], check_grad_dtypes)
            got = 0.0 if g is None else float(_to_np(g).reshape(-1) @ u)
            if abs(got - expected) > atol + rtol * abs(expected):
                return _fail(f"Jacobian mismatch for output {k} with respect to input {idx},\n"
                             f"numerical:{expected!r}\nanalytical:{got!r}\n\nThe above "
                             "quantities relating the numerical and analytical jacobians are "
                             "computed in fast mode (a random projection v^T J u).",
                             raise_exception)
    return True


def _check_batched(outputs: list[Tensor], diff_inputs: list[Tensor], atol: float,
                   rtol: float, raise_exception: bool) -> bool:
    """Backward with a sum of two output gradients equals the sum of two backwards."""
    from .. import ops
    from . import grad

    live = [o for o in outputs if o.requires_grad]
    if not live:
        return True
    rng = np.random.default_rng(1)
    seeds = [[ops.tensor(rng.uniform(-1, 1, tuple(o.shape)), dtype=o.dtype, device=o.device)
              for o in live] for _ in range(2)]

    def run(gs: list[Tensor]) -> list[np.ndarray]:
        res = grad(live, diff_inputs, gs, retain_graph=True, allow_unused=True)
        return [np.zeros(tuple(t.shape)) if g is None else _to_np(g)
                for g, t in zip(res, diff_inputs, strict=True)]

    a, b = run(seeds[0]), run(seeds[1])
    both = run([x + y for x, y in zip(seeds[0], seeds[1], strict=True)])
    for i, (x, y, z) in enumerate(zip(a, b, both, strict=True)):
        if not np.allclose(x + y, z, rtol=rtol, atol=atol):
            return _fail(f"While computing batched gradients, got: batched grad of input {i} "
                         "differs from the sum of per-sample gradients", raise_exception)
    return True


def _check_undefined(outputs: list[Tensor], diff_inputs: list[Tensor],
                     raise_exception: bool) -> bool:
    """Backward seeded with zeros must give zero (or no) gradients."""
    from .. import ops
    from . import grad

    live = [o for o in outputs if o.requires_grad]
    if not live:
        return True
    zeros = [ops.zeros_like(o) for o in live]
    res = grad(live, diff_inputs, zeros, retain_graph=True, allow_unused=True)
    for g in res:
        if g is not None and np.any(_to_np(g) != 0):
            return _fail("Expected backward function to handle undefined output grads. "
                         "Please look at \"Notes about undefined output gradients\" in "
                         "\"tools/autograd/derivatives.yaml\"", raise_exception)
    return True


def _check_forward(func: Callable[..., Any], inputs: tuple[Any, ...], diff_idx: list[int],
                   eps: float, atol: float, rtol: float, raise_exception: bool) -> bool:
    """Jacobian-vector products (through double backward) against finite differences."""
    from .functional import jvp

    rng = np.random.default_rng(2)
    for idx in diff_idx:
        x = inputs[idx]
        u = rng.uniform(-1.0, 1.0, x.numel())
        num = _numerical(func, inputs, idx, u, eps)

        def along(t: Tensor, idx: int = idx) -> Any:
            args = list(inputs)
            args[idx] = t
            outs = _as_tuple(func(*args))
            return tuple(_float_outputs(outs))

        _, tangents = jvp(along, x.detach(), _like(u.reshape(tuple(x.shape)), x))
        for k, (t, n) in enumerate(zip(_as_tuple(tangents), num, strict=True)):
            if not np.allclose(_to_np(t).reshape(-1), n, rtol=rtol, atol=atol):
                return _fail(f"Jacobian computed with forward mode mismatch for output {k} "
                             f"with respect to input {idx},\nnumerical:{_fmt(n)}\n"
                             f"analytical:{_fmt(_to_np(t).reshape(-1))}\n", raise_exception)
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: :func:`gradcheck` applied to the backward of ``func``.

    The function checked maps ``(inputs, grad_outputs)`` to the gradients of ``func``'s
    outputs with respect to ``inputs``, computed with ``create_graph=True``.

    Args:
        func: takes the inputs, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of arguments (float64 tensors requiring grad).
        grad_outputs: the output gradients to use; random in [-1, 1) when None.
        gen_non_contig_grad_outputs: make the generated output gradients non-contiguous.
        eps: as in :func:`gradcheck`, and so are ``atol``, ``rtol``, ``raise_exception``,
            ``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes``,
            ``check_batched_grad``, ``fast_mode`` and ``masked``.
        check_fwd_over_rev: also check forward-over-reverse products.
        check_rev_over_rev: check reverse-over-reverse (default True).

    Returns:
        True when every check passes.
    """
    from .. import ops
    from . import grad

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _float_outputs(_as_tuple(func(*inputs)))
        made = []
        for o in outs:
            if not o.requires_grad:
                continue
            shape = tuple(o.shape)
            if gen_non_contig_grad_outputs and len(shape) >= 1:
                big = ops.tensor(rng.uniform(-1, 1, (*shape, 2)), dtype=o.dtype,
                                 device=o.device)
                g = big.select(-1, 0)
            else:
                g = ops.tensor(rng.uniform(-1, 1, shape), dtype=o.dtype, device=o.device)
            made.append(g.requires_grad_(True))
        grad_outputs = tuple(made)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_grad = len(grad_outputs)
    n_in = len(inputs)

    def new_func(*args: Any) -> tuple[Tensor, ...]:
        ins = args[:n_in]
        gos = args[n_in:]
        outs = [o for o in _float_outputs(_as_tuple(func(*ins))) if o.requires_grad]
        diff = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
        res = grad(outs, diff, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in res if g is not None)

    del n_grad
    all_inputs = inputs + tuple(grad_outputs)
    return gradcheck(new_func, all_inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, fast_mode=fast_mode, masked=masked)

