"""Parameter and Buffer, and their uninitialized forms used by lazy modules."""

from __future__ import annotations

import sys
from typing import Any

from .. import _dtype as dt
from .._tensor import Size, Tensor, _init_from

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter.

    Assigning a Parameter as a module attribute registers it, so it appears in
    ``parameters()`` and the state dict. It shares memory (and the version counter) with
    ``data``.

    Args:
        data: the initial value (an empty tensor when None).
        requires_grad: whether the parameter takes gradients (default True).

    >>> import ember
    >>> p = ember.nn.Parameter(ember.zeros(2))
    >>> p.requires_grad
    True
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        from .. import ops

        if data is None:
            data = ops.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor as data, got {type(data).__name__}")
        p = object.__new__(cls)
        _init_from(p, data)
        p._vc = data._vc
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __str__(self) -> str:
        return self.__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        import numpy as np

        arr = np.array(self._k.to_numpy(self._data), copy=True)
        return (_rebuild_parameter, (arr, str(self._device), self._rg))


def _rebuild_parameter(arr: Any, device: str, requires_grad: bool) -> Parameter:
    from .. import ops

    return Parameter(ops.from_numpy(arr).to(device), requires_grad)


class _BufferMeta(type):
    """Makes ``isinstance(t, Buffer)`` true for tensors created through ``Buffer(...)``."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(getattr(instance, "_is_buffer", False))
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a module buffer when assigned as an attribute.

    ``Buffer(t)`` returns a plain tensor sharing ``t``'s memory, flagged so that module
    attribute assignment registers it with ``register_buffer``.

    Args:
        data: the buffer's value (an empty tensor when None).
        persistent: whether it is part of the module's state dict.

    >>> import ember
    >>> m = ember.nn.Module()
    >>> m.stats = ember.nn.Buffer(ember.zeros(2), persistent=False)
    >>> [n for n, _ in m.named_buffers()], list(m.state_dict())
    (['stats'], [])
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        from .. import ops

        if data is None:
            data = ops.empty(0)
        t = data.detach()
        t._rg = data.requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t


def _uninitialized_error(cls_name: str, depth: int = 2) -> ValueError:
    try:
        func = sys._getframe(depth).f_code.co_qualname
    except (AttributeError, ValueError):
        func = "an operation"
    return ValueError(f"Attempted to use an uninitialized parameter in {func}. This error "
                      "happens when you are using a `LazyModule` or explicitly manipulating "
                      f"`ember.nn.parameter.{cls_name}` objects. When using LazyModules Call "
                      "`forward` with a dummy batch to initialize the parameters before "
                      "calling ember functions")


_raw_data = Tensor._data  # the slot descriptor holding the backend array


class UninitializedTensorMixin:
    """Behaviour of tensors whose shape is decided later (the parameters of lazy modules).

    Until :meth:`materialize` gives it a shape, such a tensor refuses every operation with
    a ValueError; only its dtype, device, ``requires_grad``, ``size()``, ``data`` and the
    conversions (``to``, ``float``, ``double``, ``half``, ``cpu``, ``cuda``, ...) work, so
    that ``module.to(...)`` can change the dtype or device a lazy module will create its
    parameters with. Converting an uninitialized parameter gives a plain empty tensor;
    converting an uninitialized buffer gives a new uninitialized buffer.

    >>> import ember
    >>> p = ember.nn.UninitializedParameter()
    >>> p.double().dtype, p.size()
    (ember.float64, ember.Size([0]))
    >>> p + 1
    Traceback (most recent call last):
        ...
    ValueError: Attempted to use an uninitialized parameter in ...
    """

    __slots__ = ()
    cls_to_become: type = Tensor

    # Every op reads ``_data``; reading it through the mixin raises, which is how any
    # operation on an uninitialized tensor is refused.
    @property
    def _data(self) -> Any:
        raise _uninitialized_error(type(self).__name__)

    @_data.setter
    def _data(self, value: Any) -> None:
        _raw_data.__set__(self, value)

    def _placeholder(self) -> Tensor:
        """The empty tensor standing in for this one's storage."""
        t = object.__new__(Tensor)
        _raw_data.__set__(t, _raw_data.__get__(self))
        t._device = self._device  # type: ignore[attr-defined]
        t._k = self._k  # type: ignore[attr-defined]
        t._rg = False
        t._grad_fn = None
        return t

    @property
    def data(self) -> Tensor:
        """The (empty) tensor holding this one's dtype and device."""
        return self._placeholder()

    @data.setter
    def data(self, value: Tensor) -> None:
        """Replace the storage (dtype and device) with ``value``'s."""
        Tensor.data.fset(self, value)  # type: ignore[attr-defined]

    @property
    def dtype(self) -> dt.dtype:
        """The dtype the tensor will be materialized with."""
        return dt.FROM_NP[_raw_data.__get__(self).dtype]

    @property
    def shape(self) -> Any:
        """Always raises RuntimeError: the shape is not known yet."""
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def size(self, dim: int | None = None) -> Any:
        """The size of the empty placeholder storage (``ember.Size([0])``), as torch gives."""
        shape = Size(_raw_data.__get__(self).shape)
        return shape if dim is None else shape[dim]

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type."""
        return self.dtype.is_floating_point

    # Conversions give a plain empty tensor for a parameter and a new uninitialized
    # buffer for a buffer (as torch does), so converting a lazy module before its first
    # forward changes the dtype/device its tensors will be created with.
    _convert_keeps_class = False

    def _converted(self, t: Tensor) -> Any:
        if not self._convert_keeps_class or t is self:
            return t
        out = object.__new__(type(self))
        _init_from(out, t)
        return out

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """Convert the placeholder (arguments as ``Tensor.to``); see the class notes."""
        return self._converted(self._placeholder().to(*args, **kwargs))

    def cpu(self) -> Any:
        """The placeholder on the cpu; see the class notes."""
        return self._converted(self._placeholder().cpu())

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        """The placeholder on a CUDA device; see the class notes."""
        return self._converted(self._placeholder().cuda(device))

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """The legacy type name, or the placeholder cast to ``dtype``."""
        if dtype is None:
            return self._placeholder().type()
        return self._converted(self._placeholder().type(dtype))

    def half(self) -> Any:
        """The placeholder cast to float16; see the class notes."""
        return self._converted(self._placeholder().half())

    def float(self) -> Any:
        """The placeholder cast to float32; see the class notes."""
        return self._converted(self._placeholder().float())

    def double(self) -> Any:
        """The placeholder cast to float64; see the class notes."""
        return self._converted(self._placeholder().double())

    def bfloat16(self) -> Any:
        """The placeholder cast to bfloat16; see the class notes."""
        return self._converted(self._placeholder().bfloat16())

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor its shape (with uninitialized values) and turn it into
        ``cls_to_become`` (Parameter or Tensor).

        Args:
            shape: the new shape.
            device: the device (default: the current one).
            dtype: the dtype (default: the current one).

        >>> import ember
        >>> p = ember.nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', ember.Size([2, 3]))
        """
        from .. import ops

        if device is None:
            device = self._device  # type: ignore[attr-defined]
        if dtype is None:
            dtype = self.dtype
        self.data = ops.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (type(self), (self.requires_grad,))  # type: ignore[attr-defined]

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        """Copy ``src`` into the (still empty) storage; only an empty source fits."""
        if is_lazy(src):
            src = src._placeholder()
        self._placeholder().copy_(src)
        return self


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an uninitialized parameter or buffer.

    Args:
        param: any object.

    Returns:
        True for UninitializedParameter / UninitializedBuffer instances.

    >>> import ember
    >>> ember.nn.parameter.is_lazy(ember.nn.UninitializedParameter())
    True
    """
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is decided on a lazy module's first forward.

    Args:
        requires_grad: whether the materialized parameter requires grad.
        device: the device to create it on.
        dtype: the dtype to create it with.

    >>> import ember
    >>> ember.nn.UninitializedParameter()
    <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
                ) -> UninitializedParameter:
        from .. import ops

        data = ops.empty(0, device=device, dtype=dtype)
        p = object.__new__(cls)
        _init_from(p, data)
        p._vc = data._vc
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> UninitializedParameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self._device, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is decided on a lazy module's first forward.

    Args:
        requires_grad: whether the materialized buffer requires grad.
        device: the device to create it on.
        dtype: the dtype to create it with.
        persistent: whether the buffer is part of the state dict.

    >>> import ember
    >>> ember.nn.UninitializedBuffer()
    <UninitializedBuffer>
    """

    cls_to_become = Tensor
    _convert_keeps_class = True

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                persistent: bool = True) -> UninitializedBuffer:
        from .. import ops

        data = ops.empty(0, device=device, dtype=dtype)
        b = object.__new__(cls)
        _init_from(b, data)
        b.requires_grad_(requires_grad)
        b.persistent = persistent
        b._is_buffer = True
        return b

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        pass

