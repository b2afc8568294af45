"""ember.nn.Module against torch.nn.Module: the same models built in both libraries.

Each test builds the same small model with torch and with ember (the model code is written
once and given the library), copies torch's weights into ember through numpy, runs the
same calls on both and compares results, names, shapes, reprs and errors.
"""

import copy
import io
from collections import OrderedDict

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- helpers
def to_ember(t):
    return ember.tensor(t.detach().numpy())


def norm(msg):
    """torch's message as ember words it (ember is used as ``import ember as torch``)."""
    return msg.replace("torch", "ember")


def same_error(torch_call, ember_call, match_message=True):
    with pytest.raises(Exception) as t_err:
        torch_call()
    with pytest.raises(Exception) as e_err:
        ember_call()
    assert type(e_err.value).__name__ == type(t_err.value).__name__
    if match_message:
        assert str(e_err.value) == norm(str(t_err.value))
    return e_err.value


def build(lib):
    """The test model classes, written once for torch and ember."""
    nn = lib.nn

    class Affine(nn.Module):
        def __init__(self, n_in, n_out, bias=True):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(lib.zeros(n_out, n_in))
            if bias:
                self.bias = nn.Parameter(lib.zeros(n_out))
            else:
                self.register_parameter("bias", None)
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            y = x @ self.weight.t()
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"in={self.n_in}, out={self.n_out}, bias={self.bias is not None}"

    class Tanh(nn.Module):
        def forward(self, x):
            return lib.tanh(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Affine(3, 4)
            self.act = Tanh()
            self.blocks = nn.ModuleList([Affine(4, 4), Affine(4, 4, bias=False)])
            self.head = nn.Sequential(Affine(4, 2), Tanh())
            self.alias = self.fc1
            self.scale = nn.Parameter(lib.ones(()))
            self.register_buffer("running", lib.zeros(2))

        def forward(self, x):
            x = self.act(self.fc1(x))
            for block in self.blocks:
                x = x + block(x)
            return self.head(x) * self.scale

    return Net, Affine, Tanh


def make_pair(dtype="float32"):
    """A torch Net with random weights and an ember Net holding the same values."""
    t_net = build(torch)[0]()
    e_net = build(ember)[0]()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in t_net.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
        t_net.running.copy_(torch.from_numpy(rng.standard_normal(2)))
    if dtype == "float64":
        t_net.double()
        e_net.double()
    e_net.load_state_dict({k: to_ember(v) for k, v in t_net.state_dict().items()})
    return t_net, e_net


# ----------------------------------------------------------------------------- traversal
def test_named_members_match_torch():
    t_net, e_net = make_pair()

    def names(it):
        return [(n, tuple(v.shape)) for n, v in it]

    for kwargs in ({}, {"prefix": "model"}, {"recurse": False}, {"remove_duplicate": False}):
        assert names(e_net.named_parameters(**kwargs)) == names(t_net.named_parameters(**kwargs))
        assert names(e_net.named_buffers(**kwargs)) == names(t_net.named_buffers(**kwargs))
    for kwargs in ({}, {"prefix": "m"}, {"remove_duplicate": False}):
        t_mods = [(n, type(m).__name__) for n, m in t_net.named_modules(**kwargs)]
        e_mods = [(n, type(m).__name__) for n, m in e_net.named_modules(**kwargs)]
        assert e_mods == t_mods
    assert [n for n, _ in e_net.named_children()] == [n for n, _ in t_net.named_children()]
    assert len(list(e_net.children())) == len(list(t_net.children()))
    assert len(list(e_net.modules())) == len(list(t_net.modules()))
    assert (len(list(e_net.modules(remove_duplicate=False)))
            == len(list(t_net.modules(remove_duplicate=False))))
    assert ([tuple(p.shape) for p in e_net.parameters(recurse=False)]
            == [tuple(p.shape) for p in t_net.parameters(recurse=False)])
    assert len(list(e_net.buffers())) == len(list(t_net.buffers()))


def test_shared_parameter_listed_once():
    for lib in (torch, ember):
        m = lib.nn.Module()
        p = lib.nn.Parameter(lib.zeros(2))
        m.a = p
        m.b = p
        assert [n for n, _ in m.named_parameters()] == ["a"]
        assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == ["a", "b"]


# ----------------------------------------------------------------------------- state dict
def test_state_dict_keys_shapes_dtypes_and_metadata():
    t_net, e_net = make_pair()
    t_sd, e_sd = t_net.state_dict(), e_net.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape)
        assert str(e_sd[k].dtype) == norm(str(t_sd[k].dtype))
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy())
    assert dict(e_sd._metadata) == dict(t_sd._metadata)
    assert list(e_net.state_dict(prefix="top.")) == list(t_net.state_dict(prefix="top."))
    kept = e_net.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is e_net.fc1.weight
    assert e_sd["fc1.weight"] is not e_net.fc1.weight
    assert not e_sd["fc1.weight"].requires_grad


