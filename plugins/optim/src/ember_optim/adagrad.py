"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_fused_flags,
    _check_lr,
    _check_non_negative,
    _device_dtype_check_for_fused,
    _functional_step,
    _new_step,
    _scalar,
    _state_list,
)

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad.

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta}, \quad
        s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \tilde\gamma \frac{g_t}{\sqrt{s_t} + \epsilon}

    Paper: https://jmlr.org/papers/v12/duchi11a.html

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay :math:`\eta` (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of :math:`s` (default 0).
        eps: added to the denominator (default 1e-10).
        foreach, maximize, differentiable, fused: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.9000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_non_negative(lr_decay=lr_decay, weight_decay=weight_decay,
                            initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)
        # torch creates the state eagerly, so it exists (and is saved) before any step.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p, self.state[p])

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["sum"] = ember.full_like(p, self.defaults["initial_accumulator_value"],
                                       memory_format=ember.preserve_format)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        if group["fused"]:
            for p in params:
                _device_dtype_check_for_fused(p)
        adagrad(params, grads, _state_list(states, "sum"), _state_list(states, "step"),
                lr=group["lr"], weight_decay=group["weight_decay"], lr_decay=group["lr_decay"],
                eps=group["eps"], maximize=group["maximize"],
                differentiable=group["differentiable"])


def adagrad(params: list[Tensor], grads: list[Tensor], state_sums: list[Tensor],
            state_steps: list[Tensor], *, lr: float | Tensor, weight_decay: float,
            lr_decay: float, eps: float, maximize: bool, differentiable: bool = False) -> None:
    """The functional Adagrad update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for param, grad, state_sum, step_t in zip(params, grads, state_sums, state_steps):
        step_t += 1
        step = step_t.item()
        grad = grad if not maximize else -grad
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt() + eps if differentiable else state_sum.sqrt().add_(eps)
        param.addcdiv_(grad, std, value=-clr)
