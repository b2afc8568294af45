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
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import _dtype as dt
from ._device import device as Device
from ._tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "ember-save-1"


def _encode(obj: Any, arrays: list[tuple[np.ndarray, str]], memo: dict[int, int]) -> Any:
    if isinstance(obj, Tensor):
        key = id(obj)
        if key not in memo:
            arr = np.ascontiguousarray(obj._k.to_numpy(obj._data))
            memo[key] = len(arrays)
            arrays.append((arr, obj.dtype.name))
        from .nn.parameter import Parameter

        return {"__tensor__": memo[key], "device": str(obj.device),
                "requires_grad": obj.requires_grad, "parameter": isinstance(obj, Parameter)}
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


def _decode(node: Any, arrays: list[Any], map_location: Any) -> Any:
    from . import ops

    if isinstance(node, list):
        return [_decode(v, arrays, map_location) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        arr = arrays[node["__tensor__"]]
        t = ops.from_numpy(arr)
        dev = node["device"] if map_location is None else map_location
        if callable(dev):
            dev = node["device"]
        if isinstance(dev, dict):
            dev = dev.get(node["device"], node["device"])
        if str(dev) != "cpu":
            t = t.to(dev)
        if node.get("parameter"):
            from .nn.parameter import Parameter

            return Parameter(t, requires_grad=node["requires_grad"])
        if node["requires_grad"]:
            t.requires_grad_(True)
        return t
    if "__ndarray__" in node:
        return arrays[node["__ndarray__"]]
    if "__device__" in node:
        return Device(node["__device__"])
    if "__dtype__" in node:
        return dt.to_dtype(node["__dtype__"])
    if "__odict__" in node:
        od = OrderedDict((_decode(k, arrays, map_location), _decode(v, arrays, map_location))
                         for k, v in node["__odict__"])
        meta = _decode(node.get("metadata"), arrays, map_location)
        if meta is not None:
            od._metadata = meta  # type: ignore[attr-defined]
        return od
    if "__dict__" in node:
        return {_decode(k, arrays, map_location): _decode(v, arrays, map_location)
                for k, v in node["__dict__"]}
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, map_location) for v in node["__tuple__"])
    raise RuntimeError(f"ember.load: malformed file: unknown node {sorted(node)}")


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
            for i, dname in enumerate(header["dtypes"]):
                arr = np.lib.format.read_array(io.BytesIO(zf.read(f"data/{i}.npy")),
                                               allow_pickle=False)
                if dname == "bfloat16":
                    arr = arr.view(dt.bfloat16.np)
                arrays.append(arr)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise RuntimeError(f"ember.load: the file is truncated or not an ember save file "
                           f"({type(exc).__name__}: {exc})") from None
    return _decode(header["tree"], arrays, map_location)
