"""ember.save / ember.load: round trips of tensors and nested containers, shared storage,
safety (no code execution) and clear errors for malformed files."""

import io
import json
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]


def _roundtrip(obj, tmp_path=None):
    if tmp_path is not None:
        path = tmp_path / "obj.pt"
        ember.save(obj, path)
        return ember.load(path)
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_roundtrip_every_dtype(dtype, tmp_path):
    t = torch.arange(-3, 9).reshape(3, 4).to(getattr(torch, dtype))
    x = ember.tensor(t.float().numpy()).to(getattr(ember, dtype))
    for out in (_roundtrip(x), _roundtrip(x, tmp_path), _roundtrip(x.t()), _roundtrip(x[1:, ::2])):
        assert out.dtype is getattr(ember, dtype)
    out = _roundtrip(x)
    assert out.shape == x.shape and out.tolist() == x.tolist()
    assert out.tolist() == t.tolist()
    nc = _roundtrip(x.t())
    assert nc.tolist() == t.t().tolist()
    assert _roundtrip(x[1:, ::2]).tolist() == t[1:, ::2].tolist()


def test_nested_containers_and_python_values():
    w = ember.randn(3, 2)
    obj = {
        "state": OrderedDict([("layer.weight", w), ("layer.bias", ember.zeros(2))]),
        "list": [1, 2.5, "text", None, True, (3, ember.ones(1, dtype=ember.int64))],
        "tuple": (ember.tensor(7.0), [ember.tensor([True])]),
        5: {"nested": {"deeper": ember.arange(3)}},
        ("a", 1): float("inf"),
        "dtype": ember.float64, "device": ember.device("cpu"),
        "array": np.arange(4, dtype=np.int32), "np_scalar": np.float64(2.5),
    }
    obj["state"]._metadata = {"": {"version": 1}}
    out = _roundtrip(obj)
    assert set(out) == set(obj)
    assert isinstance(out["state"], OrderedDict) and list(out["state"]) == list(obj["state"])
    assert out["state"]._metadata == {"": {"version": 1}}
    assert out["state"]["layer.weight"].tolist() == w.tolist()
    assert out["list"][:5] == [1, 2.5, "text", None, True]
    assert isinstance(out["list"][5], tuple) and out["list"][5][1].dtype is ember.int64
    assert isinstance(out["tuple"], tuple) and out["tuple"][0].item() == 7.0
    assert out[5]["nested"]["deeper"].tolist() == [0, 1, 2]
    assert out[("a", 1)] == float("inf")
    assert out["dtype"] is ember.float64 and out["device"] == ember.device("cpu")
    np.testing.assert_array_equal(out["array"], np.arange(4))
    assert out["np_scalar"] == 2.5


def test_autograd_flags_and_parameters():
    p = ember.nn.Parameter(ember.randn(2, 2))
    frozen = ember.nn.Parameter(ember.ones(2), requires_grad=False)
    leaf = ember.ones(3, requires_grad=True)
    out = _roundtrip({"p": p, "frozen": frozen, "leaf": leaf, "plain": ember.ones(1)})
    assert isinstance(out["p"], ember.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], ember.nn.Parameter) and not out["frozen"].requires_grad
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert not out["plain"].requires_grad


def test_shared_storage_and_identity_survive():
    base = ember.arange(12.0)
    x = base.view(3, 4)
    row = x[1]
    col = x[:, 2]
    out = _roundtrip([base, x, row, col, x])
    assert out[1] is out[4]
    out[0][5] = -1.0
    assert out[1][1, 1].item() == -1.0 and out[2][1].item() == -1.0
    assert out[3].tolist() == [2.0, 6.0, 10.0]
    assert out[2].stride() == (1,) and out[3].stride() == (4,)
    assert out[3].storage_offset() == 2


def test_state_dict_of_torch_values_matches():
    t = torch.nn.Linear(3, 2)
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
    out = _roundtrip(sd)
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())


class _Evil:
    def __reduce__(self):
        return (exec, ("import sys; sys.modules['ember']._pwned = True",))


def _zip_with(header, arrays=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("header.json", header if isinstance(header, str) else json.dumps(header))
        for i, data in enumerate(arrays):
            zf.writestr(f"data/{i}.npy", data)
    buf.seek(0)
    return buf


def test_loading_never_executes_code(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump(_Evil(), f)
    with pytest.raises(RuntimeError, match="ember.load"):
        ember.load(path)
    torch_file = tmp_path / "torch.pt"
    torch.save({"x": torch.ones(2), "evil": _Evil()}, torch_file)
    with pytest.raises(RuntimeError, match="ember.load"):
        ember.load(torch_file)
    npy = io.BytesIO()
    np.lib.format.write_array(npy, np.array([_Evil()], dtype=object), allow_pickle=True)
    buf = _zip_with({"format": "ember-save-1", "tree": {"__ndarray__": 0},
                     "dtypes": ["ndarray"]}, [npy.getvalue()])
    with pytest.raises(RuntimeError, match="ember.load"):
        ember.load(buf)
    assert not hasattr(ember, "_pwned") or ember.__dict__.get("_pwned") is None
    with pytest.raises(TypeError, match="cannot serialize"):
        ember.save({"evil": _Evil()}, io.BytesIO())


def test_truncated_and_malformed_files(tmp_path):
    buf = io.BytesIO()
    ember.save({"w": ember.randn(100, 100)}, buf)
    data = buf.getvalue()
    for cut in (0, 10, len(data) // 2, len(data) - 10):
        with pytest.raises(RuntimeError, match="ember.load"):
            ember.load(io.BytesIO(data[:cut]))
    bad_headers = [
        "not json",
        {"format": "something-else", "tree": None, "dtypes": []},
        {"format": "ember-save-1", "tree": {"__tensor__": 3, "device": "cpu",
                                            "requires_grad": False}, "dtypes": []},
        {"format": "ember-save-1", "tree": {"__unknown__": 1}, "dtypes": []},
        {"format": "ember-save-1", "tree": {"__tensor__": 0}, "dtypes": ["float32"]},
        {"format": "ember-save-1", "dtypes": []},
        [1, 2, 3],
    ]
    for header in bad_headers:
        with pytest.raises(RuntimeError, match="ember.load"):
            ember.load(_zip_with(header))
    corrupt = io.BytesIO()
    np.lib.format.write_array(corrupt, np.arange(10.0))
    with pytest.raises(RuntimeError, match="ember.load"):
        ember.load(_zip_with({"format": "ember-save-1", "tree": None, "dtypes": ["float64"]},
                             [corrupt.getvalue()[:60]]))
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")
    (tmp_path / "garbage.pt").write_bytes(b"\x00\x01garbage")
    with pytest.raises(RuntimeError, match="ember.load"):
        ember.load(tmp_path / "garbage.pt")


def test_map_location():
    x = ember.ones(2)
    buf = io.BytesIO()
    ember.save(x, buf)
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s):
        buf.seek(0)
        assert ember.load(buf, map_location=loc).device == ember.device("cpu")
