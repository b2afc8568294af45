"""Conv and ConvTranspose layers against torch with the same weights: outputs, gradients
wrt input, weight and bias, reprs, output_size and constructor errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, assert_close, copy_params, rand  # noqa: E402

import ember  # noqa: E402


def _pair_of(name: str, *args: object, dtype: str = "float32", **kw: object) -> tuple:
    t_mod = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, dtype))
    e_mod = getattr(ember.nn, name)(*args, **kw).to(getattr(ember, dtype))
    copy_params(e_mod, t_mod)
    return e_mod, t_mod


def _compare(e_mod: object, t_mod: object, x: object, **call: object) -> None:
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    ty, ey = t_mod(tx, **call), e_mod(ex, **call)
    assert_close(ey, ty)
    g = rand(tuple(ty.shape), str(x.dtype), 7)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_close(ex.grad, tx.grad, what="input grad")
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        assert_close(p.grad, t_params[name].grad, what=f"{name} grad")


CONV = [
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 9)),
    ("Conv1d", (3, 2, 3), {"padding": 2, "padding_mode": "circular"}, (2, 3, 7)),
    ("Conv2d", (4, 6, (3, 2)), {"padding": "same", "dilation": 2, "bias": False}, (2, 4, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "reflect"}, (2, 3, 6, 7)),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "replicate", "stride": 2},
     (3, 6, 7)),
    ("Conv3d", (2, 4, 3), {"padding": 1, "stride": (1, 2, 2)}, (2, 2, 4, 5, 5)),
    ("Conv3d", (2, 2, 2), {"padding": "same", "padding_mode": "circular"}, (1, 2, 3, 4, 4)),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "output_padding": 1, "groups": 2},
     (2, 4, 5)),
    ("ConvTranspose2d", (3, 4, (3, 2)), {"stride": 2, "padding": 1, "dilation": (1, 2)},
     (2, 3, 4, 5)),
    ("ConvTranspose3d", (2, 3, 2), {"stride": 2, "bias": False}, (1, 2, 2, 3, 2)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, kw, shape", CONV, ids=lambda v: str(v))
def test_conv_layers(name: str, args: tuple, kw: dict, shape: tuple, dtype: str) -> None:
    e_mod, t_mod = _pair_of(name, *args, dtype=dtype, **kw)
    assert repr(e_mod) == repr(t_mod)
    _compare(e_mod, t_mod, rand(shape, dtype))


@pytest.mark.parametrize("output_size", [[9, 11], [10, 12], [2, 3, 10, 11]])
def test_conv_transpose_output_size(output_size: list) -> None:
    e_mod, t_mod = _pair_of("ConvTranspose2d", 3, 3, 3, stride=2, padding=1)
    _compare(e_mod, t_mod, rand((2, 3, 5, 6)), output_size=output_size)


def test_conv_transpose_output_size_unbatched_dilated() -> None:
    e_mod, t_mod = _pair_of("ConvTranspose1d", 2, 3, 3, stride=3, dilation=2, dtype="float64")
    _compare(e_mod, t_mod, rand((2, 5), "float64"), output_size=[17])


def test_conv_transpose_output_size_out_of_range() -> None:
    e_mod, t_mod = _pair_of("ConvTranspose2d", 3, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="requested an output size"):
        t_mod(torch.zeros(2, 3, 5, 6), output_size=[13, 11])
    with pytest.raises(ValueError, match=r"requested an output size of \[13, 11\].*\[9, 11\]"):
        e_mod(ember.zeros(2, 3, 5, 6), output_size=[13, 11])


def test_default_init_bounds_and_shapes() -> None:
    m = ember.nn.Conv2d(4, 8, 3, groups=2)
    assert tuple(m.weight.shape) == (8, 2, 3, 3) and tuple(m.bias.shape) == (8,)
    bound = 1 / (2 * 9) ** 0.5
    assert float(m.weight.abs().max()) <= bound and float(m.weight.abs().max()) > bound / 2
    t = ember.nn.ConvTranspose2d(4, 8, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 4, 3, 3)


@pytest.mark.parametrize("kw", [
    {"groups": 0}, {"groups": 3}, {"padding": "full"}, {"padding": "same", "stride": 2},
    {"padding_mode": "mirror"},
])
def test_conv_constructor_errors(kw: dict) -> None:
    with pytest.raises(ValueError) as t_err:
        torch.nn.Conv2d(4, 6, 3, **kw)
    with pytest.raises(ValueError) as e_err:
        ember.nn.Conv2d(4, 6, 3, **kw)
    # torch prints the valid choices as a set, whose order varies between runs
    assert str(e_err.value).split("{")[0] == str(t_err.value).split("{")[0]


def test_conv_transpose_rejects_padding_mode() -> None:
    with pytest.raises(ValueError, match="Only \"zeros\" padding mode"):
        ember.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


def test_state_dict_round_trip_with_torch_names() -> None:
    e_mod, t_mod = _pair_of("Conv2d", 2, 3, 3)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
