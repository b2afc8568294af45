"""parameters_to_vector / vector_to_parameters, fusion, memory format, skip_init."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from utils_parity import DTYPES, close, copy_state, e, tdt  # noqa: E402

import ember  # noqa: E402


def _linear_pair(dtype, i=4, o=3):
    t = torch.nn.Linear(i, o).to(tdt(dtype))
    m = ember.nn.Linear(i, o, dtype=getattr(ember, dtype))
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


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_fuse_conv_bn_eval(dtype, bias, affine):
    torch.manual_seed(0)
    tc = torch.nn.Conv2d(3, 4, 3, bias=bias).to(tdt(dtype))
    tb = torch.nn.BatchNorm2d(4, affine=affine).to(tdt(dtype))
    tb.running_mean.uniform_(-1, 1)
    tb.running_var.uniform_(0.5, 2)
    if affine:
        with torch.no_grad():
            tb.weight.uniform_(0.5, 1.5)
            tb.bias.uniform_(-1, 1)
    ec = ember.nn.Conv2d(3, 4, 3, bias=bias, dtype=getattr(ember, dtype))
    eb = ember.nn.BatchNorm2d(4, affine=affine, dtype=getattr(ember, dtype))
    copy_state(tc, ec)
    copy_state(tb, eb)
    tc.eval(), tb.eval(), ec.eval(), eb.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb)
    assert type(ef) is type(ec) and ef is not ec
    close(ef.weight, tf.weight, dtype)
    close(ef.bias, tf.bias, dtype)
    x = torch.randn(2, 3, 6, 6, dtype=tdt(dtype))
    close(ef(e(x)), eb(ec(e(x))), dtype)
    assert isinstance(ef.weight, ember.nn.Parameter)


def test_fuse_conv_bn_transposed():
    tc = torch.nn.ConvTranspose2d(3, 4, 3).double()
    tb = torch.nn.BatchNorm2d(4).double()
    tb.running_mean.uniform_(-1, 1)
    tb.running_var.uniform_(0.5, 2)
    ec = ember.nn.ConvTranspose2d(3, 4, 3, dtype=ember.float64)
    eb = ember.nn.BatchNorm2d(4, dtype=ember.float64)
    copy_state(tc, ec)
    copy_state(tb, eb)
    for mod in (tc, tb, ec, eb):
        mod.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=True)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb, transpose=True)
    close(ef.weight, tf.weight)
    close(ef.bias, tf.bias)


def test_fuse_requires_eval():
    ec, eb = ember.nn.Conv2d(3, 4, 3), ember.nn.BatchNorm2d(4)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        ember.nn.utils.fuse_conv_bn_eval(ec, eb)
    el, eb1 = ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        ember.nn.utils.fuse_linear_bn_eval(el, eb1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("features", [5, 1])
def test_fuse_linear_bn_eval(dtype, features):
    tl = torch.nn.Linear(3, 5).to(tdt(dtype))
    tb = torch.nn.BatchNorm1d(features).to(tdt(dtype))
    tb.running_mean.uniform_(-1, 1)
    tb.running_var.uniform_(0.5, 2)
    el = ember.nn.Linear(3, 5, dtype=getattr(ember, dtype))
    eb = ember.nn.BatchNorm1d(features, dtype=getattr(ember, dtype))
    copy_state(tl, el)
    copy_state(tb, eb)
    for mod in (tl, tb, el, eb):
        mod.eval()
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    ef = ember.nn.utils.fuse_linear_bn_eval(el, eb)
    close(ef.weight, tf.weight, dtype)
    close(ef.bias, tf.bias, dtype)


def test_fuse_linear_bn_mismatch_message():
    tl, tb = torch.nn.Linear(3, 5).eval(), torch.nn.BatchNorm1d(4).eval()
    el, eb = ember.nn.Linear(3, 5).eval(), ember.nn.BatchNorm1d(4).eval()
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


def test_convert_conv2d_weight_memory_format():
    tseq = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                               torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 2, 3)))
    eseq = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.ReLU(),
                               ember.nn.Sequential(ember.nn.ConvTranspose2d(4, 2, 3)))
    copy_state(tseq, eseq)
    x = torch.randn(2, 3, 7, 7)
    assert torch.nn.utils.convert_conv2d_weight_memory_format(tseq, torch.channels_last) is tseq
    out = ember.nn.utils.convert_conv2d_weight_memory_format(eseq, ember.channels_last)
    assert out is eseq
    for tw, ew in [(tseq[0].weight, eseq[0].weight), (tseq[2][0].weight, eseq[2][0].weight)]:
        assert ew.is_contiguous(memory_format=ember.channels_last)
        assert tw.is_contiguous(memory_format=torch.channels_last)
        assert ew.stride() == tw.stride()
        assert isinstance(ew, ember.nn.Parameter)
    close(eseq(e(x)), tseq(x), "float32")
    ember.nn.utils.convert_conv2d_weight_memory_format(eseq, ember.contiguous_format)
    assert eseq[0].weight.is_contiguous()


def test_convert_conv3d_weight_memory_format():
    t = torch.nn.Conv3d(2, 3, 2)
    m = ember.nn.Conv3d(2, 3, 2)
    torch.nn.utils.convert_conv3d_weight_memory_format(t, torch.channels_last_3d)
    ember.nn.utils.convert_conv3d_weight_memory_format(m, ember.channels_last_3d)
    assert m.weight.stride() == t.weight.stride()


def test_skip_init():
    m = ember.nn.utils.skip_init(ember.nn.Linear, 5, 2, bias=False)
    t = torch.nn.utils.skip_init(torch.nn.Linear, 5, 2, bias=False)
    assert m.weight.shape == tuple(t.weight.shape)
    assert m.bias is None and t.bias is None
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
