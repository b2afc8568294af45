"""Custom autograd Functions: the ctx API, compared with torch.autograd.Function."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64"]


def arr(seed, shape, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def np_of(t):
    return None if t is None else t.detach().numpy()


def both(build, *args, **kwargs):
    """Run ``build(lib, ...)`` for ember and torch; returns (ember result, torch result)."""
    return build(ember, *args, **kwargs), build(torch, *args, **kwargs)


def close(a, b, dtype="float64"):
    tol = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------- Function definitions
def make_fns(lib):
    """A family of Functions defined the same way against ``lib``."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * x * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g * ctx.scale, None

    class SaveOutput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            return a * b + c

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = g * b if ctx.needs_input_grad[0] else None
            gb = g * a if ctx.needs_input_grad[1] else None
            gc = g if ctx.needs_input_grad[2] else None
            return ga, gb, gc

    class SetupCtx(lib.autograd.Function):
        @staticmethod
        def forward(x, power=2.0):
            return x.abs() ** power

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, power = inputs
            ctx.save_for_backward(x)
            ctx.power = power

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.power * x.abs() ** (ctx.power - 1) * x.sign(), None

    class DoubleInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class SortWithIdx(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            out = lib.zeros_like(g)
            out.scatter_(-1, idx, g)
            return out

    class TwoOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            out = lib.zeros_like(g1 if g1 is not None else g2)
            if g1 is not None:
                out = out + 2 * g1
            if g2 is not None:
                out = out + 3 * g2
            return out

    class Once(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos()

    return dict(Cube=Cube, SaveOutput=SaveOutput, MulAdd=MulAdd, SetupCtx=SetupCtx,
                DoubleInPlace=DoubleInPlace, SortWithIdx=SortWithIdx, TwoOut=TwoOut, Once=Once)


FNS = {ember: make_fns(ember), torch: make_fns(torch)}


def leaf(lib, a, dtype="float64", requires_grad=True):
    return lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- forward and backward
@pytest.mark.parametrize("dtype", DTYPES)
def test_function_forward_backward_matches_torch(dtype):
    a = arr(0, (3, 4), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = FNS[lib]["Cube"].apply(x, 0.5)
        (y * y).sum().backward()
        return y, x.grad, type(y.grad_fn).__name__, y.grad_fn.name()

    (ye, ge, ne, nme), (yt, gt, nt, nmt) = both(run)
    close(ye, yt, dtype)
    close(ge, gt, dtype)
    assert ne == nt == "CubeBackward"
    assert nme == nmt


@pytest.mark.parametrize("dtype", DTYPES)
def test_needs_input_grad_and_partial_inputs(dtype):
    a, b, c = arr(1, (2, 3), dtype), arr(2, (2, 3), dtype), arr(3, (2, 3), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        w = leaf(lib, b, dtype, requires_grad=False)
        z = leaf(lib, c, dtype)
        out = FNS[lib]["MulAdd"].apply(x, w, z)
        out.sum().backward()
        return out.grad_fn.needs_input_grad, x.grad, w.grad, z.grad

    (ne, *ge), (nt, *gt) = both(run)
    assert tuple(ne) == tuple(nt) == (True, False, True)
    for e, t in zip(ge, gt):
        if t is None:
            assert e is None
        else:
            close(e, t, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_saved_output_double_backward(dtype):
    a = arr(4, (5,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = FNS[lib]["SaveOutput"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (g * g).sum().backward()
        return g, x.grad

    (ge, xe), (gt, xt) = both(run)
    close(ge, gt, dtype)
    close(xe, xt, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_setup_context_style_and_keywords(dtype):
    a = arr(5, (4,), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        y = FNS[lib]["SetupCtx"].apply(x, power=3.0)
        z = FNS[lib]["SetupCtx"].apply(x)
        (y.sum() + z.sum()).backward()
        return y, z, x.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_mark_dirty_returns_the_same_tensor_with_history():
    a = arr(6, (3,))

    def run(lib):
        x = leaf(lib, a)
        b = x.clone()
        out = FNS[lib]["DoubleInPlace"].apply(b)
        assert out is b
        (out * out).sum().backward()
        return out, x.grad, b._version

    (oe, ge, ve), (ot, gt, vt) = both(run)
    close(oe, ot)
    close(ge, gt)
    assert ve == vt


def test_mark_dirty_on_leaf_requiring_grad_raises_like_torch():
    for lib in (ember, torch):
        x = leaf(lib, arr(7, (3,)))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            FNS[lib]["DoubleInPlace"].apply(x)


def test_dirty_tensor_not_returned_raises():
    for lib in (ember, torch):

        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        x = leaf(lib, arr(8, (3,))).clone()
        with pytest.raises(RuntimeError, match="marked as dirty"):
            Bad.apply(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mark_non_differentiable_outputs(dtype):
    a = arr(9, (2, 5), dtype)

    def run(lib):
        x = leaf(lib, a, dtype)
        values, idx = FNS[lib]["SortWithIdx"].apply(x)
        (values * lib.arange(5, dtype=values.dtype)).sum().backward()
        return values.requires_grad, idx.requires_grad, values, idx, x.grad

    (vre, ire, *re), (vrt, irt, *rt) = both(run)
    assert (vre, ire) == (vrt, irt) == (True, False)
    for e, t in zip(re, rt):
        np.testing.assert_allclose(np_of(e), np_of(t), rtol=1e-6)


def test_set_materialize_grads_false_passes_none():
    a = arr(10, (3,))

    def run(lib):
        x = leaf(lib, a)
        y1, y2 = FNS[lib]["TwoOut"].apply(x)
        y1.sum().backward()
        return y1.grad_fn.seen, x.grad

    (se, ge), (st, gt) = both(run)
    assert se == st == (False, True)
    close(ge, gt)


def test_materialized_zero_grad_for_unused_output():
    for lib in (ember, torch):

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                assert g2 is not None and float(g2.abs().sum()) == 0.0
                return 2 * g1 + 3 * g2

        x = leaf(lib, arr(11, (3,)))
        a, _ = Two.apply(x)
        a.sum().backward()
        np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0, 2.0])


# ---------------------------------------------------------------- errors
def test_saved_tensor_modified_in_place_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(12, (3,)))
        h = x * 1
        y = FNS[lib]["Cube"].apply(h, 1.0)
        with lib.no_grad():
            h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_backward_twice_without_retain_graph_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(13, (3,)))
        y = FNS[lib]["Cube"].apply(x, 1.0).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_saved_tensors_after_backward_raise():
    for lib in (ember, torch):
        x = leaf(lib, arr(14, (3,)))
        y = FNS[lib]["Cube"].apply(x, 1.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="after they have already been freed"):
            y.grad_fn.saved_tensors  # noqa: B018


def test_wrong_number_of_gradients_raises():
    for lib in (ember, torch):

        class Short(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g

        x = leaf(lib, arr(15, (3,)))
        with pytest.raises(RuntimeError, match="incorrect number of gradients"):
            Short.apply(x, x).sum().backward()


def test_gradient_of_wrong_shape_raises():
    for lib in (ember, torch):

        class WrongShape(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g, lib=lib):
                return lib.ones(7, dtype=g.dtype)

        x = leaf(lib, arr(16, (3,)))
        with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
            WrongShape.apply(x).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    for lib in (ember, torch):

        class SavesInt(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.raises(TypeError, match="save_for_backward can only save variables"):
            SavesInt.apply(leaf(lib, arr(17, (2,))))


def test_legacy_instance_call_raises():
    for lib in (ember, torch):
        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            fn = FNS[lib]["Cube"]()
        with pytest.raises(RuntimeError, match="Legacy autograd function"):
            fn(leaf(lib, arr(18, (2,))), 1.0)


def test_no_grad_and_no_input_requiring_grad_record_nothing():
    for lib in (ember, torch):
        x = leaf(lib, arr(19, (2,)))
        with lib.no_grad():
            y = FNS[lib]["Cube"].apply(x, 1.0)
        assert y.grad_fn is None and not y.requires_grad
        z = FNS[lib]["Cube"].apply(x.detach(), 1.0)
        assert z.grad_fn is None and not z.requires_grad


def test_once_differentiable_forbids_double_backward():
    for lib in (ember, torch):
        x = leaf(lib, arr(20, (3,)))
        (plain,) = lib.autograd.grad(FNS[lib]["Once"].apply(x).sum(), x, create_graph=True)
        np.testing.assert_allclose(np_of(plain), np.cos(arr(20, (3,))), rtol=1e-12)
        assert not plain.requires_grad  # the output gradient did not require grad
        y = FNS[lib]["Once"].apply(x)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="differentiate twice"):
            g.sum().backward()


@pytest.mark.parametrize("dtype", DTYPES)
def test_function_with_hooks_and_retain_grad(dtype):
    a = arr(21, (4,), dtype)

    def run(lib):
        events = []
        x = leaf(lib, a, dtype)
        y = FNS[lib]["Cube"].apply(x, 2.0)
        y.retain_grad()
        y.register_hook(lambda g: events.append("y") or g * 2)
        y.grad_fn.register_prehook(lambda gs: events.append("pre") or None)
        y.grad_fn.register_hook(lambda gi, go: events.append("post") or None)
        y.sum().backward()
        return events, y.grad, x.grad

    (ee, ye, xe), (et, yt, xt) = both(run)
    assert ee == et
    close(ye, yt, dtype)
    close(xe, xt, dtype)


def test_gradcheck_and_gradgradcheck_on_functions():
    for lib in (ember, torch):
        x = leaf(lib, arr(22, (3, 2)))
        fns = FNS[lib]
        assert lib.autograd.gradcheck(lambda t, f=fns: f["Cube"].apply(t, 0.7), (x,))
        assert lib.autograd.gradgradcheck(fns["SaveOutput"].apply, (x,))
        assert lib.autograd.gradcheck(FNS[lib]["SetupCtx"].apply, (x, 3.0))


def test_mark_dirty_on_a_view_routes_gradients_through_the_base():
    def run(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        a = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        base = a.clone()
        view = base[0]
        out = Double.apply(view)
        assert out is view
        (base * base).sum().backward()
        return base, a.grad

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v)


def test_returned_input_keyword_arguments_and_vjp():
    def run(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=1):
                return x, 3 * k

            @staticmethod
            def vjp(ctx, g, g_int):
                return g * 5, None

        x = leaf(lib, [1.0, 2.0])
        y, n = Ident.apply(x, k=2)
        assert y is not x and n == 6
        y.sum().backward()
        return type(y.grad_fn).__name__, x.grad

    (ne, ge), (nt, gt) = both(run)
    assert ne == nt
    close(ge, gt)


def test_backward_and_vjp_together_raise():
    for lib in (ember, torch):

        class Both(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g

        with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
            Both.apply(leaf(lib, [1.0])).sum().backward()


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_with_several_roots_and_non_leaf_inputs(dtype):
    def run(lib):
        x = leaf(lib, [1.0, 2.0], dtype)
        lib.autograd.backward([x * 2, x.exp()], [lib.ones(2, dtype=x.dtype),
                                                 lib.tensor([1.0, 0.5], dtype=x.dtype)])
        h = x * 3
        gh, gx = lib.autograd.grad((h * h).sum(), [h, x])
        return x.grad, gh, gx

    e, t = both(run)
    for u, v in zip(e, t):
        close(u, v, dtype)


def test_functions_leave_no_reference_cycles():
    import gc
    import weakref

    fns = FNS[ember]
    x = leaf(ember, arr(30, (2, 5)))
    gc.collect()
    gc.disable()
    try:
        refs = []
        for _ in range(3):
            values, idx = fns["SortWithIdx"].apply(x * 1)
            dirty = fns["DoubleInPlace"].apply(values.clone())
            y = fns["Cube"].apply(dirty, 1.0) + fns["SaveOutput"].apply(values)
            refs += [weakref.ref(t) for t in (values, idx, dirty, y)]
            refs += [weakref.ref(t.grad_fn) for t in (values, dirty, y)]
            y.sum().backward()
            del values, idx, dirty, y
        assert all(r() is None for r in refs), "graph objects outlived their iteration"
        assert gc.collect() == 0
    finally:
        gc.enable()
