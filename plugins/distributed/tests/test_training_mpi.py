"""DistributedDataParallel and SyncBatchNorm on 2 ranks (one launch of
``workers/training.py`` under a hard timeout; one test per scenario).

- DDP: parameters after 3 SGD steps equal single-process training on the concatenated
  batch (ember and torch), in float32 and float64, with several buckets; and equal torch's
  own DDP over gloo;
- no_sync: local accumulation, then one synchronized backward;
- communication hooks: default all-reduce, a summing hook, fp16 compression; buckets
  launch in order while backward is still running;
- find_unused_parameters, and the error without it;
- SyncBatchNorm: outputs, input/weight gradients and running statistics equal BatchNorm2d
  on the full batch; convert_sync_batchnorm inside DDP training equals torch's full batch.
"""

import pytest
from mpi_launch import check, run_workers

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    out = tmp_path_factory.mktemp("training")
    return run_workers("training.py", out)


def test_ddp_matches_single_process_full_batch(launched):
    _, output, results = launched
    data = check(results, output, "ddp_parity")
    for per_rank in data:
        f32, f64 = per_rank["ember.float32"], per_rank["ember.float64"]
        assert f32[0] <= 2e-6 and f32[1] <= 2e-5
        assert f64[0] <= 1e-12 and f64[1] <= 1e-11
        # rebuilt in gradient-ready order (last layer first), split by bucket_cap_mb
        assert sorted(f64[2][0][:2]) == [4, 5] and len(f64[2]) > 1
        assert sorted(i for b in f64[2] for i in b) == list(range(6))


def test_ddp_matches_torch_ddp(launched):
    _, output, results = launched
    assert all(d < 1e-5 for d in check(results, output, "torch_ddp_parity"))


def test_no_sync_accumulates_locally_then_averages(launched):
    _, output, results = launched
    assert all(d < 1e-6 for d in check(results, output, "no_sync_accumulation"))


def test_comm_hooks(launched):
    _, output, results = launched
    for per_rank in check(results, output, "comm_hooks"):
        assert per_rank["default"] < 1e-6 and per_rank["sum"] < 1e-6
        assert per_rank["fp16"] < 2e-3


def test_find_unused_parameters(launched):
    _, output, results = launched
    assert all(d < 1e-6 for d in check(results, output, "unused_parameters"))


def test_sync_batchnorm_matches_batchnorm_on_full_batch(launched):
    _, output, results = launched
    for per_rank in check(results, output, "sync_batchnorm_parity"):
        assert set(per_rank) == {"0.1-True", "None-True", "0.3-False"}
        assert max(per_rank.values()) < 1e-10


def test_convert_sync_batchnorm_in_ddp_training(launched):
    _, output, results = launched
    assert all(d < 1e-10 for d in check(results, output, "sync_batchnorm_in_ddp"))


def test_parameters_and_buffers_follow_rank_0(launched):
    _, output, results = launched
    assert check(results, output, "buffers_follow_rank_0") == [[3.0, 3.0], [3.0, 3.0]]


def test_launch_exits_cleanly(launched):
    rc, output, _ = launched
    assert rc == 0, output[-4000:]
