"""Hand numpy's BLAS to the C++ kernels.

ember-cpu links no BLAS: its convolution kernels call the ``cblas_sgemm``/``cblas_dgemm``
of the library numpy already loaded, found here once at import. Libraries differ in symbol
names (numpy's wheels bundle an OpenBLAS whose symbols carry a ``scipy_`` prefix and a
``64_`` suffix for 64-bit integers; other builds use plain CBLAS names). When none is
found, the kernels are told nothing and their Python callers keep numpy's ``matmul``.
"""

from __future__ import annotations

import ctypes
from typing import Any

from . import _native

# (sgemm, dgemm, 64-bit integers) symbol names, in the order they are tried.
_GEMM_NAMES = [
    ("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", True),
    ("cblas_sgemm64_", "cblas_dgemm64_", True),
    ("scipy_cblas_sgemm", "scipy_cblas_dgemm", False),
    ("cblas_sgemm", "cblas_dgemm", False),
]
# (set, get) of the library-wide thread count.
_THREAD_NAMES = [
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
]


def _address(lib: ctypes.CDLL, name: str) -> int:
    try:
        return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value or 0
    except AttributeError:
        return 0


def _numpy_blas_paths() -> list[str]:
    """Files of the BLAS libraries numpy loaded (via threadpoolctl, which inspects the
    process's loaded libraries)."""
    import numpy  # noqa: F401  (loads the BLAS)
    from threadpoolctl import threadpool_info

    return [info["filepath"] for info in threadpool_info() if info.get("user_api") == "blas"]


def find(paths: list[str]) -> dict[str, Any] | None:
    """The gemm and thread-count routines of the first library in ``paths`` that has them:
    ``{"sgemm", "dgemm", "ilp64", "set_threads", "get_threads", "path"}`` (addresses; the
    thread routines 0 when absent), or ``None``."""
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for sname, dname, ilp64 in _GEMM_NAMES:
            sgemm, dgemm = _address(lib, sname), _address(lib, dname)
            if sgemm and dgemm:
                set_threads = get_threads = 0
                for set_name, get_name in _THREAD_NAMES:
                    set_threads, get_threads = _address(lib, set_name), _address(lib, get_name)
                    if set_threads and get_threads:
                        break
                    set_threads = get_threads = 0
                return {"sgemm": sgemm, "dgemm": dgemm, "ilp64": ilp64,
                        "set_threads": set_threads, "get_threads": get_threads, "path": path}
    return None


def install() -> dict[str, Any] | None:
    """Find numpy's BLAS and hand it to the C++ kernels; returns what :func:`find` found."""
    try:
        found = find(_numpy_blas_paths())
    except Exception:  # no threadpoolctl information on this platform: stay on numpy
        found = None
    if found is not None:
        _native.set_blas(found["sgemm"], found["dgemm"], found["ilp64"], found["set_threads"],
                         found["get_threads"])
    return found


INFO = install()
