"""Where delivered files are read, validated and pseudonymised while earlier ones are written: threads or processes.

Preparing a file is Polars work (which runs without the GIL) interleaved with Python work that holds it: keyed
hashing, parsing JSON lines and the per-batch bookkeeping. Threads therefore overlap only partly. Measured on two
cores at force scale, preparing in worker processes took five years of monthly probation files from 24.7 to 18.7 s,
and of police nominals from 18.9 to 16.8 s (docs/performance.md). Starting the processes costs about a second, so
small runs are prepared on threads instead (`ingestors.ingest.prepares_in_processes`).

The pseudonymisation key refuses to be pickled, so it is never sent to a worker: each worker loads the master key
itself, from the same configuration as the caller (`KeyLoader`), and refuses to prepare anything unless its key has
the caller's fingerprint. Everything else a worker needs (`Preparation` without the key) is sent once, when it starts.
Workers write nothing but their own staged files; the caller does every lake write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Protocol, Self, TypeVar

import polars as pl

from ingestors.contract import FeedContract
from privacy.agreement import SharingAgreement
from privacy.keys import PseudonymisationKey

P = ParamSpec("P")
R = TypeVar("R")
# Loads the master key in a worker process from the caller's configuration (never from an argument: that would
# pickle the key). Must be a module-level function, so that it is sent by name.
KeyLoader = Callable[[], PseudonymisationKey]


@dataclass(frozen=True)
class Preparation:
    """What preparing a file needs: the feeds' contracts and agreements, the key, the postcode lookup and the date."""

    contracts: Mapping[str, FeedContract]
    agreements: Mapping[str, SharingAgreement]
    keys: PseudonymisationKey
    postcode_lookup: pl.DataFrame
    today: dt.date
    batch_rows: int


class KeyMismatch(RuntimeError):
    """A worker process loaded a different pseudonymisation key from the caller's."""


class Preparer(Protocol):
    """Runs `task(preparation, *args)` in the background; used as a context manager that waits for its tasks."""

    def submit(
        self, task: Callable[Concatenate[Preparation, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> Future[R]: ...

    def shutdown(self, wait: bool = True) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


class _PoolPreparer:
    """The context-manager half of a `Preparer`, over a `concurrent.futures` executor."""

    _pool: ThreadPoolExecutor | ProcessPoolExecutor

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.shutdown(wait=True)


class PreparingThreads(_PoolPreparer):
    """Prepares on `workers` threads of this process, with this process's key."""

    def __init__(self, preparation: Preparation, workers: int) -> None:
        self._preparation = preparation
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vrlake-prepare")

    def submit(self, task: Callable[Concatenate[Preparation, P], R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        return self._pool.submit(task, self._preparation, *args, **kwargs)


class PreparingProcesses(_PoolPreparer):
    """Prepares in `workers` new processes, each with the key it loads through `load_key`.

    Tasks and their arguments and results cross process boundaries, so they must be picklable (module-level
    functions, paths, records, frames). A worker that cannot load the same key fails every task it is given with
    `KeyMismatch` or the loader's own error (a missing key's instructions, say), rather than dying unexplained.
    """

    def __init__(self, preparation: Preparation, workers: int, load_key: KeyLoader) -> None:
        fields = (f.name for f in dataclasses.fields(preparation) if f.name != "keys")
        without_key = {name: getattr(preparation, name) for name in fields}
        setup = _WorkerSetup(without_key, load_key, preparation.keys.fingerprint)
        # "spawn": a forked child would inherit the locks of Polars', Arrow's and delta-rs's threads mid-use.
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(setup,)
        )

    def submit(self, task: Callable[Concatenate[Preparation, P], R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        return self._pool.submit(_run_in_worker, task, *args, **kwargs)


@dataclass(frozen=True)
class _WorkerSetup:
    """Sent to each worker once: the preparation without its key, how to load the key, and the key it must be."""

    preparation: dict[str, Any]
    load_key: KeyLoader
    key_fingerprint: str


_worker_preparation: Preparation | None = None
_worker_failure: BaseException | None = None


def _start_worker(setup: _WorkerSetup) -> None:
    """Runs once in each worker process. A failure is kept and raised by every task, with its reason: an exception
    escaping an initializer only breaks the pool, and the caller would learn nothing about why."""
    global _worker_preparation, _worker_failure
    try:
        keys = setup.load_key()
        if keys.fingerprint != setup.key_fingerprint:
            raise KeyMismatch(
                f"a worker process loaded a different pseudonymisation key (fingerprint {keys.fingerprint}, expected "
                f"{setup.key_fingerprint}): it must be configured the same way as the process that started it"
            )
        _worker_preparation = Preparation(keys=keys, **setup.preparation)
    except Exception as error:  # noqa: BLE001 - kept and raised by every task, see the docstring
        _worker_failure = error


def _run_in_worker(task: Callable[Concatenate[Preparation, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    if _worker_failure is not None:
        raise _worker_failure
    assert _worker_preparation is not None
    return task(_worker_preparation, *args, **kwargs)
