"""What handling one update did, collected along the way and logged in one line at the end.

The dispatcher opens a :class:`Trace` for every update; the service, which knows the
conversation, fills in the step before and after. Outside the dispatcher (the console,
tests) there is no trace and filling it in does nothing.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(slots=True)
class Trace:
    """What handling one update did, filled in along the way, logged in one line at the end."""

    kind: str = ""  # what the person did: press, say, begin…
    before: str | None = None  # the step before, None for no conversation
    after: str | None = None

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
