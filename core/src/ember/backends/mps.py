"""``ember.backends.mps``: Apple's Metal backend, which ember does not have."""

from __future__ import annotations


def is_available() -> bool:
    """Whether an MPS device can be used: never in ember."""
    return False


def is_built() -> bool:
    """Whether this build supports MPS: it does not."""
    return False
