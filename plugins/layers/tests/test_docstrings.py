"""The ``>>>`` examples in ember-layers' docstrings run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import ember_layers

MODULES = sorted(info.name for info in pkgutil.walk_packages(ember_layers.__path__,
                                                             "ember_layers."))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module):
        runner.run(test)
    failed, _ = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} example(s) failed in {name} (output above)"


def test_every_family_module_has_examples():
    # the activation families moved out of functional.activation keep their examples
    for family in ("clamp", "leaky", "exponential", "gates", "shrink"):
        module = importlib.import_module(f"ember_layers.functional.{family}")
        tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
        assert len(tests) == len(module.__all__), family
