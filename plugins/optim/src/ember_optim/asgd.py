"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _check_non_negative,
    _functional_step,
    _get_scalar_dtype,
    _scalar,
    _state_list,
    _to_scalar,
    _zero_state,
)

__all__ = ["ASGD", "asgd"]


class ASGD(Optimizer):
    r"""Averaged SGD: SGD with a decaying step :math:`\eta_t`, which also keeps a running
    average ``ax`` of the iterates (started after ``t0`` steps).

    .. math::
        \theta_t = (1 - \lambda\eta_{t-1})\theta_{t-1} - \eta_{t-1} g_t, \quad
        \eta_t = \gamma / (1 + \lambda\gamma t)^{\alpha}, \quad
        \mu_t = 1 / \max(1, t - t_0)

    Paper: https://doi.org/10.1137/0330046

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lambd: decay term :math:`\lambda` (default 1e-4).
        alpha: power of the step decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        foreach, maximize, differentiable, capturable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.8000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_non_negative(weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        dtype = _get_scalar_dtype()
        state["step"] = ember.zeros((), device=p.device, dtype=dtype)
        state["eta"] = ember.tensor(float(_scalar(_to_scalar(group["lr"]))),
                                    device=p.device, dtype=dtype)
        state["mu"] = ember.ones((), device=p.device, dtype=dtype)
        state["ax"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        asgd(params, grads, _state_list(states, "ax"), _state_list(states, "mu"),
             _state_list(states, "eta"), _state_list(states, "step"), lambd=group["lambd"],
             lr=group["lr"], t0=group["t0"], alpha=group["alpha"],
             weight_decay=group["weight_decay"], maximize=group["maximize"])


def asgd(params: list[Tensor], grads: list[Tensor], axs: list[Tensor], mus: list[Tensor],
         etas: list[Tensor], state_steps: list[Tensor], *, lambd: float, lr: float | Tensor,
         t0: float, alpha: float, weight_decay: float, maximize: bool) -> None:
    """The functional ASGD update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        mu, ax, eta, step_t = mus[i], axs[i], etas[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        eta_value = eta.item()
        param.mul_(1 - lambd * eta_value)
        param.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(param.sub(ax).mul_(mu))
        else:
            ax.copy_(param)
        step = step_t.item()
        eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
        mu.fill_(1 / max(1, step - t0))
