"""ember-conv's records in the shared op database of ``ember_testing``.

Loaded through the ``ember_testing.opdb`` entry point, so every backend's conformance run
checks these ops (forward, backward, double backward) against torch. Importing this module
needs ``ember-testing``; nothing else in ember-conv does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember_testing.opdb import Arg, OpInfo, SampleInput, register

__all__ = ["RECORDS"]

SampleGen = Callable[[np.random.Generator], Iterator[SampleInput]]


def _functional(name: str, **kwargs: Any) -> OpInfo:
    """A record for ``nn.functional.<name>`` in both libraries."""

    def op(*args: Any, **kw: Any) -> Any:
        import ember

        return getattr(ember.nn.functional, name)(*args, **kw)

    def ref(*args: Any, **kw: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(*args, **kw)

    op.__name__ = ref.__name__ = name
    return OpInfo(f"nn.functional.{name}", op, ref, owner="ember-conv", **kwargs)


def _samples(cases: list[tuple[tuple[tuple[int, ...], ...], dict[str, Any], str]],
             distinct: bool = False) -> SampleGen:
    """Samples from (tensor shapes, keywords, description); the first tensor of each case
    is also tried non-contiguous."""

    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        for shapes, kwargs, desc in cases:
            for layout in ("contig", "noncontig"):
                arrays = []
                for i, shape in enumerate(shapes):
                    if distinct and i == 0:
                        n = int(np.prod(shape))
                        a = (rng.permutation(n).reshape(shape) / max(n, 1) * 4 - 2)
                    else:
                        a = rng.uniform(-1, 1, shape)
                    arrays.append(Arg(a, layout if i == 0 else "contig"))
                yield SampleInput(tuple(arrays), (), dict(kwargs), f"{desc} {layout}")

    return gen


RECORDS = [
    _functional("conv1d", samples=_samples([
        (((2, 4, 7), (6, 2, 3), (6,)), {"stride": 2, "padding": 1, "groups": 2}, "grouped"),
    ])),
    _functional("conv2d", samples=_samples([
        (((2, 3, 6, 5), (4, 3, 3, 2)), {"padding": 1}, "padded"),
        (((1, 4, 7, 7), (4, 2, 3, 3), (4,)), {"stride": 2, "dilation": 2, "groups": 2},
         "strided dilated grouped"),
    ])),
    _functional("conv3d", samples=_samples([
        (((1, 2, 4, 4, 3), (3, 2, 2, 2, 2)), {"padding": (1, 0, 1)}, "padded"),
    ])),
    _functional("conv_transpose2d", samples=_samples([
        (((2, 3, 3, 4), (3, 2, 3, 3), (2,)), {"stride": 2, "padding": 1,
                                              "output_padding": 1}, "strided"),
    ])),
    _functional("max_pool2d", samples=_samples([
        (((2, 3, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
         "ceil mode"),
    ], distinct=True)),
    _functional("avg_pool2d", samples=_samples([
        (((2, 3, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1,
                           "count_include_pad": False}, "padded"),
    ])),
    _functional("adaptive_avg_pool2d", samples=_samples([
        (((2, 3, 7, 6),), {"output_size": (3, 4)}, "adaptive"),
    ])),
    _functional("adaptive_max_pool1d", samples=_samples([
        (((2, 3, 9),), {"output_size": 4}, "adaptive"),
    ], distinct=True)),
    _functional("pad", samples=_samples([
        (((2, 3, 4, 5),), {"pad": (1, 2, 2, 1), "mode": "reflect"}, "reflect"),
        (((2, 3, 4),), {"pad": (2, 1), "mode": "circular"}, "circular"),
        (((2, 3, 4),), {"pad": (2, -1), "value": 0.5}, "constant"),
    ])),
    _functional("unfold", samples=_samples([
        (((2, 3, 5, 6),), {"kernel_size": (2, 3), "padding": 1, "stride": 2}, "blocks"),
    ])),
    _functional("interpolate", samples=_samples([
        (((2, 3, 4, 5),), {"size": (6, 7), "mode": "bilinear"}, "bilinear"),
        (((2, 3, 5),), {"scale_factor": 1.5, "mode": "nearest"}, "nearest"),
    ])),
    _functional("pixel_shuffle", samples=_samples([
        (((2, 8, 3, 2),), {"upscale_factor": 2}, "shuffle"),
    ])),
]

for _record in RECORDS:
    register(_record, replace=True)
