"""ember-cpu's convolution kernels against torch: the whole-convolution C++ kernels (gemm
through numpy's BLAS) and the numpy-matmul path kept for when no BLAS was handed over."""

import threading

import numpy as np
import pytest

from ember_cpu import _blas, _native
from ember_cpu.kernels import conv as conv_kernels

torch = pytest.importorskip("torch")

# (x shape, w shape, stride, padding, dilation, groups)
CASES = [
    ((2, 4, 9, 9), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    ((3, 3, 17, 15), (5, 3, 3, 2), (2, 1), (0, 2), (2, 1), 1),
    ((2, 8, 6, 6), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), 8),  # depthwise
    ((2, 6, 7, 5), (4, 6, 1, 1), (1, 1), (0, 0), (1, 1), 1),  # pointwise
    ((2, 6, 7, 5), (6, 3, 1, 1), (1, 1), (0, 0), (1, 1), 2),  # pointwise, grouped
    ((2, 6, 7, 5), (4, 6, 1, 1), (2, 2), (0, 0), (1, 1), 1),  # 1x1 with stride
    ((1, 3, 40, 40), (4, 3, 5, 5), (3, 3), (2, 2), (1, 1), 1),
    ((16, 32, 16, 16), (24, 32, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # several blocks, threads
    ((5, 4, 33), (2, 4, 3), (1,), (1,), (1,), 1),  # 1-D
    ((2, 3, 5, 6, 7), (4, 3, 2, 3, 3), (1, 2, 1), (1, 0, 1), (2, 1, 1), 1),  # 3-D
    ((0, 3, 8, 8), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # empty batch
    ((2, 3, 2, 2), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1),  # input smaller than kernel
]
# (x shape, w shape): no input channels (the op rejects an empty weight, as torch does);
# the kernels give the bias and zero gradients
EMPTY = [((2, 0, 5, 5), (3, 0, 3, 3))]


def _torch_conv(x, w, b, stride, padding, dilation, groups):
    fn = {3: torch.nn.functional.conv1d, 4: torch.nn.functional.conv2d,
          5: torch.nn.functional.conv3d}[x.ndim]
    return fn(x, w, b, stride, padding, dilation, groups)


@pytest.fixture(params=[True, False], ids=["native", "numpy"])
def path(request, monkeypatch):
    if request.param and not conv_kernels.NATIVE["on"]:
        pytest.fail("the C++ kernels were handed no BLAS (numpy's BLAS was not found)")
    monkeypatch.setitem(conv_kernels.NATIVE, "on", request.param)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_convolution_and_gradients_match_torch(case, dtype, path):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    args = (stride, padding, dilation, groups)
    try:
        ty = _torch_conv(tx, tw, torch.tensor(b), *args)
    except RuntimeError:  # torch rejects it: so must the callers of these kernels
        return
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    if ty.numel():
        ty.backward(torch.tensor(g))
    eps = 1e-5 if dtype == np.float32 else 1e-12  # relative to the largest magnitude
    y = conv_kernels.convolution(x, w, b, *args)
    dx = conv_kernels.conv_input_grad(g, w, xs[2:], *args)
    dw = conv_kernels.conv_weight_grad(x, g, ws, *args)
    ref_dx = tx.grad.numpy() if tx.grad is not None else np.zeros_like(x)
    ref_dw = tw.grad.numpy() if tw.grad is not None else np.zeros_like(w)
    for got, ref in ((y, ty.detach().numpy()), (dx, ref_dx), (dw, ref_dw)):
        assert got.dtype == ref.dtype and got.shape == ref.shape
        scale = float(np.abs(ref).max()) if ref.size else 1.0
        np.testing.assert_allclose(got, ref, rtol=10 * eps, atol=eps * scale)


@pytest.mark.parametrize("xs,ws", EMPTY)
def test_empty_channels(xs, ws, path):
    x, w = np.ones(xs, np.float32), np.ones(ws, np.float32)
    b = np.arange(ws[0], dtype=np.float32)
    args = ((1, 1), (0, 0), (1, 1), 1)
    y = conv_kernels.convolution(x, w, b, *args)
    assert y.shape == (xs[0], ws[0], 3, 3)
    np.testing.assert_array_equal(y, np.broadcast_to(b.reshape(1, -1, 1, 1), y.shape))
    g = np.ones(y.shape, np.float32)
    dx = conv_kernels.conv_input_grad(g, w, xs[2:], *args)
    dw = conv_kernels.conv_weight_grad(x, g, ws, *args)
    assert dx.shape == xs and dw.shape == ws and not dx.any() and not dw.any()


def test_half_and_integer_inputs_compute_in_wider_types(path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float16)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float16)
    y = conv_kernels.convolution(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    ref = torch.nn.functional.conv2d(torch.tensor(x).float(), torch.tensor(w).float(),
                                     padding=1).half().numpy()
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float32), ref.astype(np.float32), rtol=2e-2,
                               atol=2e-2)
    xi = rng.integers(-3, 4, (2, 3, 5, 5))
    wi = rng.integers(-3, 4, (2, 3, 3, 3))
    yi = conv_kernels.convolution(xi, wi, None, (1, 1), (0, 0), (1, 1), 1)
    assert yi.dtype == xi.dtype
    ref = torch.nn.functional.conv2d(torch.tensor(xi).double(), torch.tensor(wi).double())
    np.testing.assert_array_equal(yi, ref.long().numpy())


def test_blas_is_found_and_its_thread_count_restored():
    assert _blas.INFO is not None and _native.blas_available()
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    x = np.random.default_rng(2).standard_normal((32, 16, 24, 24)).astype(np.float32)
    w = np.random.default_rng(3).standard_normal((16, 16, 3, 3)).astype(np.float32)
    errors = []

    def run():  # several Python threads at once share the one BLAS-wide limit
        try:
            for _ in range(3):
                conv_kernels.convolution(x, w, None, (1, 1), (1, 1), (1, 1), 1)
                conv_kernels.conv_weight_grad(x, x, (16, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert blas_threads() == before


def test_find_skips_libraries_without_gemm(tmp_path):
    assert _blas.find([str(tmp_path / "missing.so")]) is None
    found = _blas.find([_blas.INFO["path"]])
    assert found is not None and found["sgemm"] == _blas.INFO["sgemm"]


def test_native_kernels_check_their_arguments():
    x = np.zeros((1, 4, 1, 5, 5), np.float32)
    with pytest.raises(ValueError, match="groups"):
        _native.conv_forward_f32(x, np.zeros((3, 12), np.float32), None, [1, 1, 1],
                                 [1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 5, 5], 3)
    with pytest.raises(ValueError, match="weight shape"):
        _native.conv_forward_f32(x, np.zeros((2, 5), np.float32), None, [1, 1, 1],
                                 [1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 5, 5], 1)
    with pytest.raises(ValueError, match="bias"):
        _native.conv_forward_f32(x, np.zeros((2, 4), np.float32), np.zeros(3, np.float32),
                                 [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 5, 5], 1)
