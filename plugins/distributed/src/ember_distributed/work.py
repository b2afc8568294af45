"""Handles of asynchronous operations: :class:`Work` (``async_op=True``) and :class:`Future`.

A Work owns the engine requests of one collective and a ``finish`` step (copy results back
into the caller's tensors, divide for AVG, ...) that runs once, when the requests complete.
Waiting polls the requests with a deadline: a peer that never joins makes ``wait`` raise
:class:`DistBackendError` after the timeout instead of blocking forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

__all__ = ["DistError", "DistBackendError", "DistNetworkError", "DistStoreError", "Work",
           "Future"]


class DistError(RuntimeError):
    """Base class of the errors ember.distributed raises (torch.distributed.DistError)."""


class DistBackendError(DistError):
    """A communication engine failed or timed out."""


class DistNetworkError(DistError):
    """A network operation of the rendezvous failed."""


class DistStoreError(DistError):
    """The rendezvous store failed or timed out."""


def _seconds(timeout: timedelta | float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


class Work:
    """A pending collective or point-to-point operation.

    Returned by every collective called with ``async_op=True`` (and by ``isend``/``irecv``).
    ``wait()`` blocks until it completes (or raises after the timeout); ``is_completed()``
    asks without blocking.

    Args:
        engine: the engine whose requests these are (it knows how to test them).
        requests: the engine's request objects.
        finish: called once after completion; returns the operation's result tensors.
        name: the operation's name, for error messages.
        timeout: the default deadline of ``wait`` (the process group's timeout).
        describe: a short ``"rank r of n, backend b"`` string for error messages.
        cancel_on_timeout: cancel the requests when a wait times out (point-to-point).
    """

    def __init__(self, engine: Any, requests: list[Any], finish: Callable[[], Any] | None,
                 name: str, timeout: timedelta | float | None, describe: str = "",
                 cancel_on_timeout: bool = False) -> None:
        self._engine = engine
        self._requests = requests
        self._finish = finish
        self._name = name
        self._timeout = timeout
        self._describe = describe
        self._cancel = cancel_on_timeout
        self._done = False
        self._result: Any = None
        self._exception: BaseException | None = None

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            try:
                self._result = self._finish()
            except BaseException as exc:  # surfaced by wait()
                self._exception = exc
            self._finish = None

    def is_completed(self) -> bool:
        """Whether the operation has finished (never blocks)."""
        if not self._done and (not self._requests or self._engine.test(self._requests)):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """Whether the operation finished without an error."""
        return self.is_completed() and self._exception is None

    def exception(self) -> BaseException | None:
        """The error the operation ended with, if any."""
        return self._exception

    def wait(self, timeout: timedelta | float | None = None) -> bool:
        """Block until the operation completes; returns True.

        Args:
            timeout: the deadline (a ``timedelta`` or seconds); defaults to the process
                group's timeout.

        Raises:
            DistBackendError: the operation did not complete before the deadline.
        """
        limit = _seconds(timeout if timeout is not None else self._timeout)
        deadline = None if limit is None else time.monotonic() + limit
        pause = 0.0
        while not self.is_completed():
            if deadline is not None and time.monotonic() > deadline:
                if self._cancel:
                    self._engine.cancel(self._requests)
                    self._requests = []
                    self._done = True
                    self._finish = None
                where = f" ({self._describe})" if self._describe else ""
                raise DistBackendError(f"[ember.distributed] {self._name} timed out after "
                                       f"{timedelta(seconds=limit or 0.0)}{where}: a peer did not "
                                       "take part in time")
            if pause:
                time.sleep(pause)
            pause = min(0.001, pause + 0.0001)
        if self._exception is not None:
            raise self._exception
        return True

    def result(self) -> Any:
        """The output tensors of the completed operation (waits first)."""
        self.wait()
        return self._result

    def get_future(self) -> Future:
        """A :class:`Future` whose value is the operation's output tensors."""
        return Future(self.result, done=self.is_completed)

    def synchronize(self) -> None:
        """Same as ``wait()`` for cpu engines."""
        self.wait()


class _Unset:
    pass


_UNSET = _Unset()


class Future:
    """A value that becomes available later (``torch.futures.Future``).

    ``wait()`` returns the value, running the producer (for example a Work's wait) the first
    time; ``then(cb)`` chains ``cb(fut)`` and returns a Future of its result; a Future made
    with no producer is completed with ``set_result``.

    >>> fut = Future()
    >>> fut.set_result(3)
    >>> fut.then(lambda f: f.value() + 1).wait()
    4
    """

    def __init__(self, producer: Callable[[], Any] | None = None,
                 done: Callable[[], bool] | None = None) -> None:
        self._producer = producer
        self._done_fn = done
        self._value: Any = _UNSET

    def done(self) -> bool:
        """Whether ``wait()`` would return without blocking."""
        if self._value is not _UNSET:
            return True
        return self._done_fn() if self._done_fn is not None else False

    def set_result(self, result: Any) -> None:
        """Complete the Future with ``result``."""
        if self._value is not _UNSET:
            raise RuntimeError("Future can only be marked completed once.")
        self._value = result

    def wait(self) -> Any:
        """Block until the value is ready and return it."""
        if self._value is _UNSET:
            if self._producer is None:
                raise RuntimeError("this Future has no result yet: call set_result first")
            self._value = self._producer()
            self._producer = None
        return self._value

    def value(self) -> Any:
        """The value of a completed Future (waits if needed)."""
        return self.wait()

    def then(self, callback: Callable[[Future], Any]) -> Future:
        """A Future of ``callback(self)``, run once this Future's value is ready."""
        return Future(lambda: callback(_ready(self)), done=self.done)


def _ready(fut: Future) -> Future:
    fut.wait()
    return fut
