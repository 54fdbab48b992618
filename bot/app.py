"""The one wiring point: settings → storage, content, catalogs → service → Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.config import Settings
from bot.dates import buyer_date
from bot.handlers import TelegramTransport, private_link
from bot.inbox import Inbox
from bot.inline import InlineCards
from bot.limits import FloodLimits
from bot.service import Content, Conversations
from bot.storage import Reminder, SessionStore, forget_log_files

log = logging.getLogger(__name__)


class NoPreview(LinkPreviewOptions):
    """No link previews, as a default for every message the bot sends.

    python-telegram-bot serialises the default options afresh for every message, by
    reflection over their attributes; this is the same JSON, made once. No ``__slots__``
    of its own: PTB merges options passed with a message into the default by walking the
    default's ``__slots__``, which must stay those of ``LinkPreviewOptions``.
    """

    _JSON: ClassVar[dict[str, Any]] = LinkPreviewOptions(is_disabled=True).to_dict()

    def __init__(self) -> None:
        super().__init__(is_disabled=True)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return dict(self._JSON)


def defaults() -> Defaults:
    """What every message of the bot is, unless it says otherwise: HTML, no link previews."""
    return Defaults(parse_mode=ParseMode.HTML, link_preview_options=NoPreview())


PRUNE_EVERY_S = 3600.0
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
]


async def prune_forever(store: SessionStore, max_age_days: float, every_s: float) -> None:
    """Delete old conversations now and then every ``every_s`` seconds; never gives up."""
    while True:
        try:
            removed = await store.prune(time.time() - max_age_days * 86400)
        except Exception:
            log.exception("pruning old conversations failed; will try again")
        else:
            if removed:
                log.info("pruned %d conversations older than %s days", removed, max_age_days)
        await asyncio.sleep(every_s)


AnyApplication = Application[Any, Any, Any, Any, Any, Any]

#: How often the bot checks that the database file is still the one it opened (seconds).
WATCH_FILE_EVERY_S = 1.0
STOP = "stop"  # the application's bot_data key of the asyncio.Event that stops it
FAILED = "failed"  # …and of why it had to stop, if it had to
ORPHANED = "orphaned"  # …and of the path whose file went from under it, if one did


async def back_up_forever(store: SessionStore, destination: Path, every_s: float) -> None:
    """A copy of the database at ``destination`` now, and then every ``every_s`` seconds;
    a failed one is logged and tried again at the next round."""
    while True:
        started = time.monotonic()
        try:
            size = await store.backup(destination)
        except Exception as exc:
            # An ERROR: an operator relies on the copy being there.
            log.error("backup of %s to %s failed: %s", store.path, destination, exc)
        else:
            log.info(
                "backup of %s written to %s (%d kB in %.1f s)",
                store.path,
                destination,
                size // 1024,
                time.monotonic() - started,
            )
        await asyncio.sleep(every_s)


class Fatal(RuntimeError):
    """The bot had to stop (logged already); the process exits with code 1."""


async def watch_file_forever(application: AnyApplication, store: SessionStore) -> None:
    """Stop the bot if its database file is deleted or replaced while it runs.

    SQLite goes on writing into the file it opened, gone from the folder: everything from
    then on would be lost at the next start. So: one ERROR, and a stop with code 1, for
    the process manager to start the bot again on the file that is there now.
    """
    while True:
        await asyncio.sleep(WATCH_FILE_EVERY_S)
        how = store.file_replaced()
        if how is None:
            continue
        reason = (
            f"the database file {store.path} was {how} while the bot ran; stopping, so that "
            "nothing more is written into the file the bot opened, which no one will see "
            "again (start the bot again to use the file now at that path)"
        )
        log.error("%s", reason)
        application.bot_data[FAILED] = reason
        application.bot_data[ORPHANED] = store.path
        stop = application.bot_data.get(STOP)
        if isinstance(stop, asyncio.Event):
            stop.set()
        return


async def send_reminders_forever(
    application: AnyApplication, conversations: Conversations, every_s: float
) -> None:
    """Send reminders whose time has come; all state is in SQLite, so a restart loses none.

    A reminder is marked sent after Telegram accepted it: a crash in between sends it twice
    rather than never. One that can never be delivered (the chat is gone) or whose
    deadline has passed is marked done and skipped; a 403 marks the chat blocked, and its
    reminders wait until the person writes again; a network error leaves it for the next
    round, without holding up the others.
    """
    while True:
        try:
            for reminder in await conversations.store.due_reminders(time.time()):
                await _send_reminder(application, conversations, reminder)
        except Exception:
            log.exception("sending reminders failed; will try again")
        await asyncio.sleep(every_s)


async def _send_reminder(
    application: AnyApplication, conversations: Conversations, reminder: Reminder
) -> None:
    store, now = conversations.store, time.time()
    if reminder.deadline < buyer_date(now):
        log.info("reminder %s skipped: its deadline has passed", reminder.id)
        await store.mark_sent(reminder.id, now)
        return
    tr = conversations.catalogs.translator(reminder.language)
    text = conversations.renderer.reminder_message(reminder, tr, now)
    try:
        await application.bot.send_message(reminder.chat_id, text)
    except Forbidden as exc:  # blocked: stop writing there; the reminder waits for them
        log.info(
            "reminder %s not delivered, chat %s blocked us: %s", reminder.id, reminder.chat_id, exc
        )
        await store.set_blocked(reminder.chat_id, True, now)
        return
    except BadRequest as exc:  # the chat is gone: never deliverable
        log.info("reminder %s not delivered: %s", reminder.id, exc)
    except TelegramError as exc:  # the network, flood control: next round
        log.info("reminder %s postponed: %s", reminder.id, exc)
        return
    await store.mark_sent(reminder.id, now)


INBOX = "inbox"  # the application's bot_data key of its Inbox


def inbox_of(application: AnyApplication) -> Inbox:
    """The application's inbox, made by ``post_init`` (start the application first)."""
    inbox = application.bot_data.get(INBOX)
    if not isinstance(inbox, Inbox):
        raise RuntimeError("the application has not been started (post_init)")
    return inbox


