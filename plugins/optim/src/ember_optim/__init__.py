"""ember-optim: torch's optimizers and learning-rate schedulers for ember.

Installed, it provides ``ember.optim.SGD``, ``ember.optim.Adam``, ... and
``ember.optim.lr_scheduler``; the classes can also be imported from here.
"""

from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__version__ = "0.1.0"

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop",
           "Adagrad", "Adadelta", "LBFGS", "Rprop", "ASGD", "lr_scheduler"]
