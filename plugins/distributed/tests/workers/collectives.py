"""Worker: every collective and point-to-point operation on 2 ranks, checked against numpy
results computed from both ranks' (deterministic) inputs."""

import time
from datetime import timedelta

import numpy as np
from harness import run

import ember
import ember.distributed as dist

R = dist.ReduceOp


def rank_input(r, dtype=np.float32, n=5):
    """The tensor rank ``r`` contributes (known to every rank)."""
    return (np.arange(n) * (r + 1) - 2 * r + 1).astype(dtype)


def eq(tensor, expected, tol=1e-6):
    got = tensor.numpy()
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    assert np.allclose(got, expected, rtol=tol, atol=tol), (got, expected)


def all_reduce_ops():
    me = dist.get_rank()
    ins = [rank_input(r) for r in range(2)]
    expected = {R.SUM: ins[0] + ins[1], R.PRODUCT: ins[0] * ins[1],
                R.MIN: np.minimum(*ins), R.MAX: np.maximum(*ins), R.AVG: (ins[0] + ins[1]) / 2}
    for dtype in (np.float32, np.float64):
        for op, want in expected.items():
            t = ember.from_numpy(rank_input(me, dtype).copy())
            assert dist.all_reduce(t, op=op) is None
            eq(t, want.astype(dtype))
    ints = [rank_input(r, np.int64) for r in range(2)]
    t = ember.from_numpy(ints[me].copy())
    dist.all_reduce(t, op=R.SUM)
    eq(t, ints[0] + ints[1])
    t = ember.from_numpy(ints[me].copy())
    dist.all_reduce(t, op=R.BXOR)
    eq(t, ints[0] ^ ints[1])
    flags = ember.tensor([me == 0, False, True])
    dist.all_reduce(flags)  # SUM on bool is a logical or
    assert flags.tolist() == [True, False, True]
    # a non-contiguous view is reduced in place
    base = ember.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3) * (me + 1))
    view = base.t()
    dist.all_reduce(view)
    eq(base, np.arange(6, dtype=np.float32).reshape(2, 3) * 3)


def broadcast():
    me = dist.get_rank()
    t = ember.from_numpy(rank_input(me).copy())
    dist.broadcast(t, src=1)
    eq(t, rank_input(1))
    i = ember.tensor([me * 10 + 7], dtype=ember.int32)
    dist.broadcast(i, src=0)
    assert i.tolist() == [7]


def all_gather():
    me = dist.get_rank()
    outs = [ember.zeros(5) for _ in range(2)]
    dist.all_gather(outs, ember.from_numpy(rank_input(me)))
    for r in range(2):
        eq(outs[r], rank_input(r))
    flat = ember.zeros(10)
    dist.all_gather_into_tensor(flat, ember.from_numpy(rank_input(me)))
    eq(flat, np.concatenate([rank_input(0), rank_input(1)]))
    stacked = ember.zeros(2, 5)
    dist.all_gather_into_tensor(stacked, ember.from_numpy(rank_input(me)))
    eq(stacked, np.stack([rank_input(0), rank_input(1)]))


def reduce_scatter():
    me = dist.get_rank()
    full = [np.arange(8, dtype=np.float32) * (r + 1) for r in range(2)]
    out = ember.zeros(4)
    dist.reduce_scatter_tensor(out, ember.from_numpy(full[me].copy()))
    eq(out, (full[0] + full[1])[me * 4:(me + 1) * 4])
    out = ember.zeros(4)
    dist.reduce_scatter_tensor(out, ember.from_numpy(full[me].copy()), op=R.AVG)
    eq(out, ((full[0] + full[1]) / 2)[me * 4:(me + 1) * 4])
    out = ember.zeros(4)
    pieces = [ember.from_numpy(full[me][k * 4:(k + 1) * 4].copy()) for k in range(2)]
    dist.reduce_scatter(out, pieces, op=R.MAX)
    eq(out, np.maximum(full[0], full[1])[me * 4:(me + 1) * 4])


def reduce_gather_scatter():
    me = dist.get_rank()
    t = ember.from_numpy(rank_input(me).copy())
    dist.reduce(t, dst=1, op=R.SUM)
    eq(t, rank_input(0) + rank_input(1) if me == 1 else rank_input(me))
    src = ember.from_numpy(rank_input(me))
    if me == 0:
        bucket = [ember.zeros(5) for _ in range(2)]
        dist.gather(src, bucket, dst=0)
        eq(bucket[0], rank_input(0))
        eq(bucket[1], rank_input(1))
    else:
        dist.gather(src, None, dst=0)
    recv = ember.zeros(3)
    if me == 1:
        dist.scatter(recv, [ember.full((3,), 4.0), ember.full((3,), 5.0)], src=1)
    else:
        dist.scatter(recv, None, src=1)
    eq(recv, np.full(3, 4.0 + me))
    a2a = ember.from_numpy(np.array([me * 10, me * 10 + 1], dtype=np.float32))
    out = ember.zeros(2)
    dist.all_to_all_single(out, a2a)
    eq(out, np.array([me, 10 + me], dtype=np.float32))


