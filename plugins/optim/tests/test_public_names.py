"""The public names stay where users import them from, and every ``>>>`` example runs.

``ember_optim.lr_scheduler`` is a package of private modules by scheduler family; these
tests pin the surface it had as a single module, and compare the scheduler names with
torch's ``torch.optim.lr_scheduler``.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember_optim  # noqa: E402
import ember_optim.lr_scheduler as lr_scheduler  # noqa: E402

SCHEDULERS = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
              "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
              "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ChainedScheduler",
              "SequentialLR", "ReduceLROnPlateau"]

# ``sorted(n for n in dir(lr_scheduler) if not n.startswith("_"))`` of the single-module
# version: the schedulers, EPOCH_DEPRECATION_WARNING, and the names it imported.
PUBLIC_NAMES = ["Any", "Callable", "ChainedScheduler", "ConstantLR", "CosineAnnealingLR",
                "CosineAnnealingWarmRestarts", "Counter", "CyclicLR",
                "EPOCH_DEPRECATION_WARNING", "ExponentialLR", "Iterable", "LRScheduler",
                "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
                "Optimizer", "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
                "Tensor", "annotations", "bisect_right", "math", "ref", "types", "warnings",
                "wraps"]

OPTIMIZERS = {"Optimizer": "optimizer", "SGD": "sgd", "Adam": "adam", "AdamW": "adam",
              "Adamax": "adamax", "NAdam": "nadam", "RAdam": "radam", "RMSprop": "rmsprop",
              "Adagrad": "adagrad", "Adadelta": "adadelta", "LBFGS": "lbfgs", "Rprop": "rprop",
              "ASGD": "asgd"}


def test_scheduler_names_resolve_to_the_same_classes() -> None:
    for name in SCHEDULERS:
        cls = getattr(lr_scheduler, name)
        assert getattr(ember.optim.lr_scheduler, name) is cls
        assert getattr(torch.optim.lr_scheduler, name).__name__ == cls.__name__
    assert sorted(lr_scheduler.__all__) == sorted(SCHEDULERS)
    assert set(lr_scheduler.__all__) <= set(torch.optim.lr_scheduler.__all__)
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
    assert lr_scheduler.Optimizer is ember.optim.Optimizer
    want = torch.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING
    assert lr_scheduler.EPOCH_DEPRECATION_WARNING == want


def test_scheduler_module_exposes_the_names_it_had() -> None:
    assert sorted(n for n in dir(ember.optim.lr_scheduler) if not n.startswith("_")) == (
        PUBLIC_NAMES)


def test_optimizer_names_resolve_to_their_modules() -> None:
    for name, module in OPTIMIZERS.items():
        cls = getattr(importlib.import_module(f"ember_optim.{module}"), name)
        assert getattr(ember.optim, name) is cls is getattr(ember_optim, name)
        assert issubclass(cls, ember.optim.Optimizer)
        assert hasattr(torch.optim, name)


def _modules_with_examples() -> list[str]:
    """The modules of ember_optim (but the training example) whose docstrings hold ``>>>``."""
    names = []
    for info in pkgutil.walk_packages(ember_optim.__path__, "ember_optim."):
        module = importlib.import_module(info.name)
        if ".examples" not in info.name and ">>>" in inspect.getsource(module):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"no doctest examples found in {name}"
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
