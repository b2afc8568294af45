"""Which distribution provides each first-party public name (for install hints).

Built from the API contract; plugins that are installed register the same names through
``ember_register_namespace``. Names of ember-core are listed too, so the catalog is complete.
"""

from __future__ import annotations

__all__ = ["CATALOG", "FAMILY_PREFIXES", "provider"]

CATALOG: dict[str, str] = {
    "nn.Parameter": "ember-core",
    "nn.UninitializedParameter": "ember-core",
    "nn.UninitializedBuffer": "ember-core",
    "nn.Module": "ember-core",
    "nn.Sequential": "ember-core",
    "nn.ModuleList": "ember-core",
    "nn.ModuleDict": "ember-core",
    "nn.ParameterList": "ember-core",
    "nn.ParameterDict": "ember-core",
    "nn.modules.module.register_module_forward_pre_hook": "ember-core",
    "nn.modules.module.register_module_forward_hook": "ember-core",
    "nn.modules.module.register_module_backward_hook": "ember-core",
    "nn.modules.module.register_module_full_backward_pre_hook": "ember-core",
    "nn.modules.module.register_module_full_backward_hook": "ember-core",
    "nn.modules.module.register_module_buffer_registration_hook": "ember-core",
    "nn.modules.module.register_module_module_registration_hook": "ember-core",
    "nn.modules.module.register_module_parameter_registration_hook": "ember-core",
    "nn.Conv1d": "ember-conv",
    "nn.Conv2d": "ember-conv",
    "nn.Conv3d": "ember-conv",
    "nn.ConvTranspose1d": "ember-conv",
    "nn.ConvTranspose2d": "ember-conv",
    "nn.ConvTranspose3d": "ember-conv",
    "nn.LazyConv1d": "ember-conv",
    "nn.LazyConv2d": "ember-conv",
    "nn.LazyConv3d": "ember-conv",
    "nn.LazyConvTranspose1d": "ember-conv",
    "nn.LazyConvTranspose2d": "ember-conv",
    "nn.LazyConvTranspose3d": "ember-conv",
    "nn.Unfold": "ember-conv",
    "nn.Fold": "ember-conv",
    "nn.MaxPool1d": "ember-conv",
    "nn.MaxPool2d": "ember-conv",
    "nn.MaxPool3d": "ember-conv",
    "nn.MaxUnpool1d": "ember-conv",
    "nn.MaxUnpool2d": "ember-conv",
    "nn.MaxUnpool3d": "ember-conv",
    "nn.AvgPool1d": "ember-conv",
    "nn.AvgPool2d": "ember-conv",
    "nn.AvgPool3d": "ember-conv",
    "nn.FractionalMaxPool2d": "ember-conv",
    "nn.FractionalMaxPool3d": "ember-conv",
    "nn.LPPool1d": "ember-conv",
    "nn.LPPool2d": "ember-conv",
    "nn.AdaptiveMaxPool1d": "ember-conv",
    "nn.AdaptiveMaxPool2d": "ember-conv",
    "nn.AdaptiveMaxPool3d": "ember-conv",
    "nn.AdaptiveAvgPool1d": "ember-conv",
    "nn.AdaptiveAvgPool2d": "ember-conv",
    "nn.AdaptiveAvgPool3d": "ember-conv",
    "nn.ReflectionPad1d": "ember-conv",
    "nn.ReflectionPad2d": "ember-conv",
    "nn.ReflectionPad3d": "ember-conv",
    "nn.ReplicationPad1d": "ember-conv",
    "nn.ReplicationPad2d": "ember-conv",
    "nn.ReplicationPad3d": "ember-conv",
    "nn.ZeroPad1d": "ember-conv",
    "nn.ZeroPad2d": "ember-conv",
    "nn.ZeroPad3d": "ember-conv",
    "nn.ConstantPad1d": "ember-conv",
    "nn.ConstantPad2d": "ember-conv",
    "nn.ConstantPad3d": "ember-conv",
    "nn.ELU": "ember-layers",
    "nn.Hardshrink": "ember-layers",
    "nn.Hardsigmoid": "ember-layers",
    "nn.Hardtanh": "ember-layers",
    "nn.Hardswish": "ember-layers",
    "nn.LeakyReLU": "ember-layers",
    "nn.LogSigmoid": "ember-layers",
    "nn.MultiheadAttention": "ember-transformer",
    "nn.PReLU": "ember-layers",
    "nn.ReLU": "ember-layers",
    "nn.ReLU6": "ember-layers",
    "nn.RReLU": "ember-layers",
    "nn.SELU": "ember-layers",
    "nn.CELU": "ember-layers",
    "nn.GELU": "ember-layers",
    "nn.Sigmoid": "ember-layers",
    "nn.SiLU": "ember-layers",
    "nn.Mish": "ember-layers",
    "nn.Softplus": "ember-layers",
    "nn.Softshrink": "ember-layers",
    "nn.Softsign": "ember-layers",
    "nn.Tanh": "ember-layers",
    "nn.Tanhshrink": "ember-layers",
    "nn.Threshold": "ember-layers",
    "nn.GLU": "ember-layers",
    "nn.Softmin": "ember-layers",
    "nn.Softmax": "ember-layers",
    "nn.Softmax2d": "ember-layers",
    "nn.LogSoftmax": "ember-layers",
    "nn.AdaptiveLogSoftmaxWithLoss": "ember-losses",
    "nn.BatchNorm1d": "ember-layers",
    "nn.BatchNorm2d": "ember-layers",
    "nn.BatchNorm3d": "ember-layers",
    "nn.LazyBatchNorm1d": "ember-layers",
    "nn.LazyBatchNorm2d": "ember-layers",
    "nn.LazyBatchNorm3d": "ember-layers",
    "nn.GroupNorm": "ember-layers",
    "nn.SyncBatchNorm": "ember-distributed",
    "nn.InstanceNorm1d": "ember-layers",
    "nn.InstanceNorm2d": "ember-layers",
    "nn.InstanceNorm3d": "ember-layers",
    "nn.LazyInstanceNorm1d": "ember-layers",
    "nn.LazyInstanceNorm2d": "ember-layers",
    "nn.LazyInstanceNorm3d": "ember-layers",
    "nn.LayerNorm": "ember-layers",
    "nn.LocalResponseNorm": "ember-layers",
    "nn.RNNBase": "ember-recurrent",
    "nn.RNN": "ember-recurrent",
    "nn.LSTM": "ember-recurrent",
    "nn.GRU": "ember-recurrent",
    "nn.RNNCell": "ember-recurrent",
    "nn.LSTMCell": "ember-recurrent",
    "nn.GRUCell": "ember-recurrent",
    "nn.Transformer": "ember-transformer",
    "nn.TransformerEncoder": "ember-transformer",
    "nn.TransformerDecoder": "ember-transformer",
    "nn.TransformerEncoderLayer": "ember-transformer",
    "nn.TransformerDecoderLayer": "ember-transformer",
    "nn.Identity": "ember-layers",
    "nn.Linear": "ember-layers",
    "nn.Bilinear": "ember-layers",
    "nn.LazyLinear": "ember-layers",
    "nn.Dropout": "ember-layers",
    "nn.Dropout1d": "ember-layers",
    "nn.Dropout2d": "ember-layers",
    "nn.Dropout3d": "ember-layers",
    "nn.AlphaDropout": "ember-layers",
    "nn.FeatureAlphaDropout": "ember-layers",
    "nn.Embedding": "ember-layers",
    "nn.EmbeddingBag": "ember-layers",
    "nn.CosineSimilarity": "ember-layers",
    "nn.PairwiseDistance": "ember-layers",
    "nn.L1Loss": "ember-losses",
    "nn.MSELoss": "ember-losses",
    "nn.CrossEntropyLoss": "ember-losses",
    "nn.CTCLoss": "ember-losses",
    "nn.NLLLoss": "ember-losses",
    "nn.PoissonNLLLoss": "ember-losses",
    "nn.GaussianNLLLoss": "ember-losses",
    "nn.KLDivLoss": "ember-losses",
    "nn.BCELoss": "ember-losses",
    "nn.BCEWithLogitsLoss": "ember-losses",
    "nn.MarginRankingLoss": "ember-losses",
    "nn.HingeEmbeddingLoss": "ember-losses",
    "nn.MultiLabelMarginLoss": "ember-losses",
    "nn.HuberLoss": "ember-losses",
    "nn.SmoothL1Loss": "ember-losses",
    "nn.SoftMarginLoss": "ember-losses",
    "nn.MultiLabelSoftMarginLoss": "ember-losses",
    "nn.CosineEmbeddingLoss": "ember-losses",
    "nn.MultiMarginLoss": "ember-losses",
    "nn.TripletMarginLoss": "ember-losses",
    "nn.TripletMarginWithDistanceLoss": "ember-losses",
    "nn.PixelShuffle": "ember-conv",
    "nn.PixelUnshuffle": "ember-conv",
    "nn.Upsample": "ember-conv",
    "nn.UpsamplingNearest2d": "ember-conv",
    "nn.UpsamplingBilinear2d": "ember-conv",
    "nn.ChannelShuffle": "ember-conv",
    "nn.DataParallel": "ember-distributed",
    "nn.parallel.DistributedDataParallel": "ember-distributed",
    "nn.utils.clip_grad_norm_": "ember-utils",
    "nn.utils.clip_grad_norm": "ember-utils",
    "nn.utils.clip_grad_value_": "ember-utils",
    "nn.utils.parameters_to_vector": "ember-utils",
    "nn.utils.vector_to_parameters": "ember-utils",
    "nn.utils.fuse_conv_bn_eval": "ember-utils",
    "nn.utils.fuse_conv_bn_weights": "ember-utils",
    "nn.utils.fuse_linear_bn_eval": "ember-utils",
    "nn.utils.fuse_linear_bn_weights": "ember-utils",
    "nn.utils.convert_conv2d_weight_memory_format": "ember-utils",
    "nn.utils.weight_norm": "ember-utils",
    "nn.utils.remove_weight_norm": "ember-utils",
    "nn.utils.spectral_norm": "ember-utils",
    "nn.utils.remove_spectral_norm": "ember-utils",
    "nn.utils.skip_init": "ember-utils",
    "nn.utils.prune.BasePruningMethod": "ember-utils",
    "nn.utils.prune.PruningContainer": "ember-utils",
    "nn.utils.prune.Identity": "ember-utils",
    "nn.utils.prune.RandomUnstructured": "ember-utils",
    "nn.utils.prune.L1Unstructured": "ember-utils",
    "nn.utils.prune.RandomStructured": "ember-utils",
    "nn.utils.prune.LnStructured": "ember-utils",
    "nn.utils.prune.CustomFromMask": "ember-utils",
    "nn.utils.prune.identity": "ember-utils",
    "nn.utils.prune.random_unstructured": "ember-utils",
    "nn.utils.prune.l1_unstructured": "ember-utils",
    "nn.utils.prune.random_structured": "ember-utils",
    "nn.utils.prune.ln_structured": "ember-utils",
    "nn.utils.prune.global_unstructured": "ember-utils",
    "nn.utils.prune.custom_from_mask": "ember-utils",
    "nn.utils.prune.remove": "ember-utils",
    "nn.utils.prune.is_pruned": "ember-utils",
    "nn.utils.parametrizations.orthogonal": "ember-utils",
    "nn.utils.parametrizations.weight_norm": "ember-utils",
    "nn.utils.parametrizations.spectral_norm": "ember-utils",
    "nn.utils.parametrize.register_parametrization": "ember-utils",
    "nn.utils.parametrize.remove_parametrizations": "ember-utils",
    "nn.utils.parametrize.cached": "ember-utils",
    "nn.utils.parametrize.is_parametrized": "ember-utils",
    "nn.utils.parametrize.ParametrizationList": "ember-utils",
    "nn.utils.stateless.functional_call": "ember-utils",
    "nn.utils.rnn.PackedSequence": "ember-utils",
    "nn.utils.rnn.pack_padded_sequence": "ember-utils",
    "nn.utils.rnn.pad_packed_sequence": "ember-utils",
    "nn.utils.rnn.pad_sequence": "ember-utils",
    "nn.utils.rnn.pack_sequence": "ember-utils",
    "nn.utils.rnn.unpack_sequence": "ember-utils",
    "nn.utils.rnn.unpad_sequence": "ember-utils",
    "nn.Flatten": "ember-layers",
    "nn.Unflatten": "ember-layers",
    "nn.modules.lazy.LazyModuleMixin": "ember-core",
}

