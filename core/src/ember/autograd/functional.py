"""Higher-level differentiation of whole functions: ``vjp``, ``jvp``, ``vhp``, ``hvp``,
``jacobian`` and ``hessian``, with torch's signatures and return structures.

Everything is built on the reverse-mode engine. Forward-mode products (``jvp``, ``hvp``)
use the double-backward trick: for ``g(u) = J^T u`` (linear in ``u``), the gradient of
``g(u) . v`` with respect to ``u`` is ``J v``. ``vectorize=True`` is accepted and gives the
same results as the loop (ember has no vmap; the loop is what runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from .grad_mode import GRAD, enable_grad

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or "
                                f"a tuple of Tensors but the value at index {i} has type "
                                f"{type(el)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the given {arg_name} has type {type(el)}.")
    return is_tuple, items


def _tuple_postprocess(res: Any, to_unpack: Any) -> Any:
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple[Tensor, ...], create_graph: bool, need_graph: bool
                     ) -> tuple[Tensor, ...]:
    """Fresh tensors to differentiate with respect to (keeping the user's graph only when
    ``create_graph`` asks for it)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _grad_postprocess(items: Any, create_graph: bool) -> Any:
    if isinstance(items[0], Tensor):
        if not create_graph:
            return tuple(t.detach() for t in items)
        return items
    return tuple(_grad_postprocess(t, create_graph) for t in items)


def _validate_v(v: tuple[Tensor, ...], other: tuple[Tensor, ...], is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but "
                               f"got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other, strict=True)):
        if tuple(el_v.shape) != tuple(el_other.shape):
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but "
                               f"got {el_v.size()}.")


_REQ_MSGS = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should ensure "
               "that your function is thrice differentiable and that the hessian depends on the "
               "inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
}

_ZERO_MSGS = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
}


