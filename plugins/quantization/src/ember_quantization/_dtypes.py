"""The quantized dtypes (``qint8``, ``quint8``, ``qint32``) and the quantization schemes.

A quantized dtype is an :class:`ember.dtype` whose elements are stored as plain integers
(``int8``, ``uint8``, ``int32``) and read as ``(q - zero_point) * scale``. It is not a
floating-point type, and ember's promotion rules do not apply to it: no arithmetic op takes
quantized tensors.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import _dtype as dt

__all__ = ["QDtype", "qint8", "quint8", "qint32", "qscheme", "per_tensor_affine",
           "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
           "per_channel_affine_float_qparams"]


class QDtype(dt.dtype):
    """A quantized element type: the integer storage type and its range ``[qmin, qmax]``.

    >>> import ember
    >>> ember.quint8, ember.quint8.is_floating_point, ember.quint8.itemsize
    (ember.quint8, False, 1)
    >>> ember.quint8.storage
    ember.uint8
    """

    __slots__ = ("storage", "qmin", "qmax", "_scalar_name")

    def __init__(self, name: str, storage: dt.dtype, scalar_name: str) -> None:
        super().__init__(name, storage.np, dt._INT, storage._rank)
        self.storage = storage
        info = np.iinfo(storage.np)
        self.qmin = int(info.min)
        self.qmax = int(info.max)
        self._scalar_name = scalar_name

    @property
    def scalar_name(self) -> str:
        """The name torch's error messages use for this dtype (``QInt8``, ...)."""
        return self._scalar_name

    @property  # type: ignore[override]
    def is_signed(self) -> bool:
        """Not defined for quantized dtypes: raises, as torch does."""
        raise RuntimeError("isSignedType not supported for quantized types")

    @is_signed.setter
    def is_signed(self, value: bool) -> None:
        # dtype.__init__ sets the flag; the storage dtype keeps the real answer
        pass

    @property
    def is_quantized(self) -> bool:
        """Always True for the quantized dtypes."""
        return True


qint8 = QDtype("qint8", ember.int8, "QInt8")
quint8 = QDtype("quint8", ember.uint8, "QUInt8")
qint32 = QDtype("qint32", ember.int32, "QInt32")

QDTYPES = (qint8, quint8, qint32)


class qscheme:  # noqa: N801  (torch's name for the type)
    """A quantization scheme: how scale and zero point map integers to real values.

    Instances are singletons compared with ``is`` or ``==``.

    >>> import ember
    >>> ember.per_tensor_affine
    ember.per_tensor_affine
    """

    __slots__ = ("name", "__weakref__")

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self) -> str:
        return self.name


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
