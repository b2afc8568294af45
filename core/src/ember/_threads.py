"""Thread counts: one setting for the BLAS under numpy and the backends' kernel pools."""

from __future__ import annotations

import os

_STATE = {"n": None}


def get_num_threads() -> int:
    """The number of threads ops may use (default: the number of cores)."""
    n = _STATE["n"]
    return n if n is not None else (os.cpu_count() or 1)


def requested_num_threads() -> int | None:
    """The count given to :func:`set_num_threads`, or ``None`` when it was never called
    (backends loaded later apply it; until then each library keeps its own default)."""
    return _STATE["n"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS (through threadpoolctl) and in the kernels' OpenMP
    pools (each backend reads :func:`get_num_threads`)."""
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _STATE["n"] = int(n)
    try:
        from threadpoolctl import threadpool_limits

        global _LIMITER
        _LIMITER = threadpool_limits(limits=int(n))
    except ImportError:  # threadpoolctl is a dependency; keep working without it
        pass
    from ._dispatch import _TABLES

    for table in _TABLES.values():
        hook = getattr(table, "set_num_threads", None)
        if hook is not None:
            hook(int(n))


_LIMITER = None
