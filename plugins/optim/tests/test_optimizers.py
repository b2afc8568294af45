"""Every optimizer and option: 20 steps in torch and ember from the same weights and
batches end with the same parameters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _optim_model import batches, init_arrays, loss_fn, make_params, to_numpy  # noqa: E402

import ember  # noqa: E402

CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.1, "foreach": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "fused": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "foreach": True}),
    ("Adam", {"lr": 0.01, "fused": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    ("Adamax", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "momentum_decay": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1,
                 "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "fused": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
]


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def _train(lib: Any, name: str, kwargs: dict[str, Any], dtype: str, steps: int = 20
           ) -> list[np.ndarray]:
    params = make_params(lib, init_arrays(dtype))
    opt = getattr(lib.optim, name)(params, **kwargs)
    for x, y in batches(dtype, steps):
        opt.zero_grad()
        loss = loss_fn(lib, params, lib.tensor(x), lib.tensor(y))
        loss.backward()
        opt.step()
    return [to_numpy(p) for p in params]


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-5), ("float32", 1e-4)])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_torch(case: tuple[str, dict[str, Any]], dtype: str, rtol: float) -> None:
    name, kwargs = case
    want = _train(torch, name, kwargs, dtype)
    got = _train(ember, name, kwargs, dtype)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-1)


def _closure(lib: Any, opt: Any, params: list[Any], x: Any, y: Any) -> Any:
    """The usual closure: clear the gradients, compute the loss, backward, return it."""
    def closure() -> Any:
        opt.zero_grad()
        loss = loss_fn(lib, params, x, y)
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-5), ("float32", 1e-4)])
def test_lbfgs_matches_torch(line_search: str | None, dtype: str, rtol: float) -> None:
    results = []
    for lib in (torch, ember):
        params = make_params(lib, init_arrays(dtype))
        opt = lib.optim.LBFGS(params, lr=0.5, max_iter=5, history_size=4,
                              line_search_fn=line_search)
        losses = []
        for x, y in batches(dtype, 4):
            closure = _closure(lib, opt, params, lib.tensor(x), lib.tensor(y))
            losses.append(float(opt.step(closure).detach()))
        results.append(([to_numpy(p) for p in params], losses,
                         opt.state[params[0]]["func_evals"]))
    (want, want_losses, want_evals), (got, got_losses, got_evals) = results
    assert got_evals == want_evals
    np.testing.assert_allclose(got_losses, want_losses, rtol=rtol)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol * 10, atol=rtol)


def test_param_groups_and_closure_match_torch() -> None:
    results = []
    for lib in (torch, ember):
        params = make_params(lib, init_arrays("float64"))
        opt = lib.optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}],
                             lr=0.01)
        for x, y in batches("float64", 5):
            loss = opt.step(_closure(lib, opt, params, lib.tensor(x), lib.tensor(y)))
        results.append(([to_numpy(p) for p in params], float(loss.detach())))
    for g, w in zip(results[1][0], results[0][0]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert results[1][1] == pytest.approx(results[0][1], rel=1e-6)


def test_param_without_grad_is_skipped_and_state_matches() -> None:
    params = make_params(ember, init_arrays("float32"))
    extra = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.Adam(params + [extra], lr=0.1)
    x, y = batches("float32", 1)[0]
    loss_fn(ember, params, ember.tensor(x), ember.tensor(y)).backward()
    opt.step()
    assert extra not in opt.state
    np.testing.assert_array_equal(extra.detach().numpy(), np.ones(3, np.float32))
    state = opt.state[params[0]]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["step"].dtype == ember.float32 and state["step"].item() == 1.0


def test_zero_grad() -> None:
    p = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert p.grad is None


def test_step_hooks() -> None:
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=1.0)
    calls: list[str] = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    (p * 3).sum().backward()
    opt.step()
    assert calls == ["pre", "post"]
    h1.remove()
    h2.remove()
    opt.step()
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(p.detach().numpy(), [-5.0, -5.0])


def test_subclass_like_torch() -> None:
    class SignSGD(ember.optim.Optimizer):
        def __init__(self, params: Any, lr: float = 0.1) -> None:
            super().__init__(params, {"lr": lr})

        @ember.no_grad()
        def step(self, closure: Any = None) -> None:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1
                        p.add_(p.grad.sign(), alpha=-group["lr"])

    p = ember.nn.Parameter(ember.tensor([1.0, -1.0]))
    opt = SignSGD([p], lr=0.5)
    seen: list[int] = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(1))
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.5, -0.5])
    assert opt.state[p]["n"] == 1 and seen == [1]
    assert opt.defaults == {"lr": 0.5}
    assert opt.state_dict()["state"] == {0: {"n": 1}}


def test_add_param_group() -> None:
    a, b = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b


def test_repr_matches_torch() -> None:
    tp = torch.nn.Parameter(torch.ones(2))
    ep = ember.nn.Parameter(ember.ones(2))
    assert repr(ember.optim.SGD([ep], lr=0.1)) == repr(torch.optim.SGD([tp], lr=0.1))


@pytest.mark.parametrize("name,kwargs,message", [
    ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("SGD", {"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero "
     "dampening"),
    ("Adam", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("Adam", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("AdamW", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("RMSprop", {"alpha": -1.0}, "Invalid alpha value: -1.0"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
    ("NAdam", {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
    ("LBFGS", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("Rprop", {"etas": (1.5, 0.5)}, "Invalid eta values: 1.5, 0.5"),
    ("ASGD", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
])
def test_constructor_errors_match_torch(name: str, kwargs: dict[str, Any], message: str
                                        ) -> None:
    with pytest.raises(ValueError) as want:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    with pytest.raises(ValueError) as got:
        getattr(ember.optim, name)([ember.nn.Parameter(ember.ones(1))], **kwargs)
    assert str(got.value) == str(want.value) == message


def test_group_errors_match_torch() -> None:
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        with pytest.raises(ValueError, match="some parameters appear in more than one "
                                             "parameter group"):
            lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            lib.optim.SGD([], lr=0.1)
        with pytest.raises(TypeError, match="params argument given to the optimizer should "
                                            "be an iterable"):
            lib.optim.SGD(p, lr=0.1)
        with pytest.raises(TypeError, match="ordering of tensors in sets"):
            lib.optim.SGD([{"params": {p}}], lr=0.1)
        with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
            lib.optim.SGD([p * 2], lr=0.1)
        with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": [p]}, {"params": [lib.nn.Parameter(lib.ones(1))]}])


def test_capturable_on_cpu_raises_like_torch() -> None:
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.Adam([p], capturable=True)
        (p * p).sum().backward()
        with pytest.raises(AssertionError, match="If capturable=True, params and state_steps "
                                                 "must be on supported devices"):
            opt.step()


def test_fused_and_foreach_together_raise_like_torch() -> None:
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` "
                                               "together."):
            lib.optim.Adam([p], fused=True, foreach=True)


DIFFERENTIABLE = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1}),
                  ("Adam", {"lr": 0.1}), ("Adam", {"lr": 0.1, "amsgrad": True}),
                  ("AdamW", {"lr": 0.1}), ("Adamax", {"lr": 0.1}), ("NAdam", {"lr": 0.1}),
                  ("RAdam", {"lr": 0.1}),
                  ("RMSprop", {"lr": 0.1, "centered": True, "momentum": 0.5}),
                  ("Adagrad", {"lr": 0.1}), ("Adadelta", {"lr": 0.5}),
                  ("Rprop", {"lr": 0.1}), ("ASGD", {"lr": 0.1})]


@pytest.mark.parametrize("name,kwargs", DIFFERENTIABLE, ids=[d[0] for d in DIFFERENTIABLE])
def test_differentiable_step_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    """With ``differentiable=True`` the update is recorded: gradients flow back to the
    parameter's source and to the gradient itself, as in torch."""
    results = []
    for lib in (torch, ember):
        rng = np.random.default_rng(0)
        p0 = lib.tensor(rng.standard_normal(3), requires_grad=True)
        g0 = lib.tensor(rng.standard_normal(3), requires_grad=True)
        p = p0.clone()
        p.grad = g0 * 1.0
        getattr(lib.optim, name)([p], differentiable=True, **kwargs).step()
        (p * p).sum().backward()
        results.append([to_numpy(p), p0.grad, g0.grad])
    (want_p, want_pg, want_gg), (got_p, got_pg, got_gg) = results
    # float32 0-dim coefficients (NAdam) round like torch only to ~1 ulp of float32
    np.testing.assert_allclose(got_p, want_p, rtol=1e-6, atol=1e-12)
    for got, want in ((got_pg, want_pg), (got_gg, want_gg)):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_tensor_lr_with_scheduler_matches_torch(name: str) -> None:
    results = []
    for lib in (torch, ember):
        params = make_params(lib, init_arrays("float64"))
        lr = lib.as_tensor(np.array(0.05))  # a float64 0-dim tensor
        opt = getattr(lib.optim, name)(params, lr=lr)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)
        for x, y in batches("float64", 5):
            opt.zero_grad()
            loss_fn(lib, params, lib.tensor(x), lib.tensor(y)).backward()
            opt.step()
            sched.step()
        assert isinstance(opt.param_groups[0]["lr"], lib.Tensor)
        results.append(([to_numpy(p) for p in params], float(opt.param_groups[0]["lr"])))
    for g, w in zip(results[1][0], results[0][0]):
        np.testing.assert_allclose(g, w, rtol=1e-10)
    assert results[1][1] == pytest.approx(results[0][1])
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        ember.optim.SGD([ember.nn.Parameter(ember.ones(1))], lr=ember.ones(2))


def test_global_step_hooks() -> None:
    from ember.optim.optimizer import (
        register_optimizer_step_post_hook,
        register_optimizer_step_pre_hook,
    )

    calls: list[str] = []
    pre = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(type(o).__name__))
    post = register_optimizer_step_post_hook(lambda o, a, k: calls.append("post"))
    try:
        p = ember.nn.Parameter(ember.ones(1))
        (p * 2).sum().backward()
        ember.optim.Adagrad([p]).step()
        ember.optim.RMSprop([p]).step()
    finally:
        pre.remove()
        post.remove()
    assert calls == ["Adagrad", "post", "RMSprop", "post"]


def test_pre_hook_can_replace_arguments() -> None:
    p = ember.nn.Parameter(ember.ones(1))
    opt = ember.optim.SGD([p], lr=0.1)
    seen: list[Any] = []

    def closure() -> Any:
        seen.append(1)
        opt.zero_grad()
        loss = (p * 3).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": closure}))
    loss = opt.step()
    assert seen == [1] and float(loss.detach()) == 3.0
    np.testing.assert_allclose(p.detach().numpy(), [0.7], rtol=1e-6)
