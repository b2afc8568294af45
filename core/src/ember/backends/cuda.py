"""``ember.backends.cuda``: torch's CUDA matmul switches.

``matmul.allow_tf32`` is tied to :func:`ember.set_float32_matmul_precision` exactly as in
torch: setting it True selects ``"high"``, False selects ``"highest"``, and it reads True
whenever the precision is not ``"highest"``. ember computes float32 matmuls in full
precision at every setting, which is what ``"highest"`` means.
"""

from __future__ import annotations

from typing import Any


class _MatmulFlags:
    """``ember.backends.cuda.matmul``: the TF32 and reduced-precision-reduction flags."""

    _names = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation")

    def __init__(self) -> None:
        object.__setattr__(self, "_reduced", {"allow_fp16_reduced_precision_reduction": True,
                                              "allow_bf16_reduced_precision_reduction": True,
                                              "allow_fp16_accumulation": False})

    def __getattr__(self, name: str) -> Any:
        from .._settings import get_float32_matmul_precision

        if name == "allow_tf32":
            return get_float32_matmul_precision() != "highest"
        if name in self._reduced:
            return self._reduced[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: Any) -> None:
        from .._settings import set_float32_matmul_precision

        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise TypeError(f"allow_tf32 expects a bool, but got {type(value).__name__}")
            set_float32_matmul_precision("high" if value else "highest")
            return
        if name in self._reduced:
            if not isinstance(value, bool):
                raise TypeError(f"{name} expects a bool, but got {type(value).__name__}")
            self._reduced[name] = value
            return
        raise AttributeError(f"Unknown attribute {name}")


matmul = _MatmulFlags()


def is_built() -> bool:
    """Whether ember was built with CUDA support: True when ember-cuda is installed."""
    from importlib.util import find_spec

    return find_spec("ember_cuda") is not None


# The scaled-dot-product-attention backend switches. ember's attention has one
# implementation (the math of softmax(QK^T)V, fused on backends that provide it); the
# switches are recorded with torch's defaults and change which algorithm nothing picks.
_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _set_sdp(kind: str, enabled: Any) -> None:
    if not isinstance(enabled, bool):
        raise RuntimeError(f"set_sdp_use_{kind} expects a bool, but got "
                           f"{type(enabled).__name__}")
    _SDP[kind] = enabled


def flash_sdp_enabled() -> bool:
    """Whether the flash-attention kernel may be chosen (True by default)."""
    return _SDP["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Allow or forbid the flash-attention kernel (recorded; ember has one attention path)."""
    _set_sdp("flash", enabled)


def mem_efficient_sdp_enabled() -> bool:
    """Whether the memory-efficient attention kernel may be chosen (True by default)."""
    return _SDP["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allow or forbid the memory-efficient attention kernel (recorded)."""
    _set_sdp("mem_efficient", enabled)


def math_sdp_enabled() -> bool:
    """Whether the math attention path may be chosen (True by default)."""
    return _SDP["math"]


def enable_math_sdp(enabled: bool) -> None:
    """Allow or forbid the math attention path (recorded)."""
    _set_sdp("math", enabled)


def cudnn_sdp_enabled() -> bool:
    """Whether the cuDNN attention kernel may be chosen (True by default)."""
    return _SDP["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allow or forbid the cuDNN attention kernel (recorded)."""
    _set_sdp("cudnn", enabled)


def is_flash_attention_available() -> bool:
    """Whether a flash-attention kernel exists in this build: not in ember."""
    return False
