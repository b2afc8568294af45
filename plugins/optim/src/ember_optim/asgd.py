"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _get_scalar_dtype,
    _scalar,
    _to_scalar,
    _use_grad_for_differentiable,
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
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @_use_grad_for_differentiable
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one ASGD step; ``closure`` (optional) recomputes and returns the loss."""
        loss = None
        if closure is not None:
            with ember.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, mus, axs, etas, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    dtype = _get_scalar_dtype()
                    state["step"] = ember.zeros((), device=p.device, dtype=dtype)
                    state["eta"] = ember.tensor(float(_scalar(_to_scalar(group["lr"]))),
                                                device=p.device, dtype=dtype)
                    state["mu"] = ember.ones((), device=p.device, dtype=dtype)
                    state["ax"] = _zero_state(p)
                mus.append(state["mu"])
                axs.append(state["ax"])
                etas.append(state["eta"])
                steps.append(state["step"])
            asgd(params, grads, axs, mus, etas, steps, lambd=group["lambd"], lr=group["lr"],
                 t0=group["t0"], alpha=group["alpha"], weight_decay=group["weight_decay"],
                 maximize=group["maximize"])
        return loss


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
