"""CPU autocast (bfloat16 and float16) against torch 2.13: RNN (tanh, relu), LSTM (plain,
``batch_first``, stacked and bidirectional, ``proj_size``), GRU, packed sequences, initial
states given in float32, unbatched inputs, the three cells and the cell functions.

Each case runs the same weights and inputs through torch and ember inside
``autocast("cpu", dtype)`` and checks the dtype of every output, state and gradient
against the table below (which torch itself is checked against) and the values within the
precision of the autocast dtype.

What torch 2.13 does on a cpu with AVX-512 (the table ``_expected``):

* an LSTM without projections on an unpacked input runs as oneDNN's LSTM, which is on the
  lower-precision list: input, weights and initial states are cast, so output, ``h_n`` and
  ``c_n`` come out in the autocast dtype;
* every other case runs the per-step cells, whose ``linear`` calls are on that list while the
  pointwise math promotes against the state: an Elman RNN's state turns lower-precision
  after the first step (everything in the autocast dtype), a GRU's stays float32
  (everything float32), an LSTM's cell state stays float32 and so does its hidden state
  unless ``proj_size`` projects it with a lower-precision matmul (output and ``h_n`` in the
  autocast dtype, ``c_n`` float32);
* the cells alike: RNNCell returns the autocast dtype, LSTMCell and GRUCell float32;
* every gradient (parameters, input, initial states) is float32, the dtype of the leaves.

One case torch cannot show here: an unpacked LSTM without projections under float16 needs a
cpu with native float16 (AVX512-FP16 or AMX-FP16) for oneDNN's float16 LSTM, and fails
with oneDNN's "could not create a primitive descriptor" elsewhere. ember gives what such
a cpu gives, everything in float16; its values are compared with torch running the same
module with float16 copies of the weights, input and states (``_explicit``).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from ember_recurrent import functional as F

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _rnn_parity import build_pair, flat  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:LSTM with projections is not supported with oneDNN:UserWarning")

LOW = ["bfloat16", "float16"]
EPS = {"bfloat16": 2.0 ** -7, "float16": 2.0 ** -10}
I, H, T, B = 4, 5, 6, 3

MODULES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"batch_first": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in MODULES]


def _expected(name: str, kw: dict, packed: bool, low: str) -> tuple[str, ...]:
    """torch 2.13's dtypes of ``(output, h_n)`` or ``(output, h_n, c_n)`` under cpu
    autocast with ``low``."""
    if name == "RNN":
        return (low, low)
    if name == "GRU":
        return ("float32", "float32")
    if kw.get("proj_size"):
        return (low, low, "float32")
    if packed:
        return ("float32", "float32", "float32")
    return (low, low, low)


def _explicit(name: str, kw: dict, packed: bool, low: str) -> bool:
    """Whether torch's values come from float16 copies instead of autocast (see above)."""
    return low == "float16" and name == "LSTM" and not packed and not kw.get("proj_size")


def _name(t) -> str:
    return str(t.dtype).split(".")[-1]


def _close(a, b, low: str, what: str, grad: bool = False) -> None:
    """torch's ``a`` and ember's ``b`` agree to the precision of ``low``."""
    eps = EPS[low]
    atol, rtol = (10 * eps, 4 * eps) if grad else (4 * eps, 2 * eps)
    av = a.detach().float().numpy()
    bv = b.detach().float().numpy()
    assert av.shape == bv.shape, f"{what}: shape {av.shape} != {bv.shape}"
    np.testing.assert_allclose(bv, av, rtol=rtol, atol=atol, err_msg=what)


def _leaves(arrays):
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ember.tensor(a, requires_grad=True) for a in arrays])


