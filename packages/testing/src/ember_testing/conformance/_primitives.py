"""Cases for every primitive of the backend contract (:mod:`ember.primitives`).

Each case calls one kernel of a backend's dispatch table on backend arrays built from
numpy arrays, and compares the result (brought back with the backend's ``to_numpy``)
with a numpy reference. Arguments wrapped in :class:`A` become backend arrays; lists and
tuples are converted element by element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["A", "Case", "CASES", "run_case"]


@dataclass
class A:
    """A numpy array to be passed to the kernel as a backend array."""

    value: Any

    def __post_init__(self) -> None:
        self.value = np.asarray(self.value)


@dataclass
class Case:
    """One call of a primitive.

    Attributes:
        args: the kernel's arguments (``A`` for arrays; ``DEVICE`` and ``GEN`` are replaced
            by the device under test and a seeded generator).
        ref: numpy reference on the same arguments (``A`` unwrapped); None when ``check``
            does the whole comparison.
        check: ``check(result, numpy_args)`` for kernels whose result is not a plain value
            comparison (random numbers, in-place writes, memory sharing).
        desc: what the case covers.
    """

    args: tuple[Any, ...]
    ref: Callable[..., Any] | None = None
    check: Callable[..., None] | None = None
    desc: str = ""
    exact: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


DEVICE = object()
GEN = object()


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _f(shape: tuple[int, ...], dtype: str = "float32", low: float = -2.0, high: float = 2.0,
       seed: int = 0) -> np.ndarray:
    return _rng(seed).uniform(low, high, shape).astype(dtype)


def _i(shape: tuple[int, ...], low: int = -5, high: int = 5, seed: int = 0) -> np.ndarray:
    return _rng(seed).integers(low, high, shape).astype(np.int64)


def _b(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return _rng(seed).random(shape) > 0.5


# ------------------------------------------------------------------ running a case
class Runner:
    """Converts arguments and results between numpy and one backend."""

    def __init__(self, table: Any, device: Any) -> None:
        self.k = table
        self.device = device

    def to_backend(self, x: Any) -> Any:
        """Replace ``A`` arrays (and the device/generator markers) by backend objects."""
        if isinstance(x, A):
            return self.k.from_numpy(np.array(x.value, copy=True, order="C"), self.device)
        if x is DEVICE:
            return self.device
        if x is GEN:
            import ember

            return ember.Generator().manual_seed(1234)
        if isinstance(x, list):
            return [self.to_backend(v) for v in x]
        if isinstance(x, tuple):
            return tuple(self.to_backend(v) for v in x)
        return x

    def to_numpy(self, x: Any) -> Any:
        """Copy backend arrays (also inside tuples) to numpy."""
        if isinstance(x, tuple):
            return tuple(self.to_numpy(v) for v in x)
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return np.array(self.k.to_numpy(x), copy=True)
        return x


def _unwrap(x: Any) -> Any:
    if isinstance(x, A):
        return x.value.copy()
    if x is DEVICE or x is GEN:
        return None
    if isinstance(x, list):
        return [_unwrap(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_unwrap(v) for v in x)
    return x


def compare(got: Any, expected: Any, what: str, exact: bool = False) -> None:
    """Assert equal dtype, shape and values (close for floats unless ``exact``)."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), \
            f"{what}: expected a tuple of {len(expected)} results, got {type(got).__name__}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            compare(g, e, f"{what} [result {i}]", exact)
        return
    e = np.asarray(expected)
    g = np.asarray(got)
    assert g.dtype == e.dtype, f"{what}: dtype {g.dtype}, expected {e.dtype}"
    assert g.shape == e.shape, f"{what}: shape {g.shape}, expected {e.shape}"
    if e.dtype.kind == "f" and not exact:
        tol = 1e-5 if e.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, e, err_msg=what)


def run_case(table: Any, device: Any, name: str, case: Case) -> None:
    """Run one case of primitive ``name`` on ``table`` and check it."""
    runner = Runner(table, device)
    kernel = getattr(table, name)
    args = runner.to_backend(case.args)
    what = f"[{name}] {case.desc}"
    result = kernel(*args)
    if case.check is not None:
        case.check(runner, result, args, what)
        return
    assert case.ref is not None
    expected = case.ref(*_unwrap(case.args))
    compare(runner.to_numpy(result), expected, what, case.exact)


