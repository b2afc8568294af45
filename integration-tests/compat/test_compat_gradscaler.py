"""GradScaler on the cpu: scaling, unscaling, skipped steps and the growth/backoff
arithmetic, step by step against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

W0 = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
X = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)


def _setup(lib, **kw):
    w = lib.nn.Parameter(lib.from_numpy(W0.copy()))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kw)
    return w, opt, scaler


def _iteration(lib, w, opt, scaler, poison, clip=False):
    opt.zero_grad()
    loss = (lib.from_numpy(X) @ w.t()).pow(2).mean()
    scaler.scale(loss).backward()
    if poison:
        with lib.no_grad():
            w.grad[0, 0] = float("inf") if poison == "inf" else float("nan")
    if clip:
        scaler.unscale_(opt)
        lib.nn.utils.clip_grad_norm_([w], 1.0)
    scaler.step(opt)
    scaler.update()
    return loss.item()


@pytest.mark.parametrize("clip", [False, True])
def test_training_sequence_matches_torch(clip):
    kw = dict(init_scale=2.0**10, growth_factor=4.0, backoff_factor=0.25, growth_interval=2)
    pattern = [None, None, None, "inf", None, "nan", None, None, None]
    tw, topt, ts = _setup(torch, **kw)
    ew, eopt, es = _setup(ember, **kw)
    for poison in pattern:
        tl = _iteration(torch, tw, topt, ts, poison, clip)
        el = _iteration(ember, ew, eopt, es, poison, clip)
        assert abs(tl - el) <= 1e-5 * max(1.0, abs(tl))
        assert es.get_scale() == ts.get_scale()
        assert es._get_growth_tracker() == ts._get_growth_tracker()
        np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    assert es.state_dict() == ts.state_dict()


def test_scale_values_and_structures():
    for lib in (torch, ember):
        s = lib.amp.GradScaler("cpu", init_scale=8.0)
        assert s.get_scale() == 8.0
        out = s.scale([lib.tensor(1.5), (lib.tensor(2.0), lib.tensor(-1.0))])
        assert isinstance(out, list) and isinstance(out[1], tuple)
        assert [out[0].item(), out[1][0].item(), out[1][1].item()] == [12.0, 16.0, -8.0]
    dtypes = []
    for lib in (torch, ember):
        s = lib.amp.GradScaler("cpu", init_scale=8.0)
        dtypes.append([str(s.scale(lib.ones(shape, dtype=lib.bfloat16)).dtype).split(".")[-1]
                       for shape in ((), (3,))])
    assert dtypes[0] == dtypes[1] == ["float32", "bfloat16"]


def test_disabled_scaler_is_a_pass_through():
    for lib in (torch, ember):
        w, opt, s = _setup(lib, enabled=False)
        loss = (w * 2).sum()
        assert s.scale(loss) is loss
        loss.backward()
        s.step(opt)
        s.update()
        assert s.get_scale() == 1.0 and s.state_dict() == {} and not s.is_enabled()
    np.testing.assert_allclose(w.detach().numpy(), W0 - 0.2, rtol=1e-6)


def test_state_dict_round_trip_and_update_with_new_scale():
    ts, es = (lib.amp.GradScaler("cpu", init_scale=64.0, growth_interval=3)
              for lib in (torch, ember))
    for lib, s in ((torch, ts), (ember, es)):
        s.scale(lib.tensor(1.0))
        s.update(new_scale=5.0)
        assert s.get_scale() == 5.0
        s.update(new_scale=lib.tensor(3.0))
        fresh = lib.amp.GradScaler("cpu")
        fresh.load_state_dict(s.state_dict())
        assert fresh.get_scale() == 3.0 and fresh.get_growth_interval() == 3
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            fresh.load_state_dict({})
    assert es.state_dict() == ts.state_dict()


def test_misuse_errors_like_torch():
    for lib in (torch, ember):
        w, opt, s = _setup(lib)
        s.scale((w * 1.0).sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            s.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            s.step(opt, closure=lambda: 0.0)
        fresh = lib.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            fresh.step(opt)
