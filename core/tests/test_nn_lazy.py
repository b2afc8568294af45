"""Lazy modules and uninitialized tensors against torch.

A small lazy layer is written once for both libraries (LazyModuleMixin + a plain layer as
``cls_to_become``); the tests run the same sequences on both and compare.
"""

import copy

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def norm(msg):
    return msg.replace("torch", "ember")


def same_error(torch_call, ember_call, match_message=True):
    with pytest.raises(Exception) as t_err:
        torch_call()
    with pytest.raises(Exception) as e_err:
        ember_call()
    assert type(e_err.value).__name__ == type(t_err.value).__name__
    if match_message:
        assert str(e_err.value) == norm(str(t_err.value))


def build(lib):
    nn = lib.nn
    lazy_mixin = lib.nn.modules.lazy.LazyModuleMixin

    class Affine(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(lib.zeros(n_out, n_in))
            self.bias = nn.Parameter(lib.zeros(n_out))
            self.register_buffer("mean", lib.zeros(n_in))

        def forward(self, x):
            return (x - self.mean) @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in={self.n_in}, out={self.n_out}"

    class LazyAffine(lazy_mixin, Affine):
        cls_to_become = Affine

        def __init__(self, n_out, lazy_buffer=True):
            super().__init__(0, n_out)
            self.weight = nn.UninitializedParameter()
            self.bias = nn.UninitializedParameter()
            if lazy_buffer:
                self.mean = nn.UninitializedBuffer()

        def initialize_parameters(self, x):
            if self.has_uninitialized_params():
                with lib.no_grad():
                    self.n_in = x.shape[-1]
                    self.weight.materialize((self.n_out, self.n_in))
                    self.bias.materialize((self.n_out,))
                    if lazy_mixin.has_uninitialized_params(self):
                        self.mean.materialize((self.n_in,))
                    else:
                        self.mean = lib.zeros(self.n_in)
                    n = self.n_out * self.n_in
                    self.weight.copy_(lib.linspace(-1.0, 1.0, n).reshape(self.n_out,
                                                                          self.n_in))
                    self.bias.fill_(0.25)
                    self.mean.fill_(0.5)

    class Incomplete(lazy_mixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.UninitializedParameter()

        def initialize_parameters(self, x):
            pass

        def forward(self, x):
            return x

    class Unimplemented(lazy_mixin, nn.Module):
        def forward(self, x):
            return x

    return LazyAffine, Affine, Incomplete, Unimplemented


def x_of(lib, dtype=None):
    arr = np.arange(8, dtype=np.float64).reshape(2, 4) / 4
    t = lib.tensor(arr)
    return t.float() if dtype is None else t


def test_first_forward_initializes_and_changes_class():
    results = []
    for lib in (torch, ember):
        m = build(lib)[0](3)
        before = (m.has_uninitialized_params(), type(m).__name__, norm(repr(m)))
        out = m(x_of(lib))
        after = (type(m).__name__, repr(m),
                 [(n, tuple(p.shape), type(p).__name__) for n, p in m.named_parameters()],
                 [(n, tuple(b.shape), type(b).__name__) for n, b in m.named_buffers()],
                 hasattr(m, "_initialize_hook"), len(m._forward_pre_hooks),
                 len(m._load_state_dict_pre_hooks))
        results.append((before, after, out.detach().numpy().round(6).tolist()))
    assert results[1] == results[0]


def test_conversion_before_initialization_sets_dtype():
    dtypes = []
    for lib in (torch, ember):
        m = build(lib)[0](2, lazy_buffer=False).double()
        kinds = [type(p).__name__ for p in m.parameters()]
        out = m(x_of(lib, dtype="float64"))
        dtypes.append((kinds, norm(str(m.weight.dtype)), norm(str(out.dtype)),
                       norm(str(m.mean.dtype))))
    assert dtypes[1] == dtypes[0]
    assert dtypes[0][1] == "ember.float64"


def test_uninitialized_tensors_refuse_use():
    for call, match_message in [(lambda p: p + 1, False), (lambda p: p.sum(), False),
                                (lambda p: p.numel(), False), (lambda p: p.shape, True)]:
        tp = torch.nn.UninitializedParameter()
        ep = ember.nn.UninitializedParameter()
        same_error(lambda call=call, tp=tp: call(tp), lambda call=call, ep=ep: call(ep),
                   match_message=match_message)
    ep = ember.nn.UninitializedParameter()
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        ep * 2
    tb, eb = torch.nn.UninitializedBuffer(), ember.nn.UninitializedBuffer()
    same_error(lambda: tb.shape, lambda: eb.shape)
    same_error(lambda: tb.mean(), lambda: eb.mean(), match_message=False)


def test_uninitialized_tensor_metadata_matches_torch():
    rows = []
    for lib in (torch, ember):
        p = lib.nn.UninitializedParameter(dtype=lib.float64)
        b = lib.nn.UninitializedBuffer(persistent=False)
        rows.append((repr(p), str(p), norm(str(p.dtype)), str(p.device), p.requires_grad,
                     tuple(p.size()), type(p.data).__name__, tuple(p.data.shape),
                     type(p.float()).__name__, norm(str(p.float().dtype)),
                     repr(b), b.requires_grad, b.persistent, isinstance(b, lib.nn.Buffer),
                     lib.nn.parameter.is_lazy(p), lib.nn.parameter.is_lazy(lib.zeros(1))))
    assert rows[1] == rows[0]


def test_materialize_turns_into_target_class():
    rows = []
    for lib in (torch, ember):
        p = lib.nn.UninitializedParameter(requires_grad=False)
        p.materialize((2, 3), dtype=lib.float64)
        b = lib.nn.UninitializedBuffer()
        b.materialize(4)
        rows.append((type(p).__name__, tuple(p.shape), norm(str(p.dtype)), p.requires_grad,
                     type(b).__name__, tuple(b.shape)))
    assert rows[1] == rows[0]


def test_state_dict_of_lazy_module_and_loading_materializes():
    rows = []
    for lib in (torch, ember):
        LazyAffine = build(lib)[0]
        lazy = LazyAffine(3)
        sd = lazy.state_dict()
        row = [list(sd), [type(v).__name__ for v in sd.values()]]
        ready = LazyAffine(3)
        ready(x_of(lib))
        fresh = LazyAffine(3)
        result = fresh.load_state_dict(ready.state_dict())
        row += [repr(result), type(fresh).__name__, fresh.has_uninitialized_params(),
                [(n, tuple(p.shape)) for n, p in fresh.named_parameters()]]
        out = fresh(x_of(lib))
        row += [type(fresh).__name__, out.detach().numpy().round(6).tolist()]
        rows.append(row)
    assert rows[1] == rows[0]


def test_loading_into_a_lazy_module_from_a_lazy_module_keeps_it_lazy():
    rows = []
    for lib in (torch, ember):
        LazyAffine = build(lib)[0]
        a, b = LazyAffine(2), LazyAffine(2)
        b.load_state_dict(a.state_dict())
        rows.append(b.has_uninitialized_params())
    assert rows[1] == rows[0] is True


def test_lazy_errors_match_torch():
    _, _, t_incomplete, t_unimpl = build(torch)
    _, _, e_incomplete, e_unimpl = build(ember)
    same_error(lambda: t_incomplete()(torch.ones(1)), lambda: e_incomplete()(ember.ones(1)))
    same_error(lambda: t_unimpl()(torch.ones(1)), lambda: e_unimpl()(ember.ones(1)))
    t_lazy, e_lazy = build(torch)[0](2), build(ember)[0](2)
    same_error(t_lazy._replicate_for_data_parallel, e_lazy._replicate_for_data_parallel)


def test_deepcopy_of_lazy_module():
    rows = []
    for lib in (torch, ember):
        m = build(lib)[0](2, lazy_buffer=False).double()
        twin = copy.deepcopy(m)
        row = [type(twin.weight).__name__, norm(str(twin.weight.dtype)),
               twin.weight is not m.weight]
        out = twin(x_of(lib, dtype="float64"))
        row += [type(twin).__name__, type(m).__name__,
                out.detach().numpy().round(6).tolist()]
        rows.append(row)
    assert rows[1] == rows[0]


def test_conversion_keeps_uninitialized_buffers_like_torch():
    rows = []
    for lib in (torch, ember):
        m = build(lib)[0](2).double()
        row = [type(m.mean).__name__, norm(str(m.mean.dtype))]
        out = m(x_of(lib, dtype="float64"))
        row += [type(m.mean).__name__, norm(str(m.mean.dtype)), norm(str(out.dtype)),
                out.detach().numpy().round(6).tolist()]
        rows.append(row)
    assert rows[1] == rows[0]
    tb, eb = torch.nn.UninitializedBuffer(), ember.nn.UninitializedBuffer()
    same_error(lambda: copy.deepcopy(tb), lambda: copy.deepcopy(eb), match_message=False)


def test_lazy_gradients_flow_after_initialization():
    grads = []
    for lib in (torch, ember):
        m = build(lib)[0](2)
        m(x_of(lib)).sum().backward()
        grads.append((m.weight.grad.numpy().round(6).tolist(),
                      m.bias.grad.numpy().round(6).tolist()))
    assert grads[1] == grads[0]