# ------------------------------------------------------------------ special checks
def _check_empty(runner: Runner, result: Any, args: Any, what: str) -> None:
    shape, dtype = args[0], np.dtype(args[1])
    got = runner.to_numpy(result)
    assert got.shape == tuple(shape) and got.dtype == dtype, \
        f"{what}: got {got.shape} {got.dtype}, expected {tuple(shape)} {dtype}"


def _check_item(expected: Any) -> Callable[..., None]:
    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        assert type(result) is type(expected), \
            f"{what}: returned {type(result).__name__}, expected {type(expected).__name__}"
        assert result == expected, f"{what}: {result!r} != {expected!r}"

    return check


def _check_to_numpy(runner: Runner, result: Any, args: Any, what: str) -> None:
    assert isinstance(result, np.ndarray), \
        f"{what}: returned {type(result).__name__}, expected numpy.ndarray"
    source = runner.k.to_numpy(runner.k.copy(args[0]))
    compare(np.array(result, copy=True), np.asarray(source), what, exact=True)


def _check_copy(runner: Runner, result: Any, args: Any, what: str) -> None:
    src = runner.to_numpy(args[0])
    compare(runner.to_numpy(result), src, what, exact=True)
    runner.k.copy_into(result, runner.k.from_numpy(np.zeros_like(src), runner.device))
    compare(runner.to_numpy(args[0]), src, f"{what}: writing the copy changed the source")


def _check_copy_into(expected: np.ndarray) -> Callable[..., None]:
    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        assert result is None, f"{what}: copy_into must return None"
        compare(runner.to_numpy(args[0]), expected, what)

    return check


def _check_owner(expected: bool, make: Callable[[Runner, Any], Any]) -> Callable[..., None]:
    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        got = runner.k.is_owner(make(runner, args[0]))
        assert bool(got) is expected, f"{what}: is_owner returned {got}, expected {expected}"

    return check


def _shares_memory(make_view: Callable[[Runner, Any], Any], base_np: np.ndarray,
                   view_ref: Callable[[np.ndarray], np.ndarray]) -> Callable[..., None]:
    """The kernel's result is a view: writing through it changes the base."""

    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        compare(runner.to_numpy(result), view_ref(base_np.copy()), what)
        k = runner.k
        view = make_view(runner, args[0])
        filler = np.full(tuple(view.shape), 7.0, dtype=base_np.dtype)
        k.copy_into(view, k.from_numpy(filler, runner.device))
        expected = base_np.copy()
        view_ref(expected)[...] = 7.0
        compare(runner.to_numpy(args[0]), expected, f"{what}: the result must share memory "
                                                    "with its input (a view)")

    return check


def _check_random(kind: str, **info: Any) -> Callable[..., None]:
    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        import ember

        got = runner.to_numpy(result)
        shape, dtype = info["shape"], np.dtype(info["dtype"])
        assert got.shape == shape and got.dtype == dtype, \
            f"{what}: got {got.shape} {got.dtype}, expected {shape} {dtype}"
        if kind == "uniform":
            lo, hi = info["low"], info["high"]
            assert got.min() >= lo and got.max() < hi, f"{what}: values outside [{lo}, {hi})"
            assert abs(got.mean() - (lo + hi) / 2) < 0.05 * (hi - lo), f"{what}: biased mean"
        elif kind == "normal":
            assert abs(got.mean() - info["mean"]) < 0.1, f"{what}: mean {got.mean()}"
            assert abs(got.std() - info["std"]) < 0.1, f"{what}: std {got.std()}"
        elif kind == "bernoulli":
            assert set(np.unique(got)) <= {0, 1}, f"{what}: values other than 0 and 1"
            assert abs(got.mean() - info["p"]) < 0.05, f"{what}: mean {got.mean()}"
        elif kind == "randint":
            lo, hi = info["low"], info["high"]
            assert got.min() >= lo and got.max() < hi, f"{what}: values outside [{lo}, {hi})"
            assert len(np.unique(got)) == hi - lo, f"{what}: not every value drawn"
        # the same seed gives the same numbers
        fresh = [ember.Generator().manual_seed(1234) if a is GEN else a for a in info["raw"]]
        again = runner.to_numpy(getattr(runner.k, kind)(*runner.to_backend(tuple(fresh))))
        np.testing.assert_array_equal(got, again, err_msg=f"{what}: not reproducible")

    return check


