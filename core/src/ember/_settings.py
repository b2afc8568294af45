"""Process-wide numerical settings torch scripts set: matmul precision, determinism,
and ``ember.compile``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "compile"]

_PRECISIONS = ("highest", "high", "medium")
_state: dict[str, Any] = {"precision": "highest", "deterministic": False, "warn_only": False}


def set_float32_matmul_precision(precision: str) -> None:
    """Set the internal precision of float32 matrix multiplications.

    Args:
        precision: ``"highest"``, ``"high"`` or ``"medium"``. Any other value warns and
            leaves the setting as it was, as torch does.

    ember always multiplies float32 matrices in full float32 precision, which is what
    ``"highest"`` means; the lower settings only permit faster algorithms, so ember's
    numbers are the same at every setting. The value is kept for
    :func:`get_float32_matmul_precision` and ``ember.backends.cuda.matmul.allow_tf32``.
    """
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set (``"highest"`` by default)."""
    return str(_state["precision"])


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms only.

    Args:
        mode: turn the requirement on (True) or off (False).
        warn_only: when an op has no deterministic implementation, warn instead of
            raising.

    Every ember kernel is deterministic (same inputs, same thread count, same result), so
    the requirement is always met; the setting is recorded for
    :func:`are_deterministic_algorithms_enabled`.
    """
    if not isinstance(mode, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) must "
                        f"be bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _state["deterministic"] = mode
    _state["warn_only"] = warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` turned the requirement on."""
    return bool(_state["deterministic"])


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether the deterministic requirement was set with ``warn_only=True``."""
    return bool(_state["warn_only"])


def compile(model: Callable[..., Any] | None = None, *, fullgraph: bool = False,  # noqa: A001
            dynamic: bool | None = None, backend: str | Callable[..., Any] | None = None,
            mode: str | None = None, options: dict[str, Any] | None = None,
            name: str | None = None, disable: bool = False, **kwargs: Any) -> Any:
    """Accept torch.compile's call and return something that computes the same thing.

    ember runs every op eagerly; there is no graph compiler. So ``compile`` returns the
    callable unchanged: an ``nn.Module`` comes back as the same module (its
    ``state_dict`` keys stay unprefixed, as the scripts that save a compiled model's
    underlying module expect), a function as the same function. Called with no
    ``model`` it returns a decorator, as torch does. torch's argument checks apply:
    ``mode`` and ``options`` together raise ``RuntimeError``.

    Args:
        model: the module or function to "compile"; None for decorator use.
        fullgraph, dynamic, backend, mode, options, name, disable: torch's options,
            checked and otherwise without effect.

    Returns:
        ``model`` itself, or a decorator returning its argument.
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in ("default", "lite", "reduce-overhead",
                                         "max-autotune-no-cudagraphs", "max-autotune"):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, lite, "
                           "reduce-overhead, max-autotune-no-cudagraphs, max-autotune")
    if model is None:
        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, name=name, disable=disable, **kwargs)
        return decorator
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is "
                             "provided.")
    return model
