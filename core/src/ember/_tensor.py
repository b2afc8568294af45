"""The Tensor: an n-dimensional array on a device, with autograd state.

A tensor holds its backend's array (``_data``), its device and the kernel table of that
device (``_k``), and its autograd state. Views share their base's array memory and version
counter. Math methods are bound from :mod:`ember.ops` in ``_tensor_methods``; this file
keeps metadata, conversion, autograd entry points and Python protocol methods.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from math import prod as _prod
from typing import Any

import numpy as np

from . import _dtype as dt
from ._device import DEFAULT as _DEFAULT_DEVICE
from ._device import device as Device
from ._dispatch import table_for
from .autograd.grad_mode import GRAD
from .autograd.graph import Node, RemovableHandle

__all__ = ["Tensor", "Size", "wrap", "is_tensor"]


class VersionCounter:
    """Counts in-place modifications of a tensor and all views sharing its memory."""

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


class Size(tuple):  # type: ignore[type-arg]
    """The shape of a tensor: a tuple of ints.

    >>> import ember
    >>> ember.zeros(2, 3).shape
    ember.Size([2, 3])
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        return _prod(self)

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, key: Any) -> Any:
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))


# Slots read before they are set fall back to these (see Tensor.__getattr__), so that
# creating a tensor sets only the five attributes every tensor needs.
_LAZY_DEFAULTS = {"_grad": None, "_out_nr": 0, "_base": None, "_view_fn": None, "_acc": None,
                  "_bw_hooks": None, "_post_acc_hooks": None, "_retains_grad": False}


