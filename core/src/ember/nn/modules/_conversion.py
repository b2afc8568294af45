"""Module conversion: ``to``, ``cpu``, ``cuda``, ``float``, ``double``, ... and ``apply``.

``_ConversionMixin`` is a base of :class:`~ember.nn.Module`. Conversions change
parameters in place (``param.data = converted``), so a Parameter keeps its identity and
an optimizer holding it keeps working; buffers are replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ... import _dtype as dt
from ..._tensor import Tensor

__all__ = ["_ConversionMixin"]


_TO_SIGNATURES = (
    " * (ember.device device = None, ember.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, ember.memory_format memory_format = None)\n"
    " * (ember.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "ember.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "ember.memory_format memory_format = None)\n")
_PY_TYPES = {float: dt.float64, int: dt.int64, bool: dt.bool}


def _arg_type(a: Any) -> str:
    from ..._device import device as Device

    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, dt.dtype):
        return "ember.dtype"
    if isinstance(a, Device):
        return "ember.device"
    return type(a).__name__


def _bad_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> TypeError:
    pos = [_arg_type(a) for a in args]
    kw = [f"{k}={_arg_type(v)}" for k, v in kwargs.items()]
    got = f"({', '.join(pos + kw)})" if pos else f"({', '.join(kw)}, )"
    return TypeError("to() received an invalid combination of arguments - got "
                     f"{got}, but expected one of:\n{_TO_SIGNATURES}")


def _parse_to(*args: Any, **kwargs: Any) -> tuple[Any, Any, bool, Any]:
    """Split ``Module.to``'s arguments into (device, dtype, non_blocking, memory_format),
    accepting the three forms ``to(device, dtype)``, ``to(dtype)`` and ``to(tensor)``."""
    from ..._device import device as Device

    if "copy" in kwargs:
        raise RuntimeError(".to() does not accept copy argument")
    known = {"device", "dtype", "non_blocking", "memory_format"}
    if any(k not in known for k in kwargs):
        raise _bad_to_args(args, kwargs)
    device = kwargs.get("device")
    dtype = kwargs.get("dtype")
    non_blocking = bool(kwargs.get("non_blocking", False))
    memory_format = kwargs.get("memory_format")
    rest = list(args)
    first = rest[0] if rest else None
    if isinstance(first, Tensor):
        device, dtype = first.device, first.dtype
        rest.pop(0)
    elif isinstance(first, dt.dtype):
        dtype = rest.pop(0)
    elif first in _PY_TYPES:
        dtype = _PY_TYPES[rest.pop(0)]
    elif rest and (first is None or isinstance(first, (str, Device))
                   or (isinstance(first, int) and not isinstance(first, bool))):
        device = rest.pop(0)
        if rest and (rest[0] is None or isinstance(rest[0], dt.dtype)):
            dtype = rest.pop(0)
    if rest and isinstance(rest[0], bool):
        non_blocking = rest.pop(0)
    if rest:
        raise _bad_to_args(args, kwargs)
    if device is not None and not isinstance(device, Device):
        device = Device("cuda", device) if isinstance(device, int) else Device(device)
    return device, dtype, non_blocking, memory_format


class _ConversionMixin:
    """Conversion methods of Module."""

    _parameters: dict[str, Any]
    _buffers: dict[str, Any]

    if TYPE_CHECKING:
        def children(self) -> Iterator[Any]: ...

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Any:
        from ...autograd.grad_mode import no_grad

        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param_applied = fn(param)
            param.data = param_applied
            grad = param.grad
            if grad is not None:
                with no_grad():
                    grad_applied = fn(grad)
                grad.data = grad_applied
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def apply(self, fn: Callable[[Any], None]) -> Any:
        """Call ``fn`` on every submodule (children first) and then on this module.

        Args:
            fn: called with each module, e.g. to initialize weights.

        Returns:
            ``self``.

        >>> import ember
        >>> seen = []
        >>> _ = ember.nn.Sequential(ember.nn.Module()).apply(lambda m: seen.append(m))
        >>> len(seen)
        2
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """Move and/or cast the parameters and buffers, in place.

        Accepts ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and
        the keywords ``device``, ``dtype``, ``non_blocking``, ``memory_format``. A dtype
        applies to floating-point tensors only and must be a floating-point dtype.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.to(ember.float64).w.dtype
        ember.float64
        """
        device, dtype, non_blocking, memory_format = _parse_to(*args, **kwargs)
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            target = dtype if t.is_floating_point() or t.is_complex() else None
            if memory_format is not None and t.dim() in (4, 5):
                return t.to(device, target, non_blocking, memory_format=memory_format)
            return t.to(device, target, non_blocking)

        return self._apply(convert)

    def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
        """Move the parameters and buffers to ``device`` without copying their values.

        Args:
            device: the target device.
            recurse: also move submodules.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(2))
        >>> m.to_empty(device="cpu").w.shape
        ember.Size([2])
        """
        from ... import ops

        return self._apply(lambda t: ops.empty_like(t, device=device), recurse=recurse)

    def cpu(self) -> Any:
        """Move all parameters and buffers to the cpu.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().cpu().training
        True
        """
        return self._apply(lambda t: t.cpu())

    def cuda(self, device: Any = None) -> Any:
        """Move all parameters and buffers to a CUDA device.

        Args:
            device: the device index or name (default: the current CUDA device).

        Returns:
            ``self``.
        """
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type: Any) -> Any:
        """Cast all parameters and buffers to ``dst_type``.

        Args:
            dst_type: the dtype.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.type(ember.float64).w.dtype
        ember.float64
        """
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Any:
        """Cast floating-point parameters and buffers to float32.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().float().training
        True
        """
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Any:
        """Cast floating-point parameters and buffers to float64.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.double().w.dtype
        ember.float64
        """
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Any:
        """Cast floating-point parameters and buffers to float16.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.half().w.dtype
        ember.float16
        """
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self) -> Any:
        """Cast floating-point parameters and buffers to bfloat16.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.bfloat16().w.dtype
        ember.bfloat16
        """
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

