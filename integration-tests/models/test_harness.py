"""The harness itself: scripts really run on ember, and torch is left as it was."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

_spec = importlib.util.spec_from_file_location(
    "ember_models_harness", Path(__file__).resolve().parent / "harness.py")
harness = sys.modules.setdefault("ember_models_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(harness)


def test_ember_load_binds_every_torch_import_to_ember():
    import ember.utils.data

    import ember
    import ember.nn.functional

    before = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    mod = harness.load_script("embedding_bag_text", "ember")
    assert mod.torch is ember
    assert mod.nn is ember.nn
    assert mod.F is ember.nn.functional
    assert mod.DataLoader is ember.utils.data.DataLoader
    assert mod.TensorDataset is ember.utils.data.TensorDataset
    assert issubclass(mod.TextClassifier, ember.nn.Module)
    assert not issubclass(mod.TextClassifier, torch.nn.Module)
    # torch's modules are back exactly as they were, and no alias is left behind.
    after = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    assert after == before
    assert sys.modules["torch"] is torch
    assert not any(type(f).__name__ == "_TorchToEmberFinder" for f in sys.meta_path)
    assert "ember_models_ember_embedding_bag_text" not in sys.modules


def test_torch_load_is_torch():
    mod = harness.load_script("mingpt", "torch")
    assert mod.torch is torch
    assert mod.F is torch.nn.functional
    assert issubclass(mod.GPT, torch.nn.Module)


def test_ember_model_computes_on_ember_tensors():
    import ember

    mod = harness.load_script("mingpt", "ember")
    model = mod.build_model()
    x, y = harness.to_ember(harness.load_script("mingpt", "torch").make_data())
    logits, loss = model(x, y)
    assert isinstance(logits, ember.Tensor)
    assert isinstance(loss, ember.Tensor) and loss.dim() == 0
    assert logits.shape == (16, 12, 31)


def test_copy_state_makes_the_models_agree_before_training():
    import ember

    tmod = harness.load_script("lenet", "torch")
    emod = harness.load_script("lenet", "ember")
    tmodel, emodel = tmod.build_model().eval(), emod.build_model().eval()
    harness.copy_state(tmodel, emodel)
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        expected = tmodel(x).numpy()
    with ember.no_grad():
        actual = emodel(ember.from_numpy(x.numpy())).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        harness.load_script("lenet", "jax")
