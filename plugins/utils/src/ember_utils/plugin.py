"""Entry point of ember-utils: registers the ``ember.nn.utils`` names.

Imports nothing heavy; each module is imported the first time one of its names is used.
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

# public name -> module inside ember_utils that defines it
FUNCTIONS = {
    "clip_grad_norm_": "clip_grad",
    "clip_grad_norm": "clip_grad",
    "clip_grad_value_": "clip_grad",
    "get_total_norm": "clip_grad",
    "clip_grads_with_norm_": "clip_grad",
    "parameters_to_vector": "convert_parameters",
    "vector_to_parameters": "convert_parameters",
    "fuse_conv_bn_eval": "fusion",
    "fuse_conv_bn_weights": "fusion",
    "fuse_linear_bn_eval": "fusion",
    "fuse_linear_bn_weights": "fusion",
    "convert_conv2d_weight_memory_format": "memory_format",
    "convert_conv3d_weight_memory_format": "memory_format",
    "weight_norm": "weight_norm",
    "remove_weight_norm": "weight_norm",
    "spectral_norm": "spectral_norm",
    "remove_spectral_norm": "spectral_norm",
    "skip_init": "init",
}

SUBMODULES = ("prune", "parametrize", "parametrizations", "stateless", "rnn")


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    entries = [NamespaceEntry(f"nn.utils.{name}", f"ember_utils.{mod}:{name}")
               for name, mod in FUNCTIONS.items()]
    entries += [NamespaceEntry(f"nn.utils.{mod}", f"ember_utils.{mod}") for mod in SUBMODULES]
    return entries
