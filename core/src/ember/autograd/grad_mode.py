"""Gradient-recording modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """Process-wide recording state, read on every op (kept to plain attributes)."""

    __slots__ = ("enabled", "inference")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


GRAD = _State()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph for autograd."""
    return GRAD.enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return GRAD.inference


class _ModeContext:
    """Base of the grad-mode context managers; each is also a function decorator."""

    _target = True

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(GRAD.enabled)
        GRAD.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        GRAD.enabled = self._prev.pop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _ModeContext:
        return type(self)()


class no_grad(_ModeContext):
    """Context manager and decorator that turns graph recording off.

    Results computed inside have ``requires_grad=False``; use it for evaluation and for
    parameter updates.

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _target = False


class enable_grad(_ModeContext):
    """Context manager and decorator that turns graph recording on (inside ``no_grad``)."""

    _target = True


class set_grad_enabled(_ModeContext):
    """Set recording on or off; works as a function, a context manager and a decorator.

    Args:
        mode: True to record, False not to.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._target = bool(mode)
        self._init_prev = GRAD.enabled
        GRAD.enabled = self._target

    def __call__(self, func: F) -> F:
        GRAD.enabled = self._init_prev
        return super().__call__(func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        GRAD.enabled = self._init_prev

    def clone(self) -> _ModeContext:
        ctx = _ModeContext()
        ctx._target = self._target
        return ctx


class inference_mode(_ModeContext):
    """Like ``no_grad``, for code that will never need gradients.

    Args:
        mode: True (default) to enter inference mode; False makes it a no-op.
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = bool(mode)
        self._target = not self._mode
        self._prev_inf: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(GRAD.enabled)
        self._prev_inf.append(GRAD.inference)
        if self._mode:
            GRAD.enabled = False
            GRAD.inference = True

    def __exit__(self, *exc: object) -> None:
        GRAD.enabled = self._prev.pop()
        GRAD.inference = self._prev_inf.pop()

    def clone(self) -> inference_mode:
        return inference_mode(self._mode)
