"""``ember.backends.cpu``: what the CPU backend's kernels can use."""

from __future__ import annotations


def get_cpu_capability() -> str:
    """The widest SIMD instruction set the CPU offers, named as torch names it.

    One of ``"AVX512"``, ``"AVX2"``, ``"DEFAULT"`` on x86 (``"SVE256"``/``"DEFAULT"`` on
    ARM), read from the processor's feature flags.
    """
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags.update(line.split(":", 1)[1].split())
                    break
    except OSError:
        return "DEFAULT"
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX512"
    if {"avx2", "fma"} <= flags:
        return "AVX2"
    if "sve" in flags:
        return "SVE256"
    return "DEFAULT"
