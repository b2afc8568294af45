"""The backward engine against torch: hook order, multiple paths, retain/create graph,
allow_unused, inputs=, in-place checks, anomaly mode, reference cycles and memory."""

import gc
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64"]


def arr(seed, shape, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def np_of(t):
    return None if t is None else t.detach().numpy()


def close(a, b, dtype="float64"):
    tol = 1e-5 if dtype == "float32" else 1e-10
    if b is None:
        assert a is None
        return
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=tol, atol=tol)


def leaf(lib, a, dtype="float64", requires_grad=True):
    return lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=requires_grad)


def both(fn):
    return fn(ember), fn(torch)


# ---------------------------------------------------------------- hooks
def test_hook_call_order_matches_torch():
    a, b = arr(0, (3,)), arr(1, (3,))

    def run(lib):
        events = []
        x = leaf(lib, a)
        w = leaf(lib, b)
        x.register_hook(lambda g: events.append("x-hook1"))
        x.register_hook(lambda g: events.append("x-hook2"))
        x.register_post_accumulate_grad_hook(lambda t: events.append("x-post"))
        w.register_hook(lambda g: events.append("w-hook"))
        w.register_post_accumulate_grad_hook(lambda t: events.append("w-post"))
        h = x * w
        h.register_hook(lambda g: events.append("h-hook"))
        h.retain_grad()
        h.grad_fn.register_prehook(lambda go: events.append("h-node-pre"))
        h.grad_fn.register_hook(lambda gi, go: events.append("h-node-post"))
        u = h.sin()
        u.register_hook(lambda g: events.append("u-hook"))
        v = h.exp() + u
        v.register_hook(lambda g: events.append("v-hook"))
        v.sum().backward()
        return events, x.grad, w.grad, h.grad

    (ee, *ge), (et, *gt) = both(run)
    assert ee == et
    for e, t in zip(ge, gt):
        close(e, t)


