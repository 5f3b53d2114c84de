"""The Celery runner (distributed mode): a Redis broker carries job ids to ``culturecast
worker`` processes, which run them with the same :func:`~.runner.execute` as the in-process
runner.

Delivery guarantees, and the settings that give them:

* ``task_acks_late``: a message is acknowledged after the job ran, not when it was received,
  so a worker that dies mid-job (OOM, ``kill -9``, a lost node) leaves it unacknowledged.
* With Redis there is no broker-side consumer liveness: an unacknowledged message becomes
  visible again only after ``visibility_timeout`` seconds. It must be longer than the longest
  job (a multi-hour film transcode), otherwise a job still running on a healthy worker is
  delivered to a second worker. Hence the 6 h default: a crashed job restarts within hours,
  never runs twice concurrently. Tests use a few seconds to see redelivery happen.
* ``worker_prefetch_multiplier=1`` and one job per worker process: a worker holds at most the
  message it is running, so nothing else waits behind a long job or dies with it.
* ``task_reject_on_worker_lost``: with the prefork pool, a child killed mid-job requeues its
  message at once instead of marking it failed.

Only the job id travels; name and payload are in the job record. The task runs the coroutine
on one asyncio event loop owned by the worker process, opened on the first task together with
the engines (database connections are opened once per process, not once per job).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, Final

import celery
from celery import bootsteps

from culturecast.jobs.port import JobRegistry
from culturecast.jobs.records import JobRecords
from culturecast.jobs.runner import Outcome, execute
from culturecast.storage.errors import EngineUnavailable

log = logging.getLogger(__name__)

RUN_JOB_TASK = "culturecast.run_job"
"""The one Celery task: run the job whose id is its only argument."""

DEFAULT_QUEUE = "culturecast.jobs"
DEFAULT_VISIBILITY_TIMEOUT = 6 * 3600.0
"""Longer than the longest job; see the module docstring."""

type WorkerServices = Callable[[], AbstractAsyncContextManager[tuple[JobRegistry, JobRecords]]]
"""Opens what a worker process needs to run jobs (engines, registry) and closes it on exit;
called once per worker process, inside its event loop."""

_INFRA_RETRY_DELAY = 10.0
_INFRA_RETRY_LIMIT = 30
"""A job whose record cannot be reached (database down) is retried every 10 s for 5 minutes
before Celery gives up on the message; the record then stays ``queued``."""


class _WorkerRuntime:
    """The worker process's event loop and services, opened on the first job."""

    def __init__(self, services: WorkerServices) -> None:
        self._services = services
        self._reset()

    def _reset(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stack = AsyncExitStack()
        self._opened: tuple[JobRegistry, JobRecords] | None = None
        self._pid = os.getpid()

    def run(self, job_id: str) -> Outcome:
        if self._pid != os.getpid():
            # A forked pool child must not reuse its parent's loop or sockets.
            self._reset()
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        if self._opened is None:
            self._opened = self._loop.run_until_complete(
                self._stack.enter_async_context(self._services())
            )
        registry, records = self._opened
        return self._loop.run_until_complete(execute(registry, records, job_id))

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None or self._pid != os.getpid():
            return
        try:
            loop.run_until_complete(self._stack.aclose())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            self._opened = None
            loop.close()


def make_celery_app(
    broker_url: str,
    *,
    worker_services: WorkerServices | None = None,
    queue: str = DEFAULT_QUEUE,
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
    restore_interval: float = 60.0,
) -> celery.Celery:
    """A Celery app for the CultureCast job queue.

    The api process needs no ``worker_services`` (it only publishes); a worker process must
    have them. ``restore_interval`` is how often a worker looks for messages whose visibility
    timeout expired (kombu's default sweep is 100 s; tests shorten it with the timeout).
    """
    app = celery.Celery("culturecast", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_reject_on_worker_lost=True,
        task_default_queue=queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5.0,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": restore_interval,
            # Scan on every sweep, so restore_interval alone sets the cadence.
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=True,
    )
    if worker_services is not None:
        _install_worker(app, _WorkerRuntime(worker_services))
    return app


def _install_worker(app: celery.Celery, runtime: _WorkerRuntime) -> None:
    @app.task(name=RUN_JOB_TASK, bind=True, shared=False, acks_late=True)  # type: ignore[untyped-decorator]
    def run_job(task: Any, job_id: str) -> str:
        try:
            return runtime.run(job_id).value
        except Exception as exc:
            # Not a handler failure (execute records those): the job's record or the engines
            # could not be reached. Retry the delivery rather than lose the job.
            log.exception("job %s could not be run; retrying", job_id)
            raise task.retry(
                exc=exc, countdown=_INFRA_RETRY_DELAY, max_retries=_INFRA_RETRY_LIMIT
            ) from exc

    class CloseServices(bootsteps.StartStopStep):  # type: ignore[misc]
        """Close the worker's engines and loop when the worker stops."""

        def stop(self, worker: Any) -> None:
            runtime.close()

        def shutdown(self, worker: Any) -> None:
            runtime.close()

    app.steps["worker"].add(CloseServices)


def run_worker(
    app: celery.Celery,
    concurrency: int = 1,
    *,
    loglevel: str = "INFO",
    extra_args: Sequence[str] = (),
) -> int:
    """Run a Celery worker in this process until it is told to stop; returns its exit code.

    One job at a time runs in the worker's own process (``--pool=solo``); with
    ``concurrency`` > 1, that many forked processes, each opening its own services. Mingle and
    gossip are off: they synchronise features we do not use and delay startup.
    """
    if RUN_JOB_TASK not in app.tasks:
        raise ValueError("this Celery app was made without worker_services; it cannot run jobs")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    pool = "solo" if concurrency == 1 else "prefork"
    argv = [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "--without-mingle",
        "--without-gossip",
        *extra_args,
    ]
    code = app.worker_main(argv)
    return int(code or 0)


class CeleryJobQueue:
    """A :class:`~culturecast.jobs.port.JobQueue` publishing to Celery workers."""

    engine: Final = "celery"

    def __init__(self, app: celery.Celery, records: JobRecords) -> None:
        self._app = app
        self._records = records
        self._closed = False

    async def enqueue(self, name: str, payload: Mapping[str, Any], job_id: str) -> bool:
        if self._closed:
            raise EngineUnavailable("the Celery job queue is closed")
        if not await self._records.claim(job_id, name, payload):
            return False
        try:
            # kombu publishes with blocking sockets: keep it off the event loop.
            await asyncio.to_thread(self._app.send_task, RUN_JOB_TASK, args=[job_id])
        except Exception as exc:
            # Unpublished, the claim would block this id forever; drop it so a retry can work.
            await self._records.release(job_id)
            raise EngineUnavailable(f"the Celery broker refused job {job_id}: {exc}") from exc
        log.info("job %s (%s) sent to Celery", job_id, name)
        return True

    async def ping(self) -> None:
        if self._closed:
            raise EngineUnavailable("the Celery job queue is closed")
        try:
            await asyncio.to_thread(self._ping_broker)
        except Exception as exc:
            raise EngineUnavailable(f"the Celery broker does not answer: {exc}") from exc

    def _ping_broker(self) -> None:
        with self._app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            # The Redis transport pings the server when it opens a channel.
            conn.default_channel  # noqa: B018

    async def close(self, grace_s: float | None = None) -> None:
        """Stop publishing and drop pooled broker connections; workers are separate
        processes and keep running (nothing here waits on them, so ``grace_s`` is moot)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._app.close)
