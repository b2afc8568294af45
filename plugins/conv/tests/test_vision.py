"""Vision functions and layers against torch: pixel/channel shuffles, interpolate in every
mode, grid_sample, affine_grid; values and gradients (input, grid, theta)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from conv_parity import DTYPES, Arg, check, check_error, rand  # noqa: E402

import ember  # noqa: E402


@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_and_channel_shuffle(dtype: str) -> None:
    check(lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), Arg(rand((2, 8, 3, 4), dtype)))
    check(lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3), Arg(rand((2, 2, 9, 2, 2),
                                                                         dtype)))
    check(lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), Arg(rand((2, 3, 4, 6),
                                                                           dtype)))
    check(lambda lib, x: lib.nn.functional.channel_shuffle(x, 3), Arg(rand((2, 6, 4, 3),
                                                                           dtype)))
    check(lambda lib, x: lib.nn.functional.channel_shuffle(x, 2), Arg(rand((2, 4, 5), dtype)))


@pytest.mark.parametrize("call, shape", [
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (2, 6, 3, 3)),
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (4, 3)),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (1, 2, 5, 4)),
    (lambda lib, x: lib.nn.functional.channel_shuffle(x, 2), (1, 5, 4)),
])
def test_shuffle_errors(call: object, shape: tuple) -> None:
    check_error(call, Arg(rand(shape), grad=False))


INTERP = [
    ((2, 3, 5), {"size": 8, "mode": "nearest"}),
    ((2, 3, 7), {"scale_factor": 0.6, "mode": "nearest"}),
    ((2, 3, 5), {"scale_factor": 1.7, "mode": "nearest-exact"}),
    ((2, 3, 4, 5), {"size": (7, 3), "mode": "nearest"}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 3, 4, 5), {"scale_factor": (1.5, 2, 0.5), "mode": "nearest-exact"}),
    ((2, 3, 5), {"size": 9, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 1.3, "mode": "linear", "align_corners": True}),
    ((2, 3, 4, 5), {"size": (7, 3), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"scale_factor": 1.7, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 4, 5), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 4, 5), {"size": (9, 6), "mode": "bicubic"}),
    ((2, 3, 4, 5), {"scale_factor": (2.5, 0.6), "mode": "bicubic", "align_corners": True}),
    ((1, 2, 3, 4, 5), {"size": (5, 3, 7), "mode": "trilinear"}),
    ((1, 2, 3, 4, 5), {"scale_factor": 1.5, "mode": "trilinear", "align_corners": True}),
    ((2, 3, 7, 9), {"size": (3, 4), "mode": "area"}),
    ((2, 3, 7), {"scale_factor": 0.5, "mode": "area"}),
    ((2, 3, 9, 10), {"size": (4, 3), "mode": "bilinear", "antialias": True}),
    ((2, 3, 9, 10), {"scale_factor": 0.4, "mode": "bicubic", "antialias": True}),
    ((2, 3, 4, 5), {"size": (7, 9), "mode": "bilinear", "antialias": True}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kw", INTERP, ids=lambda v: str(v))
def test_interpolate(shape: tuple, kw: dict, dtype: str) -> None:
    check(lambda lib, x: lib.nn.functional.interpolate(x, **kw), Arg(rand(shape, dtype)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.interpolate(x, size=4, scale_factor=2),
    lambda lib, x: lib.nn.functional.interpolate(x),
    lambda lib, x: lib.nn.functional.interpolate(x, size=4, mode="nearest", align_corners=True),
    lambda lib, x: lib.nn.functional.interpolate(x, size=(4, 4, 4)),
    lambda lib, x: lib.nn.functional.interpolate(x, size=4, mode="linear"),
    lambda lib, x: lib.nn.functional.interpolate(x, size=4, recompute_scale_factor=True),
    lambda lib, x: lib.nn.functional.interpolate(x, size=4, mode="nearest", antialias=True),
])
def test_interpolate_errors(call: object) -> None:
    check_error(call, Arg(rand((1, 2, 3, 3)), grad=False))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d(mode: str, padding_mode: str, align_corners: bool, dtype: str) -> None:
    grid = Arg(rand((2, 4, 5, 2), dtype, 5, -1.3, 1.3), grad=mode != "nearest")
    check(lambda lib, x, g: lib.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
        Arg(rand((2, 3, 5, 6), dtype)), grid)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d(mode: str, padding_mode: str) -> None:
    grid = Arg(rand((2, 3, 2, 4, 3), "float64", 5, -1.2, 1.2), grad=mode != "nearest")
    check(lambda lib, x, g: lib.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding_mode, align_corners=False),
        Arg(rand((2, 2, 3, 4, 5), "float64")), grid)


def test_grid_sample_double_backward() -> None:
    check(lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=True) ** 2,
          Arg(rand((1, 2, 4, 4), "float64")), Arg(rand((1, 3, 3, 2), "float64", 2, -0.9, 0.9)),
          gradgrad=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, align_corners", [((2, 3, 4, 5), False), ((2, 1, 3, 4), True),
                                                 ((2, 1, 2, 3, 4), False),
                                                 ((2, 1, 3, 2, 2), True)])
def test_affine_grid(size: tuple, align_corners: bool, dtype: str) -> None:
    shape = (2, 2, 3) if len(size) == 4 else (2, 3, 4)
    check(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=align_corners),
          Arg(rand(shape, dtype)))


def test_affine_grid_then_grid_sample() -> None:
    def call(lib: object, x: object, t: object) -> object:
        g = lib.nn.functional.affine_grid(t, (2, 3, 4, 4), align_corners=False)
        return lib.nn.functional.grid_sample(x, g, align_corners=False)

    check(call, Arg(rand((2, 3, 5, 5), "float64")), Arg(rand((2, 2, 3), "float64", 3)))


def test_affine_grid_errors() -> None:
    check_error(lambda lib, t: lib.nn.functional.affine_grid(t, (2, 3, 4, 4),
                                                             align_corners=False),
                Arg(rand((2, 3, 3)), grad=False))
    check_error(lambda lib, t: lib.nn.functional.affine_grid(t, (2, 3, 4), align_corners=False),
                Arg(rand((2, 2, 3)), grad=False))


LAYERS = [
    ("PixelShuffle", (2,), {}, (2, 8, 3, 3)), ("PixelUnshuffle", (3,), {}, (2, 1, 6, 3)),
    ("ChannelShuffle", (2,), {}, (2, 4, 3, 3)),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}, (2, 3, 4, 5)),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": False}, (2, 3, 4, 5)),
    ("Upsample", (), {"scale_factor": (1.5, 2.0), "mode": "bicubic"}, (1, 2, 4, 5)),
    ("Upsample", (), {"size": 6, "mode": "linear"}, (2, 3, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "trilinear"}, (1, 2, 2, 3, 2)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (2, 3, 2, 3)),
    ("UpsamplingBilinear2d", (), {"size": (5, 4)}, (2, 3, 2, 3)),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, kw, shape", LAYERS, ids=lambda v: str(v))
def test_vision_layers(name: str, args: tuple, kw: dict, shape: tuple, dtype: str) -> None:
    e_mod, t_mod = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    check(lambda lib, x: (e_mod if lib is ember else t_mod)(x), Arg(rand(shape, dtype)))


def test_deprecated_upsample_functions_warn_like_torch() -> None:
    x = rand((1, 2, 3, 3))
    for name in ("upsample_nearest", "upsample_bilinear"):
        with pytest.warns(UserWarning, match="deprecated"):
            e = getattr(ember.nn.functional, name)(ember.tensor(x), scale_factor=2)
        with pytest.warns(UserWarning):
            t = getattr(torch.nn.functional, name)(torch.tensor(x), scale_factor=2)
        assert tuple(e.shape) == tuple(t.shape)
