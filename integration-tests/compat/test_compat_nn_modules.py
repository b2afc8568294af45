"""torch's ``torch.nn.modules.<file>`` import paths resolve in ember to the same classes
ember.nn exposes, including the private bases real model code subclasses."""

from __future__ import annotations

import importlib

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

NAMES = {
    "loss": ["_Loss", "_WeightedLoss", "CrossEntropyLoss", "MSELoss"],
    "batchnorm": ["_BatchNorm", "_NormBase", "BatchNorm1d", "BatchNorm2d"],
    "conv": ["_ConvNd", "Conv1d", "Conv2d", "ConvTranspose2d"],
    "activation": ["ReLU", "GELU", "Tanh"],
    "linear": ["Linear", "Identity"],
    "dropout": ["_DropoutNd", "Dropout"],
    "pooling": ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"],
    "normalization": ["LayerNorm", "GroupNorm"],
    "rnn": ["RNNBase", "LSTM", "GRU"],
    "transformer": ["TransformerEncoderLayer", "TransformerEncoder"],
    "sparse": ["Embedding", "EmbeddingBag"],
    "container": ["Sequential", "ModuleList", "ModuleDict"],
    "module": ["Module"],
}


@pytest.mark.parametrize("family", sorted(NAMES))
def test_family_paths(family):
    emod = importlib.import_module(f"ember.nn.modules.{family}")
    tmod = importlib.import_module(f"torch.nn.modules.{family}")
    for name in NAMES[family]:
        assert hasattr(tmod, name), name  # the name is real torch API
        cls = getattr(emod, name)
        assert isinstance(cls, type) and issubclass(cls, ember.nn.Module)
        if not name.startswith("_"):
            assert cls is getattr(ember.nn, name)
    assert getattr(ember.nn.modules, family) is emod


def test_private_bases_are_the_bases():
    from ember.nn.modules.batchnorm import _BatchNorm, _NormBase
    from ember.nn.modules.conv import _ConvNd
    from ember.nn.modules.loss import _Loss, _WeightedLoss

    assert issubclass(ember.nn.CrossEntropyLoss, _WeightedLoss)
    assert issubclass(_WeightedLoss, _Loss) and issubclass(ember.nn.L1Loss, _Loss)
    assert issubclass(ember.nn.BatchNorm2d, _BatchNorm) and issubclass(_BatchNorm, _NormBase)
    assert issubclass(ember.nn.Conv2d, _ConvNd)

    class FocalLoss(_WeightedLoss):  # how user code subclasses it
        def forward(self, x, t):
            return ember.nn.functional.cross_entropy(x, t, weight=self.weight,
                                                     reduction=self.reduction)

    loss = FocalLoss(reduction="sum")
    assert loss.reduction == "sum" and loss.weight is None


@pytest.mark.parametrize("fn", ["_single", "_pair", "_triple", "_quadruple"])
def test_utils_ntuple_helpers(fn):
    from torch.nn.modules import utils as tu

    from ember.nn.modules import utils as eu

    for value in (3, (1, 2), [4, 5, 6]):
        assert getattr(eu, fn)(value) == getattr(tu, fn)(value)
    assert eu._ntuple(5)(2) == tu._ntuple(5)(2)
    assert eu._reverse_repeat_tuple((1, 2, 3), 2) == tu._reverse_repeat_tuple((1, 2, 3), 2)


def test_consume_prefix_in_state_dict():
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as tfn

    from ember.nn.modules.utils import consume_prefix_in_state_dict_if_present as efn

    t = torch.nn.Linear(2, 2)
    wrapped = {"module." + k: v for k, v in t.state_dict().items()}
    e_sd, t_sd = dict(wrapped), dict(wrapped)
    efn(e_sd, "module.")
    tfn(t_sd, "module.")
    assert list(e_sd) == list(t_sd) == ["weight", "bias"]
