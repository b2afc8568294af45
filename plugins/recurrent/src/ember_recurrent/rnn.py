"""Recurrent layers: RNNBase, RNN, LSTM, GRU and the single-step cells.

The Modules hold the parameters (named as torch names them: ``weight_ih_l0``,
``bias_hh_l1_reverse``, ``weight_hr_l0``, ...), check their inputs with torch's messages
and hand the math to :func:`ember_recurrent._layers.run_rnn` (whole sequences) or to the
cell ops of :mod:`ember_recurrent.functional`.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import ember
from ember._tensor import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.nn import Module, Parameter, init

from ._layers import run_rnn
from .functional import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_NAMES = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _packed_type() -> Any:
    from ember_utils.rnn import PackedSequence

    return PackedSequence


class RNNBase(Module):
    """The shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    Creates, per layer ``k`` and direction (suffix ``_reverse`` for the backward one), the
    parameters ``weight_ih_l{k}`` ``(G*H, I_k)``, ``weight_hh_l{k}`` ``(G*H, H_out)``,
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` ``(G*H,)`` (with ``bias``), and for an LSTM with
    ``proj_size > 0`` ``weight_hr_l{k}`` ``(proj_size, H)``; ``G`` is 4 (LSTM), 3 (GRU) or
    1 (RNN), ``H_out`` is ``proj_size or hidden_size``, and ``I_k`` is ``input_size`` for
    the first layer and ``D * H_out`` after it. All are drawn from
    ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``.

    Args:
        mode: ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``.
        input_size: features per input step.
        hidden_size: features of the hidden state.
        num_layers: stacked recurrent layers. Default: 1.
        bias: learn ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: inputs and outputs are ``(B, T, F)`` instead of ``(T, B, F)``.
        dropout: dropout probability on the outputs of every layer but the last, in
            training mode. Default: 0.
        bidirectional: add a layer running backwards in time (``D = 2``). Default: False.
        proj_size: LSTM only; project the hidden state to this size. Default: 0.
        device, dtype: of the parameters.

    ``forward`` is defined by the subclasses; ``flatten_parameters`` exists for
    compatibility and does nothing (ember keeps no packed weight buffer).

    Under CPU autocast the affine maps run in the autocast dtype and each step promotes
    against the state, as torch's cpu code does: RNN results come out in the autocast
    dtype, GRU results in float32, an LSTM's ``c_n`` in float32 (its output and ``h_n``
    too for a packed input without ``proj_size``). An LSTM without ``proj_size`` on an
    unpacked input casts its initial states as well, so all its results are in the
    autocast dtype.

    >>> import ember
    >>> m = ember.nn.RNNBase("GRU", 3, 4, bidirectional=True)
    >>> m._all_weights[1]
    ['weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']
    >>> [list(w.shape) for w in m.all_weights[0]]
    [[12, 3], [12, 4], [12], [12]]
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_config(dropout, num_layers, bias, batch_first, input_size, hidden_size,
                      proj_size)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        kw = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            for direction in range(dirs):
                layer_in = input_size if layer == 0 else real_hidden * dirs
                suffix = "_reverse" if direction == 1 else ""
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ember.empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    # -- parameters ----------------------------------------------------------------------
    def _init_flat_weights(self) -> None:
        self._flat_weights: list[Any] = [getattr(self, n) if hasattr(self, n) else None
                                         for n in self._flat_weights_names]
        self.flatten_parameters()

    def __setattr__(self, name: str, value: Any) -> None:
        names = self.__dict__.get("_flat_weights_names")
        if names is not None and name in names and "_flat_weights" in self.__dict__:
            self._flat_weights[names.index(name)] = value
        super().__setattr__(name, value)

    def flatten_parameters(self) -> None:
        """Kept for torch compatibility; a no-op (there is no fused weight buffer here)."""

    def _apply(self, fn: Any, recurse: bool = True) -> Any:
        ret = super()._apply(fn, recurse)
        self._init_flat_weights()
        return ret

    def reset_parameters(self) -> None:
        """Draw every parameter from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, in ``_all_weights`` order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _update_flat_weights(self) -> None:
        """Re-read ``_flat_weights`` when a weight was swapped without ``setattr`` (a state
        dict loaded with ``assign=True``, ``functional_call``)."""
        names = self._flat_weights_names
        current = self._flat_weights
        for i, name in enumerate(names):
            if current[i] is not getattr(self, name, None):
                self._init_flat_weights()
                return

    def _weights(self) -> list[tuple[Any, ...]]:
        """Per layer and direction ``(w_ih, w_hh, b_ih, b_hh, w_hr)``, absent ones None."""
        out = []
        for names in self._all_weights:
            ws = [getattr(self, n) for n in names]
            w_ih, w_hh = ws[0], ws[1]
            b_ih = ws[2] if self.bias else None
            b_hh = ws[3] if self.bias else None
            w_hr = ws[-1] if self.proj_size > 0 else None
            out.append((w_ih, w_hh, b_ih, b_hh, w_hr))
        return out

    # -- checks (torch's messages) --------------------------------------------------------
    def check_input(self, input: Tensor, batch_sizes: Tensor | None) -> None:  # noqa: A002
        """Raise torch's errors for a wrong dtype, rank or feature size of ``input``."""
        wdtype = getattr(self, self._flat_weights_names[0]).dtype
        if input.dtype != wdtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({wdtype}). Convert input: input.to({wdtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor,  # noqa: A002
                                 batch_sizes: Tensor | None) -> tuple[int, int, int]:
        """``(num_layers * D, batch, proj_size or hidden_size)``."""
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        """Raise torch's RuntimeError when ``hx`` does not have the expected shape."""
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor,  # noqa: A002
                           batch_sizes: Tensor | None) -> None:
        """Check the input, then the hidden state's shape."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Tensor, permutation: Tensor | None) -> Tensor:
        """Reorder the batch dim (dim 1) of ``hx`` by ``permutation`` (None: unchanged)."""
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- the shared forward ---------------------------------------------------------------
    def _zeros(self, rows: Tensor, batch: int, size: int) -> Tensor:
        dirs = 2 if self.bidirectional else 1
        return ember.zeros((self.num_layers * dirs, batch, size), dtype=rows.dtype,
                           device=rows.device)

    def _forward(self, input: Any, hx: Any) -> tuple[Any, Any]:  # noqa: A002
        """Unpack or reshape the input, check it, run the layers and shape the results."""
        self._update_flat_weights()
        lstm = self.mode == "LSTM"
        packed_cls = _packed_type()
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        is_packed = isinstance(input, packed_cls)
        is_batched = True
        batch_dim = 0 if self.batch_first else 1
        if is_packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch = int(batch_sizes[0])
            if hx is not None:
                hx = self._permute_state(hx, sorted_indices)
        else:
            data, batch_sizes, sorted_indices, unsorted_indices = input, None, None, None
            if data.dim() not in (2, 3):
                tail = " tensor" if not lstm and self.mode != "GRU" else ""
                raise ValueError(f"{_NAMES[self.mode]}: Expected input to be 2D or 3D, got "
                                 f"{data.dim()}D{tail} instead")
            is_batched = data.dim() == 3
            if not is_batched:
                data = data.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._batch_state(hx, is_batched)
            max_batch = data.size(0) if self.batch_first else data.size(1)
        if hx is None:
            h0 = self._zeros(data, max_batch, real_hidden)
            hx = (h0, self._zeros(data, max_batch, self.hidden_size)) if lstm else h0
        self.check_forward_args(data, hx, batch_sizes)
        if batch_sizes is None:
            x = data.transpose(0, 1) if self.batch_first else data
            steps, batch = x.shape[0], x.shape[1]
            rows = x.reshape(steps * batch, x.shape[2])
            sizes = [batch] * steps
        else:
            rows = data
            sizes = [int(b) for b in batch_sizes.tolist()]
        h0, c0 = hx if lstm else (hx, None)
        if AUTOCAST.active and lstm and batch_sizes is None and self.proj_size == 0:
            # torch runs this case as one oneDNN LSTM per layer, an op on the cpu autocast
            # list of lower-precision ops: the initial states are cast with the weights, so
            # output, h_n and c_n all come out in the autocast dtype ("linear" names the
            # same lower-precision policy in ember's table)
            h0, c0 = autocast_args("linear", h0, c0)
        out, hn, cn = run_rnn(self.mode, rows, sizes, h0, c0, self._weights(),
                              self.num_layers, self.dropout, self.training, self.bidirectional)
        hidden: Any = (hn, cn) if lstm else hn
        if is_packed:
            output = packed_cls(out, batch_sizes, sorted_indices, unsorted_indices)
            return output, self._permute_state(hidden, unsorted_indices)
        output = out.reshape(steps, batch, out.shape[-1])
        if self.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1)) if lstm else hidden.squeeze(1)
        return output, hidden

    def _permute_state(self, hx: Any, permutation: Tensor | None) -> Any:
        return self.permute_hidden(hx, permutation)

    def _batch_state(self, hx: Tensor, is_batched: bool) -> Tensor:
        if is_batched:
            if hx.dim() != 3:
                raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            return hx
        if hx.dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                               f"{hx.dim()}-D tensor")
        return hx.unsqueeze(1)


def _check_config(dropout: Any, num_layers: int, bias: Any, batch_first: Any,
                  input_size: Any, hidden_size: Any, proj_size: int) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):  # type: ignore[operator]
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:  # type: ignore[operator]
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable "
                         "projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNN(RNNBase):
    """A stack of Elman RNN layers; each step of each layer computes::

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

    (``relu`` instead of ``tanh`` with ``nonlinearity="relu"``), where ``x_t`` is the input
    for the first layer and the previous layer's output (after dropout) above it.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        device, dtype: see :class:`RNNBase`.
        nonlinearity: ``"tanh"`` or ``"relu"``. Default: ``"tanh"``.

    Shape:
        input ``(T, B, I)`` (``(B, T, I)`` with ``batch_first``), ``(T, I)`` unbatched, or
        a PackedSequence; ``h_0`` ``(L * D, B, H)`` (``(L * D, H)`` unbatched), zeros when
        omitted. Returns ``(output (T, B, D * H), h_n (L * D, B, H))``.

    >>> import ember
    >>> out, hn = ember.nn.RNN(10, 20, 2)(ember.randn(5, 3, 10))
    >>> out.shape, hn.shape
    (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:  # noqa: A002
        """Run the layers over ``input``; returns ``(output, h_n)``."""
        return self._forward(input, hx)


class LSTM(RNNBase):
    """A stack of LSTM layers; each step of each layer computes::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    and with ``proj_size > 0`` then ``h_t = W_hr h_t``. See :class:`RNNBase` for the
    arguments and parameter names; ``proj_size`` must be smaller than ``hidden_size``.

    Shape:
        input as for :class:`RNN`; ``(h_0, c_0)`` with ``h_0`` ``(L * D, B, H_out)`` and
        ``c_0`` ``(L * D, B, H)``. Returns ``(output (T, B, D * H_out), (h_n, c_n))``.

    >>> import ember
    >>> out, (hn, cn) = ember.nn.LSTM(10, 20, 2, proj_size=5)(ember.randn(5, 3, 10))
    >>> out.shape, hn.shape, cn.shape
    (ember.Size([5, 3, 5]), ember.Size([2, 3, 5]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor,  # noqa: A002
                               batch_sizes: Tensor | None) -> tuple[int, int, int]:
        """``(num_layers * D, batch, hidden_size)``."""
        layers, batch, _ = self.get_expected_hidden_size(input, batch_sizes)
        return (layers, batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden: Any,  # noqa: A002
                           batch_sizes: Tensor | None) -> None:
        """Check the input, then ``h_0`` and ``c_0`` against their expected shapes."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx: Any, permutation: Tensor | None) -> Any:
        """Reorder the batch dim of ``h`` and ``c`` by ``permutation``."""
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _batch_state(self, hx: Any, is_batched: bool) -> Any:
        if is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            return hx
        if hx[0].dim() != 2 or hx[1].dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                               f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        return hx[0].unsqueeze(1), hx[1].unsqueeze(1)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Tensor, Tensor]]:  # noqa: A002
        """Run the layers over ``input``; returns ``(output, (h_n, c_n))``."""
        return self._forward(input, hx)


class GRU(RNNBase):
    """A stack of GRU layers; each step of each layer computes::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    See :class:`RNNBase` for the arguments and parameter names.

    Shape:
        as for :class:`RNN`.

    >>> import ember
    >>> out, hn = ember.nn.GRU(10, 20, bidirectional=True)(ember.randn(5, 3, 10))
    >>> out.shape, hn.shape
    (ember.Size([5, 3, 40]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:  # noqa: A002
        """Run the layers over ``input``; returns ``(output, h_n)``."""
        return self._forward(input, hx)


# ----------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """The parameters shared by the cells: ``weight_ih`` ``(G*H, I)``, ``weight_hh``
    ``(G*H, H)`` and, with ``bias``, ``bias_ih`` and ``bias_hh`` ``(G*H,)``, all drawn from
    ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``; ``G`` is ``num_chunks``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Draw every parameter from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name: str, input: Tensor, hx: Any, what: str  # noqa: A002
                 ) -> tuple[Tensor, Any, bool]:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and what == "hidden" and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D "
                             "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros((input.size(0), self.hidden_size), dtype=input.dtype,
                             device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        return input, hx, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (``relu`` with
    ``nonlinearity="relu"``).

    Args:
        input_size, hidden_size: feature sizes of ``x`` and ``h``.
        bias: learn ``b_ih`` and ``b_hh``. Default: ``True``.
        nonlinearity: ``"tanh"`` or ``"relu"``. Default: ``"tanh"``.

    Shape:
        input ``(B, I)`` or ``(I,)``; hidden ``(B, H)`` or ``(H,)`` (zeros when omitted);
        output like hidden.

    >>> import ember
    >>> ember.nn.RNNCell(10, 20)(ember.randn(3, 10)).shape
    ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        """One step; returns the next hidden state."""
        x, h, batched = self._prepare("RNNCell", input, hx, "hidden")
        if self.nonlinearity == "tanh":
            fn = rnn_tanh_cell
        elif self.nonlinearity == "relu":
            fn = rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = fn(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    Args:
        input_size, hidden_size: feature sizes of ``x`` and ``h``.
        bias: learn ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape:
        input ``(B, I)`` or ``(I,)``; ``(h, c)`` each ``(B, H)`` or ``(H,)`` (zeros when
        omitted). Returns ``(h', c')`` shaped like ``(h, c)``.

    >>> import ember
    >>> h, c = ember.nn.LSTMCell(10, 20)(ember.randn(3, 10))
    >>> h.shape, c.shape
    (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        """One step; returns ``(h', c')``."""
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            zeros = ember.zeros((x.size(0), self.hidden_size), dtype=x.dtype, device=x.device)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = lstm_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Args:
        input_size, hidden_size: feature sizes of ``x`` and ``h``.
        bias: learn ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape:
        input ``(B, I)`` or ``(I,)``; hidden ``(B, H)`` or ``(H,)`` (zeros when omitted);
        output like hidden.

    >>> import ember
    >>> ember.nn.GRUCell(10, 20)(ember.randn(3, 10)).shape
    ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        """One step; returns the next hidden state."""
        x, h, batched = self._prepare("GRUCell", input, hx, "hidden")
        out = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
