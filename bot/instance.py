"""One bot process per database: a second one waits as a standby and takes over.

Two processes on one SQLite file and one token would both poll (Telegram ends one's poll
with 409 whenever the other asks), and each would trust its own cache of the
conversations. So the process that runs holds an OS lock (``flock``) on a file beside the
database; another one started meanwhile (a zero-downtime deploy, a second terminal) waits
until the lock is free, then starts. The OS frees the lock when the process ends, however
it ends, ``kill -9`` included.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path

from bot.storage import StorageError

log = logging.getLogger(__name__)

#: How often a standby tries the lock (seconds): it takes over this soon after the other stops.
STANDBY_POLL_S = 0.5


def lock_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


class InstanceLock:
    def __init__(self, database_path: Path) -> None:
        self.database_path = database_path
        self.path = lock_path(database_path)
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StorageError(f"cannot create the lock file {self.path}: {exc}") from exc
        return self._fd

    def try_acquire(self) -> bool:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        with contextlib.suppress(OSError):  # for an operator looking: who holds it
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        return True

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Hold the lock, waiting as a standby while another process does; False if
        ``stop`` was set first."""
        if self.try_acquire():
            return True
        log.info(
            "another bot process uses %s (it holds %s); waiting as a standby, and taking "
            "over when it stops",
            self.database_path,
            self.path,
        )
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STANDBY_POLL_S)
            if not stop.is_set() and self.try_acquire():
                log.info("the other bot process has stopped; taking over")
                return True
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file lets the lock go
            self._fd = None
