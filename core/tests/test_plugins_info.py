"""``python -m ember info`` and entry points discovered from real distribution metadata.

Each test writes a tiny installed distribution (a ``.dist-info`` folder with an
``entry_points.txt``) into a temporary folder on ``PYTHONPATH`` and runs a fresh
interpreter, so the loader sees it exactly as it sees a pip-installed plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def fake_distribution(root: Path, dist: str, version: str, module: str, source: str) -> None:
    """Install distribution ``dist`` with one ``ember.plugins`` entry point into ``root``."""
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ember.plugins]\n{module} = {module}\n")
    (root / f"{module}.py").write_text(source)


def run_ember(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a fresh interpreter with ``root`` on its path and no inherited EMBER_* settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(root), environ.get("PYTHONPATH", "")])
    environ.update(env)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env=environ, timeout=120)


BROKEN = "raise ImportError('the extension was built for another numpy')\n"

GOOD = '''
from ember.plugins import BackendSpec, NamespaceEntry, hookimpl

EMBER_PLUGIN_API = (1, 0)


@hookimpl
def ember_register_backends():
    return [BackendSpec("infodev", description="a device for the info test")]


@hookimpl
def ember_register_kernels(backend, registry):
    if backend == "infodev":
        registry.update({"neg": lambda a: -a, "add": lambda a, b: a + b})


@hookimpl
def ember_register_ops(registry):
    registry.declare("info_op", "an op for the info test")


@hookimpl
def ember_register_namespace():
    return [NamespaceEntry("nn.InfoThing", "json:dumps")]
'''


@pytest.fixture
def site(tmp_path: Path) -> Path:
    fake_distribution(tmp_path, "ember-broken-fake", "0.3.0", "ember_broken_fake", BROKEN)
    fake_distribution(tmp_path, "ember-info-fake", "0.4.0", "ember_info_fake", GOOD)
    return tmp_path


def test_info_lists_plugins_provisions_and_errors(site: Path) -> None:
    result = run_ember(site, "-m", "ember", "info")
    out = result.stdout
    assert result.returncode == 1, result.stderr
    assert "ember-core 0.1.0 (plugin API 1.0)" in out
    assert "ember_info_fake: ember-info-fake 0.4.0 (plugin API 1.0)" in out
    assert "infodev: ember-info-fake 0.4.0; available, 1 device(s) - a device for the info" in out
    assert "kernels: infodev: 2" in out
    assert "ops (1): info_op" in out
    assert "names (1): nn.InfoThing" in out
    assert ("ember_broken_fake: ember-broken-fake 0.3.0: ImportError: the extension was built "
            "for another numpy") in out
    assert "| Traceback (most recent call last):" in out


def test_import_survives_a_broken_plugin_and_the_rest_works(site: Path) -> None:
    code = ("import ember, json; assert ember.nn.InfoThing is json.dumps; "
            "from ember.plugins.manager import manager; "
            "print([f.distribution for f in manager.failures])")
    result = run_ember(site, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['ember-broken-fake']"


def test_strict_mode_makes_the_broken_plugin_fatal(site: Path) -> None:
    result = run_ember(site, "-c", "import ember; ember.nn.InfoThing",
                       EMBER_STRICT_PLUGINS="1")
    assert result.returncode != 0
    assert "PluginLoadError: ember plugin 'ember_broken_fake' (ember-broken-fake 0.3.0)" in (
        result.stderr)


def test_disabling_the_broken_plugin_gives_a_clean_report(site: Path) -> None:
    result = run_ember(site, "-m", "ember", "info", "--no-tracebacks",
                       EMBER_DISABLE_PLUGINS="ember-broken-fake")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Load errors: none" in result.stdout
    assert "settings: EMBER_DISABLE_PLUGINS=ember-broken-fake" in result.stdout