def _backward_and_compare(t_out, e_out, t_leaves, e_leaves, t_params, e_params, low):
    """Backward the same weighted sum of every output in both libraries; every gradient is
    float32 and agrees with torch's."""
    rng = np.random.default_rng(5)
    weights = [rng.uniform(-1, 1, tuple(o.shape)).astype("float32") for o in t_out]
    sum((o.float() * torch.tensor(w)).sum() for o, w in zip(t_out, weights, strict=True)
        ).backward()
    sum((o.float() * ember.tensor(w)).sum() for o, w in zip(e_out, weights, strict=True)
        ).backward()
    for i, (a, b) in enumerate(zip(t_leaves, e_leaves, strict=True)):
        assert _name(a.grad) == "float32", f"torch: gradient of input {i}"
        assert _name(b.grad) == "float32", f"ember: gradient of input {i}"
        _close(a.grad, b.grad, low, f"gradient of input {i}", grad=True)
    assert list(t_params) == list(e_params)
    for name, p in t_params.items():
        q = e_params[name]
        assert _name(p.grad) == "float32", f"torch: gradient of {name}"
        assert _name(q.grad) == "float32", f"ember: gradient of {name}"
        _close(p.grad, q.grad, low, f"gradient of {name}", grad=True)


def _run_torch(tm, args, low: str, explicit: bool):
    dtype = getattr(torch, low)
    if not explicit:
        with torch.autocast("cpu", dtype=dtype):
            return tm(*args)
    params = {k: v.to(dtype) for k, v in tm.named_parameters()}
    cast = [tuple(s.to(dtype) for s in a) if isinstance(a, tuple) else a.to(dtype)
            for a in args]
    return torch.func.functional_call(tm, params, tuple(cast))


def _module_case(name, kw, low, packed, with_state, batched=True):
    tm, em = build_pair(name, "float32", I, H, **kw)
    rng = np.random.default_rng(3)
    batch_first = kw.get("batch_first", False)
    if batched:
        shape = (B, T, I) if batch_first else (T, B, I)
    else:
        shape = (T, I)
    arrays = [rng.standard_normal(shape).astype("float32")]
    if with_state:
        dirs = 2 if kw.get("bidirectional") else 1
        lead = (kw.get("num_layers", 1) * dirs,) + ((B,) if batched else ())
        arrays.append(rng.standard_normal(lead + (kw.get("proj_size", 0) or H,))
                      .astype("float32"))
        if name == "LSTM":
            arrays.append(rng.standard_normal(lead + (H,)).astype("float32"))
    t_leaves, e_leaves = _leaves(arrays)
    t_x, e_x = t_leaves[0], e_leaves[0]
    if packed:
        lengths = [4, T, 2]  # unsorted: exercises the permutation of the states
        t_x = torch.nn.utils.rnn.pack_padded_sequence(t_x, torch.tensor(lengths),
                                                      batch_first, enforce_sorted=False)
        e_x = ember.nn.utils.rnn.pack_padded_sequence(e_x, ember.tensor(lengths),
                                                      batch_first, enforce_sorted=False)
    t_args, e_args = [t_x], [e_x]
    if with_state:
        t_state, e_state = t_leaves[1:], e_leaves[1:]
        t_args.append(tuple(t_state) if name == "LSTM" else t_state[0])
        e_args.append(tuple(e_state) if name == "LSTM" else e_state[0])

    explicit = _explicit(name, kw, packed, low)
    t_out = flat(_run_torch(tm, t_args, low, explicit))
    with ember.autocast("cpu", dtype=getattr(ember, low)):
        e_out = flat(em(*e_args))

    expected = _expected(name, kw, packed, low)
    assert tuple(_name(o) for o in e_out) == expected
    if not explicit:
        assert tuple(_name(o) for o in t_out) == expected
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        _close(a, b, low, f"output {i}")
    _backward_and_compare(t_out, e_out, t_leaves, e_leaves, dict(tm.named_parameters()),
                          dict(em.named_parameters()), low)


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize(("name", "kw"), MODULES, ids=IDS)
def test_module_padded(name, kw, with_state, low):
    _module_case(name, kw, low, packed=False, with_state=with_state)


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize(("name", "kw"), MODULES, ids=IDS)
def test_module_packed(name, kw, with_state, low):
    _module_case(name, kw, low, packed=True, with_state=with_state)


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize(("name", "kw"), [("RNN", {}), ("LSTM", {}), ("GRU", {}),
                                          ("LSTM", {"proj_size": 2})],
                         ids=["RNN", "LSTM", "GRU", "LSTM-proj"])