def _random_case(kind: str, args: tuple[Any, ...], **info: Any) -> Case:
    return Case(args, check=_check_random(kind, raw=args, **info), desc=f"{kind} {info}")


def _check_index_put(expected: np.ndarray) -> Callable[..., None]:
    def check(runner: Runner, result: Any, args: Any, what: str) -> None:
        compare(runner.to_numpy(args[0]), expected, what)

    return check


def _np_index_put(a: np.ndarray, key: tuple[Any, ...], values: np.ndarray,
                  accumulate: bool) -> np.ndarray:
    out = a.copy()
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


def _scatter_ref(a: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray,
                 add: bool) -> np.ndarray:
    out = a.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def _strided(a: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...], offset: int
             ) -> np.ndarray:
    flat = np.ascontiguousarray(a).reshape(-1)
    return np.lib.stride_tricks.as_strided(flat[offset:], size,
                                           tuple(s * a.itemsize for s in stride)).copy()


def _argsort_stable(a: np.ndarray, dim: int, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    key = -a if descending else a
    idx = np.argsort(key, axis=dim, kind="stable").astype(np.int64)
    return np.take_along_axis(a, idx, dim), idx


# ------------------------------------------------------------------ the cases
def _unary_cases() -> dict[str, list[Case]]:
    pos = {"sqrt", "rsqrt", "log", "log1p", "log2", "log10", "acosh"}
    unit = {"asin", "acos", "atanh", "erfinv"}
    refs: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "neg": np.negative, "abs": np.abs, "sign": np.sign, "reciprocal": np.reciprocal,
        "sqrt": np.sqrt, "rsqrt": lambda x: (1 / np.sqrt(x)).astype(x.dtype), "exp": np.exp,
        "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sin": np.sin, "cos": np.cos,
        "tan": np.tan, "tanh": np.tanh,
        "sigmoid": lambda x: (1 / (1 + np.exp(-x))).astype(x.dtype),
        "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
        "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
        "cosh": np.cosh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
        "exp2": np.exp2, "log2": np.log2, "log10": np.log10,
    }
    out: dict[str, list[Case]] = {}
    for name, ref in refs.items():
        low, high = (0.2, 3.0) if name in pos else (-0.9, 0.9) if name in unit else (-2.5, 2.5)
        if name == "acosh":
            low, high = 1.1, 3.0
        if name == "reciprocal":
            low, high = 0.3, 2.0
        cases = [Case((A(_f((3, 4), dt, low, high)),), ref, desc=dt)
                 for dt in ("float32", "float64")]
        cases.append(Case((A(_f((), "float64", low, high)),), ref, desc="0-d"))
        cases.append(Case((A(_f((0, 3), "float32", low, high)),), ref, desc="empty"))
        out[name] = cases
    out["round"].append(Case((A(np.array([0.5, 1.5, 2.5, -0.5, -1.5], "float32")),), np.round,
                             desc="halves round to even"))
    out["abs"].append(Case((A(_i((5,))),), np.abs, desc="int64"))
    out["neg"].append(Case((A(_i((5,))),), np.negative, desc="int64"))
    out["sign"].append(Case((A(_i((5,))),), np.sign, desc="int64"))
    for name in ("erf", "erfinv", "erfc"):
        from math import erf, erfc

        def ref(x: np.ndarray, name: str = name) -> np.ndarray:
            if name == "erfinv":
                return _erfinv(x)
            f = erf if name == "erf" else erfc
            return np.vectorize(f, otypes=[x.dtype])(x)

        low, high = (-0.9, 0.9) if name == "erfinv" else (-2.0, 2.0)
        out[name] = [Case((A(_f((3, 4), dt, low, high)),), ref, desc=dt)
                     for dt in ("float32", "float64")]
    special = np.array([0.0, np.nan, np.inf, -np.inf, 1.5], "float32")
    out["isnan"] = [Case((A(special),), np.isnan), Case((A(_i((3,))),), np.isnan, desc="int64")]
    out["isinf"] = [Case((A(special),), np.isinf), Case((A(_i((3,))),), np.isinf, desc="int64")]
    out["logical_not"] = [Case((A(_b((3, 4))),), np.logical_not),
                          Case((A(_f((4,))),), np.logical_not, desc="float")]
    out["bitwise_not"] = [Case((A(_i((3, 4))),), np.invert, desc="int64"),
                          Case((A(_b((4,))),), np.invert, desc="bool")]
    return out


