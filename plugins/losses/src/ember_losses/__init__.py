"""ember-losses: every torch.nn loss (functional forms and Modules) and
AdaptiveLogSoftmaxWithLoss, for ember."""

from __future__ import annotations

from .functional import *  # noqa: F403
from .functional import __all__ as _functional_all
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all

__version__ = "0.1.0"
__all__ = [*_functional_all, *_modules_all]
