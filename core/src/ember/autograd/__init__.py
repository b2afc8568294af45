"""Reverse-mode automatic differentiation: ``backward``, ``grad`` and recording modes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .graph import Node

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "Node", "Function", "FunctionCtx",
           "once_differentiable", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
           "graph", "function", "Variable"]

# Names defined in submodules that need the Tensor class; ``ember._tensor`` imports this
# package, so they are imported on first use (PEP 562) instead of here.
_LAZY = {
    "Function": "function", "FunctionCtx": "function", "BackwardCFunction": "function",
    "once_differentiable": "function", "InplaceFunction": "function",
    "NestedIOFunction": "function", "gradcheck": "_gradcheck",
    "gradgradcheck": "_gradcheck", "GradcheckError": "_gradcheck", "Variable": "variable",
}
_SUBMODULES = {"functional", "function"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def _as_list(x: Any) -> list[Any]:
    from .._tensor import Tensor

    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _check_tensors(items: list[Any], what: str) -> None:
    from .._tensor import Tensor

    for t in items:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all {what} have to be Tensors, but got "
                               f"{type(t).__name__}")


def _make_grads(outputs: list[Tensor], grads: list[Any], is_grads_batched: bool = False
                ) -> list[Tensor]:
    from .. import ops
    from .._tensor import Tensor

    out = []
    for i, (o, g) in enumerate(zip(outputs, grads, strict=True)):
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not o.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {o.dtype}")
            out.append(ops.ones_like(o))
        else:
            if not isinstance(g, Tensor):
                g = ops.tensor(g, dtype=o.dtype, device=o.device)
            if tuple(g.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape!r} and output[{i}] has a shape of "
                                   f"{o.shape!r}.")
            out.append(g)
    return out


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None
             ) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Args:
        tensors: the tensors to differentiate (usually one scalar loss).
        grad_tensors: the gradient with respect to each tensor; may be None for scalars.
        retain_graph: keep the graph for another backward (defaults to ``create_graph``).
        create_graph: record the backward pass so higher-order gradients can be taken.
        inputs: only these tensors accumulate gradients.
    """
    outs = _as_list(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(outs)
    if len(grads) != len(outs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outs)} gradients")
    for o in outs:
        if not o.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    seeds = _make_grads(outs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    inp = _as_list(inputs) if inputs is not None else None
    if inp is not None and not inp:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(outs, seeds, retain_graph, create_graph, inputs=inp, accumulate=True)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False
         ) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs`` (nothing is accumulated into
    ``.grad``).

    Args:
        outputs: tensors to differentiate.
        inputs: tensors to differentiate with respect to.
        grad_outputs: the gradient with respect to each output (None for scalars).
        retain_graph: keep the graph (defaults to ``create_graph``).
        create_graph: record the computation, for higher-order derivatives.
        allow_unused: return None for inputs the outputs do not depend on instead of
            raising.
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        One gradient per input.

    >>> import ember
    >>> x = ember.tensor(3.0, requires_grad=True)
    >>> ember.autograd.grad(x * x, x)
    (tensor(6.),)
    """
    outs = _as_list(outputs)
    inp = _as_list(inputs)
    _check_tensors(inp, "inputs")
    _check_tensors(outs, "outputs")
    if is_grads_batched:
        return _batched_grad(outs, inp, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True")
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(grads) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grads)} "
                           f"grad_outputs and {len(outs)} outputs")
    for o in outs:
        if not o.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    seeds = _make_grads(outs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outs, seeds, retain_graph, create_graph, inputs=inp,
                          allow_unused=allow_unused, accumulate=False,
                          materialize_grads=materialize_grads)
    assert result is not None
    return result


def _batched_grad(outs: list[Tensor], inp: list[Tensor], grad_outputs: Any,
                  retain_graph: bool | None, create_graph: bool, allow_unused: bool | None,
                  materialize_grads: bool) -> tuple[Tensor | None, ...]:
    """``grad(..., is_grads_batched=True)``: the first dimension of every grad_output is a
    batch; one backward pass per batch entry, results stacked along a new first dim."""
    from .. import ops

    gos = _as_list(grad_outputs)
    if len(gos) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gos)} "
                           f"grad_outputs and {len(outs)} outputs")
    sizes = {int(g.shape[0]) for g in gos if g is not None and g.ndim > 0}
    if len(sizes) != 1 or any(g is None or g.ndim == 0 for g in gos):
        raise RuntimeError("If `is_grads_batched=True`, every grad_output must be a tensor "
                           "whose first dimension is the same batch size")
    (n,) = sizes
    per_input: list[list[Tensor | None]] = [[] for _ in inp]
    for b in range(n):
        res = grad(outs, inp, [g[b] for g in gos], retain_graph=True,
                   create_graph=create_graph, allow_unused=allow_unused,
                   materialize_grads=materialize_grads)
        for slot, r in zip(per_input, res, strict=True):
            slot.append(r)
    if not (create_graph or retain_graph):
        for o in outs:
            fn = o.grad_fn
            if fn is not None:
                _release_graph(fn)
    out: list[Tensor | None] = []
    for slot, t in zip(per_input, inp, strict=True):
        if all(r is None for r in slot):
            out.append(None)
            continue
        out.append(ops.stack([ops.zeros_like(t) if r is None else r for r in slot], 0))
    return tuple(out)


def _release_graph(root: Node) -> None:
    """Free the saved tensors of every node reachable from ``root``."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.release()
        stack.extend(e[0] for e in node.next_functions if e is not None)


Sequence  # noqa: B018  (re-exported for type checkers)
