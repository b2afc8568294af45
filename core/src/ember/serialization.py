"""``ember.save`` and ``ember.load``: tensors and nested containers of them.

The file is a zip archive holding a JSON description of the object tree and one raw
``.npy`` array per tensor. Loading parses JSON and numpy headers only; it never executes
code from the file.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import _dtype as dt
from ._device import device as Device
from ._tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "ember-save-1"


def _encode(obj: Any, arrays: list[tuple[np.ndarray, str]], memo: dict[Any, int]) -> Any:
    if isinstance(obj, Tensor):
        return _encode_tensor(obj, arrays, memo)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Device):
        return {"__device__": str(obj)}
    if isinstance(obj, dt.dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, OrderedDict):
        return {"__odict__": [[_encode(k, arrays, memo), _encode(v, arrays, memo)]
                              for k, v in obj.items()],
                "metadata": _encode(getattr(obj, "_metadata", None), arrays, memo)}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, memo), _encode(v, arrays, memo)]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, memo) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, memo) for v in obj]
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        memo_key = len(arrays)
        arrays.append((np.ascontiguousarray(obj), "ndarray"))
        return {"__ndarray__": memo_key}
    raise TypeError(f"ember.save: cannot serialize object of type {type(obj).__name__}; "
                    "supported are tensors, numbers, strings, None, devices, dtypes, numpy "
                    "arrays and lists, tuples and dicts of them")


def _encode_tensor(t: Tensor, arrays: list[tuple[np.ndarray, str]], memo: dict[Any, int]
                   ) -> dict[str, Any]:
    """A tensor node. Each storage is written once: a view of a saved tensor refers to its
    base's array with its size, strides and offset, so views load sharing memory."""
    from .nn.parameter import Parameter

    node: dict[str, Any] = {"device": str(t.device), "requires_grad": t.requires_grad,
                            "parameter": isinstance(t, Parameter)}
    obj_key = ("obj", id(t))
    if obj_key not in memo:
        memo[obj_key] = memo[("objects",)] = memo.get(("objects",), -1) + 1
    node["obj"] = memo[obj_key]
    root = t if t._base is None else t._base
    root_arr = root._k.to_numpy(root._data)
    if root_arr.flags.c_contiguous:
        key = ("root", id(root))
        if key not in memo:
            memo[key] = len(arrays)
            arrays.append((root_arr, root.dtype.name))
        node["__tensor__"] = memo[key]
        if root is not t:
            node["view"] = [list(t.shape), list(t.stride()), t.storage_offset()]
    else:
        key = ("own", id(t))
        if key not in memo:
            memo[key] = len(arrays)
            arrays.append((np.ascontiguousarray(t._k.to_numpy(t._data)), t.dtype.name))
        node["__tensor__"] = memo[key]
    return node


class _Loaded:
    """The arrays of a file, and the tensors built from them so far."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays
        self.roots: dict[int, Tensor] = {}
        self.objs: dict[int, Any] = {}


def save(obj: Any, f: str | os.PathLike[str] | BinaryIO, pickle_module: Any = None,
         pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (tensors, numbers, strings and nested lists/tuples/dicts of them) to
    ``f``, a path or a binary file object.

    >>> import ember, io
    >>> buf = io.BytesIO()
    >>> ember.save({"w": ember.ones(2)}, buf)
    >>> _ = buf.seek(0)
    >>> ember.load(buf)["w"]
    tensor([1., 1.])
    """
    arrays: list[tuple[np.ndarray, str]] = []
    tree = _encode(obj, arrays, {})
    header = {"format": _FORMAT, "tree": tree, "dtypes": [d for _, d in arrays]}
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:  # type: ignore[arg-type]
        zf.writestr("header.json", json.dumps(header))
        for i, (arr, _d) in enumerate(arrays):
            buf = io.BytesIO()
            store = arr.view(np.uint16) if arr.dtype == dt.bfloat16.np else arr
            np.lib.format.write_array(buf, store, allow_pickle=False)
            zf.writestr(f"data/{i}.npy", buf.getvalue())


