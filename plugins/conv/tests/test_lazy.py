"""Lazy convolution layers: shapes inferred from the first input, then parity with the
plain layer using the same weights."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import assert_close, copy_params, rand  # noqa: E402

import ember  # noqa: E402


@pytest.mark.parametrize("name, args, kw, shape", [
    ("LazyConv1d", (4, 3), {"stride": 2}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"padding": 1, "groups": 2, "padding_mode": "reflect"},
     (2, 6, 5, 5)),
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 3, 3, 3)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2}, (2, 4, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), {}, (3, 2, 2, 2)),
])
def test_lazy_conv(name: str, args: tuple, kw: dict, shape: tuple) -> None:
    e_mod, t_mod = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert e_mod.has_uninitialized_params()
    x = rand(shape, "float32")
    t_out = t_mod(torch.tensor(x))
    e_out = e_mod(ember.tensor(x))
    assert type(e_mod).__name__ == type(t_mod).__name__
    assert tuple(e_mod.weight.shape) == tuple(t_mod.weight.shape)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    assert repr(e_mod) == repr(t_mod)
    copy_params(e_mod, t_mod)
    assert_close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))


def test_lazy_conv_errors() -> None:
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.LazyConv2d(4, 3, groups=2)(ember.zeros(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        ember.nn.LazyConv2d(4, 3)(ember.zeros(5, 5))


def test_lazy_conv_loads_state_dict() -> None:
    t_mod = torch.nn.Conv2d(3, 4, 3)
    e_mod = ember.nn.LazyConv2d(4, 3)
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy())
                           for k, v in t_mod.state_dict().items()})
    x = rand((1, 3, 5, 5))
    assert_close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
