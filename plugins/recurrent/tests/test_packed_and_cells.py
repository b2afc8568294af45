"""PackedSequence inputs (sorted and unsorted lengths, with and without initial states,
uni- and bidirectional, stacked layers) and the single-step cells (batched and unbatched,
with and without bias or state), all against torch."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _rnn_parity import build_pair, check_parity, close, leaf_pair  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:LSTM with projections is not supported with oneDNN:UserWarning")

FLOATS = ["float32", "float64"]
I, H = 4, 5

PACKED = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in PACKED]


def _packed_case(name, kw, dtype, lengths, enforce_sorted, with_state, batch_first=False):
    tm, em = build_pair(name, dtype, I, H, batch_first=batch_first, **kw)
    rng = np.random.default_rng(11)
    steps, batch = max(lengths), len(lengths)
    shape = (batch, steps, I) if batch_first else (steps, batch, I)
    tx, ex = leaf_pair(rng.standard_normal(shape).astype(dtype))
    t_leaves, e_leaves = [tx], [ex]
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first,
                                                 enforce_sorted)
    ep = ember.nn.utils.rnn.pack_padded_sequence(ex, ember.tensor(lengths), batch_first,
                                                 enforce_sorted)
    t_in, e_in = [tp], [ep]
    if with_state:
        dirs = 2 if kw.get("bidirectional") else 1
        lead = (kw.get("num_layers", 1) * dirs, batch)
        shapes = [lead + (kw.get("proj_size", 0) or H,)]
        if name == "LSTM":
            shapes.append(lead + (H,))
        pairs = [leaf_pair(rng.standard_normal(s).astype(dtype)) for s in shapes]
        t_state = tuple(p[0] for p in pairs)
        e_state = tuple(p[1] for p in pairs)
        t_in.append(t_state if name == "LSTM" else t_state[0])
        e_in.append(e_state if name == "LSTM" else e_state[0])
        t_leaves += list(t_state)
        e_leaves += list(e_state)
    check_parity(tm, em, t_in, e_in, t_leaves, e_leaves, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kw"), PACKED, ids=IDS)
def test_packed_sorted_lengths(name, kw, dtype):
    _packed_case(name, kw, dtype, [6, 4, 4, 1], True, with_state=False)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kw"), PACKED, ids=IDS)
def test_packed_unsorted_lengths_with_state(name, kw, dtype):
    _packed_case(name, kw, dtype, [2, 5, 1, 5, 3], False, with_state=True, batch_first=True)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_packed_output_fields_and_round_trip(name):
    tm, em = build_pair(name, "float64", I, H, bidirectional=True)
    x = np.random.default_rng(12).standard_normal((5, 3, I))
    lengths = [3, 5, 2]
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths,
                                                 enforce_sorted=False)
    ep = ember.nn.utils.rnn.pack_padded_sequence(ember.tensor(x), lengths,
                                                 enforce_sorted=False)
    t_out, _ = tm(tp)
    e_out, _ = em(ep)
    assert isinstance(e_out, ember.nn.utils.rnn.PackedSequence)
    assert e_out.batch_sizes.tolist() == t_out.batch_sizes.tolist()
    assert e_out.sorted_indices.tolist() == t_out.sorted_indices.tolist()
    assert e_out.unsorted_indices.tolist() == t_out.unsorted_indices.tolist()
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(t_out)
    e_pad, e_len = ember.nn.utils.rnn.pad_packed_sequence(e_out)
    assert e_len.tolist() == t_len.tolist()
    close(t_pad, e_pad, "float64", "padded output")


def test_packed_equals_padded_for_equal_lengths():
    _, em = build_pair("LSTM", "float64", I, H, num_layers=2)
    x = ember.tensor(np.random.default_rng(13).standard_normal((4, 3, I)))
    packed = ember.nn.utils.rnn.pack_padded_sequence(x, [4, 4, 4])
    out_p, (h_p, c_p) = em(packed)
    out, (h, c) = em(x)
    np.testing.assert_allclose(out_p.data.detach().numpy(),
                               out.detach().numpy().reshape(12, H), rtol=1e-12)
    np.testing.assert_allclose(h_p.detach().numpy(), h.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_p.detach().numpy(), c.detach().numpy(), rtol=1e-12)


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


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kw"), CELLS, ids=CELL_IDS)
def test_cell_parity(name, kw, dtype, batched, with_state):
    tm, em = build_pair(name, dtype, I, H, **kw)
    rng = np.random.default_rng(14)
    lead = (3,) if batched else ()
    tx, ex = leaf_pair(rng.standard_normal(lead + (I,)).astype(dtype))
    t_in, e_in, t_leaves, e_leaves = [tx], [ex], [tx], [ex]
    if with_state:
        count = 2 if name == "LSTMCell" else 1
        pairs = [leaf_pair(rng.standard_normal(lead + (H,)).astype(dtype))
                 for _ in range(count)]
        t_state = tuple(p[0] for p in pairs)
        e_state = tuple(p[1] for p in pairs)
        t_in.append(t_state if count == 2 else t_state[0])
        e_in.append(e_state if count == 2 else e_state[0])
        t_leaves += list(t_state)
        e_leaves += list(e_state)
    check_parity(tm, em, t_in, e_in, t_leaves, e_leaves, dtype)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_unrolled_over_a_sequence(name):
    tm, em = build_pair(name, "float64", I, H)
    x = np.random.default_rng(15).standard_normal((6, 2, I))
    tx, ex = leaf_pair(x)
    states = []
    for m, xx in ((tm, tx), (em, ex)):
        hx = None
        total = 0
        for t in range(x.shape[0]):
            hx = m(xx[t], hx)
            total = total + (hx[0] if isinstance(hx, tuple) else hx).sum()
        total.backward()
        states.append(hx[0] if isinstance(hx, tuple) else hx)
    close(states[0], states[1], "float64", "final state")
    close(tx.grad, ex.grad, "float64", "input gradient", scale=10)
    close(tm.weight_hh.grad, em.weight_hh.grad, "float64", "weight_hh gradient", scale=10)
