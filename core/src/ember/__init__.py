"""ember: torch.nn rebuilt as a small core and plugins.

``import ember as torch`` gives the tensor, autograd and nn surface of torch. The core
defines tensors, autograd, modules and the plugin system; devices (``ember-cpu``,
``ember-cuda``) and layer families (``ember-layers``, ``ember-conv``, ...) are plugins.
"""

from __future__ import annotations

from typing import Any

from . import (
    _dtype,
    _tensor_methods,  # noqa: F401  (binds the op methods onto Tensor)
    autograd,
    ops,
)
from ._device import device, get_default_device, set_default_device
from ._dtype import (
    bfloat16,
    bool,  # noqa: A004
    can_cast,
    double,
    dtype,
    finfo,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,  # noqa: A004
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._public import export_ops
from ._tensor import (
    Size,
    Tensor,
    channels_last,
    channels_last_3d,
    contiguous_format,
    is_tensor,
    preserve_format,
)
from ._threads import get_num_threads, set_num_threads
from ._version import __version__
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .plugins.manager import manager as _plugin_manager
from .plugins.namespace import install_finder as _install_finder
from .serialization import load, save

export_ops(globals())
_install_finder()

from . import amp, backends, cuda, distributed, nn, optim, random, utils  # noqa: E402
from ._settings import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    compile,  # noqa: A004
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .amp.autocast_mode import (  # noqa: E402
    autocast,
    clear_autocast_cache,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_cache_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
)

# Plugins load lazily, on first use; in strict mode they load now, so that a broken plugin
# makes ``import ember`` itself fail.
if _plugin_manager.strict_requested():
    _plugin_manager.load()


def __getattr__(name: str) -> Any:
    from .plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "", name)
