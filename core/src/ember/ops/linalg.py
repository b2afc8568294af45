"""Matrix products and related ops."""

from __future__ import annotations

from typing import Any

from ..amp.autocast_mode import STATE as AUTOCAST
from ..amp.autocast_mode import autocast_args
from ._base import GRAD, Tensor, record, sum_to, wrap


def _bw_matmul(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b = node.saved
    need_a, need_b = node.attrs
    ga = gb = None
    a_nd, b_nd = a.ndim, b.ndim
    if a_nd == 1 and b_nd == 1:
        return (g * b if need_a else None, g * a if need_b else None)
    # Promote 1-D operands to matrices as matmul does, then undo.
    a2 = a.unsqueeze(0) if a_nd == 1 else a
    b2 = b.unsqueeze(-1) if b_nd == 1 else b
    g2 = g
    if a_nd == 1:
        g2 = g2.unsqueeze(-2)
    if b_nd == 1:
        g2 = g2.unsqueeze(-1)
    if need_a:
        ga = _matmul(g2, b2.transpose(-1, -2))
        ga = sum_to(ga, tuple(a2.shape))
        if a_nd == 1:
            ga = ga.squeeze(0)
    if need_b:
        gb = _matmul(a2.transpose(-1, -2), g2)
        gb = sum_to(gb, tuple(b2.shape))
        if b_nd == 1:
            gb = gb.squeeze(-1)
    return ga, gb


# The C++ type names torch's dtype-mismatch messages use, by numpy dtype name.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Matrix product with numpy/torch semantics: 1-D operands are vectors, batch dims
    broadcast.

    >>> import ember
    >>> ember.matmul(ember.ones(2, 3), ember.ones(3)).shape
    ember.Size([2])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul(): argument 'other' must be Tensor")
    if AUTOCAST.active:
        input, other = autocast_args("matmul", input, other)
    return _matmul(input, other, out=out)


def _matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``matmul`` without the autocast step (used by ``mv``, ``dot`` and backward)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype and a.dtype != b.dtype:  # unpickled arrays: equal, not same
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_NAMES[a.dtype.name]} != {_CPP_NAMES[b.dtype.name]}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                               f"src [{b.shape[0]}] to have the same number of elements, but "
                               "got {a.shape[0]} and {b.shape[0]} elements respectively")
        sa = "x".join(map(str, a.shape if a.ndim > 1 else (1, a.shape[0])))
        sb = "x".join(map(str, b.shape if b.ndim > 1 else (b.shape[0], 1)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    if input._device != other._device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {input._device} and {other._device}!")
    k = input._k
    try:
        r = k.matmul(a, b)
    except ValueError as exc:
        raise RuntimeError(f"matmul: shapes {list(a.shape)} and {list(b.shape)} cannot be "
                           f"broadcast ({exc})") from None
    res = wrap(r, input._device, k)
    if GRAD.enabled and (input._rg or other._rg):
        record("MmBackward0" if a.ndim == 2 and b.ndim == 2 else "MatmulBackward0",
               _bw_matmul, (input, other), res,
               save=(input, other), attrs=(input._rg, other._rg))
    if out is not None:
        from .pointwise import _into_out

        return _into_out(out, res)
    return res


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Product of two matrices."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Batched product of ``(b, n, m)`` and ``(b, m, p)`` tensors."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2, out=out)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return _matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D "
                           "tensors")
    return _matmul(input, tensor)


