"""``python -m ember_distributed.run``: start one worker process per rank, like torchrun.

    python -m ember_distributed.run --nproc-per-node 2 train.py --epochs 3

Each worker gets torchrun's environment: ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``LOCAL_WORLD_SIZE``, ``GROUP_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``,
``TORCHELASTIC_RUN_ID``; ``init_process_group()`` then needs no arguments. The workers are
the processes of one MPI world, started with the ``mpiexec`` of the ``mpich`` wheel (or the
one named by ``$EMBER_MPIEXEC``), so the ``mpi`` engine connects them with no further
rendezvous. The launcher exits with the workers' worst exit code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

__all__ = ["get_args_parser", "find_mpiexec", "build_command", "main"]


def get_args_parser() -> argparse.ArgumentParser:
    """The launcher's argument parser (torchrun's main flags, dashes or underscores)."""
    p = argparse.ArgumentParser(prog="python -m ember_distributed.run",
                                description="Start one worker process per rank (torchrun's "
                                            "flags; the workers form one MPI world).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="workers on this node: an integer, 'cpu' (one per core), 'gpu' (one "
                        "per GPU) or 'auto'")
    p.add_argument("--nnodes", default="1", help="number of nodes (only 1, or 1:1, here)")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true",
                   help="single node; pick a free port for MASTER_PORT")
    p.add_argument("--rdzv-backend", "--rdzv_backend", default="static")
    p.add_argument("--rdzv-endpoint", "--rdzv_endpoint", default="")
    p.add_argument("--rdzv-id", "--rdzv_id", default="none")
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    p.add_argument("-m", "--module", action="store_true",
                   help="run the target as a module (python -m)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the target as an executable, not through python")
    p.add_argument("--run-path", "--run_path", action="store_true",
                   help="run the target script with runpy.run_path (the default here)")
    p.add_argument("training_script", help="the script (or module, or program) to run")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def find_mpiexec() -> str:
    """The mpiexec to start workers with: ``$EMBER_MPIEXEC``, the one next to this Python
    (the mpich wheel's), or the first on PATH.

    Raises:
        RuntimeError: none found (with the install hint).
    """
    override = os.environ.get("EMBER_MPIEXEC")
    if override:
        return override
    local = Path(sys.executable).parent / "mpiexec"
    if local.is_file():
        return str(local)
    found = shutil.which("mpiexec")
    if found is None:
        raise RuntimeError("ember_distributed.run needs mpiexec: pip install "
                           "'ember-distributed[mpi]' (mpi4py, mpich)")
    return found


def _nproc(value: str) -> int:
    if value == "gpu":
        import ember

        count = int(ember.cuda.device_count()) if ember.cuda.is_available() else 0
        if count == 0:
            raise ValueError("Cuda is not available.")
        return count
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"Unsupported nproc_per_node value: {value}") from None
    if n < 1:
        raise ValueError(f"nproc_per_node must be at least 1, got {n}")
    return n


def _nnodes(value: str) -> int:
    low, _, high = value.partition(":")
    if int(low) != 1 or int(high or low) != 1:
        raise ValueError(f"--nnodes={value}: ember_distributed.run starts workers on one node; "
                         "for several nodes run mpiexec with a host file over "
                         "`python -m ember_distributed.bootstrap script.py`")
    return 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The mpiexec command line and environment that start the workers of ``args``."""
    nproc = _nproc(str(args.nproc_per_node))
    _nnodes(str(args.nnodes))
    if args.node_rank != 0:
        raise ValueError(f"--node-rank={args.node_rank} with a single node; it must be 0")
    if args.module and args.no_python:
        raise ValueError("Don't use both the '--no-python' flag and the '--module' flag at "
                         "the same time.")
    addr, port = args.master_addr, args.master_port
    if args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = host or addr, int(p) if p else port
    if args.standalone:
        addr, port = "127.0.0.1", _free_port()
    env = dict(os.environ)
    env.update({"MASTER_ADDR": str(addr), "MASTER_PORT": str(port),
                "WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc),
                "GROUP_RANK": "0", "ROLE_RANK": "0", "ROLE_NAME": "default",
                "GROUP_WORLD_SIZE": "1", "ROLE_WORLD_SIZE": str(nproc),
                "TORCHELASTIC_RUN_ID": str(args.rdzv_id if args.rdzv_id != "none"
                                           else uuid.uuid4().hex),
                "TORCHELASTIC_RESTART_COUNT": "0",
                "TORCHELASTIC_MAX_RESTARTS": str(args.max_restarts),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    mode = "--no-python" if args.no_python else "--module" if args.module else "--script"
    cmd = [find_mpiexec(), "-n", str(nproc), sys.executable, "-m",
           "ember_distributed.bootstrap", mode, args.training_script,
           *args.training_script_args]
    return cmd, env


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the workers, and return their worst exit code."""
    args = get_args_parser().parse_args(argv)
    try:
        cmd, env = build_command(args)
    except (ValueError, RuntimeError) as exc:
        print(f"ember_distributed.run: error: {exc}", file=sys.stderr)
        return 2
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
