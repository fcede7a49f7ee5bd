"""Executors: where the replications of a sweep or a search run.

An executor maps one top-level, picklable function over a list of argument tuples and hands
back each result as soon as it is ready, tagged with its position; it never writes a file and
knows nothing of scenarios. Three kinds share that one contract:

* :class:`SerialExecutor`: in this process, one task after the other (tests, tiny jobs);
* :class:`PoolExecutor`: a local :class:`concurrent.futures.ProcessPoolExecutor`;
* :class:`DaskExecutor`: a Dask distributed cluster, either an existing one (a scheduler
  address such as ``tcp://10.0.0.5:8786``) or a :class:`distributed.LocalCluster` it starts
  and stops itself.

A task that raises does not stop the others: its outcome carries the error as text. Leaving
the ``with`` block (normally, or on Ctrl-C) cancels what has not run yet.

Dask is imported only when a :class:`DaskExecutor` is built, so the rest of prefsim does not
need it installed.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, NamedTuple, Protocol


class ExecutorError(RuntimeError):
    """An executor that cannot start (e.g. an unreachable scheduler); one-line message."""


class Outcome(NamedTuple):
    """The result of task number ``task``, or the error it raised as ``Type: message``."""

    task: int
    value: Any
    error: str | None


class Executor(Protocol):
    """Runs ``fn(*args)`` for each tuple of ``tasks``, yielding outcomes as they complete."""

    workers: int
    description: str

    def imap(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
             ) -> Iterator[Outcome]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


class SerialExecutor:
    """Runs every task in this process, in order."""

    workers = 1
    description = "this process"

    def imap(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
             ) -> Iterator[Outcome]:
        for index, args in enumerate(tasks):
            try:
                yield Outcome(index, fn(*args), None)
            except Exception as exc:  # noqa: BLE001 - reported per task, the others go on
                yield Outcome(index, None, _error(exc))

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class PoolExecutor:
    """A local process pool, its workers forked up front (before any progress-bar thread).

    Forking, unlike spawning, needs no ``if __name__ == "__main__"`` guard in the caller's
    script and starts workers in milliseconds. At most ``2 * workers`` tasks are in flight,
    so an interrupted sweep leaves little work behind and a huge grid does not fill memory
    with pending futures.
    """

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.description = f"local process pool, {self.workers} worker(s)"
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PoolExecutor:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        self._pool = ProcessPoolExecutor(self.workers,
                                         mp_context=multiprocessing.get_context(method))
        self._pool.submit(int).result()  # with fork, this starts every worker now
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=kind is None, cancel_futures=True)
            self._pool = None

    def imap(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
             ) -> Iterator[Outcome]:
        if self._pool is None:
            raise RuntimeError("use the executor in a with block")
        pending: dict[Future[Any], int] = {}
        queue = iter(enumerate(tasks))
        limit = 2 * self.workers
        while True:
            for index, args in queue:
                pending[self._pool.submit(fn, *args)] = index
                if len(pending) >= limit:
                    break
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                exc = future.exception()
                yield Outcome(index, None if exc else future.result(),
                              _error(exc) if exc else None)


class DaskExecutor:
    """Tasks on a Dask distributed cluster.

    Parameters
    ----------
    address
        Scheduler of an existing cluster (``tcp://host:8786``); None starts a LocalCluster.
    workers
        Worker processes of the LocalCluster (one thread each); ignored with ``address``.
    timeout
        Seconds to wait for the scheduler before giving up with an :class:`ExecutorError`.
    """

    def __init__(self, address: str | None = None, workers: int | None = None,
                 timeout: float = 10.0):
        self.address, self.timeout = address, timeout
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.description = (f"Dask scheduler {address}" if address
                            else f"Dask LocalCluster, {self.workers} worker(s)")
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("Dask is not installed: pip install 'dask[distributed]'") from None
        try:
            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0", silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster, timeout=self.timeout)
            else:
                self._client = Client(self.address, timeout=self.timeout)
                self.workers = max(1, len(self._client.scheduler_info()["workers"]))
        except (OSError, TimeoutError, ValueError, RuntimeError) as exc:
            self.__exit__(None)
            where = self.address or "a local cluster"
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}: "
                                f"{_error(exc)}") from None
        try:  # import prefsim on every worker now: start-up cost, and a check they have it
            self._client.run(importlib.import_module, "sim.experiments.sweep")
        except Exception as exc:  # noqa: BLE001 - any worker-side failure, one line
            self.__exit__(None)
            raise ExecutorError(f"Dask workers cannot import prefsim: {_error(exc)}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        for thing in (self._client, self._cluster):
            if thing is not None:
                with contextlib.suppress(Exception):  # closing is best effort
                    thing.close()
        self._client = self._cluster = None

    def imap(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
             ) -> Iterator[Outcome]:
        if self._client is None:
            raise RuntimeError("use the executor in a with block")
        from distributed import as_completed

        if not tasks:
            return
        columns = list(zip(*tasks, strict=True))
        futures = self._client.map(fn, *columns, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                k = index[future.key]
                if future.status == "error":
                    yield Outcome(k, None, _error(future.exception()))
                else:
                    yield Outcome(k, future.result(), None)
                future.release()
        finally:
            self._client.cancel([f for f in futures if not f.done()])


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  dask_workers: int | None = None, timeout: float = 10.0) -> Executor:
    """The executor a command line asks for: Dask if a scheduler or Dask workers are given."""
    if scheduler is not None:
        return DaskExecutor(scheduler, timeout=timeout)
    if dask_workers is not None:
        return DaskExecutor(None, dask_workers, timeout=timeout)
    if workers == 0:
        return SerialExecutor()
    return PoolExecutor(workers)
