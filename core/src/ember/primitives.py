"""The backend contract: the primitive kernels every backend provides.

A backend registers one kernel per name below through ``ember_register_kernels``. Kernels
work on the backend's own arrays ("arrays" below): objects with ``.shape`` (a tuple of
ints), ``.ndim`` and ``.dtype`` (a numpy dtype). Kernels do no autograd, no type promotion
and no broadcasting decisions: the core has already checked the arguments, promoted them to
one dtype and computed the output shape. Where an operand may be a Python scalar, the
kernel must keep the array operand's dtype (the scalar is "weak").

Everything else (softmax, convolutions, losses, ...) is an op with a composite definition
written in terms of these primitives, so a backend that provides only this set runs every
layer family. A backend may also register a kernel under any op's name (a fused kernel);
that op then uses it on that device, and its documented signature is in the op's module.

The conformance kit (``pytest --pyargs ember_testing.conformance --ember-device=NAME``)
checks every primitive below on a backend.
"""

from __future__ import annotations

__all__ = ["PRIMITIVES", "OPTIONAL"]

#: name -> signature and meaning. ``dims`` are tuples of non-negative ints; ``dtype`` is a
#: numpy dtype; ``gen`` is an ``ember.Generator``; ``device`` an ``ember.device``.
PRIMITIVES: dict[str, str] = {
    # -- creation and transfer
    "empty": "empty(shape, dtype, device) -> array with unspecified values",
    "full": "full(shape, value, dtype, device) -> array filled with the scalar value",
    "arange": "arange(start, end, step, dtype, device) -> 1-D array",
    "from_numpy": "from_numpy(ndarray, device) -> array with the same values (may share memory)",
    "to_numpy": "to_numpy(array) -> numpy.ndarray with the same values (may share memory)",
    "item": "item(array) -> the Python scalar of a one-element array",
    "cast": "cast(a, dtype) -> a converted to dtype (C semantics: truncation toward zero)",
    "copy": "copy(a) -> a new contiguous array with a's values",
    "copy_into": "copy_into(dst, src) -> None; writes src (broadcast to dst) into dst",
    "is_owner": "is_owner(a) -> True when a is contiguous and writable on its own",
    # -- random (seeded by the generator)
    "uniform": "uniform(gen, shape, low, high, dtype, device) -> array in [low, high)",
    "normal": "normal(gen, shape, mean, std, dtype, device) -> array",
    "bernoulli": "bernoulli(gen, p) -> array of p's dtype, 1 with probability p elementwise",
    "randint": "randint(gen, low, high, shape, dtype, device) -> array in [low, high)",
    # -- views (share memory with the input where the array library allows)
    "reshape": "reshape(a, shape, copy) -> copy=False: a view or ValueError; None: view if "
               "possible",
    "permute": "permute(a, dims) -> view with dimensions reordered",
    "expand": "expand(a, shape) -> view broadcast to shape",
    "index": "index(a, key) -> a[key]; key is a tuple of ints, slices, None, Ellipsis and "
             "int64/bool arrays, with numpy's indexing semantics",
    "as_strided": "as_strided(a, size, stride, offset) -> view of a's storage (element units)",
    "strides": "strides(a) -> element strides of a",
    # -- joining and reordering
    "cat": "cat(arrays, dim) -> concatenation along dim",
    "stack": "stack(arrays, dim) -> stacking along a new dim",
    "pad_constant": "pad_constant(a, pads, value) -> a padded; pads is ((before, after), ...) "
                    "per dim",
    "flip": "flip(a, dims) -> a reversed along dims",
    # -- unary math (same dtype out, except the predicates, which give bool)
    **{name: f"{name}(a) -> elementwise {name}" for name in (
        "neg", "abs", "sign", "reciprocal", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p",
        "sin", "cos", "tan", "tanh", "sigmoid", "erf", "erfinv", "floor", "ceil", "round",
        "trunc", "isnan", "isinf", "logical_not", "bitwise_not", "asin", "acos", "atan",
        "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "log2", "log10", "erfc")},
    # -- binary math (operands of one dtype; one may be a Python scalar)
    **{name: f"{name}(a, b) -> elementwise {name} with broadcasting" for name in (
        "add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum",
        "minimum", "atan2", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
        "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "fmax", "fmin")},
    "where": "where(cond, a, b) -> elementwise select with broadcasting",
    # -- reductions (dims is a tuple; keepdim keeps reduced dims with size 1)
    "sum": "sum(a, dims, keepdim) -> sum over dims (ints accumulate in int64)",
    "prod": "prod(a, dims, keepdim) -> product over dims",
    "amax": "amax(a, dims, keepdim) -> maximum over dims (NaN propagates)",
    "amin": "amin(a, dims, keepdim) -> minimum over dims (NaN propagates)",
    "argmax": "argmax(a, dim, keepdim) -> int64 index of the first maximum along dim",
    "argmin": "argmin(a, dim, keepdim) -> int64 index of the first minimum along dim",
    "cumsum": "cumsum(a, dim) -> running sum along dim",
    "cumprod": "cumprod(a, dim) -> running product along dim",
    "any": "any(a, dims, keepdim) -> bool",
    "all": "all(a, dims, keepdim) -> bool",
    # -- indexing
    "gather": "gather(a, dim, index) -> values of a at index along dim",
    "scatter": "scatter(a, dim, index, src) -> copy of a with src written at index",
    "scatter_add": "scatter_add(a, dim, index, src) -> copy of a with src added at index "
                   "(repeated indices accumulate)",
    "index_select": "index_select(a, dim, index) -> a's slices at index along dim",
    "index_put": "index_put(a, key, values, accumulate) -> None; a[key] = values in place, or "
                 "+= with repeats accumulating when accumulate is true",
    "masked_fill": "masked_fill(a, mask, value) -> copy of a with value where mask is true",
    "nonzero": "nonzero(a) -> int64 array (n, a.ndim) of the indices of non-zero elements",
    "sort": "sort(a, dim, descending, stable) -> (values, int64 indices)",
    "topk": "topk(a, k, dim, largest, sorted) -> (values, int64 indices)",
    # -- linear algebra
    "matmul": "matmul(a, b) -> batched matrix product with numpy's matmul semantics",
}

#: Optional kernels the core uses when a backend has them (faster paths); absent ones fall
#: back to the primitives above.
OPTIONAL: dict[str, str] = {
    "add_into": "add_into(dst, src) -> None; dst += src in place",
    "iop": "iop(name, dst, src) -> None; dst = name(dst, src) in place (binary op names)",
}
