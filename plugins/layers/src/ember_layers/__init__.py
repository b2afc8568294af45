"""ember-layers: the basic layer families of ``ember.nn``.

Linear maps, activations and the softmax family, normalization, dropout, embeddings and
distances, each as a Module (``ember.nn.Linear``) and a functional form
(``ember.nn.functional.linear``). The names reach ``ember.nn`` through the plugin's
namespace entries (see :mod:`ember_layers.plugin`); nothing here is imported until used.
"""

from __future__ import annotations

__version__ = "0.1.0"
