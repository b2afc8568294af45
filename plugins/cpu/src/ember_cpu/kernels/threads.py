"""Thread counts of the C++ kernels' OpenMP pool.

``ember.set_num_threads(n)`` reaches the pool through the ``set_num_threads`` entry of the
kernel table. A forked child (a data-loading worker, say) runs the kernels on one thread:
GNU OpenMP cannot start a new team in the fork of a process whose team already ran, and a
parallel loop there would wait forever.
"""

from __future__ import annotations

import os

from ember._threads import requested_num_threads

from .. import _native


def set_num_threads(n: int) -> None:
    """Run the OpenMP parallel loops of the C++ kernels on ``n`` threads."""
    _native.set_num_threads(int(n))


def _single_threaded_child() -> None:
    _native.set_num_threads(1)


os.register_at_fork(after_in_child=_single_threaded_child)
if requested_num_threads() is not None:  # set before the kernels were loaded
    set_num_threads(requested_num_threads())

KERNELS = {"set_num_threads": set_num_threads}