@contextlib.asynccontextmanager
async def running(application: AnyApplication, stop: asyncio.Event) -> AsyncIterator[None]:
    """The application started as PTB's ``run_polling`` does it (initialize, post_init) and,
    however the body ends, shut down (shutdown, post_shutdown).

    ``stop`` is what stops it; the bot sets it itself if it has to stop (then
    :class:`Fatal` is raised on the way out).
    """
    application.bot_data[STOP] = stop
    async with _started(application):
        yield
    orphaned = application.bot_data.get(ORPHANED)
    if isinstance(orphaned, Path):
        # The database is closed now; its log must not be applied to the file at the path.
        forget_log_files(orphaned)
    failed = application.bot_data.get(FAILED)
    if failed:
        raise Fatal(failed)


@contextlib.asynccontextmanager
async def _started(application: AnyApplication) -> AsyncIterator[None]:
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        yield
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


class Runtime:
    """What lives as long as the application: the store, the inbox and background tasks."""

    def __init__(self, settings: Settings, content: Content) -> None:
        self.settings = settings
        self.content = content
        self.store: SessionStore | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def post_init(self, application: AnyApplication) -> None:
        settings, content = self.settings, self.content
        self.store = await SessionStore.open(settings.database_path)
        inbox = application.bot_data[INBOX] = Inbox(self.store, application.bot)
        username = application.bot.username
        conversations = content.conversations(
            self.store, private_link(username), settings.admin_ids
        )
        cards = InlineCards(content.flow, content.renderer, content.catalogs)
        transport = TelegramTransport(conversations, cards, username, replied=inbox.done)
        inbox.waiting = transport.answer_waiting
        application.add_handlers(transport.handlers())
        application.add_error_handler(transport.on_error)
        await transport.register_commands(application.bot)
        self._tasks = [
            asyncio.create_task(
                prune_forever(self.store, settings.session_max_age_days, PRUNE_EVERY_S)
            ),
            asyncio.create_task(
                send_reminders_forever(application, conversations, settings.reminder_poll_s)
            ),
            asyncio.create_task(watch_file_forever(application, self.store)),
        ]
        if settings.backup_path is not None:
            self._tasks.append(
                asyncio.create_task(
                    back_up_forever(
                        self.store, settings.backup_path, settings.backup_every_h * 3600
                    )
                )
            )
        log.info(
            "bot @%s is ready; sessions in %s", application.bot.username, settings.database_path
        )

    async def post_shutdown(self, application: AnyApplication) -> None:
        try:
            for task in self._tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            if self.store is not None:
                await self.store.close()


def build_application(
    settings: Settings,
    content: Content | None = None,
    request: BaseRequest | None = None,
    *,
    rate_limit: bool = True,
) -> AnyApplication:
    """The Telegram application; storage opens and handlers register in ``post_init``.

    ``request`` replaces the HTTP transport and ``rate_limit=False`` lifts Telegram's
    limits, for the benchmark, which drives the bot in-process.
    """
    if settings.token is None:
        raise ValueError("a token is needed to talk to Telegram")
    runtime = Runtime(settings, content or Content.load())
    builder = (
        ApplicationBuilder()
        .token(settings.token.reveal())
        .defaults(defaults())
        .post_init(runtime.post_init)
        .post_shutdown(runtime.post_shutdown)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if not rate_limit:
        return builder.build()
    return builder.rate_limiter(FloodLimits()).build()
