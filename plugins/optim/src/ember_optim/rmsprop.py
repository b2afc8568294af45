"""RMSprop: divide the gradient by a running root mean square of its recent values."""

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

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""RMSprop.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \ (\text{centered, } \bar g_t
          \text{ the running mean of } g), \\
        b_t = \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad
        \theta_t = \theta_{t-1} - \gamma b_t

    (without momentum, :math:`\theta_t = \theta_{t-1} - \gamma g_t/(\sqrt{\tilde v_t}+\epsilon)`).
    Lecture: https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance.
        capturable, foreach, maximize, differentiable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.9000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_non_negative(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["square_avg"] = _zero_state(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zero_state(p)
        if group["centered"]:
            state["grad_avg"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        grad_avgs = _state_list(states, "grad_avg") if group["centered"] else []
        bufs = _state_list(states, "momentum_buffer") if group["momentum"] > 0 else []
        rmsprop(params, grads, _state_list(states, "square_avg"), grad_avgs, bufs,
                _state_list(states, "step"), lr=group["lr"], alpha=group["alpha"],
                eps=group["eps"], weight_decay=group["weight_decay"],
                momentum=group["momentum"], centered=group["centered"],
                maximize=group["maximize"], capturable=group["capturable"],
                differentiable=group["differentiable"])


def rmsprop(params: list[Tensor], grads: list[Tensor], square_avgs: list[Tensor],
            grad_avgs: list[Tensor], momentum_buffer_list: list[Tensor],
            state_steps: list[Tensor], *, lr: float | Tensor, alpha: float, eps: float,
            weight_decay: float, momentum: float, centered: bool, maximize: bool,
            capturable: bool = False, differentiable: bool = False) -> None:
    """The functional RMSprop update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for i, param in enumerate(params):
        step = state_steps[i]
        if capturable:
            _check_capturable(param, step)
        grad = grads[i] if not maximize else -grads[i]
        square_avg = square_avgs[i]
        step += 1
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if centered:
            grad_avg = grad_avgs[i]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add(eps) if differentiable else avg.add_(eps)
        if momentum > 0:
            buf = momentum_buffer_list[i]
            buf.mul_(momentum).addcdiv_(grad, avg)
            param.add_(buf, alpha=-lr)
        else:
            param.addcdiv_(grad, avg, value=-lr)