def test_state_dict_positional_args_warn_like_torch():
    t_net, e_net = make_pair()
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        t_keys = list(t_net.state_dict(OrderedDict(), "p."))
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        e_keys = list(e_net.state_dict(OrderedDict(), "p."))
    assert e_keys == t_keys


def test_load_state_dict_strict_errors_match_torch():
    t_net, e_net = make_pair()
    t_sd = t_net.state_dict()
    e_sd = e_net.state_dict()
    for drop in (["fc1.bias"], ["fc1.bias", "head.0.weight"]):
        t_bad = OrderedDict((k, v) for k, v in t_sd.items() if k not in drop)
        e_bad = OrderedDict((k, v) for k, v in e_sd.items() if k not in drop)
        t_bad["extra.thing"] = torch.zeros(1)
        e_bad["extra.thing"] = ember.zeros(1)
        t_bad["stray"] = torch.zeros(1)
        e_bad["stray"] = ember.zeros(1)
        same_error(lambda t_bad=t_bad: t_net.load_state_dict(t_bad),
                   lambda e_bad=e_bad: e_net.load_state_dict(e_bad))
        t_res = t_net.load_state_dict(t_bad, strict=False)
        e_res = e_net.load_state_dict(e_bad, strict=False)
        assert e_res.missing_keys == t_res.missing_keys
        assert e_res.unexpected_keys == t_res.unexpected_keys
        assert repr(e_res) == repr(t_res)
    assert repr(e_net.load_state_dict(e_sd)) == repr(t_net.load_state_dict(t_sd))


def test_load_state_dict_lists_every_size_mismatch():
    t_net, e_net = make_pair()
    t_sd, e_sd = t_net.state_dict(), e_net.state_dict()
    for key, shape in (("fc1.weight", (5, 3)), ("head.0.bias", (7,)), ("running", (3,))):
        t_sd[key] = torch.zeros(shape)
        e_sd[key] = ember.zeros(shape)
    del t_sd["scale"], e_sd["scale"]
    err = same_error(lambda: t_net.load_state_dict(t_sd), lambda: e_net.load_state_dict(e_sd))
    assert str(err).count("size mismatch") == 3
    same_error(lambda: t_net.load_state_dict(t_sd, strict=False),
               lambda: e_net.load_state_dict(e_sd, strict=False))


def test_load_state_dict_bad_inputs():
    t_net, e_net = make_pair()
    same_error(lambda: t_net.load_state_dict([1, 2]), lambda: e_net.load_state_dict([1, 2]),
               match_message=False)
    t_sd, e_sd = t_net.state_dict(), e_net.state_dict()
    t_sd["fc1.bias"] = [1.0, 2.0]
    e_sd["fc1.bias"] = [1.0, 2.0]
    same_error(lambda: t_net.load_state_dict(t_sd), lambda: e_net.load_state_dict(e_sd))


def test_load_state_dict_copies_values_in_place():
    t_net, e_net = make_pair()
    before = e_net.fc1.weight
    e_net.load_state_dict({k: v * 0 + 1 for k, v in e_net.state_dict().items()})
    assert e_net.fc1.weight is before
    np.testing.assert_array_equal(e_net.fc1.weight.detach().numpy(), np.ones((4, 3)))
    assert e_net.fc1.weight.requires_grad


