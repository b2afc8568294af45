"""``nn.parallel.DistributedDataParallel``: data-parallel training over a process group.

Each rank holds a replica of the module and a shard of the batch. The Reducer, as torch's:

- at construction, the parameters and buffers of rank 0 are broadcast to every rank, and
  the parameters that require grad are grouped into buckets in *reverse* registration
  order (the order backward usually produces their gradients). As in torch 2.13, the
  first iteration uses a single bucket (unless ``find_unused_parameters``, which buckets
  by size from the start); before the second forward the buckets are rebuilt once, in
  the order gradients actually became ready on rank 0: a small first bucket (1 MiB when
  ``bucket_cap_mb`` is not given), then buckets of ``bucket_cap_mb`` (25 MiB);
- every parameter gets a post-accumulate-grad hook; when the last gradient of a bucket
  has been accumulated, and every earlier bucket has been launched, the bucket's
  gradients are flattened into one buffer and handed to the communication hook (default:
  divide by the world size and all-reduce, asynchronously), so communication overlaps
  the rest of backward;
- when every bucket is launched, the reducer waits for them in order and writes the
  averaged gradients back into ``param.grad``;
- ``no_sync()`` skips all of this (gradients accumulate locally), ``find_unused_parameters``
  walks the autograd graph from the outputs after forward and marks unreached parameters
  ready when backward starts (parameters unused on every rank keep ``grad=None``).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ember
from ember import Tensor
from ember.nn import Module

from . import c10d
from .algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
from .c10d._process_group import _resolve
from .work import Future

__all__ = ["DistributedDataParallel", "GradBucket", "compute_bucket_assignment_by_size"]

#: the size cap of the first bucket (torch's ``dist._DEFAULT_FIRST_BUCKET_BYTES``)
DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024

_UNFINISHED = ("Expected to have finished reduction in the prior iteration before starting a "
               "new one. This error indicates that your module has parameters that were not "
               "used in producing loss. You can enable unused parameter detection by passing "
               "the keyword argument `find_unused_parameters=True` to "
               "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
               "function outputs participate in calculating loss.")


class GradBucket:
    """One bucket of gradients handed to a communication hook.

    ``buffer()`` is the flat 1-D tensor of the bucket's gradients (concatenated in bucket
    order); the hook returns a :class:`Future` whose value is a tensor of the same shape,
    which the reducer writes back into ``param.grad``.
    """

    def __init__(self, index: int, buffer: Tensor, params: list[Tensor],
                 offsets: list[int], is_last: bool) -> None:
        self._index = index
        self._buffer = buffer
        self._params = params
        self._offsets = offsets
        self._is_last = is_last

    def index(self) -> int:
        """The bucket's position (0 is the first bucket reduced)."""
        return self._index

    def buffer(self) -> Tensor:
        """The flat gradient buffer."""
        return self._buffer

    def set_buffer(self, buffer: Tensor) -> None:
        """Replace the flat buffer (same numel)."""
        self._buffer = buffer

    def parameters(self) -> list[Tensor]:
        """The parameters whose gradients the bucket holds, in buffer order."""
        return list(self._params)

    def gradients(self) -> list[Tensor]:
        """Views of the buffer shaped like each parameter."""
        return [self._buffer[o:o + p.numel()].view(p.shape)
                for p, o in zip(self._params, self._offsets, strict=True)]

    def is_last(self) -> bool:
        """Whether this is the last bucket of the iteration."""
        return self._is_last


def compute_bucket_assignment_by_size(params: list[Tensor], size_limits: list[int],
                                      tensor_indices: list[int] | None = None
                                      ) -> list[list[int]]:
    """Group parameters into buckets by byte size, as torch's reducer does.

    Parameters are taken in list order; each (dtype, device) has an open bucket that closes
    once its byte size reaches the current limit (the first limit for the first bucket of
    that kind, the last limit after). Closed buckets come first, then the open ones. A
    bucket lists ``tensor_indices[i]`` for parameter ``i`` (``i`` itself without them);
    without ``tensor_indices`` the buckets are sorted by their smallest index.

    >>> ps = [ember.zeros(4), ember.zeros(4), ember.zeros(4)]
    >>> compute_bucket_assignment_by_size(ps, [16, 32], [2, 1, 0])
    [[2], [1, 0]]
    """
    open_buckets: dict[Any, tuple[list[int], list[int]]] = {}
    levels: dict[Any, int] = {}
    result: list[list[int]] = []
    for i, p in enumerate(params):
        label = i if tensor_indices is None else tensor_indices[i]
        key = (p.dtype, str(p.device))
        indices, size = open_buckets.setdefault(key, ([], [0]))
        indices.append(label)
        size[0] += p.numel() * p.element_size()
        level = levels.setdefault(key, 0)
        if size[0] >= size_limits[min(level, len(size_limits) - 1)]:
            result.append(indices)
            del open_buckets[key]
            levels[key] = level + 1
    result.extend(indices for indices, _ in open_buckets.values() if indices)
    if tensor_indices is None:
        result.sort(key=min)
    return result


