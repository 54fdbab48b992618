"""The one wiring point: settings → storage, content, catalogs → service → Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.config import Settings
from bot.flow import Flow
from bot.guide import load_guide
from bot.handlers import TelegramTransport, private_link
from bot.i18n import Catalogs
from bot.inline import InlineCards
from bot.render import Renderer
from bot.service import Conversations
from bot.storage import SessionStore

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
]


@dataclass(frozen=True, slots=True)
class Content:
    """Everything loaded from files once: the conversation and its words."""

    flow: Flow
    renderer: Renderer
    catalogs: Catalogs

    @classmethod
    def load(cls) -> Content:
        guide = load_guide()
        return cls(Flow(guide), Renderer(guide), Catalogs.load())


async def prune_forever(store: SessionStore, max_age_days: float, every_s: float) -> None:
    """Delete old conversations now and then every ``every_s`` seconds."""
    while True:
        removed = await store.prune(time.time() - max_age_days * 86400)
        if removed:
            log.info("pruned %d conversations older than %s days", removed, max_age_days)
        await asyncio.sleep(every_s)


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class Runtime:
    """What lives as long as the application: the store and the pruning task."""

    def __init__(self, settings: Settings, content: Content) -> None:
        self.settings = settings
        self.content = content
        self.store: SessionStore | None = None
        self._pruner: asyncio.Task[None] | None = None

    async def post_init(self, application: AnyApplication) -> None:
        settings, content = self.settings, self.content
        self.store = await SessionStore.open(settings.database_path)
        username = application.bot.username
        conversations = Conversations(
            content.flow,
            content.renderer,
            self.store,
            content.catalogs,
            private_link=private_link(username),
        )
        cards = InlineCards(content.flow, content.renderer, content.catalogs)
        transport = TelegramTransport(conversations, cards, username)
        application.add_handlers(transport.handlers())
        application.add_error_handler(transport.on_error)
        await transport.register_commands(application.bot)
        self._pruner = asyncio.create_task(
            prune_forever(self.store, settings.session_max_age_days, PRUNE_EVERY_S)
        )
        log.info(
            "bot @%s is ready; sessions in %s", application.bot.username, settings.database_path
        )

    async def post_shutdown(self, application: AnyApplication) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
        if self.store is not None:
            await self.store.close()


def build_application(
    settings: Settings, content: Content | None = None, request: BaseRequest | None = None
) -> AnyApplication:
    """The Telegram application; storage opens and handlers register in ``post_init``.

    ``request`` replaces the HTTP transport (the benchmark drives the bot in-process).
    """
    if settings.token is None:
        raise ValueError("a token is needed to talk to Telegram")
    runtime = Runtime(settings, content or Content.load())
    builder = (
        ApplicationBuilder()
        .token(settings.token.reveal())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(runtime.post_init)
        .post_shutdown(runtime.post_shutdown)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    return builder.build()
