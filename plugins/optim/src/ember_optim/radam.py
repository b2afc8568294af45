"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

from typing import Any

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

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive term is switched on only once its variance is tractable.

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`, the step is
    :math:`\gamma \hat m_t r_t \sqrt{1-\beta_2^t}/(\sqrt{v_t}+\epsilon)` when
    :math:`\rho_t > 5` (:math:`r_t` the rectification term), else plain momentum
    :math:`\gamma \hat m_t`. Paper: https://arxiv.org/abs/1908.03265

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        decoupled_weight_decay: decay the weights directly (RAdamW).
        foreach, maximize, capturable, differentiable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.8000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["exp_avg"] = _zero_state(p)
        state["exp_avg_sq"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        beta1, beta2 = group["betas"]
        radam(params, grads, _state_list(states, "exp_avg"), _state_list(states, "exp_avg_sq"),
              _state_list(states, "step"), beta1=beta1, beta2=beta2, lr=group["lr"],
              weight_decay=group["weight_decay"], eps=group["eps"],
              decoupled_weight_decay=group["decoupled_weight_decay"],
              maximize=group["maximize"], capturable=group["capturable"],
              differentiable=group["differentiable"])


def radam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor],
          exp_avg_sqs: list[Tensor], state_steps: list[Tensor], *, beta1: float, beta2: float,
          lr: float | Tensor, weight_decay: float, eps: float, decoupled_weight_decay: bool,
          maximize: bool, capturable: bool = False, differentiable: bool = False) -> None:
    """The functional RAdam update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        step_t = state_steps[i]
        if capturable:
            _check_capturable(param, step_t)
        step_t += 1
        step = step_t.item()
        if weight_decay != 0:
            if decoupled_weight_decay:
                param.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            exp_avg_sq_sqrt = exp_avg_sq.sqrt()
            exp_avg_sq_sqrt = (exp_avg_sq_sqrt.add(eps) if differentiable
                               else exp_avg_sq_sqrt.add_(eps))
            adaptive_lr = (bias_correction2**0.5) / exp_avg_sq_sqrt
            param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
        else:
            param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
