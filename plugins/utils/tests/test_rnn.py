import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.nn.utils import rnn as TR  # noqa: E402
from utils_parity import DTYPES, close, e, tdt  # noqa: E402

import ember  # noqa: E402
from ember.nn.utils import rnn as R  # noqa: E402


def _same_packed(ep, tp, dtype="float64"):
    assert isinstance(ep, R.PackedSequence) and isinstance(ep, tuple)
    close(ep.data, tp.data, dtype)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.batch_sizes.dtype == ember.int64 and ep.batch_sizes.device.type == "cpu"
    for a, b in [(ep.sorted_indices, tp.sorted_indices),
                 (ep.unsorted_indices, tp.unsorted_indices)]:
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist() and a.dtype == ember.int64


CASES = [([5, 3, 3, 1], True), ([2, 5, 1, 4], False), ([3], True), ([1, 1, 1], True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths,enforce", CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_roundtrip_and_grads(dtype, lengths, enforce, batch_first):
    T, B = max(lengths) + 1, len(lengths)
    shape = (B, T, 3) if batch_first else (T, B, 3)
    x = torch.randn(*shape, dtype=tdt(dtype), requires_grad=True)
    ex = e(x, True)
    tp = TR.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce)
    ep = R.pack_padded_sequence(ex, lengths, batch_first=batch_first, enforce_sorted=enforce)
    _same_packed(ep, tp, dtype)
    for total in (None, T + 2):
        to, tl = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-7.0,
                                        total_length=total)
        eo, el = R.pad_packed_sequence(ep, batch_first=batch_first, padding_value=-7.0,
                                       total_length=total)
        close(eo, to, dtype)
        assert el.tolist() == tl.tolist() and el.dtype == ember.int64
    coef = torch.randn(*to.shape, dtype=tdt(dtype))
    (to * coef).sum().backward()
    (eo * e(coef)).sum().backward()
    close(ex.grad, x.grad, dtype)


