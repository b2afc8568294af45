"""Each scheduler gives torch's lr sequence; state dicts and errors match torch."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402


def _flat(seq: Any) -> list[float]:
    """Nested lists/tuples of numbers as one flat list (pytest.approx is not nested)."""
    if isinstance(seq, (list, tuple)):
        return [x for item in seq for x in _flat(item)]
    return [float(seq)]


def _opt(lib: Any, name: str = "SGD", groups: int = 1, **kw: Any) -> Any:
    params = [{"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    kw.setdefault("momentum", 0.9) if name == "SGD" else None
    return getattr(lib.optim, name)(params, lr=0.1, **kw)


SCHEDULERS: dict[str, Any] = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (e + 1)),
    "LambdaLR-list": lambda m, o: m.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1.0 + e]),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=4),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=16),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=[1.0, 2.0], epochs=4, steps_per_epoch=4, anneal_strategy="linear",
        three_phase=True),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3),
            m.CosineAnnealingLR(o, T_max=5)], milestones=[4]),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=3,
                                        step_size_down=2),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                  mode="exp_range", gamma=0.9,
                                                  cycle_momentum=False),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=2), m.ExponentialLR(o, gamma=0.9)]),
}


def _sequence(lib: Any, name: str, steps: int = 15, opt_name: str = "SGD") -> list[Any]:
    opt = _opt(lib, opt_name, groups=2)
    sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
    out = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        out.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
    return out


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_lr_sequence_matches_torch(name: str) -> None:
    want = _sequence(torch, name)
    got = _sequence(ember, name)
    assert _flat(got) == pytest.approx(_flat(want), rel=1e-12, abs=1e-15)


def test_one_cycle_with_adam_cycles_beta1() -> None:
    want = _sequence(torch, "OneCycleLR", opt_name="Adam")
    got = _sequence(ember, "OneCycleLR", opt_name="Adam")
    assert _flat(got) == pytest.approx(_flat(want), rel=1e-12)


def test_reduce_lr_on_plateau_matches_torch() -> None:
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7]
    seqs = []
    for lib in (torch, ember):
        opt = _opt(lib, groups=2)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5,
                                                         cooldown=1, min_lr=[0.0, 0.06])
        seq = []
        for m in metrics:
            sched.step(m)
            seq.append(list(sched.get_last_lr()))
        seqs.append(seq)
    assert _flat(seqs[1]) == pytest.approx(_flat(seqs[0]))


def test_reduce_lr_on_plateau_max_abs_mode() -> None:
    seqs = []
    for lib in (torch, ember):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0,
                                                         threshold=0.1, threshold_mode="abs")
        seqs.append([(sched.step(m), sched.get_last_lr()[0])[1]
                     for m in [0.5, 0.55, 0.7, 0.75, 0.9]])
    assert seqs[1] == pytest.approx(seqs[0])


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "SequentialLR", "OneCycleLR",
                                  "MultiStepLR", "CyclicLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_roundtrip_continues(name: str) -> None:
    opt = _opt(ember, groups=2)
    sched = SCHEDULERS[name](ember.optim.lr_scheduler, opt)
    for _ in range(5):
        opt.step()
        sched.step()
    buf = io.BytesIO()
    ember.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    rest = []
    for _ in range(6):
        opt.step()
        sched.step()
        rest.append(sched.get_last_lr())
    buf.seek(0)
    saved = ember.load(buf)
    opt2 = _opt(ember, groups=2)
    sched2 = SCHEDULERS[name](ember.optim.lr_scheduler, opt2)
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    rest2 = []
    for _ in range(6):
        opt2.step()
        sched2.step()
        rest2.append(sched2.get_last_lr())
    assert _flat(rest2) == pytest.approx(_flat(rest), rel=1e-12)


def test_state_dict_keys_match_torch() -> None:
    t = torch.optim.lr_scheduler.StepLR(_opt(torch), step_size=2)
    e = ember.optim.lr_scheduler.StepLR(_opt(ember), step_size=2)
    assert set(e.state_dict()) == set(t.state_dict())


def test_warning_when_scheduler_steps_first() -> None:
    for lib in (torch, ember):
        sched = lib.optim.lr_scheduler.StepLR(_opt(lib), step_size=2)
        with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` "
                                             "before `optimizer.step\\(\\)`"):
            sched.step()


def test_get_lr_outside_step_warns() -> None:
    sched = ember.optim.lr_scheduler.StepLR(_opt(ember), step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_warm_restarts_fractional_epochs_match_torch() -> None:
    seqs = []
    for lib in (torch, ember):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        seq = []
        for epoch in range(6):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                seq.append(sched.get_last_lr()[0])
        seqs.append(seq)
    assert seqs[1] == pytest.approx(seqs[0], rel=1e-12)


def test_epoch_argument_uses_closed_form() -> None:
    vals = []
    for lib in (torch, ember):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter"):
            sched.step(7)
        vals.append(sched.get_last_lr()[0])
    assert vals[1] == pytest.approx(vals[0])
    assert vals[1] == pytest.approx(0.05 * (1 + math.cos(math.pi * 0.7)))


@pytest.mark.parametrize("make,exc,match", [
    (lambda m, o: m.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative"),
    (lambda m, o: m.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative"),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0), ValueError, "You must define either"),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=2.0), ValueError,
     "Expected float between 0 and 1 pct_start"),
    (lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda m, o: m.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown!"),
    (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], milestones=[3]), ValueError,
     "Sequential Schedulers expects number of schedulers"),
    (lambda m, o: m.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]), ValueError,
     "Expected 1 lr_lambdas, but got 2"),
    (lambda m, o: m.StepLR(o, 2, last_epoch=3), KeyError, "param 'initial_lr' is not "
     "specified"),
    (lambda m, o: m.StepLR(object(), 2), TypeError, "object is not an Optimizer"),
])
def test_errors_match_torch(make: Any, exc: type, match: str) -> None:
    for lib in (torch, ember):
        with pytest.raises(exc, match=match):
            make(lib.optim.lr_scheduler, _opt(lib))
