"""DataLoader with worker processes: order, coverage, worker info, errors, dead workers
and timeouts. Each test runs under a deadline so a hang fails instead of blocking."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.utils import data as edata  # noqa: E402


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail the test (instead of hanging) if the block runs longer than ``seconds``."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"test did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_map_style_every_sample_once_in_order() -> None:
    ds = edata.TensorDataset(ember.arange(40), ember.arange(40) * 2)
    want = [b[0].tolist() for b in edata.DataLoader(ds, batch_size=3)]
    with deadline(60):
        loader = edata.DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True,
                                  prefetch_factor=1)
        assert len(loader) == 14
        for _ in range(2):  # the persistent workers serve a second epoch
            got = list(loader)
            assert [b[0].tolist() for b in got] == want
            assert all((b[1] == b[0] * 2).all() for b in got)
        partial = iter(loader)
        next(partial)  # an abandoned epoch does not leak into the next one
        assert [b[0].tolist() for b in loader] == want
        loader._iterator._shutdown_workers()
        shuffled = edata.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
        it = iter(shuffled)
        seen = [int(v) for b in it for v in b[0]]
        assert sorted(seen) == list(range(40))
        assert not any(w.is_alive() for w in it._workers)  # stopped at the epoch's end


class _Shards(edata.IterableDataset):
    """Yields (value, worker id, worker seed, value set by worker_init_fn)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tag = -1

    def __iter__(self) -> Iterator[Any]:
        info = edata.get_worker_info()
        assert info is not None and info.dataset is self
        for v in range(info.id, self.n, info.num_workers):
            yield v, info.id, info.seed, info.dataset.tag


def _init(worker_id: int) -> None:
    edata.get_worker_info().dataset.tag = 100 + worker_id


def test_iterable_dataset_with_worker_info() -> None:
    with deadline(60):
        loader = edata.DataLoader(_Shards(21), batch_size=4, num_workers=2,
                                  worker_init_fn=_init,
                                  generator=ember.Generator().manual_seed(0))
        batches = list(loader)
    values = [int(v) for b in batches for v in b[0]]
    assert sorted(values) == list(range(21))
    workers = {int(w) for b in batches for w in b[1]}
    assert workers == {0, 1}
    for b in batches:
        for w, tag in zip(b[1].tolist(), b[3].tolist()):
            assert tag == 100 + w
    seeds = {int(w): int(s) for b in batches for w, s in zip(b[1], b[2])}
    assert seeds[1] == seeds[0] + 1


class _Faulty(edata.Dataset):
    def __len__(self) -> int:
        return 10

    def __getitem__(self, i: int) -> Any:
        if i == 7:
            raise ValueError(f"bad sample {i}")
        return np.float32(i)


def test_worker_exception_is_reraised_with_worker_id_and_traceback() -> None:
    with deadline(60):
        loader = edata.DataLoader(_Faulty(), batch_size=2, num_workers=2)
        it = iter(loader)
        assert [b.tolist() for b in (next(it), next(it), next(it))] == [
            [0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
        with pytest.raises(ValueError) as info:
            next(it)
    message = str(info.value)
    assert "Caught ValueError in DataLoader worker process 1." in message
    assert "Original Traceback (most recent call last):" in message
    assert "bad sample 7" in message and "__getitem__" in message


class _Killer(edata.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> Any:
        if i == 4:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_killed_worker_raises_instead_of_hanging() -> None:
    with deadline(30):
        loader = edata.DataLoader(_Killer(), batch_size=2, num_workers=2)
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                               "unexpectedly"):
            list(loader)


class _Slow(edata.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> Any:
        if i == 2:
            time.sleep(5)
        return i


def test_timeout_raises() -> None:
    with deadline(30):
        loader = edata.DataLoader(_Slow(), batch_size=1, num_workers=1, timeout=0.5)
        it = iter(loader)
        assert next(it).tolist() == [0]
        assert next(it).tolist() == [1]
        start = time.monotonic()
        with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
            next(it)
        assert time.monotonic() - start < 4
        it._shutdown_workers()


def _failing_init(worker_id: int) -> None:
    raise KeyError(f"no config for worker {worker_id}")


def test_worker_init_fn_exception_is_reraised() -> None:
    with deadline(30):
        loader = edata.DataLoader(edata.TensorDataset(ember.arange(6)), batch_size=2,
                                  num_workers=2, worker_init_fn=_failing_init)
        with pytest.raises(KeyError) as info:
            list(loader)
    assert "Caught KeyError in DataLoader worker process 0." in str(info.value)
    assert "no config for worker 0" in str(info.value)
