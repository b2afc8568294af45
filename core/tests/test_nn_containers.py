"""Containers against torch: the same operations on torch's and ember's containers.

Each scenario is written once as a function of the library and run on both; the tests
compare what the containers hold (names and types), their reprs, and the errors raised.
"""

from collections import OrderedDict

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def norm(msg):
    return msg.replace("torch", "ember")


def outcome(fn):
    """What ``fn()`` gives, as comparable text: its result or its error."""
    try:
        result = fn()
    except Exception as exc:  # the error type and message are the outcome
        return ("error", type(exc).__name__, norm(str(exc)))
    return ("ok", describe(result))


def describe(obj):
    if isinstance(obj, (torch.nn.Module, ember.nn.Module)):
        return (type(obj).__name__, [(n, type(m).__name__) for n, m in obj.named_children()],
                [(n, tuple(p.shape)) for n, p in obj.named_parameters()])
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return (type(obj).__name__, tuple(obj.shape), obj.detach().numpy().round(6).tolist())
    if isinstance(obj, (list, tuple)):
        return [describe(o) for o in obj]
    return norm(repr(obj))


def both(scenario):
    """Run ``scenario(lib)`` (a list of zero-argument calls) on torch and on ember."""
    results = []
    for lib in (torch, ember):
        results.append([outcome(call) for call in scenario(lib)])
    return results