class Tensor:
    """A multi-dimensional array of one dtype on one device, with autograd support.

    Create tensors with factory functions (``ember.tensor``, ``ember.zeros``, ...). Calling
    ``Tensor(data)`` builds a tensor of the default float dtype from ``data``;
    ``Tensor(2, 3)`` an uninitialized one of that shape.
    """

    __slots__ = ("_data", "_device", "_k", "_rg", "_grad_fn", "_out_nr", "_grad", "_vc",
                 "_base", "_view_fn", "_acc", "_bw_hooks", "_post_acc_hooks", "_retains_grad",
                 "__dict__", "__weakref__")

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        from . import ops

        device = kwargs.get("device")
        if not args:
            t = ops.empty(0, device=device)
        elif isinstance(args[0], Size) or all(
                isinstance(a, builtins.int) and not isinstance(a, builtins.bool) for a in args):
            t = ops.empty(*args, device=device)
        else:
            t = ops.tensor(args[0], dtype=dt.get_default_dtype(), device=device)
        if cls is Tensor:
            return t
        out = object.__new__(cls)
        _init_from(out, t)
        return out

    def __getattr__(self, name: str) -> Any:
        try:
            value = _LAZY_DEFAULTS[name]
        except KeyError:
            if name == "_vc":
                vc = VersionCounter()
                object.__setattr__(self, "_vc", vc)
                return vc
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}'") from None
        return value

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        """The size of each dimension."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> dt.dtype:
        """The element type."""
        return dt.FROM_NP[self._data.dtype]

    @property
    def device(self) -> Device:
        """The device holding the tensor's memory."""
        return self._device

    @property
    def is_cuda(self) -> bool:
        """Whether the tensor lives on a CUDA device."""
        return self._device.type == "cuda"

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return _prod(self._data.shape)

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.dtype.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements (``numel() * itemsize``)."""
        return self.numel() * self._data.dtype.itemsize

    def stride(self, dim: int | None = None) -> Any:
        """Element strides of each dimension, or of ``dim``."""
        s = tuple(self._k.strides(self._data))
        if dim is None:
            return s
        return s[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """Offset in elements of the first element from the start of the shared storage."""
        base = self._base
        if base is None:
            return 0
        data = self._k.to_numpy(self._data)
        root = self._k.to_numpy(base._data)
        try:
            offset = (data.__array_interface__["data"][0] - root.__array_interface__["data"][0])
        except (AttributeError, TypeError):
            return 0
        return offset // self._data.dtype.itemsize

    def data_ptr(self) -> int:
        """Address of the first element in memory (0 for a tensor with no elements).

        Read from the backend array's own interface (``__array_interface__`` for numpy
        arrays, ``__cuda_array_interface__`` for device arrays), so views of one tensor
        report addresses inside the same buffer and the value is stable while the tensor
        lives (in-place ops keep it).
        """
        data = self._data
        if data.size == 0:
            return 0
        for attr in ("__array_interface__", "__cuda_array_interface__"):
            iface = getattr(data, attr, None)
            if iface is not None:
                return int(iface["data"][0])
        raise RuntimeError(f"data_ptr(): the {self._device.type} backend's arrays do not "
                           "expose their memory address")

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the elements are laid out densely in row-major order (or in
        ``memory_format``, e.g. ``ember.channels_last``)."""
        shape = self._data.shape
        strides = self.stride()
        if memory_format is not None and memory_format is not contiguous_format:
            order = memory_format.order(len(shape))
            if order is None:
                return False
        else:
            order = tuple(range(len(shape)))
        expected = 1
        for d in reversed(order):
            if shape[d] != 1 and strides[d] != expected:
                return False
            expected *= shape[d]
        return True

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type."""
        return self._data.dtype.kind == "f" or self.dtype.is_floating_point

    def is_complex(self) -> bool:
        """Always False: ember has no complex dtypes."""
        return False

    def is_signed(self) -> bool:
        """Whether the dtype is signed."""
        return self.dtype.is_signed

    @property
    def is_sparse(self) -> bool:
        """Always False for ember tensors (dense, strided, with real storage)."""
        return False

    @property
    def is_quantized(self) -> bool:
        """Always False for ember tensors (dense, strided, with real storage)."""
        return False

    @property
    def is_meta(self) -> bool:
        """Always False for ember tensors (dense, strided, with real storage)."""
        return False

    @property
    def layout(self) -> str:
        """The memory layout: always ``"strided"``."""
        return "strided"

    # ---------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        """Whether gradients are computed for this tensor."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(bool(value))

    def _set_requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use var_no_grad = "
                                   "var.detach().")
            return
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; returns ``self``."""
        self._set_requires_grad(bool(requires_grad))
        return self

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf (or of a tensor that called ``retain_grad``)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype}' "
                                   f"to a tensor with dtype '{self.dtype}'. Please ensure that "
                                   "the gradient and the tensor have the same dtype")
            if value._device != self._device:
                raise RuntimeError(f"attempting to assign a gradient with device "
                                   f"'{value._device}' to a tensor with device "
                                   f"'{self._device}'. Please ensure that the gradient and the "
                                   "tensor are on the same device")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and "
                                   "the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def grad_fn(self) -> Node | None:
        """The node that produced this tensor (None for leaves)."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op."""
        return self._grad_fn is None

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return bool(self._retains_grad) and self._grad_fn is not None

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for leaves)."""
        return self._out_nr if self._grad_fn is not None else 0

    @property
    def _version(self) -> int:
        return self._vc.v

    @property
    def data(self) -> Tensor:
        """The same values as a tensor that does not require grad (shares memory)."""
        return _alias(self)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device
        self._k = value._k

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        fn = self._grad_fn
        if fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        if fn._retain_hooks is None:
            fn._retain_hooks = {}
        ref = _weak(self)

        def retain(grad: Tensor) -> None:
            t = ref()
            if t is None:
                return
            if t._grad is None:
                t._grad = grad.detach().clone() if not GRAD.enabled else grad.clone()
            else:
                t._grad = t._grad + grad

        fn._retain_hooks[self._out_nr] = retain

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Register ``hook(grad) -> Tensor | None`` to run when this tensor's gradient is
        computed; a returned tensor replaces the gradient.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self._grad_fn
        if fn is not None:
            return fn._add_tensor_hook(self._out_nr, hook)
        if self._bw_hooks is None:
            from collections import OrderedDict

            self._bw_hooks = OrderedDict()
        handle = RemovableHandle(self._bw_hooks)
        self._bw_hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]
                                           ) -> RemovableHandle:
        """Register ``hook(tensor)`` to run after a gradient is accumulated into this leaf's
        ``.grad``."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_acc_hooks is None:
            from collections import OrderedDict

            self._post_acc_hooks = OrderedDict()
        handle = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[handle.id] = hook
        return handle

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to graph leaves.

        Args:
            gradient: the gradient of the result with respect to this tensor; may be
                omitted for a one-element tensor.
            retain_graph: keep the graph for another backward (defaults to
                ``create_graph``).
            create_graph: record the backward pass, for higher-order gradients.
            inputs: accumulate only into these tensors' ``.grad``.
        """
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing memory with this one, cut from the graph."""
        return _alias(self)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place; it becomes a leaf."""
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._rg = False
        return self

    # ---------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a numpy array (sharing memory on the cpu).

        Raises if the tensor requires grad (use ``detach()``) unless ``force``.
        """
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._device.type != "cpu" and not force:
            raise TypeError(f"can't convert {self._device.type} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._k.to_numpy(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values as a numpy array (numpy's array protocol; honours ``copy=True``)."""
        arr = self._k.to_numpy(self._data)
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._k.item(self._data)

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
        arr = self._k.to_numpy(self._data)
        if arr.dtype == dt.bfloat16.np:
            arr = arr.astype(np.float32)
        return arr.tolist()

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __bool__(self) -> bool:
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one' if n else 'no'} "
                               "value is ambiguous")
        return builtins.bool(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol: Any) -> Any:
        arr = np.array(self._k.to_numpy(self._data), copy=True)
        return (_rebuild, (arr, str(self._device), self._rg))

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        from . import ops

        with_grad = GRAD.enabled
        GRAD.enabled = False
        try:
            new = ops.clone(self)
        finally:
            GRAD.enabled = with_grad
        if type(self) is not Tensor:
            sub = object.__new__(type(self))
            _init_from(sub, new)
            new = sub
        new._rg = self._rg
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        import copy

        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        memo[id(self)] = new
        return new

    # ---------------------------------------------------------------- moving
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert to another dtype and/or device: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(other_tensor)``; ``copy=True`` always copies."""
        from . import ops

        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a._device, a.dtype
            elif isinstance(a, dt.dtype):
                dtype = a
            elif isinstance(a, (str, Device)) or (isinstance(a, int) and not
                                                  isinstance(a, builtins.bool)):
                device = a
            elif a is None:
                continue
            elif isinstance(a, builtins.bool):
                continue  # non_blocking given positionally
            else:
                dtype = dt.to_dtype(a)
        return ops.to_device_dtype(self, device, dtype, copy)

    def cpu(self) -> Tensor:
        """A copy on the cpu (``self`` if already there)."""
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """A copy on a CUDA device (default ``cuda:0``)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without arguments, the legacy type name (``"ember.FloatTensor"``); with a dtype,
        a converted tensor."""
        if dtype is None:
            return _LEGACY_NAMES.get(self.dtype.name, "ember.Tensor")
        if isinstance(dtype, str) and dtype in _LEGACY_TYPES:
            dtype = _LEGACY_TYPES[dtype]
        return self.to(dt.to_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor converted to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        """This tensor as ``float32`` (``self`` when it already is)."""
        return self.to(dt.float32)

    def double(self) -> Tensor:
        """This tensor as ``float64`` (``self`` when it already is)."""
        return self.to(dt.float64)

    def half(self) -> Tensor:
        """This tensor as ``float16`` (``self`` when it already is)."""
        return self.to(dt.float16)

    def bfloat16(self) -> Tensor:
        """This tensor as ``bfloat16`` (``self`` when it already is)."""
        return self.to(dt.bfloat16)

    def long(self) -> Tensor:
        """This tensor as ``int64`` (``self`` when it already is)."""
        return self.to(dt.int64)

    def int(self) -> Tensor:
        """This tensor as ``int32`` (``self`` when it already is)."""
        return self.to(dt.int32)

    def short(self) -> Tensor:
        """This tensor as ``int16`` (``self`` when it already is)."""
        return self.to(dt.int16)

    def char(self) -> Tensor:
        """This tensor as ``int8`` (``self`` when it already is)."""
        return self.to(dt.int8)

    def byte(self) -> Tensor:
        """This tensor as ``uint8`` (``self`` when it already is)."""
        return self.to(dt.uint8)

    def bool(self) -> Tensor:
        """This tensor as ``bool`` (``self`` when it already is)."""
        return self.to(dt.bool)

    # ---------------------------------------------------------------- new_* factories
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A new tensor from ``data`` with this tensor's dtype and device by default."""
        from . import ops

        if isinstance(data, Tensor):
            out = data.detach().to(device or self._device, dtype or self.dtype, copy=True)
            return out.requires_grad_(requires_grad)
        return ops.tensor(data, dtype=dtype or self.dtype, device=device or self._device,
                          requires_grad=requires_grad)

    def _new_factory(self, name: str, size: tuple[Any, ...], kwargs: dict[str, Any],
                     *extra: Any) -> Tensor:
        from . import ops

        kwargs.setdefault("dtype", self.dtype)
        kwargs.setdefault("device", self._device)
        if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
            size = tuple(size[0])
        return getattr(ops, name)(size, *extra, **kwargs)

    def new_zeros(self, *size: Any, **kwargs: Any) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device by default."""
        return self._new_factory("zeros", size, kwargs)

    def new_ones(self, *size: Any, **kwargs: Any) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device by default."""
        return self._new_factory("ones", size, kwargs)

    def new_empty(self, *size: Any, **kwargs: Any) -> Tensor:
        """An uninitialized tensor of ``size`` with this tensor's dtype and device."""
        return self._new_factory("empty", size, kwargs)

    def new_full(self, size: Any, fill_value: Any, **kwargs: Any) -> Tensor:
        """A tensor of ``size`` filled with ``fill_value``."""
        return self._new_factory("full", (size,), kwargs, fill_value)


