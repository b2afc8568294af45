import copy
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from small_modules import Linear  # noqa: E402
from torch.nn.utils import parametrize as TPZ  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, tdt  # noqa: E402

import ember  # noqa: E402
from ember.nn.utils import parametrize as EPZ  # noqa: E402


def make_pair_classes():
    """The same parametrizations written for torch and for ember."""

    def build(nn, lib):
        class Symmetric(nn.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)

            def right_inverse(self, a):
                return a.triu()

        class Scale(nn.Module):
            def __init__(self, s):
                super().__init__()
                self.s = s

            def forward(self, x):
                return x * self.s

            def right_inverse(self, x):
                return x / self.s

        class NoInverse(nn.Module):
            def forward(self, x):
                return x.exp()

        class Split(nn.Module):
            def forward(self, a, b):
                return a + b

            def right_inverse(self, x):
                return (x * 0.25, x * 0.75)

        class Shrink(nn.Module):
            def forward(self, x):
                return x[:, :2]

        return dict(Symmetric=Symmetric, Scale=Scale, NoInverse=NoInverse, Split=Split,
                    Shrink=Shrink)

    return build(torch.nn, torch), build(ember.nn, ember)


TC, EC = make_pair_classes()


def _pair(dtype, i=4, o=4):
    t = torch.nn.Linear(i, o).to(tdt(dtype))
    m = Linear(i, o, dtype=getattr(ember, dtype))
    copy_state(t, m)
    return t, m


@pytest.mark.parametrize("dtype", DTYPES)
def test_register_chain_forward_backward_state_dict(dtype):
    t, m = _pair(dtype)
    tw, ew = t.weight, m.weight
    TPZ.register_parametrization(t, "weight", TC["Symmetric"]())
    EPZ.register_parametrization(m, "weight", EC["Symmetric"]())
    TPZ.register_parametrization(t, "weight", TC["Scale"](3.0))
    EPZ.register_parametrization(m, "weight", EC["Scale"](3.0))
    assert type(m).__name__ == "ParametrizedLinear"
    assert isinstance(m, Linear)
    assert EPZ.type_before_parametrizations(m) is Linear
    assert EPZ.is_parametrized(m) and EPZ.is_parametrized(m, "weight")
    assert not EPZ.is_parametrized(m, "bias")
    assert isinstance(m.parametrizations.weight, EPZ.ParametrizationList)
    assert m.parametrizations.weight.original is ew   # the same tensor object, set in place
    assert t.parametrizations.weight.original is tw
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    for k, v in t.state_dict().items():
        close(m.state_dict()[k], v, dtype)
    close(m.weight, t.weight, dtype)
    x = torch.randn(2, 4, dtype=tdt(dtype))
    ty, ey = t(x), m(e(x))
    close(ey, ty, dtype)
    (ty ** 2).sum().backward()
    (ey ** 2).sum().backward()
    close(m.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad,
          dtype)
    # assignment goes through right_inverse of the whole chain
    new = torch.randn(4, 4, dtype=tdt(dtype))
    with torch.no_grad():
        t.weight = new
    with ember.no_grad():
        m.weight = e(new)
    close(m.parametrizations.weight.original, t.parametrizations.weight.original, dtype)
    close(m.weight, t.weight, dtype)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    t, m = _pair("float64")
    TPZ.register_parametrization(t, "weight", TC["Symmetric"]())
    EPZ.register_parametrization(m, "weight", EC["Symmetric"]())
    TPZ.register_parametrization(t, "bias", TC["Scale"](2.0))
    EPZ.register_parametrization(m, "bias", EC["Scale"](2.0))
    TPZ.remove_parametrizations(t, "weight", leave_parametrized=leave)
    EPZ.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m).__name__ == "ParametrizedLinear"
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.weight, t.weight)
    TPZ.remove_parametrizations(t, "bias", leave_parametrized=leave)
    EPZ.remove_parametrizations(m, "bias", leave_parametrized=leave)
    assert type(m) is Linear and not hasattr(m, "parametrizations")
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.bias, t.bias)
    assert isinstance(m.weight, ember.nn.Parameter) and isinstance(m.bias, ember.nn.Parameter)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        EPZ.remove_parametrizations(m, "weight")