def _erfinv(x: np.ndarray) -> np.ndarray:
    """Inverse error function by Newton iterations on math.erf (float64)."""
    from math import erf, exp, pi, sqrt

    def one(v: float) -> float:
        y = 0.0
        for _ in range(60):
            y -= (erf(y) - v) / (2 / sqrt(pi) * exp(-y * y))
        return y

    return np.vectorize(one, otypes=[np.float64])(x.astype(np.float64)).astype(x.dtype)


def _binary_cases() -> dict[str, list[Case]]:
    arith = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
             "maximum": np.maximum, "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin,
             "atan2": np.arctan2, "pow": np.power, "floor_divide": np.floor_divide,
             "remainder": np.remainder, "fmod": np.fmod}
    out: dict[str, list[Case]] = {}
    for name, ref in arith.items():
        nonzero = name in ("div", "floor_divide", "remainder", "fmod", "pow")
        lo2, hi2 = (0.5, 2.0) if nonzero else (-2.0, 2.0)
        lo1 = 0.5 if name == "pow" else -2.0
        cases = []
        for dt in ("float32", "float64"):
            cases.append(Case((A(_f((3, 4), dt, lo1, 2.0)), A(_f((3, 4), dt, lo2, hi2, 1))), ref,
                              desc=f"{dt} same shape"))
        cases.append(Case((A(_f((3, 1), "float32", lo1, 2.0)), A(_f((1, 4), "float32", lo2, hi2,
                                                                     1))), ref,
                          desc="broadcast"))
        cases.append(Case((A(_f((3, 4), "float32", lo1, 2.0)), 1.5),
                          lambda a, b, ref=ref: ref(a, np.float32(b)),
                          desc="Python scalar keeps the array dtype"))
        if name not in ("atan2", "fmax", "fmin", "div"):
            b = _i((3, 4), 1, 4, 1) if nonzero else _i((3, 4), -4, 4, 1)
            a = _i((3, 4), 0, 4) if name == "pow" else _i((3, 4))
            cases.append(Case((A(a), A(b)), ref, desc="int64"))
        out[name] = cases
    out["maximum"].append(Case((A(np.array([np.nan, 1.0], "float32")),
                                A(np.array([0.0, np.nan], "float32"))), np.maximum,
                               desc="NaN propagates"))
    comparisons = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                   "gt": np.greater, "ge": np.greater_equal}
    for name, ref in comparisons.items():
        a = np.array([[1.0, 2.0, 3.0], [np.nan, 0.0, -1.0]], "float32")
        b = np.array([2.0, 2.0, 2.0], "float32")
        out[name] = [Case((A(a), A(b)), ref, desc="float, broadcast"),
                     Case((A(_i((3, 4))), A(_i((3, 4), seed=1))), ref, desc="int64"),
                     Case((A(a), 2.0), lambda x, s, ref=ref: ref(x, np.float32(s)),
                          desc="scalar")]
    for name, ref in {"logical_and": np.logical_and, "logical_or": np.logical_or,
                      "logical_xor": np.logical_xor}.items():
        out[name] = [Case((A(_b((3, 4))), A(_b((3, 4), 1))), ref, desc="bool"),
                     Case((A(_f((4,))), A(_f((4,), seed=1))), ref, desc="float")]
    for name, ref in {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
                      "bitwise_xor": np.bitwise_xor}.items():
        out[name] = [Case((A(_i((3, 4))), A(_i((3, 4), seed=1))), ref, desc="int64"),
                     Case((A(_b((4,))), A(_b((4,), 1))), ref, desc="bool")]
    out["where"] = [
        Case((A(_b((3, 4))), A(_f((3, 4))), A(_f((3, 4), seed=1))), np.where, desc="same shape"),
        Case((A(_b((3, 1))), A(_f((4,))), A(_f((3, 4), seed=1))), np.where, desc="broadcast"),
    ]
    return out


