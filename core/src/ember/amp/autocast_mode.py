"""Automatic mixed precision: the autocast regions and the per-op cast policy.

Inside an enabled ``autocast(device_type, dtype)`` region, the ops torch lists as safe in
lower precision (matrix products, ``linear``, convolutions, attention) cast their
floating-point inputs on that device type to ``dtype`` and return ``dtype``; the ops
torch lists as needing float32 (the losses, ``prod``, ``cdist``, ...) cast their
lower-precision inputs up to float32. float64 tensors are never cast. Ops consult the
policy through :func:`autocast_args`, which costs one attribute read while no region is
active.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .._dtype import bfloat16, float16, float32
from .._dtype import dtype as _dtype_cls
from .._tensor import Tensor

__all__ = ["autocast", "autocast_args", "is_autocast_enabled", "get_autocast_dtype",
           "set_autocast_enabled", "set_autocast_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "is_autocast_available",
           "custom_fwd", "custom_bwd"]

# torch's CPU autocast lists (aten/src/ATen/autocast_mode.cpp), by ember op name.
LOWER_PRECISION_OPS = frozenset({
    "matmul", "mm", "bmm", "baddbmm", "addmm", "addbmm", "einsum", "linear", "prelu",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "scaled_dot_product_attention"})
FP32_OPS = frozenset({
    "prod", "cdist", "trace", "avg_pool3d", "max_pool3d", "adaptive_avg_pool3d",
    "grid_sample", "max_unpool2d", "max_unpool3d", "reflection_pad", "replication_pad",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "hinge_embedding_loss", "cosine_embedding_loss", "margin_ranking_loss",
    "soft_margin_loss", "triplet_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
    "ctc_loss"})

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_DEFAULT_DTYPE = {"cpu": bfloat16, "cuda": float16}
_SUPPORTED = {"cpu": (bfloat16, float16), "cuda": (bfloat16, float16, float32)}


class _State:
    """The autocast settings per device type (thread-global, like the rest of ember)."""

    __slots__ = ("active", "enabled", "dtype", "cache_enabled", "nesting", "cache")

    def __init__(self) -> None:
        self.active = False           # any device type enabled: the ops' fast check
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, _dtype_cls] = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.nesting = 0
        self.cache: dict[int, tuple[Tensor, Tensor]] = {}

    def refresh(self) -> None:
        self.active = any(self.enabled.values())


STATE = _State()


def _device_type(t: Tensor) -> str:
    return t._device.type


def _cast(t: Tensor, to: _dtype_cls) -> Tensor:
    """Cast one eligible tensor, reusing the cached copy of a leaf weight."""
    cacheable = (STATE.cache_enabled and to is not float32 and t.requires_grad
                 and t.is_leaf and t.dtype is float32)
    if cacheable:
        hit = STATE.cache.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
    out = t.to(to)
    if cacheable:
        from ..autograd import is_grad_enabled

        if is_grad_enabled():
            STATE.cache[id(t)] = (t, out)
    return out


def autocast_args(op: str, *args: Any) -> tuple[Any, ...]:
    """The arguments of op ``op`` as autocast wants them; unchanged outside a region.

    Tensor arguments that are floating point, not float64 and on an autocast-enabled
    device type are cast to that device type's autocast dtype for a lower-precision op,
    to float32 for a float32 op; everything else (``None``, integers, other devices)
    passes through. Ops call it first thing::

        input, weight, bias = autocast_args("linear", input, weight, bias)
    """
    if not STATE.active:
        return args
    lower = op in LOWER_PRECISION_OPS
    if not lower and op not in FP32_OPS:
        return args
    out = []
    for a in args:
        if isinstance(a, Tensor) and a.is_floating_point():
            dev = _device_type(a)
            if STATE.enabled.get(dev, False) and a.dtype.itemsize <= 4:
                to = STATE.dtype[dev] if lower else float32
                if a.dtype is not to:
                    a = _cast(a, to)
        out.append(a)
    return tuple(out)


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can be used on ``device_type`` (``"cpu"``; ``"cuda"`` with
    ember-cuda and a GPU)."""
    if device_type == "cpu":
        return True
    if device_type == "cuda":
        from .. import cuda

        return cuda.is_available()
    return False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type``; with no argument, for ``"cuda"``, as
    torch's legacy form answers."""
    return bool(STATE.enabled.get("cuda" if device_type is None else device_type, False))


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turn autocast on or off for ``device_type`` directly (``autocast`` does this for a
    region and restores it)."""
    STATE.enabled[device_type] = bool(enabled)
    STATE.refresh()


def get_autocast_dtype(device_type: str) -> _dtype_cls:
    """The dtype lower-precision ops use under autocast on ``device_type`` (bfloat16 on
    cpu, float16 on cuda unless a region set another)."""
    return STATE.dtype.get(device_type, float16)


def set_autocast_dtype(device_type: str, dtype: _dtype_cls) -> None:
    """Set the lower-precision dtype of ``device_type`` (``autocast`` restores it on exit)."""
    STATE.dtype[device_type] = dtype


def is_autocast_cache_enabled() -> bool:
    """Whether casts of leaf weights are cached within an autocast region."""
    return STATE.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Turn the cast cache on or off."""
    STATE.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Drop the cached lower-precision copies of the weights."""
    STATE.cache.clear()


class autocast:  # noqa: N801  (torch's name)
    """Context manager (and decorator) for a mixed-precision region.

    Args:
        device_type: ``"cpu"`` or ``"cuda"``.
        dtype: the lower-precision dtype; default ``ember.get_autocast_dtype(device_type)``
            (bfloat16 on cpu). The cpu supports bfloat16 and float16; another dtype warns
            and leaves autocast off, as torch does.
        enabled: False makes the region change nothing.
        cache_enabled: cache the cast of each leaf weight for the region (default True).

    Inside an enabled region, matrix products, ``linear``, convolutions and attention run in
    ``dtype`` and return it; the losses and other precision-sensitive ops run in float32.
    On exit the previous settings come back and, leaving the outermost region, the cast
    cache is dropped.

    >>> import ember
    >>> with ember.autocast("cpu"):
    ...     y = ember.ones(2, 3) @ ember.ones(3, 2)
    >>> y.dtype
    ember.bfloat16
    """

    def __init__(self, device_type: str, dtype: _dtype_cls | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                               f"start of device string: {device_type}")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else bool(cache_enabled))
        self._enabled = bool(enabled)
        if self._enabled and device_type == "cuda" and not is_autocast_available("cuda"):
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        elif self._enabled and device_type not in ("cpu", "cuda"):
            warnings.warn(f"User provided device_type of '{device_type}', but the current "
                          "device is not available. Disabling", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled and self.fast_dtype not in _SUPPORTED.get(device_type, ()):
            if device_type == "cpu":
                warnings.warn("In CPU autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCPU Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", UserWarning,
                              stacklevel=2)
            else:
                warnings.warn("In CUDA autocast, but the target dtype is not supported. "
                              "Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False

    def __enter__(self) -> None:
        self._prev = (is_autocast_enabled(self.device), get_autocast_dtype(self.device),
                      STATE.cache_enabled)
        STATE.enabled[self.device] = self._enabled
        STATE.dtype[self.device] = self.fast_dtype
        STATE.cache_enabled = self._cache_enabled
        STATE.nesting += 1
        STATE.refresh()

    def __exit__(self, *exc: Any) -> None:
        STATE.nesting -= 1
        if STATE.nesting == 0:
            STATE.cache.clear()
        enabled, dtype, cache_enabled = self._prev
        STATE.enabled[self.device] = enabled
        STATE.dtype[self.device] = dtype
        STATE.cache_enabled = cache_enabled
        STATE.refresh()

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return run


def custom_fwd(fwd: Callable[..., Any] | None = None, *, device_type: str,
               cast_inputs: _dtype_cls | None = None) -> Any:
    """Decorator for an ``autograd.Function.forward``: with ``cast_inputs``, floating
    inputs are cast to that dtype and the forward runs with autocast off on
    ``device_type``; without, the forward runs under the caller's autocast state."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args: Any, **kwargs: Any) -> Any:
        args[0]._fwd_autocast = (is_autocast_enabled(device_type),
                                 get_autocast_dtype(device_type))
        if cast_inputs is None or not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)

        def cast(v: Any) -> Any:
            if isinstance(v, Tensor) and v.is_floating_point():
                return v.to(cast_inputs)
            return v

        with autocast(device_type, enabled=False):
            return fwd(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})

    return forward


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str) -> Any:
    """Decorator for an ``autograd.Function.backward``: it runs with the autocast state
    its forward ran with."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(*args: Any, **kwargs: Any) -> Any:
        enabled, dtype = getattr(args[0], "_fwd_autocast", (False, None))
        with autocast(device_type, dtype=dtype, enabled=enabled):
            return bwd(*args, **kwargs)

    return backward
