"""Long polling that confirms an update to Telegram only after the bot has handled it.

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

log = logging.getLogger(__name__)

#: How long one getUpdates waits for something to happen (seconds).
LONG_POLL_S = 30
#: Back-off after a failed getUpdates: doubled each time, up to the maximum.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0


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

    async def run(self) -> None:
        """Fetch and handle updates, in order, until ``stop`` is set."""
        bot = self.application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        delay = RETRY_FIRST_S
        while not self.stop.is_set():
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
            for update in updates:
                await self.application.process_update(update)
                self.offset = update.update_id + 1
        await self._confirm()

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