def test_load_state_dict_assign():
    t_net, e_net = make_pair()
    new_w = ember.full((4, 3), 2.0)
    e_sd = e_net.state_dict()
    e_sd["fc1.weight"] = e_sd["alias.weight"] = new_w  # fc1 is also reachable as alias
    e_net.load_state_dict(e_sd, assign=True)
    t_sd = t_net.state_dict()
    t_new = torch.full((4, 3), 2.0)
    t_sd["fc1.weight"] = t_sd["alias.weight"] = t_new
    t_net.load_state_dict(t_sd, assign=True)
    assert type(e_net.fc1.weight).__name__ == type(t_net.fc1.weight).__name__ == "Parameter"
    assert e_net.fc1.weight.requires_grad == t_net.fc1.weight.requires_grad
    new_w[0, 0] = 5.0  # the parameter shares memory with the assigned tensor
    t_new[0, 0] = 5.0
    assert float(e_net.fc1.weight[0, 0]) == t_net.fc1.weight[0, 0].item() == 5.0


def test_load_zero_dim_from_one_element_vector():
    t_net, e_net = make_pair()
    t_sd, e_sd = t_net.state_dict(), e_net.state_dict()
    t_sd["scale"] = torch.tensor([3.0])
    e_sd["scale"] = ember.tensor([3.0])
    t_net.load_state_dict(t_sd)
    e_net.load_state_dict(e_sd)
    assert float(e_net.scale) == t_net.scale.item() == 3.0


def test_save_and_load_state_dict_bit_for_bit(tmp_path):
    _, e_net = make_pair("float64")
    path = tmp_path / "model.emb"
    ember.save(e_net.state_dict(), path)
    loaded = ember.load(path)
    assert list(loaded) == list(e_net.state_dict())
    for k, v in e_net.state_dict().items():
        assert loaded[k].dtype == v.dtype
        assert loaded[k].numpy().tobytes() == v.numpy().tobytes()
    fresh = build(ember)[0]().double()
    assert repr(fresh.load_state_dict(loaded)) == "<All keys matched successfully>"
    x = ember.tensor(np.random.default_rng(1).standard_normal((2, 3)))
    assert fresh(x).detach().numpy().tobytes() == e_net(x).detach().numpy().tobytes()
    for cast in ("half", "bfloat16"):
        getattr(e_net, cast)()
        buf = io.BytesIO()
        ember.save(e_net.state_dict(), buf)
        buf.seek(0)
        again = ember.load(buf)
        assert list(again) == list(e_net.state_dict())
        for k, v in e_net.state_dict().items():
            assert again[k].dtype == v.dtype
            assert again[k].numpy().tobytes() == v.numpy().tobytes()


def test_extra_state_round_trip():
    for lib in (torch, ember):
        class Counter(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        a, b = Counter(), Counter()
        a.count = 7
        sd = a.state_dict()
        assert list(sd) == ["_extra_state"]
        b.load_state_dict(sd)
        assert b.count == 7
    t_res = torch.nn.Module().load_state_dict({"_extra_state": 1}, strict=False)
    e_res = ember.nn.Module().load_state_dict({"_extra_state": 1}, strict=False)
    assert e_res.unexpected_keys == t_res.unexpected_keys


# ----------------------------------------------------------------------------- forward
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_gradients_match_torch(dtype):
    t_net, e_net = make_pair(dtype)
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(dtype)
    t_out = t_net(torch.from_numpy(x))
    e_out = e_net(ember.tensor(x))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=tol,
                               atol=tol)
    t_out.sum().backward()
    e_out.sum().backward()
    t_grads = {n: p.grad for n, p in t_net.named_parameters()}
    for n, p in e_net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_grads[n].numpy(), rtol=tol, atol=tol)


