"""Entry point of ember-losses: registers every loss under ``ember.nn`` and
``ember.nn.functional``.

Imports nothing heavy; the loss modules are imported the first time a name is used.
"""

from __future__ import annotations

from typing import Any

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

MODULES = ("L1Loss", "MSELoss", "CrossEntropyLoss", "CTCLoss", "NLLLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "KLDivLoss", "BCELoss", "BCEWithLogitsLoss", "MarginRankingLoss",
           "HingeEmbeddingLoss", "MultiLabelMarginLoss", "HuberLoss", "SmoothL1Loss",
           "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
           "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
           "AdaptiveLogSoftmaxWithLoss")

FUNCTIONS = ("l1_loss", "mse_loss", "cross_entropy", "ctc_loss", "nll_loss",
             "poisson_nll_loss", "gaussian_nll_loss", "kl_div", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "margin_ranking_loss", "hinge_embedding_loss",
             "multilabel_margin_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss",
             "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
             "triplet_margin_loss", "triplet_margin_with_distance_loss")


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    return ([NamespaceEntry(f"nn.{name}", f"ember_losses.modules:{name}") for name in MODULES]
            + [NamespaceEntry(f"nn.functional.{name}", f"ember_losses.functional:{name}")
               for name in FUNCTIONS]
            + [NamespaceEntry("nn.modules.loss", "ember_losses.modules")])


@hookimpl
def ember_register_ops(registry: Any) -> None:
    for name in FUNCTIONS:
        registry.declare(name, "loss function (ember-losses)")
    registry.declare("ctc_loss_backward", "gradient of ctc_loss with respect to log_probs")
