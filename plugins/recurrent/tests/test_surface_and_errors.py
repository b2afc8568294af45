"""The plugin surface and the module contract: names resolve through ``ember.nn`` with
torch's signatures and docstrings; parameter names, ``_flat_weights``, ``all_weights``,
``flatten_parameters``, reprs and state dicts as torch's; bad arguments and bad inputs
raise torch's exception types with torch's messages."""

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.plugins.catalog import CATALOG
from ember_recurrent import functional, plugin

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _rnn_parity import build_pair  # noqa: E402

ALL = list(plugin.MODULES)


def test_catalog_names_are_all_provided():
    owned = {name for name, dist in CATALOG.items() if dist == "ember-recurrent"}
    assert owned == {f"nn.{n}" for n in ALL} | {"nn.modules.rnn"}


@pytest.mark.parametrize("name", ALL)
def test_module_resolves_and_is_documented(name):
    cls = getattr(ember.nn, name)
    assert issubclass(cls, ember.nn.Module)
    assert cls.__doc__ and ">>>" in cls.__doc__


@pytest.mark.parametrize("name", ["RNNBase", "RNNCell", "LSTMCell", "GRUCell"])
def test_constructor_signature_matches_torch(name):
    mine = list(inspect.signature(getattr(ember.nn, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    assert mine == theirs


def test_public_functions_are_documented():
    for fn in (functional.lstm_cell, functional.gru_cell, functional.rnn_tanh_cell,
               functional.rnn_relu_cell, functional.lstm_gates, functional.gru_gates,
               functional.lstm_gates_backward, functional.gru_gates_backward):
        assert fn.__doc__ and len(fn.__doc__) > 40, fn.__name__


CONFIGS = [
    ("RNN", (4, 5), {}),
    ("RNN", (4, 5, 2), {"nonlinearity": "relu", "bias": False, "batch_first": True,
                        "dropout": 0.25, "bidirectional": True}),
    ("RNN", (4, 5, 1, "relu"), {}),
    ("LSTM", (4, 5), {"proj_size": 3, "num_layers": 2, "bidirectional": True}),
    ("LSTM", (4, 5), {"bias": False}),
    ("GRU", (4, 5, 3), {"bidirectional": True}),
    ("RNNCell", (4, 5), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (4, 5), {}),
    ("GRUCell", (4, 5), {"bias": False}),
]


@pytest.mark.parametrize(("name", "args", "kw"), CONFIGS)
def test_structure_matches_torch(name, args, kw):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kw)
    em = getattr(ember.nn, name)(*args, **kw)
    assert repr(em) == repr(tm)
    t_state = tm.state_dict()
    e_state = em.state_dict()
    assert list(e_state) == list(t_state)
    for k, v in t_state.items():
        assert tuple(e_state[k].shape) == tuple(v.shape), k
    bound = 1 / np.sqrt(5)
    for p in em.parameters():
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound
    if hasattr(tm, "_flat_weights_names"):
        assert em._flat_weights_names == tm._flat_weights_names
        assert em._all_weights == tm._all_weights
        assert [w is getattr(em, n) for w, n in zip(em._flat_weights,
                                                    em._flat_weights_names)] == \
            [True] * len(em._flat_weights)
        assert [[tuple(w.shape) for w in ws] for ws in em.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in tm.all_weights]
        assert em.flatten_parameters() is None


def test_flat_weights_follow_reassignment_and_dtype_moves():
    m = ember.nn.LSTM(3, 4)
    new = ember.nn.Parameter(ember.zeros(16, 3))
    m.weight_ih_l0 = new
    assert m._flat_weights[0] is new
    m.double()
    assert all(w.dtype == ember.float64 for w in m._flat_weights)
    assert m._flat_weights[1] is m.weight_hh_l0
    out, _ = m(ember.randn(2, 1, 3, dtype=ember.float64))
    assert out.dtype == ember.float64


def _same_error(make, call_t, call_e):
    """Both libraries raise the same exception type with the same message (dtypes print
    as ``ember.float64`` where torch prints ``torch.float64``)."""
    with pytest.raises(Exception) as t_err:
        call_t(make(torch))
    with pytest.raises(type(t_err.value)) as e_err:
        call_e(make(ember))
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")


CONSTRUCTOR_ERRORS = [
    ("RNN", (4, 5), {"nonlinearity": "sigmoid"}),
    ("RNN", (4, 5), {"proj_size": 2}),
    ("GRU", (4, 5), {"proj_size": 2}),
    ("LSTM", (4, 5), {"proj_size": 5}),
    ("LSTM", (4, 5), {"proj_size": -1}),
    ("LSTM", (4, 5), {"dropout": 1.5}),
    ("LSTM", (4, 5), {"dropout": True}),
    ("LSTM", (4, 5), {"num_layers": 0}),
    ("LSTM", (4, 0), {}),
    ("LSTM", (0, 5), {}),
    ("GRU", (4, 5.0), {}),
    ("GRU", (4.0, 5), {}),
    ("GRU", (4, 5), {"bias": 1}),
    ("GRU", (4, 5), {"batch_first": None}),
]


@pytest.mark.parametrize(("name", "args", "kw"), CONSTRUCTOR_ERRORS)
def test_constructor_errors(name, args, kw):
    _same_error(lambda lib: None, lambda _: getattr(torch.nn, name)(*args, **kw),
                lambda _: getattr(ember.nn, name)(*args, **kw))


def test_base_rejects_unknown_mode():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Unrecognized RNN mode: TANH"):
            lib.nn.RNNBase("TANH", 3, 4)


def test_dropout_warning_for_one_layer():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, "
                                         "but got dropout=0.5 and num_layers=1"):
        ember.nn.GRU(3, 4, dropout=0.5)


def _inputs(lib, shape, dtype="float32"):
    return lib.tensor(np.zeros(shape, dtype=dtype))


FORWARD_ERRORS = [
    ("RNN", (4, 5), [(1, 2, 3, 4)]),                       # 4-D input
    ("LSTM", (4, 5), [(4,)]),                              # 1-D input
    ("GRU", (4, 5), [(6, 3, 7)]),                          # wrong input size
    ("GRU", (4, 5), [(6, 7)]),                             # unbatched, wrong input size
    ("RNN", (4, 5), [(6, 3, 4), (1, 2, 5)]),               # wrong hidden batch
    ("RNN", (4, 5, 2), [(6, 3, 4), (1, 3, 5)]),            # wrong hidden layers
    ("GRU", (4, 5), [(6, 3, 4), (3, 5)]),                  # 2-D hidden for 3-D input
    ("GRU", (4, 5), [(6, 4), (1, 1, 5)]),                  # 3-D hidden for 2-D input
    ("LSTM", (4, 5), [(6, 3, 4), ((1, 3, 5), (1, 3, 4))]),  # wrong cell size
    ("LSTM", (4, 5), [(6, 3, 4), ((1, 3, 4), (1, 3, 5))]),  # wrong hidden size
    ("LSTM", (4, 5), [(6, 3, 4), ((3, 5), (3, 5))]),       # 2-D states, 3-D input
    ("LSTM", (4, 5), [(6, 4), ((1, 1, 5), (1, 1, 5))]),    # 3-D states, 2-D input
    ("RNNCell", (4, 5), [(3, 6)]),                         # wrong input size
    ("RNNCell", (4, 5), [(2, 3, 4)]),                      # 3-D input
    ("RNNCell", (4, 5), [(3, 4), (2, 5)]),                 # batch mismatch
    ("GRUCell", (4, 5), [(3, 4), (3, 6)]),                 # hidden size
    ("GRUCell", (4, 5), [(3, 4), (1, 3, 5)]),              # 3-D hidden
    ("LSTMCell", (4, 5), [(3, 4), ((3, 5), (2, 5))]),      # c batch mismatch
    ("LSTMCell", (4, 5), [(3, 4), ((3, 5), (3, 6))]),      # c size
    ("LSTMCell", (4, 5), [(3, 4), ((3, 5), (1, 3, 5))]),   # 3-D c
]


def _build_args(lib, spec):
    out = []
    for s in spec:
        if isinstance(s[0], tuple):
            out.append(tuple(_inputs(lib, x) for x in s))
        else:
            out.append(_inputs(lib, s))
    return out


@pytest.mark.parametrize(("name", "args", "spec"), FORWARD_ERRORS)
def test_forward_errors(name, args, spec):
    _same_error(lambda lib: getattr(lib.nn, name)(*args),
                lambda m: m(*_build_args(torch, spec)),
                lambda m: m(*_build_args(ember, spec)))


def test_dtype_mismatch_error():
    _same_error(lambda lib: lib.nn.LSTM(4, 5),
                lambda m: m(_inputs(torch, (2, 3, 4), "float64")),
                lambda m: m(_inputs(ember, (2, 3, 4), "float64")))


def test_cell_unknown_nonlinearity_at_call():
    for lib in (torch, ember):
        cell = lib.nn.RNNCell(3, 4)
        cell.nonlinearity = "gelu"
        with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
            cell(lib.zeros(2, 3))


def test_module_pickles_and_loads_state():
    import pickle

    _, em = build_pair("LSTM", "float32", 3, 4, num_layers=2)
    clone = pickle.loads(pickle.dumps(em))
    x = ember.randn(5, 2, 3)
    np.testing.assert_array_equal(clone(x)[0].detach().numpy(), em(x)[0].detach().numpy())


@pytest.mark.parametrize(("name", "h_shape"), [("RNN", (1, 2, 5)), ("GRU", (1, 3, 6))])
def test_packed_hidden_shape_error(name, h_shape):
    x = np.zeros((5, 3, 4), np.float32)

    def call(lib):
        def run(m):
            packed = lib.nn.utils.rnn.pack_padded_sequence(lib.tensor(x), [5, 3, 2])
            return m(packed, lib.zeros(*h_shape))

        return run

    _same_error(lambda lib: getattr(lib.nn, name)(4, 5), call(torch), call(ember))


def test_packed_lstm_state_shape_errors_are_runtime_errors():
    # torch's packed LSTM path fails inside its kernel; ember names the wrong state
    packed = ember.nn.utils.rnn.pack_padded_sequence(ember.zeros(5, 3, 4), [5, 3, 2])
    m = ember.nn.LSTM(4, 5)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 5\), got "
                                           r"\[1, 2, 5\]"):
        m(packed, (ember.zeros(1, 2, 5), ember.zeros(1, 3, 5)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 3, 5\), got "
                                           r"\[1, 3, 4\]"):
        m(packed, (ember.zeros(1, 3, 5), ember.zeros(1, 3, 4)))


def test_flat_weights_follow_assigned_state_dict():
    tm, em = build_pair("LSTM", "float64", 3, 4)
    state = {k: ember.tensor(v.detach().numpy() * 2) for k, v in tm.state_dict().items()}
    em.load_state_dict(state, assign=True)
    x = ember.randn(5, 2, 3, dtype=ember.float64)
    out = em(x)[0]
    assert [w is getattr(em, n) for w, n in zip(em._flat_weights, em._flat_weights_names)] \
        == [True] * 4
    with torch.no_grad():
        for p in tm.parameters():
            p.mul_(2)
    np.testing.assert_allclose(out.detach().numpy(),
                               tm(torch.tensor(x.numpy()))[0].detach().numpy(), rtol=1e-9,
                               atol=1e-11)
