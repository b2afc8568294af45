"""The module database: records, availability, and checks against torch and without it."""

from __future__ import annotations

import pytest

from ember_testing import moduledb
from ember_testing.moduledb import ModuleInfo

torch = pytest.importorskip("torch")


def test_records_cover_the_families() -> None:
    owners = {info.owner for info in moduledb.all_modules()}
    assert {"ember-layers", "ember-conv", "ember-recurrent", "ember-transformer",
            "ember-losses"} <= owners
    names = {info.name for info in moduledb.available()}
    assert "Linear" in names  # ember-layers is installed wherever these tests run


@pytest.mark.parametrize("name", [info.name for info in moduledb.available()])
def test_available_record_matches_torch_on_cpu(name: str) -> None:
    for dtype in moduledb.get(name).dtypes:
        assert moduledb.check_module(moduledb.get(name), "cpu", dtype) == "torch"


def test_without_torch_the_cpu_uses_finite_differences(monkeypatch) -> None:
    monkeypatch.setattr(moduledb, "torch_available", lambda: False)
    assert moduledb.check_module(moduledb.get("Linear"), "cpu", "float64") == \
        "finite differences"


def test_register_and_get() -> None:
    info = ModuleInfo("moduledb_test_tanh", "nn.Tanh", inputs=moduledb._f((2, 3)),
                      owner="tests")
    moduledb.register(info)
    try:
        with pytest.raises(ValueError, match="already registered"):
            moduledb.register(info)
        assert moduledb.get("moduledb_test_tanh") is info
        assert moduledb.check_module(info, "cpu", "float32") == "torch"
    finally:
        moduledb._DB.pop("moduledb_test_tanh", None)
    with pytest.raises(KeyError, match="no module record"):
        moduledb.get("nope")


def test_a_wrong_module_is_caught() -> None:
    info = ModuleInfo("moduledb_wrong", "nn.Tanh", inputs=moduledb._f((2, 3)))
    original = info.resolve

    def swapped(lib):
        if lib is torch:
            return torch.nn.Sigmoid
        return original(lib)

    info.resolve = swapped  # type: ignore[method-assign]
    with pytest.raises(AssertionError, match=r"\[moduledb_wrong\] on cpu float64 outputs"):
        moduledb.check_module(info, "cpu", "float64")
