"""ctc_loss: fused cpu kernel and composite definition against torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import G, check, check_error  # noqa: E402

import ember  # noqa: E402
from ember_losses._ctc import ctc_backward_composite, ctc_forward_composite  # noqa: E402

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


def problem(dtype, t=12, n=4, c=6, s=5, seed=0, blank=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(t, n, c)).astype(dtype)
    lp = x - np.log(np.exp(x).sum(2, keepdims=True))
    labels = [v for v in range(c) if v != blank]
    targets = rng.choice(labels, size=(n, s)).astype(np.int64)
    targets[0, 1] = targets[0, 2]                       # a repeated label needs a blank
    tl = rng.integers(1, s + 1, size=n)
    tl[-1] = 0 if n > 2 else tl[-1]                     # an empty target
    il = rng.integers(min(2 * s + 1, t), t + 1, size=n)
    il[0] = t
    return lp.astype(dtype), targets, tuple(int(v) for v in il), tuple(int(v) for v in tl)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 5])
def test_ctc_padded(dtype, reduction, blank):
    lp, tg, il, tl = problem(dtype, blank=blank)
    check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, il, tl, blank=blank, reduction=reduction),
          G(lp), tg)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_concatenated_and_tensor_lengths(dtype, reduction):
    lp, tg, il, tl = problem(dtype, seed=1)
    flat = np.concatenate([tg[b, :tl[b]] for b in range(len(tl))])
    check(lambda lib, lp, tg, il, tl: F(lib).ctc_loss(lp, tg, il, tl, reduction=reduction),
          G(lp), flat, np.array(il), np.array(tl, np.int32))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_unbatched(dtype):
    lp, tg, il, tl = problem(dtype, n=1)
    for reduction in REDUCTIONS:
        check(lambda lib, lp, tg, il, tl: F(lib).ctc_loss(lp, tg, il, tl, reduction=reduction),  # noqa: B023
              G(lp[:, 0]), tg[0, :tl[0]], np.array(il[0]), np.array(tl[0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_alignment(dtype, zero_infinity):
    lp, tg, _, _ = problem(dtype, t=6, n=3, s=3)
    tg[1] = [1, 1, 1]
    il, tl = (2, 4, 0), (3, 3, 1)           # too short for the targets: infinite losses
    out, _ = check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, il, tl, reduction="none",
                                                       zero_infinity=zero_infinity),
                   G(lp), tg)
    assert np.isinf(out.detach().numpy()).any() != zero_infinity
    check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, (6, 5, 0), (3, 2, 0),
                                              zero_infinity=zero_infinity), G(lp), tg)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_long_sequences(dtype):
    lp, tg, il, tl = problem(dtype, t=500, n=3, c=20, s=60, seed=2)
    # float32: the gradient is a difference of two nearly equal terms, summed over 500 steps
    out, _ = check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, il, tl, reduction="sum"),
                   G(lp), tg, grad_tol={"rtol": 1e-3, "atol": 2e-4} if dtype == "float32" else None)
    assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_composite_matches_torch(dtype, zero_infinity):
    """The primitives-only definition (what a backend without a ctc kernel runs)."""
    lp, tg, il, tl = problem(dtype, t=10, n=4, s=4, seed=3)
    il = (10, 9, 3, 8)                      # sequence 2 is too short: infinite loss
    t_lp = torch.tensor(lp, requires_grad=True)
    t_nll = F(torch).ctc_loss(t_lp, torch.tensor(tg), il, tl, reduction="none",
                              zero_infinity=zero_infinity)
    g = np.linspace(0.5, 1.5, 4).astype(dtype)
    t_nll.backward(torch.tensor(g))
    e_lp, e_tg = ember.tensor(lp), ember.tensor(tg)
    padded = ember.where(ember.arange(max(tl)).reshape(1, -1)
                         < ember.tensor(list(tl)).reshape(4, 1),
                         e_tg[:, :max(tl)], ember.zeros_like(e_tg[:, :max(tl)]))
    nll, alpha = ctc_forward_composite(e_lp, padded, il, tl, 0)
    expect = t_nll.detach().numpy()
    got = nll.numpy()
    if zero_infinity:
        got = np.where(np.isinf(got), 0, got)
    np.testing.assert_allclose(got, expect, rtol=1e-5)
    grad = ctc_backward_composite(e_lp, ember.tensor(g), padded, il, tl, nll, alpha, 0,
                                  zero_infinity)
    np.testing.assert_allclose(grad.numpy(), t_lp.grad.numpy(), rtol=1e-4, atol=1e-6,
                               equal_nan=True)


@pytest.mark.parametrize("fused", [True, False])
def test_ctc_empty_targets(fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(ember.zeros(1)._k, "ctc_loss", None)
        monkeypatch.setattr(ember.zeros(1)._k, "ctc_loss_backward", None)
    lp, _, _, _ = problem("float64", t=5, n=2, c=4, s=3)
    for tg in (np.zeros((2, 0), np.int64), np.zeros(0, np.int64)):
        check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, (5, 3), (0, 0), reduction="sum"),
              G(lp), tg)


def test_ctc_module():
    lp, tg, il, tl = problem("float32")
    check(lambda lib, lp, tg: lib.nn.CTCLoss(blank=0, zero_infinity=True)(lp, tg, il, tl),
          G(lp), tg)


def test_ctc_errors():
    lp, tg, _, _ = problem("float32", t=6, n=2, c=4, s=3)
    ctc = lambda lib, lp, tg, il, tl, **k: F(lib).ctc_loss(lp, tg, il, tl, **k)  # noqa: E731
    il, tl = np.array([6, 5]), np.array([3, 2])
    check_error(ctc, lp, tg, np.array([6, -1]), tl)
    check_error(ctc, lp, tg, np.array([6, 7]), tl)
    check_error(ctc, lp, tg, il, np.array([3, -2]))
    check_error(ctc, lp, tg, il, np.array([4, 2]))
    check_error(ctc, lp, tg, il, np.array([3, 2, 1]))
    check_error(ctc, lp, tg, np.array([6.0, 5.0]), tl)
    check_error(ctc, lp, tg, il, np.array([3.0, 2.0]))
    check_error(ctc, lp, tg, il, tl, blank=4)
    check_error(ctc, lp, np.array([1, 2, 2, 3, 1, 1]), il, tl)
    check_error(ctc, lp, tg[:, None], il, tl)
    check_error(ctc, lp[0], tg, il, tl)
    check_error(ctc, lp, tg, il, tl, reduction="avg")
    check_error(ctc, lp.astype(np.float16), tg, il, tl)
    check_error(ctc, lp.astype(np.int64), tg, il, tl)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_without_fused_kernels(dtype, monkeypatch):
    """The whole op (forward and backward) on a backend that lacks the ctc kernels."""
    table = ember.zeros(1)._k
    monkeypatch.setattr(table, "ctc_loss", None)
    monkeypatch.setattr(table, "ctc_loss_backward", None)
    lp, tg, il, tl = problem(dtype, t=9, n=3, s=3, seed=4)
    flat = np.concatenate([tg[b, :tl[b]] for b in range(len(tl))])
    for reduction in REDUCTIONS:
        check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, il, tl, reduction=reduction,  # noqa: B023
                                                  zero_infinity=True), G(lp), flat)


def test_ctc_noncontiguous_log_probs():
    lp, tg, il, tl = problem("float64", t=8, n=3, s=3, seed=5)
    batch_first = np.ascontiguousarray(lp.transpose(1, 0, 2))
    check(lambda lib, x, tg: F(lib).ctc_loss(x.transpose(0, 1), tg, il, tl), G(batch_first),
          tg)


def test_cpu_kernel_validates_its_arrays():
    """The C++ kernel checks shapes itself before its loops (defence in depth)."""
    from ember_cpu.kernels import losses as kernels
    lp = np.zeros((4, 2, 3), np.float32)
    tg = np.ones((2, 2), np.int64)
    with pytest.raises(ValueError, match="targets must have N rows"):
        kernels.ctc_loss(lp, np.ones((3, 2), np.int64), (4, 4), (2, 2), 0)
    with pytest.raises(ValueError, match="bad input length"):
        kernels.ctc_loss(lp, tg, (5, 4), (2, 2), 0)
    with pytest.raises(ValueError, match="target label out of range"):
        kernels.ctc_loss(lp, tg * 3, (4, 4), (2, 2), 0)
    with pytest.raises(ValueError, match="blank must be in label range"):
        kernels.ctc_loss(lp, tg, (4, 4), (2, 2), 3)
    nll, alpha = kernels.ctc_loss(lp, tg, (4, 4), (2, 2), 0)
    with pytest.raises(ValueError, match="log_alpha has the wrong size"):
        kernels.ctc_loss_backward(lp, np.ones(2, np.float32), tg, (4, 4), (2, 2), nll,
                                  alpha[:, :2], 0, False)


@pytest.mark.parametrize("fused", [True, False])
def test_ctc_random_problems(fused, monkeypatch):
    """Random shapes, lengths (0 included), blanks, zero_infinity, and targets that even
    contain the blank label (torch accepts them): fused and composite paths match torch."""
    if not fused:
        monkeypatch.setattr(ember.zeros(1)._k, "ctc_loss", None)
        monkeypatch.setattr(ember.zeros(1)._k, "ctc_loss_backward", None)
    rng = np.random.default_rng(11)
    for _ in range(12):
        t, n, c, s = (int(v) for v in (rng.integers(1, 12), rng.integers(1, 4),
                                       rng.integers(2, 6), rng.integers(0, 5)))
        blank = int(rng.integers(0, c))
        lp = np.log(rng.dirichlet(np.ones(c), size=(t, n)))
        tg = rng.integers(0, c, (n, s))
        tl = tuple(int(v) for v in rng.integers(0, s + 1, n))
        il = tuple(int(v) for v in rng.integers(0, t + 1, n))
        zero_inf = bool(rng.integers(0, 2))
        check(lambda lib, lp, tg: F(lib).ctc_loss(lp, tg, il, tl, blank=blank,  # noqa: B023
                                                  reduction="sum", zero_infinity=zero_inf),  # noqa: B023
              G(lp), tg)