def layers(lib):
    nn = lib.nn

    class Add(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k
            self.w = nn.Parameter(lib.full((2,), float(k)))

        def forward(self, x):
            return x + self.w

        def extra_repr(self):
            return f"k={self.k}"

    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    return Add, Double


# ----------------------------------------------------------------------------- Sequential
def sequential_scenario(lib):
    nn = lib.nn
    Add, Double = layers(lib)
    seq = nn.Sequential(Add(1), Double(), Add(2))
    named = nn.Sequential(OrderedDict([("first", Add(3)), ("second", Double())]))
    x = lib.ones(2)
    return [
        lambda: seq(x),
        lambda: named(x),
        lambda: len(seq),
        lambda: seq[0],
        lambda: seq[-1],
        lambda: seq[1:],
        lambda: seq[::-1](x),
        lambda: seq[3],
        lambda: seq[-4],
        lambda: seq["a"],
        lambda: named[1],
        lambda: list(named._modules),
        lambda: seq.__setitem__(1, Add(7)) or seq,
        lambda: seq.__delitem__(0) or seq,
        lambda: seq.__delitem__(slice(0, 1)) or seq,
        lambda: seq.append(Double()),
        lambda: seq.insert(0, Add(4)),
        lambda: seq.insert(-1, Double()),
        lambda: seq.insert(10, Double()),
        lambda: seq.insert(0, 5),
        lambda: seq.extend([Add(5), Double()]),
        lambda: seq.pop(1),
        lambda: seq.pop(slice(0, 2)),
        lambda: seq + named,
        lambda: seq + [Double()],
        lambda: named.__iadd__(nn.Sequential(Double())),
        lambda: named.__iadd__(3),
        lambda: seq * 2,
        lambda: 2 * seq,
        lambda: seq * 0,
        lambda: seq * 1.5,
        lambda: seq.__imul__(3),
        lambda: seq.__imul__(-1),
        lambda: seq(x),
        lambda: [k for k in dir(seq) if k.isdigit()],
        lambda: repr(seq),
        lambda: repr(named),
        lambda: repr(nn.Sequential()),
        lambda: nn.Sequential()(x),
    ]


def test_sequential_matches_torch():
    t, e = both(sequential_scenario)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        assert b == a, f"step {i}"


# ----------------------------------------------------------------------------- ModuleList
def modulelist_scenario(lib):
    nn = lib.nn
    Add, Double = layers(lib)
    same = Double()
    ml = nn.ModuleList([Add(1), Add(1), Add(1), Double(), same, same, Add(2)])
    return [
        lambda: repr(ml),
        lambda: repr(nn.ModuleList()),
        lambda: repr(nn.ModuleList([Add(1)])),
        lambda: len(ml),
        lambda: ml[0],
        lambda: ml[-1],
        lambda: ml[7],
        lambda: ml[1:3],
        lambda: ml.__setitem__(0, Double()) or ml,
        lambda: ml.__setitem__(-1, Add(9)) or ml,
        lambda: ml.__delitem__(1) or ml,
        lambda: ml.__delitem__(slice(0, 2)) or ml,
        lambda: ml.append(Add(3)),
        lambda: ml.insert(1, Add(4)) or ml,
        lambda: ml.extend([Double(), Add(5)]),
        lambda: ml.extend(Double()),
        lambda: ml.extend(3),
        lambda: ml.pop(0),
        lambda: ml + nn.ModuleList([Double()]),
        lambda: ml.__iadd__([Add(6)]),
        lambda: [type(m).__name__ for m in ml],
        lambda: [k for k in dir(ml) if k.isdigit()],
        lambda: ml(lib.ones(2)),
        lambda: repr(ml),
    ]


def test_modulelist_matches_torch():
    t, e = both(modulelist_scenario)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        assert b == a, f"step {i}"


# ----------------------------------------------------------------------------- ModuleDict
def moduledict_scenario(lib):
    nn = lib.nn
    Add, Double = layers(lib)
    md = nn.ModuleDict({"b": Add(1), "a": Double()})
    return [
        lambda: list(md.keys()),
        lambda: [type(v).__name__ for v in md.values()],
        lambda: [(k, type(v).__name__) for k, v in md.items()],
        lambda: list(md),
        lambda: "a" in md,
        lambda: "z" in md,
        lambda: len(md),
        lambda: md["a"],
        lambda: md["zz"],
        lambda: md.__setitem__("c", Add(2)) or md,
        lambda: md.__setitem__("d.e", Add(2)),
        lambda: md.__setitem__("f", 5),
        lambda: md.update([("x", Double()), ["y", Add(3)]]) or md,
        lambda: md.update(OrderedDict([("q", Double())])) or md,
        lambda: md.update(nn.ModuleDict({"r": Double()})) or md,
        lambda: md.update(5),
        lambda: md.update([("k", Double(), 1)]),
        lambda: md.update([5]),
        lambda: md.pop("b"),
        lambda: md.__delitem__("a") or md,
        lambda: repr(md),
        lambda: nn.ModuleDict([("p", Double())]),
        lambda: md.clear() or md,
        lambda: repr(md),
    ]


def test_moduledict_matches_torch():
    t, e = both(moduledict_scenario)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        assert b == a, f"step {i}"


# ----------------------------------------------------------------------------- ParameterList
def parameterlist_scenario(lib):
    nn = lib.nn
    pl = nn.ParameterList([lib.zeros(2), nn.Parameter(lib.ones(3)), "text"])
    return [
        lambda: len(pl),
        lambda: [type(p).__name__ for p in pl],
        lambda: pl[0].requires_grad,
        lambda: pl[1],
        lambda: pl[-1],
        lambda: pl[3],
        lambda: pl[0:2],
        lambda: pl.append(lib.full((2, 2), 3.0)),
        lambda: pl.extend([lib.zeros(1), 4]),
        lambda: pl.extend(lib.zeros(2)),
        lambda: pl.extend(5),
        lambda: pl.__setitem__(0, lib.ones(4)) or pl[0],
        lambda: pl.__setitem__(9, lib.ones(4)),
        lambda: pl.__iadd__([lib.ones(1)]),
        lambda: [n for n, _ in pl.named_parameters()],
        lambda: repr(pl),
        lambda: repr(nn.ParameterList()),
        lambda: pl(lib.ones(1)),
        lambda: [k for k in dir(pl) if k.isdigit()],
        lambda: list(pl.state_dict()),
    ]


def test_parameterlist_matches_torch():
    t, e = both(parameterlist_scenario)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        assert b == a, f"step {i}"


def test_parameterlist_parameters_train_with_the_module():
    for lib in (torch, ember):
        pl = lib.nn.ParameterList([lib.ones(2), lib.ones(2)])
        (pl[0] * pl[1] * 3).sum().backward()
        np.testing.assert_array_equal(pl[0].grad.numpy(), [3.0, 3.0])


# ----------------------------------------------------------------------------- ParameterDict
def parameterdict_scenario(lib):
    nn = lib.nn
    pd = nn.ParameterDict({"b": lib.zeros(2), "a": nn.Parameter(lib.ones(1)), "s": "str"})
    other = nn.ParameterDict(OrderedDict([("z", lib.zeros(3)), ("y", lib.ones(2))]))
    return [
        lambda: list(pd.keys()),
        lambda: list(other.keys()),
        lambda: [type(v).__name__ for v in pd.values()],
        lambda: [(k, type(v).__name__) for k, v in pd.items()],
        lambda: list(reversed(pd)),
        lambda: "a" in pd,
        lambda: len(pd),
        lambda: pd["a"],
        lambda: pd["nope"],
        lambda: pd[3],
        lambda: pd.get("a"),
        lambda: pd.get("nope", 5),
        lambda: pd.setdefault("c", lib.full((2,), 7.0)),
        lambda: pd.setdefault("a", lib.zeros(9)),
        lambda: pd.__setitem__("d", lib.ones(5)) or pd["d"],
        lambda: pd.__setitem__(4, lib.ones(5)),
        lambda: pd.update([("e", lib.zeros(1)), ("f", lib.ones(1))]) or list(pd),
        lambda: pd.update([("g", lib.zeros(1), 1)]),
        lambda: pd.update([5]),
        lambda: pd.update(5),
        lambda: pd.pop("b"),
        lambda: pd.popitem(),
        lambda: list(pd.copy().keys()),
        lambda: pd.copy()["a"] is pd["a"],
        lambda: list(pd.fromkeys(["u", "v"], lib.zeros(1)).keys()),
        lambda: list((pd | other).keys()),
        lambda: list(other.__ror__(pd).keys()),
        lambda: list(pd.__ior__(other).keys()),
        lambda: [n for n, _ in pd.named_parameters()],
        lambda: repr(pd),
        lambda: repr(nn.ParameterDict()),
        lambda: pd(lib.ones(1)),
        lambda: pd.__delitem__("a") or list(pd),
        lambda: pd.clear() or len(pd),
        lambda: list(pd.state_dict()),
    ]


def test_parameterdict_matches_torch():
    t, e = both(parameterdict_scenario)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        assert b == a, f"step {i}"


# ----------------------------------------------------------------------------- nesting
def test_nested_containers_state_dict_and_repr():
    out = []
    for lib in (torch, ember):
        nn = lib.nn
        Add, Double = layers(lib)
        model = nn.Sequential(
            nn.ModuleDict({"enc": nn.ModuleList([Add(1), Add(1)]), "act": Double()}),
            nn.Sequential(Add(2)),
        )
        model.extra = nn.ParameterList([lib.zeros(3)])
        model.table = nn.ParameterDict({"t": lib.ones(2)})
        sd = model.state_dict()
        out.append((norm(repr(model)), [(k, tuple(v.shape)) for k, v in sd.items()]))
    assert out[1] == out[0]
