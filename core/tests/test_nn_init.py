"""ember.nn.init against torch.nn.init.

Deterministic initializers (constant_, ones_, zeros_, eye_, dirac_, calculate_gain, fan
computation) must give exactly torch's values; random ones are compared by statistics
(mean, std, bounds, zero counts) on large tensors, since ember's generator is not torch's.
Errors must match torch's type and message.
"""

import math

import numpy as np
import pytest

import ember
from ember.nn import init as e_init

torch = pytest.importorskip("torch")
t_init = torch.nn.init


def norm(msg):
    return msg.replace("torch", "ember")


def same_error(torch_call, ember_call):
    with pytest.raises(Exception) as t_err:
        torch_call()
    with pytest.raises(Exception) as e_err:
        ember_call()
    assert type(e_err.value).__name__ == type(t_err.value).__name__
    assert str(e_err.value) == norm(str(t_err.value))


def arr(t):
    return t.detach().numpy().astype(np.float64)


# ----------------------------------------------------------------------------- exact
@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh",
                                  "relu", "leaky_relu", "selu"])
def test_calculate_gain_matches_torch(name):
    assert e_init.calculate_gain(name) == t_init.calculate_gain(name)
    if name == "leaky_relu":
        for slope in (0.2, 1, 0):
            assert e_init.calculate_gain(name, slope) == t_init.calculate_gain(name, slope)


def test_calculate_gain_errors():
    same_error(lambda: t_init.calculate_gain("swish"), lambda: e_init.calculate_gain("swish"))
    same_error(lambda: t_init.calculate_gain("leaky_relu", True),
               lambda: e_init.calculate_gain("leaky_relu", True))
    same_error(lambda: t_init.calculate_gain("leaky_relu", "0.1"),
               lambda: e_init.calculate_gain("leaky_relu", "0.1"))


