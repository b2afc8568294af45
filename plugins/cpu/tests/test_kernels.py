"""ember-cpu's own kernels: each against torch on the same inputs, and the kernel registry."""

import numpy as np
import pytest

import ember
from ember_cpu import _native
from ember_cpu.kernels import all_kernels
from ember_cpu.kernels import primitives as prims
from ember_cpu.kernels import softmax as softmax_kernels

torch = pytest.importorskip("torch")

SHAPES_DIMS = [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((4, 1, 6), 2), ((0, 3), 1),
               ((64, 600), 1), ((600, 64), 0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_fused_softmax_matches_torch(name, shape, dim, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype) * 5
    out = softmax_kernels.KERNELS[name](x, dim)
    ref = getattr(torch, name)(torch.from_numpy(x), dim).numpy()
    assert out.dtype == x.dtype and out.shape == x.shape
    np.testing.assert_allclose(out, ref, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_fused_softmax_extremes(name):
    x = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 0.0], [1e4, -1e4]], np.float32)
    out = softmax_kernels.KERNELS[name](x, 1)
    ref = getattr(torch, name)(torch.from_numpy(x), 1).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    finite = ~np.isnan(ref)
    np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-6)


def test_fused_softmax_half_precision_computes_in_float32():
    x = np.random.default_rng(1).standard_normal((4, 9)).astype(np.float16)
    out = softmax_kernels.KERNELS["softmax"](x, 1)
    assert out.dtype == np.float16
    ref = torch.softmax(torch.from_numpy(x).float(), 1).half().numpy()
    np.testing.assert_allclose(out.astype(np.float32), ref.astype(np.float32), atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_special_functions_match_torch(name, dtype):
    rng = np.random.default_rng(2)
    if name == "erfinv":
        x = np.concatenate([rng.uniform(-1, 1, 1000), [-1.0, 1.0, 0.0, 1.5, -2.0, np.nan,
                                                        0.999999, -0.999999]])
    else:
        x = np.concatenate([rng.standard_normal(1000) * 4, [0.0, np.inf, -np.inf, np.nan]])
    x = x.astype(dtype)
    out = getattr(prims, f"_{name}")(x)
    ref = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert out.dtype == x.dtype
    np.testing.assert_allclose(out, ref, rtol=2e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-7 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("name", ["erf", "erfinv"])
def test_special_functions_keep_shape(name):
    x = np.full((2, 0, 3), 0.5, np.float32)
    assert getattr(prims, f"_{name}")(x).shape == (2, 0, 3)
    assert getattr(prims, f"_{name}")(np.float32(0.5) * np.ones((), np.float32)).shape == ()


def test_registry_collects_every_module_without_duplicates():
    kernels = all_kernels()
    from ember.primitives import PRIMITIVES

    missing = set(PRIMITIVES) - set(kernels)
    assert not missing, f"cpu backend lacks primitives {sorted(missing)}"
    assert {"softmax", "log_softmax"} <= set(kernels)


def test_thread_count_reaches_the_openmp_pool():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert _native.get_num_threads() == 1
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(before)


def test_fused_softmax_is_used_by_the_op():
    x = ember.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = ember.softmax(x, 1)
    (y * ember.tensor([[1.0, 0.0, 0.0]])).sum().backward()
    tx = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    ty = torch.softmax(tx, 1)
    (ty * torch.tensor([[1.0, 0.0, 0.0]])).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_accumulating_index_put_sums_repeated_indices_like_torch(dtype):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((6, 5)).astype(dtype)
    rows = np.array([0, 2, 2, -1, 5, 0])
    cols = np.array([1, 1, 1, 4, 0, 1])
    vals = rng.standard_normal(6).astype(dtype)
    out = base.copy()
    prims._index_put(out, (rows, cols), vals, True)
    ref = torch.from_numpy(base.copy()).index_put_(
        (torch.from_numpy(rows), torch.from_numpy(cols)), torch.from_numpy(vals),
        accumulate=True)
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_matches_torch(dim):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 6))
    index = rng.integers(0, a.shape[dim], (3, 5))
    src = rng.standard_normal((4, 6))
    out = prims._scatter_add(a, dim, index, src)
    ref = torch.from_numpy(a).scatter_add(dim, torch.from_numpy(index), torch.from_numpy(src))
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(a, torch.from_numpy(a).numpy())  # input untouched


def test_accumulate_rejects_out_of_range_flat_indices():
    out = np.zeros(4)
    with pytest.raises(IndexError, match="out of bounds"):
        _native.accumulate_flat_f64(out, np.array([0, 4], np.int64), np.ones(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0,), (7,), (3, 1, 5), (64, 32, 33)])
