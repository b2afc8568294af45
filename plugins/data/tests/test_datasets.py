"""Datasets and random_split compared with torch.utils.data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.utils import data as edata  # noqa: E402

tdata = torch.utils.data


def _np(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_np(v) for v in x)
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if hasattr(x, "numpy"):
        return x.numpy()
    return x


def _same(a: Any, b: Any) -> None:
    a, b = _np(a), _np(b)
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


ARR = np.arange(24, dtype=np.float32).reshape(6, 4)
LAB = np.arange(6)


def test_tensor_dataset() -> None:
    t = tdata.TensorDataset(torch.tensor(ARR), torch.tensor(LAB))
    e = edata.TensorDataset(ember.tensor(ARR), ember.tensor(LAB))
    assert len(e) == len(t) == 6
    for i in range(6):
        _same(e[i], t[i])
    _same(e[1:3], t[1:3])
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_and_add() -> None:
    t = tdata.TensorDataset(torch.tensor(ARR)) + tdata.TensorDataset(torch.tensor(ARR[:2]))
    e = edata.TensorDataset(ember.tensor(ARR)) + edata.TensorDataset(ember.tensor(ARR[:2]))
    assert isinstance(e, edata.ConcatDataset)
    assert len(e) == len(t) == 8 and e.cumulative_sizes == t.cumulative_sizes
    for i in range(-8, 8):
        _same(e[i], t[i])
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        e[-9]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        edata.ConcatDataset([])


class _Range(edata.IterableDataset):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self) -> Any:
        info = edata.get_worker_info()
        if info is None:
            return iter(range(self.start, self.stop))
        return iter(range(self.start + info.id, self.stop, info.num_workers))

    def __len__(self) -> int:
        return self.stop - self.start


def test_chain_dataset() -> None:
    chained = _Range(0, 3) + _Range(10, 12)
    assert isinstance(chained, edata.ChainDataset)
    assert list(chained) == [0, 1, 2, 10, 11] and len(chained) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(edata.ChainDataset([[1, 2]]))
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        edata.ConcatDataset([_Range(0, 2)])


def test_subset_and_stack() -> None:
    t = tdata.Subset(tdata.TensorDataset(torch.tensor(ARR)), [4, 0, 2])
    e = edata.Subset(edata.TensorDataset(ember.tensor(ARR)), [4, 0, 2])
    assert len(e) == 3
    for i in range(3):
        _same(e[i], t[i])
    ts = tdata.StackDataset(torch.tensor(ARR), torch.tensor(LAB))
    es = edata.StackDataset(ember.tensor(ARR), ember.tensor(LAB))
    _same(es[2], ts[2])
    _same(es.__getitems__([1, 3]), ts.__getitems__([1, 3]))
    td = tdata.StackDataset(x=torch.tensor(ARR), y=list("abcdef"))
    ed = edata.StackDataset(x=ember.tensor(ARR), y=list("abcdef"))
    _same(ed[5], td[5])
    _same(ed.__getitems__([0, 5]), td.__getitems__([0, 5]))
    for bad in [lambda m: m.StackDataset(), lambda m: m.StackDataset([1], [1, 2]),
                lambda m: m.StackDataset([1], y=[1])]:
        with pytest.raises(ValueError):
            bad(tdata)
        with pytest.raises(ValueError):
            bad(edata)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5]])
def test_random_split_sizes_match_torch(lengths: list[Any]) -> None:
    t = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
    e = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(0))
    assert [len(s) for s in e] == [len(s) for s in t]
    assert sorted(i for s in e for i in s) == list(range(10))


def test_random_split_seeded_and_errors() -> None:
    a = edata.random_split(range(50), [0.5, 0.5], generator=ember.Generator().manual_seed(3))
    b = edata.random_split(range(50), [0.5, 0.5], generator=ember.Generator().manual_seed(3))
    assert list(a[0]) == list(b[0]) and list(a[0]) != list(range(25))
    ember.manual_seed(5)
    c = edata.random_split(range(50), [25, 25])
    ember.manual_seed(5)
    d = edata.random_split(range(50), [25, 25])
    assert list(c[1]) == list(d[1])
    for lib in (tdata, edata):
        with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
            lib.random_split(range(10), [3, 3])
        with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
            lib.random_split(range(10), [-0.5, 1.5])
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
            lib.random_split(range(2), [0.9, 0.1])


def test_public_modules_are_the_package_modules() -> None:
    import ember.utils.data.sampler as sampler_module

    assert sampler_module.RandomSampler is edata.RandomSampler
    assert ember.utils.data.DataLoader is edata.DataLoader
