"""DataLoader in one process: the same batches, shapes, dtypes and len() as torch."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.utils import data as edata  # noqa: E402

tdata = torch.utils.data

Point = namedtuple("Point", ["x", "y"])


def _np(x: Any) -> Any:
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_np(v) for v in x))
    if isinstance(x, (tuple, list)):
        return type(x)(_np(v) for v in x)
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return x.numpy()
    return x


def _same(a: Any, b: Any) -> None:
    """Equal structure, container types, shapes, dtypes and values (ember vs torch)."""
    a, b = _np(a), _np(b)
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b), (type(a), type(b))
        assert len(a) == len(b)
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
        assert type(a) is type(b) and a == b


def _both(make: Any, **kwargs: Any) -> None:
    """Build the dataset with ``make(lib)`` in both libraries and compare full epochs."""
    t = tdata.DataLoader(make(torch), **kwargs)
    e = edata.DataLoader(make(ember), **kwargs)
    tb, eb = list(t), list(e)
    assert len(e) == len(t) == len(tb) == len(eb)
    for x, y in zip(eb, tb):
        _same(x, y)


X = np.random.default_rng(0).standard_normal((23, 3, 4)).astype(np.float32)
Y = np.arange(23)


def _tensor_ds(lib: Any) -> Any:
    return lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(Y))


@pytest.mark.parametrize("kwargs", [{}, {"batch_size": 5}, {"batch_size": 5, "drop_last": True},
                                    {"batch_size": 23}, {"batch_size": 50}])
def test_tensor_dataset_batches_match_torch(kwargs: dict[str, Any]) -> None:
    _both(_tensor_ds, **kwargs)


class _Samples:
    """A map-style dataset (a plain class, as torch allows) of structured samples."""

    def __init__(self, lib: Any, kind: str) -> None:
        self.lib, self.kind = lib, kind

    def __len__(self) -> int:
        return 7

    def __getitem__(self, i: int) -> Any:
        lib = self.lib
        if self.kind == "numpy":
            return X[i], np.float32(i) / 2, np.int32(i)
        if self.kind == "numbers":
            return float(i) / 3, i, i % 2 == 0
        if self.kind == "strings":
            return f"item{i}", f"b{i}".encode()
        if self.kind == "dict":
            return {"x": lib.tensor(X[i]), "meta": {"id": i, "name": str(i)}}
        if self.kind == "namedtuple":
            return Point(lib.tensor(X[i]), [i, float(i)])
        if self.kind == "nested":
            return [lib.tensor(X[i][0]), (np.ones(2) * i, {"k": [i, i + 1]})]
        raise ValueError(self.kind)


@pytest.mark.parametrize("kind", ["numpy", "numbers", "strings", "dict", "namedtuple",
                                  "nested"])
def test_default_collate_matches_torch(kind: str) -> None:
    _both(lambda lib: _Samples(lib, kind), batch_size=3)


@pytest.mark.parametrize("kind", ["numpy", "numbers", "dict", "namedtuple", "nested"])
def test_no_batching_default_convert_matches_torch(kind: str) -> None:
    _both(lambda lib: _Samples(lib, kind), batch_size=None)


def test_default_collate_and_convert_direct() -> None:
    batch = [{"a": np.zeros((2, 2)), "b": (1, 2.5)}, {"a": np.ones((2, 2)), "b": (3, 4.5)}]
    _same(edata.default_collate(batch), tdata.default_collate(batch))
    _same(edata.default_convert(batch), tdata.default_convert(batch))
    _same(edata.default_convert((np.arange(3), "s")), tdata.default_convert((np.arange(3), "s")))
    for lib in (tdata, edata):
        with pytest.raises(TypeError, match="default_collate: batch must contain tensors, "
                                            "numpy arrays, numbers, dicts or lists; found "):
            lib.default_collate([object(), object()])
        with pytest.raises(RuntimeError, match="each element in list of batch should be of "
                                               "equal size"):
            lib.default_collate([[1, 2], [1]])
        with pytest.raises(TypeError, match="found <U1"):
            lib.default_collate([np.array(["a"]), np.array(["b"])])


def test_custom_collate_sampler_and_batch_sampler() -> None:
    def collate(batch: list[Any]) -> Any:
        return len(batch), batch[0][1]

    order = [5, 1, 9, 0, 22]
    _both(_tensor_ds, batch_size=2, sampler=order, collate_fn=collate)
    _both(_tensor_ds, batch_sampler=[[3, 4], [0], [22, 21, 20]])
    _both(_tensor_ds, batch_size=4, sampler=order)


class _Stream:
    """An iterable dataset of numbers (in both libraries)."""

    def __init__(self, lib: Any, n: int) -> None:
        self.lib, self.n = lib, n

    def __call__(self) -> Any:
        n, lib = self.n, self.lib

        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self) -> Any:
                return iter(np.arange(n, dtype=np.float64) * 0.5)

            def __len__(self) -> int:
                return n

        return Stream()


@pytest.mark.parametrize("kwargs", [{"batch_size": 4}, {"batch_size": 4, "drop_last": True},
                                    {"batch_size": None}])
def test_iterable_dataset_matches_torch(kwargs: dict[str, Any]) -> None:
    _both(lambda lib: _Stream(lib, 10)(), **kwargs)


def test_shuffle_visits_every_sample_once_and_follows_generator() -> None:
    ds = edata.TensorDataset(ember.arange(50))
    seen = [int(v) for (b,) in edata.DataLoader(ds, batch_size=8, shuffle=True) for v in b]
    assert sorted(seen) == list(range(50)) and seen != list(range(50))
    runs = []
    for _ in range(2):
        loader = edata.DataLoader(ds, batch_size=8, shuffle=True,
                                  generator=ember.Generator().manual_seed(3))
        runs.append([b.tolist() for (b,) in loader])
    assert runs[0] == runs[1]


def test_fast_tensor_path_equals_per_sample_collate() -> None:
    ds = edata.TensorDataset(ember.tensor(X), ember.tensor(Y))
    order = [4, 4, 0, 22, 13]
    fast = next(iter(edata.DataLoader(ds, batch_size=5, sampler=order)))
    slow = edata.default_collate([ds[i] for i in order])
    _same(fast, slow)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
    ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, ValueError, "prefetch_factor option could only be specified"),
    ({"persistent_workers": True}, ValueError, "persistent_workers option needs num_workers"),
    ({"sampler": [0], "shuffle": True}, ValueError, "sampler option is mutually exclusive "
                                                    "with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, ValueError, "batch_sampler option is mutually"),
    ({"batch_size": None, "drop_last": True}, ValueError, "batch_size=None option disables "
                                                          "auto-batching"),
])
def test_argument_errors_match_torch(kwargs: dict[str, Any], exc: type, match: str) -> None:
    for lib in (torch, ember):
        with pytest.raises(exc, match=match):
            lib.utils.data.DataLoader(_tensor_ds(lib), **kwargs)


def test_iterable_dataset_errors_and_frozen_attributes() -> None:
    for lib in (torch, ember):
        stream = _Stream(lib, 3)()
        with pytest.raises(ValueError, match="expected unspecified shuffle option"):
            lib.utils.data.DataLoader(stream, shuffle=True)
        with pytest.raises(ValueError, match="expected unspecified sampler option"):
            lib.utils.data.DataLoader(stream, sampler=[0])
        loader = lib.utils.data.DataLoader(_tensor_ds(lib))
        with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                             "DataLoader is initialized"):
            loader.batch_size = 3


def test_pin_memory_accepted_with_torch_warning() -> None:
    loader = edata.DataLoader(_tensor_ds(ember), batch_size=4, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no "
                                         "accelerator is found"):
        batches = list(loader)
    assert len(batches) == 6
