"""Entry point of ember-recurrent: declares its public names and ops.

Imports nothing heavy: each name is a ``"module:attribute"`` string that the core imports
the first time the name is used (``ember.nn.LSTM``).
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry, OpRegistry

EMBER_PLUGIN_API = (1, 0)

_PKG = "ember_recurrent"

#: the Module classes (public as ``nn.<name>``), all in ``ember_recurrent.rnn``
MODULES: tuple[str, ...] = ("RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")

#: ops with a fused-kernel slot, for ``python -m ember info`` and the conformance kit
OPS: dict[str, str] = {
    "lstm_gates": "pointwise LSTM step (kernel: lstm_gates(xg, hg, c) -> (h, c))",
    "lstm_gates_backward": "gradient of lstm_gates (kernel: lstm_gates_backward(xg, hg, c, "
                           "gh, gc) -> (d_gates, d_c))",
    "gru_gates": "pointwise GRU step (kernel: gru_gates(xg, hg, h) -> h)",
    "gru_gates_backward": "gradient of gru_gates (kernel: gru_gates_backward(xg, hg, h, gh) "
                          "-> (d_xg, d_hg, d_h))",
}


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    return ([NamespaceEntry(f"nn.{name}", f"{_PKG}.rnn:{name}") for name in MODULES]
            + [NamespaceEntry("nn.modules.rnn", f"{_PKG}.rnn")])


@hookimpl
def ember_register_ops(registry: OpRegistry) -> None:
    for name, summary in OPS.items():
        registry.declare(name, summary)
