"""Helpers shared by the ember-utils tests: move tensors and module states between torch
and ember through numpy, and compare them."""

from __future__ import annotations

import numpy as np

import ember

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-10)}


def e(t, requires_grad=False):
    """An ember tensor with the values of torch tensor ``t``."""
    x = ember.tensor(t.detach().cpu().numpy())
    if requires_grad:
        x.requires_grad_(True)
    return x


def tdt(name):
    import torch

    return getattr(torch, name)


def edt(name):
    return getattr(ember, name)


def copy_state(tmod, emod):
    """Load torch module ``tmod``'s state dict into ember module ``emod`` (same keys)."""
    state = {k: e(v) for k, v in tmod.state_dict().items()}
    emod.load_state_dict(state)


def close(a, b, dtype="float64"):
    """Assert ember/torch tensors (or arrays) ``a`` and ``b`` hold the same values."""
    an = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    bn = b.detach().cpu().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert an.shape == bn.shape, (an.shape, bn.shape)
    np.testing.assert_allclose(an, bn, **TOL[dtype])


def family_class(name):
    """``ember.nn.<name>`` when the family providing it is loaded, else None (the tox
    ``utils`` environment installs only ember-core, ember-cpu and ember-utils)."""
    from ember.plugins.namespace import MissingPluginError

    try:
        return getattr(ember.nn, name)
    except MissingPluginError:
        return None
