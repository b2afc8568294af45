"""Ready-made parametrizations: ``orthogonal``, ``weight_norm`` and ``spectral_norm``.

Each registers a module with :func:`ember.nn.utils.parametrize.register_parametrization`,
so the state dict holds ``parametrizations.<name>.original`` (or ``original0``/``original1``)
and the parametrized tensor is recomputed on access.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any

import ember
from ember import Tensor
from ember.nn import Module

from . import parametrize
from ._families import available_classes
from ._linalg import geqrf, householder_product, make_orthogonal, matrix_exp, solve
from ._norms import norm_except_dim, normalize, weight_norm_op

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.size(-2), q.size(-1)
    eye = ember.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * ember.finfo(q.dtype).eps
    return ember.allclose(q.mT @ q, eye, atol=eps)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to one with orthonormal columns (or rows,
    for wide matrices)."""

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # skew-symmetric A from the lower triangle, exponentiated (or Cayley-mapped)
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)
                X = ember.cat([X, pad], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                eye = ember.eye(n, dtype=A.dtype, device=A.device)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            # Householder reflectors from the strictly lower triangle, signs from the diagonal
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        """An unconstrained tensor mapping to ``Q``; with trivialization, ``Q`` (made
        orthogonal if needed) becomes ``base`` and the returned tensor maps to ``I``."""
        with ember.no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{self.shape}. Got a tensor of shape {Q.shape}.")
            q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = geqrf(Q)
                diag = A.diagonal(dim1=-2, dim2=-1)
                signs = diag.sign()
                signs = ember.where(tau == 0.0, -signs, signs)
                diag.copy_(signs)
                return A.mT if transpose else A
            if n == k:
                Q = make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                N = ember.randn(*(tuple(Q.size()[:-2]) + (n, n - k)), dtype=Q.dtype,
                                device=Q.device)
                Q = make_orthogonal(ember.cat([Q, N], dim=-1))
            self.base = Q
            neg_id = ember.zeros_like(q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal.

    Tall ``(n, k)`` matrices get orthonormal columns, wide ones orthonormal rows.

    Args:
        module: the module holding the tensor.
        name: the parameter or buffer to constrain.
        orthogonal_map: ``"matrix_exp"`` (``exp(A)`` of a skew-symmetric ``A``),
            ``"cayley"`` (``(I - A/2)^{-1}(I + A/2)``) or ``"householder"`` (a product of
            reflectors). Default: ``matrix_exp`` for square matrices, ``householder``
            otherwise.
        use_trivialization: keep a buffer ``base`` and parametrize ``base @ map(X)``
            (the current weight, made orthogonal, becomes ``base``). Default True.

    Returns:
        ``module``.

    >>> import ember
    >>> m = ember.nn.Module()
    >>> m.weight = ember.nn.Parameter(ember.randn(4, 4))
    >>> m = orthogonal(m)
    >>> bool(ember.allclose(m.weight @ m.weight.T, ember.eye(4), atol=1e-5))
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """``g * v / ||v||`` from ``(g, v) = (original0, original1)``."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_op(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        """Split ``weight`` into its magnitude ``||weight||`` (per slice) and itself."""
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` with a parametrization.

    ``g`` is ``parametrizations.<name>.original0`` (one magnitude per slice along ``dim``;
    ``dim=None`` for the whole tensor) and ``v`` is ``original1``. State dicts saved with
    the hook-based :func:`ember.nn.utils.weight_norm` (``<name>_g``/``<name>_v``) load.

    >>> import ember
    >>> m = ember.nn.Module()
    >>> m.weight = ember.nn.Parameter(ember.randn(40, 20))
    >>> m = weight_norm(m)
    >>> m.parametrizations.weight.original0.shape
    ember.Size([40, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _compat_hook(state_dict: dict[str, Any], prefix: str, local_metadata: Any,
                     strict: bool, missing_keys: Any, unexpected_keys: Any,
                     error_msgs: Any) -> None:
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_compat_hook)
    return module


class _SpectralNorm(Module):
    """``weight / sigma`` with ``sigma`` estimated by power iteration on the buffers
    ``_u`` and ``_v`` (updated in training mode)."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight)
            h, w = mat.size()
            with ember.no_grad():
                u = mat.new_empty(h).normal_(0, 1)
                v = mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if weight.ndim <= 1:
            raise AssertionError("Expected weight to have more than 1 dimension, got "
                                 f"{weight.ndim}")
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, n_power_iterations: int) -> None:
        with ember.no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(ember.mv(mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(ember.mv(mat.t(), self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = ember.vdot(u, ember.mv(mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        """Any weight is its own preimage (the scale is not recoverable)."""
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm, as a parametrization.

    The largest singular value of the weight (viewed as a ``(size(dim), -1)`` matrix) is
    estimated by power iteration; the vectors live in
    ``parametrizations.<name>[0]._u`` and ``._v`` and are updated on each access in
    training mode (15 iterations at registration).

    Args:
        module: the module holding the tensor.
        name: the parameter to normalise.
        n_power_iterations: power-iteration steps per access in training mode.
        eps: stability term of the normalisations.
        dim: the dim that becomes the matrix rows (default 0, 1 for transposed convs).

    >>> import ember
    >>> m = ember.nn.Module()
    >>> m.weight = ember.nn.Parameter(ember.randn(40, 20))
    >>> m = spectral_norm(m)
    >>> m.parametrizations.weight[0]._u.shape
    ember.Size([40])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = available_classes("ConvTranspose1d", "ConvTranspose2d",
                                       "ConvTranspose3d")
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
