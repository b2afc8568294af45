"""Factories of the communication engines this plugin registers (``mpi``/``gloo``, ``nccl``).

``init_process_group`` calls ``factory(rank, world_size)`` with the rank and size the init
method asked for (-1 where it left them open); the factory checks them against the world it
can actually reach and returns an engine.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_mpi_engine", "make_nccl_engine"]


def make_mpi_engine(rank: int, world_size: int, **options: Any) -> Any:
    """An :class:`~ember_distributed._mpi.MPIEngine` over (a duplicate of) the MPI world.

    Raises:
        ValueError: ``rank``/``world_size`` differ from the MPI world's.
        RuntimeError: mpi4py is not installed.
    """
    from ._mpi import MPIEngine, _import_mpi

    MPI = _import_mpi()
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    if world_size not in (-1, size):
        raise ValueError(f"[ember.distributed] WORLD_SIZE={world_size} but this process's MPI "
                         f"world has {size} process(es): start the ranks with `python -m "
                         "ember_distributed.run --nproc-per-node N script.py` (or mpiexec)")
    if rank not in (-1, me):
        raise ValueError(f"[ember.distributed] RANK={rank} but this process is rank {me} of "
                         "its MPI world: let the launcher set RANK")
    return MPIEngine(world.Dup())


def make_nccl_engine(rank: int, world_size: int, **options: Any) -> Any:
    """An NCCL engine (cuda tensors); see :mod:`ember_distributed.nccl`."""
    from .nccl import NCCLEngine

    return NCCLEngine.create(rank, world_size)
