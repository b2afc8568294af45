"""ember.autograd.functional against torch.autograd.functional: values, structures, errors."""

import numpy as np
import pytest

import ember
import ember.autograd.functional as EF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

DTYPES = ["float32", "float64"]
LIBS = {ember: EF, torch: TF}


def arr(seed, shape, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t(lib, a, dtype="float64"):
    return lib.tensor(a, dtype=getattr(lib, dtype))


def assert_same(e, r, dtype="float64"):
    """Compare nested tuples of tensors (structure and values)."""
    if isinstance(r, tuple):
        assert isinstance(e, tuple) and len(e) == len(r)
        for u, v in zip(e, r):
            assert_same(u, v, dtype)
        return
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert tuple(e.shape) == tuple(r.shape)
    np.testing.assert_allclose(e.detach().numpy(), r.detach().numpy(), rtol=tol, atol=tol)


def one_in_one_out(x):
    return (x.sin() * x).exp()


def two_in_two_out(x, y):
    return (x * y).tanh(), (x.exp() @ y.t()).sum(0)


def scalar_fn(x, y):
    return (x.sin() * y).sum() + (x * x).sum() * y.exp().sum()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_matches_torch(dtype, vectorize):
    a, b = arr(0, (2, 3), dtype), arr(1, (2, 3), dtype)
    e = EF.jacobian(one_in_one_out, t(ember, a, dtype), vectorize=vectorize)
    r = TF.jacobian(one_in_one_out, t(torch, a, dtype), vectorize=vectorize)
    assert_same(e, r, dtype)
    e = EF.jacobian(two_in_two_out, (t(ember, a, dtype), t(ember, b, dtype)),
                    vectorize=vectorize)
    r = TF.jacobian(two_in_two_out, (t(torch, a, dtype), t(torch, b, dtype)),
                    vectorize=vectorize)
    assert_same(e, r, dtype)


def test_jacobian_structure_single_input_tuple_output():
    a = arr(2, (3,))
    e = EF.jacobian(lambda x: (x * 2, x.sum()), t(ember, a))
    r = TF.jacobian(lambda x: (x * 2, x.sum()), t(torch, a))
    assert_same(e, r)


def test_jacobian_independent_output_zero_or_strict_error():
    a, b = arr(3, (2,)), arr(4, (2,))
    for lib, F in LIBS.items():
        jac = F.jacobian(lambda x, y: x * 2, (t(lib, a), t(lib, b)))
        np.testing.assert_allclose(jac[1].numpy(), np.zeros((2, 2)))
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.jacobian(lambda x, y: x * 2, (t(lib, a), t(lib, b)), strict=True)
        with pytest.raises(RuntimeError, match="not supported together"):
            F.jacobian(lambda x: x, t(lib, a), strict=True, vectorize=True)
        with pytest.raises(AssertionError, match="Expected strategy"):
            F.jacobian(lambda x: x, t(lib, a), strategy="sideways")
        with pytest.raises(AssertionError, match="Expected strategy"):
            F.hessian(lambda x: x.sum(), t(lib, a), outer_jacobian_strategy="sideways")


def test_jacobian_create_graph_is_differentiable():
    a = arr(5, (3,))
    out = []
    for lib, F in LIBS.items():
        x = t(lib, a).requires_grad_()
        jac = F.jacobian(lambda v: v.sin() * v, x, create_graph=True)
        assert jac.requires_grad
        jac.sum().backward()
        out.append(x.grad)
    assert_same(out[0], out[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian_matches_torch(dtype):
    a, b = arr(6, (2, 2), dtype), arr(7, (2, 2), dtype)
    e = EF.hessian(scalar_fn, (t(ember, a, dtype), t(ember, b, dtype)))
    r = TF.hessian(scalar_fn, (t(torch, a, dtype), t(torch, b, dtype)))
    assert_same(e, r, dtype)
    e = EF.hessian(lambda x: (x ** 3).sum(), t(ember, a, dtype))
    r = TF.hessian(lambda x: (x ** 3).sum(), t(torch, a, dtype))
    assert_same(e, r, dtype)


def test_hessian_needs_single_element_output():
    for lib, F in LIBS.items():
        with pytest.raises(RuntimeError, match="should contain a single element"):
            F.hessian(lambda x: x * 2, t(lib, arr(8, (3,))))
        with pytest.raises(RuntimeError, match="should return a single Tensor"):
            F.hessian(lambda x: (x.sum(), x.sum()), t(lib, arr(8, (3,))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp_and_jvp_match_torch(dtype):
    a, b = arr(9, (2, 3), dtype), arr(10, (2, 3), dtype)
    va, vb = arr(11, (2, 3), dtype), arr(12, (2,), dtype)
    for name in ("vjp", "jvp"):
        if name == "vjp":
            v = {lib: (t(lib, va, dtype), t(lib, vb, dtype)) for lib in LIBS}
        else:
            v = {lib: (t(lib, va, dtype), t(lib, b, dtype)) for lib in LIBS}
        e = getattr(EF, name)(two_in_two_out, (t(ember, a, dtype), t(ember, b, dtype)), v[ember])
        r = getattr(TF, name)(two_in_two_out, (t(torch, a, dtype), t(torch, b, dtype)), v[torch])
        assert_same(e, r, dtype)
    e = EF.vjp(lambda x: x.exp().sum(), t(ember, a, dtype))
    r = TF.vjp(lambda x: x.exp().sum(), t(torch, a, dtype))
    assert_same(e, r, dtype)
    e = EF.jvp(one_in_one_out, t(ember, a, dtype), t(ember, va, dtype))
    r = TF.jvp(one_in_one_out, t(torch, a, dtype), t(torch, va, dtype))
    assert_same(e, r, dtype)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
def test_vhp_hvp_match_torch(name):
    a, b = arr(13, (2, 2)), arr(14, (2, 2))
    va, vb = arr(15, (2, 2)), arr(16, (2, 2))
    e = getattr(EF, name)(scalar_fn, (t(ember, a), t(ember, b)), (t(ember, va), t(ember, vb)))
    r = getattr(TF, name)(scalar_fn, (t(torch, a), t(torch, b)), (t(torch, va), t(torch, vb)))
    assert_same(e, r)


def test_create_graph_results_require_grad():
    a, v = arr(17, (3,)), arr(18, (3,))
    for lib, F in LIBS.items():
        x = t(lib, a).requires_grad_()
        _, r1 = F.vjp(one_in_one_out, x, t(lib, v), create_graph=True)
        _, r2 = F.jvp(one_in_one_out, x, t(lib, v), create_graph=True)
        _, r3 = F.vjp(one_in_one_out, x, t(lib, v))
        assert r1.requires_grad and r2.requires_grad and not r3.requires_grad


def test_argument_errors_match_torch():
    a = arr(19, (3,))
    for lib, F in LIBS.items():
        x = t(lib, a)
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            F.vjp(one_in_one_out, (x, 3), (x,))
        with pytest.raises(TypeError, match="outputs of the user-provided function"):
            F.jacobian(lambda v: 3, x)
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.vjp(one_in_one_out, x)
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.jvp(one_in_one_out, x)
        with pytest.raises(RuntimeError, match="v has invalid size"):
            F.vjp(one_in_one_out, x, t(lib, arr(0, (4,))))
        with pytest.raises(RuntimeError, match="v is a tuple of invalid length"):
            F.jvp(lambda p, q: p * q, (x, x), (x,))
        with pytest.raises(RuntimeError, match="does not require gradients"):
            F.vjp(lambda v: v.detach(), x, x, strict=True)
