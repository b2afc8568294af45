"""The version of ember-core."""

__version__ = "0.1.0"
