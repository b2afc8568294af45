import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember.nn.utils.prune as P  # noqa: E402
import torch.nn.utils.prune as TP  # noqa: E402
from small_modules import Linear  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, tdt  # noqa: E402

import ember  # noqa: E402


def _pair(dtype="float32", i=6, o=5, seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Linear(i, o).to(tdt(dtype))
    m = Linear(i, o, dtype=getattr(ember, dtype))
    copy_state(t, m)
    return t, m


def _same_masks(t, m, name="weight"):
    tm = getattr(t, name + "_mask")
    em = getattr(m, name + "_mask")
    np.testing.assert_array_equal(em.numpy(), tm.numpy())
    assert em.dtype == getattr(ember, str(tm.dtype).replace("torch.", ""))


DETERMINISTIC = [
    ("l1_unstructured", dict(amount=0.3)),
    ("l1_unstructured", dict(amount=7)),
    ("l1_unstructured", dict(amount=0)),
    ("ln_structured", dict(amount=2, n=2, dim=0)),
    ("ln_structured", dict(amount=0.5, n=1, dim=1)),
    ("ln_structured", dict(amount=0.4, n=float("inf"), dim=-1)),
    ("ln_structured", dict(amount=1, n=-float("inf"), dim=0)),
    ("identity", dict()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn,kwargs", DETERMINISTIC)
def test_deterministic_pruning_matches_torch(dtype, fn, kwargs):
    t, m = _pair(dtype)
    assert getattr(TP, fn)(t, "weight", **kwargs) is t
    assert getattr(P, fn)(m, "weight", **kwargs) is m
    _same_masks(t, m)
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    close(m.weight, t.weight, dtype)
    assert P.is_pruned(m) and TP.is_pruned(t)
    x = torch.randn(3, 6, dtype=tdt(dtype))
    ty, ey = t(x), m(e(x))
    close(ey, ty, dtype)
    ty.sum().backward()
    ey.sum().backward()
    close(m.weight_orig.grad, t.weight_orig.grad, dtype)
    # the hook recomputes the weight from weight_orig on each forward
    with torch.no_grad():
        t.weight_orig.mul_(2)
    with ember.no_grad():
        m.weight_orig.mul_(2)
    close(m(e(x)), t(x), dtype)
    P.remove(m, "weight")
    TP.remove(t, "weight")
    assert list(m.state_dict()) == list(t.state_dict())
    close(m.weight, t.weight, dtype)
    assert isinstance(m.weight, ember.nn.Parameter)
    assert not P.is_pruned(m)


def test_iterative_pruning_uses_container():
    t, m = _pair("float64", 8, 6)
    steps = [("l1_unstructured", dict(amount=0.2)),
             ("ln_structured", dict(amount=1, n=2, dim=0)),
             ("l1_unstructured", dict(amount=3)),
             ("ln_structured", dict(amount=0.34, n=1, dim=1))]
    for fn, kwargs in steps:
        getattr(TP, fn)(t, "weight", **kwargs)
        getattr(P, fn)(m, "weight", **kwargs)
        _same_masks(t, m)
    hooks = [h for h in m._forward_pre_hooks.values() if isinstance(h, P.BasePruningMethod)]
    assert len(hooks) == 1 and isinstance(hooks[0], P.PruningContainer)
    assert len(hooks[0]) == 4
    assert [type(h).__name__ for h in hooks[0]] == ["L1Unstructured", "LnStructured",
                                                    "L1Unstructured", "LnStructured"]
    close(m.weight, t.weight)


def test_importance_scores_and_custom_mask():
    t, m = _pair("float32")
    scores = torch.randn(5, 6)
    TP.l1_unstructured(t, "weight", amount=10, importance_scores=scores)
    P.l1_unstructured(m, "weight", amount=10, importance_scores=e(scores))
    _same_masks(t, m)
    TP.ln_structured(t, "weight", amount=2, n=2, dim=0, importance_scores=scores)
    P.ln_structured(m, "weight", amount=2, n=2, dim=0, importance_scores=e(scores))
    _same_masks(t, m)
    mask = torch.rand(5) > 0.4
    TP.custom_from_mask(t, "bias", mask)
    P.custom_from_mask(m, "bias", e(mask))
    _same_masks(t, m, "bias")
    assert list(m.state_dict()) == list(t.state_dict())


def test_global_unstructured_matches_torch():
    t1, m1 = _pair("float32", 4, 3, seed=1)
    t2, m2 = _pair("float32", 3, 5, seed=2)
    TP.global_unstructured([(t1, "weight"), (t2, "weight"), (t2, "bias")],
                           pruning_method=TP.L1Unstructured, amount=12)
    P.global_unstructured([(m1, "weight"), (m2, "weight"), (m2, "bias")],
                          pruning_method=P.L1Unstructured, amount=12)
    _same_masks(t1, m1)
    _same_masks(t2, m2)
    _same_masks(t2, m2, "bias")
    assert int((m1.weight_mask == 0).sum() + (m2.weight_mask == 0).sum()
               + (m2.bias_mask == 0).sum()) == 12


def test_global_unstructured_errors():
    m = Linear(2, 2)
    with pytest.raises(TypeError, match="global_unstructured\\(\\): parameters is not an "
                                        "Iterable"):
        P.global_unstructured(5, P.L1Unstructured, amount=1)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        P.global_unstructured([(m, "weight")], P.L1Unstructured, importance_scores=[1],
                              amount=1)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        P.global_unstructured([(m, "weight")], P.LnStructured, amount=1, n=2)


def test_random_unstructured_statistics():
    ember.manual_seed(0)
    m = Linear(50, 40)
    P.random_unstructured(m, "weight", amount=0.3)
    assert int((m.weight_mask == 0).sum()) == round(0.3 * 2000)
    assert set(np.unique(m.weight_mask.numpy())) == {0.0, 1.0}
    # uniform: each row loses about 30% of its entries
    per_row = (m.weight_mask == 0).float().mean(1).numpy()
    assert abs(per_row.mean() - 0.3) < 1e-6 and per_row.std() < 0.15
    # pruning again only removes more entries, never restores any
    before = m.weight_mask.numpy().copy()
    P.random_unstructured(m, "weight", amount=100)
    after = m.weight_mask.numpy()
    assert (after <= before).all() and int((after == 0).sum()) == 700
    np.testing.assert_array_equal(m.weight.detach().numpy(),
                                  (m.weight_orig * m.weight_mask).detach().numpy())


def test_random_structured_statistics():
    ember.manual_seed(1)
    m = Linear(6, 10)
    P.random_structured(m, "weight", amount=0.4, dim=0)
    rows = m.weight_mask.numpy().sum(1)
    assert sorted(set(rows)) == [0.0, 6.0] and int((rows == 0).sum()) == 4
    counts = np.zeros(10)
    for seed in range(200):
        ember.manual_seed(seed)
        mm = Linear(3, 10)
        P.random_structured(mm, "weight", amount=3, dim=0)
        counts += mm.weight_mask.numpy()[:, 0] == 0
    assert counts.sum() == 600
    assert counts.min() > 30 and counts.max() < 90     # each row about 60 times


@pytest.mark.parametrize("amount,exc", [(-1, ValueError), (1.5, ValueError), ("a", TypeError),
                                        (100, ValueError)])
def test_amount_errors_match_torch(amount, exc):
    t, m = _pair()
    with pytest.raises(exc) as terr:
        TP.l1_unstructured(t, "weight", amount=amount)
    with pytest.raises(exc) as eerr:
        P.l1_unstructured(m, "weight", amount=amount)
    assert str(eerr.value) == str(terr.value)
    # a failed pruning leaves the module as it was
    assert list(m.state_dict()) == list(t.state_dict())
    assert sorted(m.state_dict()) == ["bias", "weight"]


def test_structured_errors_match_torch():
    t, m = _pair()
    for fn, args in [("ln_structured", dict(amount=1, n=2, dim=0)),
                     ("random_structured", dict(amount=1, dim=0))]:
        with pytest.raises(ValueError) as terr:
            getattr(TP, fn)(t, "bias", **args)
        with pytest.raises(ValueError) as eerr:
            getattr(P, fn)(m, "bias", **args)
        assert str(eerr.value) == str(terr.value).replace("torch.Size", "ember.Size")
    with pytest.raises(IndexError) as terr:
        TP.ln_structured(t, "weight", amount=1, n=2, dim=3)
    with pytest.raises(IndexError) as eerr:
        P.ln_structured(m, "weight", amount=1, n=2, dim=3)
    assert str(eerr.value) == str(terr.value).replace("torch.Size", "ember.Size")


def test_remove_unpruned_raises():
    m = Linear(2, 2)
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned"):
        P.remove(m, "weight")


def test_prune_method_directly_and_container_checks():
    t = torch.randn(4, 5)
    np.testing.assert_array_equal(P.L1Unstructured(amount=6).prune(e(t)).numpy(),
                                  TP.L1Unstructured(amount=6).prune(t).numpy())
    a = P.L1Unstructured(0.1)
    a._tensor_name = "weight"
    b = P.L1Unstructured(0.1)
    b._tensor_name = "bias"
    c = P.PruningContainer(a)
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the "
                                         "parameter named 'weight'"):
        c.add_pruning_method(b)
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        c.add_pruning_method(3)


def test_is_pruned_sees_submodules():
    seq = ember.nn.Sequential(Linear(2, 2), ember.nn.Sequential(Linear(2, 2)))
    assert not P.is_pruned(seq)
    P.identity(seq[1][0], "bias")
    assert P.is_pruned(seq)


def test_global_unstructured_importance_scores_and_state_roundtrip():
    t1, m1 = _pair("float64", 4, 3, seed=3)
    t2, m2 = _pair("float64", 3, 5, seed=4)
    s1 = torch.randn(3, 4, dtype=torch.float64)
    TP.global_unstructured([(t1, "weight"), (t2, "weight")], pruning_method=TP.L1Unstructured,
                           importance_scores={(t1, "weight"): s1}, amount=0.5)
    P.global_unstructured([(m1, "weight"), (m2, "weight")], pruning_method=P.L1Unstructured,
                          importance_scores={(m1, "weight"): e(s1)}, amount=0.5)
    _same_masks(t1, m1)
    _same_masks(t2, m2)
    # a pruned module's state dict loads into another pruned module
    t3, m3 = _pair("float64", 4, 3, seed=5)
    P.identity(m3, "weight")
    m3.load_state_dict({k: e(v) for k, v in t1.state_dict().items()})
    m3(ember.ones(1, 4, dtype=ember.float64))     # the hook recomputes weight
    close(m3.weight, t1.weight)
