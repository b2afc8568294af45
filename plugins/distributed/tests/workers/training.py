"""Worker: DistributedDataParallel and SyncBatchNorm on 2 ranks, compared with
single-process training on the concatenated batch (ember and torch) and with torch's own
DDP over gloo."""

import os

import numpy as np
import torch
from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
from harness import run

import ember
import ember.distributed as dist
import ember_distributed.ddp as ddp_impl

DDP = ember.nn.parallel.DistributedDataParallel
LR = 0.1


def build(seed, dtype=ember.float32):
    ember.manual_seed(seed)
    return ember.nn.Sequential(ember.nn.Linear(6, 16), ember.nn.Tanh(), ember.nn.Linear(16, 8),
                               ember.nn.Tanh(), ember.nn.Linear(8, 3)).to(dtype)


def torch_copy(model):
    mods = [torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 8), torch.nn.Tanh(),
            torch.nn.Linear(8, 3)]
    net = torch.nn.Sequential(*mods).to(torch.float64 if next(iter(model.parameters())).dtype
                                        == ember.float64 else torch.float32)
    with torch.no_grad():
        for tp, ep in zip(net.parameters(), model.parameters(), strict=True):
            tp.copy_(torch.from_numpy(ep.detach().numpy().copy()))
    return net


def batch(step, n=8, dtype=np.float32):
    rng = np.random.default_rng(step)
    return (rng.standard_normal((n, 6)).astype(dtype), rng.standard_normal((n, 3)).astype(dtype))


def shard(a):
    r, n = dist.get_rank(), dist.get_world_size()
    k = a.shape[0] // n
    return a[r * k:(r + 1) * k]


def sgd(params):
    with ember.no_grad():
        for p in params:
            p.sub_(p.grad * LR)
            p.grad = None


def torch_sgd(params):
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad * LR)
            p.grad = None


def max_diff(ember_params, other):
    return max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
               for a, b in zip(ember_params, other, strict=True))


