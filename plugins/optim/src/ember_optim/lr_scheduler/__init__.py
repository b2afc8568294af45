"""Learning-rate schedulers: adjust each parameter group's ``lr`` as training proceeds.

Call ``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per batch for
:class:`OneCycleLR`). Each scheduler's lr sequence is torch's, and its
``state_dict()`` holds plain values, so it can be saved with :func:`ember.save`.
"""

# The schedulers live in private modules by family: _base (LRScheduler and shared helpers),
# _lambda (LambdaLR, MultiplicativeLR), _decay (StepLR ... PolynomialLR), _cyclic (cosine
# annealing, CyclicLR, OneCycleLR), _chained (ChainedScheduler, SequentialLR) and _plateau
# (ReduceLROnPlateau). This file is the public surface.

from __future__ import annotations

# Names this module exposed when it was one file (torch's module exposes them as well);
# kept so that imports such as ``from ember.optim.lr_scheduler import Optimizer`` still work.
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from weakref import ref

from ember import Tensor

from ..optimizer import Optimizer
from ._base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from ._chained import ChainedScheduler, SequentialLR
from ._cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._decay import ConstantLR, ExponentialLR, LinearLR, MultiStepLR, PolynomialLR, StepLR
from ._lambda import LambdaLR, MultiplicativeLR
from ._plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ReduceLROnPlateau",
           "OneCycleLR", "MultiplicativeLR", "PolynomialLR", "ChainedScheduler",
           "CosineAnnealingWarmRestarts", "CyclicLR"]