def _tensors_in(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors_in(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors_in(x)


class _Bucket:
    __slots__ = ("indices", "offsets", "numel", "dtype", "device")

    def __init__(self, indices: list[int], params: list[Tensor]) -> None:
        self.indices = indices
        self.offsets = []
        total = 0
        for i in indices:
            self.offsets.append(total)
            total += params[i].numel()
        self.numel = total
        self.dtype = params[indices[0]].dtype
        self.device = params[indices[0]].device


class DistributedDataParallel(Module):
    """Synchronous data parallelism: gradients are averaged over the process group.

    Wrap the model on every rank, give each rank its own shard of the batch, and train
    as usual: after ``loss.backward()`` every rank holds the gradient of the mean loss over
    the whole (concatenated) batch, so identical optimizer steps keep the replicas equal.

    Args:
        module: the model (same structure on every rank; rank 0's values win).
        device_ids, output_device: for single-device GPU modules; must be None for cpu.
        dim: accepted for torch compatibility (inputs are not scattered).
        broadcast_buffers: copy rank 0's buffers to every rank before each forward
            (default True; ``forward_sync_buffers`` overrides it when given).
        init_sync: broadcast rank 0's parameters and buffers at construction.
        process_group: the group to average over (default group if None).
        bucket_cap_mb: bucket size cap in MiB (default 25).
        bucket_cap_mb_list: one cap per bucket, in MiB (overrides ``bucket_cap_mb``).
        find_unused_parameters: detect parameters that forward did not use.
        static_graph: bucket like the default (one bucket, then rebuilt once).
        check_reduction, gradient_as_bucket_view, batched_grad_copy, mixed_precision,
            device_mesh, delay_all_reduce_named_params, param_to_hook_all_reduce,
            skip_all_reduce_unused_params: accepted for torch compatibility; the reducer
            always copies the reduced gradients back into ``param.grad``.

    >>> # on each rank, after init_process_group():
    >>> # model = DistributedDataParallel(net); loss_fn(model(x_shard), y_shard).backward()
    """

    def __init__(self, module: Module, device_ids: list[Any] | None = None,
                 output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None,
                 param_to_hook_all_reduce: Any = None, mixed_precision: Any = None,
                 device_mesh: Any = None, skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: list[int] | None = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        devices = {p.device.type for p in module.parameters()}
        if (device_ids is not None or output_device is not None) and devices == {"cpu"}:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments "
                             "only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {device_ids}, output_device "
                             f"{output_device}, and module parameters {devices}.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.module = module
        pg = _resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not in process_group")
        self.process_group: c10d.ProcessGroup = pg
        self.dim = dim
        self.device_ids = device_ids
        self.output_device = output_device
        if forward_sync_buffers is not None:
            self.broadcast_buffers = bool(forward_sync_buffers)
        else:
            self.broadcast_buffers = True if broadcast_buffers is None else broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self._first_bucket_bytes = (DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None
                                    else self.bucket_bytes_cap)
        self._params = params
        self._cap_list = [int(c * 1024 * 1024) for c in bucket_cap_mb_list or []]
        if self._cap_list:
            self.bucket_bytes_cap = max(self._cap_list)
            self._first_bucket_bytes = self.bucket_bytes_cap
        if init_sync:
            self._verify_same_model()
            self._sync_module_states()
        # As torch: the first iteration uses one bucket (the gradients' real order is not
        # known yet) unless unused parameters are searched for; afterwards the buckets are
        # rebuilt once, in the order gradients became ready (rank 0's), a small one first.
        if self._cap_list:
            limits = list(self._cap_list)
        elif static_graph or not find_unused_parameters:
            limits = [sys.maxsize]
        elif self._first_bucket_bytes < self.bucket_bytes_cap:
            limits = [self._first_bucket_bytes, self.bucket_bytes_cap]
        else:
            limits = [self.bucket_bytes_cap]
        self._set_buckets(list(reversed(compute_bucket_assignment_by_size(params, limits))))
        self._should_rebuild = static_graph or not find_unused_parameters
        self._ready_order: list[int] = []
        self._comm_hook: Callable[[Any, GradBucket], Future] = allreduce_hook
        self._comm_state: Any = self.process_group
        self._custom_hook = False
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._make_hook(i))
                              for i, p in enumerate(params)]
        self._expect_hooks = False
        self._finalized = True
        self._reset_iteration()

    # -- construction ---------------------------------------------------------------------
    def _verify_same_model(self) -> None:
        shapes = [tuple(p.shape) for p in self._params]
        everyone: list[Any] = [None] * self.process_group.size()
        c10d.all_gather_object(everyone, shapes, group=self.process_group)
        me = self.process_group.rank()
        for r, theirs in enumerate(everyone):
            if len(theirs) != len(shapes):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {me} "
                                   f"has {len(shapes)} params, while rank {r} has inconsistent "
                                   f"{len(theirs)} params.")
            for i, (a, b) in enumerate(zip(shapes, theirs, strict=True)):
                if a != b:
                    raise RuntimeError(f"DDP expects same model across all ranks, but Rank "
                                       f"{me} has parameter {i} of shape {a}, while rank {r} "
                                       f"has shape {b}.")

    def _set_buckets(self, assignment: list[list[int]]) -> None:
        self._buckets = [_Bucket(ix, self._params) for ix in assignment]
        self._where: dict[int, tuple[int, int]] = {}
        for b, bucket in enumerate(self._buckets):
            for pos, i in enumerate(bucket.indices):
                self._where[i] = (b, pos)

    def _rebuild_buckets(self) -> None:
        """Re-bucket once, in the order gradients became ready in the first backward."""
        self._should_rebuild = False
        if len(self._ready_order) != len(self._params):
            return
        order = ember.tensor(self._ready_order, dtype=ember.int64)
        c10d.broadcast(order, group=self.process_group, group_src=0)
        indices = [int(i) for i in order.tolist()]
        params = [self._params[i] for i in indices]
        limits = self._cap_list or [self._first_bucket_bytes, self.bucket_bytes_cap]
        self._set_buckets(compute_bucket_assignment_by_size(params, limits, indices))

    def _broadcast_from_0(self, tensors: list[Tensor]) -> None:
        works = [c10d.broadcast(t.detach(), group=self.process_group, group_src=0,
                                async_op=True) for t in tensors]
        for w in works:
            if w is not None:
                w.wait()

    def _sync_module_states(self) -> None:
        state = [t for t in self.module.state_dict(keep_vars=True).values()
                 if isinstance(t, Tensor)]
        self._broadcast_from_0(state)

    # -- the reducer ----------------------------------------------------------------------
    def _reset_iteration(self) -> None:
        self._pending = [len(b.indices) for b in self._buckets]
        self._ready = [False] * len(self._params)
        self._next_bucket = 0
        self._futures: list[tuple[int, Future]] = []
        self._unused: list[int] = []
        self._marked_unused = False
        self._used = [False] * len(self._params)

    def _make_hook(self, index: int) -> Callable[[Tensor], None]:
        def hook(param: Tensor) -> None:
            if not self._expect_hooks:
                return
            if not self._marked_unused:
                self._marked_unused = True
                for i in self._unused:
                    self._mark_ready(i, used=False)
            self._mark_ready(index, used=True)
        return hook

    def _mark_ready(self, index: int, used: bool) -> None:
        if self._ready[index]:
            if not used:
                return
            raise RuntimeError(f"Expected to mark a variable ready only once. This error is "
                               f"caused by one of the following reasons: 1) Use of a module "
                               f"parameter outside the `forward` function. 2) Reused "
                               f"parameters in multiple reentrant backward passes. Parameter "
                               f"at index {index} has been marked as ready twice.")
        self._ready[index] = True
        if used and self._should_rebuild:
            self._ready_order.append(index)
        self._used[index] = self._used[index] or used
        b, _ = self._where[index]
        self._pending[b] -= 1
        while self._next_bucket < len(self._buckets) and \
                self._pending[self._next_bucket] == 0:
            self._launch(self._next_bucket)
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets) and not self._finalized:
            self._finalize()

    def _launch(self, b: int) -> None:
        bucket = self._buckets[b]
        with ember.no_grad():
            pieces = []
            for i in bucket.indices:
                p = self._params[i]
                g = p.grad
                pieces.append(ember.zeros(p.numel(), dtype=p.dtype, device=p.device)
                              if g is None else g.detach().reshape(-1))
            buffer = ember.cat(pieces).contiguous()
        grad_bucket = GradBucket(b, buffer, [self._params[i] for i in bucket.indices],
                                 bucket.offsets, b == len(self._buckets) - 1)
        fut = self._comm_hook(self._comm_state, grad_bucket)
        if not isinstance(fut, Future):
            raise RuntimeError(f"Communication hook must return a torch.futures.Future, got "
                               f"{type(fut).__name__}")
        self._futures.append((b, fut))

    def _finalize(self) -> None:
        self._finalized = True
        globally_used = None
        if self.find_unused_parameters:
            flags = ember.tensor([1 if u else 0 for u in self._used], dtype=ember.int32)
            c10d.all_reduce(flags, group=self.process_group)
            globally_used = [bool(v) for v in flags.tolist()]
        with ember.no_grad():
            for b, fut in self._futures:
                result = fut.wait()
                bucket = self._buckets[b]
                if not isinstance(result, Tensor) or result.numel() != bucket.numel:
                    raise RuntimeError("Communication hook must return a future whose value is "
                                       f"a tensor of {bucket.numel} elements (the bucket)")
                flat = result.reshape(-1)
                for i, off in zip(bucket.indices, bucket.offsets, strict=True):
                    p = self._params[i]
                    if globally_used is not None and not globally_used[i]:
                        continue
                    value = flat[off:off + p.numel()].view(p.shape)
                    if p.grad is None:
                        p.grad = value.clone()
                    else:
                        p.grad.copy_(value)
        self._expect_hooks = False

    def _prepare_for_backward(self, output: Any) -> None:
        self._reset_iteration()
        self._expect_hooks = True
        self._finalized = False
        if not self.find_unused_parameters:
            return
        reached: set[int] = set()
        seen: set[int] = set()
        stack = [t.grad_fn for t in _tensors_in(output) if t.grad_fn is not None]
        ids = {id(p): i for i, p in enumerate(self._params)}
        for t in _tensors_in(output):
            if id(t) in ids:
                reached.add(ids[id(t)])
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            variable = getattr(node, "variable", None)
            if variable is not None and id(variable) in ids:
                reached.add(ids[id(variable)])
            stack.extend(e[0] for e in node.next_functions if e is not None)
        self._unused = [i for i in range(len(self._params)) if i not in reached]
        if len(self._unused) == len(self._params):
            # nothing will run backward through this module: every bucket is ready now
            self._marked_unused = True
            for i in self._unused:
                self._mark_ready(i, used=False)

    # -- public API -----------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run the wrapped module (after syncing buffers from rank 0) and prepare the
        reducer for the backward pass that follows."""
        if self._expect_hooks and not self._finalized:
            raise RuntimeError(_UNFINISHED)
        if self._should_rebuild and self._ready_order and ember.is_grad_enabled() and \
                self.require_backward_grad_sync:
            self._rebuild_buckets()
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = [b for b in self.module.buffers() if b is not None]
            if buffers:
                self._broadcast_from_0(buffers)
        output = self.module(*inputs, **kwargs)
        if ember.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(output)
        else:
            self._expect_hooks = False
            self._finalized = True
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this context, backward accumulates gradients locally without
        communication; the first synchronized backward after it averages the sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state: Any, hook: Callable[[Any, GradBucket], Future]
                           ) -> None:
        """Replace the gradient all-reduce by ``hook(state, bucket) -> Future[Tensor]``.

        The hook receives a :class:`GradBucket` and returns a Future of a tensor shaped
        like ``bucket.buffer()``, holding the gradients to install (e.g. averaged over the
        group). It may be registered once, before training.
        """
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        try:
            inspect.signature(hook).bind(state, None)
        except TypeError:
            raise ValueError("Communication hook must take two arguments: (state, bucket)"
                             ) from None
        if self._custom_hook:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self._custom_hook = True
        self._comm_hook = hook
        self._comm_state = state

    def extra_repr(self) -> str:
        """Nothing besides the wrapped module (printed as the ``module`` child)."""
        return ""
