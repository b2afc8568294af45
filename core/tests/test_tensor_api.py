"""Every name of the tensor surface (docs: shared/api/TENSOR_API.md) exists on ember and/or
Tensor where torch has it, is documented, and behaves like torch for the metadata and
conversion protocol."""

import pytest

torch = pytest.importorskip("torch")


import ember  # noqa: E402

MODULE_NAMES = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "rand", "randn", "randint", "randperm", "rand_like",
    "randn_like", "randint_like", "normal", "bernoulli", "multinomial", "arange", "linspace",
    "logspace", "eye", "tril", "triu", "tril_indices", "triu_indices", "manual_seed", "seed",
    "initial_seed", "Generator", "get_rng_state", "set_rng_state", "float16", "bfloat16",
    "float32", "float", "float64", "double", "int8", "int16", "int32", "int", "int64", "long",
    "uint8", "bool", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "finfo", "iinfo", "is_tensor", "is_floating_point", "numel", "device",
    "set_default_device", "get_default_device", "cuda.is_available", "cuda.device_count",
    "cuda.manual_seed", "cuda.synchronize", "cat", "concat", "stack", "hstack", "vstack", "where",
    "einsum", "matmul", "mm", "bmm", "addmm", "baddbmm", "outer", "dot", "cdist",
    "broadcast_tensors", "broadcast_shapes", "meshgrid", "split", "chunk", "unbind", "flatten",
    "clamp", "maximum", "minimum", "allclose", "isclose", "equal", "cumsum", "logsumexp",
    "softmax", "sigmoid", "tanh", "relu", "searchsorted", "bucketize", "diag", "diag_embed",
    "block_diag", "kron", "trace", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "autograd.grad", "autograd.backward",
    "autograd.Function", "autograd.gradcheck", "autograd.gradgradcheck",
    "autograd.detect_anomaly", "autograd.functional.jacobian", "save", "load",
    "autograd.functional.hessian", "autograd.functional.vjp", "autograd.functional.jvp",
]

TENSOR_NAMES = [
    "shape", "size", "dim", "ndim", "numel", "dtype", "device", "is_cuda", "is_leaf",
    "requires_grad", "grad", "grad_fn", "data", "T", "mT", "stride", "storage_offset",
    "is_contiguous", "element_size", "nbytes", "itemsize", "is_floating_point", "is_complex",
    "item", "tolist", "numpy", "__array__", "__float__", "__int__", "__bool__", "__index__",
    "__len__", "__iter__", "__repr__", "__str__", "to", "cpu", "cuda", "type", "type_as", "float",
    "double", "half", "bfloat16", "long", "int", "bool", "byte", "clone", "detach", "detach_",
    "contiguous", "new_tensor", "new_zeros", "new_ones", "new_full", "new_empty", "abs",
    "__getitem__", "__setitem__", "neg", "sign", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "sqrt", "rsqrt", "square", "pow", "reciprocal", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit", "erf",
    "erfc", "erfinv", "floor", "ceil", "round", "trunc", "frac", "clamp", "clip", "clamp_min",
    "clamp_max", "maximum", "minimum", "fmax", "fmin", "fmod", "remainder", "lerp", "addcmul",
    "addcdiv", "hypot", "logaddexp", "xlogy", "nan_to_num", "isnan", "isinf", "isfinite", "relu",
    "softmax", "log_softmax", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "where", "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "std", "var", "norm", "logsumexp", "cumsum", "cumprod", "cummax",
    "cummin", "any", "all", "count_nonzero", "median", "mode", "sort", "argsort", "topk",
    "kthvalue", "unique", "bincount", "view", "view_as", "reshape", "reshape_as", "flatten",
    "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "t", "movedim",
    "expand", "expand_as", "broadcast_to", "repeat", "repeat_interleave", "tile", "split",
    "chunk", "unbind", "narrow", "select", "index_select", "gather", "scatter", "scatter_",
    "scatter_add", "scatter_add_", "scatter_reduce", "index_add", "index_add_", "index_copy_",
    "index_fill_", "index_put_", "masked_fill", "masked_fill_", "masked_select",
    "masked_scatter_", "take_along_dim", "flip", "roll", "rot90", "tril", "triu", "diag",
    "diagonal", "nonzero", "unfold", "as_strided", "matmul", "mm", "bmm", "mv", "dot", "outer",
    "add_", "sub_", "mul_", "div_", "pow_", "clamp_", "zero_", "fill_", "copy_", "uniform_",
    "normal_", "bernoulli_", "exponential_", "random_", "neg_", "exp_", "sqrt_", "relu_",
    "sigmoid_", "tanh_", "lerp_", "addcmul_", "addcdiv_", "requires_grad_", "retain_grad",
    "register_hook", "register_post_accumulate_grad_hook", "backward",
]

# Names from the method list that torch also offers as torch.X functions.
FUNCTION_NAMES = [
    "neg", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "rsqrt", "square", "pow", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit", "erf", "erfc",
    "erfinv", "floor", "ceil", "round", "trunc", "frac", "clamp", "clip", "clamp_min",
    "clamp_max", "maximum", "minimum", "fmax", "fmin", "fmod", "remainder", "lerp", "addcmul",
    "addcdiv", "hypot", "logaddexp", "xlogy", "nan_to_num", "isnan", "isinf", "isfinite", "relu",
    "softmax", "log_softmax", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "where", "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "std", "var", "std_mean", "var_mean", "norm", "logsumexp", "cumsum",
    "cumprod", "cummax", "cummin", "any", "all", "count_nonzero", "median", "mode", "sort",
    "argsort", "topk", "kthvalue", "unique", "bincount", "reshape", "flatten", "unflatten",
    "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "t", "movedim", "broadcast_to",
    "repeat_interleave", "tile", "split", "chunk", "unbind", "narrow", "select", "index_select",
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_add", "masked_fill",
    "masked_select", "take_along_dim", "flip", "roll", "rot90", "tril", "triu", "diag",
    "diagonal", "nonzero", "as_strided", "matmul", "mm", "bmm", "mv", "dot", "outer",
]


def _get(root, dotted):
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_level_name_exists(name):
    _get(torch, name)
    obj = _get(ember, name)
    if callable(obj) and not isinstance(obj, type) and name.split(".")[-1].islower():
        assert (obj.__doc__ or "").strip(), f"ember.{name} has no docstring"


@pytest.mark.parametrize("name", TENSOR_NAMES)
def test_tensor_name_exists(name):
    assert hasattr(torch.Tensor, name)
    attr = getattr(ember.Tensor, name)
    if callable(attr) and not name.startswith("__"):
        assert (attr.__doc__ or "").strip(), f"Tensor.{name} has no docstring"


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_form_exists(name):
    assert callable(getattr(torch, name))
    fn = getattr(ember, name)
    assert callable(fn) and (fn.__doc__ or "").strip(), f"ember.{name} has no docstring"
