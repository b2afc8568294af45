"""Embedding, EmbeddingBag, one_hot and the distance ops against torch: outputs, weight
and input gradients, every option, in-place max_norm renormalization, reprs and errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, F, arr, check, check_error, check_module, np_of  # noqa: E402

IDX = np.array([[1, 2, 4, 5], [4, 3, 2, 9], [2, 2, 0, 7]])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("scale", [False, True])
def test_embedding_functional(padding_idx, scale, dtype):
    check(lambda lib, i, w: F(lib).embedding(i, w, padding_idx=padding_idx,
                                             scale_grad_by_freq=scale),
          Arg(IDX), Arg(arr((10, 3), dtype)), gradgrad=dtype == "float64")


def test_embedding_int32_and_0d_indices():
    check(lambda lib, i, w: F(lib).embedding(i, w), Arg(IDX.astype("int32")), Arg(arr((10, 3))))
    check(lambda lib, i, w: F(lib).embedding(i, w), Arg(np.array(3)), Arg(arr((10, 3))))


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalizes_in_place(norm_type):
    w0 = arr((10, 3), "float64", -3, 3)
    res = {}
    for lib in (ember, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        out = F(lib).embedding(lib.tensor(IDX), w, max_norm=1.5, norm_type=norm_type)
        out.sum().backward()
        res[lib.__name__] = (np_of(out), np_of(w), np_of(w.grad))
    for a, b in zip(res["ember"], res["torch"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert not np.allclose(res["ember"][1], w0)  # rows were renormalized in place


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"scale_grad_by_freq": True},
                                {"max_norm": 1.0}, {"max_norm": 2.0, "norm_type": 1.0},
                                {"sparse": True}])
def test_embedding_module(kw, dtype):
    def make(lib):
        return lib.nn.Embedding(10, 4, dtype=getattr(lib, dtype), **kw)

    e_mod, t_mod = check_module(make, Arg(IDX))
    assert repr(e_mod) == repr(t_mod)


def test_embedding_init_and_from_pretrained():
    e = ember.nn.Embedding(1000, 20, padding_idx=3)
    w = e.weight.detach().numpy()
    assert (w[3] == 0).all() and abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    pre = arr((5, 3))
    for freeze in (True, False):
        e_mod = ember.nn.Embedding.from_pretrained(ember.tensor(pre), freeze=freeze,
                                                   padding_idx=1)
        t_mod = torch.nn.Embedding.from_pretrained(torch.tensor(pre), freeze=freeze,
                                                   padding_idx=1)
        assert e_mod.weight.requires_grad == t_mod.weight.requires_grad == (not freeze)
        assert repr(e_mod) == repr(t_mod)
        np.testing.assert_allclose(np_of(e_mod(ember.tensor([1, 4]))),
                                   np_of(t_mod(torch.tensor([1, 4]))))


BAG_CASES = [
    {"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
    {"mode": "sum", "padding_idx": 2}, {"mode": "mean", "padding_idx": 2},
    {"mode": "max", "padding_idx": 2},
    {"mode": "sum", "max_norm": 1.0}, {"mode": "mean", "include_last_offset": True},
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", BAG_CASES)
@pytest.mark.parametrize("form", ["2d", "offsets"])
def test_embedding_bag_module(kw, form, dtype):
    def make(lib):
        return lib.nn.EmbeddingBag(10, 3, dtype=getattr(lib, dtype), **kw)

    if form == "2d":
        if kw.get("include_last_offset"):
            return  # 2-D input ignores include_last_offset, covered by the "sum" cases
        inputs = (Arg(IDX),)
    else:
        flat = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2, 2])
        offs = np.array([0, 4, 4, 7, 10]) if kw.get("include_last_offset") else \
            np.array([0, 4, 4, 7])
        inputs = (Arg(flat), Arg(offs))
    e_mod, t_mod = check_module(make, *inputs)
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    # torch 2.13's CPU embedding_bag divides by the wrong index count
    # (pytorch/pytorch#190063); the reference is its correct embedding + reduction.
    def ember_fn(lib, i, w):
        return F(lib).embedding_bag(i, w, mode=mode, scale_grad_by_freq=True)

    def reference(lib, i, w):
        rows = F(lib).embedding(i, w, scale_grad_by_freq=True)
        return rows.sum(1) if mode == "sum" else rows.mean(1)

    check(lambda lib, i, w: (ember_fn if lib is ember else reference)(lib, i, w),
          Arg(IDX), Arg(arr((10, 3), "float64")))


@pytest.mark.parametrize("dtype", FLOATS)
def test_embedding_bag_per_sample_weights(dtype):
    check(lambda lib, i, o, w, psw: F(lib).embedding_bag(i, w, o, mode="sum",
                                                         per_sample_weights=psw),
          Arg(np.array([1, 2, 4, 5, 4, 3, 2, 9])), Arg(np.array([0, 3, 3])),
          Arg(arr((10, 3), dtype)), Arg(arr(8, dtype, seed=5)))
    check(lambda lib, i, w, psw: F(lib).embedding_bag(i, w, mode="sum", padding_idx=2,
                                                      per_sample_weights=psw),
          Arg(IDX), Arg(arr((10, 3), dtype)), Arg(arr(IDX.shape, dtype, seed=5)))


def test_embedding_bag_from_pretrained():
    pre = arr((6, 3))
    for freeze in (True, False):
        e = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(pre), freeze=freeze, mode="max")
        t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(pre), freeze=freeze, mode="max")
        assert e.weight.requires_grad == t.weight.requires_grad
        assert repr(e) == repr(t)
        np.testing.assert_allclose(np_of(e(ember.tensor([[0, 5, 2]]))),
                                   np_of(t(torch.tensor([[0, 5, 2]]))))


def test_embedding_errors():
    check_error(lambda lib, i, w: F(lib).embedding(i, w), Arg(np.array([5])),
                Arg(arr((3, 4))), match="index out of range in self")
    check_error(lambda lib, i, w: F(lib).embedding(i, w), Arg(np.array([1.0]), grad=False),
                Arg(arr((3, 4))), match="embedding.*Long, Int")
    check_error(lambda lib: lib.nn.Embedding(3, 2, padding_idx=5),
                match="Padding_idx must be within num_embeddings")
    check_error(lambda lib: lib.nn.EmbeddingBag(3, 2, padding_idx=-4),
                match="padding_idx must be within num_embeddings")
    check_error(lambda lib, i, w: F(lib).embedding_bag(i, w, mode="max",
                                                       scale_grad_by_freq=True),
                Arg(IDX), Arg(arr((10, 3))), match="max mode does not support scaling")
    check_error(lambda lib, i, w: F(lib).embedding_bag(i, w, mode="prod"),
                Arg(IDX), Arg(arr((10, 3))), match="mode has to be one of sum, mean or max")
    check_error(lambda lib, i, w: F(lib).embedding_bag(i, w), Arg(np.array([1, 2])),
                Arg(arr((10, 3))), match="offsets has to be a 1D Tensor but got None")
    check_error(lambda lib, i, w, p: F(lib).embedding_bag(i, w, mode="mean",
                                                          per_sample_weights=p),
                Arg(IDX), Arg(arr((10, 3))), Arg(arr(IDX.shape)),
                match="per_sample_weights is only supported for mode='sum'")
    check_error(lambda lib, i, w, o: F(lib).embedding_bag(i, w, o), Arg(np.array([1, 2])),
                Arg(arr((10, 3))), Arg(np.array([1])), match="offsets\\[0\\] has to be 0")


def test_one_hot():
    for labels, n in ((np.array([[0, 2], [1, 4]]), -1), (np.array([3, 0]), 6),
                      (np.zeros((0,), dtype="int64"), 3)):
        check(lambda lib, t, n=n: F(lib).one_hot(t, n), Arg(labels), grad=False)
    check_error(lambda lib, t: F(lib).one_hot(t), Arg(np.array([1.0]), grad=False),
                match="one_hot is only applicable to index tensor of type LongTensor")
    check_error(lambda lib, t: F(lib).one_hot(t), Arg(np.array([-1])),
                match="Class values must be non-negative")
    check_error(lambda lib, t: F(lib).one_hot(t, 2), Arg(np.array([3])),
                match="Class values must be smaller than num_classes")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,shapes", [(1, ((4, 5), (4, 5))), (-1, ((3, 4, 5), (4, 5))),
                                        (0, ((5, 3), (5, 1)))])
def test_cosine_similarity(dim, shapes, dtype):
    check(lambda lib, a, b: F(lib).cosine_similarity(a, b, dim),
          Arg(arr(shapes[0], dtype)), Arg(arr(shapes[1], dtype, seed=1)),
          gradgrad=dtype == "float64")
    e_mod, t_mod = check_module(lambda lib: lib.nn.CosineSimilarity(dim, 1e-6),
                                Arg(arr(shapes[0], dtype)), Arg(arr(shapes[1], dtype, seed=1)))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim, dtype):
    for shapes in (((4, 5), (4, 5)), ((5,), (5,)), ((4, 5), (5,))):
        check(lambda lib, a, b: F(lib).pairwise_distance(a, b, p, 1e-6, keepdim),
              Arg(arr(shapes[0], dtype)), Arg(arr(shapes[1], dtype, seed=1)))
    e_mod, t_mod = check_module(lambda lib: lib.nn.PairwiseDistance(p, 1e-4, keepdim),
                                Arg(arr((4, 5), dtype)), Arg(arr((4, 5), dtype, seed=1)))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf")])
def test_pdist(p, dtype):
    check(lambda lib, x: F(lib).pdist(x, p), Arg(arr((6, 4), dtype)))


def test_distance_errors():
    check_error(lambda lib, x: F(lib).pdist(x), Arg(arr(3)),
                match="pdist only supports 2D tensors, got: 1D")
    check_error(lambda lib, a, b: F(lib).cosine_similarity(a, b), Arg(arr((3, 4))),
                Arg(arr((3, 5))), match=r"size of tensor a \(4\) must match the size of tensor "
                                        r"b \(5\).*cosine_similarity")
    check_error(lambda lib, a, b: F(lib).pairwise_distance(a, b), Arg(arr((3, 4))),
                Arg(arr((3, 5))), match="pairwise_distance")
