"""Convolutions and transposed convolutions against torch: values, gradients wrt input,
weight and bias, double backward, the composite definitions, and errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, Arg, assert_close, check, check_error, rand  # noqa: E402

import ember  # noqa: E402
from ember_conv import conv as C  # noqa: E402

CASES = [
    # nd, in channels, out channels, spatial, kernel, options
    (1, 4, 6, (9,), (3,), {}),
    (1, 4, 6, (10,), (3,), {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    (1, 3, 3, (8,), (4,), {"padding": "same"}),
    (2, 4, 6, (7, 6), (3, 3), {}),
    (2, 4, 6, (7, 8), (3, 2), {"stride": (2, 1), "padding": (1, 2), "groups": 2}),
    (2, 4, 4, (9, 9), (3, 3), {"dilation": (2, 1), "padding": "same", "groups": 4}),
    (2, 3, 2, (6, 5), (2, 2), {"padding": "valid", "stride": 3}),
    (2, 4, 6, (5, 5), (1, 1), {}),
    (3, 2, 4, (5, 4, 6), (3, 2, 3), {"stride": (1, 2, 2), "padding": 1}),
    (3, 4, 4, (4, 5, 5), (2, 3, 3), {"groups": 2, "dilation": (1, 2, 1), "padding": "same"}),
]


def _conv(nd: int) -> str:
    return f"conv{nd}d"


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on odd padding
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[5]}")
def test_conv_matches_torch(case: tuple, dtype: str) -> None:
    nd, cin, cout, size, k, kw = case
    groups = kw.get("groups", 1)
    x = Arg(rand((2, cin, *size), dtype, 1))
    w = Arg(rand((cout, cin // groups, *k), dtype, 2))
    b = Arg(rand((cout,), dtype, 3))
    check(lambda lib, x, w, b: getattr(lib.nn.functional, _conv(nd))(x, w, b, **kw), x, w, b)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_unbatched_no_bias(nd: int) -> None:
    x = Arg(rand((3, *([6] * nd)), "float64"))
    w = Arg(rand((2, 3, *([3] * nd)), "float64", 1))
    check(lambda lib, x, w: getattr(lib.nn.functional, _conv(nd))(x, w, stride=2), x, w)


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1, "groups": 2, "dilation": 2}])
def test_conv_double_backward(kw: dict) -> None:
    x = Arg(rand((2, 4, 7, 7), "float64"))
    w = Arg(rand((4, 4 // kw.get("groups", 1), 3, 3), "float64", 1))
    b = Arg(rand((4,), "float64", 2))
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, **kw), x, w, b,
          gradgrad=True)


TRANSPOSED = [
    (1, 4, 6, (5,), (3,), {}),
    (1, 4, 6, (5,), (3,), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    (2, 4, 6, (4, 5), (3, 2), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)}),
    (2, 4, 4, (4, 4), (3, 3), {"dilation": 2, "groups": 4, "padding": 2}),
    (3, 2, 4, (3, 4, 3), (2, 3, 2), {"stride": 2, "output_padding": (0, 1, 1)}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", TRANSPOSED, ids=lambda c: f"{c[0]}d-{c[5]}")
def test_conv_transpose_matches_torch(case: tuple, dtype: str) -> None:
    nd, cin, cout, size, k, kw = case
    groups = kw.get("groups", 1)
    x = Arg(rand((2, cin, *size), dtype, 1))
    w = Arg(rand((cin, cout // groups, *k), dtype, 2))
    b = Arg(rand((cout,), dtype, 3))
    check(lambda lib, x, w, b: getattr(lib.nn.functional, f"conv_transpose{nd}d")(
        x, w, b, **kw), x, w, b)


def test_conv_transpose_double_backward() -> None:
    x = Arg(rand((2, 4, 4, 5), "float64"))
    w = Arg(rand((4, 3, 3, 3), "float64", 1))
    check(lambda lib, x, w: lib.nn.functional.conv_transpose2d(
        x, w, stride=2, padding=1, output_padding=1), x, w, gradgrad=True)


def test_conv_tbc() -> None:
    x = Arg(rand((7, 2, 3), "float64"))
    w = Arg(rand((3, 3, 4), "float64", 1))
    b = Arg(rand((4,), "float64", 2))
    check(lambda lib, x, w, b: lib.conv_tbc(x, w, b, 1) if lib is torch else
          lib.nn.functional.conv_tbc(x, w, b, 1), x, w, b)


@pytest.mark.parametrize("case", [CASES[1], CASES[4], CASES[5], CASES[9]],
                         ids=lambda c: f"{c[0]}d-{c[5]}")
def test_composites_match_torch(case: tuple) -> None:
    """The device-independent definitions (used by backends without fused kernels)."""
    nd, cin, cout, size, k, kw = case
    groups = kw.get("groups", 1)
    stride = C.ntuple(kw.get("stride", 1), nd, "stride", "t")
    dil = C.ntuple(kw.get("dilation", 1), nd, "dilation", "t")
    pad = kw.get("padding", 0)
    pad = (0,) * nd if pad in ("same", "valid") else C.ntuple(pad, nd, "padding", "t")
    xn, wn, bn = rand((2, cin, *size), "float64"), rand((cout, cin // groups, *k),
                                                        "float64", 1), rand((cout,), "float64")
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (xn, wn, bn))
    ty = getattr(torch.nn.functional, _conv(nd))(tx, tw, tb, stride, pad, dil, groups)
    ex, ew, eb = ember.tensor(xn), ember.tensor(wn), ember.tensor(bn)
    ey = C._convolution_composite(ex, ew, eb, stride, pad, dil, groups)
    assert_close(ey, ty)
    g = rand(tuple(ty.shape), "float64", 5)
    tgx, tgw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g))
    egx = C._conv_input_grad_composite(ember.tensor(g), ew, tuple(size), stride, pad, dil,
                                       groups)
    egw = C._conv_weight_grad_composite(ex, ember.tensor(g), tuple(wn.shape), stride, pad, dil,
                                        groups)
    assert_close(egx, tgx)
    assert_close(egw, tgw)


def test_conv_float16_runs_like_torch() -> None:
    x, w = rand((1, 2, 5, 5), "float32"), rand((3, 2, 3, 3), "float32", 1)
    e = ember.nn.functional.conv2d(ember.tensor(x).half(), ember.tensor(w).half())
    t = torch.nn.functional.conv2d(torch.tensor(x).half(), torch.tensor(w).half())
    assert str(e.dtype) == "ember.float16"
    assert_close(e.float(), t.float(), {"float32": (1e-2, 1e-2)})


def _f(name: str) -> object:
    return lambda lib, *a, **k: getattr(lib.nn.functional, name)(*a, **k)


@pytest.mark.parametrize("call, args", [
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w), ((2, 3), (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w), ((1, 2, 5, 5), (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w), ((1, 3, 2, 2), (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=2), ((1, 4, 5, 5), (3, 2, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=0), ((1, 3, 5, 5), (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=-1), ((1, 3, 5, 5), (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv1d(x, w, padding="same", stride=2),
     ((1, 3, 5), (4, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, lib.zeros(3)), ((1, 3, 5, 5),
                                                                       (4, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, stride=2, output_padding=2),
     ((1, 3, 5, 5), (3, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w), ((1, 2, 5, 5), (3, 3, 3, 3))),
    (lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, padding=3), ((1, 3, 1),
                                                                             (3, 2, 2))),
])
def test_conv_errors(call: object, args: tuple) -> None:
    x, w = (Arg(rand(s), grad=False) for s in args)
    check_error(call, x, w)


def test_conv_error_names_op_and_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"\[conv2d\].*\[4, 3, 3, 3\].*input\[1, 2, 5, 5\]"):
        ember.nn.functional.conv2d(ember.zeros(1, 2, 5, 5), ember.zeros(4, 3, 3, 3))


def test_integer_convolution_like_torch() -> None:
    x = Arg(rand((2, 3, 6, 5), "float64", 1, -9, 9).round().astype("int64"), grad=False)
    w = Arg(rand((4, 3, 3, 2), "float64", 2, -5, 5).round().astype("int64"), grad=False)
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=(2, 1), padding=1), x, w,
          grad=False)
    check(lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w.transpose(0, 1)), x, w,
          grad=False)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() in a threaded process
def test_conv_in_forked_child_after_parent_used_the_thread_pool() -> None:
    """DataLoader workers fork; the cpu kernels' threads must not hang there."""
    from ember_testing.harness import run_forked

    x, w = ember.randn(8, 16, 32, 32), ember.randn(16, 16, 3, 3)
    y = ember.nn.functional.conv2d(x, w, padding=1)  # big enough for the threads
    same = lambda: float((ember.nn.functional.conv2d(x, w, padding=1) - y).abs().max()) == 0
    assert run_forked(same) == 0
