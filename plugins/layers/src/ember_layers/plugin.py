"""Entry point of ember-layers: declares its public names and ops.

Imports nothing heavy: each name is a ``"module:attribute"`` string that the core imports
the first time the name is used (``ember.nn.Linear``, ``ember.nn.functional.relu``).
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry, OpRegistry

EMBER_PLUGIN_API = (1, 0)

_PKG = "ember_layers"

#: module below ember_layers -> the Module classes it defines (public as ``nn.<name>``)
MODULES: dict[str, tuple[str, ...]] = {
    "linear": ("Identity", "Linear", "Bilinear", "LazyLinear"),
    "flatten": ("Flatten", "Unflatten"),
    "activation": ("ELU", "Hardshrink", "Hardsigmoid", "Hardtanh", "Hardswish", "LeakyReLU",
                   "LogSigmoid", "PReLU", "ReLU", "ReLU6", "RReLU", "SELU", "CELU", "GELU",
                   "Sigmoid", "SiLU", "Mish", "Softplus", "Softshrink", "Softsign", "Tanh",
                   "Tanhshrink", "Threshold", "GLU"),
    "softmax": ("Softmin", "Softmax", "Softmax2d", "LogSoftmax"),
    "normalization": ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d",
                      "LazyBatchNorm2d", "LazyBatchNorm3d", "GroupNorm", "InstanceNorm1d",
                      "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
                      "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LayerNorm",
                      "LocalResponseNorm", "RMSNorm"),
    "dropout": ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout"),
    "sparse": ("Embedding", "EmbeddingBag"),
    "distance": ("CosineSimilarity", "PairwiseDistance"),
}

#: module below ember_layers.functional -> its functions (public as ``nn.functional.<name>``)
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "linear": ("linear", "bilinear"),
    # the activations, one module per family (functional.activation gathers them all)
    "clamp": ("threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
              "hardsigmoid", "hardswish"),
    "leaky": ("leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_"),
    "exponential": ("elu", "elu_", "selu", "selu_", "celu", "celu_", "softplus"),
    "gates": ("gelu", "silu", "mish", "glu", "logsigmoid", "softsign", "sigmoid", "tanh"),
    "shrink": ("hardshrink", "softshrink", "tanhshrink"),
    "softmax": ("softmax", "softmin", "log_softmax", "gumbel_softmax"),
    "normalization": ("batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
                      "local_response_norm", "normalize"),
    "dropout": ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                "feature_alpha_dropout"),
    "sparse": ("embedding", "embedding_bag", "one_hot"),
    "distance": ("cosine_similarity", "pairwise_distance", "pdist"),
}

#: ops with a fused-kernel slot, for ``python -m ember info`` and the conformance kit
OPS: dict[str, str] = {
    "linear": "x W^T + b (kernel: linear(x, w, b|None) -> out)",
    "gelu": "Gaussian error linear unit (kernel: gelu(x, approximate) -> out)",
    "gelu_backward": "gradient of gelu (kernel: gelu_backward(g, x, approximate) -> grad)",
    "layer_norm": "layer normalization (kernel: layer_norm(x, w|None, b|None, n, eps) -> "
                  "(out, mean, rstd))",
    "embedding_backward": "gradient of embedding (kernel: embedding_backward(g, idx, "
                          "num_weights, padding_idx, scale_grad_by_freq) -> grad_weight)",
}


# torch's ``torch.nn.modules.<file>`` paths and the ember_layers module behind each.
SUBMODULES = {"activation": "activation", "linear": "linear", "dropout": "dropout",
              "normalization": "normalization", "batchnorm": "normalization",
              "instancenorm": "normalization", "sparse": "sparse", "flatten": "flatten",
              "distance": "distance"}


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    out = [NamespaceEntry(f"nn.{name}", f"{_PKG}.{mod}:{name}")
           for mod, names in MODULES.items() for name in names]
    out += [NamespaceEntry(f"nn.functional.{name}", f"{_PKG}.functional.{mod}:{name}")
            for mod, names in FUNCTIONS.items() for name in names]
    out += [NamespaceEntry(f"nn.modules.{path}", f"{_PKG}.{mod}")
            for path, mod in SUBMODULES.items()]
    return out


@hookimpl
def ember_register_ops(registry: OpRegistry) -> None:
    for name, summary in OPS.items():
        registry.declare(name, summary)
