"""Activation checkpointing: trade compute for memory by recomputing a block in backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph and keeps only its
inputs; when the backward pass reaches the block, ``fn`` runs again on the saved inputs,
this time recording, and the gradient flows through that recomputed graph. The random
state (dropout masks) and the autocast state of the first run are restored for the
recomputation, so the gradients are those of the uncheckpointed block.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd import enable_grad, no_grad
from ..autograd.function import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction"]


def _autocast_state() -> tuple[bool, Any]:
    from ..amp.autocast_mode import get_autocast_dtype, is_autocast_enabled

    return is_autocast_enabled("cpu"), get_autocast_dtype("cpu")


class CheckpointFunction(Function):
    """The autograd node of a checkpointed block: forward without a graph, backward by
    recomputation. Called as ``apply(run_function, preserve_rng_state, *args)``."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable[..., Any], preserve_rng_state: bool,
                *args: Any) -> Any:
        from ..random import get_rng_state

        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        ctx.autocast_state = _autocast_state()
        if preserve_rng_state:
            ctx.fwd_rng_state = get_rng_state()
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> tuple[Any, ...]:
        from ..amp.autocast_mode import autocast
        from ..random import fork_rng, set_rng_state

        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors, strict=True):
            inputs[i] = t
        with fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                set_rng_state(ctx.fwd_rng_state)
            detached = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor)
                        else a for a in inputs]
            enabled, dtype = ctx.autocast_state
            with enable_grad(), autocast("cpu", dtype=dtype, enabled=enabled):
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        with_grad = [(o, g) for o, g in zip(outputs, grad_outputs, strict=False)
                     if isinstance(o, Tensor) and o.requires_grad]
        if not with_grad:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        _backward([o for o, _ in with_grad], [g for _, g in with_grad])
        grads = tuple(a.grad if isinstance(a, Tensor) else None for a in detached)
        return (None, None, *grads)


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], Any] | None = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args)`` without keeping its activations; recompute them in backward.

    Args:
        function: the block (a module or a function of tensors) to checkpoint.
        *args: its inputs.
        use_reentrant: True for torch's original variant (gradients reach the block's
            parameters only if some tensor input requires grad; no keyword arguments for
            ``function``); False for the variant torch recommends (parameters always get
            gradients; ``**kwargs`` go to ``function``). Not passing it warns, as in torch,
            and means True.
        preserve_rng_state: (keyword) restore the random state for the recomputation, so
            dropout draws the same masks. Default: True.
        context_fn, determinism_check, debug, early_stop: torch's options for the
            non-reentrant variant; accepted (ember recomputes the whole block and checks
            nothing further).

    Returns:
        What ``function`` returns: a tensor or a tuple of tensors (and other values).

    >>> import ember
    >>> x = ember.ones(3, requires_grad=True)
    >>> y = checkpoint(lambda t: (t * t).sum(), x, use_reentrant=False)
    >>> y.backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Starting in PyTorch 2.9, calling checkpoint without "
                      "use_reentrant will raise an exception. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = bool(kwargs.pop("preserve_rng_state", True))
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          UserWarning, stacklevel=2)
        return CheckpointFunction.apply(function, preserve, *args)
    # The non-reentrant variant: an extra input that requires grad makes the node record
    # even when no real input does, so the recomputation still reaches the parameters.
    from ..ops.creation import empty

    anchor = empty((0,), requires_grad=True)

    def run(_anchor: Tensor, *inner: Any) -> Any:
        return function(*inner, **kwargs)

    return CheckpointFunction.apply(run, preserve, anchor, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any,  # noqa: A002
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Checkpoint a sequence of modules in ``segments`` pieces.

    The modules (an ``nn.Sequential`` or a list of callables) are split into ``segments``
    runs of ``len // segments`` each; every run but the last is checkpointed, and the last
    runs normally, as torch does.

    Args:
        functions: an ``nn.Sequential`` or a list of modules/functions applied in order.
        segments: how many pieces to cut it into.
        input: the input of the first module.
        use_reentrant: as in :func:`checkpoint`.
        preserve_rng_state: (keyword) as in :func:`checkpoint`. Default: True.

    Returns:
        The output of the last module.
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly. In version 2.9 we will raise an "
                      "exception if use_reentrant is not passed. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    elif isinstance(functions, Iterable):
        functions = list(functions)

    def run_function(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1)(input)
