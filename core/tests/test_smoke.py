"""First end-to-end checks of the core with the cpu backend, against torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_add_matches_torch():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    out = ember.tensor(a) + 1
    ref = torch.tensor(a) + 1
    np.testing.assert_allclose(out.numpy(), ref.numpy())


def test_backward_of_square_sum():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
