"""The entry point of ember-broken-plugin: importing it fails, on purpose."""

from __future__ import annotations

MESSAGE = "ember_broken.plugin is broken on purpose (integration test of plugin failures)"

raise ImportError(MESSAGE)