@pytest.mark.parametrize("shape", [(4, 3), (5, 2, 3), (6, 4, 3, 2), (2, 3, 1, 1, 4)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert (e_init._calculate_fan_in_and_fan_out(ember.empty(shape))
            == t_init._calculate_fan_in_and_fan_out(torch.empty(shape)))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert (e_init._calculate_correct_fan(ember.empty(shape), mode)
                == t_init._calculate_correct_fan(torch.empty(shape), mode))


def test_fan_errors():
    same_error(lambda: t_init._calculate_fan_in_and_fan_out(torch.empty(3)),
               lambda: e_init._calculate_fan_in_and_fan_out(ember.empty(3)))
    same_error(lambda: t_init.kaiming_uniform_(torch.empty(3, 3), mode="fan_avg"),
               lambda: e_init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg"))
    same_error(lambda: t_init.xavier_normal_(torch.empty(3)),
               lambda: e_init.xavier_normal_(ember.empty(3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constant_ones_zeros_exact(dtype):
    t = torch.empty(3, 4, dtype=getattr(torch, dtype))
    e = ember.empty(3, 4, dtype=getattr(ember, dtype))
    for t_fn, e_fn in ((lambda x: t_init.constant_(x, 0.3), lambda x: e_init.constant_(x, 0.3)),
                       (t_init.ones_, e_init.ones_), (t_init.zeros_, e_init.zeros_)):
        assert e_fn(e) is e
        t_fn(t)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_exact(shape):
    t, e = torch.empty(shape), ember.empty(shape)
    t_init.eye_(t)
    assert e_init.eye_(e) is e
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    same_error(lambda: t_init.eye_(torch.empty(2, 2, 2)), lambda: e_init.eye_(ember.empty(2, 2, 2)))


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((4, 2, 3), 2), ((6, 3, 3, 3), 3),
                                          ((2, 4, 5, 4), 1), ((4, 2, 3, 3, 2), 2),
                                          ((3, 5, 1), 1)])
def test_dirac_exact(shape, groups):
    t, e = torch.empty(shape), ember.empty(shape)
    t_init.dirac_(t, groups)
    assert e_init.dirac_(e, groups) is e
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_dirac_errors():
    same_error(lambda: t_init.dirac_(torch.empty(3, 3)), lambda: e_init.dirac_(ember.empty(3, 3)))
    same_error(lambda: t_init.dirac_(torch.empty(3, 3, 3), groups=2),
               lambda: e_init.dirac_(ember.empty(3, 3, 3), groups=2))


def test_init_on_parameters_records_no_history():
    p = ember.nn.Parameter(ember.empty(8, 4))
    for fn in (e_init.kaiming_uniform_, e_init.xavier_normal_, e_init.orthogonal_,
               e_init.trunc_normal_, e_init.ones_, e_init.zeros_):
        out = fn(p)
        assert out is p and p.grad_fn is None and p.requires_grad and p.is_leaf


# ----------------------------------------------------------------------------- statistics
SHAPE = (300, 200)


def stats(t):
    a = arr(t)
    return a.mean(), a.std(), a.min(), a.max()


def check_uniform(t_out, e_out, bound):
    e_mean, e_std, e_min, e_max = stats(e_out)
    t_mean, t_std, _, _ = stats(t_out)
    assert -bound <= e_min and e_max <= bound
    assert e_max > 0.99 * bound and e_min < -0.99 * bound
    assert abs(e_mean) < 0.02 * bound * 3
    assert abs(e_std - t_std) < 0.03 * t_std
    assert abs(t_mean - e_mean) < 0.05 * bound


def check_normal(t_out, e_out, std):
    e_mean, e_std, _, _ = stats(e_out)
    t_mean, t_std, _, _ = stats(t_out)
    assert abs(e_mean) < 0.02 * std * 3
    assert abs(e_std - std) < 0.02 * std
    assert abs(e_std - t_std) < 0.03 * std


def test_uniform_and_normal_statistics():
    t_u = t_init.uniform_(torch.empty(SHAPE), -2.0, 3.0)
    e_u = e_init.uniform_(ember.empty(SHAPE), -2.0, 3.0)
    assert arr(e_u).min() >= -2.0 and arr(e_u).max() < 3.0
    assert abs(arr(e_u).mean() - 0.5) < 0.03 and abs(arr(t_u).mean() - 0.5) < 0.03
    assert abs(arr(e_u).std() - arr(t_u).std()) < 0.02
    t_n = t_init.normal_(torch.empty(SHAPE), 1.5, 0.5)
    e_n = e_init.normal_(ember.empty(SHAPE), 1.5, 0.5)
    assert abs(arr(e_n).mean() - 1.5) < 0.01 and abs(arr(e_n).std() - 0.5) < 0.01
    assert abs(arr(e_n).std() - arr(t_n).std()) < 0.01


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_statistics(gain):
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    t_out = t_init.xavier_uniform_(torch.empty(SHAPE), gain=gain)
    e_out = e_init.xavier_uniform_(ember.empty(SHAPE), gain=gain)
    check_uniform(t_out, e_out, math.sqrt(3.0) * std)
    t_out = t_init.xavier_normal_(torch.empty(SHAPE), gain=gain)
    e_out = e_init.xavier_normal_(ember.empty(SHAPE), gain=gain)
    check_normal(t_out, e_out, std)


@pytest.mark.parametrize("a,mode,nonlinearity", [(0, "fan_in", "leaky_relu"),
                                                 (0.2, "fan_out", "leaky_relu"),
                                                 (0, "fan_in", "relu"),
                                                 (0, "fan_out", "tanh")])
def test_kaiming_statistics(a, mode, nonlinearity):
    shape = (200, 30, 3, 3)
    fan = 30 * 9 if mode == "fan_in" else 200 * 9
    std = t_init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    t_out = t_init.kaiming_uniform_(torch.empty(shape), a, mode, nonlinearity)
    e_out = e_init.kaiming_uniform_(ember.empty(shape), a, mode, nonlinearity)
    check_uniform(t_out, e_out, math.sqrt(3.0) * std)
    t_out = t_init.kaiming_normal_(torch.empty(shape), a, mode, nonlinearity)
    e_out = e_init.kaiming_normal_(ember.empty(shape), a, mode, nonlinearity)
    check_normal(t_out, e_out, std)


def test_kaiming_zero_element_warns_like_torch():
    for t_fn, e_fn in ((t_init.kaiming_uniform_, e_init.kaiming_uniform_),
                       (t_init.kaiming_normal_, e_init.kaiming_normal_)):
        with pytest.warns(UserWarning) as t_rec:
            t_fn(torch.empty(0, 3))
        with pytest.warns(UserWarning) as e_rec:
            e_fn(ember.empty(0, 3))
        assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 1.0),
                                          (0.0, 1.0, 2.0, 3.0), (0.0, 1.0, -0.1, 0.1)])
def test_trunc_normal_statistics(mean, std, a, b):
    t_out = t_init.trunc_normal_(torch.empty(SHAPE, dtype=torch.float64), mean, std, a, b)
    e_out = e_init.trunc_normal_(ember.empty(SHAPE, dtype=ember.float64), mean, std, a, b)
    e_a, t_a = arr(e_out), arr(t_out)
    assert e_a.min() >= a and e_a.max() <= b
    width = b - a
    assert abs(e_a.mean() - t_a.mean()) < 0.01 * width
    assert abs(e_a.std() - t_a.std()) < 0.02 * t_a.std() + 1e-4 * width


def test_trunc_normal_warns_when_mean_is_far():
    with pytest.warns(UserWarning) as t_rec:
        t_init.trunc_normal_(torch.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)
    with pytest.warns(UserWarning) as e_rec:
        e_init.trunc_normal_(ember.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)
    assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (5, 3, 2, 2), (3, 20)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_is_orthogonal(shape, gain):
    e_out = e_init.orthogonal_(ember.empty(shape, dtype=ember.float64), gain=gain)
    t_out = t_init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain)
    for out in (arr(e_out), arr(t_out)):
        flat = out.reshape(shape[0], -1)
        rows, cols = flat.shape
        gram = flat @ flat.T if rows <= cols else flat.T @ flat
        np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-10)
    assert tuple(e_out.shape) == shape
    same_error(lambda: t_init.orthogonal_(torch.empty(3)),
               lambda: e_init.orthogonal_(ember.empty(3)))