# Module-level entries and families of names beyond the contract's list.
CATALOG.update({
    "nn.utils.prune": "ember-utils",
    "nn.utils.parametrize": "ember-utils",
    "nn.utils.parametrizations": "ember-utils",
    "nn.utils.stateless": "ember-utils",
    "nn.utils.rnn": "ember-utils",
    "nn.parallel": "ember-distributed",
    "distributed": "ember-distributed",
    "utils.data": "ember-data",
    "optim.lr_scheduler": "ember-optim",
})

# The functional forms in ``ember.nn.functional``, by the family that owns each.
_FUNCTIONAL: dict[str, str] = {
    "ember-conv": """
        conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d conv_tbc
        unfold fold avg_pool1d avg_pool2d avg_pool3d max_pool1d max_pool2d max_pool3d
        max_pool1d_with_indices max_pool2d_with_indices max_pool3d_with_indices
        max_unpool1d max_unpool2d max_unpool3d lp_pool1d lp_pool2d lp_pool3d
        adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d
        adaptive_max_pool2d adaptive_max_pool3d adaptive_max_pool1d_with_indices
        adaptive_max_pool2d_with_indices adaptive_max_pool3d_with_indices
        fractional_max_pool2d fractional_max_pool3d fractional_max_pool2d_with_indices
        fractional_max_pool3d_with_indices pad pixel_shuffle pixel_unshuffle interpolate
        upsample upsample_nearest upsample_bilinear grid_sample affine_grid channel_shuffle
        native_channel_shuffle
    """,
    "ember-layers": """
        linear bilinear threshold threshold_ relu relu_ relu6 hardtanh hardtanh_ hardswish
        elu elu_ selu selu_ celu celu_ leaky_relu leaky_relu_ prelu rrelu rrelu_ glu gelu
        logsigmoid hardshrink tanhshrink softsign softplus softmin softmax softshrink
        gumbel_softmax log_softmax tanh sigmoid hardsigmoid silu mish batch_norm group_norm
        instance_norm layer_norm rms_norm local_response_norm normalize dropout
        alpha_dropout feature_alpha_dropout dropout1d dropout2d dropout3d embedding
        embedding_bag one_hot pairwise_distance cosine_similarity pdist
    """,
    "ember-losses": """
        binary_cross_entropy binary_cross_entropy_with_logits poisson_nll_loss
        cosine_embedding_loss cross_entropy ctc_loss gaussian_nll_loss hinge_embedding_loss
        kl_div l1_loss mse_loss margin_ranking_loss multilabel_margin_loss
        multilabel_soft_margin_loss multi_margin_loss nll_loss huber_loss smooth_l1_loss
        soft_margin_loss triplet_margin_loss triplet_margin_with_distance_loss
    """,
    "ember-transformer": "scaled_dot_product_attention multi_head_attention_forward",
}
for _dist, _names in _FUNCTIONAL.items():
    for _name in _names.split():
        CATALOG.setdefault(f"nn.functional.{_name}", _dist)

