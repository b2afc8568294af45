"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_adam_args,
    _check_capturable,
    _functional_step,
    _new_step,
    _scalar,
    _state_list,
    _zero_state,
)

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    Paper: https://arxiv.org/abs/1412.6980 (section 7.1)

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first moment and the infinity norm (default (0.9, 0.999)).
        eps: added to :math:`|g_t|` (default 1e-8).
        weight_decay: L2 penalty (default 0).
        foreach, maximize, differentiable, capturable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.9000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["exp_avg"] = _zero_state(p)
        state["exp_inf"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        beta1, beta2 = group["betas"]
        adamax(params, grads, _state_list(states, "exp_avg"), _state_list(states, "exp_inf"),
               _state_list(states, "step"), eps=group["eps"], beta1=beta1, beta2=beta2,
               lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"],
               capturable=group["capturable"], differentiable=group["differentiable"])


def adamax(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor],
           exp_infs: list[Tensor], state_steps: list[Tensor], *, eps: float, beta1: float,
           beta2: float, lr: float | Tensor, weight_decay: float, maximize: bool,
           capturable: bool = False, differentiable: bool = False) -> None:
    """The functional Adamax update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg = exp_avgs[i]
        exp_inf = exp_infs[i]
        step_t = state_steps[i]
        if capturable:
            _check_capturable(param, step_t)
        step_t += 1
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        if differentiable:
            norm_buf = ember.cat([exp_inf.mul_(beta2).unsqueeze(0),
                                  grad.abs().add_(eps).unsqueeze(0)], 0)
            exp_inf.copy_(ember.amax(norm_buf, 0, keepdim=False))
        else:
            exp_inf.copy_(ember.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
        clr = lr / (1 - beta1 ** step_t.item())
        param.addcdiv_(exp_avg, exp_inf, value=-clr)
