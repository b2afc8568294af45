"""Samplers: deterministic ones equal torch's, random ones pass statistical checks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.utils import data as edata  # noqa: E402

tdata = torch.utils.data


def _gen(seed: int = 0) -> ember.Generator:
    return ember.Generator().manual_seed(seed)


def test_sequential_and_batch_samplers_match_torch() -> None:
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False)]:
        t = tdata.BatchSampler(tdata.SequentialSampler(range(n)), bs, drop)
        e = edata.BatchSampler(edata.SequentialSampler(range(n)), bs, drop)
        assert list(e) == list(t) and len(e) == len(t)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0, "drop_last": False}, "batch_size should be a positive integer value"),
    ({"batch_size": True, "drop_last": False}, "batch_size should be a positive integer"),
    ({"batch_size": 2, "drop_last": 1}, "drop_last should be a boolean value"),
])
def test_batch_sampler_errors(kwargs: dict[str, Any], match: str) -> None:
    for lib in (tdata, edata):
        with pytest.raises(ValueError, match=match):
            lib.BatchSampler(range(3), **kwargs)


def test_random_sampler_is_a_permutation_each_pass() -> None:
    sampler = edata.RandomSampler(range(100), generator=_gen(1))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(100))
    assert first != second and len(sampler) == 100


def test_random_sampler_positions_are_uniform() -> None:
    # each index lands in each position with probability 1/n: chi-square over positions
    n, trials = 5, 4000
    counts = np.zeros((n, n))
    sampler = edata.RandomSampler(range(n), generator=_gen(2))
    for _ in range(trials):
        for pos, idx in enumerate(sampler):
            counts[idx, pos] += 1
    expected = trials / n
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 50.0  # 16 degrees of freedom: p < 1e-4 beyond 42


def test_random_sampler_num_samples_without_replacement() -> None:
    drawn = list(edata.RandomSampler(range(10), num_samples=25, generator=_gen(3)))
    assert len(drawn) == 25
    assert sorted(drawn[:10]) == sorted(drawn[10:20]) == list(range(10))
    assert len(set(drawn[20:])) == 5


def test_random_sampler_with_replacement_is_uniform() -> None:
    n, draws = 10, 20000
    drawn = list(edata.RandomSampler(range(n), replacement=True, num_samples=draws,
                                     generator=_gen(4)))
    assert len(drawn) == draws
    counts = np.bincount(drawn, minlength=n)
    chi2 = ((counts - draws / n) ** 2 / (draws / n)).sum()
    assert chi2 < 30.0  # 9 degrees of freedom
    assert len(set(drawn[:100])) < 100  # repeats happen


def test_random_sampler_follows_global_seed() -> None:
    ember.manual_seed(11)
    a = list(edata.RandomSampler(range(30)))
    ember.manual_seed(11)
    b = list(edata.RandomSampler(range(30)))
    assert a == b


def test_random_sampler_errors_match_torch() -> None:
    for lib in (tdata, edata):
        with pytest.raises(ValueError, match="num_samples should be a positive integer value, "
                                             "but got num_samples=0"):
            lib.RandomSampler(range(3), num_samples=0)
        with pytest.raises(TypeError, match="replacement should be a boolean value"):
            lib.RandomSampler(range(3), replacement=1)


def test_subset_random_sampler() -> None:
    indices = [3, 8, 13, 21]
    sampler = edata.SubsetRandomSampler(indices, generator=_gen(5))
    passes = [tuple(sampler) for _ in range(200)]
    assert all(sorted(p) == indices for p in passes)
    first_counts = Counter(p[0] for p in passes)
    assert set(first_counts) == set(indices)
    assert min(first_counts.values()) > 20
    assert len(sampler) == 4


def test_weighted_random_sampler_frequencies() -> None:
    weights = [1.0, 2.0, 0.0, 7.0]
    draws = 20000
    drawn = list(edata.WeightedRandomSampler(weights, draws, generator=_gen(6)))
    freq = np.bincount(drawn, minlength=4) / draws
    np.testing.assert_allclose(freq, np.array(weights) / 10.0, atol=0.015)
    assert freq[2] == 0


def test_weighted_random_sampler_without_replacement() -> None:
    drawn = list(edata.WeightedRandomSampler([1.0] * 6, 6, replacement=False,
                                             generator=_gen(7)))
    assert sorted(drawn) == list(range(6))


def test_weighted_random_sampler_errors_match_torch() -> None:
    for lib in (tdata, edata):
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            lib.WeightedRandomSampler([1.0], 0)
        with pytest.raises(ValueError, match="replacement should be a boolean value"):
            lib.WeightedRandomSampler([1.0], 1, replacement=0)
        with pytest.raises(ValueError, match="weights should be a 1d sequence but given "
                                             "weights have shape \\(1, 2\\)"):
            lib.WeightedRandomSampler([[1.0, 2.0]], 1)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                  (2, 4, False), (11, 4, True)])
def test_distributed_sampler_without_shuffle_matches_torch(n: int, replicas: int,
                                                           drop_last: bool) -> None:
    for rank in range(replicas):
        t = tdata.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                     drop_last=drop_last)
        e = edata.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                     drop_last=drop_last)
        assert list(e) == list(t) and len(e) == len(t)


def test_distributed_sampler_shuffle_partitions_and_set_epoch() -> None:
    n, replicas = 20, 4

    def shards(epoch: int) -> list[list[int]]:
        out = []
        for rank in range(replicas):
            s = edata.DistributedSampler(range(n), replicas, rank, shuffle=True, seed=7)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    epoch0, epoch0_again, epoch1 = shards(0), shards(0), shards(1)
    assert epoch0 == epoch0_again
    assert sorted(i for shard in epoch0 for i in shard) == list(range(n))
    assert epoch0 != epoch1
    assert sorted(i for shard in epoch1 for i in shard) == list(range(n))


def test_distributed_sampler_errors() -> None:
    for lib in (tdata, edata):
        with pytest.raises(ValueError, match="Invalid rank 3, rank should be in the interval "
                                             "\\[0, 2\\]"):
            lib.DistributedSampler(range(4), num_replicas=3, rank=3)