def test_lengths_as_tensor_and_packed_data_grad():
    x = torch.randn(4, 3, 2, dtype=torch.float64, requires_grad=True)
    ex = e(x, True)
    tp = TR.pack_padded_sequence(x, torch.tensor([4, 2, 1]))
    ep = R.pack_padded_sequence(ex, ember.tensor([4, 2, 1]))
    _same_packed(ep, tp)
    coef = torch.randn(*tp.data.shape, dtype=torch.float64)
    (tp.data * coef).sum().backward()
    (ep.data * e(coef)).sum().backward()
    close(ex.grad, x.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(dtype, batch_first, side):
    seqs = [torch.randn(n, 2, 3, dtype=tdt(dtype), requires_grad=True) for n in (3, 5, 1)]
    eseqs = [e(s, True) for s in seqs]
    to = TR.pad_sequence(seqs, batch_first=batch_first, padding_value=1.5, padding_side=side)
    eo = R.pad_sequence(eseqs, batch_first=batch_first, padding_value=1.5, padding_side=side)
    close(eo, to, dtype)
    coef = torch.randn(*to.shape, dtype=tdt(dtype))
    (to * coef).sum().backward()
    (eo * e(coef)).sum().backward()
    for s, es in zip(seqs, eseqs):
        close(es.grad, s.grad, dtype)


def test_pad_sequence_dtypes_and_broadcast():
    seqs = [torch.ones(2, 3, dtype=torch.float64), torch.arange(3.0).reshape(3, 1),
            torch.ones(1, 3, dtype=torch.int64)]
    to = TR.pad_sequence(seqs)
    eo = R.pad_sequence([e(s) for s in seqs])
    close(eo, to)
    assert eo.dtype == ember.float64
    ints = [torch.tensor([1, 2, 3]), torch.tensor([4])]
    eo = R.pad_sequence([e(s) for s in ints], batch_first=True)
    assert eo.tolist() == TR.pad_sequence(ints, batch_first=True).tolist()
    assert eo.dtype == ember.int64


@pytest.mark.parametrize("enforce", [True, False])
def test_pack_and_unpack_sequence(enforce):
    lens = (4, 3, 1) if enforce else (2, 4, 1, 3)
    seqs = [torch.randn(n, 2, dtype=torch.float64) for n in lens]
    tp = TR.pack_sequence(seqs, enforce_sorted=enforce)
    ep = R.pack_sequence([e(s) for s in seqs], enforce_sorted=enforce)
    _same_packed(ep, tp)
    out = R.unpack_sequence(ep)
    ref = TR.unpack_sequence(tp)
    assert len(out) == len(ref)
    for a, b in zip(out, ref):
        close(a, b)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    seqs = [torch.randn(n, 2) for n in (3, 5, 2)]
    padded = TR.pad_sequence(seqs, batch_first=batch_first)
    lengths = torch.tensor([3, 5, 2])
    epadded = e(padded)
    out = R.unpad_sequence(epadded, e(lengths), batch_first=batch_first)
    ref = TR.unpad_sequence(padded.clone(), lengths, batch_first=batch_first)
    for a, b in zip(out, ref):
        close(a, b, "float32")
    assert tuple(epadded.shape) == tuple(padded.shape)   # input left untouched


def test_packed_sequence_class():
    x = torch.randn(4, 3, 2)
    tp = TR.pack_padded_sequence(x, [1, 4, 2], enforce_sorted=False)
    ep = R.pack_padded_sequence(e(x), [1, 4, 2], enforce_sorted=False)
    assert ep._fields == tp._fields == ("data", "batch_sizes", "sorted_indices",
                                        "unsorted_indices")
    data, bs, si, ui = ep
    assert data is ep.data and bs is ep.batch_sizes and si is ep.sorted_indices
    assert ep.to(ember.float64).data.dtype == ember.float64
    assert ep.double().data.dtype == ember.float64
    assert ep.double().float().data.dtype == ember.float32
    assert ep.to(ember.float32) is ep
    assert ep.cpu() is ep
    assert ep.long().data.dtype == ember.int64
    assert not ep.is_cuda
    # built from (data, batch_sizes); unsorted_indices derived from sorted_indices
    p2 = R.PackedSequence(ep.data, ep.batch_sizes, ep.sorted_indices)
    assert p2.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    p3 = R.PackedSequence((ep.data, ep.batch_sizes))
    assert p3.sorted_indices is None and p3.unsorted_indices is None
    with pytest.raises(AssertionError, match="Expected data to be a list or tuple of length 2"):
        R.PackedSequence(ep.data)
    assert R.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert R.invert_permutation(None) is None


def _errors(tfn, efn):
    with pytest.raises(Exception) as terr:
        tfn()
    with pytest.raises(Exception) as eerr:
        efn()
    assert type(eerr.value) is type(terr.value)
    assert str(eerr.value) == str(terr.value)


def test_errors_match_torch():
    x = torch.randn(4, 3, 2)
    ex = e(x)
    for lengths in ([3, 4, 1], [3, 2], [3, 2, 0]):
        _errors(lambda lengths=lengths: TR.pack_padded_sequence(x, lengths),
                lambda lengths=lengths: R.pack_padded_sequence(ex, lengths))
    _errors(lambda: TR.pack_padded_sequence(x, torch.tensor([[3, 2, 1]])),
            lambda: R.pack_padded_sequence(ex, ember.tensor([[3, 2, 1]])))
    _errors(lambda: TR.pack_padded_sequence(torch.randn(0, 3, 2), [3, 2, 1]),
            lambda: R.pack_padded_sequence(ember.randn(0, 3, 2), [3, 2, 1]))
    _errors(lambda: TR.pad_sequence([]), lambda: R.pad_sequence([]))
    _errors(lambda: TR.pad_sequence(5), lambda: R.pad_sequence(5))
    _errors(lambda: TR.pad_sequence([torch.ones(2)], padding_side="up"),
            lambda: R.pad_sequence([ember.ones(2)], padding_side="up"))
    _errors(lambda: TR.pad_sequence([torch.ones(2, 3), torch.ones(3, 2)]),
            lambda: R.pad_sequence([ember.ones(2, 3), ember.ones(3, 2)]))
    tp = TR.pack_padded_sequence(x, [3, 2, 1])
    ep = R.pack_padded_sequence(ex, [3, 2, 1])
    _errors(lambda: TR.pad_packed_sequence(tp, total_length=2),
            lambda: R.pad_packed_sequence(ep, total_length=2))


def test_lengths_beyond_input_rejected():
    with pytest.raises(RuntimeError, match="exceeds the 4 time steps"):
        R.pack_padded_sequence(ember.randn(4, 3, 2), [5, 2, 1])
    assert np.isfinite(R.pack_padded_sequence(ember.randn(4, 3, 2), [4, 2, 1]).data.numpy()).all()
