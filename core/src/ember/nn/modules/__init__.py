"""The core modules: Module, the containers and the lazy-module mixin."""

from __future__ import annotations

__all__: list[str] = []
