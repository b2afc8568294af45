"""Packed sequences: variable-length batches for recurrent layers.

A batch of sequences sorted by decreasing length is *packed* time step by time step:
``data`` holds, for ``t = 0, 1, ...``, the ``batch_sizes[t]`` sequences still running at
step ``t``. ``PackedSequence`` also remembers the permutation that sorted the batch
(``sorted_indices``) and its inverse (``unsorted_indices``). Every function here is a
composite of differentiable ember ops, so gradients flow between padded and packed forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import ember
from ember import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):  # noqa: N801 - torch's name
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional: Any, fn: Callable[[Any], Any]) -> Any:
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """A packed batch of variable-length sequences (a named tuple).

    Its fields:

    - ``data``: ``(sum(lengths), *)``, the time steps of all sequences, step-major;
    - ``batch_sizes``: ``(max_length,)`` int64 on the cpu, how many sequences are still
      running at each step;
    - ``sorted_indices``: the permutation that sorted the original batch by decreasing
      length, or ``None`` when it was already sorted;
    - ``unsorted_indices``: its inverse (computed when not given).

    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by
    hand. Conversions (``to``, ``float``, ``double``, ``cpu``, ...) apply to ``data`` (and
    move the index tensors with it); ``batch_sizes`` stays on the cpu.
    """

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        return super().__new__(cls, *_init_args(data, batch_sizes, sorted_indices,
                                                unsorted_indices))

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(*args, **kwargs)``; the index tensors follow ``data``'s device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t: Tensor) -> Tensor:
            return t.to(data.device)

        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The sequence with ``data`` on a cuda device."""
        kwargs.setdefault("device", "cuda")
        return self.to(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The sequence with ``data`` on the cpu."""
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def pin_memory(self) -> PackedSequence:
        """ember keeps no pinned host memory: returns the sequence unchanged."""
        return self

    def is_pinned(self) -> bool:
        """Always False (ember has no pinned memory)."""
        return False

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(dtype=ember.float64)

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(dtype=ember.float32)

    def half(self) -> PackedSequence:
        """``data`` as float16."""
        return self.to(dtype=ember.float16)

    def long(self) -> PackedSequence:
        """``data`` as int64."""
        return self.to(dtype=ember.int64)

    def int(self) -> PackedSequence:
        """``data`` as int32."""
        return self.to(dtype=ember.int32)

    def short(self) -> PackedSequence:
        """``data`` as int16."""
        return self.to(dtype=ember.int16)

    def char(self) -> PackedSequence:
        """``data`` as int8."""
        return self.to(dtype=ember.int8)

    def byte(self) -> PackedSequence:
        """``data`` as uint8."""
        return self.to(dtype=ember.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a cuda device."""
        return self.data.is_cuda


def _init_args(data: Any, batch_sizes: Tensor | None, sorted_indices: Tensor | None,
               unsorted_indices: Tensor | None) -> tuple[Any, Any, Any, Any]:
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of ``0..n-1`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    out = ember.empty_like(permutation)
    out.scatter_(0, permutation, ember.arange(0, permutation.numel(), device=permutation.device))
    return out


def _check_lengths(input: Tensor, lengths: Tensor, batch_first: bool) -> list[int]:  # noqa: A002
    if lengths.ndim != 1 or lengths.device.type != "cpu" or lengths.dtype != ember.int64:
        kinds = {ember.int64: "Long", ember.int32: "Int", ember.float32: "Float",
                 ember.float64: "Double"}
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.ndim}D {lengths.device.type} "
                           f"{kinds.get(lengths.dtype, str(lengths.dtype))} tensor")
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch_size = input.shape[0 if batch_first else 1]
    if lengths.shape[0] != batch_size:
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.shape[0]} (batch_size={batch_size})")
    values = [int(v) for v in lengths.tolist()]
    if values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    for i in range(1, len(values)):
        if values[i - 1] < values[i]:
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
    steps = input.shape[1 if batch_first else 0]
    if values[0] > steps:
        raise RuntimeError(f"[pack_padded_sequence] the longest length {values[0]} exceeds the "
                           f"{steps} time steps of input of shape {tuple(input.shape)}")
    return values


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch of variable-length sequences.

    Args:
        input: ``(T, B, *)`` padded sequences (``(B, T, *)`` if ``batch_first``).
        lengths: the length of each sequence (list or 1-D int64 cpu tensor), each >= 1.
        batch_first: whether ``input`` has the batch dim first.
        enforce_sorted: require ``lengths`` to be in decreasing order; with False the
            batch is sorted here and the permutation kept in the result.

    Returns:
        A :class:`PackedSequence` whose ``data`` is ``(sum(lengths), *)``.

    >>> import ember
    >>> x = ember.tensor([[1, 2, 3], [4, 5, 0]]).float()
    >>> p = pack_padded_sequence(x, [3, 2], batch_first=True)
    >>> p.data, p.batch_sizes
    (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    if not isinstance(lengths, Tensor):
        lengths = ember.as_tensor(lengths, dtype=ember.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=ember.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = ember.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    values = _check_lengths(input, lengths, batch_first)
    steps_first = input.transpose(0, 1) if batch_first else input
    batch_sizes = [sum(1 for v in values if v > t) for t in range(values[0])]
    data = ember.cat([steps_first[t, :bs] for t, bs in enumerate(batch_sizes)], dim=0)
    bs_tensor = ember.tensor(batch_sizes, dtype=ember.int64)
    return PackedSequence(data, bs_tensor, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None
                        ) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: a padded batch and the lengths.

    Args:
        sequence: the packed batch.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value of the padding entries.
        total_length: pad to this many steps (at least the longest length), e.g. to get
            back the original ``T``.

    Returns:
        ``(padded, lengths)``; ``lengths`` is an int64 cpu tensor, both in the order of the
        batch before packing.
    """
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = total_length
    data = sequence.data
    batch = batch_sizes[0]
    trail = tuple(data.shape[1:])
    steps = []
    offset = 0
    for bs in batch_sizes:
        rows = data[offset:offset + bs]
        offset += bs
        if bs < batch:
            pad = ember.full((batch - bs, *trail), padding_value, dtype=data.dtype,
                             device=data.device)
            rows = ember.cat([rows, pad], dim=0)
        steps.append(rows)
    for _ in range(max_len - len(batch_sizes)):
        steps.append(ember.full((batch, *trail), padding_value, dtype=data.dtype,
                                device=data.device))
    padded = ember.stack(steps, dim=0)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = ember.tensor([sum(1 for bs in batch_sizes if bs > b) for b in range(batch)],
                           dtype=ember.int64)
    if sequence.unsorted_indices is not None:
        idx = sequence.unsorted_indices
        return (padded.index_select(0 if batch_first else 1, idx), lengths[idx.cpu()])
    return padded, lengths


def _broadcast_check(slot: tuple[int, ...], seq: tuple[int, ...]) -> None:
    # the error torch's copy into the output raises when ``seq`` does not broadcast
    nd = max(len(slot), len(seq))
    for back in range(1, nd + 1):
        a = slot[-back] if back <= len(slot) else 1
        b = seq[-back] if back <= len(seq) else 1
        if a != b and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {nd - back}")


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack variable-length sequences into one padded tensor.

    Args:
        sequences: tensors of shape ``(L_i, *)`` (the trailing dims of the first one are
            used; the others must broadcast to them).
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``, ``T = max(L_i)``.
        padding_value: the value of the padding entries.
        padding_side: ``"right"`` (pad after each sequence) or ``"left"``.

    Returns:
        The padded batch, in the dtype of the first sequence.

    >>> import ember
    >>> pad_sequence([ember.tensor([1, 2, 3]), ember.tensor([4])], batch_first=True)
    tensor([[1, 2, 3],
            [4, 0, 0]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = sequences[0]
    trail = tuple(first.shape[1:])
    max_len = max(s.shape[0] for s in sequences)
    rows = []
    for seq in sequences:
        length = seq.shape[0]
        _broadcast_check((length, *trail), tuple(seq.shape))
        body = seq.to(first.dtype).expand(length, *trail) if trail else seq.to(first.dtype)
        if length < max_len:
            pad = ember.full((max_len - length, *trail), padding_value, dtype=first.dtype,
                             device=first.device)
            parts = [body, pad] if padding_side == "right" else [pad, body]
            body = ember.cat(parts, dim=0)
        rows.append(body)
    return ember.stack(rows, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
                   ) -> list[Tensor]:
    """Split a padded batch back into its sequences (right padding assumed).

    Args:
        padded_sequences: ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``).
        lengths: the length of each sequence.

    Returns:
        A list of ``B`` tensors of shapes ``(lengths[i], *)``.
    """
    batch_major = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [batch_major[i, :int(length)] for i, length in enumerate(lengths.tolist())]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes ``(L_i, *)`` (``pad_sequence`` then
    ``pack_padded_sequence``)."""
    lengths = ember.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo :func:`pack_sequence`: the list of sequences in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
