"""ember.backends, float32 matmul precision, deterministic algorithms, compile and
Tensor.data_ptr: the same observable behaviour as torch 2.13."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_settings():
    saved = [(lib, lib.get_float32_matmul_precision(), lib.are_deterministic_algorithms_enabled(),
              lib.is_deterministic_algorithms_warn_only_enabled(),
              lib.backends.cudnn.benchmark, lib.backends.cudnn.deterministic,
              lib.backends.cudnn.enabled, lib.backends.cudnn.allow_tf32)
             for lib in (torch, ember)]
    yield
    for lib, prec, det, warn_only, bench, cdet, enabled, tf32 in saved:
        lib.set_float32_matmul_precision(prec)
        lib.use_deterministic_algorithms(det, warn_only=warn_only)
        lib.backends.cudnn.benchmark = bench
        lib.backends.cudnn.deterministic = cdet
        lib.backends.cudnn.enabled = enabled
        lib.backends.cudnn.allow_tf32 = tf32


def test_cudnn_flags_defaults_and_availability():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name)
    assert ember.backends.cudnn.is_available() is False
    assert ember.backends.cudnn.version() is None


@pytest.mark.parametrize("name", ["enabled", "benchmark", "deterministic", "allow_tf32"])
def test_cudnn_flags_write_and_validate(name):
    for lib in (torch, ember):
        setattr(lib.backends.cudnn, name, not getattr(lib.backends.cudnn, name))
    assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name)
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="expects a bool"):
            setattr(lib.backends.cudnn, name, 1)


def test_matmul_allow_tf32_follows_precision_like_torch():
    for lib in (torch, ember):
        assert lib.backends.cuda.matmul.allow_tf32 is False
        assert lib.get_float32_matmul_precision() == "highest"
    seen = []
    for lib in (torch, ember):
        lib.backends.cuda.matmul.allow_tf32 = True
        a = lib.get_float32_matmul_precision()
        lib.set_float32_matmul_precision("medium")
        b = lib.backends.cuda.matmul.allow_tf32
        lib.set_float32_matmul_precision("highest")
        c = lib.backends.cuda.matmul.allow_tf32
        seen.append((a, b, c))
    assert seen[0] == seen[1] == ("high", True, False)
    assert (ember.backends.cuda.matmul.allow_bf16_reduced_precision_reduction
            == torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)
    for lib in (torch, ember):
        with pytest.raises(AttributeError, match="Unknown attribute"):
            lib.backends.cuda.matmul.no_such_flag  # noqa: B018


def test_precision_rejects_unknown_value_with_a_warning():
    for lib in (torch, ember):
        lib.set_float32_matmul_precision("high")
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision("low")
        assert lib.get_float32_matmul_precision() == "high"


def test_precision_does_not_change_ember_results():
    a = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    ref = (ember.from_numpy(a) @ ember.from_numpy(a)).numpy()
    ember.set_float32_matmul_precision("medium")
    np.testing.assert_array_equal((ember.from_numpy(a) @ ember.from_numpy(a)).numpy(), ref)
    np.testing.assert_allclose(ref, (torch.from_numpy(a) @ torch.from_numpy(a)).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_mps_and_cpu_capability():
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()


def test_deterministic_algorithms():
    for lib in (torch, ember):
        assert lib.are_deterministic_algorithms_enabled() is False
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.are_deterministic_algorithms_enabled() is True
        assert lib.is_deterministic_algorithms_warn_only_enabled() is True
        lib.use_deterministic_algorithms(False)
        assert lib.is_deterministic_algorithms_warn_only_enabled() is False
        with pytest.raises(TypeError, match="must be bool, not str"):
            lib.use_deterministic_algorithms("yes")


def test_compile_returns_the_module_and_keeps_semantics():
    model = ember.nn.Linear(3, 2)
    compiled = ember.compile(model, mode="max-autotune", fullgraph=True, dynamic=False)
    assert compiled is model
    assert list(compiled.state_dict()) == ["weight", "bias"]
    x = ember.ones(4, 3)
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())

    def f(t):
        return t * 2 + 1

    assert ember.compile(f, backend="inductor") is f
    g = ember.compile(mode="reduce-overhead")(f)
    np.testing.assert_array_equal(g(x).numpy(), (x * 2 + 1).numpy())

    @ember.compile
    def h(t):
        return t.sin()

    np.testing.assert_allclose(h(x).numpy(), np.sin(np.ones((4, 3), np.float32)))


def test_compile_argument_errors_match_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
            lib.compile(lib.nn.Linear(2, 2), mode="max-autotune", options={})
        with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
            lib.compile(lib.nn.Linear(2, 2), mode="fast")


def test_data_ptr_like_torch():
    a = np.arange(12, dtype=np.float32)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for view in (lambda x: x[3:], lambda x: x.view(3, 4)[1], lambda x: x.view(3, 4)[:, 2]):
        assert view(e).data_ptr() - e.data_ptr() == view(t).data_ptr() - t.data_ptr()
    before = e.data_ptr()
    e.mul_(2)
    assert e.data_ptr() == before
    assert ember.empty(0).data_ptr() == torch.empty(0).data_ptr() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert e.data_ptr() == e.numpy().__array_interface__["data"][0]


@pytest.mark.parametrize("kind", ["flash", "mem_efficient", "math", "cudnn"])
def test_sdp_switches_like_torch(kind):
    for lib in (torch, ember):
        cuda = lib.backends.cuda
        enabled, enable = getattr(cuda, f"{kind}_sdp_enabled"), getattr(cuda, f"enable_{kind}_sdp")
        assert enabled() is True
        enable(False)
        try:
            assert enabled() is False
            with pytest.raises(RuntimeError, match="expects a bool, but got"):
                enable(1)
        finally:
            enable(True)
    assert ember.backends.cuda.is_flash_attention_available() is False