def test_multi_tensor_right_inverse():
    t, m = _pair("float64")
    TPZ.register_parametrization(t, "weight", TC["Split"]())
    EPZ.register_parametrization(m, "weight", EC["Split"]())
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.parametrizations.weight.original0, t.parametrizations.weight.original0)
    close(m.weight, t.weight)
    assert m.parametrizations.weight.original1.requires_grad
    with pytest.raises(ValueError) as terr:
        TPZ.remove_parametrizations(t, "weight", leave_parametrized=False)
    with pytest.raises(ValueError) as eerr:
        EPZ.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert str(eerr.value) == str(terr.value)
    TPZ.remove_parametrizations(t, "weight")
    EPZ.remove_parametrizations(m, "weight")
    close(m.weight, t.weight)
    assert isinstance(m.weight, ember.nn.Parameter)


def test_no_right_inverse_and_buffers():
    t, m = _pair("float32")
    t.register_buffer("buf", torch.rand(3))
    m.register_buffer("buf", e(t.buf))
    TPZ.register_parametrization(t, "buf", TC["NoInverse"]())
    EPZ.register_parametrization(m, "buf", EC["NoInverse"]())
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    close(m.buf, t.buf, "float32")
    with pytest.raises(RuntimeError) as terr:
        t.buf = torch.ones(3)
    with pytest.raises(RuntimeError) as eerr:
        m.buf = ember.ones(3)
    assert str(eerr.value) == str(terr.value)


def test_unsafe_and_shape_checks():
    t, m = _pair("float32", 3, 4)
    with pytest.raises(ValueError) as terr:
        TPZ.register_parametrization(t, "weight", TC["Shrink"]())
    with pytest.raises(ValueError) as eerr:
        EPZ.register_parametrization(m, "weight", EC["Shrink"]())
    assert str(eerr.value) == str(terr.value).replace("torch.Size", "ember.Size")
    assert not EPZ.is_parametrized(m)
    TPZ.register_parametrization(t, "weight", TC["Shrink"](), unsafe=True)
    EPZ.register_parametrization(m, "weight", EC["Shrink"](), unsafe=True)
    assert m.weight.shape == tuple(t.weight.shape) == (4, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'"):
        EPZ.register_parametrization(m, "nope", EC["Scale"](1.0))


def test_cached():
    calls = []

    class Counting(ember.nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 2

    m = Linear(3, 3)
    EPZ.register_parametrization(m, "weight", Counting())
    calls.clear()
    _ = (m.weight, m.weight)
    assert len(calls) == 2
    with EPZ.cached():
        a = m.weight
        b = m.weight
        with EPZ.cached():
            c = m.weight
    assert a is b is c and len(calls) == 3
    _ = m.weight
    assert len(calls) == 4


def test_training_mode_propagates_and_deepcopy():
    t, m = _pair("float32")
    m.eval()
    p = EC["Scale"](2.0)
    EPZ.register_parametrization(m, "weight", p)
    assert p.training is False
    m2 = copy.deepcopy(m)
    assert type(m2) is type(m)
    close(m2.weight, m.weight, "float32")
    assert m2.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict"):
        pickle.dumps(m)


def test_load_state_dict_roundtrip():
    t, m = _pair("float64")
    TPZ.register_parametrization(t, "weight", TC["Symmetric"]())
    EPZ.register_parametrization(m, "weight", EC["Symmetric"]())
    t2 = torch.nn.Linear(4, 4).double()
    TPZ.register_parametrization(t2, "weight", TC["Symmetric"]())
    t2.load_state_dict(t.state_dict())
    m.load_state_dict({k: e(v) for k, v in t2.state_dict().items()})
    close(m.weight, t2.weight)


def test_transfer_parametrizations():
    m1 = Linear(3, 3)
    EPZ.register_parametrization(m1, "weight", EC["Symmetric"]())
    m2 = Linear(3, 3)
    EPZ.transfer_parametrizations_and_params(m1, m2)
    assert m2.parametrizations.weight.original is m1.parametrizations.weight.original
    np.testing.assert_array_equal(m2.weight.detach().numpy(), m1.weight.detach().numpy())
