"""A few steps of the end-to-end example, then a resumed run from its checkpoint."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember_optim.examples import train_shapes  # noqa: E402


def test_draw_shapes_is_deterministic_and_balanced() -> None:
    a, la = train_shapes.draw_shapes(400, seed=3)
    b, lb = train_shapes.draw_shapes(400, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert a.shape == (400, 1, 28, 28) and a.dtype == np.float32
    counts = np.bincount(la, minlength=4)
    assert counts.min() > 70
    assert not np.array_equal(a, train_shapes.draw_shapes(400, seed=4)[0])


def test_short_run_then_resume(tmp_path: Any) -> None:
    args = ["--train-size", "256", "--test-size", "64", "--batch-size", "32",
            "--steps-per-epoch", "3", "--out-dir", str(tmp_path)]
    out = io.StringIO()
    acc = train_shapes.main(args + ["--epochs", "1"], out=out)
    text = out.getvalue()
    assert "epoch 1/1 [" in text and "3/3 loss" in text and "held-out acc" in text
    assert "final held-out accuracy" in text and 0.0 <= acc <= 1.0
    ckpt = ember.load(str(tmp_path / "checkpoint.pt"))
    assert ckpt["epoch"] == 1 and len(ckpt["history"]) == 3
    assert set(ckpt["model"]) >= {"0.weight", "0.bias", "7.weight", "9.bias"}
    assert ckpt["optimizer"]["state"][0]["step"].item() == 3.0

    out = io.StringIO()
    train_shapes.main(args + ["--epochs", "2", "--resume"], out=out)
    text = out.getvalue()
    assert "resumed from" in text and "after epoch 1" in text and "epoch 2/2 [" in text
    ckpt = ember.load(str(tmp_path / "checkpoint.pt"))
    assert ckpt["epoch"] == 2 and len(ckpt["history"]) == 6
    assert ckpt["optimizer"]["state"][0]["step"].item() == 6.0
    assert ckpt["scheduler"]["last_epoch"] == 2


def test_resume_matches_an_uninterrupted_run(tmp_path: Any) -> None:
    common = ["--train-size", "128", "--test-size", "32", "--batch-size", "32",
              "--steps-per-epoch", "2"]
    train_shapes.main(common + ["--epochs", "2", "--out-dir", str(tmp_path / "a")],
                      out=io.StringIO())
    train_shapes.main(common + ["--epochs", "1", "--out-dir", str(tmp_path / "b")],
                      out=io.StringIO())
    train_shapes.main(common + ["--epochs", "2", "--resume", "--out-dir", str(tmp_path / "b")],
                      out=io.StringIO())
    a = ember.load(str(tmp_path / "a" / "checkpoint.pt"))
    b = ember.load(str(tmp_path / "b" / "checkpoint.pt"))
    assert a["history"] == pytest.approx(b["history"], rel=1e-6)
    for key, value in a["model"].items():
        np.testing.assert_allclose(value.numpy(), b["model"][key].numpy(), rtol=1e-5,
                                   atol=1e-7)


def test_plot_is_skipped_silently_without_matplotlib(tmp_path: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import fail
    path = tmp_path / "curve.png"
    assert train_shapes.save_loss_curve([1.0, 0.5], str(path)) is False
    assert not path.exists()