def _red(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(a: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
        return np.asarray(fn(a, axis=dims, keepdims=keepdim)).astype(a.dtype)

    return ref


def _reduction_cases() -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for name, fn in {"sum": np.sum, "prod": np.prod, "amax": np.amax, "amin": np.amin}.items():
        low = 0.5 if name == "prod" else -2.0
        out[name] = [
            Case((A(_f((3, 4), "float64", low)), (1,), False), _red(fn), desc="dim 1"),
            Case((A(_f((2, 3, 4), "float32", low)), (0, 2), True), _red(fn), desc="keepdim"),
            Case((A(_f((3, 4), "float64", low)), (0, 1), False), _red(fn), desc="all dims"),
            Case((A(_i((3, 4), 1, 4)), (0,), False), _red(fn), desc="int64"),
        ]
    out["sum"].append(Case((A(_f((0, 3))), (0,), False), _red(np.sum), desc="empty"))
    out["amax"].append(Case((A(np.array([1.0, np.nan, 3.0], "float32")), (0,), False),
                            _red(np.amax), desc="NaN propagates"))
    for name, fn in {"argmax": np.argmax, "argmin": np.argmin}.items():
        out[name] = [
            Case((A(_f((3, 4))), 1, False),
                 lambda a, d, k, fn=fn: fn(a, axis=d).astype(np.int64), desc="dim 1"),
            Case((A(np.array([[1.0, 5.0, 5.0], [2.0, 2.0, 0.0]], "float64")), 1, True),
                 lambda a, d, k, fn=fn: fn(a, axis=d, keepdims=True).astype(np.int64),
                 desc="first of ties, keepdim"),
            Case((A(np.array([1.0, np.nan, 3.0, np.nan], "float32")), 0, False),
                 lambda a, d, k: np.int64(1), desc="first NaN wins"),
        ]
    for name, fn in {"cumsum": np.cumsum, "cumprod": np.cumprod}.items():
        out[name] = [Case((A(_f((3, 4), dt, 0.5, 1.5)), 1),
                          lambda a, d, fn=fn: fn(a, axis=d, dtype=a.dtype), desc=dt)
                     for dt in ("float32", "float64")]
        out[name].append(Case((A(_i((3, 4), 1, 3)), 0),
                              lambda a, d, fn=fn: fn(a, axis=d, dtype=a.dtype), desc="int64"))
    for name, fn in {"any": np.any, "all": np.all}.items():
        out[name] = [Case((A(_b((3, 4))), (1,), False), _red(fn), desc="bool dim 1"),
                     Case((A(_b((3, 4))), (0, 1), True), _red(fn), desc="keepdim"),
                     Case((A(_f((3, 4))), (0,), False),
                          lambda a, d, k, fn=fn: fn(a, axis=d, keepdims=k), desc="float")]
    return out


def _view_cases() -> dict[str, list[Case]]:
    base = np.arange(12, dtype=np.float64).reshape(3, 4)

    def k_reshape(r: Runner, a: Any) -> Any:
        return r.k.reshape(a, (4, 3), None)

    def k_permute(r: Runner, a: Any) -> Any:
        return r.k.permute(a, (1, 0))

    def k_index(r: Runner, a: Any) -> Any:
        return r.k.index(a, (slice(1, 3), slice(None, None, 2)))

    def k_strided(r: Runner, a: Any) -> Any:
        return r.k.as_strided(a, (2, 2), (4, 1), 1)

    idx = np.array([2, 0, 2], np.int64)
    return {
        "reshape": [
            Case((A(base), (4, 3), None), check=_shares_memory(
                k_reshape, base, lambda b: b.reshape(4, 3)), desc="contiguous is a view"),
            Case((A(base), (2, -1), False), lambda a, s, c: a.reshape(s), desc="copy=False"),
            Case((A(_f((0, 4))), (4, 0), None), lambda a, s, c: a.reshape(s), desc="empty"),
        ],
        "permute": [
            Case((A(base), (1, 0)), check=_shares_memory(k_permute, base, lambda b: b.T),
                 desc="a view"),
            Case((A(_f((2, 3, 4))), (2, 0, 1)), lambda a, d: np.transpose(a, d), desc="3-d"),
        ],
        "expand": [
            Case((A(_f((3, 1))), (2, 3, 4)), lambda a, s: np.broadcast_to(a, s)),
            Case((A(_f(())), (2, 2)), lambda a, s: np.broadcast_to(a, s), desc="0-d"),
        ],
        "index": [
            Case((A(base), (slice(1, 3), slice(None, None, 2))),
                 check=_shares_memory(k_index, base, lambda b: b[1:3, ::2]),
                 desc="basic slicing is a view"),
            Case((A(base), (1,)), lambda a, k: a[k], desc="int"),
            Case((A(base), (None, Ellipsis, -1)), lambda a, k: a[k], desc="None, Ellipsis"),
            Case((A(base), (A(idx),)), lambda a, k: a[k], desc="int64 array"),
            Case((A(base), (A(idx), A(np.array([0, 3, 1], np.int64)))),
                 lambda a, k: a[k], desc="two int64 arrays"),
            Case((A(base), (slice(None), A(np.array([True, False, True, True])))),
                 lambda a, k: a[k], desc="bool mask"),
            Case((A(base[0]), (A(np.array([True, False, True, False])),)), lambda a, k: a[k],
                 desc="1-d mask"),
        ],
        "as_strided": [
            Case((A(base), (2, 2), (4, 1), 1), check=_shares_memory(
                k_strided, base, lambda b: np.lib.stride_tricks.as_strided(
                    b.reshape(-1)[1:], (2, 2), (32, 8))), desc="a view"),
            Case((A(base), (3, 2), (1, 3), 0), _strided, desc="overlapping-free strides"),
        ],
        "strides": [
            Case((A(base),), lambda a: (4, 1), check=None, desc="contiguous"),
        ],
        "cat": [
            Case(([A(_f((2, 3))), A(_f((1, 3), seed=1))], 0),
                 lambda xs, d: np.concatenate(xs, d), desc="dim 0"),
            Case(([A(_f((2, 3))), A(_f((2, 0), seed=1)), A(_f((2, 1), seed=2))], 1),
                 lambda xs, d: np.concatenate(xs, d), desc="with empty"),
        ],
        "stack": [
            Case(([A(_f((2, 3))), A(_f((2, 3), seed=1))], 1), lambda xs, d: np.stack(xs, d)),
            Case(([A(_f(())), A(_f((), seed=1))], 0), lambda xs, d: np.stack(xs, d),
                 desc="0-d"),
        ],
        "pad_constant": [
            Case((A(_f((2, 3))), ((1, 0), (2, 1)), 0.5),
                 lambda a, p, v: np.pad(a, p, constant_values=v)),
        ],
        "flip": [
            Case((A(_f((2, 3, 4))), (0, 2)), lambda a, d: np.flip(a, d)),
        ],
    }


def _strides_check(runner: Runner, result: Any, args: Any, what: str) -> None:
    got = tuple(int(s) for s in result)
    assert got == (4, 1), f"{what}: strides {got}, expected (4, 1)"
    perm = runner.k.permute(args[0], (1, 0))
    got = tuple(int(s) for s in runner.k.strides(perm))
    assert got == (1, 4), f"{what}: strides of the transpose {got}, expected (1, 4)"


def _index_cases() -> dict[str, list[Case]]:
    a = _f((3, 4))
    gi = np.array([[0, 3], [1, 1], [2, 0]], np.int64)
    si = np.array([[0, 1, 1, 3], [2, 2, 0, 0]], np.int64)
    src = _f((2, 4), seed=5)
    key = (A(np.array([0, 2, 0], np.int64)), A(np.array([1, 3, 1], np.int64)))
    vals = np.array([1.0, 2.0, 3.0], np.float32)
    np_key = (np.array([0, 2, 0]), np.array([1, 3, 1]))
    return {
        "gather": [Case((A(a), 1, A(gi)), lambda x, d, i: np.take_along_axis(x, i, d))],
        "scatter": [Case((A(a), 1, A(np.array([[0, 1, 2, 3], [3, 2, 1, 0]], np.int64)),
                          A(src)),
                         lambda x, d, i, s: _scatter_ref(x, d, i, s, False),
                         desc="distinct indices")],
        "scatter_add": [Case((A(a), 1, A(si), A(src)),
                             lambda x, d, i, s: _scatter_ref(x, d, i, s, True),
                             desc="repeated indices accumulate")],
        "index_select": [Case((A(a), 1, A(np.array([3, 0, 3], np.int64))),
                              lambda x, d, i: np.take(x, i, d))],
        "index_put": [
            Case((A(a), (A(np.array([0, 2, 1], np.int64)), A(np.array([1, 3, 0], np.int64))),
                  A(vals), False),
                 check=_check_index_put(_np_index_put(a, (np.array([0, 2, 1]),
                                                          np.array([1, 3, 0])), vals, False)),
                 desc="assign"),
            Case((A(a), key, A(vals), True),
                 check=_check_index_put(_np_index_put(a, np_key, vals, True)),
                 desc="accumulate repeats"),
        ],
        "masked_fill": [
            Case((A(a), A(_b((3, 4))), 0.5),
                 lambda x, m, v: np.where(m, np.float32(v), x)),
            Case((A(a), A(_b((4,))), -1.0), lambda x, m, v: np.where(m, np.float32(v), x),
                 desc="broadcast mask"),
        ],
        "nonzero": [
            Case((A(np.array([[0, 1.5, 0], [2.0, 0, 3.0]])),),
                 lambda x: np.argwhere(x).astype(np.int64)),
            Case((A(np.zeros((0, 2))),), lambda x: np.zeros((0, 2), np.int64), desc="empty"),
        ],
        "sort": [
            Case((A(np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 0.0]])), 1, False, True),
                 lambda x, d, desc, s: _argsort_stable(x, d, desc), desc="ascending, stable"),
            Case((A(np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 0.0]])), 1, True, True),
                 lambda x, d, desc, s: _argsort_stable(x, d, desc), desc="descending, stable"),
            Case((A(_f((4, 3))), 0, False, True),
                 lambda x, d, desc, s: _argsort_stable(x, d, desc), desc="dim 0"),
        ],
        "topk": [
            Case((A(np.array([[1.0, 4.0, 2.0, 3.0], [9.0, 7.0, 8.0, 6.0]])), 2, 1, True, True),
                 lambda x, k, d, lg, s: tuple(v[:, :2] for v in _argsort_stable(x, d, True)),
                 desc="largest"),
            Case((A(np.array([[1.0, 4.0, 2.0, 3.0], [9.0, 7.0, 8.0, 6.0]])), 3, 1, False, True),
                 lambda x, k, d, lg, s: tuple(v[:, :3] for v in _argsort_stable(x, d, False)),
                 desc="smallest"),
        ],
        "matmul": [
            Case((A(_f((2, 3), "float64")), A(_f((3, 4), "float64", seed=1))), np.matmul,
                 desc="2-d float64"),
            Case((A(_f((2, 2, 3))), A(_f((3, 4), seed=1))), np.matmul, desc="batched"),
            Case((A(_f((3,))), A(_f((3,), seed=1))), np.matmul, desc="vectors"),
            Case((A(_f((0, 3))), A(_f((3, 2), seed=1))), np.matmul, desc="empty"),
        ],
    }


