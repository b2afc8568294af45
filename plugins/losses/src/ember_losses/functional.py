"""The functional form of every loss (``ember.nn.functional.<loss>``)."""

from __future__ import annotations

from ._classification import (
                              binary_cross_entropy,
                              binary_cross_entropy_with_logits,
                              cross_entropy,
                              nll_loss,
)
from ._ctc import ctc_loss
from ._margin import (
                              cosine_embedding_loss,
                              hinge_embedding_loss,
                              margin_ranking_loss,
                              multi_margin_loss,
                              multilabel_margin_loss,
                              multilabel_soft_margin_loss,
                              soft_margin_loss,
                              triplet_margin_loss,
                              triplet_margin_with_distance_loss,
)
from ._regression import (
                              gaussian_nll_loss,
                              huber_loss,
                              kl_div,
                              l1_loss,
                              mse_loss,
                              poisson_nll_loss,
                              smooth_l1_loss,
)

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "kl_div", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "margin_ranking_loss", "hinge_embedding_loss",
           "multilabel_margin_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]
