"""Tensor metadata and conversion protocol against torch: sizes, strides, dtype helpers,
Python number/sequence protocols, ``tolist``, ``to``/``type`` conversions, ``detach`` and
the ``new_*`` factories."""

import copy
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import Arg, arr, check, check_error  # noqa: E402

import ember  # noqa: E402

LIBS = (ember, torch)


def _name(d):
    return str(d).split(".")[-1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64",
                                   "int32", "int16", "int8", "uint8", "bool"])
def test_metadata(dtype):
    for lib in LIBS:
        d = getattr(lib, dtype)
        x = lib.zeros(2, 3, 4, dtype=d)[:, 1:]
        assert x.shape == (2, 2, 4) and x.size() == (2, 2, 4) and x.size(-1) == 4
        assert x.dim() == x.ndim == 3 and x.numel() == 16 and lib.numel(x) == 16
        assert x.element_size() == x.itemsize == d.itemsize
        assert x.nbytes == 16 * d.itemsize
        assert x.is_floating_point() == d.is_floating_point == lib.is_floating_point(x)
        assert not x.is_complex() and not lib.is_complex(x)
        assert x.stride() == (12, 4, 1) and x.storage_offset() == 4
        assert not x.is_contiguous() and x.contiguous().is_contiguous()
        assert x.is_leaf and x.grad is None and x.grad_fn is None and not x.is_cuda
        assert str(x.device) == "cpu" and x.dtype == d
    assert repr(ember.zeros(2, 3).shape) == "ember.Size([2, 3])"
    assert ember.Size([2, 3]).numel() == 6


def test_number_protocols():
    for lib in LIBS:
        f = lib.tensor(2.5)
        i = lib.tensor([7])
        assert float(f) == 2.5 and int(f) == 2 and bool(f) and f.item() == 2.5
        assert [10, 20, 30, 40, 50, 60, 70, 80][i] == 80 and int(i) == 7
        assert isinstance(lib.tensor(3).item(), int)
        assert isinstance(lib.tensor(True).item(), bool)
        assert f"{lib.tensor(0.5):.2f}" == "0.50"
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(lib.ones(2))
        with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
            lib.ones(2).item()
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            [1, 2][lib.tensor(1.0)]
        with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
            len(f)
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            iter(f)


def test_sequence_protocols_and_tolist():
    a = arr((2, 3), "float32")
    for lib in LIBS:
        x = lib.tensor(a)
        assert len(x) == 2 and [tuple(r.shape) for r in x] == [(3,), (3,)]
        assert x.tolist() == a.tolist() and lib.tensor(1.5).tolist() == 1.5
        assert lib.tensor([[1, 2]]).tolist() == [[1, 2]]
        assert lib.tensor([True]).tolist() == [True]
        assert lib.tensor([1.5], dtype=lib.bfloat16).tolist() == [1.5]
        assert lib.zeros(0, 2).tolist() == []
        np.testing.assert_array_equal(x.numpy(), a)
    np.testing.assert_array_equal(np.asarray(ember.tensor(a)), a)
    assert np.asarray(ember.ones(2), dtype=np.float64).dtype == np.float64
    assert np.array(ember.ones(2), copy=True).tolist() == [1.0, 1.0]
    e = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        e.numpy()
    assert e.detach().numpy().tolist() == [1.0, 1.0, 1.0]


def test_conversions():
    a = Arg(arr((2, 3), "float32"), grad=False)
    check(lambda m, x: (x.double(), x.half(), x.bfloat16(), x.long(), x.int(), x.short(),
                        x.char(), x.byte(), x.bool(), x.float(), x.to(m.float64),
                        x.to("cpu"), x.to("cpu", m.int32), x.to(m.zeros(1, dtype=m.int16)),
                        x.to(dtype=m.float16), x.type(m.float64), x.type("torch.IntTensor"),
                        x.type_as(m.zeros(1, dtype=m.int8)), x.cpu(), x.clone(),
                        x.contiguous()), a)
    for lib in LIBS:
        x = lib.zeros(2)
        assert x.to(lib.float32) is x and x.cpu() is x and x.contiguous() is x
        assert x.to(lib.float32, copy=True) is not x
        assert x.type() == ("torch" if lib is torch else "ember") + ".FloatTensor"
        assert lib.zeros(1, dtype=lib.int64).type().endswith(".LongTensor")