def _creation_cases() -> dict[str, list[Case]]:
    return {
        "empty": [Case(((2, 3), np.dtype("float32"), DEVICE), check=_check_empty),
                  Case(((0,), np.dtype("int64"), DEVICE), check=_check_empty, desc="empty")],
        "full": [Case(((2, 3), 1.5, np.dtype("float64"), DEVICE),
                      lambda s, v, d, dev: np.full(s, v, d)),
                 Case(((), 7, np.dtype("int64"), DEVICE), lambda s, v, d, dev: np.full(s, v, d),
                      desc="0-d int64"),
                 Case(((2,), True, np.dtype("bool"), DEVICE),
                      lambda s, v, d, dev: np.full(s, v, d), desc="bool")],
        "arange": [Case((0, 5, 1, np.dtype("int64"), DEVICE),
                        lambda a, b, s, d, dev: np.arange(a, b, s, dtype=d)),
                   Case((1.0, 2.0, 0.25, np.dtype("float32"), DEVICE),
                        lambda a, b, s, d, dev: np.arange(a, b, s, dtype=d), desc="float")],
        "from_numpy": [Case((_f((2, 3)), DEVICE), lambda a, dev: a, desc="round trip")],
        "to_numpy": [Case((A(_f((2, 3))),), check=_check_to_numpy, desc="round trip"),
                     Case((A(np.array(2.5)),), check=_check_to_numpy, desc="0-d")],
        "item": [Case((A(np.array(2.5)),), check=_check_item(2.5), desc="float"),
                 Case((A(np.array([[3]], np.int64)),), check=_check_item(3), desc="int"),
                 Case((A(np.array(True)),), check=_check_item(True), desc="bool")],
        "cast": [Case((A(np.array([1.7, -1.7, 0.0, 2.5])), np.dtype("int64")),
                      lambda a, d: np.trunc(a).astype(d), desc="float to int truncates"),
                 Case((A(np.array([1.5, 0.0, -2.0])), np.dtype("bool")),
                      lambda a, d: a != 0, desc="float to bool"),
                 Case((A(_i((4,))), np.dtype("float32")), lambda a, d: a.astype(d),
                      desc="int to float")],
        "copy": [Case((A(_f((2, 3))),), check=_check_copy)],
        "copy_into": [
            Case((A(np.zeros((2, 3), np.float32)), A(_f((3,)))),
                 check=_check_copy_into(np.broadcast_to(_f((3,)), (2, 3))), desc="broadcast"),
        ],
        "is_owner": [
            Case((A(_f((2, 3))),), check=_check_owner(True, lambda r, a: r.k.copy(a)),
                 desc="a fresh copy owns its memory"),
            Case((A(_f((2, 3))),), check=_check_owner(False, lambda r, a: r.k.permute(a, (1, 0))),
                 desc="a transposed view does not"),
        ],
        "uniform": [_random_case("uniform", (GEN, (20000,), -1.0, 3.0, np.dtype("float32"),
                                             DEVICE), shape=(20000,), dtype="float32",
                                 low=-1.0, high=3.0)],
        "normal": [_random_case("normal", (GEN, (20000,), 1.0, 2.0, np.dtype("float64"), DEVICE),
                                shape=(20000,), dtype="float64", mean=1.0, std=2.0)],
        "bernoulli": [_random_case("bernoulli", (GEN, A(np.full((20000,), 0.3, np.float32))),
                                   shape=(20000,), dtype="float32", p=0.3)],
        "randint": [_random_case("randint", (GEN, 2, 7, (5000,), np.dtype("int64"), DEVICE),
                                 shape=(5000,), dtype="int64", low=2, high=7)],
    }


def _build() -> dict[str, list[Case]]:
    cases: dict[str, list[Case]] = {}
    for part in (_creation_cases, _view_cases, _unary_cases, _binary_cases, _reduction_cases,
                 _index_cases):
        cases.update(part())
    cases["strides"] = [Case((A(np.arange(12.0).reshape(3, 4)),), check=_strides_check)]
    return cases


CASES: dict[str, list[Case]] = _build()
