"""`okrbot serve --workers N`: N server processes on one port, kept running by their parent.

One Python process answers Slack on one core: at about a hundred busy requests a second its
event loop is the queue. Several workers share the listening port (SO_REUSEPORT: the kernel
spreads connections between them) and each runs the scheduler too; the database already keeps
replicas from sending anything twice, so workers are replicas that happen to share a machine.

The parent only supervises: it forwards SIGTERM/SIGINT, waits for every worker to finish what
it had acked, and starts a new worker when one dies. A worker that dies before it says it is
serving has a configuration problem (the port is taken, the database unreachable), not bad
luck, so the parent stops everything instead of restarting it in a loop.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

log = logging.getLogger("okrbot")


class WorkerStartupError(RuntimeError):
    """A worker exited while starting; restarting it would only repeat that."""


class Supervisor:
    """Runs `target(*args, ready)` in `count` processes; each sets `ready` once it serves."""

    def __init__(self, count: int, target: Callable[..., None], args: tuple[object, ...]) -> None:
        self.count = count
        self.target = target
        self.args = args
        self.stopping = False
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[tuple[BaseProcess, Event]] = []

    def _start(self) -> tuple[BaseProcess, Event]:
        ready = self._context.Event()
        worker = self._context.Process(target=self.target, args=(*self.args, ready))
        worker.start()
        return worker, ready

    def _stop_all(self, signum: int = signal.SIGTERM) -> None:
        for worker, _ready in self._workers:
            if worker.is_alive() and worker.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signum)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        self._stop_all(signal.SIGTERM)

    def run(self) -> int:
        """Run until told to stop; the exit code is 0 when every worker stopped cleanly."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        self._workers = [self._start() for _ in range(self.count)]
        try:
            while True:
                wait([worker.sentinel for worker, _ in self._workers])
                for index, (worker, ready) in enumerate(self._workers):
                    if worker.is_alive() or self.stopping:
                        continue
                    worker.join()
                    if not ready.is_set():
                        raise WorkerStartupError(
                            f"a worker exited with code {worker.exitcode} while starting"
                        )
                    log.error(
                        "worker %s exited with code %s; starting another",
                        worker.pid,
                        worker.exitcode,
                    )
                    self._workers[index] = self._start()
                if self.stopping and not any(worker.is_alive() for worker, _ in self._workers):
                    break
        except BaseException:
            self.stopping = True
            self._stop_all(signal.SIGTERM)
            for worker, _ in self._workers:
                worker.join()
            raise
        # A worker still starting when the signal came has no handler for it yet: that is a
        # clean stop too.
        clean = (0, -signal.SIGTERM, -signal.SIGINT)
        return 0 if all(worker.exitcode in clean for worker, _ in self._workers) else 1
