"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

Each stores its items as registered submodules or parameters, so traversal, ``to``,
the state dict and hooks see them; the container itself behaves like a list or dict.
"""

from __future__ import annotations

from collections import OrderedDict
from collections import abc as container_abcs
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import Any, TypeVar

from ._container_utils import _abs_index, _no_digit_keys, _renumber
from ._parameter_containers import ParameterDict, ParameterList
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]

_V = TypeVar("_V")


class Sequential(Module):
    """Runs its modules one after another, feeding each output to the next.

    Args:
        *args: the modules, named ``"0"``, ``"1"``, ...; or a single OrderedDict of
            ``name -> module``.

    >>> import ember
    >>> seq = ember.nn.Sequential(ember.nn.Sequential(), ember.nn.Sequential())
    >>> len(seq), seq(ember.ones(2))
    (2, tensor([1., 1.]))
    """

    _modules: dict[str, Module]  # type: ignore[assignment]

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator: Iterable[_V], idx: int) -> _V:
        return next(islice(iterator, _abs_index(idx, len(self)), None))

    def __getitem__(self, idx: slice | int) -> Any:
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(self._modules.values(), idx)

    def __setitem__(self, idx: int, module: Module) -> None:
        key: str = self._get_item_by_idx(self._modules.keys(), idx)
        setattr(self, key, module)

    def __delitem__(self, idx: slice | int) -> None:
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, self._get_item_by_idx(self._modules.keys(), idx))
        self._modules = _renumber(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __dir__(self) -> list[str]:
        return _no_digit_keys(super().__dir__())

    def __add__(self, other: Any) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        ret = Sequential()
        for layer in chain(self, other):
            ret.append(layer)
        return ret

    def __iadd__(self, other: Any) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        offset = len(self)
        for i, module in enumerate(other):
            self.add_module(str(i + offset), module)
        return self

    def _check_factor(self, other: Any) -> None:
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")

    def __mul__(self, other: int) -> Sequential:
        self._check_factor(other)
        combined = Sequential()
        offset = 0
        for _ in range(other):
            for module in self:
                combined.add_module(str(offset), module)
                offset += 1
        return combined

    def __rmul__(self, other: int) -> Sequential:
        return self.__mul__(other)

    def __imul__(self, other: int) -> Sequential:
        self._check_factor(other)
        n = len(self)
        offset = n
        for _ in range(other - 1):
            for i in range(n):
                self.add_module(str(i + offset), self._modules[str(i)])
            offset += n
        return self

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module (or Sequential of modules) at ``key``.

        Args:
            key: an index or a slice.

        Returns:
            What ``self[key]`` returned before the removal.

        >>> import ember
        >>> seq = ember.nn.Sequential(ember.nn.Sequential())
        >>> _ = seq.pop(0); len(seq)
        0
        """
        v = self[key]
        del self[key]
        return v

    def forward(self, input: Any) -> Any:  # noqa: A002
        """Feed ``input`` through every module in order.

        Args:
            input: the first module's input.

        Returns:
            The last module's output.
        """
        for module in self:
            input = module(input)  # noqa: A001
        return input

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end.

        Args:
            module: the module to add.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.Sequential().append(ember.nn.Sequential()))
        1
        """
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index``.

        Args:
            index: the position, from ``-len(self)`` to ``len(self)``.
            module: the module to insert.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.Sequential().insert(0, ember.nn.Sequential()))
        1
        """
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential: Iterable[Module]) -> Sequential:
        """Append every module of ``sequential``.

        Args:
            sequential: an iterable of modules.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.Sequential().extend([ember.nn.Sequential()]))
        1
        """
        for layer in sequential:
            self.append(layer)
        return self