def test_module_unbatched(name, kw, low):
    _module_case(name, kw, low, packed=False, with_state=True, batched=False)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_module_no_grad_matches_torch(name):
    """Without recording the gate ops run their composites on mixed dtypes too."""
    tm, em = build_pair(name, "float32", I, H, num_layers=2, bidirectional=True)
    x = np.random.default_rng(4).standard_normal((T, B, I)).astype("float32")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        t_out = flat(tm(torch.tensor(x)))
    with ember.no_grad(), ember.autocast("cpu", dtype=ember.bfloat16):
        e_out = flat(em(ember.tensor(x)))
    assert [_name(o) for o in e_out] == [_name(o) for o in t_out]
    assert [_name(o) for o in e_out] == list(_expected(name, {}, False, "bfloat16"))
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        _close(a, b, "bfloat16", f"output {i}")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_module_float64_is_not_cast(name):
    tm, em = build_pair(name, "float64", I, H, bidirectional=True)
    x = np.random.default_rng(6).standard_normal((T, B, I))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        t_out = flat(tm(torch.tensor(x)))
    with ember.autocast("cpu", dtype=ember.bfloat16):
        e_out = flat(em(ember.tensor(x)))
    assert [_name(o) for o in t_out] == ["float64"] * len(t_out)
    assert [_name(o) for o in e_out] == ["float64"] * len(e_out)
    for a, b in zip(t_out, e_out, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9,
                                   atol=1e-11)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_disabled_region_keeps_float32(name):
    """``autocast(enabled=False)`` leaves the float32 path as it is: same dtypes, same
    numbers as outside any region."""
    _, em = build_pair(name, "float32", I, H, proj_size=2) if name == "LSTM" else \
        build_pair(name, "float32", I, H)
    x = ember.tensor(np.random.default_rng(8).standard_normal((T, B, I)).astype("float32"))
    plain = flat(em(x))
    with ember.autocast("cpu", dtype=ember.bfloat16, enabled=False):
        inside = flat(em(x))
    for a, b in zip(plain, inside, strict=True):
        assert _name(b) == "float32"
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())


# ----------------------------------------------------------------------------- cells

CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]
CELL_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}"
            for n, kw in CELLS]


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize(("name", "kw"), CELLS, ids=CELL_IDS)
def test_cell(name, kw, with_state, batched, low):
    tm, em = build_pair(name, "float32", I, H, **kw)
    rng = np.random.default_rng(9)
    lead = (B,) if batched else ()
    arrays = [rng.standard_normal(lead + (I,)).astype("float32")]
    if with_state:
        arrays += [rng.standard_normal(lead + (H,)).astype("float32")
                   for _ in range(2 if name == "LSTMCell" else 1)]
    t_leaves, e_leaves = _leaves(arrays)
    t_args, e_args = [t_leaves[0]], [e_leaves[0]]
    if with_state:
        t_args.append(tuple(t_leaves[1:]) if name == "LSTMCell" else t_leaves[1])
        e_args.append(tuple(e_leaves[1:]) if name == "LSTMCell" else e_leaves[1])
    with torch.autocast("cpu", dtype=getattr(torch, low)):
        t_out = flat(tm(*t_args))
    with ember.autocast("cpu", dtype=getattr(ember, low)):
        e_out = flat(em(*e_args))
    expected = [low] if name == "RNNCell" else ["float32"] * len(t_out)
    assert [_name(o) for o in t_out] == expected
    assert [_name(o) for o in e_out] == expected
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        _close(a, b, low, f"output {i}")
    _backward_and_compare(t_out, e_out, t_leaves, e_leaves, dict(tm.named_parameters()),
                          dict(em.named_parameters()), low)


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize(("fn", "gates"), [("lstm_cell", 4), ("gru_cell", 3),
                                           ("rnn_tanh_cell", 1), ("rnn_relu_cell", 1)])
