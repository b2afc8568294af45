"""Run a worker script on several ranks through the launcher, under a hard timeout.

The workers write one JSON file per rank (``rank<r>.json``): scenario name -> ``{"ok":
bool, "error": traceback, "data": ...}``. A run that outlives its timeout is killed as a
whole process group, and the test fails with the output so far instead of hanging.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

WORKERS = Path(__file__).parent / "workers"


def run_workers(script: str, out_dir: Path, nproc: int = 2, timeout: float = 240.0,
                extra_env: dict[str, str] | None = None) -> tuple[int, str, list[dict]]:
    """Launch ``workers/<script>`` on ``nproc`` ranks; return (rc, output, results/rank)."""
    env = dict(os.environ)
    env.setdefault("EMBER_PLUGINS", "cpu,layers,distributed")
    env["EMBER_STRICT_PLUGINS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "ember_distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", str(WORKERS / script), str(out_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output = f"TIMED OUT after {timeout}s\n{output}"
        rc = -9
    else:
        rc = proc.returncode
    results = []
    for r in range(nproc):
        path = out_dir / f"rank{r}.json"
        results.append(json.loads(path.read_text()) if path.exists() else {})
    return rc, output, results


def check(results: list[dict], output: str, name: str) -> list:
    """Assert scenario ``name`` passed on every rank; return each rank's data."""
    data = []
    for r, res in enumerate(results):
        assert name in res, f"scenario {name} did not report on rank {r}:\n{output[-4000:]}"
        assert res[name]["ok"], f"rank {r}, {name}:\n{res[name]['error']}"
        data.append(res[name].get("data"))
    return data