def test_orthogonal_matches_qr_with_positive_diagonal():
    ember.manual_seed(7)
    e_out = e_init.orthogonal_(ember.empty(5, 5, dtype=ember.float64))
    ember.manual_seed(7)
    drawn = ember.empty(5, 5, dtype=ember.float64).normal_(0, 1)
    q, r = np.linalg.qr(drawn.numpy())
    q = q * np.sign(np.diag(r))
    np.testing.assert_allclose(e_out.numpy(), q, atol=1e-12)


@pytest.mark.parametrize("sparsity", [0.1, 0.35, 0.9])
def test_sparse_zero_counts_and_std(sparsity):
    shape = (40, 50)
    t_out = t_init.sparse_(torch.empty(shape), sparsity, std=0.05)
    e_out = e_init.sparse_(ember.empty(shape), sparsity, std=0.05)
    t_zeros = (arr(t_out) == 0).sum(axis=0)
    e_zeros = (arr(e_out) == 0).sum(axis=0)
    np.testing.assert_array_equal(e_zeros, t_zeros)
    nonzero = arr(e_out)[arr(e_out) != 0]
    assert abs(nonzero.std() - 0.05) < 0.01
    same_error(lambda: t_init.sparse_(torch.empty(3), 0.1),
               lambda: e_init.sparse_(ember.empty(3), 0.1))


# ----------------------------------------------------------------------------- seeding
RANDOM_INITS = [
    lambda t, **kw: e_init.uniform_(t, **kw),
    lambda t, **kw: e_init.normal_(t, **kw),
    lambda t, **kw: e_init.trunc_normal_(t, **kw),
    lambda t, **kw: e_init.xavier_uniform_(t, **kw),
    lambda t, **kw: e_init.xavier_normal_(t, **kw),
    lambda t, **kw: e_init.kaiming_uniform_(t, **kw),
    lambda t, **kw: e_init.kaiming_normal_(t, **kw),
    lambda t, **kw: e_init.orthogonal_(t, **kw),
    lambda t, **kw: e_init.sparse_(t, 0.5, **kw),
]


@pytest.mark.parametrize("fn", RANDOM_INITS)
def test_seeded_runs_are_reproducible(fn):
    ember.manual_seed(123)
    a = fn(ember.empty(6, 8)).numpy().copy()
    ember.manual_seed(123)
    b = fn(ember.empty(6, 8)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    g = ember.Generator()
    c = fn(ember.empty(6, 8), generator=g.manual_seed(5)).numpy().copy()
    ember.manual_seed(999)
    d = fn(ember.empty(6, 8), generator=g.manual_seed(5)).numpy().copy()
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(a, c)


def test_deprecated_aliases_warn_like_torch():
    pairs = [("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("eye", ()),
             ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
             ("kaiming_normal", ()), ("orthogonal", ())]
    for name, extra in pairs:
        with pytest.warns(FutureWarning) as t_rec:
            getattr(t_init, name)(torch.empty(3, 3), *extra)
        with pytest.warns(FutureWarning) as e_rec:
            getattr(e_init, name)(ember.empty(3, 3), *extra)
        assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]
    with pytest.warns(FutureWarning):
        e_init.dirac(ember.empty(2, 2, 3))
    with pytest.warns(FutureWarning):
        e_init.sparse(ember.empty(4, 4), 0.5)
