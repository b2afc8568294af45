"""Tensor ``repr``/``str`` against torch's, with ``torch.`` replaced by ``ember.``."""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

import ember  # noqa: E402

CASES = {
    "ints": lambda m: m.tensor([1, -20, 300]),
    "int_matrix": lambda m: m.arange(12).reshape(3, 4) - 5,
    "floats": lambda m: m.tensor([1.5, -2.25, 3.0]),
    "int_valued_floats": lambda m: m.tensor([1.0, -2.0, 30.0]),
    "sci_large": lambda m: m.tensor([1e10, 1.0]),
    "sci_small": lambda m: m.tensor([1e-5, 1.0, 2.5]),
    "sci_ratio": lambda m: m.tensor([0.5, 1234.5]),
    "sci_int_valued": lambda m: m.tensor([1.0, 1e9]),
    "non_finite": lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "non_finite_int_mode": lambda m: m.tensor([float("nan"), 2.0, -float("inf")]),
    "all_zero": lambda m: m.zeros(2, 3),
    "only_nan": lambda m: m.tensor([float("nan")]),
    "negative_zero": lambda m: m.tensor([-0.0, 1.0]),
    "bool": lambda m: m.tensor([[True, False], [False, True]]),
    "scalar_float": lambda m: m.tensor(3.14159),
    "scalar_int": lambda m: m.tensor(-7),
    "scalar_bool": lambda m: m.tensor(True),
    "scalar_double": lambda m: m.tensor(2.5, dtype=m.float64),
    "float64": lambda m: m.tensor([1.25, 2.0], dtype=m.float64),
    "float16": lambda m: m.tensor([1.25, 2.0], dtype=m.float16),
    "bfloat16": lambda m: m.tensor([1.25, 2.0], dtype=m.bfloat16),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "uint8": lambda m: m.tensor([1, 255], dtype=m.uint8),
    "int8": lambda m: m.tensor([[-1], [2]], dtype=m.int8),
    "empty_float": lambda m: m.zeros(0),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_bool": lambda m: m.zeros(2, 0, dtype=m.bool),
    "empty_double_3d": lambda m: m.zeros(1, 0, 2, dtype=m.float64),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_sum": lambda m: (m.tensor([1.0, 2.0], requires_grad=True) + 1).sum(),
    "grad_fn_double": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True).exp(),
    "3d": lambda m: m.arange(24.0).reshape(2, 3, 4) / 7,
    "4d": lambda m: m.arange(16).reshape(2, 2, 2, 2),
    "long_row_wraps": lambda m: m.arange(40.0) / 3,
    "long_int_row": lambda m: m.arange(100) * 1000,
    "summarized_1d": lambda m: m.arange(2000.0),
    "summarized_2d": lambda m: m.arange(1200).reshape(40, 30),
    "summarized_3d": lambda m: (m.arange(3000.0).reshape(10, 10, 30) - 1500) / 7,
    "summarized_int_suffix": lambda m: m.arange(1100, dtype=m.int32),
    "wide_suffix_wrap": lambda m: m.tensor([[123456.789, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]],
                                           dtype=m.float64, requires_grad=True) * 1,
    "edge_of_line": lambda m: m.arange(16.0).reshape(2, 8) + 0.5,
    "noncontig": lambda m: m.arange(12.0).reshape(3, 4).t(),
    "mixed_width": lambda m: m.tensor([[1.5, -100.25], [3.0, 0.0]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_torch(name):
    expected = repr(CASES[name](torch)).replace("torch.", "ember.")
    got = repr(CASES[name](ember))
    assert got == expected
    assert str(CASES[name](ember)) == expected


def test_print_options():
    for lib in (ember, torch):
        lib.set_printoptions(precision=2)
        try:
            a = repr(lib.tensor([1.23456, 2.5]))
        finally:
            lib.set_printoptions(profile="default")
        assert a == "tensor([1.23, 2.50])"
        ctx = torch._tensor_str.printoptions if lib is torch else ember.printoptions
        with ctx(sci_mode=True):
            assert repr(lib.tensor([1.5])) == "tensor([1.5000e+00])"
        with ctx(threshold=5, edgeitems=1):
            assert repr(lib.arange(10)) == "tensor([0,  ..., 9])"
        assert repr(lib.tensor([1.5])) == "tensor([1.5000])"


def test_repr_of_random_values_matches_torch():
    rng = np.random.default_rng(0)
    for scale in (1e-6, 1e-2, 1.0, 1e3, 1e9):
        a = (rng.standard_normal((3, 5)) * scale).astype(np.float32)
        assert repr(ember.tensor(a)) == repr(torch.tensor(a))


@pytest.mark.parametrize("call", [lambda m: m.max(m.tensor([[1.0, 2.0]]), 1),
                                  lambda m: m.sort(m.tensor([[1.0, 2.0], [4.0, 3.0]])),
                                  lambda m: m.aminmax(m.tensor([1.0, 2.0])),
                                  lambda m: m.topk(m.arange(5), 2),
                                  lambda m: m.median(m.tensor([[1.0, 5.0, 3.0]]), 1)])
def test_return_types_repr(call):
    assert repr(call(ember)) == repr(call(torch)).replace("torch.", "ember.")
