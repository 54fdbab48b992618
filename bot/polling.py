"""Long polling that confirms an update to Telegram only after the bot has handled it.

Updates are handled by a :class:`~bot.dispatch.Dispatcher`: different people's at once,
one person's in order.

python-telegram-bot's own ``Updater`` asks for the next batch (which confirms the previous
one) before the handlers have run, so a crash at that moment loses the update for good.
Here the offset moves past an update only once ``process_update`` has returned: after a
``kill -9`` Telegram delivers the update again, and the flow recognises it (see
``Flow._is_replay``) and shows the step instead of applying it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.app import AnyApplication
from bot.dispatch import Dispatcher

log = logging.getLogger(__name__)

#: How long one getUpdates waits for something to happen (seconds).
LONG_POLL_S = 30
#: Back-off after a failed getUpdates: doubled each time, up to the maximum.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
#: While updates are being handled, Telegram returns them at once to every getUpdates (they
#: are not confirmed yet); the poller then waits this long, at most, before asking again.
PAUSE_S = 0.1


def seconds(value: float | dt.timedelta) -> float:
    """PTB 22 gives periods as int seconds or as timedelta, depending on a setting."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Poller:
    def __init__(
        self,
        application: AnyApplication,
        allowed_updates: Sequence[str],
        stop: asyncio.Event,
        long_poll_s: int = LONG_POLL_S,
    ) -> None:
        self.application = application
        self.allowed_updates = list(allowed_updates)
        self.stop = stop
        self.long_poll_s = long_poll_s
        self.offset: int | None = None
        self.dispatcher = Dispatcher(application.process_update)
        #: Ids handed to the dispatcher at or after ``offset``: Telegram delivers them again
        #: until the offset passes them, and they must not be handled twice.
        self._seen: set[int] = set()
        self._batch_end: int | None = None  # one past the last update received

    async def run(self) -> None:
        """Fetch updates and hand them to the dispatcher until ``stop`` is set.

        The offset sent to Telegram is the lowest update still being handled (or, with
        none, one past the last received), so a crash never loses an accepted update.
        """
        bot = self.application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        delay = RETRY_FIRST_S
        while not self.stop.is_set():
            self._advance()
            try:
                updates = await self._fetch()
            except (InvalidToken, asyncio.CancelledError):
                raise
            except RetryAfter as exc:
                await self._sleep(seconds(exc.retry_after))
                continue
            except (NetworkError, TimedOut, Conflict) as exc:
                # Telegram or the network is unwell: keep trying, never give up polling.
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if updates is None:  # stopped while waiting
                break
            delay = RETRY_FIRST_S
            fresh = [u for u in updates if u.update_id not in self._seen]
            for update in fresh:
                self._seen.add(update.update_id)
                self.dispatcher.submit(update)
            if updates:
                self._batch_end = updates[-1].update_id + 1
            if not fresh and self.dispatcher.pending:
                # Only updates still being handled came back (their offset cannot move
                # yet): wait for one to finish instead of asking again at once.
                await self.dispatcher.wait_progress(PAUSE_S)
        await self.dispatcher.close()  # finish every update accepted
        self._advance()
        await self._confirm()

    def _advance(self) -> None:
        """Move the offset to the first update not finished, and forget ids behind it."""
        lowest = self.dispatcher.lowest_pending()
        offset = lowest if lowest is not None else self._batch_end
        if offset is None or offset == self.offset:
            return
        self.offset = offset
        self._seen = {i for i in self._seen if i >= offset}

    async def _fetch(self) -> tuple[Update, ...] | None:
        """One long poll, abandoned at once if ``stop`` is set meanwhile."""
        fetch = asyncio.ensure_future(
            self.application.bot.get_updates(
                offset=self.offset,
                timeout=self.long_poll_s,
                allowed_updates=self.allowed_updates,
                read_timeout=self.long_poll_s + 10,
            )
        )
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
            return None
        updates: tuple[Update, ...] = fetch.result()
        return updates

    async def _confirm(self) -> None:
        """Tell Telegram the handled updates are done, so they are not delivered again."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except NetworkError as exc:
            log.info("could not confirm the last updates (%s); they will be replayed", exc)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)


async def run_polling(
    application: AnyApplication,
    allowed_updates: Sequence[str],
    stop: asyncio.Event,
    long_poll_s: int = LONG_POLL_S,
) -> None:
    """The application's whole life: start, poll until ``stop``, shut down cleanly.

    The same order as PTB's ``run_polling``: initialize, post_init, …, shutdown,
    post_shutdown; an update being handled when ``stop`` is set is finished first.
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await Poller(application, allowed_updates, stop, long_poll_s).run()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
