"""Random number generation: generators, seeding, sampling factories and in-place fills.

Seeded runs are reproducible within ember; they do not reproduce torch's exact numbers.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._dispatch import table_for
from ._base import GRAD, Tensor, normalize_shape, resolve_device, wrap, write_inplace

_DEFAULT_SEED = 67280421310721


class Generator:
    """A source of random numbers with its own state.

    Args:
        device: the device whose tensors it fills (default ``cpu``).

    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> a = ember.rand(2, generator=g)
    >>> b = ember.rand(2, generator=g.manual_seed(0))
    >>> bool((a == b).all())
    True
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = resolve_device(device)
        self._seed = _DEFAULT_SEED
        self.np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reset the state from ``seed``; returns the generator."""
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Seed from a non-deterministic source; returns the seed used."""
        s = int(time.time_ns() ^ id(self)) & 0xFFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self) -> Tensor:
        """The state as a uint8 tensor (for ``set_state``)."""
        raw = pickle.dumps((self._seed, self.np.bit_generator.state))
        from .creation import from_numpy

        return from_numpy(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from ``get_state``."""
        raw = bytes(np.asarray(new_state.numpy(), dtype=np.uint8))
        seed, state = _safe_state(raw)
        self._seed = seed
        bg = np.random.PCG64()
        bg.state = state
        self.np = np.random.Generator(bg)
        return self

    def clone_state(self) -> Any:
        return self.np.bit_generator.state


def _safe_state(raw: bytes) -> tuple[int, dict[str, Any]]:
    class _Restricted(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            raise pickle.UnpicklingError(f"generator state may not reference {module}.{name}")

    import io

    try:
        seed, state = _Restricted(io.BytesIO(raw)).load()
    except Exception as exc:
        raise RuntimeError(f"Generator.set_state: invalid state ({exc})") from None
    return int(seed), state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and every backend's); returns it."""
    default_generator.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


def _gen(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def _float_dtype(dtype: Any, kernel: str = "check_uniform_bounds") -> dt.dtype:
    """The floating dtype to sample in; others raise torch's error naming its ``kernel``."""
    d = dt.DEFAULTS.float if dtype is None else dt.to_dtype(dtype)
    if not d.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{d.scalar_name}'")
    return d


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, out: Tensor | None = None, layout: Any = None,
         pin_memory: bool = False) -> Tensor:
    """Uniform samples in ``[0, 1)`` of shape ``size``."""
    shape = normalize_shape(size, "rand")
    d = _float_dtype(dtype)
    dev = resolve_device(device)
    k = table_for(dev)
    t = wrap(k.uniform(_gen(generator), shape, 0.0, 1.0, d.np, dev), dev, k)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False, out: Tensor | None = None,
          layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Standard normal samples of shape ``size``."""
    shape = normalize_shape(size, "randn")
    d = _float_dtype(dtype, "normal_kernel_cpu")
    dev = resolve_device(device)
    k = table_for(dev)
    t = wrap(k.normal(_gen(generator), shape, 0.0, 1.0, d.np, dev), dev, k)
    return t.requires_grad_(True) if requires_grad else t


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform in ``[low, high)`` (``randint(high, size)`` starts at 0)."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    shape = normalize_shape((size,), "randint")
    d = dt.int64 if dtype is None else dt.to_dtype(dtype)
    dev = resolve_device(device)
    k = table_for(dev)
    return wrap(k.randint(_gen(generator), int(low), int(high), shape, d.np, dev), dev, k)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    perm = _gen(generator).np.permutation(n)
    from .creation import tensor

    return tensor(perm.astype(np.int64), dtype=dtype or dt.int64, device=device)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, memory_format: Any = None,
              generator: Generator | None = None) -> Tensor:
    """``rand`` with ``input``'s shape, dtype and device."""
    return rand(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, memory_format: Any = None,
               generator: Generator | None = None) -> Tensor:
    """``randn`` with ``input``'s shape, dtype and device."""
    return randn(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None,  # noqa: A002
                 device: Any = None, requires_grad: bool = False,
                 generator: Generator | None = None) -> Tensor:
    """``randint`` with ``input``'s shape, dtype and device."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device, generator=generator)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Normal samples with the given ``mean`` and ``std`` (tensors broadcast; with scalars,
    ``size`` gives the shape)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = tuple(np.broadcast_shapes(tuple(getattr(mean, "shape", ())),
                                          tuple(getattr(std, "shape", ()))))
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        return z * std + mean
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = randn(size if size is not None else (), generator=generator, dtype=dtype,
              device=device)
    out_t = z * std + mean
    return out_t.requires_grad_(True) if requires_grad else out_t


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Samples 1 with probability ``input`` (or ``p``) elementwise, else 0."""
    probs = input if p is None else input.new_full(tuple(input.shape), p)
    if bool(((probs < 0) | (probs > 1)).any()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    k = probs._k
    return wrap(k.bernoulli(_gen(generator), probs._data), probs._device, k)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None) -> Tensor:
    """Indices sampled from the categorical distributions in the rows of ``input``."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    probs = np.asarray(input.detach().double().cpu().numpy())
    rows = probs.reshape(-1, probs.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    g = _gen(generator).np
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = g.choice(len(row), size=num_samples, replace=True, p=row / total)
        else:
            # exponential-race sampling (Gumbel top-k), exact for sampling without replacement
            keys = np.where(row > 0, g.exponential(size=len(row)) / np.where(row > 0, row, 1),
                            np.inf)
            out[i] = np.argsort(keys, kind="stable")[:num_samples]
    from .creation import tensor

    res = tensor(out, device=input.device)
    return res.reshape(num_samples) if input.ndim == 1 else res


# ----------------------------------------------------------------------------- in-place fills


def _fill_from(t: Tensor, values: Tensor) -> Tensor:
    prev = GRAD.enabled
    GRAD.enabled = False
    try:
        return write_inplace(t, values, "fill")
    finally:
        GRAD.enabled = prev


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, *,
             generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` in place with samples uniform in ``[a, b)``."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > "
                           f"to={b}")
    k = tensor._k
    vals = wrap(k.uniform(_gen(generator), tuple(tensor.shape), float(a), float(b),
                          tensor._data.dtype, tensor._device), tensor._device, k)
    return _fill_from(tensor, vals)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` in place with normal samples."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    k = tensor._k
    vals = wrap(k.normal(_gen(generator), tuple(tensor.shape), float(mean), float(std),
                         tensor._data.dtype, tensor._device), tensor._device, k)
    return _fill_from(tensor, vals)


def bernoulli_(tensor: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` in place with 0/1 samples, 1 with probability ``p``."""
    probs = p if isinstance(p, Tensor) else tensor.new_full(tuple(tensor.shape), float(p),
                                                             dtype=dt.float64)
    probs = probs.expand(tuple(tensor.shape)) if tuple(probs.shape) != tuple(tensor.shape) \
        else probs
    return _fill_from(tensor, bernoulli(probs.contiguous(), generator=generator))


def exponential_(tensor: Tensor, lambd: float = 1.0, *, generator: Generator | None = None
                 ) -> Tensor:
    """Fill ``tensor`` in place with exponential samples of rate ``lambd``."""
    u = rand(tuple(tensor.shape), generator=generator, dtype=dt.float64, device=tensor.device)
    return _fill_from(tensor, (-(1 - u).log() / lambd).to(tensor.dtype))


def random_(tensor: Tensor, from_: int = 0, to: int | None = None, *,
            generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` in place with integers uniform in ``[from_, to)`` (``to`` defaults to
    the dtype's range)."""
    if to is None:
        to = (2 ** (int(np.finfo(tensor.dtype.np).nmant) + 1) if tensor.dtype.is_floating_point
              else int(np.iinfo(tensor.dtype.np).max) + 1 if tensor.dtype is not dt.bool else 2)
    vals = randint(from_, to, tuple(tensor.shape), generator=generator, dtype=dt.int64,
                   device=tensor.device)
    return _fill_from(tensor, vals.to(tensor.dtype))