class ModuleList(Module):
    """A list of submodules, registered so that every Module method sees them.

    Args:
        modules: an optional iterable of modules.

    >>> import ember
    >>> ml = ember.nn.ModuleList([ember.nn.Sequential(), ember.nn.Sequential()])
    >>> len(ml), [n for n, _ in ml.named_children()]
    (2, ['0', '1'])
    """

    _modules: dict[str, Module]  # type: ignore[assignment]

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self += modules

    def _get_abs_string_index(self, idx: Any) -> str:
        return str(_abs_index(idx, len(self)))

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._get_abs_string_index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._get_abs_string_index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, self._get_abs_string_index(idx))
        self._modules = _renumber(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __dir__(self) -> list[str]:
        return _no_digit_keys(super().__dir__())

    def __repr__(self) -> str:
        reprs = [repr(item) for item in self]
        if not reprs:
            return self._get_name() + "()"
        # Runs of identical consecutive children print once, as "(i-j): n x <repr>".
        runs: list[list[Any]] = []
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, text in runs:
            if start == end:
                line = f"({start}): {text}"
            else:
                line = f"({start}-{end}): {end - start + 1} x {text}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``.

        Args:
            index: the position.
            module: the module to insert.

        >>> import ember
        >>> ml = ember.nn.ModuleList()
        >>> ml.insert(0, ember.nn.Sequential()); len(ml)
        1
        """
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end.

        Args:
            module: the module to add.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.ModuleList().append(ember.nn.Sequential()))
        1
        """
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module (or ModuleList) at ``key``.

        Args:
            key: an index or a slice.

        Returns:
            What ``self[key]`` returned before the removal.

        >>> import ember
        >>> ml = ember.nn.ModuleList([ember.nn.Sequential()])
        >>> _ = ml.pop(0); len(ml)
        0
        """
        v = self[key]
        del self[key]
        return v

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of the iterable ``modules``.

        Args:
            modules: an iterable of modules.

        Returns:
            ``self``.

        >>> import ember
        >>> len(ember.nn.ModuleList().extend([ember.nn.Sequential()]))
        1
        """
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self


class ModuleDict(Module):
    """An ordered dict of submodules, registered so that every Module method sees them.

    Args:
        modules: a mapping ``name -> module`` or an iterable of ``(name, module)`` pairs.

    >>> import ember
    >>> md = ember.nn.ModuleDict({"a": ember.nn.Sequential()})
    >>> list(md.keys()), "a" in md
    (['a'], True)
    """

    _modules: dict[str, Module]  # type: ignore[assignment]

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module.

        >>> import ember
        >>> md = ember.nn.ModuleDict({"a": ember.nn.Sequential()})
        >>> md.clear(); len(md)
        0
        """
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove and return the module named ``key``.

        Args:
            key: the name.

        Returns:
            The removed module.

        >>> import ember
        >>> md = ember.nn.ModuleDict({"a": ember.nn.Sequential()})
        >>> type(md.pop("a")).__name__
        'Sequential'
        """
        v = self[key]
        del self[key]
        return v

    def keys(self) -> container_abcs.KeysView[str]:
        """The names, in insertion order.

        Returns:
            A keys view.

        >>> import ember
        >>> list(ember.nn.ModuleDict({"a": ember.nn.Sequential()}).keys())
        ['a']
        """
        return self._modules.keys()

    def items(self) -> container_abcs.ItemsView[str, Module]:
        """The ``(name, module)`` pairs, in insertion order.

        Returns:
            An items view.

        >>> import ember
        >>> [k for k, _ in ember.nn.ModuleDict({"a": ember.nn.Sequential()}).items()]
        ['a']
        """
        return self._modules.items()

    def values(self) -> container_abcs.ValuesView[Module]:
        """The modules, in insertion order.

        Returns:
            A values view.

        >>> import ember
        >>> len(ember.nn.ModuleDict({"a": ember.nn.Sequential()}).values())
        1
        """
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Add or replace modules from a mapping or an iterable of ``(name, module)`` pairs.

        Args:
            modules: the new entries (a mapping keeps its own order).

        >>> import ember
        >>> md = ember.nn.ModuleDict()
        >>> md.update([("b", ember.nn.Sequential())]); list(md)
        ['b']
        """
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        if isinstance(modules, (OrderedDict, ModuleDict, container_abcs.Mapping)):
            for key, module in modules.items():
                self[key] = module
            return
        pairs: Any = modules
        for j, m in enumerate(pairs):
            if not isinstance(m, container_abcs.Iterable):
                raise TypeError("ModuleDict update sequence element #" + str(j)
                                + " should be Iterable; is" + type(m).__name__)
            if len(m) != 2:
                raise ValueError("ModuleDict update sequence element #" + str(j)
                                 + " has length " + str(len(m)) + "; 2 is required")
            self[m[0]] = m[1]
