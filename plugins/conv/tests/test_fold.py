"""F.fold / F.unfold and the Fold / Unfold layers against torch, their composites, and
errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, Arg, assert_close, check, check_error, rand  # noqa: E402

import ember  # noqa: E402
from ember_conv import fold as FO  # noqa: E402

UNFOLD = [
    ((2, 3, 6, 7), {"kernel_size": 2}),
    ((2, 3, 6, 7), {"kernel_size": (3, 2), "dilation": (1, 2), "padding": 1, "stride": 2}),
    ((3, 5, 5), {"kernel_size": 3, "padding": (2, 0), "stride": (1, 2)}),
    ((1, 2, 4, 4), {"kernel_size": 1}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kw", UNFOLD, ids=lambda v: str(v))
def test_unfold_and_fold(shape: tuple, kw: dict, dtype: str) -> None:
    cols = check(lambda lib, x: lib.nn.functional.unfold(x, **kw), Arg(rand(shape, dtype)))
    size = shape[-2:]
    check(lambda lib, c: lib.nn.functional.fold(c, size, **kw),
          Arg(rand(tuple(cols.shape), dtype, 3)))


def test_fold_unfold_double_backward() -> None:
    kw = {"kernel_size": 3, "padding": 1, "stride": 2}
    check(lambda lib, x: lib.nn.functional.fold(lib.nn.functional.unfold(x, **kw) ** 2,
                                                (5, 6), **kw),
          Arg(rand((2, 2, 5, 6), "float64")), gradgrad=True)


def test_composites_match_torch() -> None:
    xn = rand((2, 3, 6, 7), "float64")
    k, s, p, d = (3, 2), (2, 1), (1, 1), (1, 2)
    tcols = torch.nn.functional.unfold(torch.tensor(xn), k, d, p, s)
    ecols = FO._im2col_composite(ember.tensor(xn), k, s, p, d)
    assert_close(ecols, tcols)
    back = FO._col2im_composite(ember.tensor(tcols.numpy()), (6, 7), k, s, p, d)
    assert_close(back, torch.nn.functional.fold(tcols, (6, 7), k, d, p, s))


@pytest.mark.parametrize("call, shape", [
    (lambda lib, x: lib.nn.functional.unfold(x, 2), (1, 2, 3, 4, 5)),
    (lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (1, 2, 3, 4)),
    (lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (1, 5, 9)),
    (lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (1, 8, 8)),
])
def test_fold_errors(call: object, shape: tuple) -> None:
    check_error(call, Arg(rand(shape), grad=False))


def test_fold_layers() -> None:
    for e_mod, t_mod, shape in [
        (ember.nn.Unfold((2, 3), padding=1), torch.nn.Unfold((2, 3), padding=1), (2, 3, 5, 5)),
        (ember.nn.Fold((4, 5), 2, stride=1), torch.nn.Fold((4, 5), 2, stride=1), (2, 8, 12)),
    ]:
        assert repr(e_mod) == repr(t_mod)
        check(lambda lib, x, e=e_mod, t=t_mod: (e if lib is ember else t)(x),
              Arg(rand(shape, "float64")))
