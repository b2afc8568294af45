"""gradcheck / gradgradcheck against torch.autograd's: same verdicts, same errors."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def arr(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(lib, a, requires_grad=True, dtype="float64"):
    return lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=requires_grad)


FUNCS = {
    "sin_mul": lambda x, y: (x.sin() * y),
    "matmul_tanh": lambda x, y: (x @ y.t()).tanh(),
    "two_outputs": lambda x, y: (x.exp(), (x * y).sum(1)),
    "broadcast": lambda x, y: x * y[0] + 1.0,
}


@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_passes_like_torch(name, fast_mode):
    a, b = arr(0, (3, 4)), arr(1, (3, 4))
    for lib in (ember, torch):
        inputs = (leaf(lib, a), leaf(lib, b))
        assert lib.autograd.gradcheck(FUNCS[name], inputs, fast_mode=fast_mode)


@pytest.mark.parametrize("name", ["sin_mul", "matmul_tanh"])
def test_gradgradcheck_passes_like_torch(name):
    a, b = arr(2, (2, 3)), arr(3, (2, 3))
    for lib in (ember, torch):
        inputs = (leaf(lib, a), leaf(lib, b))
        assert lib.autograd.gradgradcheck(FUNCS[name], inputs)
        assert lib.autograd.gradgradcheck(FUNCS[name], inputs, gen_non_contig_grad_outputs=True)


def test_optional_checks_pass():
    a = arr(4, (2, 3))
    x = leaf(ember, a)
    assert ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,), check_forward_ad=True,
                                    check_batched_grad=True, check_grad_dtypes=True)


def _wrong(lib):
    class WrongGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return WrongGrad


def test_wrong_backward_fails_like_torch():
    a = arr(5, (3,))
    for lib in (ember, torch):
        fn = _wrong(lib).apply
        x = leaf(lib, a)
        with pytest.raises(RuntimeError,
                           match="Jacobian mismatch for output 0 with respect to input 0") as info:
            lib.autograd.gradcheck(fn, (x,))
        assert type(info.value).__name__ == "GradcheckError"
        assert lib.autograd.gradcheck(fn, (x,), raise_exception=False) is False
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            lib.autograd.gradcheck(fn, (x,), fast_mode=True)


def test_gradcheck_error_is_runtime_error():
    assert issubclass(ember.autograd.GradcheckError, RuntimeError)


def test_no_input_requires_grad_raises_value_error():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda t: t * 2, (leaf(lib, arr(6, (2,)), False),))


def test_float32_input_warns():
    for lib in (ember, torch):
        x = leaf(lib, arr(7, (2,)), dtype="float32")
        with pytest.warns(UserWarning, match="is not a double precision floating point"):
            lib.autograd.gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)


def test_stride_zero_input_raises():
    for lib in (ember, torch):
        x = leaf(lib, arr(8, (1, 3))).expand(4, 3)
        with pytest.raises(RuntimeError, match="dimension with stride 0"):
            lib.autograd.gradcheck(lambda t: t * 2, (x,))


def test_non_tensor_arguments_pass_through():
    a = arr(9, (3,))
    for lib in (ember, torch):
        assert lib.autograd.gradcheck(lambda t, k: t ** k, (leaf(lib, a), 3))


def test_gradgradcheck_detects_wrong_double_backward():
    a = arr(10, (3,))
    for lib in (ember, torch):

        class BadDouble(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                # right values, wrong derivative: x is detached from the graph
                return 3 * x.detach() ** 2 * g

        x = leaf(lib, a)
        assert lib.autograd.gradcheck(BadDouble.apply, (x,))
        assert lib.autograd.gradgradcheck(BadDouble.apply, (x,), raise_exception=False) is False


def test_outputs_that_do_not_require_grad():
    a = arr(11, (2,))
    for lib in (ember, torch):
        x = leaf(lib, a)
        # ignored next to a differentiable output
        assert lib.autograd.gradcheck(lambda t: (t * 2, t.detach() * 3), (x,))
        assert lib.autograd.gradcheck(lambda t: (t * 2, t.argmax()), (x,))
        # checked (numerical gradient must be zero) when no output is differentiable
        assert lib.autograd.gradcheck(lambda t: t.detach() * 0 + 1, (x,))
        with pytest.raises(RuntimeError, match="Numerical gradient for function expected to "
                                               "be zero"):
            lib.autograd.gradcheck(lambda t: t.detach() * 3, (x,))