_LEGACY_NAMES = {"float32": "ember.FloatTensor", "float64": "ember.DoubleTensor",
                 "float16": "ember.HalfTensor", "bfloat16": "ember.BFloat16Tensor",
                 "int64": "ember.LongTensor", "int32": "ember.IntTensor",
                 "int16": "ember.ShortTensor", "int8": "ember.CharTensor",
                 "uint8": "ember.ByteTensor", "bool": "ember.BoolTensor"}
_LEGACY_TYPES: dict[str, dt.dtype] = {}
for _name, _legacy in _LEGACY_NAMES.items():
    _LEGACY_TYPES[_legacy] = getattr(dt, _name)
    _LEGACY_TYPES[_legacy.replace("ember.", "torch.")] = getattr(dt, _name)


class _MemoryFormat:
    """A memory layout: ``contiguous_format``, ``channels_last``, ``channels_last_3d``,
    ``preserve_format``."""

    def __init__(self, name: str, order_4d: tuple[int, ...] | None = None,
                 ndim: int | None = None) -> None:
        self.name = name
        self._order = order_4d
        self._ndim = ndim

    def order(self, ndim: int) -> tuple[int, ...] | None:
        if self._order is None or ndim != self._ndim:
            return None
        return self._order

    def __repr__(self) -> str:
        return f"ember.{self.name}"


