"""parameters_to_vector / vector_to_parameters, fusion, memory format, skip_init."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from small_modules import BatchNormLike, ConvLike, Linear, Tanh  # noqa: E402
from utils_parity import DTYPES, close, copy_state, e, family_class, tdt  # noqa: E402

import ember  # noqa: E402


def _linear_pair(dtype, i=4, o=3):
    t = torch.nn.Linear(i, o).to(tdt(dtype))
    m = Linear(i, o, dtype=getattr(ember, dtype))
    copy_state(t, m)
    return t, m


@pytest.mark.parametrize("dtype", DTYPES)
def test_parameters_to_vector_and_back(dtype):
    t, m = _linear_pair(dtype)
    tv = torch.nn.utils.parameters_to_vector(t.parameters())
    ev = ember.nn.utils.parameters_to_vector(m.parameters())
    close(ev, tv, dtype)
    # gradient flows back to each parameter
    (tv * torch.arange(tv.numel(), dtype=tv.dtype)).sum().backward()
    (ev * ember.arange(ev.numel(), dtype=ev.dtype)).sum().backward()
    close(m.weight.grad, t.weight.grad, dtype)
    close(m.bias.grad, t.bias.grad, dtype)
    new = torch.randn(tv.numel(), dtype=tdt(dtype))
    torch.nn.utils.vector_to_parameters(new, t.parameters())
    ember.nn.utils.vector_to_parameters(e(new), m.parameters())
    close(m.weight, t.weight, dtype)
    close(m.bias, t.bias, dtype)
    assert isinstance(m.weight, ember.nn.Parameter)


def test_vector_to_parameters_rejects_non_tensor():
    t, m = _linear_pair("float32")
    with pytest.raises(TypeError) as terr:
        torch.nn.utils.vector_to_parameters([1.0], t.parameters())
    with pytest.raises(TypeError) as eerr:
        ember.nn.utils.vector_to_parameters([1.0], m.parameters())
    assert str(eerr.value) == str(terr.value)


def _bn_pair(dtype, features, affine=True, seed=0):
    torch.manual_seed(seed)
    tb = torch.nn.BatchNorm2d(features, affine=affine).to(tdt(dtype))
    tb.running_mean.uniform_(-1, 1)
    tb.running_var.uniform_(0.5, 2)
    if affine:
        with torch.no_grad():
            tb.weight.uniform_(0.5, 1.5)
            tb.bias.uniform_(-1, 1)
    eb = BatchNormLike(features, affine=affine, dtype=getattr(ember, dtype))
    copy_state(tb, eb)
    return tb.eval(), eb.eval()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(dtype, bias, affine, transpose):
    # any module with weight/bias/training fuses (ember-conv is not needed for the math)
    if transpose:
        tc = torch.nn.ConvTranspose2d(3, 4, 2, bias=bias).to(tdt(dtype))
        ec = ConvLike(3, 4, (2, 2), bias=bias, dtype=getattr(ember, dtype), transposed=True)
    else:
        tc = torch.nn.Conv2d(3, 4, 2, bias=bias).to(tdt(dtype))
        ec = ConvLike(4, 3, (2, 2), bias=bias, dtype=getattr(ember, dtype))
    copy_state(tc, ec)
    tb, eb = _bn_pair(dtype, 4, affine)
    tc.eval(), ec.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    assert type(ef) is type(ec) and ef is not ec
    close(ef.weight, tf.weight, dtype)
    close(ef.bias, tf.bias, dtype)
    close(ec.weight, tc.weight, dtype)        # the original is left alone
    assert isinstance(ef.weight, ember.nn.Parameter) and ef.weight.dtype == ec.weight.dtype
    # the fused weights reproduce bn(conv(x)) (checked with torch's convolution)
    x = torch.randn(2, 3, 5, 5, dtype=tdt(dtype))
    tc.weight.data, fused_bias = torch.tensor(ef.weight.detach().numpy()), ef.bias
    tc.bias = torch.nn.Parameter(torch.tensor(fused_bias.detach().numpy()))
    close(tc(x), tf(x), dtype)


def test_fuse_real_conv_and_batchnorm_modules():
    conv_cls, bn_cls = family_class("Conv2d"), family_class("BatchNorm2d")
    if conv_cls is None or bn_cls is None:
        # without ember-conv/ember-layers those modules cannot exist; the names say what
        # to install
        from ember.plugins.namespace import MissingPluginError

        missing = "Conv2d" if conv_cls is None else "BatchNorm2d"
        with pytest.raises(MissingPluginError, match=f"ember.nn.{missing} is provided by ember-"):
            getattr(ember.nn, missing)
        return
    tc, tb = torch.nn.Conv2d(3, 4, 3).double().eval(), _bn_pair("float64", 4)[0]
    ec, eb = conv_cls(3, 4, 3, dtype=ember.float64).eval(), bn_cls(4, dtype=ember.float64).eval()
    copy_state(tc, ec)
    copy_state(tb, eb)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    close(ef(e(x)), tb(tc(x)))
    assert type(ef) is conv_cls


def test_fuse_requires_eval():
    ec, eb = ConvLike(4, 3, (3, 3)), BatchNormLike(4)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        ember.nn.utils.fuse_conv_bn_eval(ec, eb)
    el, eb1 = Linear(3, 4), BatchNormLike(4)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        ember.nn.utils.fuse_linear_bn_eval(el, eb1)
    ec.eval(), eb.eval()
    eb.running_var = None
    with pytest.raises(AssertionError, match="bn.running_mean and bn.running_var must not be "
                                             "None"):
        ember.nn.utils.fuse_conv_bn_eval(ec, eb)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("features", [5, 1])
def test_fuse_linear_bn_eval(dtype, features):
    tl = torch.nn.Linear(3, 5).to(tdt(dtype)).eval()
    el = Linear(3, 5, dtype=getattr(ember, dtype)).eval()
    copy_state(tl, el)
    tb, eb = _bn_pair(dtype, features)
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    ef = ember.nn.utils.fuse_linear_bn_eval(el, eb)
    close(ef.weight, tf.weight, dtype)
    close(ef.bias, tf.bias, dtype)
    x = torch.randn(4, 3, dtype=tdt(dtype))
    close(ef(e(x)), tf(x), dtype)


def test_fuse_linear_bn_mismatch_message():
    tl, tb = torch.nn.Linear(3, 5).eval(), torch.nn.BatchNorm1d(4).eval()
    el, eb = Linear(3, 5).eval(), BatchNormLike(4).eval()
    with pytest.raises(AssertionError) as terr:
        torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    with pytest.raises(AssertionError) as eerr:
        ember.nn.utils.fuse_linear_bn_eval(el, eb)
    assert str(eerr.value) == str(terr.value)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fuse_weights_functions(dtype):
    rng = np.random.default_rng(1)
    arrs = [rng.standard_normal(s).astype(dtype) for s in [(4, 3, 2, 2), (4,), (4,), (4,),
                                                            (4,), (4,)]]
    arrs[3] = np.abs(arrs[3]) + 0.5
    t_args = [torch.tensor(a) for a in arrs]
    e_args = [ember.tensor(a) for a in arrs]
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(t_args[0], t_args[1], t_args[2], t_args[3],
                                                 1e-5, t_args[4], t_args[5])
    ew, eb = ember.nn.utils.fuse_conv_bn_weights(e_args[0], e_args[1], e_args[2], e_args[3],
                                                 1e-5, e_args[4], e_args[5])
    close(ew, tw, dtype)
    close(eb, tb, dtype)
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(t_args[0], None, t_args[2], t_args[3],
                                                 1e-3, None, None)
    ew, eb = ember.nn.utils.fuse_conv_bn_weights(e_args[0], None, e_args[2], e_args[3],
                                                 1e-3, None, None)
    close(ew, tw, dtype)
    close(eb, tb, dtype)
    lw = rng.standard_normal((4, 3)).astype(dtype)
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(torch.tensor(lw), None, *t_args[2:4], 1e-5,
                                                   *t_args[4:6])
    ew, eb = ember.nn.utils.fuse_linear_bn_weights(ember.tensor(lw), None, *e_args[2:4], 1e-5,
                                                   *e_args[4:6])
    close(ew, tw, dtype)
    close(eb, tb, dtype)


def test_memory_format_relayout_matches_torch_strides():
    from ember_utils.memory_format import _relayout

    w = torch.randn(4, 3, 2, 5)
    ew = _relayout(e(w), ember.channels_last)
    tw = w.clone(memory_format=torch.channels_last)
    assert ew.stride() == tw.stride()
    assert ew.is_contiguous(memory_format=ember.channels_last)
    close(ew, tw, "float32")
    w3 = torch.randn(2, 3, 2, 2, 2)
    ew3 = _relayout(e(w3), ember.channels_last_3d)
    assert ew3.stride() == w3.clone(memory_format=torch.channels_last_3d).stride()
    back = _relayout(ew, ember.contiguous_format)
    assert back.is_contiguous() and back.stride() == w.stride()
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        _relayout(e(w3), ember.channels_last)


def test_convert_conv_weight_memory_format():
    conv2d, convt2d = family_class("Conv2d"), family_class("ConvTranspose2d")
    # modules that are not convolutions keep their layout; the tree is returned
    tree = ember.nn.Sequential(Linear(3, 3), ember.nn.Sequential(ConvLike(4, 3, (2, 2))))
    strides = tree[1][0].weight.stride()
    assert ember.nn.utils.convert_conv2d_weight_memory_format(tree, ember.channels_last) is tree
    assert ember.nn.utils.convert_conv3d_weight_memory_format(tree, ember.channels_last) is tree
    assert tree[1][0].weight.stride() == strides
    if conv2d is None:
        return
    tseq = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                               torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 2, 3)))
    eseq = ember.nn.Sequential(conv2d(3, 4, 3), Tanh(), ember.nn.Sequential(convt2d(4, 2, 3)))
    copy_state(tseq, eseq)
    x = torch.randn(2, 3, 7, 7)
    before = eseq(e(x))
    torch.nn.utils.convert_conv2d_weight_memory_format(tseq, torch.channels_last)
    assert ember.nn.utils.convert_conv2d_weight_memory_format(eseq, ember.channels_last) is eseq
    for tw, ew in [(tseq[0].weight, eseq[0].weight), (tseq[2][0].weight, eseq[2][0].weight)]:
        assert ew.is_contiguous(memory_format=ember.channels_last)
        assert ew.stride() == tw.stride()
        assert isinstance(ew, ember.nn.Parameter)
    close(eseq(e(x)), before, "float32")


def test_skip_init():
    class ELin(ember.nn.Module):
        def __init__(self, i, o, bias=True, device=None):
            super().__init__()
            self.weight = ember.nn.Parameter(ember.ones(o, i, device=device))
            self.bias = ember.nn.Parameter(ember.ones(o, device=device)) if bias else None
            self.register_buffer("count", ember.zeros(1, device=device))

    m = ember.nn.utils.skip_init(ELin, 5, 2, bias=False)
    t = torch.nn.utils.skip_init(torch.nn.Linear, 5, 2, bias=False)
    assert m.weight.shape == tuple(t.weight.shape)
    assert m.bias is None and t.bias is None
    assert m.count.shape == (1,)
    assert isinstance(m.weight, ember.nn.Parameter) and m.weight.requires_grad
    assert m.weight.device.type == "cpu"

    class NoDevice(ember.nn.Module):
        def __init__(self):
            super().__init__()

    class TNoDevice(torch.nn.Module):
        def __init__(self):
            super().__init__()

    for fn, cls in [(ember.nn.utils.skip_init, NoDevice), (torch.nn.utils.skip_init, TNoDevice)]:
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
            fn(cls)
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        ember.nn.utils.skip_init(int)
