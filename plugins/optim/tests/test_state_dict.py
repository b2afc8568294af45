"""Optimizer (and scheduler) state dicts: saved mid-run with ember.save, loaded into a
fresh run, training continues identically; the layout and errors match torch."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _optim_model import batches, init_arrays, loss_fn, make_params, to_numpy  # noqa: E402

import ember  # noqa: E402

OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adadelta", {}),
    ("Rprop", {"lr": 0.01}),
    ("ASGD", {"lr": 0.01, "t0": 3}),
]


def _run(opt: Any, sched: Any, params: list[Any], data: list[Any]) -> None:
    for x, y in data:
        opt.zero_grad()
        loss_fn(ember, params, ember.tensor(x), ember.tensor(y)).backward()
        opt.step()
        sched.step()


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_resume_continues_identically(name: str, kwargs: dict[str, Any], tmp_path: Any
                                      ) -> None:
    data = batches("float32", 12)

    def fresh() -> tuple[list[Any], Any, Any]:
        params = make_params(ember, init_arrays("float32"))
        opt = getattr(ember.optim, name)(params, **kwargs)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
        return params, opt, sched

    params, opt, sched = fresh()
    _run(opt, sched, params, data[:6])
    path = tmp_path / "ckpt.pt"
    ember.save({"params": [p.detach() for p in params], "opt": opt.state_dict(),
                "sched": sched.state_dict()}, str(path))
    _run(opt, sched, params, data[6:])

    params2, opt2, sched2 = fresh()
    ckpt = ember.load(str(path))
    with ember.no_grad():
        for p, saved in zip(params2, ckpt["params"]):
            p.copy_(saved)
    opt2.load_state_dict(ckpt["opt"])
    sched2.load_state_dict(ckpt["sched"])
    _run(opt2, sched2, params2, data[6:])
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_lbfgs_state_roundtrip() -> None:
    x, y = batches("float64", 1)[0]

    def make() -> tuple[list[Any], Any, Any]:
        params = make_params(ember, init_arrays("float64"))
        opt = ember.optim.LBFGS(params, max_iter=3, line_search_fn="strong_wolfe")

        def closure() -> Any:
            opt.zero_grad()
            loss = loss_fn(ember, params, ember.tensor(x), ember.tensor(y))
            loss.backward()
            return loss

        return params, opt, closure

    params, opt, closure = make()
    opt.step(closure)
    buf = io.BytesIO()
    ember.save({"p": [p.detach() for p in params], "opt": opt.state_dict()}, buf)
    opt.step(closure)
    buf.seek(0)
    ckpt = ember.load(buf)
    params2, opt2, closure2 = make()
    with ember.no_grad():
        for p, saved in zip(params2, ckpt["p"]):
            p.copy_(saved)
    opt2.load_state_dict(ckpt["opt"])
    opt2.step(closure2)
    for a, b in zip(params, params2):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12)


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_state_dict_layout_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    dicts = []
    for lib in (torch, ember):
        params = make_params(lib, init_arrays("float32"))
        opt = getattr(lib.optim, name)([{"params": params[:2]}, {"params": params[2:]}],
                                       **kwargs)
        x, y = batches("float32", 1)[0]
        loss_fn(lib, params, lib.tensor(x), lib.tensor(y)).backward()
        opt.step()
        dicts.append(opt.state_dict())
    want, got = dicts
    assert [g["params"] for g in got["param_groups"]] == [
        g["params"] for g in want["param_groups"]]
    assert [set(g) for g in got["param_groups"]] == [set(g) for g in want["param_groups"]]
    assert set(got["state"]) == set(want["state"])
    for k in want["state"]:
        assert set(got["state"][k]) == set(want["state"][k])
        for key, value in want["state"][k].items():
            if isinstance(value, torch.Tensor):
                assert str(got["state"][k][key].dtype) == str(value.dtype).replace("torch",
                                                                                  "ember")
                np.testing.assert_allclose(got["state"][k][key].numpy(), value.numpy(),
                                           rtol=1e-4, atol=1e-6)


def test_load_casts_state_to_param_dtype() -> None:
    p = ember.nn.Parameter(ember.ones(2, dtype=ember.float64))
    opt = ember.optim.Adam([p])
    (p * p).sum().backward()
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    q = ember.nn.Parameter(ember.ones(2, dtype=ember.float64))
    opt2 = ember.optim.Adam([q])
    opt2.load_state_dict(sd)
    assert opt2.state[q]["exp_avg"].dtype == ember.float64
    assert opt2.state[q]["step"].dtype == ember.float32


def test_state_dict_from_a_different_optimizer_errors_like_torch() -> None:
    for lib in (torch, ember):
        p, q = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
        adam = lib.optim.Adam([p, q])
        (p.sum() + q.sum()).backward()
        adam.step()
        with pytest.raises(ValueError, match="loaded state dict contains a parameter group "
                                             "that doesn't match the size of optimizer's group"):
            lib.optim.SGD([p], lr=0.1).load_state_dict(adam.state_dict())
        with pytest.raises(ValueError, match="loaded state dict has a different number of "
                                             "parameter groups"):
            lib.optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(
                adam.state_dict())
        sgd = lib.optim.SGD([p, q], lr=0.1)
        sgd.load_state_dict(adam.state_dict())
        with pytest.raises(KeyError, match="momentum"):
            sgd.step()


def test_named_parameters_in_state_dict() -> None:
    names = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([("weight", p)], lr=0.1)
        names.append(opt.state_dict()["param_groups"][0]["param_names"])
        with pytest.raises(ValueError, match="all optimizer param groups should be "
                                             "with/without names"):
            opt.add_param_group({"params": [lib.nn.Parameter(lib.ones(1))]})
    assert names[0] == names[1] == ["weight"]


def test_state_dict_hooks() -> None:
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    calls: list[str] = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert calls == ["pre", "load-pre", "load-post"]