inner_1d = dot


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Inner product of two 1-D tensors (real dtypes: the same as ``dot``)."""
    return dot(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """Outer product of two 1-D tensors."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The ``p``-norm of ``input - other`` (broadcast), as a 0-d tensor."""
    from .reduction import norm

    return norm(input - other, p)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The 3-D cross product along ``dim`` (which must have size 3). Without ``dim``, the
    first dim of size 3 (deprecated in torch, which warns)."""
    from .shape import broadcast_tensors, cat

    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    a, b = broadcast_tensors(input, other)
    if dim is None:
        import warnings

        sizes = [i for i, s in enumerate(input.shape) if s == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        d = sizes[0]
    else:
        from ._base import wrap_dim

        d = wrap_dim(dim, a.ndim, "cross")
        if a.shape[d] != 3 or b.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                               f"{input.shape[d]} and {other.shape[d]}")
    a0, a1, a2 = (a.narrow(d, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


ger = outer


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1  # noqa: A002
          ) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    if AUTOCAST.active:
        input, mat1, mat2 = autocast_args("addmm", input, mat1, mat2)
    prod = mm(mat1, mat2)
    return _scaled_sum(input, prod, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1  # noqa: A002
          ) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices."""
    if AUTOCAST.active:
        input, batch1, batch2 = autocast_args("baddbmm", input, batch1, batch2)
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``: batched products reduced over
    the batch."""
    if AUTOCAST.active:
        input, batch1, batch2 = autocast_args("addbmm", input, batch1, batch2)
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


def _scaled_sum(input: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    p = prod if alpha == 1 else prod * alpha
    if beta == 0:
        from .shape import broadcast_shapes

        shape = tuple(broadcast_shapes(tuple(input.shape), tuple(p.shape)))
        return p if shape == tuple(p.shape) else p.expand(shape)
    return (input if beta == 1 else input * beta) + p


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over ``operands`` described by ``equation`` (e.g. ``"ij,jk->ik"``).

    Implemented with permutes, broadcasting products and sums (and matmul for pairs), so
    it is differentiable on every backend.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if AUTOCAST.active and len(operands) > 1:  # torch's pairwise contractions are bmm's
        operands = autocast_args("einsum", *operands)
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    # expand ellipsis
    ell_letters = "".join(chr(c) for c in range(ord("A"), ord("Z") + 1))
    max_ell = 0
    for term, op in zip(terms, operands, strict=True):
        if "..." in term:
            max_ell = max(max_ell, op.ndim - (len(term) - 3))
    ell = ell_letters[:max_ell]
    new_terms = []
    for term, op in zip(terms, operands, strict=True):
        if "..." in term:
            n = op.ndim - (len(term) - 3)
            term = term.replace("...", ell[max_ell - n:])
        if len(term) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(term)}) does not match the number of dimensions "
                               f"({op.ndim}) for operand {len(new_terms)} and no ellipsis "
                               "was given")
        new_terms.append(term)
    if rhs is None:
        counts: dict[str, int] = {}
        for term in new_terms:
            for ch in term:
                counts[ch] = counts.get(ch, 0) + 1
        rhs = ell + "".join(sorted(ch for ch, c in counts.items() if c == 1 and ch not in ell))
    else:
        rhs = rhs.replace("...", ell)
    letters = []
    for term in new_terms:
        for ch in term:
            if ch not in letters:
                letters.append(ch)
    sizes: dict[str, int] = {}
    aligned = []
    for term, op in zip(new_terms, operands, strict=True):
        # take diagonals for repeated letters within one operand
        x = op
        t = term
        while len(set(t)) != len(t):
            for ch in t:
                if t.count(ch) > 1:
                    i = t.index(ch)
                    j = t.index(ch, i + 1)
                    x = x.diagonal(0, i, j)
                    t = t[:i] + t[i + 1:j] + t[j + 1:] + ch
                    break
        for ch, s in zip(t, x.shape, strict=True):
            if ch in sizes and sizes[ch] != s and s != 1 and sizes[ch] != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): subscript {ch} has sizes "
                                   f"{sizes[ch]} and {s}")
            sizes[ch] = max(sizes.get(ch, 1), s)
        perm = [t.index(ch) for ch in letters if ch in t]
        x = x.permute(perm)
        shape = []
        it = iter(x.shape)
        for ch in letters:
            shape.append(next(it) if ch in t else 1)
        aligned.append(x.reshape(shape))
    result = aligned[0]
    for x in aligned[1:]:
        result = result * x
    sum_dims = [i for i, ch in enumerate(letters) if ch not in rhs]
    if sum_dims:
        result = result.sum(sum_dims)
    remaining = [ch for ch in letters if ch in rhs]
    perm = [remaining.index(ch) for ch in rhs]
    return result.permute(perm) if perm else result


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """Sum of the main diagonal of a 2-D tensor."""
    if AUTOCAST.active:
        (input,) = autocast_args("trace", input)
    if input.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " f"{input.ndim}")
    return input.diagonal().sum()


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Kronecker product."""
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    inter_a = []
    inter_b = []
    for sa, sb in zip(a.shape, b.shape, strict=True):
        inter_a += [sa, 1]
        inter_b += [1, sb]
    out = a.reshape(inter_a) * b.reshape(inter_b)
    return out.reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape, strict=True)))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` (…, P, M) and ``x2`` (…, R, M)."""
    if AUTOCAST.active:
        x1, x2 = autocast_args("cdist", x1, x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2.0:
        from .reduction import _l2

        return _l2(diff, -1, False)
    from .reduction import norm

    return norm(diff, p, -1)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum over the last ``dims`` dims of ``a`` and the first of ``b`` (or the given
    lists)."""
    if isinstance(dims, int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [i for i in range(b.ndim) if i not in db]
    ka = 1
    for i in da:
        ka *= a.shape[i]
    am = a.permute(free_a + da).reshape(-1, ka)
    bm = b.permute(db + free_b).reshape(ka, -1)
    out_shape = [a.shape[i] for i in free_a] + [b.shape[i] for i in free_b]
    return matmul(am, bm).reshape(out_shape)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Sum of products over the last dim of both tensors (a scalar times a tensor for 0-d
    inputs)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, ([input.ndim - 1], [other.ndim - 1]))
