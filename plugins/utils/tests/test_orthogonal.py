import numpy as np
import pytest

torch = pytest.importorskip("torch")

from small_modules import Linear  # noqa: E402
from torch.nn.utils import parametrizations as TP  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, tdt  # noqa: E402

import ember  # noqa: E402
from ember.nn.utils import parametrizations as EP  # noqa: E402

SHAPES = [(4, 4), (6, 3), (3, 6), (2, 4, 3)]


def _pair(dtype, shape, seed=0):
    torch.manual_seed(seed)

    class TM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(*shape, dtype=tdt(dtype)))

    class EM(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = ember.nn.Parameter(ember.zeros(*shape, dtype=getattr(ember, dtype)))

    t, m = TM(), EM()
    copy_state(t, m)
    return t, m


def _check_orthogonal(w, dtype):
    w = w.detach().numpy()
    n, k = w.shape[-2:]
    g = np.swapaxes(w, -1, -2) @ w if n >= k else w @ np.swapaxes(w, -1, -2)
    eye = np.broadcast_to(np.eye(min(n, k)), g.shape)
    np.testing.assert_allclose(g, eye, atol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_matches_torch(dtype, shape, orth_map):
    t, m = _pair(dtype, shape)
    TP.orthogonal(t, orthogonal_map=orth_map)
    EP.orthogonal(m, orthogonal_map=orth_map)
    assert list(m.state_dict()) == list(t.state_dict())
    if shape[-1] == shape[-2]:
        # square: base is the Q of the QR of the weight, computed the same way as torch
        close(m.parametrizations.weight[0].base, t.parametrizations.weight[0].base, dtype)
    copy_state(t, m)          # tall/wide: torch pads the base with random columns
    close(m.weight, t.weight, dtype)
    _check_orthogonal(m.weight, dtype)
    # move away from the identity point, then compare values and gradients
    # (off the diagonal: the householder map reads the diagonal's integer part as signs)
    pert = torch.randn(*shape, dtype=tdt(dtype)) * 0.3
    pert.diagonal(dim1=-2, dim2=-1).zero_()
    with torch.no_grad():
        t.parametrizations.weight.original.add_(pert)
    with ember.no_grad():
        m.parametrizations.weight.original.add_(e(pert))
    close(m.weight, t.weight, dtype)
    _check_orthogonal(m.weight, dtype)
    coef = torch.randn(*t.weight.shape, dtype=tdt(dtype))
    (t.weight * coef).sum().backward()
    (m.weight * e(coef)).sum().backward()
    close(m.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad,
          dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_orthogonal_default_maps(dtype):
    for shape, expected in [((3, 3), "matrix_exp"), ((5, 3), "householder")]:
        t, m = _pair(dtype, shape)
        TP.orthogonal(t)
        EP.orthogonal(m)
        assert m.parametrizations.weight[0].orthogonal_map.name == expected
        assert t.parametrizations.weight[0].orthogonal_map.name == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6)])
def test_householder_without_trivialization(dtype, shape):
    t, m = _pair(dtype, shape, seed=4)
    TP.orthogonal(t, orthogonal_map="householder", use_trivialization=False)
    EP.orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    assert list(m.state_dict()) == list(t.state_dict())
    # the stored original is the geqrf factorisation (diagonal replaced by signs)
    close(m.parametrizations.weight.original, t.parametrizations.weight.original, dtype)
    close(m.weight, t.weight, dtype)
    t.weight.sum().backward()
    m.weight.sum().backward()
    close(m.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad,
          dtype)
    # assigning an orthogonal matrix stores its factorisation
    q = torch.linalg.qr(torch.randn(*shape, dtype=tdt(dtype)).mT if shape[0] < shape[1]
                        else torch.randn(*shape, dtype=tdt(dtype)))[0]
    q = q.mT if shape[0] < shape[1] else q
    with torch.no_grad():
        t.weight = q
    with ember.no_grad():
        m.weight = e(q)
    close(m.weight, t.weight, dtype)
    close(m.weight, q, dtype)


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley"])
def test_no_trivialization_assignment_is_not_implemented(orth_map):
    t, m = _pair("float64", (4, 4))
    TP.orthogonal(t, orthogonal_map=orth_map, use_trivialization=False)
    EP.orthogonal(m, orthogonal_map=orth_map, use_trivialization=False)
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.weight, t.weight)
    with pytest.raises(NotImplementedError) as terr:
        t.weight = torch.eye(4, dtype=torch.float64)
    with pytest.raises(NotImplementedError) as eerr:
        m.weight = ember.eye(4, dtype=ember.float64)
    assert str(eerr.value) == str(terr.value)


