"""ember against torch, side by side, in one process.

Each workload is built twice from the same seeds and shapes, once with torch and once with
ember, then timed in interleaved rounds (torch, ember, torch, ember, ...) after a warm-up,
so both see the same machine state. The report gives the median time of each, the spread
(interquartile range), the ratio ember/torch and the geometric mean of the ratios.

Usage::

    python benchmarks/run.py                 # every workload the installed plugins support
    python benchmarks/run.py --quick         # fewer rounds
    python benchmarks/run.py --only mlp,conv --threads 2
    python benchmarks/run.py --json out.json --markdown out.md --profile prof.txt

Workloads whose plugins are missing are skipped with the reason.

Both libraries' OpenMP pools are told to sleep when idle (``OMP_WAIT_POLICY=PASSIVE``, set
here before either library loads unless the environment sets a policy): in interleaved
rounds a pool that keeps spinning after its own turn takes the cores from the other
library's turn, and the ratios then measure the spinning, not the work.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch or ember load OpenMP

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from workloads import WORKLOADS, Skip  # noqa: E402


@dataclass
class Result:
    name: str
    description: str
    torch_s: list[float] = field(default_factory=list)
    ember_s: list[float] = field(default_factory=list)
    skipped: str | None = None

    @property
    def ratio(self) -> float:
        return statistics.median(self.ember_s) / statistics.median(self.torch_s)

    def row(self) -> dict[str, Any]:
        if self.skipped:
            return {"name": self.name, "description": self.description, "skipped": self.skipped}
        return {
            "name": self.name, "description": self.description,
            "torch_median_s": statistics.median(self.torch_s),
            "ember_median_s": statistics.median(self.ember_s),
            "torch_iqr_s": _iqr(self.torch_s), "ember_iqr_s": _iqr(self.ember_s),
            "ratio": self.ratio, "rounds": len(self.ember_s),
        }


def _iqr(xs: list[float]) -> float:
    if len(xs) < 4:
        return max(xs) - min(xs)
    q = statistics.quantiles(xs, n=4)
    return q[2] - q[0]


def _time(fn: Callable[[], Any], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def run_workload(name: str, spec: Any, rounds: int, warmup: int) -> Result:
    res = Result(name, spec.description)
    try:
        torch_fn, ember_fn, inner = spec.build()
    except Skip as why:
        res.skipped = str(why)
        return res
    for _ in range(warmup):
        torch_fn()
        ember_fn()
    for _ in range(rounds):
        res.torch_s.append(_time(torch_fn, inner))
        res.ember_s.append(_time(ember_fn, inner))
    return res


def import_time(repeats: int) -> Result:
    """Fresh-interpreter ``import ember`` against ``import torch`` (with every plugin)."""
    res = Result("import", "fresh `import ember` vs `import torch` (all plugins installed)")
    code = "import time; t=time.perf_counter(); import {m}; print(time.perf_counter()-t)"
    for _ in range(repeats):
        for mod, bucket in (("torch", res.torch_s), ("ember", res.ember_s)):
            out = subprocess.run([sys.executable, "-c", code.format(m=mod)], check=True,
                                 capture_output=True, text=True)
            bucket.append(float(out.stdout.strip()))
    return res


def profile_workload(spec: Any, path: str, reps: int = 5) -> list[str]:
    """cProfile the ember side of ``spec``; write the top functions to ``path`` and return
    the three largest costs by total time."""
    _, ember_fn, _ = spec.build()
    ember_fn()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(reps):
        ember_fn()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("tottime")
    stats.print_stats(25)
    with open(path, "w") as fh:
        fh.write(f"# cProfile of the ember side of '{spec.description}', {reps} steps\n")
        fh.write(buf.getvalue())
    top = []
    for func, (_cc, _nc, tt, _ct, _callers) in sorted(stats.stats.items(),  # type: ignore[attr-defined]
                                                       key=lambda kv: -kv[1][2])[:3]:
        top.append(f"{func[2]} ({os.path.basename(func[0])}:{func[1]}): {tt / reps * 1e3:.2f} ms "
                   "per step")
    return top


def markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = [f"Machine: {meta['machine']}; threads: {meta['threads']}; "
             f"torch {meta['torch']}; ember {meta['ember']}; {meta['date']}", "",
             "| workload | torch (median) | ember (median) | ember/torch |",
             "| --- | ---: | ---: | ---: |"]
    for r in results:
        if r.skipped:
            lines.append(f"| {r.description} | - | - | skipped: {r.skipped} |")
            continue
        lines.append(f"| {r.description} | {_fmt(statistics.median(r.torch_s))} | "
                     f"{_fmt(statistics.median(r.ember_s))} | {r.ratio:.2f}x |")
    ratios = [r.ratio for r in results if not r.skipped]
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        lines.append(f"| **geometric mean** | | | **{geo:.2f}x** |")
    return "\n".join(lines) + "\n"


def _fmt(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.2f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="3 rounds, 1 warm-up")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--markdown", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--profile", default=os.path.join(HERE, "results", "profile.txt"))
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup = 3, 1

    import torch

    import ember

    torch.set_num_threads(args.threads)
    ember.set_num_threads(args.threads)
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]
    results: list[Result] = []
    if not args.only or "import" in args.only.split(","):
        results.append(import_time(max(args.rounds, 3)))
        _print(results[-1])
    for name in names:
        results.append(run_workload(name, WORKLOADS[name], args.rounds, args.warmup))
        _print(results[-1])
    meta = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip() +
            f", {os.cpu_count()} cores", "threads": args.threads, "torch": torch.__version__,
            "ember": ember.__version__, "numpy": np.__version__,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    timed = [r for r in results if not r.skipped and r.name != "import"]
    slowest = max(timed, key=lambda r: r.ratio) if timed else None
    top: list[str] = []
    if slowest is not None and args.profile:
        os.makedirs(os.path.dirname(args.profile), exist_ok=True)
        top = profile_workload(WORKLOADS[slowest.name], args.profile)
        meta["profiled"] = {"workload": slowest.name, "largest_costs": top}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump({"meta": meta, "results": [r.row() for r in results]}, fh, indent=2)
    table = markdown(results, meta)
    if slowest is not None:
        table += (f"\nSlowest relative to torch: {slowest.description} "
                  f"({slowest.ratio:.2f}x). Largest costs:\n\n" +
                  "\n".join(f"1. {t}" for t in top) + "\n")
    with open(args.markdown, "w") as fh:
        fh.write(table)
    print()
    print(table)
    return 0


def _print(r: Result) -> None:
    if r.skipped:
        print(f"{r.name:>14}: skipped ({r.skipped})", flush=True)
    else:
        print(f"{r.name:>14}: torch {_fmt(statistics.median(r.torch_s))}  ember "
              f"{_fmt(statistics.median(r.ember_s))}  ratio {r.ratio:.2f}x", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
