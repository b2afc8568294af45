"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_fused_flags,
    _check_lr,
    _closure_loss,
    _device_dtype_check_for_fused,
    _scalar,
    _set_group_defaults,
    _use_grad_for_differentiable,
)

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    With gradient :math:`g_t` (negated when ``maximize``), weight decay :math:`\lambda`,
    momentum :math:`\mu` and dampening :math:`\tau`:

    .. math::
        g_t \leftarrow g_t + \lambda \theta_{t-1}, \quad
        b_t = \mu b_{t-1} + (1 - \tau) g_t \ (b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma (g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening of momentum :math:`\tau` (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: ascend the objective instead of descending it.
        foreach, fused: accepted as in torch; the same update is computed.
        differentiable: record the update in the autograd graph.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.8000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float | Tensor = 0,
                 nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _set_group_defaults(self, nesterov=False, maximize=False, foreach=None,
                            differentiable=False, fused=False)

    @_use_grad_for_differentiable
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one SGD step; ``closure`` (optional) recomputes and returns the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params: list[Tensor] = []
            grads: list[Tensor] = []
            bufs: list[Tensor | None] = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["fused"]:
                    _device_dtype_check_for_fused(p)
                params.append(p)
                grads.append(p.grad)
                if group["momentum"] != 0:
                    bufs.append(self.state[p].get("momentum_buffer"))
            sgd(params, grads, bufs, weight_decay=group["weight_decay"],
                momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                nesterov=group["nesterov"], maximize=group["maximize"])
            if group["momentum"] != 0:
                for p, buf in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = buf
        return loss


def sgd(params: list[Tensor], grads: list[Tensor], momentum_buffer_list: list[Tensor | None],
        *, weight_decay: float, momentum: float, lr: float | Tensor, dampening: float,
        nesterov: bool, maximize: bool) -> None:
    """The functional SGD update: changes ``params`` and fills ``momentum_buffer_list``
    (new buffers replace ``None`` entries) in place."""
    lr = _scalar(lr)
    weight_decay = _scalar(weight_decay)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = grad.detach().clone()
                momentum_buffer_list[i] = buf
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buf, alpha=momentum) if nesterov else buf
        param.add_(grad, alpha=-lr)
