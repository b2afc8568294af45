"""F.pad in every mode and the padding layers against torch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, Arg, check, check_error, rand  # noqa: E402

import ember  # noqa: E402

PADS = [
    ("constant", (2, 5, 4), (1, 2)),
    ("constant", (2, 3, 4, 5), (1, -1, 0, 2)),
    ("constant", (2, 3, 4, 5), (1, 1, 2, 0, 1, 1)),
    ("reflect", (2, 3, 5), (2, 3)),
    ("reflect", (3, 4, 5), (1, 2, 3, 0)),
    ("reflect", (1, 2, 3, 4, 5), (1, 2, 0, 3, 2, 1)),
    ("replicate", (2, 5), (3, 1)),
    ("replicate", (2, 3, 4, 5), (2, 0, 1, 3)),
    ("replicate", (2, 2, 3, 3, 4), (1, 1, 2, 0, 3, 1)),
    ("circular", (2, 3, 5), (2, 5)),
    ("circular", (2, 3, 4, 5), (1, 2, 3, 4)),
    ("circular", (1, 2, 3, 4, 5), (1, 0, 2, 1, 3, 2)),
    ("circular", (2, 3, 6), (-1, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode, shape, pad", PADS)
def test_pad_matches_torch(mode: str, shape: tuple, pad: tuple, dtype: str) -> None:
    check(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), Arg(rand(shape, dtype)))


def test_pad_constant_value_and_double_backward() -> None:
    check(lambda lib, x: lib.nn.functional.pad(x, (1, 2, 0, 1), value=3.5) ** 2,
          Arg(rand((2, 3, 4), "float64")), gradgrad=True)
    check(lambda lib, x: lib.nn.functional.pad(x, (1, 2), mode="reflect") ** 2,
          Arg(rand((2, 3, 4), "float64")), gradgrad=True)


@pytest.mark.parametrize("mode, shape, pad", [
    ("constant", (2, 3), (1, 2, 3)),
    ("reflect", (2, 3, 4), (4, 0)),
    ("reflect", (2, 3, 4, 5, 6, 7), (1, 1)),
    ("circular", (2, 3, 4), (5, 0)),
    ("constant", (2, 3), (-2, -2)),
])
def test_pad_errors(mode: str, shape: tuple, pad: tuple) -> None:
    check_error(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode),
                Arg(rand(shape), grad=False))


LAYERS = [
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)), ("ConstantPad2d", ((1, 0, 2, 1), -1.0), (2, 3, 4)),
    ("ConstantPad3d", (1, 2.0), (1, 2, 3, 4, 2)), ("ZeroPad1d", ((1, 2),), (2, 3, 4)),
    ("ZeroPad2d", (2,), (1, 2, 3, 4)), ("ZeroPad3d", ((1, 0, 0, 1, 2, 0),), (1, 2, 3, 3, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 2)), ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
    ("ReplicationPad2d", (2,), (1, 2, 3, 4)), ("ReplicationPad3d", (1,), (1, 2, 3, 3, 2)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 0, 2, 1),), (1, 2, 3, 4)),
    ("CircularPad3d", (1,), (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_padding_layers(name: str, args: tuple, shape: tuple, dtype: str) -> None:
    e_mod, t_mod = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e_mod) == repr(t_mod)
    check(lambda lib, x: (e_mod if lib is ember else t_mod)(x), Arg(rand(shape, dtype)))