@pytest.mark.parametrize("dtype", DTYPES)
def test_hooks_replace_gradients_and_can_be_removed(dtype):
    a = arr(2, (4,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = x * 3
        handle = y.register_hook(lambda g: g * 10)
        y.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 0.5)
        (y * y).sum().backward(retain_graph=True)
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (y * y).sum().backward()
        return first, x.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_post_accumulate_grad_hook_sees_accumulated_grad():
    a = arr(3, (3,))

    def run(lib):
        seen = []
        x = leaf(lib, a)
        x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
        (x * x).sum().backward()
        (x * 2).sum().backward()
        return seen

    e, t = both(run)
    assert len(e) == len(t) == 2
    for u, v in zip(e, t):
        close(u, v)


def test_post_accumulate_grad_hook_on_non_leaf_raises():
    for lib in (ember, torch):
        y = leaf(lib, arr(4, (2,))) * 2
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered"):
            y.register_post_accumulate_grad_hook(lambda t: None)


def test_hook_on_tensor_without_grad_raises():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(2).register_hook(lambda g: g)


@pytest.mark.parametrize("dtype", DTYPES)
def test_retain_grad_on_non_leaves(dtype):
    a = arr(5, (2, 3), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        h = x.tanh()
        h.retain_grad()
        k = h * h
        k.retain_grad()
        k.sum().backward()
        return h.retains_grad, k.grad, h.grad, x.grad

    (re, *ge), (rt, *gt) = both(run)
    assert re == rt is True
    for u, v in zip(ge, gt):
        close(u, v, dtype)


# ---------------------------------------------------------------- graph shapes
@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_through_multiple_paths(dtype):
    a, b = arr(6, (3, 3), dtype), arr(7, (3,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        w = leaf(lib, b, dtype)
        h = x * w  # used by three consumers
        y = h.exp().sum() + (h * h).sum() + (h @ w).sin().sum()
        z = y * 2 + y
        z.backward()
        return x.grad, w.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_retain_graph_allows_second_backward_and_accumulates():
    a = arr(8, (4,))

    def run(lib):
        x = leaf(lib, a)
        y = (x.sin() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    e, t = both(run)
    close(e, t)


def test_second_backward_without_retain_graph_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(9, (4,)))
        y = (x.exp() * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


@pytest.mark.parametrize("dtype", DTYPES)
def test_create_graph_double_and_triple_backward(dtype):
    a = arr(10, (5,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = (x.sin() * x.exp()).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        g2.sum().backward()
        return g1, g2, x.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_allow_unused_and_materialize_grads():
    a, b = arr(11, (3,)), arr(12, (3,))
    for lib in (ember, torch):
        x, unused = leaf(lib, a), leaf(lib, b)
        y = (x * x).sum()
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(y, (x, unused), retain_graph=True)
        gx, gu = lib.autograd.grad(y, (x, unused), retain_graph=True, allow_unused=True)
        assert gu is None
        np.testing.assert_allclose(np_of(gx), 2 * a)
        gx, gu = lib.autograd.grad(y, (x, unused), materialize_grads=True)
        np.testing.assert_allclose(np_of(gu), np.zeros(3))


def test_backward_inputs_restricts_accumulation():
    a, b = arr(13, (3,)), arr(14, (3,))

    def run(lib):
        x, w = leaf(lib, a), leaf(lib, b)
        h = x * w
        h.retain_grad()
        (h.exp() * w).sum().backward(inputs=[w])
        return x.grad, w.grad, h.grad

    e, t = both(run)
    assert e[0] is None and t[0] is None
    close(e[1], t[1])
    close(e[2], t[2])  # retain_grad still sees the gradient flowing through h


def test_backward_inputs_empty_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(15, (2,)))
        with pytest.raises(RuntimeError, match="cannot be empty"):
            (x * 2).sum().backward(inputs=[])


def test_grad_of_non_scalar_needs_grad_outputs():
    for lib in (ember, torch):
        x = leaf(lib, arr(16, (2,)))
        with pytest.raises(RuntimeError, match="only for scalar outputs"):
            lib.autograd.grad(x * 2, x)


def test_grad_with_grad_outputs_matches():
    a, g = arr(17, (2, 3)), arr(18, (2, 3))

    def run(lib):
        x = leaf(lib, a)
        return lib.autograd.grad(x.tanh() * x, x, lib.tensor(g))[0]

    e, t = both(run)
    close(e, t)


def test_no_grad_output_does_not_require_grad():
    for lib in (ember, torch):
        x = leaf(lib, arr(19, (2,)))
        with lib.no_grad():
            y = x * 2
        assert not y.requires_grad
        with pytest.raises(RuntimeError, match="does not require grad"):
            y.sum().backward()


# ---------------------------------------------------------------- in-place correctness
def test_modified_saved_tensor_raises_torch_error():
    for lib in (ember, torch):
        x = leaf(lib, arr(20, (3,)))
        h = x.exp()
        y = h * h  # saves h
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_ops_on_non_leaves_give_torch_grads(dtype):
    a = arr(21, (2, 3), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        h = x * 2
        h.mul_(x)
        h[0].add_(3)
        h.sub_(x.sin())
        h.sum().backward()
        return h, x.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_in_place_on_leaf_requiring_grad_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(22, (2,)))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.add_(1)


# ---------------------------------------------------------------- anomaly detection
def test_anomaly_mode_flags_nan_gradients_like_torch():
    for lib in (ember, torch):

        class NanBackward(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")

        x = leaf(lib, arr(23, (2,)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="'NanBackwardBackward' returned nan values "
                                                   "in its 0th output"):
                with lib.autograd.detect_anomaly():
                    NanBackward.apply(x).sum().backward()
        messages = [str(w.message) for w in caught]
        assert any("Anomaly Detection has been enabled" in m for m in messages)
        assert any(m.startswith("Error detected in NanBackwardBackward") for m in messages)
        # outside anomaly mode the NaN gradient is delivered silently
        x.grad = None
        NanBackward.apply(x).sum().backward()
        assert np.isnan(np_of(x.grad)).all()


def test_set_detect_anomaly_toggles_state():
    for lib, enabled in ((ember, ember.autograd.is_anomaly_enabled),
                         (torch, torch.is_anomaly_enabled)):
        assert not enabled()
        with lib.autograd.set_detect_anomaly(True):
            assert enabled()
        assert not enabled()
        lib.autograd.set_detect_anomaly(True)
        assert enabled()
        lib.autograd.set_detect_anomaly(False)
        assert not enabled()


# ---------------------------------------------------------------- memory
def _step(x, w):
    loss = ((x @ w).tanh() * (x @ w).sigmoid()).sum()
    loss.backward()
    with ember.no_grad():
        w.sub_(w.grad * 0.01)
    w.grad = None
    return loss


def test_no_reference_cycles_outlive_an_iteration():
    x = ember.tensor(arr(24, (4, 3)))
    w = ember.tensor(arr(25, (3, 2)), requires_grad=True)
    _step(x, w)  # warm caches
    gc.collect()
    gc.disable()
    try:
        refs = []
        for _ in range(5):
            h = x @ w
            refs.append(weakref.ref(h))
            refs.append(weakref.ref(h.grad_fn))
            (h.exp() * h).sum().backward()
            del h
        w.grad = None
        assert all(r() is None for r in refs), "graph objects survived their iteration"
        for _ in range(20):
            _step(x, w)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_memory_stays_flat_over_many_steps():
    # 2000 steps here; benchmarks/autograd_memory.py runs the same loop for 10,000.
    x = ember.tensor(arr(26, (8, 4)))
    w = ember.tensor(arr(27, (4, 3)), requires_grad=True)
    for _ in range(50):
        _step(x, w)
    gc.collect()
    tracemalloc.start()
    try:
        # interpreter and numpy caches settle during the first few hundred traced steps
        for _ in range(1000):
            _step(x, w)
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            _step(x, w)
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 16 * 1024, f"memory grew by {end - start} bytes over 2000 steps"


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_with_batched_grad_outputs(dtype):
    a = arr(40, (3,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = x.sin() * x
        w = x * 2  # unused by y
        (g, gw) = lib.autograd.grad(y, (x, w), lib.eye(3, dtype=x.dtype), retain_graph=True,
                                    is_grads_batched=True, allow_unused=True)
        assert gw is None
        (g2,) = lib.autograd.grad((y, y * 2), x, (lib.eye(3, dtype=x.dtype),
                                                  lib.ones(3, 3, dtype=x.dtype)),
                                  is_grads_batched=True)
        return g, g2

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_argument_errors_match_torch():
    for lib in (ember, torch):
        x = leaf(lib, arr(41, (2,)))
        with pytest.raises(RuntimeError, match="all inputs have to be Tensors"):
            lib.autograd.grad(x.sum(), [x, 3])
        with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a "
                                               r"shape of \w+\.Size\(\[3\]\)"):
            (x * 2).backward(lib.ones(3, dtype=x.dtype))
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad((x * 2).sum(), lib.ones(2))


def test_variable_is_a_deprecated_tensor_wrapper():
    for lib in (ember, torch):
        t = lib.ones(2)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and not lib.autograd.Variable(t).requires_grad
        assert isinstance(t, lib.autograd.Variable)
        assert not isinstance(3, lib.autograd.Variable)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
            lib.autograd.Variable(3)


def _hooked_run(lib, hooks):
    """Gradients (first and second) of a small graph built under ``hooks(lib)``; the
    leaf, a non-leaf and an op's own output are all saved."""
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 3
    with hooks(lib):
        out = (y.exp() * y).sum() + (x.tanh() * x).sum()
    (g,) = lib.autograd.grad(out, x, create_graph=True)
    g.sum().backward()
    return out.item(), g.tolist(), x.grad.tolist()


def test_saved_tensors_hooks_pack_unpack_and_double_backward():
    calls = {}

    def counting(lib):
        log = calls.setdefault(lib.__name__, [])

        def pack(t):
            log.append("pack")
            return t.detach().clone()

        def unpack(p):
            log.append("unpack")
            return p

        return lib.autograd.graph.saved_tensors_hooks(pack, unpack)

    for hooks in (counting, lambda lib: lib.autograd.graph.save_on_cpu()):
        ours, ref = _hooked_run(ember, hooks), _hooked_run(torch, hooks)
        np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12)
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-12)
        np.testing.assert_allclose(ours[2], ref[2], rtol=1e-12)
    assert calls["ember"] == calls["torch"]


def test_saved_tensors_hooks_semantics():
    for lib in (ember, torch):
        graph = lib.autograd.graph
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda p: p):
            h = a * 1
            y = (h * h).sum()
        h.add_(1)  # packed copies: no in-place check
        y.backward()
        assert a.grad.tolist() == [2.0, 4.0]
        with graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
            z = (a * a).sum()
        with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
            z.backward()
        with graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with graph.saved_tensors_hooks(lambda t: t, lambda p: p):
                    pass
        with graph.saved_tensors_hooks(lambda t: t, lambda p: p):  # allowed again
            pass
