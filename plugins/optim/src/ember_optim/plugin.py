"""Entry point of ember-optim: registers ``ember.optim.*`` and ``ember.optim.lr_scheduler``.

Imports nothing heavy: the optimizer modules are imported on first use of a name.
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

_CLASSES = {
    "Optimizer": "optimizer",
    "SGD": "sgd",
    "Adam": "adam",
    "AdamW": "adam",
    "Adamax": "adamax",
    "NAdam": "nadam",
    "RAdam": "radam",
    "RMSprop": "rmsprop",
    "Adagrad": "adagrad",
    "Adadelta": "adadelta",
    "LBFGS": "lbfgs",
    "Rprop": "rprop",
    "ASGD": "asgd",
}


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    """The optimizer classes under ``ember.optim`` and the ``lr_scheduler`` module."""
    entries = [NamespaceEntry(f"optim.{name}", f"ember_optim.{mod}:{name}")
               for name, mod in _CLASSES.items()]
    entries.append(NamespaceEntry("optim.lr_scheduler", "ember_optim.lr_scheduler"))
    entries.append(NamespaceEntry("optim.optimizer", "ember_optim.optimizer"))
    return entries
