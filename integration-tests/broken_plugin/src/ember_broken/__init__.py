"""ember-broken-plugin: its plugin module fails to import, on purpose."""

__version__ = "0.1.0"
