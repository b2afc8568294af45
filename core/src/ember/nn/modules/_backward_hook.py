"""Full backward hooks of modules, built on autograd.

The tensor inputs and outputs of a hooked forward call are routed through an identity
node (``BackwardHookFunctionBackward``). The node on the outputs sees the gradients with
respect to the module's outputs (and runs the backward pre-hooks, which may replace
them); the node on the inputs sees the gradients with respect to the module's inputs and
runs the full backward hooks, which may replace those.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor, _alias
from ...autograd.grad_mode import GRAD
from ...autograd.graph import Node, record

__all__ = ["BackwardHook"]


def _identity_backward(node: Node, *grads: Any) -> tuple[Any, ...]:
    return grads


def _hook_identity(tensors: list[Tensor]) -> tuple[tuple[Tensor, ...], Node | None]:
    """Route ``tensors`` through one identity node; returns the new tensors and the node.

    Tensors that do not require grad come back as plain aliases outside the graph.
    """
    outs = tuple(_alias(t) for t in tensors)
    inputs = tuple(t if t.requires_grad else None for t in tensors)
    graph_outs = tuple(o if t.requires_grad else None for o, t in zip(outs, tensors, strict=True))
    if all(t is None for t in inputs):
        return outs, None
    node = record("BackwardHookFunctionBackward", _identity_backward, inputs, graph_outs)
    # As in torch, the identity's backward also reports a (zero) gradient for the tensors
    # that do not require grad; those gradients go nowhere.
    node._out_meta = tuple((t.shape, t.dtype, t.device) for t in tensors)
    return outs, node


class BackwardHook:
    """Runs a module's full backward hooks and backward pre-hooks for one forward call.

    ``setup_input_hook`` wraps the tensor arguments, ``setup_output_hook`` the tensor
    outputs; the identity node on the outputs sees ``grad_output`` (and runs the pre-hooks,
    which may replace it), the one on the inputs sees ``grad_input`` and runs the hooks.
    """

    def __init__(self, module: Any, user_hooks: list[Callable[..., Any]],
                 user_pre_hooks: list[Callable[..., Any]]) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_outputs = -1
        self.output_tensors_index: list[int] | None = None
        self.n_inputs = -1
        self.input_tensors_index: list[int] | None = None

    @staticmethod
    def _pack_with_none(indices: list[int], values: Any, size: int) -> tuple[Any, ...]:
        res: list[Any] = [None] * size
        for idx, val in zip(indices, values, strict=False):
            res[idx] = val
        return tuple(res)

    def _set_user_hook(self, node: Node, tensors_index: list[int]) -> None:
        def hook(grad_input: tuple[Any, ...], _grad_output: Any) -> Any:
            if self.grad_outputs is None:
                # The gradient reached the inputs without passing through the outputs
                # (e.g. double backward): nothing to report.
                return None
            res = self._pack_with_none(tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = tuple(out)
            self.grad_outputs = None
            return tuple(res[i] for i in tensors_index)

        node.register_hook(hook)

    def _set_output_hook(self, node: Node, tensors_index: list[int]) -> None:
        def prehook(grad_output: tuple[Any, ...]) -> Any:
            self.grad_outputs = self._pack_with_none(tensors_index, grad_output,
                                                     self.n_outputs)
            if self.user_pre_hooks:
                expected_len = len(self.grad_outputs)
                for user_pre_hook in self.user_pre_hooks:
                    new = user_pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != expected_len:
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(new)}, but expected "
                                           f"{expected_len}")
                    self.grad_outputs = tuple(new)
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                # No input requires grad: the input-side node never runs, so the hooks
                # are called here with all-None grad_input.
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients. "
                              "See the documentation of "
                              "ember.nn.Module.register_full_backward_hook for more details.",
                              stacklevel=5)
                grad_inputs = self._pack_with_none([], [], self.n_inputs)
                for user_hook in self.user_hooks:
                    res = user_hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple)
                                                and all(el is None for el in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for "
                                           "all gradients.")
                self.grad_outputs = None
            return tuple(local_grad_outputs[i] for i in tensors_index)

        node.register_prehook(prehook)

    def _apply_on_tensors(self, args: tuple[Any, ...], on_node: Callable[..., None]
                          ) -> tuple[tuple[Any, ...], list[int] | None]:
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t.requires_grad for t in tensors) and GRAD.enabled):
            return args, None
        new_tensors, node = _hook_identity(tensors)
        assert node is not None
        on_node(node, tensors_idx)
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors, strict=True):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Wrap the forward's positional arguments; returns the arguments to pass on."""
        res, idx = self._apply_on_tensors(args, self._set_user_hook)
        self.n_inputs = len(args)
        self.input_tensors_index = idx
        return res

    def setup_output_hook(self, result: Any) -> Any:
        """Wrap the forward's output (a tensor or a tuple); returns the output to give back."""
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, idx = self._apply_on_tensors(args, self._set_output_hook)
        self.n_outputs = len(args)
        self.output_tensors_index = idx
        if is_tuple:
            return type(result)(*res) if hasattr(result, "_fields") else res
        return res[0]
