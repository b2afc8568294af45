"""Helpers of the recurrent tests: build a module in torch and in ember with the same
weights, run both on the same inputs, and compare outputs, final states and the gradients
with respect to inputs, initial states and every parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

TOLS = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}


def build_pair(name: str, dtype: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``nn.<name>(*args, **kwargs)`` in torch and ember, ember's weights copied from
    torch's, both in ``dtype``."""
    import torch

    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    em = getattr(ember.nn, name)(*args, **kwargs)
    em.load_state_dict({k: ember.tensor(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    return tm, em.to(getattr(ember, dtype))


def leaf_pair(array: np.ndarray) -> tuple[Any, Any]:
    """The same values as a torch and an ember leaf that require grad."""
    import torch

    return (torch.tensor(array.copy(), requires_grad=True),
            ember.tensor(array.copy(), requires_grad=True))


def flat(x: Any) -> list[Any]:
    """Tensors of a nested output (PackedSequence -> its data), in order."""
    if hasattr(x, "batch_sizes"):
        return [x.data]
    if isinstance(x, (tuple, list)):
        out: list[Any] = []
        for el in x:
            out.extend(flat(el))
        return out
    return [x]


def close(a: Any, b: Any, dtype: str, what: str, scale: float = 1.0) -> None:
    """Assert that a torch tensor and an ember tensor hold the same values."""
    rtol, atol = TOLS[dtype]
    av = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    bv = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert av.shape == bv.shape, f"{what}: shape {av.shape} != {bv.shape}"
    np.testing.assert_allclose(bv, av, rtol=rtol * scale, atol=atol * scale, err_msg=what)


def check_parity(tm: Any, em: Any, t_inputs: list[Any], e_inputs: list[Any],
                 t_leaves: list[Any], e_leaves: list[Any], dtype: str) -> None:
    """Forward both modules, compare every output tensor; backward a weighted sum of all of
    them and compare the gradients of the leaves and of every parameter."""
    t_out = flat(tm(*t_inputs))
    e_out = flat(em(*e_inputs))
    assert len(t_out) == len(e_out)
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        close(a, b, dtype, f"output {i}")
    rng = np.random.default_rng(7)
    weights = [rng.uniform(-1, 1, tuple(o.shape)).astype(dtype) for o in t_out]
    import torch

    t_loss = sum((o * torch.tensor(w)).sum() for o, w in zip(t_out, weights, strict=True))
    e_loss = sum((o * ember.tensor(w)).sum() for o, w in zip(e_out, weights, strict=True))
    t_loss.backward()
    e_loss.backward()
    for i, (a, b) in enumerate(zip(t_leaves, e_leaves, strict=True)):
        assert (a.grad is None) == (b.grad is None), f"input {i} gradient presence"
        if a.grad is not None:
            close(a.grad, b.grad, dtype, f"gradient of input {i}", scale=10)
    t_params = dict(tm.named_parameters())
    e_params = dict(em.named_parameters())
    assert list(t_params) == list(e_params)
    for name, p in t_params.items():
        close(p.grad, e_params[name].grad, dtype, f"gradient of {name}", scale=10)
