"""ember-cpu: the CPU backend of ember (numpy arrays and C++ kernels)."""

__version__ = "0.1.0"
