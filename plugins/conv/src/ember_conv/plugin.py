"""Entry point of ember-conv: the public names it provides and the ops it defines.

Imports nothing heavy; every name is imported from its family module on first use.
"""

from __future__ import annotations

from typing import Any

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

#: family module -> the ``ember.nn.functional`` names it defines.
FUNCTIONAL: dict[str, tuple[str, ...]] = {
    "conv": ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "conv_tbc"),
    "padding": ("pad",),
    "fold": ("fold", "unfold"),
    "pooling": tuple(f"{name}{n}d{suffix}" for n in (1, 2, 3) for suffix in ("", "_with_indices")
                     for name in ("max_pool", "adaptive_max_pool"))
    + tuple(f"{name}{n}d" for n in (1, 2, 3) for name in ("avg_pool", "adaptive_avg_pool",
                                                          "lp_pool", "max_unpool")),
    "fractional": tuple(f"fractional_max_pool{n}d{suffix}" for n in (2, 3)
                        for suffix in ("", "_with_indices")),
    "vision": ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
               "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
               "grid_sample", "affine_grid"),
}

#: family module -> the ``ember.nn`` layer classes it defines.
MODULES: dict[str, tuple[str, ...]] = {
    "conv": ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
             "ConvTranspose3d"),
    "padding": tuple(f"{kind}Pad{n}d" for kind in ("Constant", "Zero", "Reflection",
                                                    "Replication", "Circular")
                     for n in (1, 2, 3)),
    "pooling": ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
                "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
                "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "LPPool1d",
                "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
                "FractionalMaxPool2d", "FractionalMaxPool3d"),
    "lazy": ("LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
             "LazyConvTranspose2d", "LazyConvTranspose3d"),
    "fold": ("Fold", "Unfold"),
    "vision": ("PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingNearest2d",
               "UpsamplingBilinear2d", "ChannelShuffle"),
}

#: op name -> one-line summary (for ``python -m ember info`` and the conformance kit).
OPS: dict[str, str] = {
    "convolution": "N-d grouped, strided, dilated cross-correlation with optional bias",
    "conv_input_grad": "gradient of convolution wrt its input (transposed convolution)",
    "conv_weight_grad": "gradient of convolution wrt its weight",
    "pool_max": "max pooling over window tables, with flat indices",
    "pool_max_backward": "scatter-add of a gradient at pooling indices",
    "pool_avg": "average pooling over window tables",
    "pool_avg_backward": "gradient of pool_avg (its adjoint)",
    "im2col": "sliding blocks of a padded input as columns",
    "col2im": "sum of columns back into an image (the adjoint of im2col)",
}


# torch's ``torch.nn.modules.<file>`` paths and the ember_conv module behind each.
SUBMODULES = {"conv": "conv", "pooling": "pooling", "padding": "padding", "fold": "fold",
              "pixelshuffle": "vision", "upsampling": "vision", "channelshuffle": "vision"}


def namespace_entries() -> list[NamespaceEntry]:
    """Every public name of ember-conv, as namespace records."""
    out = [NamespaceEntry(f"nn.functional.{name}", f"ember_conv.{mod}:{name}")
           for mod, names in FUNCTIONAL.items() for name in names]
    out += [NamespaceEntry(f"nn.{name}", f"ember_conv.modules.{mod}:{name}")
            for mod, names in MODULES.items() for name in names]
    out += [NamespaceEntry(f"nn.modules.{path}", f"ember_conv.modules.{mod}")
            for path, mod in SUBMODULES.items()]
    return out


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    return namespace_entries()


@hookimpl
def ember_register_ops(registry: Any) -> None:
    for name, summary in OPS.items():
        registry.declare(name, summary)
