"""``functional_call``: run a module with some parameters and buffers replaced for one call."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from ember import Tensor
from ember.nn import Module

__all__ = ["functional_call"]

# marks a name the module did not have before the swap
_MISSING: Any = object()


def _submodule(root: Module, path: str, memo: dict[str, Module]) -> Module:
    if not path:
        return root
    if path in memo:
        return memo[path]
    prefix, dot, attr = path.rpartition(".")
    parent = _submodule(root, prefix, memo) if dot else root
    try:
        sub = getattr(parent, attr)
    except AttributeError as ex:
        raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from ex
    if not isinstance(sub, Module):
        raise TypeError(f"submodule `{path}`: {sub} is not an instance of torch.nn.Module")
    memo[path] = sub
    return sub


def _swap_tensor(module: Module, name: str, tensor: Any) -> Any:
    # Put ``tensor`` (or remove the entry, for _MISSING) under ``name``; return what was
    # there. Parameters and buffers are replaced in their dicts, so plain tensors may
    # stand in for Parameters; anything else goes through setattr (parametrized
    # properties included).
    if tensor is not _MISSING and not isinstance(tensor, Tensor) and tensor is not None:
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    if name in module._parameters:
        orig = module._parameters[name]
        if tensor is _MISSING:
            del module._parameters[name]
        else:
            module._parameters[name] = tensor
        return orig
    if name in module._buffers:
        orig = module._buffers[name]
        if tensor is _MISSING:
            del module._buffers[name]
        else:
            module._buffers[name] = tensor
        return orig
    orig = getattr(module, name) if hasattr(module, name) else _MISSING
    if orig is not _MISSING and not isinstance(orig, Tensor) and orig is not None:
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


def _swap_all(root: Module, tensors: dict[str, Any]) -> dict[str, Any]:
    memo: dict[str, Module] = {}
    done: dict[str, Any] = {}
    try:
        for name, tensor in tensors.items():
            prefix, _, attr = name.rpartition(".")
            done[name] = _swap_tensor(_submodule(root, prefix, memo), attr, tensor)
    except Exception:
        for name, orig in done.items():
            prefix, _, attr = name.rpartition(".")
            _swap_tensor(_submodule(root, prefix, memo), attr, orig)
        raise
    return done


def _untie(module: Module, given: dict[str, Tensor]) -> dict[str, Tensor]:
    # A value given for one name of a tied tensor (shared by several names) applies to
    # all of its names.
    named: dict[str, Tensor] = {}
    named.update(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    by_tensor: dict[int, set[str]] = {}
    for name, tensor in named.items():
        by_tensor.setdefault(id(tensor), set()).add(name)
    tied: dict[str, set[str]] = {}
    for names in by_tensor.values():
        if len(names) > 1:
            for name in names:
                tied[name] = names
    given_tied = {name for name in given if name in tied}
    for name in given_tied:
        names = tied[name]
        if (len(names & given_tied) > 1
                and len({id(given[n]) for n in names if n in given}) != 1):
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(given)
    for name in given_tied:
        for other in tied[name]:
            untied[other] = given[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module: Module, parameters_and_buffers: dict[str, Tensor],
                          tie_weights: bool = False, strict: bool = False) -> Iterator[None]:
    tensors = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid.update(n for n, _ in module.named_buffers(remove_duplicate=False))
        missing = sorted(valid - set(tensors))
        unexpected = sorted(set(tensors) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(msgs)))
    originals: dict[str, Any] = {}
    try:
        originals = _swap_all(module, tensors)
        yield
    finally:
        current = _swap_all(module, originals)
        parameters_and_buffers.update({k: current[k] for k in parameters_and_buffers
                                       if k in current})


def functional_call(module: Module, parameters_and_buffers: dict[str, Tensor],
                    args: Any = None, kwargs: dict[str, Any] | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with the tensors in ``parameters_and_buffers`` in
    place of the module's own, then put the originals back.

    Deprecated in torch in favour of ``torch.func.functional_call``; emits the same
    ``FutureWarning``.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted names (as in ``state_dict``) to tensors. Gradients
            flow to these tensors, not to the module's parameters.
        args: positional arguments (a tuple, or a single non-tuple argument).
        kwargs: keyword arguments.
        tie_weights: a value given for one name of a tied tensor is used for all of its
            names (default True).
        strict: require exactly the module's parameter and buffer names.

    Returns:
        Whatever ``module`` returns.
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)
