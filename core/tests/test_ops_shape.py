"""Parity of shape ops (views, joins, splits, reorderings) with torch, including view
semantics: what shares memory, strides and storage offsets."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import FLOATS, Arg, arr, check, check_error  # noqa: E402

import ember  # noqa: E402


@pytest.mark.parametrize("dtype", FLOATS)
def test_view_family(dtype):
    x = Arg(arr((2, 3, 4), dtype))
    check(lambda m, x: (x.view(6, 4), x.view(-1), x.view((4, -1)), x.view_as(m.ones(24)),
                        x.reshape(4, 6), x.reshape_as(m.ones(3, 8)), x.flatten(),
                        x.flatten(1), m.flatten(x, 0, 1), x.unflatten(2, (2, 2)),
                        m.unflatten(x, -1, (2, -1))), x, gradgrad=True)
    check(lambda m, x: (x.squeeze(), x.squeeze(0), x.squeeze((0, 2)), x.unsqueeze(0),
                        x.unsqueeze(-1), m.squeeze(x, -2)), Arg(arr((1, 3, 1), dtype)),
          gradgrad=True)
    nc = Arg(arr((3, 4), dtype), layout="T")
    check(lambda m, x: (x.reshape(-1), x.flatten(), x.contiguous().view(2, 6)), nc)


@pytest.mark.parametrize("dtype", FLOATS)
def test_permutations(dtype):
    x = Arg(arr((2, 3, 4), dtype))
    check(lambda m, x: (x.permute(2, 0, 1), m.permute(x, (1, 2, 0)), x.transpose(0, 2),
                        m.swapaxes(x, 1, 2), x.swapdims(0, 1), x.movedim(0, -1),
                        m.movedim(x, (0, 1), (2, 0)), x.moveaxis(2, 0), x.mT), x, gradgrad=True)
    m2 = Arg(arr((3, 4), dtype))
    check(lambda m, x: (x.t(), m.t(x), x.T, x.mT, x.adjoint(), x.H), m2)
    check(lambda m, x: x.t(), Arg(arr((3,), dtype)))
    with pytest.warns(UserWarning, match="deprecated"):  # torch warns once per process
        assert tuple(ember.zeros(2, 3, 4).T.shape) == (4, 3, 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_expand_repeat_tile(dtype):
    x = Arg(arr((3, 1), dtype))
    check(lambda m, x: (x.expand(3, 4), x.expand(2, -1, 5), x.expand_as(m.ones(3, 2)),
                        m.broadcast_to(x, (2, 3, 3)), x.repeat(2, 3), x.repeat(2, 1, 2),
                        m.tile(x, (2,)), x.tile((2, 2, 2))), x, gradgrad=True)
    check(lambda m, x, y: m.broadcast_tensors(x, y), x, Arg(arr((2, 1, 4), dtype)))
    check(lambda m: (m.broadcast_shapes((3, 1), (1, 4)), m.broadcast_shapes((2,), ())),
          grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_repeat_interleave(dtype):
    x = Arg(arr((2, 3), dtype))
    check(lambda m, x: (x.repeat_interleave(2), m.repeat_interleave(x, 3, dim=1),
                        x.repeat_interleave(m.tensor([1, 2]), dim=0),
                        m.repeat_interleave(x, m.tensor([0, 2, 1]), 1)), x, gradgrad=True)
    check(lambda m: (m.repeat_interleave(m.tensor([2, 0, 3])),
                     m.repeat_interleave(m.tensor([1, 2]), 2)), grad=False)
    check(lambda m, x: m.repeat_interleave(x, 2, dim=0, output_size=4), x)
    check_error(lambda m, x: x.repeat_interleave(m.tensor([1, 2, 3]), dim=0), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cat_stack_and_friends(dtype):
    a = Arg(arr((2, 3), dtype, seed=0))
    b = Arg(arr((2, 3), dtype, seed=1), layout="T")
    c = Arg(arr((1, 3), dtype, seed=2))
    check(lambda m, a, b, c: (m.cat([a, b, c]), m.cat((a, b), 1), m.concat([a, c], 0),
                              m.stack([a, b]), m.stack((a, b), -1), m.hstack([a, b]),
                              m.vstack([a, c]), m.dstack([a, b]), m.column_stack([a, b])),
          a, b, c, gradgrad=True)
    check(lambda m, a: m.cat([a, m.ones(0)]), a)
    check(lambda m, a: m.cat([a.int(), a.double()]), a)
    check(lambda m: (m.hstack([m.tensor(1.0), m.tensor(2.0)]),
                     m.vstack([m.ones(3), m.zeros(3)])), grad=False)
    check_error(lambda m, a, c: m.cat([a, c], 1), a, c, match="Sizes of tensors must match")
    check_error(lambda m, a, c: m.stack([a, c]), a, c, match="stack expects")
    check_error(lambda m: m.cat([]), match="non-empty")


@pytest.mark.parametrize("dtype", FLOATS)
def test_split_chunk_unbind_narrow_select(dtype):
    x = Arg(arr((5, 4), dtype))
    check(lambda m, x: (x.split(2), m.split(x, [1, 4]), x.split(3, 1), x.chunk(2),
                        m.chunk(x, 3, 1), x.unbind(), m.unbind(x, 1), x.narrow(0, 1, 3),
                        m.narrow(x, 1, -2, 2), x.select(1, 2), m.select(x, 0, -1),
                        x.tensor_split(3), m.tensor_split(x, [1, 3], 1),
                        x.split_with_sizes([2, 3])), x, gradgrad=True)
    check(lambda m, x: (x.chunk(4), x.chunk(5, 1)), Arg(arr((6, 3), dtype)))
    check_error(lambda m, x: x.split([2, 2]), x, match="split_with_sizes")
    check_error(lambda m, x: x.narrow(0, 3, 4), x, match="exceeds dimension size")
    check_error(lambda m, x: x.select(0, 5), x, match="out of range")


@pytest.mark.parametrize("dtype", FLOATS)
def test_flip_roll_rot90(dtype):
    x = Arg(arr((3, 4), dtype), layout="noncontig")
    check(lambda m, x: (x.flip(0), m.flip(x, (0, 1)), x.fliplr(), m.flipud(x), x.roll(1),
                        m.roll(x, -2, 1), x.roll((1, 2), (0, 1)), x.rot90(), m.rot90(x, 2),
                        m.rot90(x, -1, (1, 0)), m.rot90(x, 3)), x, gradgrad=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_triangles_and_diagonals(dtype):
    x = Arg(arr((4, 5), dtype))
    check(lambda m, x: (x.tril(), m.tril(x, 1), x.triu(-1), m.triu(x, 2), x.diagonal(),
                        m.diagonal(x, 1), x.diagonal(-2), m.diag(x), m.diag(x, -1),
                        m.trace(x)), x, gradgrad=True)
    v = Arg(arr((3,), dtype))
    check(lambda m, v: (m.diag(v), m.diag(v, 1), m.diag(v, -2), m.diag_embed(v),
                        m.diag_embed(v, 1)), v, gradgrad=True)
    b = Arg(arr((2, 3, 4), dtype))
    check(lambda m, b: (m.diagonal(b, 0, 1, 2), b.diagonal(1, 0, 2), b.tril(), b.triu(1),
                        m.diag_embed(b, 0, 0, 2)), b)
    check_error(lambda m, b: m.diag(b), b, match="2D")
    check_error(lambda m, v: m.trace(v), v)


@pytest.mark.parametrize("dtype", FLOATS)
def test_unfold(dtype):
    x = Arg(arr((5, 4), dtype))
    check(lambda m, x: (x.unfold(0, 2, 1), x.unfold(1, 2, 2), x.unfold(0, 5, 3)), x,
          gradgrad=True)
    check_error(lambda m, x: x.unfold(0, 6, 1), x, match="size")


@pytest.mark.parametrize("dtype", FLOATS)
def test_as_strided_is_a_view(dtype):
    x = Arg(arr((4, 6), dtype))
    check(lambda m, x: (x.as_strided((3, 2), (1, 2)), m.as_strided(x, (2, 2), (6, 1), 7),
                        x[1:].as_strided((2, 3), (3, 1)),
                        x.t().as_strided((2, 2), (1, 6), 1)), x, gradgrad=True)
    e = ember.arange(12.0)
    v = e.as_strided((3,), (2,), 1)
    v[0] = 100.0
    assert e[1].item() == 100.0 and v.storage_offset() == 1 and v.stride() == (2,)


def test_view_semantics_strides_and_offsets():
    for lib in (ember, torch):
        x = lib.arange(24.0).reshape(2, 3, 4)
        assert x.is_contiguous() and x.stride() == (12, 4, 1)
        y = x.transpose(0, 2)
        assert not y.is_contiguous() and y.stride() == (1, 4, 12)
        s = x[1, 1:]
        assert s.storage_offset() == 16 and s.stride() == (4, 1)
        z = x[:, :, 1::2]
        assert z.storage_offset() == 1 and z.stride() == (12, 4, 2)
        assert x.narrow(2, 2, 2).storage_offset() == 2
        assert x.view(6, 4)[2:].storage_offset() == 8
        s.fill_(-1)
        assert x[1, 2, 3].item() == -1
        assert x.expand(2, 2, 3, 4).stride() == (0, 12, 4, 1)
        c = lib.zeros(2, 4, 5, 3).permute(0, 3, 1, 2)
        assert c.is_contiguous(memory_format=lib.channels_last)
        assert not c.is_contiguous()
        assert lib.zeros(2, 3).is_contiguous(memory_format=lib.contiguous_format)
        assert lib.zeros(2, 3, 4, 5).is_contiguous(memory_format=lib.channels_last) is False
        assert x.stride(-1) == 1 and x.size(1) == 3 and x.size() == (2, 3, 4)


def test_view_errors():
    x = Arg(arr((3, 4), "float32"), layout="T")
    check_error(lambda m, x: x.view(12), x, match="view size is not compatible")
    check_error(lambda m, x: x.view(5, -1), x, match="invalid for input of size 12")
    check_error(lambda m, x: x.view(-1, -1), x, match="only one dimension can be inferred")
    check_error(lambda m, x: x.permute(0, 0), x, match="duplicate")
    check_error(lambda m, x: x.permute(0), x, match="number of dims|number of dimensions")
    check_error(lambda m, x: x.expand(3, 5), x, match="must match the existing size")
    check_error(lambda m, x: x.expand(4), x, match="must be greater or equal")
    check_error(lambda m, x: x.transpose(0, 2), x, match="Dimension out of range")
    check_error(lambda m, x: x.flatten(1, 0), x, match="start_dim cannot come after end_dim")
    check_error(lambda m, x: x.squeeze(3), x, match="Dimension out of range")
    check_error(lambda m, x: x.unsqueeze(3), x, match="Dimension out of range")
    check_error(lambda m, x: x.repeat(2), x, match="Number of dimensions of repeat dims")
    check_error(lambda m, x: x.t().t().t().unsqueeze(0).t(), x, match="<= 2 dimensions")


@pytest.mark.parametrize("dtype", FLOATS)
def test_matrix_products(dtype):
    a = Arg(arr((3, 4), dtype, seed=0))
    b = Arg(arr((4, 2), dtype, seed=1))
    check(lambda m, a, b: (a @ b, b.t() @ a.t()), a, Arg(b.array, layout="T"), gradgrad=True)
    v = Arg(arr((4,), dtype, seed=2))
    w = Arg(arr((3,), dtype, seed=3))
    check(lambda m, a, b, v, w: (a @ b, m.matmul(a, v), v @ b, m.mm(a, b), a.mv(v),
                                 m.dot(v, v), m.outer(w, v), w.ger(v), m.inner(v, v),
                                 m.kron(a, b), m.tensordot(a, b, 1), m.vdot(v, v)),
          a, b, v, w, gradgrad=True)
    p = Arg(arr((2, 3, 4), dtype, seed=4))
    q = Arg(arr((2, 4, 5), dtype, seed=5))
    r = Arg(arr((4, 5), dtype, seed=6))
    check(lambda m, p, q, r: (m.bmm(p, q), p @ r, m.matmul(p, q), m.einsum("bij,bjk->bik", p, q),
                              m.einsum("bij->j", p), m.einsum("ii", q[0, :, :4]),
                              m.einsum("...j,jk", p, r)), p, q, r, gradgrad=True)
    c = Arg(arr((3, 2), dtype, seed=7))
    m1 = Arg(arr((3, 4), dtype, seed=8))
    m2 = Arg(arr((4, 2), dtype, seed=9))
    check(lambda m, c, a, b: (m.addmm(c, a, b), m.addmm(c, a, b, beta=0.5, alpha=2),
                              c.addmm(a, b, beta=0)), c, m1, m2, gradgrad=True)
    bc = Arg(arr((2, 3, 5), dtype, seed=10))
    check(lambda m, c, p, q: (m.baddbmm(c, p, q, alpha=0.5), m.addbmm(c[0], p, q)), bc, p, q)
    x1 = Arg(arr((2, 3, 4), dtype, seed=11))
    x2 = Arg(arr((2, 5, 4), dtype, seed=12))
    for pn in (2.0, 1.0, 3.0, float("inf")):
        check(lambda m, x1, x2, pn=pn: m.cdist(x1, x2, p=pn), x1, x2)
    check(lambda m, a, b: (m.kron(a, b[0]), m.block_diag(a, b, b[0], a[0, 0])), a, b,
          gradgrad=True)
    check(lambda m: (m.block_diag(m.ones(2, 2), m.tensor([1, 2])), m.block_diag()), grad=False)


def test_matrix_product_errors():
    a = Arg(arr((3, 4), "float32"))
    b = Arg(arr((3, 4), "float32", seed=1))
    check_error(lambda m, a, b: a @ b, a, b, match=r"mat1 and mat2 shapes cannot be "
                                                    r"multiplied \(3x4 and 3x4\)")
    check_error(lambda m, a, b: m.mm(a, b[0]), a, b)
    check_error(lambda m, a, b: m.bmm(a, b), a, b, match="batch1 must be a 3D tensor")
    check_error(lambda m, a, b: m.dot(a[0], b[0, :3]), a, b, match="inconsistent tensor size")
    check_error(lambda m, a, b: m.matmul(a, b.double().t()), a, b, match="same dtype")
    check_error(lambda m, a, b: m.matmul(a[0, 0], b), a, b, match="at least 1D")
    check_error(lambda m, a, b: m.cdist(a, b[:, :3]), a, b, match="same number of columns")
    check_error(lambda m, a, b: m.cdist(a[0], b), a, b, match="at least 2D")


@pytest.mark.parametrize("dtype", FLOATS)
def test_dist_cross_ravel(dtype):
    a = Arg(arr((2, 3), dtype, seed=1))
    b = Arg(arr((3,), dtype, seed=2), layout="noncontig")
    check(lambda m, a, b: (m.dist(a, b), a.dist(b, 1), m.dist(a, b, float("inf")),
                           m.cross(a, b.expand(2, 3), dim=1), a.cross(b.expand(2, 3), -1),
                           a.ravel(), m.ravel(a.t())), a, b, gradgrad=True)
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ember.cross(ember.ones(2, 3), ember.ones(2, 3))
    check_error(lambda m, a: m.cross(a, a, dim=0), a, match="must have length 3")
    check_error(lambda m, a, b: m.outer(a, b), a, b, match="Expected 1-D argument self")
    check_error(lambda m, a: a.fliplr()[0].fliplr(), a, match=">= 2-d")


def test_cat_and_stack_hand_each_input_a_gradient_of_its_own_dtype():
    for make in ("cat", "stack", "hstack", "vstack"):
        got = []
        for lib in (ember, torch):
            a = lib.ones(2, dtype=lib.bfloat16, requires_grad=True)
            b = lib.ones(2, dtype=lib.float16, requires_grad=True)
            c = lib.full((2,), 2.0, dtype=lib.float64, requires_grad=True)
            y = getattr(lib, make)([a, b, c])
            (y * y).sum().backward()
            got.append([(str(t.grad.dtype).split(".")[1], t.grad.tolist()) for t in (a, b, c)])
        assert got[0] == got[1]
