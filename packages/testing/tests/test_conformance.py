"""The conformance suite as a user runs it: ``pytest --pyargs ember_testing.conformance``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")


def _run(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
         "ember_testing.conformance", f"--ember-report={report}", *args],
        capture_output=True, text=True, timeout=900)
    assert report.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc, json.loads(report.read_text())


def test_cpu_passes_the_fast_levels(tmp_path) -> None:
    proc, report = _run(tmp_path, "--ember-device=cpu", "-k",
                        "runtime or primitive or test_modules or training or collectives")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert report["device"] == "cpu"
    assert report["backend"]["distribution"] == "ember-cpu"
    levels = report["levels"]
    for level in ("runtime", "primitives"):
        assert levels[level]["status"] == "available"
        assert levels[level]["pass_rate"] == 1.0
        assert levels[level]["passed"] == levels[level]["total"] > 0
    assert levels["gradients"]["status"] == "not run"
    coll = levels["collectives"]
    if coll["status"] == "not available":
        assert "ember.distributed" in coll["reason"]
    assert "ember conformance: device 'cpu'" in proc.stdout
    assert report["failures"] == []


def test_an_unknown_device_fails_the_runtime_level(tmp_path) -> None:
    proc, report = _run(tmp_path, "--ember-device=nosuchdevice", "-k", "runtime")
    assert proc.returncode != 0
    runtime = report["levels"]["runtime"]
    assert runtime["failed"] > 0 and runtime["pass_rate"] < 1.0
    assert any("no backend for device 'nosuchdevice'" in f["error"]
               for f in report["failures"])
    assert report["backend"]["distribution"] is None
