"""The backward pass: run recorded nodes in dependency order and deliver the gradients.

Nodes run once all the nodes that feed them have run; among ready nodes the most recently
created runs first, as in torch, so hooks fire in the same order. Gradients reaching a
leaf go through its hooks and then into ``.grad``; ``autograd.grad`` captures them instead.
"""

from __future__ import annotations

import heapq
import itertools
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .anomaly_mode import ANOMALY, describe
from .grad_mode import GRAD
from .graph import AccumulateGrad, Node, edge_of

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["run_backward"]


def _zeros_for(meta: tuple[Any, ...]) -> Tensor:
    from .. import ops

    shape, dtype, device = meta
    return ops.zeros(shape, dtype=dtype, device=device)


def _accumulate_into_leaf(var: Tensor, grad: Tensor, create_graph: bool,
                          handed_out: set[int]) -> None:
    from .. import ops

    if var._grad is None:
        if create_graph:
            var._grad = grad
        else:
            if id(grad) in handed_out or grad._rg or not grad._k.is_owner(grad._data):
                grad = ops.contiguous_copy(grad)
            handed_out.add(id(grad))
            var._grad = grad
    elif create_graph or var._grad._rg:
        var._grad = var._grad + grad
    else:
        ops.add_into(var._grad, grad)
    hooks = var._post_acc_hooks
    if hooks:
        for hook in tuple(hooks.values()):
            hook(var)


def _check_grad(node: Node, i: int, grad: Tensor | None, meta: Any) -> None:
    if ANOMALY.enabled and ANOMALY.check_nan and grad is not None:
        from .. import ops

        if bool(ops.isnan(grad).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def run_backward(tensors: Sequence[Tensor], grad_tensors: Sequence[Tensor | None],
                 retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Tensor] | None = None, allow_unused: bool = True,
                 accumulate: bool = True, materialize_grads: bool = False
                 ) -> tuple[Tensor | None, ...] | None:
    """Run the backward pass from ``tensors`` seeded with ``grad_tensors``.

    Args:
        tensors: the roots.
        grad_tensors: the gradient of each root (already validated and materialized).
        retain_graph: keep saved tensors so the graph can be run again.
        create_graph: record the backward computation itself.
        inputs: when given, only gradients flowing to these tensors are computed.
        allow_unused: with ``inputs``, return None (instead of raising) for an input the
            roots do not depend on.
        accumulate: True for ``backward()`` (add into ``.grad``), False for
            ``autograd.grad`` (return the gradients of ``inputs``).
        materialize_grads: return zeros instead of None for unused inputs.
    """
    # Roots: edges with their seed gradients.
    root_edges: list[tuple[tuple[Node, int], Tensor]] = []
    for t, g in zip(tensors, grad_tensors, strict=True):
        e = edge_of(t)
        if e is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn")
        root_edges.append((e, g))

    # Capture targets for ``inputs``.
    captures: dict[tuple[Node, int], int] = {}
    capture_nodes: set[Node] = set()
    if inputs is not None:
        for i, t in enumerate(inputs):
            e = edge_of(t)
            if e is None:
                if not accumulate:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                raise RuntimeError("element 0 of inputs does not require grad")
            captures[e] = i
            capture_nodes.add(e[0])

    # With ``inputs``, only nodes that lead to a capture need to run.
    roots = [e[0] for e, _ in root_edges]
    needed = _leading_to(capture_nodes, roots) if inputs is not None else None
    deps = _dependencies(roots, needed)

    buffers: dict[Node, list[Any]] = {}
    results: list[Tensor | None] = [None] * (len(inputs) if inputs is not None else 0)
    handed_out: set[int] = set()
    for _, g in root_edges:
        handed_out.add(id(g))

    # Among nodes with the same priority (leaves), the first one made ready runs first.
    ready: list[tuple[int, int, Node]] = []
    tiebreak = itertools.count()
    for (node, nr), g in root_edges:
        _add_to_buffer(buffers, node, nr, g)
    for (node, _), _g in root_edges:
        if node not in deps and (needed is None or node in needed):
            if not any(r[2] is node for r in ready):
                heapq.heappush(ready, (-node._seq, next(tiebreak), node))

    check_nan = ANOMALY.enabled and ANOMALY.check_nan
    prev_mode = GRAD.enabled
    GRAD.enabled = create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            grads = buffers.pop(node, None) or [None]
            if (node._tensor_hooks or node._retain_hooks or node._pre_hooks
                    or type(node) is AccumulateGrad):
                grads = _run_pre_hooks(node, grads)
            if captures:
                for nr, g in enumerate(grads):
                    slot = captures.get((node, nr))
                    if slot is not None:
                        results[slot] = g
            if type(node) is AccumulateGrad:
                if accumulate and grads[0] is not None:
                    _accumulate_into_leaf(node.variable, grads[0], create_graph, handed_out)
                continue
            if needed is not None and not any(
                    e is not None and e[0] in needed for e in node.next_functions):
                continue
            if grads[0] is None and all(g is None for g in grads):
                grad_inputs: tuple[Any, ...] = (None,) * len(node.next_functions)
            else:
                if node._out_meta is not None and node._materialize:
                    grads = [g if g is not None or m is None else _zeros_for(m)
                             for g, m in zip(grads, node._out_meta, strict=False)]
                try:
                    grad_inputs = node.apply(*grads)
                    if check_nan:
                        for i, g in enumerate(grad_inputs):
                            _check_grad(node, i, g, None)
                except Exception as exc:
                    if ANOMALY.enabled and node._anomaly:
                        warnings.warn(f"Error detected in {node.name()}. {describe(node)}",
                                      UserWarning, stacklevel=2)
                    raise exc
                if len(grad_inputs) != len(node.next_functions):
                    raise RuntimeError(
                        f"function {node.name()} returned an incorrect number of gradients "
                        f"(expected {len(node.next_functions)}, got {len(grad_inputs)})")
                if node._hooks:
                    for hook in tuple(node._hooks.values()):
                        new = hook(grad_inputs, tuple(grads))
                        if new is not None:
                            grad_inputs = tuple(new)
            if not retain_graph:
                node.release()
            for e, g in zip(node.next_functions, grad_inputs, strict=True):
                if e is None:
                    continue
                child = e[0]
                if needed is not None and child not in needed:
                    continue
                if g is not None:
                    _add_to_buffer(buffers, child, e[1], g)
                left = deps[child] - 1
                if left:
                    deps[child] = left
                else:
                    del deps[child]
                    heapq.heappush(ready, (-child._seq, next(tiebreak), child))
    finally:
        GRAD.enabled = prev_mode

    if inputs is None:
        return None
    if accumulate:
        for t, r in zip(inputs, results, strict=True):
            if r is not None and t._grad_fn is not None:
                _accumulate_into_leaf(t, r, create_graph, handed_out)
        return None
    out: list[Tensor | None] = []
    for t, r in zip(inputs, results, strict=True):
        if r is None:
            if materialize_grads:
                from .. import ops

                r = ops.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        out.append(r)
    return tuple(out)