def test_relu_and_its_gradient_match_torch(shape, dtype):
    from ember_cpu.kernels import activation

    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    if x.size > 4:  # the edge values: signed zeros and NaN
        x.reshape(-1)[:4] = [-0.0, 0.0, np.nan, -np.inf]
        g.reshape(-1)[4] = np.nan
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.relu(tx)
    ty.backward(torch.from_numpy(g))
    out = activation.relu(x)
    assert out.dtype == x.dtype and out.shape == x.shape
    np.testing.assert_array_equal(out, ty.detach().numpy())
    np.testing.assert_array_equal(np.signbit(out), np.signbit(ty.detach().numpy()))
    grad = activation.relu_backward(g, out)
    np.testing.assert_array_equal(grad, tx.grad.numpy())
    # non-contiguous and integer inputs take the general path
    xt = np.swapaxes(x, 0, -1)
    np.testing.assert_array_equal(activation.relu(xt), torch.relu(torch.from_numpy(xt)).numpy())
    ints = np.arange(-3, 4)
    np.testing.assert_array_equal(activation.relu(ints), torch.relu(torch.from_numpy(ints)))


def test_set_num_threads_reaches_the_openmp_pool():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert _native.get_num_threads() == 1
        ember.set_num_threads(2)
        assert _native.get_num_threads() == 2
    finally:
        ember.set_num_threads(before)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() in a threaded process
def test_openmp_kernels_run_in_a_forked_child():
    """A child forked after the parent's OpenMP team ran must not wait for it forever."""
    from ember_testing.harness import run_forked

    x = ember.randn(64, 32, 32, 32)
    y = ember.relu(x)  # big enough for a parallel loop
    assert run_forked(lambda: bool((ember.relu(x) == y).all())) == 0


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_kernels_at_extremes_match_torch(approximate):
    """The float32 kernels' own exp: underflow (gradually, then to 0), overflow to inf,
    NaN; compared with torch one element at a time (its vector and scalar loops differ)."""
    from ember_cpu.kernels import layers as layer_kernels

    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1, -1, 10, -10, 13, -13, 20, -20, 87,
                  -87, 88, -88, 88.7, -88.7, 90, -90, 100, -100, 103.9, -103.9, 104, -104,
                  200, -200], np.float32)
    g = np.linspace(-2, 2, x.size).astype(np.float32)
    out = layer_kernels.gelu(x, approximate)
    grad = layer_kernels.gelu_backward(g, x, approximate)
    for i, v in enumerate(x):
        t = torch.tensor([v], requires_grad=True)
        y = torch.nn.functional.gelu(t, approximate=approximate)
        y.backward(torch.tensor([g[i]]))
        np.testing.assert_allclose(out[i], y.item(), rtol=1e-5, atol=1e-6, equal_nan=True)
        np.testing.assert_allclose(grad[i], t.grad.item(), rtol=1e-5, atol=1e-6,
                                   equal_nan=True)


@pytest.mark.parametrize("dtype", ["bool", "int8", "float16", "bfloat16", "int32", "float32",
                                   "int64", "float64", "complex64"])
def test_where_select_matches_numpy(dtype):
    import ml_dtypes

    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    rng = np.random.default_rng(4)
    shape = (3, 70, 50)  # above the C++ select's threshold
    cond = rng.random(shape) < 0.5
    a = (rng.standard_normal(shape) * 10).astype(np_dtype)
    b = (rng.standard_normal(shape) * 10).astype(np_dtype)
    one = np.array(7, dtype=np_dtype)
    cases = [(a, b), (one, b), (a, one), (one, one), (a, b[:1]),  # the last broadcasts
             (a.transpose(0, 2, 1).copy().transpose(0, 2, 1), b)]  # non-contiguous
    for x, y in cases:
        for c in (cond, cond[:, :, ::-1]):
            got = prims.KERNELS["where"](c, x, y)
            ref = np.where(c, x, y)
            assert got.dtype == ref.dtype and got.shape == ref.shape
            np.testing.assert_array_equal(got.view(np.uint8), ref.view(np.uint8))
    small = cond[0, :2]  # below the threshold: numpy's where
    np.testing.assert_array_equal(prims.KERNELS["where"](small, a[0, :2], b[0, :2]),
                                  np.where(small, a[0, :2], b[0, :2]))


def test_accumulating_index_put_with_basic_and_advanced_keys():
    # repeated indices sum (numpy's unbuffered add.at is the definition)
    rng = np.random.default_rng(6)
    for dtype in (np.float32, np.float64, np.int64):
        for key in [(slice(None), 1), (slice(1, None), np.int64(0), slice(None, None, 2)),
                    (Ellipsis, 2), (np.array([0, 0, 2]),), (slice(None), np.array([1, 1])),
                    (1, 2, 3), (np.int64(0), 1, -1)]:
            base = (rng.standard_normal((3, 4, 5)) * 5).astype(dtype)
            values = (rng.standard_normal(base[key].shape) * 5).astype(dtype)
            ours, ref = base.copy(), base.copy()
            prims.KERNELS["index_put"](ours, key, values, True)
            np.add.at(ref, key, values)
            np.testing.assert_allclose(ours, ref, rtol=1e-6)
