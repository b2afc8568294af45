"""The op database: records, registration, and the coverage of the core samples."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember_testing import harness, opdb
from ember_testing.opdb import Arg, OpInfo, SampleInput

torch = pytest.importorskip("torch")


def test_core_ops_cover_every_family() -> None:
    names = set(opdb.op_names())
    for expected in ("exp", "add", "where", "sum", "var", "softmax", "log_softmax", "reshape",
                     "cat", "getitem", "gather", "index_select", "matmul", "einsum", "addmm"):
        assert expected in names
    assert len(names) >= 80
    assert all(info.owner == "ember-core" for info in opdb.all_ops("ember-core"))


def test_samples_cover_layouts_and_edge_shapes() -> None:
    layouts, descs = set(), set()
    for info in opdb.all_ops():
        samples = info.sample_inputs()
        assert samples, info.name
        for s in samples:
            for a in s.tensors:
                layouts.add(a.layout)
                if a.array.ndim == 0:
                    descs.add("0-d")
                if a.array.size == 0:
                    descs.add("empty")
            if len(s.tensors) == 2 and s.tensors[0].array.shape != s.tensors[1].array.shape:
                descs.add("broadcast")
    assert {"contig", "noncontig", "T"} <= layouts
    assert {"0-d", "empty", "broadcast"} <= descs


def test_samples_are_deterministic() -> None:
    a = opdb.get("exp").sample_inputs()
    b = opdb.get("exp").sample_inputs()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.tensors[0].array, y.tensors[0].array)


def test_arg_layouts_build_the_same_values_in_both_libraries() -> None:
    values = np.arange(12.0).reshape(3, 4)
    for layout in ("contig", "noncontig"):
        e = Arg(values, layout).build(ember, "float32", requires_grad=True)
        t = Arg(values, layout).build(torch, "float32", requires_grad=True)
        assert e.is_contiguous() == t.is_contiguous() == (layout == "contig")
        assert e.requires_grad and t.requires_grad
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    e = Arg(values, "T").build(ember, "float64")
    assert tuple(e.shape) == (3, 4) and not e.is_contiguous()


def test_register_rejects_duplicates_and_get_unknown() -> None:
    info = OpInfo.method("opdb_test_neg", method="neg", samples=opdb.unary_samples(),
                         owner="tests")
    opdb.register(info)
    try:
        with pytest.raises(ValueError, match="already in the op database"):
            opdb.register(info)
        opdb.register(info, replace=True)
        assert opdb.get("opdb_test_neg") is info
        assert [i.name for i in opdb.all_ops("tests")] == ["opdb_test_neg"]
    finally:
        opdb._DB.pop("opdb_test_neg", None)
    with pytest.raises(KeyError, match="no op 'no_such_op'"):
        opdb.get("no_such_op")


def test_a_plugin_record_runs_through_the_harness() -> None:
    def samples(rng):
        yield SampleInput((Arg(rng.uniform(0.5, 2.0, (3, 4))),), (2,))

    info = OpInfo("plugin_pow", lambda x, p: x ** p, lambda x, p: x ** p, samples,
                  np_ref=lambda x, p: x ** p, owner="ember-someplugin")
    for dtype in ("float32", "float64"):
        summary = harness.check_op(info, "cpu", dtype)
        assert summary["reference"] == "torch"
        assert summary["samples"] == summary["backward"] == summary["double_backward"] == 1
        assert harness.check_op(info, "cpu", dtype, reference="numpy")["reference"] == "numpy"


def test_tolerances() -> None:
    info = opdb.get("exp")
    assert info.tolerance("float32") == opdb.DEFAULT_TOLS["float32"]
    rtol, atol = info.tolerance("float64", grad=True)
    assert rtol == opdb.DEFAULT_TOLS["float64"][0] * 10
