"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_adam_args,
    _check_capturable,
    _check_non_negative,
    _functional_step,
    _new_step,
    _scalar,
    _state_list,
    _zero_state,
)

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    r"""NAdam: Adam whose momentum looks ahead as in Nesterov's method.

    With the momentum schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi})` (:math:`\psi` = ``momentum_decay``):

    .. math::
        \theta_t = \theta_{t-1}
          - \gamma \frac{(1-\mu_t)}{1-\prod_{i\le t}\mu_i} \frac{g_t}{\sqrt{\hat v_t}+\epsilon}
          - \gamma \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} \frac{m_t}{\sqrt{\hat v_t}+\epsilon}

    Paper: https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly (NAdamW).
        foreach, maximize, capturable, differentiable: as in torch.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> round(w.item(), 4)
    0.8944
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        _check_non_negative(momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = _new_step(group, p)
        state["mu_product"] = _new_step(group, p, 1.0)
        state["exp_avg"] = _zero_state(p)
        state["exp_avg_sq"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        beta1, beta2 = group["betas"]
        nadam(params, grads, _state_list(states, "exp_avg"), _state_list(states, "exp_avg_sq"),
              _state_list(states, "mu_product"), _state_list(states, "step"), beta1=beta1,
              beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"],
              momentum_decay=group["momentum_decay"], eps=group["eps"],
              decoupled_weight_decay=group["decoupled_weight_decay"],
              maximize=group["maximize"], capturable=group["capturable"],
              differentiable=group["differentiable"])


def nadam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor],
          exp_avg_sqs: list[Tensor], mu_products: list[Tensor], state_steps: list[Tensor], *,
          beta1: float, beta2: float, lr: float | Tensor, weight_decay: float,
          momentum_decay: float, eps: float, decoupled_weight_decay: bool, maximize: bool,
          capturable: bool = False, differentiable: bool = False) -> None:
    """The functional NAdam update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        mu_product = mu_products[i]
        step_t = state_steps[i]
        if capturable:
            _check_capturable(param, step_t, "params, mu_products and state_steps")
        step_t += 1
        step = step_t.item()
        bias_correction2 = 1 - beta2**step
        if weight_decay != 0:
            if decoupled_weight_decay:
                param.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt()
        mu_product_value = mu_product.item()
        mu_product_next = mu_product_value * mu_next
        if differentiable:
            # as torch: the coefficients are 0-dim tensors of the step's dtype
            denom = denom.add(eps)
            grad = grad * (-lr * (1.0 - mu) / (1.0 - mu_product))
            exp_avg = exp_avg * (-lr * mu_next / (1.0 - mu_product * mu_next))
            param.addcdiv_(grad, denom)
            param.addcdiv_(exp_avg, denom)
        else:
            denom.add_(eps)
            param.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product_value)))
            param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