def ddp_parity():
    out = {}
    old = ddp_impl.DEFAULT_FIRST_BUCKET_BYTES
    ddp_impl.DEFAULT_FIRST_BUCKET_BYTES = 200
    try:
        for dtype, npdt, tol in ((ember.float32, np.float32, 2e-6), (ember.float64, np.float64,
                                                                     1e-12)):
            ref = build(100, dtype)
            tnet = torch_copy(ref)
            model = build(100 + dist.get_rank(), dtype)  # rank 1 starts different
            ddp = DDP(model, bucket_cap_mb=0.0005)
            assert max_diff(model.parameters(), ref.parameters()) == 0.0, "not broadcast"
            assert [b.indices for b in ddp._buckets] == [[0, 1, 2, 3, 4, 5]]
            for step in range(3):
                x, y = batch(step, dtype=npdt)
                loss = ((ddp(ember.from_numpy(shard(x))) - ember.from_numpy(shard(y))) ** 2).mean()
                loss.backward()
                sgd(model.parameters())
                full = ((ref(ember.from_numpy(x)) - ember.from_numpy(y)) ** 2).mean()
                full.backward()
                sgd(ref.parameters())
                tl = ((tnet(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
                tl.backward()
                torch_sgd(tnet.parameters())
            buckets = [b.indices for b in ddp._buckets]  # rebuilt after the first step
            # in gradient-ready order: the last layer's parameters lead the first bucket
            assert len(buckets) > 1 and sorted(buckets[0][:2]) == [4, 5], buckets
            d_ref = max_diff(model.parameters(), ref.parameters())
            d_torch = max_diff(model.parameters(), list(tnet.parameters()))
            assert d_ref <= tol and d_torch <= 10 * tol, (dtype, d_ref, d_torch)
            out[str(dtype)] = [d_ref, d_torch, buckets]
    finally:
        ddp_impl.DEFAULT_FIRST_BUCKET_BYTES = old
    return out


def torch_ddp_parity():
    import torch.distributed as tdist

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    tdist.init_process_group("gloo", rank=dist.get_rank(), world_size=dist.get_world_size())
    try:
        model = build(100 + dist.get_rank())
        tnet = torch_copy(model)
        ddp = DDP(model)
        tddp = torch.nn.parallel.DistributedDataParallel(tnet)
        for step in range(2):
            x, y = batch(step)
            loss = ((ddp(ember.from_numpy(shard(x))) - ember.from_numpy(shard(y))) ** 2).mean()
            loss.backward()
            sgd(model.parameters())
            tl = ((tddp(torch.from_numpy(shard(x))) - torch.from_numpy(shard(y))) ** 2).mean()
            tl.backward()
            torch_sgd(tnet.parameters())
        d = max_diff(model.parameters(), list(tnet.parameters()))
        assert d < 1e-5, d
        return d
    finally:
        tdist.destroy_process_group()


def no_sync_accumulation():
    ref = build(7)
    model = build(7)
    ddp = DDP(model)
    (xa, ya), (xb, yb) = batch(10), batch(11)
    with ddp.no_sync():
        ((ddp(ember.from_numpy(shard(xa))) - ember.from_numpy(shard(ya))) ** 2).mean().backward()
    local = model[0].weight.grad.clone()
    both = [ember.zeros_like(local) for _ in range(2)]
    dist.all_gather(both, local)
    assert not ember.allclose(both[0], both[1]), "no_sync still communicated"
    ((ddp(ember.from_numpy(shard(xb))) - ember.from_numpy(shard(yb))) ** 2).mean().backward()
    for x, y in ((xa, ya), (xb, yb)):
        ((ref(ember.from_numpy(x)) - ember.from_numpy(y)) ** 2).mean().backward()
    d = max(float((a.grad - b.grad).abs().max()) for a, b in zip(model.parameters(),
                                                                  ref.parameters(), strict=True))
    assert d < 1e-6, d
    return d


def comm_hooks():
    old = ddp_impl.DEFAULT_FIRST_BUCKET_BYTES
    ddp_impl.DEFAULT_FIRST_BUCKET_BYTES = 200
    try:
        x, y = batch(3)
        ref = build(5)
        ((ref(ember.from_numpy(x)) - ember.from_numpy(y)) ** 2).mean().backward()
        results = {}
        for name in ("default", "sum", "fp16"):
            model = build(5)
            ddp = DDP(model, bucket_cap_mb=0.0005)
            launches = []

            def hook(state, bucket, name=name, model=model, launches=launches):
                missing = sum(p.grad is None for p in model.parameters())
                launches.append((bucket.index(), missing, bucket.is_last()))
                assert bucket.buffer().numel() == sum(p.numel() for p in bucket.parameters())
                if name == "default":
                    return default_hooks.allreduce_hook(state, bucket)
                if name == "fp16":
                    return default_hooks.fp16_compress_hook(state, bucket)
                work = dist.all_reduce(bucket.buffer(), async_op=True)
                return work.get_future().then(lambda fut: fut.value()[0])

            ddp.register_comm_hook(None, hook)
            try:
                ddp.register_comm_hook(None, hook)
            except RuntimeError as exc:
                assert "can only be called once" in str(exc)
            else:
                raise AssertionError("second register_comm_hook accepted")
            for _ in range(2):  # the second iteration runs on the rebuilt buckets
                launches.clear()
                for p in model.parameters():
                    p.grad = None
                loss = ((ddp(ember.from_numpy(shard(x))) - ember.from_numpy(shard(y))) ** 2)
                loss.mean().backward()
            assert len(ddp._buckets) > 1
            # buckets launch in order, the first while earlier layers still lack gradients
            assert [i for i, _, _ in launches] == list(range(len(ddp._buckets))), launches
            assert launches[0][1] > 0, launches
            assert launches[-1][2] and not launches[0][2]
            scale = 2.0 if name == "sum" else 1.0
            tol = 2e-3 if name == "fp16" else 1e-6
            d = max(float((a.grad - b.grad * scale).abs().max())
                    for a, b in zip(model.parameters(), ref.parameters(), strict=True))
            assert d < tol, (name, d)
            results[name] = d
        return results
    finally:
        ddp_impl.DEFAULT_FIRST_BUCKET_BYTES = old


class Branchy(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ember.nn.Linear(4, 4)
        self.b = ember.nn.Linear(4, 4)
        self.c = ember.nn.Linear(4, 4)

    def forward(self, x, use_b):
        h = self.a(x)
        if use_b:
            h = self.b(h)
        return h


def unused_parameters():
    me = dist.get_rank()
    ember.manual_seed(3)
    model = Branchy()
    ddp = DDP(model, find_unused_parameters=True)
    x = ember.ones(2, 4) * (me + 1)
    for _ in range(2):
        for p in model.parameters():
            p.grad = None
        ddp(x, use_b=me == 0).sum().backward()
        assert model.c.weight.grad is None and model.c.bias.grad is None
        assert model.b.weight.grad is not None  # used on rank 0 only: averaged with zeros
    ember.manual_seed(3)
    solo = Branchy()
    solo(ember.ones(2, 4), use_b=True).sum().backward()
    d = float((model.b.weight.grad - solo.b.weight.grad / 2).abs().max())
    assert d < 1e-6, d
    strict = DDP(Branchy())
    strict(x, use_b=True).sum().backward()
    try:
        strict(x, use_b=True)
    except RuntimeError as exc:
        assert "Expected to have finished reduction in the prior iteration" in str(exc)
    else:
        raise AssertionError("unused parameters went unnoticed")
    return d


def sync_batchnorm_parity():
    me = dist.get_rank()
    rng = np.random.default_rng(1)
    out = {}
    for momentum, affine in ((0.1, True), (None, True), (0.3, False)):
        x = rng.standard_normal((8, 3, 4, 4))
        w = rng.standard_normal((8, 3, 4, 4))
        bn = ember.nn.SyncBatchNorm(3, momentum=momentum, affine=affine).double()
        tbn = torch.nn.BatchNorm2d(3, momentum=momentum, affine=affine).double()
        if affine:
            with ember.no_grad():
                bn.weight.copy_(ember.tensor([1.0, 2.0, 0.5], dtype=ember.float64))
                bn.bias.copy_(ember.tensor([0.1, -0.2, 0.3], dtype=ember.float64))
            with torch.no_grad():
                tbn.weight.copy_(torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64))
                tbn.bias.copy_(torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64))
        xe = ember.tensor(shard(x), requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        for _ in range(2):  # twice, for the running statistics
            ye = bn(xe)
            yt = tbn(xt)
        (ye * ember.tensor(shard(w))).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        diffs = [np.abs(ye.detach().numpy() - shard(yt.detach().numpy())).max(),
                 np.abs(xe.grad.numpy() - shard(xt.grad.numpy())).max(),
                 np.abs(bn.running_mean.numpy() - tbn.running_mean.numpy()).max(),
                 np.abs(bn.running_var.numpy() - tbn.running_var.numpy()).max()]
        if affine:
            gw = bn.weight.grad.clone()
            gb = bn.bias.grad.clone()
            dist.all_reduce(gw)
            dist.all_reduce(gb)
            diffs += [np.abs(gw.numpy() - tbn.weight.grad.numpy()).max(),
                      np.abs(gb.numpy() - tbn.bias.grad.numpy()).max()]
        assert max(diffs) < 1e-10, (momentum, affine, diffs)
        out[f"{momentum}-{affine}"] = float(max(diffs))
    bn.eval()
    ye = bn(ember.tensor(shard(x)))
    tbn.eval()
    assert np.abs(ye.numpy() - shard(tbn(torch.tensor(x)).detach().numpy())).max() < 1e-10
    assert me in (0, 1)
    return out


def sync_batchnorm_in_ddp():
    rng = np.random.default_rng(2)
    ember.manual_seed(11)
    net = ember.nn.Sequential(ember.nn.Linear(5, 6), ember.nn.BatchNorm1d(6), ember.nn.ReLU(),
                              ember.nn.Linear(6, 2)).double()
    tnet = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                               torch.nn.Linear(6, 2)).double()
    with torch.no_grad():
        for tp, ep in zip(tnet.parameters(), net.parameters(), strict=True):
            tp.copy_(torch.from_numpy(ep.detach().numpy().copy()))
    net = ember.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(net[1]).__name__ == "SyncBatchNorm"
    ddp = DDP(net)
    for _ in range(3):
        x = rng.standard_normal((8, 5))
        y = rng.standard_normal((8, 2))
        ((ddp(ember.tensor(shard(x))) - ember.tensor(shard(y))) ** 2).mean().backward()
        sgd(net.parameters())
        ((tnet(torch.tensor(x)) - torch.tensor(y)) ** 2).mean().backward()
        torch_sgd(tnet.parameters())
    d = max_diff(net.parameters(), list(tnet.parameters()))
    d_stats = float(np.abs(net[1].running_var.numpy() - tnet[1].running_var.numpy()).max())
    assert d < 1e-10 and d_stats < 1e-10, (d, d_stats)
    return d


class WithBuffer(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = ember.nn.Linear(2, 2)
        self.register_buffer("scale", ember.ones(2))

    def forward(self, x):
        return self.lin(x) * self.scale


def buffers_follow_rank_0():
    me = dist.get_rank()
    model = WithBuffer()
    with ember.no_grad():
        model.scale.fill_(1.0 + me)
        model.lin.weight.fill_(0.5 + me)
    ddp = DDP(model)  # construction: rank 0's parameters and buffers everywhere
    assert model.scale.tolist() == [1.0, 1.0] and model.lin.weight.tolist()[0] == [0.5, 0.5]
    model.scale.fill_(3.0 + me)  # drift: broadcast again before each forward
    ddp(ember.ones(1, 2)).sum().backward()
    assert model.scale.tolist() == [3.0, 3.0]
    quiet = DDP(WithBuffer(), broadcast_buffers=False)
    quiet.module.scale.fill_(5.0 + me)
    quiet(ember.ones(1, 2)).sum().backward()
    assert quiet.module.scale.tolist() == [5.0 + me] * 2
    return model.scale.tolist()


run({"buffers_follow_rank_0": buffers_follow_rank_0, "ddp_parity": ddp_parity,
     "no_sync_accumulation": no_sync_accumulation,
     "comm_hooks": comm_hooks, "unused_parameters": unused_parameters,
     "sync_batchnorm_parity": sync_batchnorm_parity,
     "sync_batchnorm_in_ddp": sync_batchnorm_in_ddp, "torch_ddp_parity": torch_ddp_parity})
