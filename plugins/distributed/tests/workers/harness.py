"""Shared by the worker scripts: join the process group, run named scenarios, record each
one's outcome in ``<out_dir>/rank<r>.json`` (rewritten after every scenario)."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import ember.distributed as dist


def run(scenarios: dict[str, Callable[[], object]]) -> None:
    """Run every scenario on this rank, in order, and write the results."""
    out_dir = Path(sys.argv[1])
    dist.init_process_group("mpi", timeout=timedelta(seconds=40))
    rank = dist.get_rank()
    results: dict[str, dict] = {}
    path = out_dir / f"rank{rank}.json"
    for name, fn in scenarios.items():
        try:
            results[name] = {"ok": True, "data": fn()}
        except Exception:
            results[name] = {"ok": False, "error": traceback.format_exc()}
        path.write_text(json.dumps(results))
        dist.barrier()
    dist.destroy_process_group()