def test_grad_conversions():
    check(lambda m, x: (x.double() * 2, x.to(m.float64).sum(), x.clone() ** 2,
                        x.contiguous() * x.detach()), Arg(arr((3,), "float32")), gradgrad=True)


def test_detach_and_clone_semantics():
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        d = y.detach()
        assert not d.requires_grad and d.is_leaf
        d[0] = 5
        assert y[0].item() == 5
        y.detach_()
        assert y.is_leaf and not y.requires_grad
        c = x.clone()
        assert c.grad_fn is not None and c.requires_grad
        c2 = x.data
        assert not c2.requires_grad
        assert x.requires_grad_(False) is x and not x.requires_grad


def test_new_factories():
    for lib in LIBS:
        x = lib.ones(2, dtype=lib.float64)
        z = x.new_zeros(2, 3)
        assert z.dtype == lib.float64 and z.shape == (2, 3)
        assert x.new_ones((1,), dtype=lib.int32).dtype == lib.int32
        assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
        assert x.new_empty(4).shape == (4,)
        t = x.new_tensor([1, 2])
        assert t.dtype == lib.float64 and not t.requires_grad


def test_copy_and_pickle():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    y = copy.deepcopy(x)
    assert y.requires_grad and y.tolist() == x.tolist() and y is not x
    z = pickle.loads(pickle.dumps(x))
    assert z.requires_grad and z.tolist() == x.tolist()
    check_error(lambda m, x: copy.deepcopy(x * 2), Arg(arr((2,), "float32")),
                match="graph leaves")


def test_dtype_helpers():
    for lib in LIBS:
        assert lib.promote_types(lib.uint8, lib.int8) == lib.int16
        assert lib.promote_types(lib.float16, lib.bfloat16) == lib.float32
        assert lib.result_type(lib.ones(1, dtype=lib.int32), 1.0) == lib.float32
        assert lib.result_type(lib.ones(1, dtype=lib.uint8), lib.tensor(300)) == lib.uint8
        assert lib.can_cast(lib.int32, lib.float32) and not lib.can_cast(lib.float32, lib.int32)
        assert lib.finfo(lib.float32).eps == pytest.approx(1.1920928955078125e-07)
        assert lib.finfo(lib.bfloat16).max == pytest.approx(3.3895313892515355e38)
        assert lib.iinfo(lib.int16).max == 32767 and lib.iinfo(lib.uint8).min == 0
        assert lib.get_default_dtype() == lib.float32
        assert lib.is_tensor(lib.ones(1)) and not lib.is_tensor(1.0)
        assert lib.float is lib.float32 and lib.long is lib.int64 and lib.double is lib.float64
    for name in ("float32", "int64", "bool", "bfloat16"):
        assert _name(getattr(ember, name)) == _name(getattr(torch, name))
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype is ember.float64 and ember.ones(1).dtype is ember.float64
        assert (ember.ones(1, dtype=ember.int32) * 1.5).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_equality_with_non_tensors_contains_and_reversed():
    for lib in LIBS:
        t = lib.ones(2)
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (t == "a") is False
        assert 2 in lib.tensor([[1, 2], [3, 4]]) and 5 not in lib.tensor([1, 2])
        assert [int(v) for v in reversed(lib.arange(3))] == [2, 1, 0]
        assert t in [None, t]
    a = ember.arange(3.0)
    c = np.array(a, copy=True)
    c[0] = 9
    assert a[0].item() == 0.0


def test_unpickled_arrays_behave_like_fresh_ones():
    a = pickle.loads(pickle.dumps(np.arange(6, dtype=np.float32).reshape(2, 3)))
    b = pickle.loads(pickle.dumps(np.array([True, False, True])))
    x = ember.from_numpy(a)
    y = ember.tensor(a)
    m = ember.from_numpy(b)
    assert x.dtype is ember.float32 and y.dtype is ember.float32
    assert (x @ y.t()).tolist() == (torch.from_numpy(a) @ torch.from_numpy(a).t()).tolist()
    assert (x + ember.ones(3)).dtype is ember.float32
    with pytest.raises(RuntimeError, match="Subtraction"):
        m - m
    z = pickle.loads(pickle.dumps(ember.ones(2, 2)))
    assert (z @ ember.ones(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
