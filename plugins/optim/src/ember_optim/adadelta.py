"""Adadelta: an adaptive learning rate from running averages of squared steps."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_capturable,
    _check_lr,
    _check_non_negative,
    _functional_step,
    _new_step,
    _scalar,
    _state_list,
    _zero_state,
)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t, \\
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \quad
        \theta_t = \theta_{t-1} - \gamma \Delta_t

    Paper: https://arxiv.org/abs/1212.5701

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: scale of the update (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        foreach, capturable, maximize, differentiable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> round(w.item(), 5)
    0.99684
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative(eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["square_avg"] = _zero_state(p)
        state["acc_delta"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        adadelta(params, grads, _state_list(states, "square_avg"),
                 _state_list(states, "acc_delta"), _state_list(states, "step"),
                 lr=group["lr"], rho=group["rho"], eps=group["eps"],
                 weight_decay=group["weight_decay"], maximize=group["maximize"],
                 capturable=group["capturable"], differentiable=group["differentiable"])


def adadelta(params: list[Tensor], grads: list[Tensor], square_avgs: list[Tensor],
             acc_deltas: list[Tensor], state_steps: list[Tensor], *, lr: float | Tensor,
             rho: float, eps: float, weight_decay: float, maximize: bool,
             capturable: bool = False, differentiable: bool = False) -> None:
    """The functional Adadelta update on lists of tensors (all changed in place)."""
    if capturable:
        for p, step in zip(params, state_steps):
            _check_capturable(p, step)
    lr = _scalar(lr)
    for param, grad, square_avg, acc_delta, step in zip(params, grads, square_avgs,
                                                       acc_deltas, state_steps):
        step += 1
        grad = grad if not maximize else -grad
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_()
        if differentiable:
            delta = delta.clone()
        delta.div_(std).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        param.add_(delta, alpha=-lr)
