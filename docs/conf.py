"""Sphinx configuration of the ember documentation.

Besides the hand-written pages, the build writes pages into ``docs/_generated/`` from the
installed packages: the primitive table (from :mod:`ember.primitives`) and one API page per
public namespace and per installed plugin distribution, so the reference always matches
what is installed. Build it with ``tox -e docs`` (warnings are errors).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "_generated"

project = "ember"
author = "the ember developers"
copyright = "2026, the ember developers"  # noqa: A001

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build", "dev", "Thumbs.db", ".DS_Store"]
html_theme = "alabaster"
html_static_path: list[str] = []
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# "Attributes:" sections as fields, so an attribute that is also a property is not
# described twice.
napoleon_use_ivar = True
# Type hints name objects of numpy and other libraries that this site does not index.
autodoc_typehints_format = "short"
suppress_warnings = ["ref.python"]

os.environ.setdefault("EMBER_STRICT_PLUGINS", "1")
import ember  # noqa: E402
from ember.plugins.manager import manager  # noqa: E402
from ember.primitives import PRIMITIVES  # noqa: E402

version = release = ember.__version__
_PROBLEMS: list[str] = []
_SEEN: dict[int, str] = {}
_DONE: set[str] = set()


def _write(name: str, text: str) -> None:
    GENERATED.mkdir(exist_ok=True)
    path = GENERATED / name
    if not path.exists() or path.read_text() != text:  # keep mtimes stable for rebuilds
        path.write_text(text)


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _primitive_table() -> str:
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", "",
             "   * - name", "     - signature and meaning"]
    for name, meaning in PRIMITIVES.items():
        lines += [f"   * - ``{name}``", f"     - ``{meaning}``"]
    return "\n".join(lines) + "\n"


def _fused_table() -> str:
    """The fused kernels ember-cpu registers, with the summary of each one's docstring:
    the names (and argument conventions) a backend may fill in."""
    from ember._device import device
    from ember._dispatch import table_for

    table = table_for(device("cpu"))
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 70", "",
             "   * - name", "     - what ember-cpu's kernel computes"]
    for name in sorted(table.fused):
        doc = inspect.getdoc(getattr(table, name)) or ""
        summary = " ".join(doc.split("\n\n")[0].split())
        if not summary:
            _PROBLEMS.append(f"ember-cpu's fused kernel '{name}' has no docstring")
        lines += [f"   * - ``{name}``", f"     - {summary}"]
    return "\n".join(lines) + "\n"


def _directive(qualified: str, obj: Any) -> str:
    if qualified in _DONE:  # a plugin's name cached on its skeleton module: already here
        return ""
    _DONE.add(qualified)
    first = _SEEN.setdefault(id(obj), qualified)
    if first != qualified:  # one object, several public paths: document it once
        return f"``{qualified}`` is :py:obj:`{first}`.\n"
    if inspect.isclass(obj):
        return f".. autoclass:: {qualified}\n   :members:\n"
    if callable(obj):
        return f".. autofunction:: {qualified}\n"
    return f".. autodata:: {qualified}\n   :annotation:\n"


def _public(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [n for n in names if not isinstance(getattr(module, n, None), ModuleType)]


def _module_page(modname: str, title: str, intro: str, skip: set[str] | None = None) -> str:
    module = sys.modules[modname] if modname in sys.modules else __import__(
        modname, fromlist=["_"])
    names = [n for n in _public(module) if n not in (skip or set())]
    out = [_title(title), f".. module:: {modname}\n   :no-index:\n", intro, ""]
    for name in sorted(names, key=str.lower):
        out.append(_directive(f"{modname}.{name}", getattr(module, name)))
    return "\n".join(out)


def _plugin_page(dist: str, names: list[str]) -> str:
    out = [_title(dist),
           f"The public names that ``{dist}`` {manager.plugins_version(dist)} provides, "
           "documented under the path users import them from.", ""]
    for dotted in sorted(names, key=str.lower):
        try:
            obj = manager.resolve(dotted)
        except Exception as exc:  # reported as a Sphinx warning, so -W fails the build
            _PROBLEMS.append(f"ember.{dotted} ({dist}) cannot be imported: "
                             f"{type(exc).__name__}: {exc}")
            continue
        if isinstance(obj, ModuleType):
            out.append(f"``ember.{dotted}``: a module, documented below.\n")
            out.append(f".. automodule:: {obj.__name__}\n   :members:\n   :no-index:\n")
        else:
            out.append(_directive(f"ember.{dotted}", obj))
    return "\n".join(out)


def _generate() -> None:
    _write("primitives.rst", _primitive_table())
    _write("fused.rst", _fused_table())
    # Pages are generated home-first (autograd before the top-level namespace that
    # re-exports it), so each object is documented on its home page; the table of
    # contents keeps reading order.
    order = ["ember", "tensor", "nn", "autograd", "records", "manager"]
    made: dict[str, str] = {}
    made["autograd"] = _module_page("ember.autograd", "ember.autograd",
                                    "Reverse-mode automatic differentiation.")
    made["nn"] = _module_page("ember.nn", "ember.nn", "Modules, parameters and containers of "
                              "the core. The layer classes come from the plugin "
                              "distributions listed below.")
    made["records"] = _module_page("ember.plugins.records", "ember.plugins.records",
                                   "Records exchanged between plugins and the core.")
    made["manager"] = _module_page("ember.plugins.manager", "ember.plugins.manager",
                                   "The plugin loader and what it recorded.", skip={"hookimpl"})
    made["tensor"] = (_title("ember.Tensor") + "\n" + _directive("ember.Tensor", ember.Tensor)
                      + "   :undoc-members:\n\n" + _directive("ember.Size", ember.Size))
    manager.load()
    by_dist: dict[str, list[str]] = {}
    for dotted, (_target, dist) in manager.namespace.items():
        by_dist.setdefault(dist, []).append(dotted)
    for dist in sorted(by_dist):
        made[dist] = _plugin_page(dist, by_dist[dist])
        order.append(dist)
    made["ember"] = _module_page("ember", "ember", "Tensors, dtypes, devices and the tensor "
                                 "functions of the top-level namespace.",
                                 skip={"Tensor", "Size"})
    pages = [(name, made[name]) for name in order]
    for name, text in pages:
        _write(f"api-{name}.rst", text)
    toc = [".. toctree::", "   :maxdepth: 1", ""]
    toc += [f"   _generated/api-{name}" for name, _ in pages]
    _write("api-toc.rst", "\n".join(toc) + "\n")
    keep = {"primitives.rst", "fused.rst", "api-toc.rst"} | {f"api-{name}.rst" for name, _ in pages}
    for stale in GENERATED.glob("*.rst"):
        if stale.name not in keep:
            stale.unlink()


_generate()
exclude_patterns.append("_generated/primitives.rst")
exclude_patterns.append("_generated/fused.rst")
exclude_patterns.append("_generated/api-toc.rst")


def _report(app: Any) -> None:
    from sphinx.util import logging

    log = logging.getLogger("ember.docs")
    for failure in manager.failures:
        log.warning("plugin %s (%s %s) failed to load: %s", failure.name,
                    failure.distribution, failure.version, failure.error)
    for problem in _PROBLEMS:
        log.warning(problem)


_NAMES_ONLY = re.compile(r"[A-Za-z_][\w, ]*,")
_NAMES_THEN_TEXT = re.compile(r"[A-Za-z_][\w, ]*:(\s|$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join_wrapped_names(app: Any, what: str, name: str, obj: Any, options: Any,
                        lines: list[str]) -> None:
    """Join an ``Args:`` entry whose list of names wraps over several lines.

    Docstrings here document related arguments together (``eps, atol, rtol: as in
    gradcheck``); a line of names ending in a comma cannot end an entry, so it is joined
    with the lines that follow up to the one with the colon, which napoleon would otherwise
    read as separate, malformed entries. Runs before napoleon.
    """
    i = 0
    while i < len(lines) - 1:
        head = lines[i]
        if not _NAMES_ONLY.fullmatch(head.strip()):
            i += 1
            continue
        j = i + 1
        while (j < len(lines) and _indent(lines[j]) >= _indent(head)
               and _NAMES_ONLY.fullmatch(lines[j].strip())):
            j += 1
        if (j < len(lines) and _indent(lines[j]) >= _indent(head)
                and _NAMES_THEN_TEXT.match(lines[j].strip())):
            merged = " ".join(part.strip() for part in lines[i:j + 1])
            lines[i:j + 1] = [" " * _indent(head) + merged]
        i += 1


def setup(app: Any) -> None:
    """Report undocumentable names as warnings; mend wrapped argument-name lists."""
    app.connect("builder-inited", _report)
    app.connect("autodoc-process-docstring", _join_wrapped_names, priority=400)
