"""Rprop: resilient backpropagation, steps that follow only the sign of the gradient."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _functional_step,
    _new_step,
    _state_list,
    _to_scalar,
    _zero_state,
)

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    r"""Rprop.

    Each coordinate keeps its own step size: multiplied by :math:`\eta_+` when the
    gradient keeps its sign, by :math:`\eta_-` when it flips (and that step is skipped),
    clamped to ``step_sizes``; the parameter moves by the step size against the sign
    of the gradient. Paper: https://doi.org/10.1109/ICNN.1993.298623

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: the initial step size (default 1e-2).
        etas: :math:`(\eta_-, \eta_+)`, with :math:`0 < \eta_- < 1 < \eta_+`
            (default (0.5, 1.2)).
        step_sizes: the smallest and largest step size (default (1e-6, 50)).
        capturable, foreach, maximize, differentiable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.9000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["prev"] = _zero_state(p)
        state["step_size"] = ember.full_like(p.grad, float(_to_scalar(group["lr"])))

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        rprop(params, grads, _state_list(states, "prev"), _state_list(states, "step_size"),
              _state_list(states, "step"), step_size_min=step_size_min,
              step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus,
              maximize=group["maximize"], differentiable=group["differentiable"])


def rprop(params: list[Tensor], grads: list[Tensor], prevs: list[Tensor],
          step_sizes: list[Tensor], state_steps: list[Tensor], *, step_size_min: float,
          step_size_max: float, etaminus: float, etaplus: float, maximize: bool,
          differentiable: bool = False) -> None:
    """The functional Rprop update on lists of tensors (all changed in place)."""
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        prev = prevs[i]
        step_size = step_sizes[i]
        state_steps[i] += 1
        sign = grad.mul(prev.clone() if differentiable else prev).sign()
        # the sign of g_t * g_{t-1} picks the factor: eta+ (same sign), eta- (flip), 1
        factor = ember.where(sign > 0, ember.full_like(sign, etaplus),
                             ember.where(sign < 0, ember.full_like(sign, etaminus),
                                         ember.ones_like(sign)))
        step_size.mul_(factor).clamp_(step_size_min, step_size_max)
        grad = ember.where(factor == etaminus, ember.zeros_like(grad), grad)
        param.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