def test_cell_function(fn, gates, low):
    """``torch.lstm_cell`` and friends against ember_recurrent.functional's, weights and
    states passed as float32 tensors."""
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal(s).astype("float32")
              for s in ((B, I), (gates * H, I), (gates * H, H), (gates * H,), (gates * H,),
                        (B, H), (B, H))]
    t_leaves, e_leaves = _leaves(arrays)
    x, w_ih, w_hh, b_ih, b_hh, h, c = range(7)

    def args(ts):
        state = (ts[h], ts[c]) if fn == "lstm_cell" else ts[h]
        return ts[x], state, ts[w_ih], ts[w_hh], ts[b_ih], ts[b_hh]

    with torch.autocast("cpu", dtype=getattr(torch, low)):
        t_out = flat(getattr(torch, fn)(*args(t_leaves)))
    with ember.autocast("cpu", dtype=getattr(ember, low)):
        e_out = flat(getattr(F, fn)(*args(e_leaves)))
    expected = ["float32", "float32"] if fn == "lstm_cell" else \
        ["float32"] if fn == "gru_cell" else [low]
    assert [_name(o) for o in t_out] == expected
    assert [_name(o) for o in e_out] == expected
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        _close(a, b, low, f"output {i}")
    used = t_leaves if fn == "lstm_cell" else t_leaves[:6]
    _backward_and_compare(t_out, e_out, used, e_leaves[:len(used)], {}, {}, low)


# ----------------------------------------------------------------------------- gate ops


def test_gate_ops_promote_mixed_dtypes():
    """bfloat16 pre-activations with a float32 state: the gate ops return float32 (the
    composite, never the fused kernel) and hand every input a gradient of its own dtype,
    matching the same pointwise math in torch."""
    rng = np.random.default_rng(12)
    arrays = [rng.standard_normal(s).astype("float32")
              for s in ((B, 4 * H), (B, 4 * H), (B, H), (B, 3 * H), (B, 3 * H), (B, H))]
    t_leaves, e_leaves = _leaves(arrays)

    def torch_lstm(xg, hg, c):
        i, f, g, o = (xg + hg).chunk(4, -1)
        c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c_new.tanh(), c_new

    def torch_gru(xg, hg, h):
        xr, xz, xn = xg.chunk(3, -1)
        hr, hz, hn = hg.chunk(3, -1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return n + z * (h - n)

    def lowered(ts, lib):  # the pre-activations in bfloat16, the states float32
        out = [t.to(lib.bfloat16) if i in (0, 1, 3, 4) else t for i, t in enumerate(ts)]
        for t in out:
            t.retain_grad()
        return out

    t_in, e_in = lowered(t_leaves, torch), lowered(e_leaves, ember)
    t_out = [*torch_lstm(*t_in[:3]), torch_gru(*t_in[3:])]
    e_out = [*F.lstm_gates(*e_in[:3]), F.gru_gates(*e_in[3:])]
    assert [_name(o) for o in e_out] == ["float32"] * 3
    assert [_name(o) for o in t_out] == ["float32"] * 3
    for i, (a, b) in enumerate(zip(t_out, e_out, strict=True)):
        _close(a, b, "bfloat16", f"output {i}")
    sum(o.sum() for o in t_out).backward()
    sum(o.sum() for o in e_out).backward()
    for i, (a, b) in enumerate(zip(t_in, e_in, strict=True)):
        assert _name(b.grad) == _name(a.grad) == _name(a), f"gradient of input {i}"
        _close(a.grad, b.grad, "bfloat16", f"gradient of input {i}", grad=True)
