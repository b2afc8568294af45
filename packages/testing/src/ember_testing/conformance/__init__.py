"""The backend conformance suite: ``pytest --pyargs ember_testing.conformance
--ember-device=NAME [--ember-report=report.json]``.

Levels, one test module each:

- ``runtime`` (``test_runtime.py``): device objects, tensor creation, transfers to and
  from the cpu, dtype conversion, seeding.
- ``primitives`` (``test_primitives.py``): every kernel of :data:`ember.primitives.PRIMITIVES`
  on the backend's arrays against numpy.
- ``gradients`` (``test_gradients.py``): the op database (forward, backward, double
  backward) through the harness.
- ``modules`` (``test_modules.py``): small modules forward and backward, when
  ``ember.nn.Linear`` is installed.
- ``training`` (``test_training.py``): a short training run, when an optimizer is installed.
- ``collectives`` (``test_collectives.py``): when ``ember.distributed`` provides them.

A level that cannot run is reported as not available, with the reason, in the summary and
in the JSON report.
"""
