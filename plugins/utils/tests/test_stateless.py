import warnings

import pytest

torch = pytest.importorskip("torch")

from small_modules import Linear, Tanh  # noqa: E402
from torch.nn.utils import stateless as TS  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, tdt  # noqa: E402

import ember  # noqa: E402
from ember.nn.utils import stateless as ES  # noqa: E402


def _call(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


def _pair(dtype):
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    t = t.to(tdt(dtype))
    m = ember.nn.Sequential(Linear(4, 3), Tanh(), Linear(3, 2))
    m = m.to(getattr(ember, dtype))
    copy_state(t, m)
    return t, m


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_call_values_and_grads(dtype):
    t, m = _pair(dtype)
    w = torch.randn(3, 4, dtype=tdt(dtype), requires_grad=True)
    b = torch.randn(2, dtype=tdt(dtype), requires_grad=True)
    ew, eb = e(w, True), e(b, True)
    x = torch.randn(5, 4, dtype=tdt(dtype))
    with pytest.warns(FutureWarning) as trec:
        ty = TS.functional_call(t, {"0.weight": w, "2.bias": b}, (x,))
    with pytest.warns(FutureWarning) as erec:
        ey = ES.functional_call(m, {"0.weight": ew, "2.bias": eb}, (e(x),))
    assert str(erec[0].message) == str(trec[0].message)
    close(ey, ty, dtype)
    ty.sum().backward()
    ey.sum().backward()
    close(ew.grad, w.grad, dtype)
    close(eb.grad, b.grad, dtype)
    assert m[0].weight.grad is None
    # the module's own parameters are back afterwards
    assert isinstance(m[0].weight, ember.nn.Parameter)
    close(m(e(x)), t(x), dtype)
    # a single non-tuple argument and kwargs
    close(_call(ES.functional_call, m, {}, e(x)), t(x), dtype)
    close(_call(ES.functional_call, m[0], {}, kwargs={"input": e(x)}), t[0](x), dtype)


def test_buffers_and_tied_weights():
    class TTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(3, 3)
            self.b = torch.nn.Linear(3, 3)
            self.b.weight = self.a.weight
            self.register_buffer("shift", torch.ones(3))

        def forward(self, x):
            return self.b(self.a(x)) + self.shift

    class ETied(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Linear(3, 3)
            self.b = Linear(3, 3)
            self.b.weight = self.a.weight
            self.register_buffer("shift", ember.ones(3))

        def forward(self, x):
            return self.b(self.a(x)) + self.shift

    t, m = TTied(), ETied()
    copy_state(t, m)
    x = torch.randn(2, 3)
    w = torch.randn(3, 3)
    s = torch.randn(3)
    for tie in (True, False):
        ty = _call(TS.functional_call, t, {"a.weight": w, "shift": s}, (x,), tie_weights=tie)
        ey = _call(ES.functional_call, m, {"a.weight": e(w), "shift": e(s)}, (e(x),),
                   tie_weights=tie)
        close(ey, ty, "float32")
    with pytest.raises(ValueError) as terr:
        _call(TS.functional_call, t, {"a.weight": w, "b.weight": w + 1}, (x,))
    with pytest.raises(ValueError) as eerr:
        _call(ES.functional_call, m, {"a.weight": e(w), "b.weight": e(w + 1)}, (e(x),))
    assert str(eerr.value) == str(terr.value)


def test_strict_keys_error_matches_torch():
    t, m = _pair("float32")
    with pytest.raises(RuntimeError) as terr:
        _call(TS.functional_call, t, {"0.weight": torch.ones(3, 4), "zzz": torch.ones(1)},
              (torch.ones(1, 4),), strict=True)
    with pytest.raises(RuntimeError) as eerr:
        _call(ES.functional_call, m, {"0.weight": ember.ones(3, 4), "zzz": ember.ones(1)},
              (ember.ones(1, 4),), strict=True)
    assert str(eerr.value) == str(terr.value)
    # nothing was swapped
    assert isinstance(m[0].weight, ember.nn.Parameter)


def test_new_attribute_is_removed_afterwards():
    m = Linear(2, 2)
    _call(ES.functional_call, m, {"extra": ember.ones(1)}, (ember.ones(1, 2),))
    assert not hasattr(m, "extra")
