"""Module hooks against torch: the same hooks on the same models, compared call by call.

Every test registers identical hooks on a torch model and an ember model, runs the same
forward/backward/state-dict calls, and compares the logs the hooks write (order,
arguments, gradient values) and the results the hooks change.
"""

import copy

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

T_MOD = torch.nn.modules.module
E_MOD = ember.nn.modules.module


# ----------------------------------------------------------------------------- helpers
def norm(msg):
    return msg.replace("torch", "ember")


def same_error(torch_call, ember_call):
    with pytest.raises(Exception) as t_err:
        torch_call()
    with pytest.raises(Exception) as e_err:
        ember_call()
    assert type(e_err.value).__name__ == type(t_err.value).__name__
    assert str(e_err.value) == norm(str(t_err.value))


def val(x):
    """A hook argument in a comparable form: arrays for tensors, recursively."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(val(v) for v in x)
    if isinstance(x, dict):
        return {k: val(v) for k, v in x.items()}
    if hasattr(x, "detach"):
        return np.asarray(x.detach().numpy(), dtype=np.float64).round(6).tolist()
    return x


def build(lib):
    nn = lib.nn

    class Scale(nn.Module):
        def __init__(self, n, lo=0.5):
            super().__init__()
            self.w = nn.Parameter(lib.linspace(lo, lo + 1.0, n))

        def forward(self, x, factor=1.0):
            return x * self.w * factor

    class Chain(nn.Module):
        def __init__(self):
            super().__init__()
            self.s1 = Scale(3)
            self.s2 = Scale(3, lo=-1.0)

        def forward(self, x):
            return self.s2(lib.tanh(self.s1(x)))

    class Two(nn.Module):
        def forward(self, a, flag, b):
            return a * b * 2.0, a + b, flag

    class Fails(nn.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    return Chain, Scale, Two, Fails


def inputs(lib, requires_grad=True):
    x = lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=requires_grad)
    return x


@pytest.fixture
def reset_global_backward_kind():
    yield
    T_MOD._global_is_full_backward_hook = None
    ember.nn.modules._hooks._GlobalState.is_full_backward_hook = None


# ----------------------------------------------------------------------------- forward hooks
def _forward_log(lib):
    mod = T_MOD if lib is torch else E_MOD
    chain = build(lib)[0]()
    log = []

    def pre(tag):
        return lambda m, args: log.append(("pre", tag, type(m).__name__, val(args)))

    def pre_kw(m, args, kwargs):
        log.append(("pre_kw", type(m).__name__, val(args), sorted(kwargs)))

    def fwd(tag):
        return lambda m, args, out: log.append(("fwd", tag, type(m).__name__, val(out)))

    def fwd_kw(m, args, kwargs, out):
        log.append(("fwd_kw", type(m).__name__, sorted(kwargs), val(out)))

    handles = [
        chain.register_forward_pre_hook(pre("a")),
        chain.register_forward_pre_hook(pre("first"), prepend=True),
        chain.s1.register_forward_pre_hook(pre_kw, with_kwargs=True),
        chain.s2.register_forward_hook(fwd("b")),
        chain.s2.register_forward_hook(fwd("b-first"), prepend=True),
        chain.register_forward_hook(fwd_kw, with_kwargs=True),
        mod.register_module_forward_pre_hook(pre("global")),
        mod.register_module_forward_hook(fwd("global")),
    ]
    try:
        out = chain(inputs(lib))
    finally:
        for h in handles:
            h.remove()
    log.append(("out", val(out)))
    chain(inputs(lib))  # no hooks left: nothing more is logged
    return log


def test_forward_hook_order_and_arguments_match_torch():
    assert _forward_log(ember) == _forward_log(torch)


def test_forward_hooks_change_args_kwargs_and_output():
    results = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        chain.s1.register_forward_pre_hook(lambda m, args: args[0] * 2)
        chain.s2.register_forward_pre_hook(
            lambda m, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
        chain.register_forward_hook(lambda m, args, out: out + 1)
        out = chain(inputs(lib))
        results.append(val(out))
    assert results[1] == results[0]


def test_bad_pre_hook_result_raises_like_torch():
    calls = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        chain.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
        x = inputs(lib)
        calls.append(lambda chain=chain, x=x: chain(x))
    same_error(*calls)


def test_always_call_hooks_run_when_forward_raises():
    logs = []
    for lib in (torch, ember):
        fails = build(lib)[3]()
        log = []
        fails.register_forward_hook(lambda m, a, o, log=log: log.append(("always", o)),
                                    always_call=True)
        fails.register_forward_hook(lambda m, a, o, log=log: log.append(("normal", o)))
        fails.register_forward_hook(lambda m, a, k, o, log=log: log.append(("kw", sorted(k), o)),
                                    with_kwargs=True, always_call=True)
        with pytest.raises(ValueError, match="forward failed"):
            fails(lib.ones(1))
        logs.append(log)
    assert logs[1] == logs[0] == [("always", None), ("kw", [], None)]


def test_always_call_hook_errors_become_warnings():
    messages = []
    for lib in (torch, ember):
        fails = build(lib)[3]()

        def broken(m, a, o):
            raise KeyError("hook broke")

        fails.register_forward_hook(broken, always_call=True)
        with pytest.warns(UserWarning) as record, pytest.raises(ValueError):
            fails(lib.ones(1))
        messages.append([str(w.message) for w in record])
    assert messages[1] == messages[0]


def test_global_always_call_forward_hook():
    logs = []
    for lib in (torch, ember):
        mod = T_MOD if lib is torch else E_MOD
        fails = build(lib)[3]()
        log = []
        h = mod.register_module_forward_hook(lambda m, a, o, log=log: log.append(o),
                                             always_call=True)
        try:
            with pytest.raises(ValueError):
                fails(lib.ones(1))
        finally:
            h.remove()
        logs.append(log)
    assert logs[1] == logs[0] == [None]


def test_handles_remove_cleanly():
    for lib in (torch, ember):
        m = build(lib)[1](2)
        h1 = m.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
        h2 = m.register_forward_pre_hook(lambda *a: None, with_kwargs=True)
        with m.register_full_backward_hook(lambda *a: None):
            assert len(m._backward_hooks) == 1
        assert len(m._backward_hooks) == 0
        h1.remove()
        h1.remove()
        h2.remove()
        assert not m._forward_hooks and not m._forward_hooks_with_kwargs
        assert not m._forward_hooks_always_called
        assert not m._forward_pre_hooks and not m._forward_pre_hooks_with_kwargs
        assert h1.id != h2.id


# ----------------------------------------------------------------------------- backward hooks
def _backward_log(lib, change=None):
    chain = build(lib)[0]()
    log = []

    def full(tag):
        def hook(m, grad_in, grad_out):
            log.append(("full", tag, val(grad_in), val(grad_out)))
            if change == "grad_input" and tag == "s2":
                return (grad_in[0] * 3,)
            return None
        return hook

    def pre(tag):
        def hook(m, grad_out):
            log.append(("pre", tag, val(grad_out)))
            if change == "grad_output" and tag == "s1":
                return (grad_out[0] * 2,)
            return None
        return hook

    for tag, m in (("chain", chain), ("s1", chain.s1), ("s2", chain.s2)):
        m.register_full_backward_hook(full(tag))
        m.register_full_backward_pre_hook(pre(tag))
    x = inputs(lib)
    out = chain(x)
    out.backward(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]]))
    log.append(("x.grad", val(x.grad)))
    log.append(("w.grad", val(chain.s1.w.grad), val(chain.s2.w.grad)))
    return log


@pytest.mark.parametrize("change", [None, "grad_input", "grad_output"])
def test_full_backward_hooks_see_torch_gradients(change):
    t_log = _backward_log(torch, change)
    e_log = _backward_log(ember, change)
    assert [entry[:2] for entry in e_log] == [entry[:2] for entry in t_log]
    assert e_log == t_log


def test_full_backward_hook_with_mixed_inputs_and_outputs():
    logs = []
    for lib in (torch, ember):
        two = build(lib)[2]()
        log = []
        two.register_full_backward_pre_hook(lambda m, go, log=log: log.append(("pre", val(go))))
        two.register_full_backward_hook(
            lambda m, gi, go, log=log: log.append(("full", val(gi), val(go))))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0])
        prod, total, flag = two(a, "flag", b)
        assert flag == "flag"
        (prod.sum() + total.sum() * 2).backward()
        log.append(("a.grad", val(a.grad)))
        logs.append(log)
    assert logs[1] == logs[0]


def test_backward_hook_when_no_input_requires_grad():
    logs = []
    for lib in (torch, ember):
        scale = build(lib)[1](3)
        log = []
        scale.register_full_backward_hook(
            lambda m, gi, go, log=log: log.append((val(gi), val(go))))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            scale(inputs(lib, requires_grad=False)).sum().backward()
        logs.append(log)
    assert logs[1] == logs[0]
    assert logs[0][0][0] == (None,)
    calls = []
    for lib in (torch, ember):
        scale = build(lib)[1](3)
        scale.register_full_backward_hook(lambda m, gi, go: (go[0],))
        out = scale(inputs(lib, requires_grad=False)).sum()
        calls.append(out.backward)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        same_error(*calls)


def test_backward_hook_wrong_number_of_grads():
    for kind in ("full", "pre"):
        calls = []
        for lib in (torch, ember):
            scale = build(lib)[1](3)
            if kind == "full":
                scale.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
            else:
                scale.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
            out = scale(inputs(lib)).sum()
            calls.append(out.backward)
        same_error(*calls)


def test_cannot_mix_legacy_and_full_backward_hooks():
    def calls(lib, first_full):
        m = build(lib)[1](2)
        if first_full:
            m.register_full_backward_hook(lambda *a: None)
            return lambda: m.register_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)
        return lambda: m.register_full_backward_hook(lambda *a: None)

    for first_full in (True, False):
        same_error(calls(torch, first_full), calls(ember, first_full))


def test_legacy_backward_hook_sees_last_node_gradients():
    logs = []
    for lib in (torch, ember):
        scale = build(lib)[1](3)
        log = []
        scale.register_backward_hook(
            lambda m, gi, go, log=log: log.append((val(gi), val(go))))
        x = inputs(lib)
        with pytest.warns(FutureWarning) as record:
            out = scale(x)
        out.backward(lib.ones(2, 3))
        log.append([str(w.message) for w in record])
        logs.append(log)
    assert logs[1] == logs[0]


def test_global_backward_hooks(reset_global_backward_kind):
    logs = []
    for lib in (torch, ember):
        mod = T_MOD if lib is torch else E_MOD
        chain = build(lib)[0]()
        log = []
        handles = [
            mod.register_module_full_backward_pre_hook(
                lambda m, go, log=log: log.append(("pre", type(m).__name__, val(go)))),
            mod.register_module_full_backward_hook(
                lambda m, gi, go, log=log: log.append(("full", type(m).__name__, val(gi)))),
        ]
        try:
            chain(inputs(lib)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        logs.append(log)
        chain(inputs(lib)).sum().backward()
    assert logs[1] == logs[0]
    same_error(lambda: T_MOD.register_module_backward_hook(lambda *a: None),
               lambda: E_MOD.register_module_backward_hook(lambda *a: None))


def test_global_legacy_backward_hook(reset_global_backward_kind):
    logs = []
    for lib in (torch, ember):
        mod = T_MOD if lib is torch else E_MOD
        scale = build(lib)[1](3)
        log = []
        h = mod.register_module_backward_hook(lambda m, gi, go, log=log: log.append(val(gi)))
        try:
            with pytest.warns(FutureWarning):
                out = scale(inputs(lib))
            out.sum().backward()
        finally:
            h.remove()
        logs.append(log)
    assert logs[1] == logs[0]
    same_error(lambda: T_MOD.register_module_full_backward_hook(lambda *a: None),
               lambda: E_MOD.register_module_full_backward_hook(lambda *a: None))


# ----------------------------------------------------------------------------- registration
def test_global_registration_hooks():
    logs = []
    for lib in (torch, ember):
        mod = T_MOD if lib is torch else E_MOD
        nn = lib.nn
        log = []

        def on_param(m, name, p, log=log, lib=lib, nn=nn):
            log.append(("param", name, tuple(p.shape) if p is not None else None))
            if name == "doubled":
                return nn.Parameter(lib.zeros(4))
            return None

        def on_buffer(m, name, b, log=log):
            log.append(("buffer", name, tuple(b.shape)))

        def on_module(m, name, sub, log=log):
            log.append(("module", name, type(sub).__name__))

        handles = [mod.register_module_parameter_registration_hook(on_param),
                   mod.register_module_buffer_registration_hook(on_buffer),
                   mod.register_module_module_registration_hook(on_module)]
        try:
            m = nn.Module()
            m.w = nn.Parameter(lib.zeros(2))
            m.doubled = nn.Parameter(lib.zeros(2))
            m.register_parameter("none", None)
            m.register_buffer("b", lib.zeros(3))
            m.b = lib.zeros(5)
            m.child = nn.Sequential(nn.Module())
            log.append(("replaced", tuple(m.doubled.shape)))
        finally:
            for h in handles:
                h.remove()
        m.later = nn.Parameter(lib.zeros(1))
        logs.append(log)
    assert logs[1] == logs[0]


# ----------------------------------------------------------------------------- state dict
def _state_dict_hook_log(lib):
    chain = build(lib)[0]()
    log = []
    chain.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix,
                                                                            keep)))
    chain.s1.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre1", prefix)))

    def post(m, sd, prefix, meta):
        log.append(("post", prefix, sorted(sd), meta))
        sd[prefix + "added"] = lib.zeros(1)

    chain.s2.register_state_dict_post_hook(post)
    sd = chain.state_dict(keep_vars=True)
    log.append(("keys", list(sd)))

    def load_pre(m, sd, prefix, meta, strict, missing, unexpected, errors):
        log.append(("load_pre", type(m).__name__, prefix, strict, sorted(sd), dict(meta)))
        sd.pop(prefix + "added", None)

    def load_post(m, keys):
        log.append(("load_post", type(m).__name__, list(keys.missing_keys),
                    list(keys.unexpected_keys)))
        keys.missing_keys.clear()

    chain.s2.register_load_state_dict_pre_hook(load_pre)
    chain.register_load_state_dict_post_hook(load_post)
    partial = {k: v for k, v in sd.items() if k != "s1.w"}
    result = chain.load_state_dict(partial)
    log.append(("result", repr(result)))
    return log


def test_state_dict_hooks_match_torch():
    assert _state_dict_hook_log(ember) == _state_dict_hook_log(torch)


def test_state_dict_hook_return_values():
    calls = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        chain.s1.register_state_dict_post_hook(lambda m, sd, p, meta: {})
        calls.append(chain.state_dict)
    same_error(*calls)
    calls = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        chain.register_load_state_dict_post_hook(lambda m, keys: keys)
        sd = chain.state_dict()
        calls.append(lambda chain=chain, sd=sd: chain.load_state_dict(sd))
    same_error(*calls)
    keys = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        chain._register_state_dict_hook(lambda m, sd, p, meta: {"only": 1})
        keys.append(list(chain.state_dict()))

        def public(m, sd, p, meta):
            return None

        chain.register_state_dict_post_hook(public)
        keys.append(lambda chain=chain, public=public: chain._register_state_dict_hook(public))
    assert keys[2] == keys[0] == ["only"]
    same_error(keys[1], keys[3])


def test_hooks_follow_a_deep_copy():
    for lib in (torch, ember):
        chain = build(lib)[0]()
        seen = []
        chain.register_load_state_dict_pre_hook(lambda m, *rest, seen=seen: seen.append(m))
        twin = copy.deepcopy(chain)
        twin.load_state_dict(twin.state_dict())
        assert seen == [twin]


def test_backward_hook_prepend_order():
    logs = []
    for lib in (torch, ember):
        scale = build(lib)[1](3)
        log = []
        for tag, prepend in (("a", False), ("b", True), ("c", False)):
            scale.register_full_backward_hook(
                lambda m, gi, go, tag=tag, log=log: log.append(("full", tag)), prepend=prepend)
            scale.register_full_backward_pre_hook(
                lambda m, go, tag=tag, log=log: log.append(("pre", tag)), prepend=prepend)
        scale(inputs(lib)).sum().backward()
        logs.append(log)
    assert logs[1] == logs[0]


def test_private_load_pre_hook_without_module():
    logs = []
    for lib in (torch, ember):
        chain = build(lib)[0]()
        log = []
        chain.s1._register_load_state_dict_pre_hook(
            lambda sd, prefix, *rest, log=log: log.append((prefix, len(rest))))
        chain.load_state_dict(chain.state_dict())
        logs.append(log)
    assert logs[1] == logs[0] == [("s1.", 5)]
