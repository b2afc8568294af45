"""``python -m ember_distributed.bootstrap``: the first code each worker runs.

Started by ``mpiexec`` (through ``ember_distributed.run``), it turns the MPI launcher's rank
variables into torchrun's (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` when not already set)
and then runs the target in this process, as ``__main__``:

    python -m ember_distributed.bootstrap --script train.py --lr 0.1
    python -m ember_distributed.bootstrap --module mypkg.train
    python -m ember_distributed.bootstrap --no-python ./a.out
"""

from __future__ import annotations

import os
import runpy
import sys

__all__ = ["launcher_rank", "set_rank_environment", "main"]

_RANK_KEYS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
_SIZE_KEYS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")
_LOCAL_KEYS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK")


def _first(keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if key in os.environ:
            return os.environ[key]
    return None


def launcher_rank() -> tuple[int, int]:
    """(rank, size) from the MPI launcher's environment; (0, 1) without one."""
    rank, size = _first(_RANK_KEYS), _first(_SIZE_KEYS)
    return int(rank or 0), int(size or 1)


def set_rank_environment() -> None:
    """Set RANK, LOCAL_RANK and WORLD_SIZE (and defaults for MASTER_*) from the launcher."""
    rank, size = launcher_rank()
    os.environ["RANK"] = str(rank)
    os.environ["LOCAL_RANK"] = _first(_LOCAL_KEYS) or str(rank)
    os.environ["WORLD_SIZE"] = str(size)
    os.environ.setdefault("LOCAL_WORLD_SIZE", str(size))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")


def main(argv: list[str] | None = None) -> None:
    """Run the target named by ``argv`` (``--script|--module|--no-python target args``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] not in ("--script", "--module", "--no-python"):
        raise SystemExit("usage: python -m ember_distributed.bootstrap "
                         "(--script|--module|--no-python) TARGET [ARGS...]")
    mode, target, rest = argv[0], argv[1], argv[2:]
    set_rank_environment()
    if mode == "--no-python":
        os.execvp(target, [target, *rest])
    sys.argv = [target, *rest]
    if mode == "--module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
