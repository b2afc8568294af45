"""Parameter and Buffer: tensors that modules register as their state."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor, _init_from


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter.

    Assigning a Parameter as a module attribute registers it, so it appears in
    ``parameters()`` and the state dict. It shares memory with ``data``.

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

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        import numpy as np

        arr = np.array(self._k.to_numpy(self._data), copy=True)
        return (_rebuild_parameter, (arr, str(self._device), self._rg))


def _rebuild_parameter(arr: Any, device: str, requires_grad: bool) -> Parameter:
    from .. import ops

    return Parameter(ops.from_numpy(arr).to(device), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned as an attribute.

    Args:
        data: the buffer's value.
        persistent: whether it is part of the module's state dict.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        from .. import ops

        t = data if data is not None else ops.empty(0)
        b = object.__new__(cls)
        _init_from(b, t)
        b._vc = t._vc
        b.persistent = persistent
        return b

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass


class _UninitializedMixin:
    """Shared behaviour of tensors whose shape is not yet known (lazy modules)."""

    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor its shape (uninitialized values) and turn it into
        ``cls_to_become``."""
        from .. import ops

        shape = tuple(shape) if not isinstance(shape, int) else (shape,)
        t = ops.empty(shape, device=device or self.device, dtype=dtype or self.dtype)  # type: ignore[attr-defined]
        rg = self.requires_grad  # type: ignore[attr-defined]
        self._data = t._data  # type: ignore[attr-defined]
        self._device = t._device  # type: ignore[attr-defined]
        self._k = t._k  # type: ignore[attr-defined]
        self.__class__ = self.cls_to_become  # type: ignore[assignment]
        if rg:
            self.requires_grad_(True)  # type: ignore[attr-defined]

    @property
    def shape(self) -> Any:
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"Attempted to use an uninitialized parameter in {self}. This error "
                         "happens when you are using a `LazyModule` or explicitly manipulating "
                         "`torch.nn.parameter.UninitializedParameter` objects. When using "
                         "LazyModules Call `forward` with a dummy batch to initialize the "
                         "parameters before calling torch functions")

    size = numel = dim = _refuse  # type: ignore[assignment]
    __add__ = __mul__ = __sub__ = __truediv__ = __matmul__ = _refuse  # type: ignore
    __getitem__ = _refuse

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A parameter whose shape is decided on a lazy module's first forward."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
                ) -> UninitializedParameter:
        from .. import ops

        data = ops.empty(0, device=device, dtype=dtype)
        p = object.__new__(cls)
        _init_from(p, data)
        if requires_grad:
            p._rg = True
        return p

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        pass


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is decided on a lazy module's first forward."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                persistent: bool = True) -> UninitializedBuffer:
        from .. import ops

        data = ops.empty(0, device=device, dtype=dtype)
        b = object.__new__(cls)
        _init_from(b, data)
        b._rg = requires_grad
        b.persistent = persistent
        return b

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        pass


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is still uninitialized."""
    return isinstance(param, _UninitializedMixin)