def _leading_to(targets: set[Node], roots: list[Node]) -> set[Node]:
    """The nodes reachable from ``roots`` from which some node of ``targets`` is reachable."""
    needed: set[Node] = set()
    for n in _post_order(roots):  # children before parents
        if n in targets or any(e is not None and e[0] in needed for e in n.next_functions):
            needed.add(n)
    return needed


def _dependencies(roots: list[Node], needed: set[Node] | None) -> dict[Node, int]:
    """For each node reachable from ``roots``, how many edges lead into it from nodes that
    will run (all of them, or those in ``needed``); nodes with none are left out."""
    deps: dict[Node, int] = {}
    seen = set(roots)
    stack = list(seen)
    while stack:
        n = stack.pop()
        if needed is not None and n not in needed:
            continue
        for e in n.next_functions:
            if e is None:
                continue
            child = e[0]
            if needed is not None and child not in needed:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps


def _post_order(roots: list[Node]) -> list[Node]:
    seen: set[Node] = set()
    order: list[Node] = []
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            n, i = stack.pop()
            if i < len(n.next_functions):
                stack.append((n, i + 1))
                e = n.next_functions[i]
                if e is not None and e[0] not in seen:
                    seen.add(e[0])
                    stack.append((e[0], 0))
            else:
                order.append(n)
    return order


def _add_to_buffer(buffers: dict[Node, list[Any]], node: Node, nr: int, g: Tensor) -> None:
    buf = buffers.get(node)
    if buf is None:
        n_out = len(node._out_meta) if node._out_meta is not None else 1
        buf = [None] * max(n_out, nr + 1)
        buffers[node] = buf
    prev = buf[nr]
    buf[nr] = g if prev is None else prev + g


def _run_pre_hooks(node: Node, buf: list[Any]) -> list[Any]:
    if node._tensor_hooks:
        for nr, hooks in node._tensor_hooks.items():
            if nr < len(buf) and buf[nr] is not None:
                for hook in tuple(hooks.values()):
                    new = hook(buf[nr])
                    if new is not None:
                        buf[nr] = new
    if isinstance(node, AccumulateGrad):
        hooks = node.variable._bw_hooks
        if hooks and buf[0] is not None:
            for hook in tuple(hooks.values()):
                new = hook(buf[0])
                if new is not None:
                    buf[0] = new
    if node._retain_hooks:
        for nr, hook in node._retain_hooks.items():
            if nr < len(buf) and buf[nr] is not None:
                hook(buf[nr])
    if node._pre_hooks:
        for hook in tuple(node._pre_hooks.values()):
            new = hook(tuple(buf))
            if new is not None:
                buf = list(new)
    return buf
