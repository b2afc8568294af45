"""``ember.amp``: automatic mixed precision (``autocast``) and gradient scaling
(``GradScaler``)."""

from __future__ import annotations

from .autocast_mode import (
    autocast,
    custom_bwd,
    custom_fwd,
    get_autocast_dtype,
    is_autocast_available,
)
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "get_autocast_dtype",
           "is_autocast_available"]
