"""ember-recurrent: RNN, LSTM, GRU and their cells for ember.

The Modules are public as ``ember.nn.RNN``, ``ember.nn.LSTM``, ...; the cell ops
(``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell``, ``rnn_relu_cell``) and the pointwise gate
ops with fused-kernel slots live in :mod:`ember_recurrent.functional`.
"""

from .functional import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__version__ = "0.1.0"

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
           "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]