# Quantized tensors (ember-quantization), at the top level as in torch.
for _name in ("quantize_per_tensor", "quantize_per_channel", "dequantize",
              "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine", "qint8",
              "quint8", "qint32", "qscheme", "per_tensor_affine", "per_channel_affine",
              "per_tensor_symmetric", "per_channel_symmetric",
              "per_channel_affine_float_qparams"):
    CATALOG.setdefault(_name, "ember-quantization")

#: Whole sub-namespaces owned by one distribution: any name below the prefix that the
#: catalog does not list explicitly (``optim.SGD``, ``utils.data.DataLoader``).
# torch's ``torch.nn.modules.<file>`` paths, each mounted by the family that owns it.
CATALOG.update({f"nn.modules.{path}": dist for dist, paths in {
    "ember-layers": ("activation", "linear", "dropout", "normalization", "batchnorm",
                     "instancenorm", "sparse", "flatten", "distance"),
    "ember-conv": ("conv", "pooling", "padding", "fold", "pixelshuffle", "upsampling",
                   "channelshuffle"),
    "ember-losses": ("loss",), "ember-recurrent": ("rnn",),
    "ember-transformer": ("transformer",)}.items() for path in paths})

FAMILY_PREFIXES: dict[str, str] = {
    "optim": "ember-optim",
    "utils.data": "ember-data",
    "distributed": "ember-distributed",
    "nn.utils.prune": "ember-utils",
    "nn.utils.parametrize": "ember-utils",
    "nn.utils.parametrizations": "ember-utils",
    "nn.utils.stateless": "ember-utils",
    "nn.utils.rnn": "ember-utils",
    "nn.parallel": "ember-distributed",
}


def provider(dotted: str) -> str | None:
    """The first-party distribution that provides ``ember.<dotted>``, if ember knows one.

    An exact catalog entry wins; otherwise the longest family prefix of ``dotted``
    decides (``"optim.Adam"`` -> ``"ember-optim"``); otherwise ``None``.
    """
    dist = CATALOG.get(dotted)
    if dist is not None:
        return dist
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        dist = FAMILY_PREFIXES.get(".".join(parts[:cut]))
        if dist is not None:
            return dist
    return None