def test_repr_matches_torch():
    t_net, e_net = make_pair()
    assert repr(e_net) == repr(t_net)
    assert repr(ember.nn.Module()) == repr(torch.nn.Module())
    _, Affine_t, _ = build(torch)
    _, Affine_e, _ = build(ember)

    class Multi(torch.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    class MultiE(ember.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    t, e = Multi(), MultiE()
    t.inner = Affine_t(1, 1)
    e.inner = Affine_e(1, 1)
    t.none = None
    assert repr(e).replace("MultiE", "Multi") == repr(t)
    t.register_module("empty", None)
    e.register_module("empty", None)
    assert repr(e).replace("MultiE", "Multi") == repr(t)


def test_missing_forward_raises_like_torch():
    x_t, x_e = torch.ones(1), ember.ones(1)
    same_error(lambda: torch.nn.Module()(x_t), lambda: ember.nn.Module()(x_e))


def test_init_rejects_arguments_like_torch():
    same_error(lambda: torch.nn.Module(3), lambda: ember.nn.Module(3))
    same_error(lambda: torch.nn.Module(foo=1), lambda: ember.nn.Module(foo=1))


# ----------------------------------------------------------------------------- registration
def _registration_calls(lib):
    nn = lib.nn

    def fresh():
        m = nn.Module()
        m.plain = 3
        return m

    return [
        lambda: fresh().register_buffer("a.b", lib.zeros(1)),
        lambda: fresh().register_buffer("", lib.zeros(1)),
        lambda: fresh().register_buffer("plain", lib.zeros(1)),
        lambda: fresh().register_buffer(3, lib.zeros(1)),
        lambda: fresh().register_buffer("x", [1, 2]),
        lambda: fresh().register_parameter("a.b", nn.Parameter(lib.zeros(1))),
        lambda: fresh().register_parameter("", None),
        lambda: fresh().register_parameter("plain", None),
        lambda: fresh().register_parameter(1.5, None),
        lambda: fresh().register_parameter("w", lib.zeros(1)),
        lambda: fresh().add_module("a.b", nn.Module()),
        lambda: fresh().add_module("", nn.Module()),
        lambda: fresh().add_module("plain", nn.Module()),
        lambda: fresh().add_module(None, nn.Module()),
        lambda: fresh().add_module("x", 5),
        lambda: nn.Module.__new__(nn.Module).register_buffer("x", None),
        lambda: nn.Module.__new__(nn.Module).register_parameter("x", None),
        lambda: setattr(nn.Module.__new__(nn.Module), "p", nn.Parameter(lib.zeros(1))),
        lambda: setattr(nn.Module.__new__(nn.Module), "m", nn.Module()),
        lambda: fresh().nothing,
    ]


def test_registration_errors_match_torch():
    for t_call, e_call in zip(_registration_calls(torch), _registration_calls(ember),
                              strict=True):
        same_error(t_call, e_call)


def test_non_leaf_parameter_rejected():
    x_t = torch.ones(2, requires_grad=True)
    x_e = ember.ones(2, requires_grad=True)
    same_error(lambda: torch.nn.Module().register_parameter("w", torch.nn.Parameter(x_t) * 2),
               lambda: ember.nn.Module().register_parameter("w", ember.nn.Parameter(x_e) * 2),
               match_message=False)


def test_setattr_routes_like_torch():
    results = []
    for lib in (torch, ember):
        nn = lib.nn
        m = nn.Module()
        m.w = nn.Parameter(lib.zeros(2))
        m.register_buffer("b", lib.zeros(2))
        m.sub = nn.Module()
        errors = []
        for name, value in (("w", lib.zeros(2)), ("sub", lib.zeros(1)), ("b", 3)):
            try:
                setattr(m, name, value)
            except TypeError as exc:
                errors.append(norm(str(exc)))
        m.w = None
        m.b = lib.ones(3)
        m.sub = None
        m.extra = nn.Buffer(lib.ones(1), persistent=False)
        m.q = nn.Parameter(lib.zeros(1))
        try:
            m.q = nn.Module()
        except TypeError as exc:
            errors.append(norm(str(exc)))
        m.q = None
        m.b2 = lib.zeros(1)  # plain tensors stay plain attributes
        results.append((errors, [n for n, _ in m.named_parameters()],
                        [n for n, _ in m.named_buffers()], list(m.state_dict()),
                        list(m._modules), "b2" in m.__dict__, m.w is None,
                        tuple(m.b.shape)))
        del m.b
        del m.q
        del m.extra
        results.append((list(m._buffers), list(m._modules), m._non_persistent_buffers_set))
    assert results[2] == results[0]
    assert results[3] == results[1]


def test_buffer_marker_is_a_plain_tensor():
    b = ember.nn.Buffer(ember.ones(2), persistent=False)
    assert type(b) is ember.Tensor and isinstance(b, ember.nn.Buffer)
    assert not isinstance(ember.ones(1), ember.nn.Buffer)
    m = ember.nn.Module()
    m.b = b
    assert m.b is b and list(m.state_dict()) == []


def test_dir_lists_members():
    t_net, e_net = make_pair()
    t_dir = set(dir(t_net))
    e_dir = set(dir(e_net))
    for name in ("fc1", "scale", "running", "blocks", "forward", "training"):
        assert name in e_dir and name in t_dir
    assert not any(k[0].isdigit() for k in dir(e_net.blocks))


# ----------------------------------------------------------------------------- by path
def test_get_and_set_submodule_parameter_buffer():
    t_net, e_net = make_pair()
    assert type(e_net.get_submodule("head.0")).__name__ == "Affine"
    assert e_net.get_submodule("") is e_net
    assert e_net.get_parameter("blocks.1.weight") is e_net.blocks[1].weight
    assert e_net.get_buffer("head.0.steps") is e_net.head[0].steps
    bad_calls = [
        lambda n: n.get_submodule("head.7"),
        lambda n: n.get_submodule("scale.x"),
        lambda n: n.get_submodule("fc1.weight"),
        lambda n: n.get_parameter("fc1.nope"),
        lambda n: n.get_parameter("fc1.steps"),
        lambda n: n.get_parameter("fc1.n_in"),
        lambda n: n.get_buffer("fc1.weight"),
        lambda n: n.get_buffer("nope.steps"),
        lambda n: n.get_buffer("fc1.zzz"),
        lambda n: n.set_submodule("", type(n)()),
        lambda n: n.set_submodule("fc1", 3),
        lambda n: n.set_submodule("head.5", type(n.act)(), strict=True),
        lambda n: n.set_submodule("fc1.weight", type(n.act)()),
    ]
    for call in bad_calls:
        same_error(lambda call=call: call(t_net), lambda call=call: call(e_net))
    for net in (t_net, e_net):
        net.set_submodule("head.0", type(net.act)())
        net.set_submodule("blocks.new", type(net.act)())
    assert repr(e_net) == repr(t_net)


# ----------------------------------------------------------------------------- modes, grads
def test_train_eval_requires_grad_zero_grad():
    t_net, e_net = make_pair()
    for net in (t_net, e_net):
        assert net.eval() is net
    assert [m.training for m in e_net.modules()] == [m.training for m in t_net.modules()]
    assert not any(m.training for m in e_net.modules())
    e_net.train()
    assert all(m.training for m in e_net.modules())
    same_error(lambda: t_net.train("yes"), lambda: e_net.train("yes"))
    e_net.head.requires_grad_(False)
    t_net.head.requires_grad_(False)
    assert ([p.requires_grad for p in e_net.parameters()]
            == [p.requires_grad for p in t_net.parameters()])
    x_t, x_e = torch.ones(2, 3), ember.ones(2, 3)
    t_net(x_t).sum().backward()
    e_net(x_e).sum().backward()
    assert [p.grad is None for p in e_net.parameters()] == [p.grad is None for p in
                                                            t_net.parameters()]
    e_net.zero_grad(set_to_none=False)
    t_net.zero_grad(set_to_none=False)
    for (n, pe), pt in zip(e_net.named_parameters(), t_net.parameters(), strict=True):
        assert (pe.grad is None) == (pt.grad is None), n
        if pe.grad is not None:
            assert float(pe.grad.abs().sum()) == 0.0
    e_net.zero_grad()
    assert all(p.grad is None for p in e_net.parameters())


def test_apply_visits_children_first():
    orders = []
    for lib in (torch, ember):
        net = build(lib)[0]()
        seen = []
        assert net.apply(lambda m, seen=seen: seen.append(type(m).__name__)) is net
        orders.append(seen)
    assert orders[1] == orders[0]


# ----------------------------------------------------------------------------- conversion
def test_to_and_casts_match_torch():
    t_net, e_net = make_pair()
    x = np.ones((1, 3))
    e_net(ember.tensor(x, dtype=ember.float32)).sum().backward()
    weight = e_net.fc1.weight
    for name, args in (("to", (torch.float64,)), ("half", ()), ("float", ()),
                       ("double", ()), ("bfloat16", ()), ("to", ("cpu",)),
                       ("type", (torch.float32,))):
        e_args = tuple(getattr(ember, str(a).split(".")[1]) if isinstance(a, torch.dtype)
                       else a for a in args)
        assert getattr(t_net, name)(*args) is t_net
        assert getattr(e_net, name)(*e_args) is e_net
        t_types = [norm(str(v.dtype)) for v in t_net.state_dict().values()]
        e_types = [str(v.dtype) for v in e_net.state_dict().values()]
        assert e_types == t_types, name
    assert e_net.fc1.weight is weight  # parameters are converted in place
    assert weight.grad.dtype == weight.dtype
    e_net.to(dtype=ember.float64, device="cpu", non_blocking=True)
    assert e_net.fc1.weight.dtype == ember.float64
    e_net.to(ember.zeros(1, dtype=ember.float32))
    assert e_net.fc1.weight.dtype == ember.float32
    same_error(lambda: t_net.to(torch.int32), lambda: e_net.to(ember.int32))
    assert e_net.cpu() is e_net
    assert e_net.to_empty(device="cpu") is e_net
    assert tuple(e_net.fc1.weight.shape) == (4, 3)


# ----------------------------------------------------------------------------- copying
def test_deepcopy_is_independent_and_keeps_sharing():
    _, e_net = make_pair()
    e_net.fc1.weight.grad = ember.ones(4, 3)
    calls = []
    e_net.register_forward_hook(lambda m, a, o: calls.append(m))
    twin = copy.deepcopy(e_net)
    assert twin.alias is twin.fc1 and twin.fc1 is not e_net.fc1
    assert type(twin.fc1.weight).__name__ == "Parameter"
    assert twin.fc1.weight.requires_grad
    for (n, a), b in zip(e_net.state_dict().items(), twin.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)
    with ember.no_grad():
        twin.fc1.weight.fill_(0.0)
    assert float(e_net.fc1.weight.abs().sum()) > 0
    twin(ember.ones(1, 3))
    assert calls == [twin]
    t_w = torch.nn.Parameter(torch.ones(2))
    t_w.grad = torch.ones(2)
    e_w = ember.nn.Parameter(ember.ones(2))
    e_w.grad = ember.ones(2)
    assert (copy.deepcopy(e_w).grad is None) == (copy.deepcopy(t_w).grad is None)


def test_parameter_repr_and_str():
    t_p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    e_p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(e_p) == repr(t_p)
    assert str(e_p) == str(t_p)
    e_p2 = ember.nn.Parameter(e_p.detach(), requires_grad=False)
    assert not e_p2.requires_grad
    with ember.no_grad():
        e_p2.add_(1.0)
    assert float(e_p[0]) == 2.0  # shares memory with its data


def test_replica_for_data_parallel():
    rows = []
    for lib in (torch, ember):
        net = build(lib)[0]()
        replica = net._replicate_for_data_parallel()
        row = [list(replica._parameters), list(replica._buffers), list(replica._modules),
               replica.fc1 is net.fc1, type(replica).__name__]
        with pytest.warns(UserWarning) as record:
            replica.zero_grad()
        row.append([norm(str(w.message)) for w in record])
        rows.append(row)
    assert rows[1] == rows[0]


def _to_outcome(lib, args, kwargs):
    m = lib.nn.Module()
    m.w = lib.nn.Parameter(lib.zeros(1))
    try:
        m.to(*args, **kwargs)
    except Exception as exc:  # the error is the outcome compared with torch's
        return type(exc).__name__, norm(str(exc))
    return norm(str(m.w.dtype)), str(m.w.device)


@pytest.mark.parametrize("args,kwargs", [
    (("cpu", "f64"), {}), (("f64", True), {}), ((None,), {}), (("cpu",), {"dtype": "f64"}),
    ((), {"device": "cpu", "dtype": "f16"}), (("cpu", "cpu"), {}), ((), {"foo": 1}),
    (("f64", "cpu"), {}), ((), {"copy": True}), (("cpu", "f64", True), {}),
    (("cpu",), {"foo": 1}), ((float,), {}), ((int,), {}), (("t64", "cpu"), {}),
    (("t64",), {}), (("dev", 1), {}), ((), {"non_blocking": True}),
])
def test_to_argument_parsing_matches_torch(args, kwargs):
    def conv(lib, a):
        table = {"f64": lib.float64, "f16": lib.float16, "dev": lib.device("cpu"),
                 "t64": lib.zeros(1, dtype=lib.float64)}
        return table.get(a, a) if isinstance(a, str) else a

    out = [_to_outcome(lib, tuple(conv(lib, a) for a in args),
                       {k: conv(lib, v) for k, v in kwargs.items()}) for lib in (torch, ember)]
    assert out[1] == out[0]
