"""QuantizedTensor methods, indexing, views and printing against torch 2.13."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from qhelpers import (
    IGNORE_TORCH_DEPRECATION,
    QDTYPES,
    as_np,
    assert_same_error,
    assert_same_qtensor,
    both,
    ember_repr,
)

import ember

torch = pytest.importorskip("torch")

pytestmark = IGNORE_TORCH_DEPRECATION

RNG = np.random.RandomState(3)
DATA = (RNG.randn(2, 3, 4) * 2).astype(np.float32)
SCALES = np.array([0.1, 0.2, 0.3], dtype=np.float32)
ZPS = np.array([1, 2, 3])


def _per_tensor(m):  # noqa: ANN001, ANN202
    return m.quantize_per_tensor(m.tensor(DATA), 0.1, 5, m.qint8)


def _per_channel(m):  # noqa: ANN001, ANN202
    return m.quantize_per_channel(m.tensor(DATA), m.tensor(SCALES), m.tensor(ZPS), 1, m.quint8)


MAKERS = {"per_tensor": _per_tensor, "per_channel": _per_channel}


@pytest.mark.parametrize("dtype", QDTYPES)
def test_dtype_objects_match_torch(dtype: str) -> None:
    t, e = both(dtype)
    assert repr(e) == ember_repr(repr(t)) and str(e) == ember_repr(str(t))
    assert e.is_floating_point is t.is_floating_point is False
    assert_same_error(lambda: t.is_signed, lambda: e.is_signed)
    assert e.itemsize == t.itemsize
    assert e.is_complex is False
    assert isinstance(e, ember.dtype)
    assert pickle.loads(pickle.dumps(e)) is e


@pytest.mark.parametrize("name", ["per_tensor_affine", "per_channel_affine",
                                  "per_tensor_symmetric", "per_channel_symmetric",
                                  "per_channel_affine_float_qparams"])
def test_scheme_objects_match_torch(name: str) -> None:
    t, e = both(name)
    assert repr(e) == ember_repr(repr(t)) and str(e) == ember_repr(str(t))
    assert isinstance(e, ember.qscheme)
    assert pickle.loads(pickle.dumps(e)) is e


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_metadata(kind: str) -> None:
    tq, eq = MAKERS[kind](torch), MAKERS[kind](ember)
    assert eq.is_quantized is tq.is_quantized is True
    assert eq.is_floating_point() is tq.is_floating_point() is False
    assert eq.requires_grad is tq.requires_grad is False
    assert tuple(eq.size()) == tuple(tq.size()) and eq.size(1) == tq.size(1)
    assert eq.dim() == eq.ndim == tq.dim()
    assert eq.numel() == tq.numel()
    assert len(eq) == len(tq)
    assert eq.element_size() == tq.element_size()
    assert eq.stride() == tq.stride() and eq.is_contiguous() is tq.is_contiguous()
    assert eq.device.type == tq.device.type == "cpu"
    assert eq.dtype is ember.qint8 if kind == "per_tensor" else eq.dtype is ember.quint8


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("key", [
    0, -1, (0, 1), (slice(None), 0), (slice(None), slice(1, None)),
    (slice(None), slice(None, None, 2)), (0, slice(None), slice(1, 3)), (None,),
    (slice(None), None), (1, Ellipsis), (Ellipsis, 1, slice(None)),
    (-1, -1), (slice(None), -1, 2)])
def test_basic_indexing_keeps_parameters(kind: str, key: object) -> None:
    tq, eq = MAKERS[kind](torch), MAKERS[kind](ember)
    assert_same_qtensor(tq[key], eq[key])


@pytest.mark.parametrize("key, axis", [((Ellipsis, 0), 1), ((slice(None), slice(None), 0), 1),
                                       ((0, slice(None), -1), 0)])
def test_integer_after_the_channel_axis(key: tuple, axis: int) -> None:
    # torch 2.13 decrements the channel axis when it selects a dim after it, which leaves a
    # tensor it cannot dequantize; ember keeps the axis. The reference is torch quantizing
    # the selected float values per channel directly.
    eq = _per_channel(ember)[key]
    sub = DATA[key]
    tq = torch.quantize_per_channel(torch.from_numpy(np.ascontiguousarray(sub)),
                                    torch.from_numpy(SCALES), torch.from_numpy(ZPS),
                                    axis, torch.quint8)
    assert_same_qtensor(tq, eq)


def test_advanced_indexing_per_tensor() -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    assert_same_qtensor(tq[[1, 0]], eq[[1, 0]])
    mask = DATA > 0
    assert_same_qtensor(tq[torch.from_numpy(mask)], eq[ember.tensor(mask)])


def test_advanced_indexing_per_channel_is_an_error() -> None:
    assert_same_error(lambda: _per_channel(torch)[[0, 1]], lambda: _per_channel(ember)[[0, 1]],
                      message=False)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_clone_detach_contiguous(kind: str) -> None:
    tq, eq = MAKERS[kind](torch), MAKERS[kind](ember)
    for name in ("clone", "detach", "contiguous"):
        assert_same_qtensor(getattr(tq, name)(), getattr(eq, name)())
    copy = eq.clone()
    assert copy._int is not eq._int and copy.equal(eq)


def test_int_repr_is_a_copy() -> None:
    eq = _per_tensor(ember)
    ints = eq.int_repr()
    ints.fill_(0)
    assert int(as_np(eq.int_repr()).__abs__().sum()) != 0


def test_equal_matches_torch() -> None:
    pairs = {
        "same": lambda m: (_per_tensor(m), _per_tensor(m)),
        "per channel same": lambda m: (_per_channel(m), _per_channel(m).clone()),
        "other dtype": lambda m: (_per_tensor(m), m.quantize_per_tensor(m.tensor(DATA), 0.1, 5,
                                                                         m.qint32)),
        "other zero point": lambda m: (_per_tensor(m), m.quantize_per_tensor(m.tensor(DATA),
                                                                              0.1, 6, m.qint8)),
        "other scale": lambda m: (_per_tensor(m), m.quantize_per_tensor(m.tensor(DATA), 0.2, 5,
                                                                         m.qint8)),
        "other scheme": lambda m: (_per_channel(m), m.quantize_per_tensor(m.tensor(DATA), 0.1,
                                                                           5, m.quint8)),
        "other shape": lambda m: (_per_tensor(m), _per_tensor(m)[0]),
    }
    for name, make in pairs.items():
        ta, tb = make(torch)
        ea, eb = make(ember)
        assert ea.equal(eb) == ta.equal(tb), name


@pytest.mark.parametrize("shape", [(6, 4), (24,), (4, 6), (2, 12), (3, 8)])
def test_reshape_per_tensor(shape: tuple[int, ...]) -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    assert_same_qtensor(tq.reshape(shape), eq.reshape(shape))
    assert_same_qtensor(tq.view(shape), eq.view(shape))


def test_views_per_tensor() -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    assert_same_qtensor(tq.flatten(), eq.flatten())
    assert_same_qtensor(tq.permute(2, 0, 1), eq.permute(2, 0, 1))
    assert_same_qtensor(tq.transpose(0, 2), eq.transpose(0, 2))
    assert_same_qtensor(tq[0].T, eq[0].T)
    assert_same_qtensor(tq[0].t(), eq[0].t())
    assert_same_qtensor(tq.unsqueeze(1), eq.unsqueeze(1))


def test_views_per_channel() -> None:
    tq, eq = _per_channel(torch), _per_channel(ember)
    assert_same_qtensor(tq.view(2, 3, 2, 2), eq.view(2, 3, 2, 2))
    for dim in (0, 1, 2, 3, -1):
        assert_same_qtensor(tq.unsqueeze(dim), eq.unsqueeze(dim))
    # torch's reshape/flatten fail when the result is used; ember's fail at once, same error
    for call in (lambda q: q.reshape(6, 4).dequantize(), lambda q: q.flatten().dequantize(),
                 lambda q: q.permute(2, 0, 1), lambda q: q.transpose(0, 1)):
        assert_same_error(lambda call=call: call(tq), lambda call=call: call(eq))


def test_parameter_accessor_errors() -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    for name in ("q_per_channel_scales", "q_per_channel_zero_points", "q_per_channel_axis"):
        assert_same_error(getattr(tq, name), getattr(eq, name))
    tq, eq = _per_channel(torch), _per_channel(ember)
    for name in ("q_scale", "q_zero_point"):
        assert_same_error(getattr(tq, name), getattr(eq, name))


def test_item_and_bool() -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    assert eq[0, 1, 2].item() == tq[0, 1, 2].item()
    assert bool(eq[0, 1, 2]) == bool(tq[0, 1, 2])
    assert_same_error(lambda: bool(tq), lambda: bool(eq))


def test_requires_grad_is_refused() -> None:
    tq, eq = _per_tensor(torch), _per_tensor(ember)
    assert_same_error(tq.requires_grad_, eq.requires_grad_)
    assert eq.requires_grad_(False) is eq


@pytest.mark.parametrize("dtype", QDTYPES)
def test_repr_large_and_scientific(dtype: str) -> None:
    data = (RNG.randn(30, 50) * 1000).astype(np.float32)
    t_dtype, e_dtype = both(dtype)
    tq = torch.quantize_per_tensor(torch.from_numpy(data), 0.001 if dtype == "qint32" else 10.0,
                                   0, t_dtype)
    eq = ember.quantize_per_tensor(ember.tensor(data), 0.001 if dtype == "qint32" else 10.0, 0,
                                   e_dtype)
    assert repr(eq) == ember_repr(repr(tq))
    assert str(eq) == ember_repr(str(tq))


def test_repr_per_channel_and_zero_dim() -> None:
    tq, eq = _per_channel(torch), _per_channel(ember)
    assert repr(eq) == ember_repr(repr(tq))
    t0 = torch.quantize_per_tensor(torch.tensor(0.7), 0.1, 0, torch.qint8)
    e0 = ember.quantize_per_tensor(ember.tensor(0.7), 0.1, 0, ember.qint8)
    assert repr(e0) == ember_repr(repr(t0))


def test_float_qparams_slicing_keeps_the_scheme() -> None:
    # torch 2.13 turns a slice of a float-qparams tensor into per_tensor_affine with scale 1
    # (values change); ember keeps the scheme and slices the parameters, which gives what
    # torch gives for quantizing the sliced values directly.
    zps = np.array([0.3, -1.7, 2.2], dtype=np.float32)
    eq = ember.quantize_per_channel(ember.tensor(DATA), ember.tensor(SCALES), ember.tensor(zps),
                                    1, ember.quint8)
    for key, sl in (((slice(None), slice(1, None)), slice(1, None)),
                    ((0,), slice(None)), ((slice(None), slice(None), 1), slice(None))):
        sub = np.ascontiguousarray(DATA[key])
        axis = 1 if sub.ndim == 3 or key == (slice(None), slice(None), 1) else 0
        tq = torch.quantize_per_channel(torch.from_numpy(sub), torch.from_numpy(SCALES[sl]),
                                        torch.from_numpy(zps[sl]), axis, torch.quint8)
        assert_same_qtensor(tq, eq[key])
    with pytest.raises(RuntimeError):
        eq[:, 0]
