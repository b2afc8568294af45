"""Normalization Modules against torch: outputs and gradients (input and parameters) in
train and eval modes, running statistics step by step (momentum, cumulative average,
no tracking), lazy initialization, reprs and errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, arr, check_error, check_module, np_of  # noqa: E402

BN = {"BatchNorm1d": [(6, 3), (6, 3, 5)], "BatchNorm2d": [(4, 3, 3, 2)],
      "BatchNorm3d": [(3, 3, 2, 2, 2)]}
BN_OPTIONS = [{}, {"momentum": 0.3}, {"momentum": None}, {"track_running_stats": False},
              {"affine": False}, {"bias": False}, {"eps": 1e-3}]


def _steps(name, shape, kw, dtype, train, steps=3):
    def make(lib):
        return getattr(lib.nn, name)(shape[1], dtype=getattr(lib, dtype), **kw)

    # the same batch each step: the running statistics still move step by step
    return check_module(make, Arg(arr(shape, dtype, -2, 3)), train=train, steps=steps)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", BN_OPTIONS, ids=lambda k: ",".join(f"{a}={b}" for a, b in
                                                                   k.items()) or "default")
@pytest.mark.parametrize("name,shape", [(n, s) for n, ss in BN.items() for s in ss])
def test_batch_norm_modules(name, shape, kw, dtype):
    e_mod, t_mod = _steps(name, shape, kw, dtype, train=True)
    assert repr(e_mod) == repr(t_mod)
    if t_mod.num_batches_tracked is not None:
        assert int(e_mod.num_batches_tracked.item()) == int(t_mod.num_batches_tracked) == 3
    # the statistics gathered in training now drive evaluation
    e_mod.eval()
    t_mod.eval()
    x = arr(shape, dtype, seed=7)
    np.testing.assert_allclose(np_of(e_mod(ember.tensor(x))), np_of(t_mod(torch.tensor(x))),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_running_stats_step_by_step_with_changing_batches(momentum):
    e_mod = ember.nn.BatchNorm1d(4, momentum=momentum, dtype=ember.float64)
    t_mod = torch.nn.BatchNorm1d(4, momentum=momentum, dtype=torch.float64)
    for step in range(5):
        x = arr((8, 4), "float64", -1 + step, 2 + 2 * step, seed=step)
        np.testing.assert_allclose(np_of(e_mod(ember.tensor(x))), np_of(t_mod(torch.tensor(x))),
                                   rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(np_of(e_mod.running_mean), np_of(t_mod.running_mean),
                                   rtol=1e-10)
        np.testing.assert_allclose(np_of(e_mod.running_var), np_of(t_mod.running_var),
                                   rtol=1e-10)
        assert int(e_mod.num_batches_tracked.item()) == step + 1
    if momentum is None:  # cumulative average: the mean of the five batch means
        means = [arr((8, 4), "float64", -1 + s, 2 + 2 * s, seed=s).mean(0) for s in range(5)]
        np.testing.assert_allclose(np_of(e_mod.running_mean), np.mean(means, 0), rtol=1e-10)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_eval_mode_gradients(dtype):
    e_mod, t_mod = check_module(lambda lib: lib.nn.BatchNorm2d(3, dtype=getattr(lib, dtype)),
                                Arg(arr((4, 3, 2, 2), dtype)), train=False)
    e_mod, t_mod = check_module(
        lambda lib: lib.nn.BatchNorm1d(3, track_running_stats=False,
                                       dtype=getattr(lib, dtype)),
        Arg(arr((4, 3), dtype)), train=False)  # no running stats: batch statistics in eval


IN = {"InstanceNorm1d": [(3, 4, 5), (4, 5)], "InstanceNorm2d": [(2, 4, 3, 3), (4, 3, 3)],
      "InstanceNorm3d": [(2, 4, 2, 2, 3)]}
IN_OPTIONS = [{}, {"affine": True}, {"track_running_stats": True},
              {"affine": True, "track_running_stats": True, "momentum": 0.4},
              {"track_running_stats": True, "momentum": None}]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", IN_OPTIONS, ids=lambda k: ",".join(f"{a}={b}" for a, b in
                                                                   k.items()) or "default")
@pytest.mark.parametrize("name,shape", [(n, s) for n, ss in IN.items() for s in ss])
def test_instance_norm_modules(name, shape, kw, dtype, train):
    c = 4

    def make(lib):
        return getattr(lib.nn, name)(c, dtype=getattr(lib, dtype), **kw)

    e_mod, t_mod = check_module(make, Arg(arr(shape, dtype, -1, 3)), train=train, steps=2)
    assert repr(e_mod) == repr(t_mod)


def test_instance_norm_channel_mismatch():
    check_error(lambda lib, x: lib.nn.InstanceNorm1d(3, affine=True)(x), Arg(arr((2, 4, 5))),
                match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4")
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))


LAZY = [("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm2d", (4, 3, 2, 2)),
        ("LazyBatchNorm3d", (4, 3, 2, 2, 2)), ("LazyInstanceNorm1d", (4, 3, 5)),
        ("LazyInstanceNorm2d", (4, 3, 2, 3)), ("LazyInstanceNorm3d", (2, 3, 2, 2, 3))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,shape", LAZY)
def test_lazy_norms(name, shape, dtype):
    e_mod = getattr(ember.nn, name)(dtype=getattr(ember, dtype))
    t_mod = getattr(torch.nn, name)(dtype=getattr(torch, dtype))
    assert repr(e_mod) == repr(t_mod)
    x = arr(shape, dtype)
    e_out, t_out = e_mod(ember.tensor(x)), t_mod(torch.tensor(x))
    assert type(e_mod).__name__ == type(t_mod).__name__ == name[4:]
    assert repr(e_mod) == repr(t_mod)
    np.testing.assert_allclose(np_of(e_out), np_of(t_out), rtol=1e-4, atol=1e-5)
    for (en, eb), (tn, tb) in zip(e_mod.named_buffers(), t_mod.named_buffers(), strict=True):
        assert en == tn
        np.testing.assert_allclose(np_of(eb), np_of(tb), rtol=1e-4, atol=1e-5)
    assert [n for n, _ in e_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]


@pytest.mark.parametrize("dtype", FLOATS)
def test_lazy_linear(dtype):
    e_mod = ember.nn.LazyLinear(4, dtype=getattr(ember, dtype))
    t_mod = torch.nn.LazyLinear(4, dtype=getattr(torch, dtype))
    assert repr(e_mod) == repr(t_mod)
    e_mod(ember.ones(2, 3, dtype=getattr(ember, dtype)))
    assert type(e_mod) is ember.nn.Linear and e_mod.weight.shape == (4, 3)
    assert e_mod.weight.dtype is getattr(ember, dtype)
    assert repr(e_mod) == "Linear(in_features=3, out_features=4, bias=True)"
    assert np.abs(e_mod.weight.detach().numpy()).max() <= 1 / np.sqrt(3)
    check_module(lambda lib: lib.nn.Linear(3, 4, dtype=getattr(lib, dtype)),
                 Arg(arr((2, 3), dtype)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False},
                                {"eps": 1e-3}])
@pytest.mark.parametrize("nshape", [4, (3, 4)])
def test_layer_norm_module(nshape, kw, dtype):
    e_mod, t_mod = check_module(
        lambda lib: lib.nn.LayerNorm(nshape, dtype=getattr(lib, dtype), **kw),
        Arg(arr((2, 3, 4), dtype)))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_group_norm_module(kw, dtype):
    e_mod, t_mod = check_module(
        lambda lib: lib.nn.GroupNorm(2, 6, dtype=getattr(lib, dtype), **kw),
        Arg(arr((3, 6, 4), dtype)))
    assert repr(e_mod) == repr(t_mod)
    check_error(lambda lib: lib.nn.GroupNorm(4, 6),
                match=r"num_channels \(6\) must be divisible by num_groups \(4\)")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"eps": 1e-4}, {"elementwise_affine": False}])
@pytest.mark.parametrize("nshape", [4, [3, 4]])
def test_rms_norm_module(nshape, kw, dtype):
    e_mod, t_mod = check_module(
        lambda lib: lib.nn.RMSNorm(nshape, dtype=getattr(lib, dtype), **kw),
        Arg(arr((2, 3, 4), dtype)))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("args", [(2,), (3, 1e-2, 0.5, 2.0)])
def test_local_response_norm_module(args, dtype):
    e_mod, t_mod = check_module(lambda lib: lib.nn.LocalResponseNorm(*args),
                                Arg(arr((2, 5, 3, 3), dtype)))
    assert repr(e_mod) == repr(t_mod)


def test_input_dim_errors():
    for name, shape in (("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3, 4)),
                        ("BatchNorm3d", (2, 3, 4, 5)), ("InstanceNorm1d", (2,)),
                        ("InstanceNorm2d", (2, 3)), ("InstanceNorm3d", (2, 3, 4))):
        check_error(lambda lib, x, n=name: getattr(lib.nn, n)(3)(x), Arg(arr(shape)),
                    match=r"Norm\dd\] expected .*D input \(got \dD input of shape")
    check_error(lambda lib, x: lib.nn.BatchNorm1d(3)(x), Arg(arr((1, 3))),
                match="Expected more than 1 value per channel when training")


def test_state_dict_keys_match_torch():
    for make in (lambda lib: lib.nn.BatchNorm2d(3), lambda lib: lib.nn.LayerNorm(4),
                 lambda lib: lib.nn.InstanceNorm1d(3, track_running_stats=True),
                 lambda lib: lib.nn.GroupNorm(1, 2), lambda lib: lib.nn.Embedding(3, 2),
                 lambda lib: lib.nn.Linear(2, 3), lambda lib: lib.nn.PReLU()):
        assert list(make(ember).state_dict()) == list(make(torch).state_dict())
