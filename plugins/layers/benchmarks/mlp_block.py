"""Linear -> LayerNorm -> GELU -> Linear at batch 256 x 1024 features, forward + backward,
ember against torch on the same machine in one run.

The two libraries' steps are interleaved (torch, ember, torch, ...) so that load from other
processes hits both alike; the reported figure is the median of the per-pair time ratios,
along with the ratio of the fastest steps.

    python plugins/layers/benchmarks/mlp_block.py [--steps 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import ember


def build(lib, d):
    return lib.nn.Sequential(lib.nn.Linear(d, d), lib.nn.LayerNorm(d), lib.nn.GELU(),
                             lib.nn.Linear(d, d))


def step(module, x):
    module.zero_grad()
    xin = x.detach().requires_grad_(True)
    out = module(xin)
    out.sum().backward()
    return out


def timed(module, x):
    t0 = time.perf_counter()
    step(module, x)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--features", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ember.set_num_threads(args.threads)
    x_np = np.random.default_rng(0).standard_normal((args.batch, args.features))
    x_np = x_np.astype(np.float32)
    tm, em = build(torch, args.features), build(ember, args.features)
    with ember.no_grad():
        for p, tp in zip(em.parameters(), tm.parameters(), strict=True):
            p.copy_(ember.tensor(tp.detach().numpy()))
    xt, xe = torch.tensor(x_np), ember.tensor(x_np)
    ot, oe = step(tm, xt), step(em, xe)
    diff = np.abs(oe.detach().numpy() - ot.detach().numpy()).max()
    gdiff = np.abs(em[0].weight.grad.numpy() - tm[0].weight.grad.numpy()).max()
    for _ in range(3):
        step(tm, xt)
        step(em, xe)
    t_times, e_times = [], []
    for _ in range(args.steps):
        t_times.append(timed(tm, xt))
        e_times.append(timed(em, xe))
    t_arr, e_arr = np.array(t_times), np.array(e_times)
    print(f"max |out diff| {diff:.2e}, max |grad diff| {gdiff:.2e}")
    print(f"torch: median {np.median(t_arr) * 1e3:.1f} ms, min {t_arr.min() * 1e3:.1f} ms")
    print(f"ember: median {np.median(e_arr) * 1e3:.1f} ms, min {e_arr.min() * 1e3:.1f} ms")
    print(f"ratio ember/torch: median of pairs {np.median(e_arr / t_arr):.2f}, "
          f"of minima {e_arr.min() / t_arr.min():.2f}")


if __name__ == "__main__":
    main()