def test_assign_orthogonal_matrix_with_trivialization():
    t, m = _pair("float64", (4, 4))
    TP.orthogonal(t)
    EP.orthogonal(m)
    q = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))[0]
    with torch.no_grad():
        t.weight = q
    with ember.no_grad():
        m.weight = e(q)
    close(m.parametrizations.weight[0].base, t.parametrizations.weight[0].base)
    close(m.weight, q)


def test_orthogonal_errors_match_torch():
    for tmod, emod, kwargs in [
        (torch.nn.Linear(3, 3), Linear(3, 3), dict(orthogonal_map="qr")),
        (torch.nn.Linear(3, 3), Linear(3, 3), dict(name="bias")),
    ]:
        with pytest.raises(ValueError) as terr:
            TP.orthogonal(tmod, **kwargs)
        with pytest.raises(ValueError) as eerr:
            EP.orthogonal(emod, **kwargs)
        assert str(eerr.value) == str(terr.value)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        EP.orthogonal(Linear(3, 3), name="nope")
    m = EP.orthogonal(Linear(3, 3))
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        m.weight = ember.eye(2)


def test_linalg_helpers_match_torch():
    from ember_utils import _linalg as L

    rng = torch.Generator().manual_seed(0)
    a = torch.randn(2, 6, 4, dtype=torch.float64, generator=rng)
    x, tau = torch.geqrf(a)
    ex, etau = L.geqrf(e(a))
    close(ex, x)
    close(etau, tau)
    close(L.householder_product(ex, etau), torch.linalg.householder_product(x, tau))
    s = torch.randn(5, 5, dtype=torch.float64, generator=rng) * 3
    s = s - s.mT
    close(L.matrix_exp(e(s)), torch.matrix_exp(s))
    eye = torch.eye(5, dtype=torch.float64)
    rhs = torch.randn(5, 2, dtype=torch.float64, generator=rng)
    close(L.solve(e(eye - s / 2), e(rhs)), torch.linalg.solve(eye - s / 2, rhs))
    spd = s @ s.mT + eye
    close(L.solve(e(spd), e(rhs)), torch.linalg.solve(spd, rhs))
    # gradients of the differentiable helpers
    ts = s.clone().requires_grad_(True)
    es = e(s, requires_grad=True)
    coef = torch.randn(5, 5, dtype=torch.float64, generator=rng)
    (torch.matrix_exp(ts) * coef).sum().backward()
    (L.matrix_exp(es) * e(coef)).sum().backward()
    close(es.grad, ts.grad)
    ta = a.clone().requires_grad_(True)
    ea = e(a, requires_grad=True)
    ttau = (2.0 / (1 + (a.tril(-1) ** 2).sum(-2))).requires_grad_(True)
    etau2 = e(ttau, requires_grad=True)
    coef = torch.randn(2, 6, 4, dtype=torch.float64, generator=rng)
    (torch.linalg.householder_product(ta, ttau) * coef).sum().backward()
    (L.householder_product(ea, etau2) * e(coef)).sum().backward()
    close(ea.grad, ta.grad)
    close(etau2.grad, ttau.grad)


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_double_backward(orth_map):
    t, m = _pair("float64", (4, 4), seed=2)
    TP.orthogonal(t, orthogonal_map=orth_map)
    EP.orthogonal(m, orthogonal_map=orth_map)
    copy_state(t, m)
    pert = torch.randn(4, 4, dtype=torch.float64) * 0.3
    pert.diagonal().zero_()
    with torch.no_grad():
        t.parametrizations.weight.original.add_(pert)
    with ember.no_grad():
        m.parametrizations.weight.original.add_(e(pert))
    to = t.parametrizations.weight.original
    eo = m.parametrizations.weight.original
    x = torch.randn(3, 4, dtype=torch.float64)
    (g,) = torch.autograd.grad(((x @ t.weight.mT) ** 2).sum(), to, create_graph=True)
    (eg,) = ember.autograd.grad(((e(x) @ m.weight.mT) ** 2).sum(), eo, create_graph=True)
    close(eg, g)
    (gg,) = torch.autograd.grad((g ** 2).sum(), to)
    (egg,) = ember.autograd.grad((eg ** 2).sum(), eo)
    close(egg, gg)
