"""What handling one update did, collected along the way and logged in one line at the end.

The dispatcher opens a :class:`Trace` for every update; the service, which knows the
conversation, fills in the step before and after. Outside the dispatcher (the console,
tests) there is no trace and filling it in does nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Trace:
    """What handling one update did, filled in along the way, logged in one line at the end."""

    kind: str = ""  # what the person did: press, say, begin…
    before: str | None = None  # the step before, None for no conversation
    after: str | None = None
    #: Called when the update's step has to wait for the database: with False when a
    #: statement waits for a lock (usually a moment), with True when the database refused
    #: it and it is tried again later. Set by the transport, which answers a press at once
    #: or tells the person to wait a second.
    on_wait: Callable[[bool], Awaitable[None]] | None = None
    #: The update was not handled (the bot stopped while the database refused it): it
    #: stays in the inbox for the next start.
    kept: bool = False

    def change(self) -> str:
        if not self.kind:
            return ""
        if self.before == self.after:
            return f" {self.kind}, step {self.before or '-'}"
        return f" {self.kind}, step {self.before or '-'} → {self.after or '-'}"


#: The trace of the update being handled in this task (None outside the dispatcher).
current_trace: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "current_trace", default=None
)


def note_step(kind: str, before: str | None, after: str | None) -> None:
    """Record the kind of event and the step change of the update being handled."""
    record = current_trace.get()
    if record is not None:
        record.kind, record.before, record.after = kind, before, after


async def storage_waits(refused: bool) -> None:
    """The update being handled waits for the database: tell its transport."""
    record = current_trace.get()
    if record is not None and record.on_wait is not None:
        await record.on_wait(refused)


def on_storage_wait(callback: Callable[[bool], Awaitable[None]] | None) -> None:
    """What to do if the update being handled has to wait for the database (see Trace)."""
    record = current_trace.get()
    if record is not None:
        record.on_wait = callback


def keep_update() -> None:
    """The update being handled is not done: it stays in the inbox."""
    record = current_trace.get()
    if record is not None:
        record.kept = True
