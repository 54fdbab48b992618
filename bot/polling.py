"""Long polling that never loses an accepted update.

python-telegram-bot's own ``Updater`` asks for the next batch (which tells Telegram the
previous one arrived) before the handlers have run, so a crash at that moment loses the
updates for good. Here a batch is first written to the inbox (:mod:`bot.inbox`, in SQLite),
and only then does the offset move past it; the dispatcher (:mod:`bot.dispatch`) handles
different people's updates at once, one person's in order, and what is still in the inbox
after a crash is handled at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import warnings
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.app import AnyApplication, inbox_of, running
from bot.inbox import Inbox, Intake, give_up_at
from bot.limits import seconds
from bot.logs import describe_error, describe_updates
from bot.storage import Postponed

log = logging.getLogger(__name__)

#: How long one getUpdates waits for something to happen (seconds).
LONG_POLL_S = 30
#: At a stop, how long telling Telegram about the last batch may take (seconds); if it
#: takes longer, the next start does it, from the offset kept under OFFSET.
CONFIRM_TIMEOUT_S = 1.0
OFFSET = "get_updates_offset"
OFFSET_KEPT_S = 24 * 3600.0
#: Back-off after a failed getUpdates: doubled each time, up to the maximum.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0

#: PTB warns that ``get_updates`` exists, but that is the call that failed (see
#: _take_readable). Muted here, once: ``catch_warnings`` around the call would mute every
#: warning of the process for as long as it waits, and is not safe across an ``await``.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.getUpdates' instead", category=PTBUserWarning
)


class Poller:
    def __init__(
        self,
        application: AnyApplication,
        inbox: Inbox,
        allowed_updates: Sequence[str],
        stop: asyncio.Event,
        long_poll_s: int = LONG_POLL_S,
    ) -> None:
        self.application = application
        self.intake = Intake(inbox, application.process_update)
        self.allowed_updates = list(allowed_updates)
        self.stop = stop
        self.long_poll_s = long_poll_s
        self.offset: int | None = None

    async def run(self) -> None:
        """Fetch updates and hand them to the dispatcher until ``stop`` is set; then finish
        the updates accepted, and tell Telegram."""
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        store = self.intake.inbox.store
        # Where the last run stopped: its last batch is confirmed by the first poll, if its
        # stop could not do it. (Not after a long pause: after a week without updates
        # Telegram may number them afresh, lower.)
        self.offset = await store.state(OFFSET, time.time() - OFFSET_KEPT_S)
        watch = asyncio.create_task(give_up_at(self.stop, self.intake))
        try:
            await self.intake.resume()
            await self._poll()
            await self.intake.close()  # finish every update accepted
        finally:
            watch.cancel()
        if self.offset is not None:
            try:
                await store.set_state(OFFSET, self.offset, time.time())
            except Exception as exc:  # the database refuses: Telegram sends the batch again
                log.warning("could not keep the getUpdates offset (%s)", exc)
        await self._confirm()

    async def _poll(self) -> None:
        delay = RETRY_FIRST_S
        conflicted = False
        while not self.stop.is_set():
            try:
                updates = await self._fetch()
                if updates:
                    await self.intake.take(updates)  # on disk before the offset passes them
            except (InvalidToken, asyncio.CancelledError):
                raise
            except Postponed:  # stopped while the database refused the batch: it comes again
                return
            except RetryAfter as exc:
                await self._sleep(seconds(exc.retry_after))
                continue
            except Conflict as exc:
                # Another process polls with this token (or set a webhook): Telegram ends
                # one poll whenever the other asks. Said once, clearly; polling goes on.
                if not conflicted:
                    log.error(
                        "Telegram refuses this bot's getUpdates (%s): another process uses "
                        "the same token somewhere else (another host, or a webhook); stop "
                        "it, or give each bot its own token",
                        exc,
                    )
                conflicted = True
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            except TelegramError as exc:
                # Telegram or the network is unwell (errors, timeouts, 5xx, an answer that is
                # not JSON): keep trying, never give up polling. Nothing was accepted, so
                # the batch comes again.
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            except Exception as exc:  # an update PTB cannot read, or the disk
                # Not the exception itself: reading an update, it may quote what was written.
                what = str(exc) if isinstance(exc, sqlite3.Error) else describe_error(exc)
                log.error("getUpdates failed (%s); retrying in %.0f s", what, delay)
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                with contextlib.suppress(Exception):  # …and if it is an update, skip it
                    await self._take_readable()
                continue
            if updates is None:  # stopped while waiting
                return
            if conflicted:
                log.info("getUpdates works again: the other process has stopped polling")
                conflicted = False
            delay = RETRY_FIRST_S
            if updates:
                self.offset = updates[-1].update_id + 1

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

    async def _take_readable(self) -> None:
        """The batch as plain JSON: accept the updates that can be read, skip the others.

        Without this, an update this version of PTB cannot read would come back forever
        and nothing after it would ever be handled.
        """
        kwargs: dict[str, object] = {"timeout": 0, "allowed_updates": self.allowed_updates}
        if self.offset is not None:
            kwargs["offset"] = self.offset
        bot = self.application.bot
        raw = await bot.do_api_request("getUpdates", api_kwargs=kwargs)
        if not isinstance(raw, list) or not raw:
            return
        updates = []
        for data in raw:
            try:
                update = Update.de_json(data, bot)
            except Exception as exc:
                log.error(
                    "update %s cannot be read (%s: %s); skipped",
                    data.get("update_id") if isinstance(data, dict) else None,
                    describe_error(exc),
                    describe_updates([data]),
                )
                continue
            if update is not None:
                updates.append(update)
        await self.intake.take(updates)
        self.offset = int(raw[-1]["update_id"]) + 1

    async def _confirm(self) -> None:
        """Tell Telegram the updates received are accepted, so they are not delivered again."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(
                offset=self.offset,
                timeout=0,
                limit=1,
                read_timeout=CONFIRM_TIMEOUT_S,
                connect_timeout=CONFIRM_TIMEOUT_S,
                pool_timeout=CONFIRM_TIMEOUT_S,
            )
        except TelegramError as exc:  # the next start does it, with the offset kept
            log.debug("could not confirm the last updates now (%s)", exc)

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
    async with running(application, stop):
        await Poller(application, inbox_of(application), allowed_updates, stop, long_poll_s).run()
