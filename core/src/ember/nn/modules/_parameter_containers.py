"""Parameter containers: ParameterList and ParameterDict (re-exported by ``container``).

They store parameters (plain tensors are wrapped in :class:`~ember.nn.Parameter`) as the
registered parameters of a module, so the state dict, ``to`` and optimizers see them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections import abc as container_abcs
from collections.abc import Iterable, Iterator
from typing import Any

from ..._tensor import Tensor
from ..parameter import Parameter
from ._container_utils import _abs_index, _no_digit_keys, _tensor_line
from .module import Module, typename

__all__ = ["ParameterList", "ParameterDict"]


class ParameterList(Module):
    """A list of parameters, registered so that every Module method sees them.

    Plain tensors are wrapped in :class:`~ember.nn.Parameter` when stored; other objects
    are kept as they are.

    Args:
        values: an optional iterable of parameters (or tensors).

    >>> import ember
    >>> pl = ember.nn.ParameterList([ember.zeros(2), ember.ones(3)])
    >>> [tuple(p.shape) for p in pl.parameters()]
    [(2,), (3,)]
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx: Any) -> str:
        return str(_abs_index(idx, len(self)))

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx: int, param: Any) -> None:
        key = self._get_abs_string_index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, key, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def __dir__(self) -> list[str]:
        return _no_digit_keys(super().__dir__())

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end (a tensor becomes a Parameter).

        Args:
            value: the parameter, tensor or other object.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.ParameterList().append(ember.zeros(1)))
        1
        """
        new_idx = len(self)
        self._size += 1
        self[new_idx] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every item of ``values``.

        Args:
            values: an iterable (not a tensor).

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.ParameterList().extend([ember.zeros(1)]))
        1
        """
        if not isinstance(values, container_abcs.Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        """One line per item: its kind, dtype and size.

        Returns:
            The lines joined by newlines.

        >>> import ember
        >>> print(ember.nn.ParameterList([ember.zeros(2)]).extra_repr())
          (0): Parameter containing: [ember.float32 of size 2]
        """
        lines = []
        for k, p in enumerate(self):
            if isinstance(p, Tensor):
                lines.append(_tensor_line(k, p, str(p.dtype)))
            else:
                lines.append(f"  ({k}): Object of type: {type(p).__name__}")
        return "\n".join(lines)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters, registered so that every Module method sees them.

    Plain tensors are wrapped in :class:`~ember.nn.Parameter` when stored. A plain
    ``dict`` given to the constructor or ``update`` is added in sorted key order; an
    OrderedDict or ParameterDict keeps its order.

    Args:
        parameters: a mapping ``name -> parameter`` or an iterable of pairs.

    >>> import ember
    >>> pd = ember.nn.ParameterDict({"b": ember.zeros(1), "a": ember.ones(1)})
    >>> list(pd.keys())
    ['a', 'b']
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}'). Open an issue on "
                            "github if you need non-string keys.")
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters (not copies of them).

        Returns:
            The new dict.

        >>> import ember
        >>> pd = ember.nn.ParameterDict({"a": ember.zeros(1)})
        >>> pd.copy()["a"] is pd["a"]
        True
        """
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return ``self[key]``, first storing ``default`` there if the key is absent.

        Args:
            key: the name.
            default: the value stored when the key is missing.

        Returns:
            The value at ``key``.

        >>> import ember
        >>> ember.nn.ParameterDict().setdefault("a", ember.zeros(1)).shape
        ember.Size([1])
        """
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every entry.

        >>> import ember
        >>> pd = ember.nn.ParameterDict({"a": ember.zeros(1)})
        >>> pd.clear(); len(pd)
        0
        """
        for k in self._keys.copy():
            del self[k]

    def pop(self, key: str) -> Any:
        """Remove and return the entry ``key``.

        Args:
            key: the name.

        Returns:
            The removed value.

        >>> import ember
        >>> ember.nn.ParameterDict({"a": ember.zeros(1)}).pop("a").shape
        ember.Size([1])
        """
        v = self[key]
        del self[key]
        return v

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted ``(key, value)`` pair.

        Returns:
            The pair.

        >>> import ember
        >>> ember.nn.ParameterDict({"a": ember.zeros(1)}).popitem()[0]
        'a'
        """
        k, _ = self._keys.popitem()
        self._keys[k] = None
        val = self[k]
        del self[k]
        return k, val

    def get(self, key: str, default: Any = None) -> Any:
        """``self[key]`` if the key is present, else ``default``.

        Args:
            key: the name.
            default: returned when the key is missing.

        Returns:
            The value or ``default``.

        >>> import ember
        >>> ember.nn.ParameterDict().get("a", 3)
        3
        """
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with every key of ``keys`` set to ``default``.

        Args:
            keys: the names.
            default: the value for each.

        Returns:
            The new dict.

        >>> import ember
        >>> list(ember.nn.ParameterDict().fromkeys(["a", "b"], ember.zeros(1)))
        ['a', 'b']
        """
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> container_abcs.KeysView[str]:
        """The names, in insertion order.

        Returns:
            A keys view.

        >>> import ember
        >>> list(ember.nn.ParameterDict({"a": ember.zeros(1)}).keys())
        ['a']
        """
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        """The ``(name, value)`` pairs, in insertion order.

        Returns:
            A generator of pairs.

        >>> import ember
        >>> [k for k, _ in ember.nn.ParameterDict({"a": ember.zeros(1)}).items()]
        ['a']
        """
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        """The values, in insertion order.

        Returns:
            A generator of values.

        >>> import ember
        >>> len(list(ember.nn.ParameterDict({"a": ember.zeros(1)}).values()))
        1
        """
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Add or replace entries from a mapping or an iterable of ``(name, value)`` pairs.

        Args:
            parameters: the new entries; a plain dict is added in sorted key order.

        >>> import ember
        >>> pd = ember.nn.ParameterDict()
        >>> pd.update({"b": ember.zeros(1), "a": ember.zeros(1)}); list(pd)
        ['a', 'b']
        """
        if not isinstance(parameters, container_abcs.Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, parameter in parameters.items():
                self[key] = parameter
        elif isinstance(parameters, container_abcs.Mapping):
            for key, parameter in sorted(parameters.items()):
                self[key] = parameter
        else:
            pairs: Any = parameters
            for j, p in enumerate(pairs):
                if not isinstance(p, container_abcs.Iterable):
                    raise TypeError("ParameterDict update sequence element #" + str(j)
                                    + " should be Iterable; is" + type(p).__name__)
                if len(p) != 2:
                    raise ValueError("ParameterDict update sequence element #" + str(j)
                                     + " has length " + str(len(p)) + "; 2 is required")
                self[p[0]] = p[1]

    def extra_repr(self) -> str:
        """One line per entry: its kind, tensor type and size.

        Returns:
            The lines joined by newlines.

        >>> import ember
        >>> print(ember.nn.ParameterDict({"a": ember.zeros(2)}).extra_repr())
          (a): Parameter containing: [ember.FloatTensor of size 2]
        """
        lines = []
        for k, p in self.items():
            if isinstance(p, Tensor):
                lines.append(_tensor_line(k, p, typename(p)))
            else:
                lines.append(f"  ({k}): Object of type: {type(p).__name__}")
        return "\n".join(lines)

    def __call__(self, input: Any) -> Any:  # noqa: A002
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

