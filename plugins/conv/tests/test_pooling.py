"""Pooling (functional and layers) against torch: values, indices, gradients, double
backward, the composite definitions, and errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, Arg, assert_close, check, check_error, distinct, rand  # noqa: E402

import ember  # noqa: E402
from ember_conv import pool_ops as P  # noqa: E402
from ember_conv import pooling  # noqa: E402

MAX = [
    (1, (2, 3, 9), {"kernel_size": 3}),
    (1, (3, 10), {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
    (2, (2, 3, 7, 8), {"kernel_size": 2}),
    (2, (2, 3, 7, 8), {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "ceil_mode": True}),
    (2, (3, 9, 9), {"kernel_size": 3, "stride": 2, "dilation": 2, "padding": (1, 0)}),
    (3, (1, 2, 5, 6, 7), {"kernel_size": 2, "stride": (1, 2, 2), "ceil_mode": True}),
    (3, (2, 4, 5, 5), {"kernel_size": (2, 3, 3), "padding": 1, "dilation": (1, 2, 1)}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, shape, kw", MAX, ids=lambda v: str(v))
def test_max_pool(nd: int, shape: tuple, kw: dict, dtype: str) -> None:
    fn = f"max_pool{nd}d"
    check(lambda lib, x: getattr(lib.nn.functional, fn)(x, return_indices=True, **kw),
          Arg(distinct(shape, dtype)))


AVG = [
    (1, (2, 3, 9), {"kernel_size": 3}),
    (1, (3, 10), {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True,
                  "count_include_pad": False}),
    (2, (2, 3, 7, 8), {"kernel_size": 2}),
    (2, (2, 3, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (2, (2, 3, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                       "count_include_pad": False}),
    (2, (3, 6, 6), {"kernel_size": (3, 2), "padding": (1, 0), "divisor_override": 5}),
    (3, (1, 2, 5, 6, 7), {"kernel_size": 2, "stride": (1, 2, 2), "ceil_mode": True}),
    (3, (2, 4, 5, 5), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, shape, kw", AVG, ids=lambda v: str(v))
def test_avg_pool(nd: int, shape: tuple, kw: dict, dtype: str) -> None:
    fn = f"avg_pool{nd}d"
    check(lambda lib, x: getattr(lib.nn.functional, fn)(x, **kw), Arg(rand(shape, dtype)))


ADAPTIVE = [
    (1, (2, 3, 10), 4), (1, (3, 7), 7), (2, (2, 3, 7, 9), (3, 4)), (2, (3, 5, 6), (None, 4)),
    (2, (1, 2, 4, 4), 6), (3, (1, 2, 5, 6, 7), (2, 3, 4)), (3, (2, 3, 4, 5), 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, shape, size", ADAPTIVE, ids=lambda v: str(v))
def test_adaptive_pools(nd: int, shape: tuple, size: object, dtype: str) -> None:
    check(lambda lib, x: getattr(lib.nn.functional, f"adaptive_avg_pool{nd}d")(x, size),
          Arg(rand(shape, dtype)))
    check(lambda lib, x: getattr(lib.nn.functional, f"adaptive_max_pool{nd}d")(
        x, size, return_indices=True), Arg(distinct(shape, dtype)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, norm, kw", [
    (1, 2.0, {"kernel_size": 3}), (1, 3, {"kernel_size": 2, "stride": 1, "ceil_mode": True}),
    (2, 2, {"kernel_size": 2}), (2, 1.5, {"kernel_size": (3, 2), "stride": 2,
                                          "ceil_mode": True}),
    (3, 2, {"kernel_size": 2}), (2, float("inf"), {"kernel_size": 2}),
])
def test_lp_pool(nd: int, norm: float, kw: dict, dtype: str) -> None:
    shape = (2, 3) + (5,) * nd
    check(lambda lib, x: getattr(lib.nn.functional, f"lp_pool{nd}d")(x, norm, **kw),
          Arg(rand(shape, dtype, low=0.1, high=1.0)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, shape, kw, out", [
    (1, (2, 3, 9), {"kernel_size": 2}, None),
    (1, (3, 9), {"kernel_size": 3, "stride": 2, "padding": 1}, [9]),
    (2, (2, 3, 7, 8), {"kernel_size": 2}, [7, 8]),
    (2, (2, 3, 6, 6), {"kernel_size": 3, "stride": 2, "padding": 1}, (6, 6)),
    (3, (1, 2, 4, 5, 6), {"kernel_size": 2}, [1, 2, 5, 5, 7]),
])
def test_max_unpool(nd: int, shape: tuple, kw: dict, out: list, dtype: str) -> None:
    def call(lib: object, x: object) -> object:
        f = lib.nn.functional
        y, i = getattr(f, f"max_pool{nd}d")(x, return_indices=True, **kw)
        return getattr(f, f"max_unpool{nd}d")(y, i, output_size=out, **kw)

    check(call, Arg(distinct(shape, dtype)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, shape, kw", [
    (2, (2, 3, 9, 8), {"kernel_size": 2, "output_size": (4, 5)}),
    (2, (3, 10, 10), {"kernel_size": 3, "output_ratio": (0.5, 0.7)}),
    (2, (1, 2, 5, 5), {"kernel_size": (2, 3), "output_size": 3}),
    (3, (1, 2, 7, 6, 8), {"kernel_size": 2, "output_size": (3, 4, 5)}),
    (3, (2, 6, 6, 6), {"kernel_size": (2, 3, 2), "output_ratio": 0.5}),
])
def test_fractional_max_pool(nd: int, shape: tuple, kw: dict, dtype: str) -> None:
    batch = shape[:2] if len(shape) == nd + 2 else (1, shape[0])
    samples = Arg(rand((*batch, nd), dtype, 9, 0.0, 1.0), grad=False)
    fn = f"fractional_max_pool{nd}d"
    if len(shape) == nd + 1:  # unbatched input: torch wants (1, C, nd) samples
        samples = Arg(samples.array, grad=False)
    check(lambda lib, x, s: getattr(lib.nn.functional, fn)(x, return_indices=True,
                                                            _random_samples=s, **kw),
          Arg(distinct(shape, dtype)), samples)


def test_pool_double_backward() -> None:
    x = Arg(distinct((2, 2, 6, 6), "float64"))
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1) ** 2, x, gradgrad=True)
    check(lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
          ** 2, x, gradgrad=True)
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 4) ** 2, x, gradgrad=True)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_composites_match_torch(kind: str) -> None:
    """The device-independent definitions (used by backends without fused kernels)."""
    xn = distinct((2, 3, 7, 8), "float64")
    tx = torch.tensor(xn, requires_grad=True)
    ex = ember.tensor(xn)
    _, tables = pooling._sliding("t", ex, (3, 2), (2, 2), (1, 1), (1, 1), True)
    if kind == "max":
        ty, ti = torch.nn.functional.max_pool2d(tx, (3, 2), 2, 1, ceil_mode=True,
                                                return_indices=True)
        ey, ei = P._pool_max_composite(ex, tables)
        assert_close(ei, ti)
        g = rand(tuple(ty.shape), "float64", 3)
        egx = P._pool_max_backward_composite(ember.tensor(g), ei, (7, 8))
    else:
        ty = torch.nn.functional.avg_pool2d(tx, (3, 2), 2, 1, ceil_mode=True)
        divs = tuple(P._avg_divisor(i, o.shape[0], k, 2, 1, True)
                     for i, o, k in zip((7, 8), tables, (3, 2), strict=True))
        ey = P._pool_avg_composite(ex, tables, divs, None)
        g = rand(tuple(ty.shape), "float64", 3)
        egx = P._pool_avg_backward_composite(ember.tensor(g), tables, divs, None, (7, 8))
    assert_close(ey, ty)
    (tgx,) = torch.autograd.grad(ty, tx, torch.tensor(g))
    assert_close(egx, tgx)


@pytest.mark.parametrize("call, shape", [
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 3, padding=2), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 3), (2, 3)),
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 4), (1, 2, 3, 3)),
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 2, stride=0), (1, 2, 4, 4)),
    (lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, padding=2), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, divisor_override=0), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (2, 2, 2)), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 4, output_size=4), (1, 2, 6, 6)),
    (lambda lib, x: lib.nn.functional.max_unpool2d(x, lib.zeros(1, 2, 3, 3, dtype=lib.int64),
                                                   2, output_size=[9, 9]), (1, 2, 3, 3)),
])
def test_pool_errors(call: object, shape: tuple) -> None:
    check_error(call, Arg(rand(shape), grad=False))


@pytest.mark.parametrize("call, shape", [
    # torch's avg_pool3d wants the kernel to fit in the unpadded input, whatever the
    # padding or ceil_mode would allow (avg_pool2d and max_pool3d do not check this).
    (lambda lib, x: lib.nn.functional.avg_pool3d(x, (3, 1, 1), padding=(1, 0, 0)),
     (1, 2, 2, 3, 3)),
    (lambda lib, x: lib.nn.functional.avg_pool3d(x, 3, stride=2, ceil_mode=True),
     (1, 1, 2, 4, 4)),
    (lambda lib, x: lib.nn.AvgPool3d((3, 1, 1), (2, 1, 1), (1, 0, 0),
                                     count_include_pad=False)(x), (2, 2, 2, 2, 2)),
    (lambda lib, x: lib.nn.functional.avg_pool3d(x, (1, 3, 1), padding=(0, 1, 0)),
     (2, 4, 2, 3)),
    (lambda lib, x: lib.nn.functional.lp_pool3d(x, 2, (3, 1, 1), ceil_mode=True),
     (1, 2, 2, 3, 3)),
])
def test_avg_pool3d_kernel_larger_than_input(call: object, shape: tuple) -> None:
    check_error(call, Arg(rand(shape), grad=False), match="smaller than kernel size")


LAYERS = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
     (2, 3, 7, 8)),
    ("MaxPool3d", ((2, 2, 3),), {}, (1, 2, 4, 4, 6)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 9)),
    ("AvgPool2d", ((2, 3),), {"ceil_mode": True, "divisor_override": 4}, (2, 3, 7, 8)),
    ("AvgPool3d", (2,), {"stride": 1}, (1, 2, 3, 4, 4)),
    ("AvgPool3d", ((3, 1, 1), (2, 1, 1), (1, 0, 0)), {"count_include_pad": False},
     (2, 3, 3, 2, 2)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)), ("AdaptiveAvgPool2d", ((3, None),), {},
                                                  (2, 3, 7, 8)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 3, 4, 5)), ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), {"return_indices": True}, (2, 3, 7, 8)),
    ("AdaptiveMaxPool3d", ((1, 2, 3),), {}, (1, 2, 3, 4, 5)),
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 9)), ("LPPool2d", (2.0, 2), {}, (2, 3, 6, 6)),
    ("LPPool3d", (3, 2), {"ceil_mode": True, "stride": 2}, (1, 2, 3, 5, 4)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (3, 7, 7)),
    ("MaxPool2d", (2,), {"dilation": 2}, (2, 3, 7, 7)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, kw, shape", LAYERS, ids=lambda v: str(v))
def test_pool_layers(name: str, args: tuple, kw: dict, shape: tuple, dtype: str) -> None:
    e_mod, t_mod = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    low = 0.1 if name.startswith("LP") else -2.0
    check(lambda lib, x: (e_mod if lib is ember else t_mod)(x),
          Arg(distinct(shape, dtype) if low < 0 else rand(shape, dtype, low=low, high=1.0)))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_layers(nd: int) -> None:
    pool = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
    t_un, e_un = getattr(torch.nn, f"MaxUnpool{nd}d")(2), getattr(ember.nn, f"MaxUnpool{nd}d")(2)
    assert repr(e_un) == repr(t_un)
    e_pool = getattr(ember.nn, f"MaxPool{nd}d")(2, return_indices=True)
    check(lambda lib, x: (e_un if lib is ember else t_un)(*(e_pool if lib is ember else pool)(x)),
          Arg(distinct((2, 3) + (4,) * nd, "float64")))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_layers(nd: int) -> None:
    samples = rand((2, 3, nd), "float64", 4, 0.0, 1.0)
    name = f"FractionalMaxPool{nd}d"
    t_mod = getattr(torch.nn, name)(2, output_ratio=0.6, _random_samples=torch.tensor(samples))
    e_mod = getattr(ember.nn, name)(2, output_ratio=0.6, _random_samples=ember.tensor(samples))
    check(lambda lib, x: (e_mod if lib is ember else t_mod)(x),
          Arg(distinct((2, 3) + (6,) * nd, "float64")))
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        getattr(ember.nn, name)(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="requires specifying either"):
        getattr(ember.nn, name)(2)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True),
    lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, count_include_pad=False, padding=1),
])
def test_integer_pooling_like_torch(call: object) -> None:
    x = distinct((2, 3, 7, 6), "float64") * 100
    check(call, Arg(x.round().astype("int64"), grad=False), grad=False)
    xe = ember.tensor(x.round().astype("int64"))
    _, tables = pooling._sliding("t", xe, (3, 3), (2, 2), (1, 1), (1, 1), False)
    ev, ei = P._pool_max_composite(xe, tables)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x.round().astype("int64")), 3, 2, 1,
                                            return_indices=True)
    assert_close(ev, tv)
    assert_close(ei, ti)


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pools_reject_integers_like_torch(name: str) -> None:
    check_error(lambda lib, x: getattr(lib.nn.functional, name)(x, 2),
                Arg(rand((1, 2, 4, 4)).astype("int64"), grad=False))
