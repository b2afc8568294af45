"""Helpers shared by the parity tests: conversions and error comparison with torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

#: torch 2.13 warns on every quantized tensor it creates; the tests ignore that warning.
IGNORE_TORCH_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:torch.quantize_per_tensor, torch.quantize_per_channel:UserWarning")

QDTYPES = ("qint8", "quint8", "qint32")


def both(name: str) -> tuple[Any, Any]:
    """The torch and ember objects called ``name`` (``"qint8"`` -> torch.qint8, ember.qint8)."""
    import torch

    return getattr(torch, name), getattr(ember, name)


def as_np(t: Any) -> np.ndarray:
    """A numpy copy of a torch or ember tensor."""
    if isinstance(t, ember.Tensor):
        return t.detach().numpy().copy()
    return t.detach().numpy().copy()


def ember_repr(torch_text: str) -> str:
    """torch's repr with ``torch.`` spelled ``ember.``."""
    return torch_text.replace("torch.", "ember.")


def assert_same_error(torch_call: Callable[[], Any], ember_call: Callable[[], Any],
                      message: bool = True) -> None:
    """Both calls raise the same exception type (and, with ``message``, the same text)."""
    with pytest.raises(Exception) as t_info:
        torch_call()
    with pytest.raises(type(t_info.value)) as e_info:
        ember_call()
    if message:
        assert str(e_info.value) == str(t_info.value)


def assert_same_qtensor(tq: Any, eq: Any) -> None:
    """Same integers (exactly), parameters, dtype, shape, dequantized values and repr."""
    import torch

    assert eq.is_quantized
    assert tuple(eq.shape) == tuple(tq.shape)
    assert repr(eq.dtype) == ember_repr(repr(tq.dtype))
    np.testing.assert_array_equal(as_np(eq.int_repr()), as_np(tq.int_repr()))
    assert eq.int_repr().dtype.name == str(tq.int_repr().dtype).replace("torch.", "")
    assert repr(eq.qscheme()) == ember_repr(repr(tq.qscheme()))
    if tq.qscheme() == torch.per_tensor_affine:
        assert eq.q_scale() == tq.q_scale()
        assert eq.q_zero_point() == tq.q_zero_point()
    else:
        assert eq.q_per_channel_axis() == tq.q_per_channel_axis()
        scales, zero_points = eq.q_per_channel_scales(), eq.q_per_channel_zero_points()
        assert scales.dtype.name == str(tq.q_per_channel_scales().dtype)[len("torch."):]
        assert zero_points.dtype.name == str(tq.q_per_channel_zero_points().dtype)[len("torch."):]
        np.testing.assert_array_equal(as_np(scales), as_np(tq.q_per_channel_scales()))
        np.testing.assert_array_equal(as_np(zero_points), as_np(tq.q_per_channel_zero_points()))
    dq_t, dq_e = tq.dequantize(), eq.dequantize()
    assert dq_e.dtype is ember.float32
    np.testing.assert_allclose(as_np(dq_e), as_np(dq_t), rtol=1e-6, atol=1e-6 * _scale_of(tq))
    assert repr(eq) == ember_repr(repr(tq))


def _scale_of(tq: Any) -> float:
    import torch

    if tq.qscheme() == torch.per_tensor_affine:
        return abs(tq.q_scale())
    scales = tq.q_per_channel_scales()
    return float(scales.abs().max()) if scales.numel() else 0.0