def _check_requires_grad(items: tuple[Any, ...], input_type: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(items):
        if t is None or not t.requires_grad:
            raise RuntimeError(_REQ_MSGS[input_type].format(i=i))


def _autograd_grad(outputs: tuple[Any, ...], inputs: tuple[Tensor, ...],
                   grad_outputs: Any = None, create_graph: bool = False,
                   retain_graph: bool | None = None) -> tuple[Tensor | None, ...]:
    from . import grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_out, new_go = [], []
    for out, go in zip(outputs, grad_outputs, strict=True):
        if out is not None and out.requires_grad:
            new_out.append(out)
            new_go.append(go)
    if not new_out:
        return (None,) * len(inputs)
    return grad(new_out, inputs, new_go, allow_unused=True, create_graph=create_graph,
                retain_graph=retain_graph)


def _fill_in_zeros(grads: tuple[Tensor | None, ...], refs: tuple[Tensor, ...], strict: bool,
                   stage: str) -> tuple[Tensor, ...]:
    from .. import ops

    out = []
    for i, (g, ref) in enumerate(zip(grads, refs, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MSGS[stage].format(i=i))
            g = ops.zeros_like(ref)
        out.append(g)
    return tuple(out)


class _GradMode:
    """Temporarily set grad mode (a tiny local context manager)."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.prev = True

    def __enter__(self) -> None:
        self.prev = GRAD.enabled
        GRAD.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        GRAD.enabled = self.prev


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func: takes tensors, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: one tensor per output, shaped like it; may be None when ``func`` returns a
            single one-element tensor.
        create_graph: make the result differentiable.
        strict: raise when an output does not depend on an input instead of using zeros.

    Returns:
        ``(func(*inputs), vjp)`` with ``vjp`` shaped like ``inputs``.

    >>> import ember
    >>> ember.autograd.functional.vjp(lambda x: (x ** 2).sum(), ember.tensor([1.0, 2.0]))[1]
    tensor([2., 4.])
    """
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        outputs = func(*ins)
        is_outputs_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function",
                                           "vjp")
        _check_requires_grad(outs, "outputs", strict=strict)
        if v is not None:
            _, vs = _as_tuple(v, "v", "vjp")
            vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
            _validate_v(vs, outs, is_outputs_tuple)
        else:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided "
                                   "function returns a single Tensor with a single element.")
            vs = None
    with _GradMode(True if create_graph else GRAD.enabled):
        res = _autograd_grad(outs, ins, vs, create_graph=create_graph)
        result = _fill_in_zeros(res, ins, strict, "back")
    outs = _grad_postprocess(outs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs`` (double-backward trick).

    Args:
        func: takes tensors, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: one tensor per input, shaped like it; may be None for a single one-element
            input.
        create_graph: make the result differentiable.
        strict: raise on independent outputs/inputs instead of using zeros.

    Returns:
        ``(func(*inputs), jvp)`` with ``jvp`` shaped like the outputs.
    """
    from .. import ops

    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, vs = _as_tuple(v, "v", "jvp")
            vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
            _validate_v(vs, ins, is_inputs_tuple)
        else:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = None
        outputs = func(*ins)
        is_outputs_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function",
                                           "jvp")
        _check_requires_grad(outs, "outputs", strict=strict)
        grad_outputs = tuple(ops.zeros_like(o).requires_grad_(True) for o in outs)
        grad_inputs = _autograd_grad(outs, ins, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with _GradMode(True if create_graph else GRAD.enabled):
        res = _autograd_grad(grad_inputs, grad_outputs, vs, create_graph=create_graph)
        result = _fill_in_zeros(res, outs, strict, "back_trick")
    outs = _grad_postprocess(outs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outs, is_outputs_tuple),
            _tuple_postprocess(result, is_outputs_tuple))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``.

    Args:
        func: takes tensors, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Jacobian differentiable (for higher derivatives).
        strict: raise when an output does not depend on an input instead of using zeros.
        vectorize: accepted for compatibility; the result is the same.
        strategy: ``"reverse-mode"`` or ``"forward-mode"`` (both give the same values).

    Returns:
        For one input and one output, a tensor of shape ``output.shape + input.shape``;
        with tuples, ``J[i][j]`` for output ``i`` and input ``j`` (the tuple levels present
        only where the argument or result was a tuple).

    >>> import ember
    >>> ember.autograd.functional.jacobian(lambda x: 2 * x, ember.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 2.]])
    """
    from .. import ops

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use '
                         '"reverse-mode".')
    if strict and vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`vectorized=True` are not supported together. Please either set "
                           "`strict=False` or `vectorize=False`.")
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        outputs = func(*ins)
        is_outputs_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function",
                                           "jacobian")
        _check_requires_grad(outs, "outputs", strict=strict)
        result: list[tuple[Tensor, ...]] = []
        for i, out in enumerate(outs):
            rows: list[list[Tensor]] = [[] for _ in ins]
            flat = out.reshape(-1)
            for j in range(out.numel()):
                vj = _autograd_grad((flat[j],), ins, retain_graph=True,
                                    create_graph=create_graph)
                for k, (g, inp) in enumerate(zip(vj, ins, strict=True)):
                    if g is not None:
                        if strict and create_graph and not g.requires_grad:
                            raise RuntimeError("The jacobian of the user-provided function is "
                                               f"independent of input {i}. This is not allowed "
                                               "in strict mode when create_graph=True.")
                        rows[k].append(g)
                    else:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {k}. This is not "
                                               "allowed in strict mode.")
                        rows[k].append(ops.zeros_like(inp))
            per_input = []
            for k, inp in enumerate(ins):
                shape = tuple(out.shape) + tuple(inp.shape)
                if rows[k]:
                    per_input.append(ops.stack(rows[k], 0).reshape(shape))
                else:
                    per_input.append(ops.zeros(shape, dtype=inp.dtype, device=inp.device))
            result.append(tuple(per_input))
        final = _grad_postprocess(tuple(result), create_graph)
        return _tuple_postprocess(final, (is_outputs_tuple, is_inputs_tuple))


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function ``func`` at ``inputs``.

    Args:
        func: takes tensors, returns a tensor with a single element.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Hessian differentiable.
        strict: raise when the Jacobian or Hessian is independent of an input.
        vectorize: accepted for compatibility; the result is the same.
        outer_jacobian_strategy: ``"reverse-mode"`` or ``"forward-mode"``.

    Returns:
        For one input, a tensor of shape ``input.shape + input.shape``; for a tuple of
        inputs, ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``.
    """
    is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or '
                             '"reverse-mode".')

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function",
                                        "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp: Tensor) -> Any:
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _second_order(name: str, func: Callable[..., Any], inputs: Any, v: Any,
                  create_graph: bool, strict: bool) -> tuple[Any, Any]:
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", name)
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, vs = _as_tuple(v, "v", name)
            vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
            _validate_v(vs, ins, is_inputs_tuple)
        else:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = None
        outputs = func(*ins)
        is_outputs_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function",
                                           name)
        _check_requires_grad(outs, "outputs", strict=strict)
        if is_outputs_tuple or not isinstance(outs[0], Tensor):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should "
                               "contain a single element")
        jac = _autograd_grad(outs, ins, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with _GradMode(True if create_graph else GRAD.enabled):
        res = _autograd_grad(jac, ins, vs, create_graph=create_graph)
        result = _fill_in_zeros(res, ins, strict, "double_back")
    outs = _grad_postprocess(outs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The vector-Hessian product ``v^T H`` of a scalar function ``func`` at ``inputs``.

    Returns:
        ``(func(*inputs), vhp)`` with ``vhp`` shaped like ``inputs``.
    """
    return _second_order("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The Hessian-vector product ``H v`` of a scalar function ``func`` at ``inputs``.

    The Hessian of a twice continuously differentiable function is symmetric, so this is
    computed as ``(v^T H)^T`` with two reverse passes.

    Returns:
        ``(func(*inputs), hvp)`` with ``hvp`` shaped like ``inputs``.
    """
    return _second_order("hvp", func, inputs, v, create_graph, strict)
