"""Updates accepted from Telegram and not yet handled, kept in SQLite.

An update is written here before Telegram is told it arrived (the next getUpdates offset,
or the webhook's 200), and removed once handled. So Telegram can be told at once, and one
slow update (a reply waiting out flood control) never holds back the ones after it; a
crash loses nothing either: at start-up the updates still here are handled first. An
update handled but not yet removed when the process died is handled again; the flow
recognises it as a replay (``Flow._is_replay``) and shows the step instead of applying it
twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update

from bot.dispatch import Dispatcher
from bot.logs import describe_error
from bot.storage import (
    DamagedDatabase,
    Postponed,
    SessionStore,
    StorageError,
    damaged_message,
    is_damaged,
)
from bot.tracing import Trace, current_trace

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, store: SessionStore, bot: Bot) -> None:
        self.store = store
        self.bot = bot
        self._done: list[int] = []
        self._open: set[int] = set()  # accepted, kept until the reply is out
        self._unfinished: set[int] = set()  # accepted, handling not over yet
        self._flushing: asyncio.Task[None] | None = None
        #: Told about updates whose writing here waits for the database (see Intake.take):
        #: the transport answers their button presses at once.
        self.waiting: Callable[[Sequence[Update], bool], Awaitable[None]] | None = None

    @property
    def pending(self) -> int:
        """Updates accepted (or left from before) whose handling is not over.

        That includes an update whose reply is out and which is let go already, while the
        bot still tidies up after it (removes an old keyboard, say).
        """
        return len(self._unfinished)

    async def accept(self, updates: Sequence[Update]) -> None:
        """Keep ``updates`` until handled; returns once they are committed."""
        await self.store.inbox_add(
            [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates],
            time.time(),
        )
        self._open.update(u.update_id for u in updates)
        self._unfinished.update(u.update_id for u in updates)

    def kept(self, update_id: int) -> None:
        """``update_id`` was not handled (the bot stops while the database refuses it): it
        stays in SQLite, and is handled at the next start."""
        self._unfinished.discard(update_id)
        self._open.discard(update_id)

    def finished(self, update_id: int) -> None:
        """``update_id``'s handling is over: let it go, if its reply did not already."""
        self._unfinished.discard(update_id)
        self.done(update_id)

    def done(self, update_id: int) -> None:
        """Let ``update_id`` go: its reply is out (the transport says so at once) or its
        handling is over (see :meth:`finished`). Removed from SQLite in the background, soon.

        Removals that come while one is running are done together next, so under load a
        removal costs one statement for many updates.
        """
        if update_id not in self._open:  # let go already (its reply went out), or never kept
            return
        self._open.discard(update_id)
        self._done.append(update_id)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_while_any())

    async def _flush_while_any(self) -> None:
        while self._done:
            try:
                await self.flush()
            except Postponed:  # the bot stops during an outage: see close()
                return
            except Exception:  # kept, and tried again with the next removal or at the stop
                log.exception("removing handled updates from the inbox failed")
                return

    async def flush(self) -> None:
        """Remove the handled updates now."""
        done, self._done = self._done, []
        if not done:
            return
        try:
            await self.store.inbox_remove(done)
        except BaseException:
            self._done.extend(done)
            raise

    async def close(self) -> None:
        """Wait for a removal under way, then remove what is left.

        If the database refuses (the bot stops during an outage), the handled updates stay
        in SQLite: at the next start the flow recognises them as handled already.
        """
        if self._flushing is not None:
            await self._flushing
        try:
            await self.flush()
        except (Postponed, sqlite3.Error) as exc:
            log.warning("%d handled updates stay in the inbox (%s)", len(self._done), exc)

    async def unhandled(self) -> list[Update]:
        """Updates left from before a crash or stop, oldest first."""
        updates = []
        try:
            kept = await self.store.inbox()
        except sqlite3.DatabaseError as exc:  # found before "ready", so the process stops
            if is_damaged(exc):
                raise DamagedDatabase(damaged_message(self.store.path, str(exc))) from exc
            raise StorageError(f"cannot read the inbox of {self.store.path}: {exc}") from exc
        for update_id, body in kept:
            try:
                update = Update.de_json(json.loads(body), self.bot)
            except Exception as exc:  # kept by an older version, say: never retried forever
                log.error(
                    "update %s in the inbox cannot be read (%s); dropped",
                    update_id,
                    describe_error(exc),
                )
                await self.store.inbox_remove([update_id])
                continue
            if update is not None:
                updates.append(update)
                self._open.add(update.update_id)
                self._unfinished.add(update.update_id)
        if updates:
            log.info("%d updates from before the restart are handled first", len(updates))
        return updates


class Intake:
    """The inbox and the dispatcher together: how polling and the webhook take updates in."""

    def __init__(self, inbox: Inbox, process: Callable[[Update], Awaitable[None]]) -> None:
        self.inbox = inbox
        self.dispatcher = Dispatcher(process, on_done=inbox.finished, on_kept=inbox.kept)

    async def resume(self) -> None:
        """Queue the updates left in the inbox from before a crash or stop."""
        for update in await self.inbox.unhandled():
            self.dispatcher.submit(update)

    #: A batch whose writing takes longer (the database is locked or refuses writes) has
    #: its button presses answered meanwhile: Telegram drops an answer after 10–15 s.
    ANSWER_WITHIN_S = 1.0

    async def take(self, updates: Sequence[Update]) -> None:
        """Keep ``updates`` in the inbox, then queue them; returns once they are on disk."""
        waiting = self.inbox.waiting

        async def refused(refused: bool) -> None:  # the database refused the batch
            if waiting is not None and refused:
                await waiting(updates, True)

        token = current_trace.set(Trace(on_wait=refused))
        try:
            accepting = asyncio.ensure_future(self.inbox.accept(updates))
        finally:
            current_trace.reset(token)
        try:
            await asyncio.wait({accepting}, timeout=self.ANSWER_WITHIN_S)
            if not accepting.done() and waiting is not None:
                await waiting(updates, False)  # slow, maybe only locked: presses answered
            await accepting
        finally:
            if not accepting.done():  # cancelled (the bot stops): the batch comes again
                accepting.cancel()
        for update in updates:
            self.dispatcher.submit(update)

    async def close(self) -> None:
        """Finish every update taken in, then let the handled ones go.

        A step waiting for a database that refuses it gives up: its update stays in the
        inbox, for the next start.
        """
        self.inbox.store.stop_retrying()
        await self.dispatcher.close()
        await self.inbox.close()


async def give_up_at(stop: asyncio.Event, intake: Intake) -> None:
    """Once ``stop`` is set, statements waiting for a database that refuses them give up,
    so the bot stops at once; what they were for stays in the inbox."""
    await stop.wait()
    intake.inbox.store.stop_retrying()
