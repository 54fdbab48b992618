"""Updates of different people at once, one person's strictly in the order they arrived.

A conversation step reads the session, decides and writes it back; two updates of the same
person must never interleave there, but there is no reason for Аня to wait while Telegram
makes Борис's reply wait out flood control. Each person (the update's sender; a chat for
updates without one) gets a queue, drained by one task; the queues run side by side, up to
``max_concurrent`` updates at a time.

Both ways of receiving updates use it: long polling (:mod:`bot.polling`) and the webhook
(:mod:`bot.webhook`); ``on_done`` tells the inbox (:mod:`bot.inbox`) an update is handled.
An update delivered again while its first copy is pending, or soon after it was handled,
is not handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.lru import Lru
from bot.storage import Postponed
from bot.tracing import Trace, current_trace

log = logging.getLogger(__name__)

#: At most this many updates are handled at the same time. Each mostly waits (on the
#: network, on the rate limiter), and a waiting one must not keep a button press behind it
#: from being answered within Telegram's 15 seconds: so, many.
MAX_CONCURRENT = 1024


def update_kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "inline_query", "my_chat_member"):
        if getattr(update, kind) is not None:
            return kind
    return "other"


def ordering_key(update: Update) -> tuple[str, int] | None:
    """Whose queue the update joins; None: it changes nothing stored and may run at once."""
    if update.inline_query is not None:
        return None  # answered from memory, no session
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None


_Queue = deque[tuple[Update, "asyncio.Future[None]"]]


class Dispatcher:
    """Hands updates to ``process`` (PTB's ``Application.process_update``), ordered per person."""

    #: Ids of updates handled lately, to drop copies delivered again.
    REMEMBER_FINISHED = 10_000

    def __init__(
        self,
        process: Callable[[Update], Awaitable[None]],
        max_concurrent: int = MAX_CONCURRENT,
        on_done: Callable[[int], None] | None = None,
        on_kept: Callable[[int], None] | None = None,
    ) -> None:
        self._process = process
        self._on_done = on_done
        #: Told an update was not handled (the bot stops while the database refuses it):
        #: the inbox keeps it for the next start.
        self._on_kept = on_kept
        self._slots = asyncio.Semaphore(max_concurrent)
        self._queues: dict[tuple[str, int] | None, _Queue] = {}
        self._pending: dict[int, asyncio.Future[None]] = {}  # update id → finished
        self._finished: Lru[int, bool] = Lru(self.REMEMBER_FINISHED)
        self._workers: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> int:
        """Updates accepted and not yet finished."""
        return len(self._pending)

    def submit(self, update: Update) -> asyncio.Future[None]:
        """Queue ``update``; the future is done when it has been handled.

        The same update submitted again while pending gets the first one's future; one
        handled lately is not queued again.
        """
        known = self._pending.get(update.update_id)
        if known is not None:
            return known
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._finished.get(update.update_id):
            log.info("update %s was handled already; skipped", update.update_id)
            done.set_result(None)
            if self._on_done is not None:
                self._on_done(update.update_id)
            return done
        self._pending[update.update_id] = done
        self._idle.clear()
        key = ordering_key(update)
        if key is None:  # nothing to keep in order: a queue of its own
            self._start(deque([(update, done)]), None)
            return done
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque([(update, done)])
            self._start(queue, key)
        else:
            queue.append((update, done))
        return done

    def _start(self, queue: _Queue, key: tuple[str, int] | None) -> None:
        task = asyncio.create_task(self._drain(queue, key))
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    async def _drain(self, queue: _Queue, key: tuple[str, int] | None) -> None:
        try:
            while queue:
                update, done = queue[0]
                async with self._slots:
                    kept = await self._handle(update)
                queue.popleft()
                self._finish(update.update_id, done)
                if kept:
                    if self._on_kept is not None:
                        self._on_kept(update.update_id)
                elif self._on_done is not None:
                    self._on_done(update.update_id)
        finally:
            # Normally empty; if this task was cancelled, what is left is not handled now
            # (it stays in the inbox), and nobody may wait for it forever.
            while queue:
                update, done = queue.popleft()
                self._pending.pop(update.update_id, None)
                done.cancel()
            if key is not None and self._queues.get(key) is queue:
                del self._queues[key]
            if not self._pending:
                self._idle.set()

    def _finish(self, update_id: int, done: asyncio.Future[None]) -> None:
        self._pending.pop(update_id, None)
        self._finished.put(update_id, True)
        if not done.done():
            done.set_result(None)

    async def _handle(self, update: Update) -> bool:
        """Handle one update in a context of its own, and log one line about it.

        True: it was not handled, and stays in the inbox (see :func:`bot.tracing.keep_update`).
        """
        record = Trace()
        token = current_trace.set(record)
        started = time.perf_counter()
        try:
            await self._process(update)
        except Postponed:  # the bot stops while the database refuses it
            record.kept = True
        except Exception:  # PTB hands handler errors to the error handler; this is the rest
            log.exception("update %s could not be handled", update.update_id)
        finally:
            current_trace.reset(token)
        log.info(
            "update %s %s%s in %.1f ms%s",
            update.update_id,
            update_kind(update),
            record.change(),
            (time.perf_counter() - started) * 1000,
            "; kept in the inbox for the next start" if record.kept else "",
        )
        return record.kept

    async def close(self) -> None:
        """Finish what was accepted (for a clean stop), then return."""
        await self._idle.wait()
        for task in list(self._workers):
            with contextlib.suppress(asyncio.CancelledError):
                await task
