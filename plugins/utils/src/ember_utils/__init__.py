"""ember-utils: the ``ember.nn.utils`` family for ember.

Use the names through ``ember.nn.utils`` (``ember.nn.utils.clip_grad_norm_``,
``ember.nn.utils.prune``, ``ember.nn.utils.rnn.pack_padded_sequence``, ...); the plugin
registers them with the core and they are imported on first use.
"""

__version__ = "0.1.0"
