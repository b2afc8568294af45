"""A plugin whose module raises on import: ember survives it, reports it, and strict mode
makes it fatal.

Each check runs in a fresh interpreter. When ember-broken-plugin is installed (the
``broken`` tox environment) the installed distribution is used; otherwise the tests make it
visible to the child interpreter only, through a temporary ``.dist-info`` on PYTHONPATH, so
the shared environment never sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SRC = Path(__file__).resolve().parents[1] / "src"
MESSAGE = "ember_broken.plugin is broken on purpose"
DIST = "ember-broken-plugin"


def _installed() -> bool:
    try:
        metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables for a child interpreter that sees the broken plugin."""
    out = dict(os.environ)
    out.pop("EMBER_STRICT_PLUGINS", None)
    out.pop("EMBER_PLUGINS", None)
    out.pop("EMBER_DISABLE_PLUGINS", None)
    out.pop("EMBER_PLUGIN_AUTOLOAD", None)
    if _installed():
        return out
    site = tmp_path_factory.mktemp("broken_site")
    info = site / "ember_broken_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[ember.plugins]\nbroken = ember_broken.plugin\n")
    paths = [str(site), str(SRC)]
    if out.get("PYTHONPATH"):
        paths.append(out["PYTHONPATH"])
    out["PYTHONPATH"] = os.pathsep.join(paths)
    return out


def _run(code: str, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    child = dict(env, **extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child,
                          capture_output=True, text=True, timeout=120)


def test_import_ember_survives_and_records_the_failure(env: dict[str, str]) -> None:
    proc = _run("""
        import json
        import ember
        from ember.plugins.manager import manager
        manager.load()
        f = manager.failure_for("ember-broken-plugin")
        print(json.dumps({"name": f.name, "dist": f.distribution, "version": f.version,
                          "error": f.error, "traceback": f.traceback,
                          "loaded": sorted(manager.plugins),
                          "sum": ember.ones(3).sum().item()}))
    """, env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["name"] == "broken"
    assert report["dist"] == DIST and report["version"] == "0.1.0"
    assert report["error"] == f"ImportError: {MESSAGE} (integration test of plugin failures)"
    assert "ember_broken" in report["traceback"] and "plugin.py" in report["traceback"]
    assert "broken" not in report["loaded"] and "cpu" in report["loaded"]
    assert report["sum"] == 3.0  # the other plugins still work


def test_ember_info_shows_the_error(env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "ember", "info"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, "ember info must exit 1 when a plugin failed to load"
    assert DIST in proc.stdout
    assert MESSAGE in proc.stdout
    assert "raise ImportError(MESSAGE)" in proc.stdout  # its traceback is shown


def test_strict_mode_makes_import_fatal(env: dict[str, str]) -> None:
    proc = _run("import ember", env, EMBER_STRICT_PLUGINS="1")
    assert proc.returncode != 0
    assert "ember plugin 'broken' (ember-broken-plugin 0.1.0) failed to load" in proc.stderr
    assert MESSAGE in proc.stderr


def test_disabling_the_plugin_silences_it(env: dict[str, str]) -> None:
    proc = _run("""
        import ember
        from ember.plugins.manager import manager
        manager.load()
        assert manager.failure_for("ember-broken-plugin") is None
        print(ember.ones(2).sum().item())
    """, env, EMBER_STRICT_PLUGINS="1", EMBER_DISABLE_PLUGINS="broken")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2.0"


def test_ember_behaves_like_torch_next_to_a_broken_plugin(env: dict[str, str]) -> None:
    proc = _run("""
        import ember
        x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x.exp() * x).sum().backward()
        print(",".join(repr(v) for v in x.grad.tolist()))
    """, env)
    assert proc.returncode == 0, proc.stderr
    got = [float(v) for v in proc.stdout.strip().split(",")]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.exp() * x).sum().backward()
    assert got == pytest.approx(x.grad.tolist(), rel=1e-6)
