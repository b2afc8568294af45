"""ember-testing: the op database, the test harness and the backend conformance suite.

- :mod:`ember_testing.opdb`: :class:`~ember_testing.opdb.OpInfo` records for the core ops;
  plugins add theirs with :func:`~ember_testing.opdb.register`.
- :mod:`ember_testing.moduledb`: small instances of every layer family, checked on any
  device against torch (or the cpu, or finite differences).
- :mod:`ember_testing.harness`: checks forward, backward and double backward of a record
  on any device and dtype, against torch when installed, numpy references otherwise;
  conversion and comparison helpers for every plugin's tests.
- :mod:`ember_testing.conformance`: ``pytest --pyargs ember_testing.conformance
  --ember-device=NAME [--ember-report=report.json]``.
"""

from __future__ import annotations

from . import harness, moduledb, opdb
from .harness import assert_close, from_torch, to_numpy, to_torch
from .opdb import OpInfo, SampleInput, register

__version__ = "0.1.0"

__all__ = ["opdb", "moduledb", "harness", "OpInfo", "SampleInput", "register",
           "assert_close", "to_torch", "from_torch", "to_numpy", "__version__"]