contiguous_format = _MemoryFormat("contiguous_format")
preserve_format = _MemoryFormat("preserve_format")
channels_last = _MemoryFormat("channels_last", (0, 2, 3, 1), 4)
channels_last_3d = _MemoryFormat("channels_last_3d", (0, 2, 3, 4, 1), 5)


def _weak(t: Tensor) -> Callable[[], Tensor | None]:
    import weakref

    return weakref.ref(t)


def _init_from(t: Tensor, src: Tensor) -> None:
    t._data = src._data
    t._device = src._device
    t._k = src._k
    t._rg = False
    t._grad_fn = None


def _rebuild(arr: np.ndarray, device: str, requires_grad: bool) -> Tensor:
    from . import ops

    t = ops.from_numpy(arr).to(device)
    t._rg = requires_grad
    return t


_new = object.__new__


def wrap(data: Any, device: Device, k: Any) -> Tensor:
    """A new tensor around backend array ``data`` (no autograd state)."""
    t = _new(Tensor)
    t._data = data
    t._device = device
    t._k = k
    t._rg = False
    t._grad_fn = None
    t._base = None  # set here: cheaper than the lazy-default lookups when making views
    t._view_fn = None
    return t


def _alias(t: Tensor) -> Tensor:
    """A new leaf tensor sharing ``t``'s memory and version counter."""
    a = _new(Tensor)
    a._data = t._data
    a._device = t._device
    a._k = t._k
    a._rg = False
    a._grad_fn = None
    a._vc = t._vc
    return a


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is an ember Tensor (or a subclass such as Parameter)."""
    return isinstance(obj, Tensor)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def default_device() -> Device:
    return _DEFAULT_DEVICE.value


def default_table() -> Any:
    return table_for(_DEFAULT_DEVICE.value)
