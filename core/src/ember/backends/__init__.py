"""``ember.backends``: the flags torch keeps for its compute libraries.

``cudnn``, ``cuda``, ``mps`` and ``cpu`` read and write like torch's. ember computes every
op in the tensor's own precision on its backends, so the flags that select faster,
less exact algorithms on NVIDIA hardware (TF32, cuDNN autotuning) are recorded and
validated as torch does and change no numbers.
"""

from __future__ import annotations

from . import cpu, cuda, cudnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mps"]


(cpu, cuda, cudnn, mps)  # noqa: B018
