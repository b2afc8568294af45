"""ember-npdev, a third-party backend with only the primitive set, against the contract,
the conformance suite and torch (every installed layer family runs through composites)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember.primitives import PRIMITIVES

torch = pytest.importorskip("torch")

DEVICE = "npdev"


def test_kernels_are_exactly_the_primitive_set() -> None:
    from ember_npdev.kernels import KERNELS

    assert set(KERNELS) == set(PRIMITIVES)


def test_dispatch_table_has_no_fused_kernels() -> None:
    from ember._dispatch import table_for

    table = table_for(ember.device(DEVICE))
    assert table.fused == frozenset()
    assert table.distribution == "ember-npdev"
    assert table.softmax is None  # a fused op name resolves to "use the composite"


def test_arrays_are_wrapped() -> None:
    from ember_npdev.kernels import NpArray

    t = ember.ones(2, 3, device=DEVICE)
    assert type(t._data) is NpArray
    assert t.device == ember.device(DEVICE)


def test_conformance_suite_passes(tmp_path) -> None:
    report_path = tmp_path / "npdev.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
         "ember_testing.conformance", f"--ember-device={DEVICE}",
         f"--ember-report={report_path}"], capture_output=True, text=True, timeout=900)
    assert report_path.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["device"] == DEVICE
    assert report["backend"]["distribution"] == "ember-npdev"
    levels = report["levels"]
    for level in ("runtime", "primitives", "gradients"):
        assert levels[level]["status"] == "available"
        assert levels[level]["pass_rate"] == 1.0, report["failures"]
    for level in ("modules", "training"):
        if levels[level]["status"] == "available":
            assert levels[level]["pass_rate"] == 1.0, report["failures"]
        else:
            assert levels[level]["reason"]
    assert proc.returncode == 0, proc.stdout[-3000:]


# ------------------------------------------------------------------ layer families
def _has(dotted: str) -> bool:
    obj = ember
    try:
        for part in dotted.split("."):
            obj = getattr(obj, part)
    except Exception:
        return False
    return True


def _f(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# name: (public class, constructor args, kwargs, inputs as numpy arrays)
CASES = {
    "Linear": ("nn.Linear", (5, 4), {}, (_f(3, 5),)),
    "Bilinear": ("nn.Bilinear", (3, 4, 2), {}, (_f(5, 3), _f(5, 4, seed=1))),
    "LayerNorm": ("nn.LayerNorm", (5,), {}, (_f(3, 5),)),
    "BatchNorm1d": ("nn.BatchNorm1d", (5,), {}, (_f(6, 5),)),
    "GELU": ("nn.GELU", (), {}, (_f(3, 5),)),
    "Softmax": ("nn.Softmax", (), {"dim": -1}, (_f(3, 5),)),
    "LogSoftmax": ("nn.LogSoftmax", (), {"dim": 1}, (_f(3, 5),)),
    "Embedding": ("nn.Embedding", (10, 4), {}, (np.array([[1, 2], [9, 1]], np.int64),)),
    "Conv2d": ("nn.Conv2d", (3, 4, 3), {"padding": 1}, (_f(2, 3, 6, 6),)),
    "Conv1d": ("nn.Conv1d", (2, 3, 3), {"stride": 2}, (_f(2, 2, 9),)),
    "ConvTranspose2d": ("nn.ConvTranspose2d", (3, 2, 3), {"stride": 2}, (_f(1, 3, 4, 4),)),
    "MaxPool2d": ("nn.MaxPool2d", (2,), {}, (_f(2, 3, 6, 6),)),
    "AvgPool2d": ("nn.AvgPool2d", (2,), {}, (_f(2, 3, 6, 6),)),
    "LSTM": ("nn.LSTM", (4, 3), {"batch_first": True}, (_f(2, 5, 4),)),
    "GRU": ("nn.GRU", (4, 3), {}, (_f(5, 2, 4),)),
    "MultiheadAttention": ("nn.MultiheadAttention", (8, 2), {"batch_first": True},
                           (_f(2, 3, 8), _f(2, 4, 8, seed=1), _f(2, 4, 8, seed=2))),
    "TransformerEncoderLayer": ("nn.TransformerEncoderLayer", (8, 2),
                                {"dim_feedforward": 16, "dropout": 0.0, "batch_first": True},
                                (_f(2, 3, 8),)),
    "MSELoss": ("nn.MSELoss", (), {}, (_f(3, 4), _f(3, 4, seed=1))),
    "CrossEntropyLoss": ("nn.CrossEntropyLoss", (), {}, (_f(4, 5), np.array([0, 4, 2, 1]))),
}
INSTALLED = sorted(name for name, case in CASES.items() if _has(case[0]))


def _build(lib, case):
    dotted, args, kwargs, _ = case
    cls = lib
    for part in dotted.split("."):
        cls = getattr(cls, part)
    return cls(*args, **kwargs)


def _outputs(out):
    if isinstance(out, (tuple, list)):
        items = []
        for o in out:
            items.extend(_outputs(o))
        return items
    return [out] if out is not None else []


def test_some_layer_family_is_installed() -> None:
    assert "Linear" in INSTALLED, "ember-layers is needed for the layer checks"


@pytest.mark.parametrize("name", INSTALLED)
def test_layer_runs_on_npdev_like_torch(name: str) -> None:
    case = CASES[name]
    torch.manual_seed(0)
    ref = _build(torch, case)
    mod = _build(ember, case)
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in ref.state_dict().items()}
    mod.load_state_dict(state)
    mod = mod.to(DEVICE)
    t_in, e_in = [], []
    for arr in case[3]:
        grad = arr.dtype.kind == "f"
        t_in.append(torch.tensor(arr, requires_grad=grad))
        e_in.append(ember.tensor(arr, device=DEVICE, requires_grad=grad))
    t_outs = _outputs(ref(*t_in))
    e_outs = _outputs(mod(*e_in))
    assert len(t_outs) == len(e_outs)
    for t, e in zip(t_outs, e_outs):
        assert e.device == ember.device(DEVICE)
        np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
    t_loss = sum((o * o).sum() for o in t_outs if o.requires_grad)
    e_loss = sum((o * o).sum() for o in e_outs if o.requires_grad)
    t_loss.backward()
    e_loss.backward()
    for (pname, tp), ep in zip(ref.named_parameters(), mod.parameters()):
        assert ep.grad is not None, pname
        assert ep.grad.device == ember.device(DEVICE)
        np.testing.assert_allclose(ep.grad.cpu().numpy(), tp.grad.numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=pname)
    for t, e in zip(t_in, e_in):
        if t.requires_grad:
            np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-3,
                                       atol=1e-4)
