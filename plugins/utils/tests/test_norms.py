"""Hook-based weight_norm / spectral_norm and their parametrization versions."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from small_modules import Holder, Linear  # noqa: E402
from torch.nn.utils import parametrizations as TP  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, family_class, tdt  # noqa: E402

import ember  # noqa: E402
from ember.nn.utils import parametrizations as EP  # noqa: E402


def _linear_pair(dtype, i=5, o=4):
    t = torch.nn.Linear(i, o).to(tdt(dtype))
    m = Linear(i, o, dtype=getattr(ember, dtype))
    copy_state(t, m)
    return t, m


def _conv_weight_pair(dtype, shape=(4, 3, 2, 2)):
    # a module with only a 4-d weight (no conv kernel needed for the norm math)
    class TM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(*shape, dtype=tdt(dtype)))

    class EM(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = ember.nn.Parameter(ember.zeros(*shape, dtype=getattr(ember, dtype)))

    t, m = TM(), EM()
    copy_state(t, m)
    return t, m


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_hook(dtype, dim):
    t, m = _linear_pair(dtype)
    with pytest.warns(FutureWarning) as trec:
        torch.nn.utils.weight_norm(t, dim=dim)
    with pytest.warns(FutureWarning) as erec:
        ember.nn.utils.weight_norm(m, dim=dim)
    assert str(erec[0].message) == str(trec[0].message)
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        close(m.state_dict()[k], v, dtype)
    x = torch.randn(3, 5, dtype=tdt(dtype))
    ty, ey = t(x), m(e(x))
    close(ey, ty, dtype)
    ty.pow(2).sum().backward()
    ey.pow(2).sum().backward()
    close(m.weight_g.grad, t.weight_g.grad, dtype)
    close(m.weight_v.grad, t.weight_v.grad, dtype)
    torch.nn.utils.remove_weight_norm(t)
    ember.nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.weight, t.weight, dtype)
    assert isinstance(m.weight, ember.nn.Parameter)


def test_weight_norm_errors():
    m = Linear(2, 3)
    _quiet(ember.nn.utils.weight_norm, m)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same "
                                           "parameter weight"):
        _quiet(ember.nn.utils.weight_norm, m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in"):
        ember.nn.utils.remove_weight_norm(m, "bias")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [None, 1])
@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_hook(dtype, dim, n_iter):
    torch.manual_seed(0)
    t, m = _linear_pair(dtype)
    torch.nn.utils.spectral_norm(t, n_power_iterations=n_iter, dim=dim)
    ember.nn.utils.spectral_norm(m, n_power_iterations=n_iter, dim=dim)
    assert list(m.state_dict()) == list(t.state_dict())
    copy_state(t, m)          # same random u, v
    x = torch.randn(3, 5, dtype=tdt(dtype))
    for _ in range(3):        # training: u and v are updated in place every forward
        ty, ey = t(x), m(e(x))
        close(ey, ty, dtype)
        close(m.weight_u, t.weight_u, dtype)
        close(m.weight_v, t.weight_v, dtype)
    ty.sum().backward()
    ey.sum().backward()
    close(m.weight_orig.grad, t.weight_orig.grad, dtype)
    t.eval(), m.eval()
    u_before = m.weight_u.numpy().copy()
    close(m(e(x)), t(x), dtype)
    np.testing.assert_array_equal(m.weight_u.numpy(), u_before)
    torch.nn.utils.remove_spectral_norm(t)
    ember.nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.weight, t.weight, dtype)


def test_spectral_norm_default_dim():
    # dim 0 for ordinary modules; transposed convolutions (when ember-conv is loaded) use 1
    m = ember.nn.utils.spectral_norm(Holder(5, 3, 2, 2))
    assert m.weight_u.shape == (5,) and m.weight_v.shape == (12,)
    m = EP.spectral_norm(Holder(5, 3, 2, 2))
    assert m.parametrizations.weight[0].dim == 0
    convt = family_class("ConvTranspose2d")
    if convt is None:
        return
    m = ember.nn.utils.spectral_norm(convt(3, 5, 2))
    t = torch.nn.utils.spectral_norm(torch.nn.ConvTranspose2d(3, 5, 2))
    assert m.weight_u.shape == tuple(t.weight_u.shape) == (5,)
    assert m.weight_v.shape == tuple(t.weight_v.shape) == (12,)
    assert EP.spectral_norm(convt(3, 5, 2)).parametrizations.weight[0].dim == 1


@pytest.mark.parametrize("in_f,out_f", [(6, 4), (3, 5)])
def test_spectral_norm_state_dict_metadata_and_legacy_load(in_f, out_f):
    torch.manual_seed(1)
    t, m = _linear_pair("float64", in_f, out_f)
    torch.nn.utils.spectral_norm(t)
    ember.nn.utils.spectral_norm(m)
    copy_state(t, m)
    tsd, esd = t.state_dict(), m.state_dict()
    assert esd._metadata[""]["spectral_norm"] == tsd._metadata[""]["spectral_norm"]
    # a state dict from before version 1: has ``weight`` and no ``weight_v``
    legacy_t = {k: v for k, v in tsd.items() if k != "weight_v"}
    legacy_t["weight"] = t.weight.detach()
    legacy_e = {k: e(v) for k, v in legacy_t.items()}
    t2, m2 = _linear_pair("float64", in_f, out_f)
    torch.nn.utils.spectral_norm(t2)
    ember.nn.utils.spectral_norm(m2)
    t2.load_state_dict(legacy_t)
    m2.load_state_dict(legacy_e)
    close(m2.weight_v, t2.weight_v)
    t2.eval(), m2.eval()
    x = torch.randn(2, in_f, dtype=torch.float64)
    close(m2(e(x)), t2(x))


def test_spectral_norm_errors():
    m = Linear(2, 3)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        ember.nn.utils.spectral_norm(m, n_power_iterations=0)
    ember.nn.utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        ember.nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found in"):
        ember.nn.utils.remove_spectral_norm(m, "bias")


# --------------------------------------------------------------- parametrization versions


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm(dtype, dim):
    t, m = _linear_pair(dtype)
    TP.weight_norm(t, dim=dim)
    EP.weight_norm(m, dim=dim)
    assert type(m).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        close(m.state_dict()[k], v, dtype)
    x = torch.randn(3, 5, dtype=tdt(dtype))
    ty, ey = t(x), m(e(x))
    close(ey, ty, dtype)
    ty.pow(2).sum().backward()
    ey.pow(2).sum().backward()
    close(m.parametrizations.weight.original0.grad, t.parametrizations.weight.original0.grad,
          dtype)
    close(m.parametrizations.weight.original1.grad, t.parametrizations.weight.original1.grad,
          dtype)


def test_parametrized_weight_norm_loads_old_state_dict():
    t, m = _linear_pair("float64")
    _quiet(torch.nn.utils.weight_norm, t)
    old = {k: e(v) for k, v in t.state_dict().items()}
    t2, m2 = _linear_pair("float64")
    EP.weight_norm(m2)
    m2.load_state_dict(old)
    close(m2.weight, t.weight)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_parametrized_spectral_norm(dtype, dim):
    torch.manual_seed(3)
    t, m = _conv_weight_pair(dtype)
    TP.spectral_norm(t, dim=dim)
    EP.spectral_norm(m, dim=dim)
    assert list(m.state_dict()) == list(t.state_dict())
    copy_state(t, m)
    for _ in range(2):
        close(m.weight, t.weight, dtype)
    close(m.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u, dtype)
    t.weight.sum().backward()
    m.weight.sum().backward()
    close(m.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad,
          dtype)
    t.eval(), m.eval()
    close(m.weight, t.weight, dtype)


def test_parametrized_spectral_norm_vector_and_converges():
    class TV(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(6, dtype=torch.float64))

    class EV(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = ember.nn.Parameter(ember.zeros(6, dtype=ember.float64))

    t, m = TV(), EV()
    copy_state(t, m)
    TP.spectral_norm(t)
    EP.spectral_norm(m)
    close(m.weight, t.weight)
    # on a matrix, registration runs 15 power iterations: sigma is close to the top
    # singular value
    lin = Linear(8, 6, dtype=ember.float64)
    w = lin.weight.detach().numpy().copy()
    EP.spectral_norm(lin)
    np.testing.assert_allclose(np.linalg.norm(lin.weight.detach().numpy(), 2), 1.0, rtol=0.05)
    assert w.shape == (6, 8)


def test_parametrized_spectral_norm_errors():
    with pytest.raises(IndexError) as terr:
        TP.spectral_norm(torch.nn.Linear(2, 3), dim=2)
    with pytest.raises(IndexError) as eerr:
        EP.spectral_norm(Linear(2, 3), dim=2)
    assert str(eerr.value) == str(terr.value)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        EP.spectral_norm(Linear(2, 3), name="nope")
