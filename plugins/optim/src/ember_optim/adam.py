"""Adam and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_adam_args,
    _check_capturable,
    _check_fused_flags,
    _device_dtype_check_for_fused,
    _functional_step,
    _new_step,
    _scalar,
    _set_group_defaults,
    _state_list,
    _to_scalar,
    _zero_state,
)

__all__ = ["Adam", "AdamW", "adam"]


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
                   \frac{m_t}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    With ``amsgrad`` the running maximum of :math:`v_t` replaces it; weight decay
    adds :math:`\lambda\theta` to the gradient, or (``decoupled_weight_decay``, AdamW)
    scales the parameter by :math:`1-\gamma\lambda` first.
    Paper: https://arxiv.org/abs/1412.6980

    Args:
        params: the tensors (or parameter groups) to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the AMSGrad variant.
        maximize: ascend the objective.
        foreach, fused, capturable, differentiable: accepted as torch accepts them.
        decoupled_weight_decay: decay the weights directly (AdamW).

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.9000])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
        _check_adam_args(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))  # type: ignore[assignment]
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _set_group_defaults(self, amsgrad=False, maximize=False, foreach=None, capturable=False,
                            differentiable=False, decoupled_weight_decay=False, fused=None)

    step = _functional_step

    def _init_state(self, group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        if group["fused"]:
            _device_dtype_check_for_fused(p)
        state["step"] = _new_step(group, p)
        state["exp_avg"] = _zero_state(p)
        state["exp_avg_sq"] = _zero_state(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zero_state(p)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor],
                states: list[dict[str, Any]]) -> None:
        steps = _state_list(states, "step")
        if group["differentiable"] and any(step.requires_grad for step in steps):
            raise RuntimeError("`requires_grad` is not supported for `step` in "
                               "differentiable mode")
        tensor_lr = isinstance(group["lr"], Tensor)
        if params and group["foreach"] and tensor_lr and not group["capturable"]:
            raise RuntimeError("lr as a Tensor is not supported for capturable=False "
                               "and foreach=True")
        max_exp_avg_sqs = _state_list(states, "max_exp_avg_sq") if group["amsgrad"] else []
        beta1, beta2 = group["betas"]
        adam(params, grads, _state_list(states, "exp_avg"), _state_list(states, "exp_avg_sq"),
             max_exp_avg_sqs, steps, amsgrad=group["amsgrad"], beta1=beta1, beta2=beta2,
             lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
             maximize=group["maximize"], capturable=group["capturable"],
             decoupled_weight_decay=group["decoupled_weight_decay"],
             differentiable=group["differentiable"])


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (default ``weight_decay=1e-2``).

    Each step first scales the parameter by :math:`1 - \gamma\lambda`, then applies
    the Adam update (see :class:`Adam` for the other arguments).
    Paper: https://arxiv.org/abs/1711.05101

    >>> import ember
    >>> w = ember.nn.Parameter(ember.tensor([1.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w.detach()
    tensor([0.8500])
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def adam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor],
         exp_avg_sqs: list[Tensor], max_exp_avg_sqs: list[Tensor], state_steps: list[Tensor],
         *, amsgrad: bool, beta1: float | Tensor, beta2: float | Tensor, lr: float | Tensor,
         weight_decay: float, eps: float, maximize: bool, capturable: bool = False,
         decoupled_weight_decay: bool = False, differentiable: bool = False) -> None:
    """The functional Adam update on lists of tensors (all changed in place)."""
    lr = _scalar(lr)
    beta1 = _scalar(beta1)
    beta2 = _scalar(beta2)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        step_t = state_steps[i]
        if capturable:
            _check_capturable(param, step_t)
        step_t += 1
        if weight_decay != 0:
            if decoupled_weight_decay:
                param.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

        if differentiable:
            # as torch: the bias corrections stay tensors (of the step's dtype) and the
            # tensors read by the update are copies, so the recorded graph stays valid
            bias_correction1 = 1 - beta1**step_t
            bias_correction2 = 1 - beta2**step_t
            step_size_neg = (lr / bias_correction1).neg()
            bias_correction2_sqrt = bias_correction2.sqrt()
            second = exp_avg_sq
            if amsgrad:
                max_exp_avg_sqs[i].copy_(ember.maximum(max_exp_avg_sqs[i].clone(), exp_avg_sq))
                second = max_exp_avg_sqs[i]
            denom = (second.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(
                eps / step_size_neg)
            param.addcdiv_(exp_avg.clone(), denom)
            continue
        step = step_t.item()
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if amsgrad:
            max_exp_avg_sqs[i].copy_(ember.maximum(max_exp_avg_sqs[i], exp_avg_sq))
            denom = (max_exp_avg_sqs[i].sqrt() / bias_correction2_sqrt).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        param.addcdiv_(exp_avg, denom, value=-step_size)
