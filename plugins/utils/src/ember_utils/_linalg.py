"""Small dense linear-algebra routines ember's core does not provide, built from ember ops.

Each is a composite of differentiable ember ops (matmul, slicing, elementwise math), so
autograd gives their gradients, double backward included, on every backend. They are
sized for parametrizations of weight matrices (tens to a few hundred rows), not for large
problems. All accept batches of matrices (leading dims).
"""

from __future__ import annotations

import math

import ember
from ember import Tensor


def _eye_like(a: Tensor, n: int) -> Tensor:
    return ember.eye(n, dtype=a.dtype, device=a.device)


def solve(a: Tensor, b: Tensor) -> Tensor:
    """``X`` with ``a @ X = b`` by Gauss-Jordan elimination without pivoting.

    Args:
        a: ``(*, n, n)``; must admit an LU factorisation without row exchanges that is
            numerically stable: symmetric positive definite matrices and ``I - S/2`` with
            ``S`` skew-symmetric (the Cayley map) qualify. Those are the only callers.
        b: ``(*, n, k)``.

    Returns:
        ``(*, n, k)``.
    """
    n = a.shape[-1]
    m = ember.cat([a, b.expand(*a.shape[:-2], *b.shape[-2:])], dim=-1)
    eye = _eye_like(a, n)
    for j in range(n):
        row = m[..., j:j + 1, :] / m[..., j:j + 1, j:j + 1]
        # rows i != j lose m[i, j] * row; row j becomes ``row`` itself
        factor = m[..., :, j:j + 1] - eye[:, j:j + 1]
        m = m - factor * row
    return m[..., :, n:]


def matrix_exp(a: Tensor) -> Tensor:
    """The matrix exponential ``sum_k a^k / k!`` of ``a`` (``(*, n, n)``).

    Scaling and squaring: ``a`` is divided by ``2^s`` so its 1-norm is at most 1/2, the
    Taylor series is summed to degree 18 (truncation error below 1e-22), and the result is
    squared ``s`` times.
    """
    n = a.shape[-1]
    with ember.no_grad():
        norm = float(a.abs().sum(-2).amax()) if a.numel() > 0 else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2.0 ** s) if s else a
    eye = _eye_like(a, n).expand(*a.shape)
    result = eye
    term = eye
    for k in range(1, 19):
        term = ember.matmul(term, x) / k
        result = result + term
    for _ in range(s):
        result = ember.matmul(result, result)
    return result


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first ``k`` columns of ``H_1 H_2 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``.

    ``v_i`` is 1 at row ``i``, zero above it and ``a[i+1:, i]`` below it (LAPACK's
    ``orgqr`` convention, torch's ``linalg.householder_product``).

    Args:
        a: ``(*, m, n)`` with ``m >= n``.
        tau: ``(*, k)`` with ``k <= n``.

    Returns:
        ``(*, m, n)``.
    """
    m, n = a.shape[-2], a.shape[-1]
    k = tau.shape[-1]
    batch = a.shape[:-2]
    eye = _eye_like(a, m)
    q = eye[:, :n].expand(*batch, m, n)
    below = ember.tril(ember.ones(m, n, dtype=a.dtype, device=a.device), diagonal=-1)
    vs = a * below + eye[:, :n]
    for i in reversed(range(k)):
        v = vs[..., :, i:i + 1]                                  # (*, m, 1)
        t = tau[..., i:i + 1].unsqueeze(-1)                      # (*, 1, 1)
        q = q - t * v * ember.matmul(v.transpose(-1, -2), q)
    return q


def geqrf(a: Tensor) -> tuple[Tensor, Tensor]:
    """Householder QR in LAPACK's compact form (``torch.geqrf``).

    Returns ``(r_and_v, tau)``: ``R`` on and above the diagonal, the Householder vectors
    (without their unit leading entry) below it, and ``tau`` of shape ``(*, min(m, n))``,
    so that ``householder_product(r_and_v, tau) @ triu(r_and_v) == a``. Reflectors follow
    LAPACK's ``larfg``: ``beta = -sign(alpha) * ||x||`` and ``tau = 0`` when the column
    below the diagonal is already zero. Not differentiable (callers use it under
    ``no_grad``).
    """
    m, n = a.shape[-2], a.shape[-1]
    batch = tuple(a.shape[:-2])
    flat = a.detach().reshape(-1, m, n).clone()
    taus = ember.zeros(flat.shape[0], min(m, n), dtype=a.dtype, device=a.device)
    with ember.no_grad():
        for b in range(flat.shape[0]):
            r = flat[b]
            for j in range(min(m, n)):
                alpha = float(r[j, j])
                x = r[j + 1:, j]
                xnorm = float((x * x).sum().sqrt()) if x.numel() else 0.0
                if xnorm == 0.0:
                    continue
                beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
                tau = (beta - alpha) / beta
                v = ember.cat([r.new_ones(1), x / (alpha - beta)])
                if j + 1 < n:
                    block = r[j:, j + 1:]
                    block.sub_(tau * ember.outer(v, ember.mv(block.t(), v)))
                # slices, not scalar positions: writes through views on every backend
                r[j:j + 1, j].fill_(beta)
                r[j + 1:, j].copy_(v[1:])
                taus[b, j:j + 1].fill_(tau)
    return flat.reshape(*batch, m, n), taus.reshape(*batch, min(m, n))


def make_orthogonal(a: Tensor) -> Tensor:
    """The ``Q`` of the QR decomposition of ``a`` (``(*, n, k)``, ``n >= k``) whose ``R``
    has a non-negative diagonal; unique when ``a`` has full column rank."""
    x, tau = geqrf(a)
    q = householder_product(x, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)