def point_to_point():
    me = dist.get_rank()
    if me == 0:
        dist.send(ember.tensor([1.0, 2.0]), dst=1)
        got = ember.zeros(2)
        sender = dist.recv(got)  # any source
        assert sender == 1
        eq(got, [3.0, 4.0])
    else:
        got = ember.zeros(2)
        assert dist.recv(got, src=0) == 0
        eq(got, [1.0, 2.0])
        dist.send(got + 2, dst=0)
    other = 1 - me
    out = ember.zeros(3, dtype=ember.int64)
    works = dist.batch_isend_irecv([
        dist.P2POp(dist.isend, ember.tensor([me, me, me], dtype=ember.int64), other),
        dist.P2POp(dist.irecv, out, other)])
    for w in works:
        assert w.wait() is True
        assert w.is_completed()
    assert out.tolist() == [other] * 3


def async_work():
    me = dist.get_rank()
    t = ember.ones(4) * (me + 1)
    work = dist.all_reduce(t, async_op=True)
    assert work is not None
    assert work.wait() is True and work.is_completed()
    eq(t, np.full(4, 3.0))
    t2 = ember.ones(2)
    value = dist.all_reduce(t2, async_op=True).get_future().wait()
    assert value[0] is t2
    eq(t2, [2.0, 2.0])
    b = dist.barrier(async_op=True)
    b.wait()
    assert b.is_completed()


def timeouts():
    me = dist.get_rank()
    t = ember.ones(2) * (me + 1)
    if me == 1:
        time.sleep(2.5)  # rank 0 gives up waiting before rank 1 arrives
        dist.all_reduce(t)
    else:
        work = dist.all_reduce(t, async_op=True)
        try:
            work.wait(timeout=timedelta(seconds=0.2))
        except dist.DistBackendError as exc:
            assert "timed out" in str(exc), str(exc)
            assert isinstance(exc, RuntimeError)
        else:
            raise AssertionError("wait did not time out")
        assert work.wait() is True  # the handle is still good once the peer arrives
    eq(t, [3.0, 3.0])
    if me == 1:  # a receive nobody sends to: raises and is cancelled
        work = dist.irecv(ember.zeros(1), src=0, tag=99)
        try:
            work.wait(timeout=0.3)
        except dist.DistBackendError:
            pass
        else:
            raise AssertionError("recv did not time out")
    sub = dist.new_group([0, 1], timeout=timedelta(seconds=0.3))
    if me == 0:
        try:
            dist.barrier(group=sub)  # rank 1 never enters this group's barrier in time
        except dist.DistBackendError:
            pass
        else:
            raise AssertionError("barrier did not time out")
    if me == 1:
        time.sleep(2.5)  # well after rank 0's deadline, even on a loaded machine
        dist.barrier(group=sub, timeout=timedelta(seconds=30))


def groups():
    me = dist.get_rank()
    solo = dist.new_group([1])
    if me == 0:
        assert solo is dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(solo) == -1
    else:
        assert dist.get_rank(solo) == 0 and dist.get_world_size(solo) == 1
        t = ember.ones(2)
        dist.all_reduce(t, group=solo)
        eq(t, [1.0, 1.0])
        assert dist.get_process_group_ranks(solo) == [1]
        assert dist.get_group_rank(solo, 1) == 0 and dist.get_global_rank(solo, 0) == 1
    both = dist.new_group()
    t = ember.ones(1) * (me + 1)
    dist.all_reduce(t, group=both, op=R.MAX)
    eq(t, [2.0])
    dist.destroy_process_group(both)


def objects():
    me = dist.get_rank()
    out = [None, None]
    dist.all_gather_object(out, {"rank": me, "tag": "x" * (me + 1)})
    assert out == [{"rank": 0, "tag": "x"}, {"rank": 1, "tag": "xx"}]
    objs = [me, "hello"] if me == 1 else [None, None]
    dist.broadcast_object_list(objs, src=1)
    assert objs == [1, "hello"]


def bad_arguments():
    me = dist.get_rank()
    try:
        dist.broadcast(ember.ones(1), src=5)
    except RuntimeError as exc:
        assert "invalid root rank: 5" in str(exc)
    else:
        raise AssertionError("no error for src=5")
    try:
        dist.send(ember.ones(1), dst=me)
    except ValueError as exc:
        assert str(exc) == ("Invalid destination rank: destination rank should not be the "
                            "same as the rank of the current process.")
    else:
        raise AssertionError("no error for send to self")
    try:
        dist.all_gather([ember.zeros(1)], ember.ones(1))
    except RuntimeError as exc:
        assert "expected length 2, got 1" in str(exc)
    else:
        raise AssertionError("no error for a short list")


def environment():
    import os

    me = dist.get_rank()
    assert os.environ["RANK"] == str(me) and os.environ["LOCAL_RANK"] == str(me)
    assert os.environ["WORLD_SIZE"] == "2" and dist.get_world_size() == 2
    assert dist.is_torchelastic_launched()
    return {k: os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR",
                                       "MASTER_PORT")}


run({"environment": environment, "all_reduce_ops": all_reduce_ops, "broadcast": broadcast,
     "all_gather": all_gather, "reduce_scatter": reduce_scatter,
     "reduce_gather_scatter": reduce_gather_scatter, "point_to_point": point_to_point,
     "async_work": async_work, "groups": groups, "objects": objects,
     "bad_arguments": bad_arguments, "timeouts": timeouts})
