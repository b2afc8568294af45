"""Several invalid arguments at once raise torch's first error; the checks schedulers share
(inner schedulers, cycled momentum, the optimizer type) give torch's exceptions."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402


def _error(make: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


@pytest.mark.parametrize("name,kwargs", [
    ("Adam", {"eps": -1.0, "weight_decay": -1.0, "betas": (2.0, 2.0)}),
    ("Adam", {"betas": (2.0, 2.0), "weight_decay": -1.0}),
    ("AdamW", {"lr": -1.0, "eps": -1.0}),
    ("Adamax", {"betas": (0.9, 1.0), "weight_decay": -1.0}),
    ("RAdam", {"eps": -1.0, "betas": (0.9, 1.0)}),
    ("NAdam", {"weight_decay": -1.0, "momentum_decay": -1.0}),
    ("RMSprop", {"alpha": -1.0, "momentum": -1.0, "weight_decay": -1.0}),
    ("RMSprop", {"eps": -1.0, "momentum": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0, "eps": -1.0}),
    ("Adagrad", {"weight_decay": -1.0, "lr_decay": -1.0}),
    ("Adadelta", {"eps": -1.0, "weight_decay": -1.0}),
    ("Adadelta", {"rho": 2.0, "eps": -1.0}),
    ("ASGD", {"lr": -1.0, "weight_decay": -1.0}),
])
def test_first_invalid_argument_reported_like_torch(name: str, kwargs: dict[str, Any]) -> None:
    want = _error(lambda: getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))],
                                                     **kwargs))
    got = _error(lambda: getattr(ember.optim, name)([ember.nn.Parameter(ember.ones(1))],
                                                    **kwargs))
    assert got == want


def _sgd(lib: Any) -> Any:
    return lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1, momentum=0.9)


def _adagrad(lib: Any) -> Any:
    return lib.optim.Adagrad([lib.nn.Parameter(lib.zeros(2))])


@pytest.mark.parametrize("make", [
    lambda lib, m, o: m.ChainedScheduler([m.StepLR(o, 2), m.ReduceLROnPlateau(o)]),
    lambda lib, m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], [2]),
    lambda lib, m, o: m.ChainedScheduler([m.StepLR(o, 2), object()]),
    lambda lib, m, o: m.SequentialLR(o, [object()], []),
    lambda lib, m, o: m.ChainedScheduler([m.StepLR(o, 2), m.StepLR(_sgd(lib), 2)]),
    lambda lib, m, o: m.SequentialLR(o, [m.StepLR(_sgd(lib), 2)], []),
    lambda lib, m, o: m.MultiplicativeLR(o, [lambda e: 1.0, lambda e: 0.5]),
    lambda lib, m, o: m.CyclicLR(_adagrad(lib), 0.1, 1.0),
    lambda lib, m, o: m.OneCycleLR(_adagrad(lib), 1.0, total_steps=10),
    lambda lib, m, o: m.CyclicLR(o, 0.1, 1.0, base_momentum=[0.8, 0.8], max_momentum=[0.9] * 3),
    lambda lib, m, o: m.OneCycleLR(o, 1.0, total_steps=10, base_momentum=[0.8, 0.8],
                                   max_momentum=[0.9] * 3),
    lambda lib, m, o: m.CyclicLR(object(), 0.1, 1.0),
    lambda lib, m, o: m.OneCycleLR(object(), 1.0, total_steps=10),
    lambda lib, m, o: m.ReduceLROnPlateau(object()),
])
def test_scheduler_errors_match_torch(make: Any) -> None:
    want = _error(lambda: make(torch, torch.optim.lr_scheduler, _sgd(torch)))
    got = _error(lambda: make(ember, ember.optim.lr_scheduler, _sgd(ember)))
    assert got == want