def _decode(node: Any, st: _Loaded, map_location: Any) -> Any:
    if isinstance(node, list):
        return [_decode(v, st, map_location) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        obj_id = node.get("obj")
        if obj_id is not None and obj_id in st.objs:
            return st.objs[obj_id]
        t = _decode_tensor(node, st, map_location)
        if obj_id is not None:
            st.objs[obj_id] = t
        return t
    if "__ndarray__" in node:
        return st.arrays[node["__ndarray__"]]
    if "__device__" in node:
        return Device(node["__device__"])
    if "__dtype__" in node:
        return dt.to_dtype(node["__dtype__"])
    if "__odict__" in node:
        od = OrderedDict((_decode(k, st, map_location), _decode(v, st, map_location))
                         for k, v in node["__odict__"])
        meta = _decode(node.get("metadata"), st, map_location)
        if meta is not None:
            od._metadata = meta  # type: ignore[attr-defined]
        return od
    if "__dict__" in node:
        return {_decode(k, st, map_location): _decode(v, st, map_location)
                for k, v in node["__dict__"]}
    if "__tuple__" in node:
        return tuple(_decode(v, st, map_location) for v in node["__tuple__"])
    raise RuntimeError(f"ember.load: malformed file: unknown node {sorted(node)}")


def _decode_tensor(node: dict[str, Any], st: _Loaded, map_location: Any) -> Any:
    from . import ops

    idx = node["__tensor__"]
    if not isinstance(idx, int) or not 0 <= idx < len(st.arrays):
        raise IndexError(f"tensor refers to array {idx!r}, the file has {len(st.arrays)}")
    root = st.roots.get(idx)
    if root is None:
        root = ops.from_numpy(st.arrays[idx])
        st.roots[idx] = root
    t = root
    if "view" in node:
        size, stride, offset = node["view"]
        t = root.detach().as_strided([int(v) for v in size], [int(v) for v in stride],
                                     int(offset))
    dev = node["device"] if map_location is None else map_location
    if callable(dev):
        dev = node["device"]
    if isinstance(dev, dict):
        dev = dev.get(node["device"], node["device"])
    if str(dev) != "cpu":
        t = t.to(dev)
    if node.get("parameter"):
        from .nn.parameter import Parameter

        return Parameter(t, requires_grad=bool(node["requires_grad"]))
    if node["requires_grad"]:
        t.requires_grad_(True)
    return t


def load(f: str | os.PathLike[str] | BinaryIO, map_location: Any = None,
         pickle_module: Any = None, *, weights_only: bool | None = True, mmap: Any = None,
         **pickle_load_args: Any) -> Any:
    """Read an object written by :func:`save`. Never executes code from the file.

    Args:
        f: a path or a binary file object.
        map_location: a device (or device string) to load every tensor onto.

    Raises:
        RuntimeError: the file is not an ember save file, or it is truncated or corrupt.
    """
    try:
        with zipfile.ZipFile(f) as zf:  # type: ignore[arg-type]
            header = json.loads(zf.read("header.json"))
            if not isinstance(header, dict) or header.get("format") != _FORMAT:
                raise RuntimeError("ember.load: not an ember save file (unknown format)")
            arrays = []
            if not isinstance(header.get("dtypes"), list):
                raise RuntimeError("ember.load: malformed file (no list of arrays)")
            for i, dname in enumerate(header["dtypes"]):
                arr = np.lib.format.read_array(io.BytesIO(zf.read(f"data/{i}.npy")),
                                               allow_pickle=False)
                if dname == "bfloat16":
                    arr = arr.view(dt.bfloat16.np)
                arrays.append(arr)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError, TypeError,
            zlib.error, NotImplementedError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise RuntimeError(f"ember.load: the file is truncated or not an ember save file "
                           f"({type(exc).__name__}: {exc})") from None
    try:
        return _decode(header["tree"], _Loaded(arrays), map_location)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise RuntimeError(f"ember.load: malformed file ({type(exc).__name__}: {exc})") from None
