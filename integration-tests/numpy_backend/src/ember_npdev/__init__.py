"""ember-npdev: a pure-numpy ember backend (device ``npdev``) that implements only the
primitive set of the backend contract."""

__version__ = "0.1.0"
