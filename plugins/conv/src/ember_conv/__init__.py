"""ember-conv: convolutions, pooling, padding, fold/unfold and the vision layers of ember.

Import the public names through ``ember.nn`` and ``ember.nn.functional``; this package's
modules are loaded on first use.
"""

__version__ = "0.1.0"
