"""Webhook mode: Telegram posts each update to us over HTTPS instead of being polled.

Used when ``WEBHOOK_URL`` is set. The server listens on ``0.0.0.0:$PORT`` at the path of
``WEBHOOK_URL`` (a TLS-terminating proxy or the platform's router sits in front), and
refuses with 403 any request without the secret Telegram was given.

Like the poller, it answers Telegram (200) once the update is in the inbox (SQLite, see
:mod:`bot.inbox`), so a crash loses nothing and nothing waits for a slow reply; the
dispatcher (:mod:`bot.dispatch`) handles different people's updates at once, one person's
in order, and drops a copy Telegram delivers again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Sequence
from json import JSONDecodeError
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.app import AnyApplication, inbox_of, running
from bot.config import Settings
from bot.inbox import Inbox, Intake
from bot.logs import describe_error
from bot.storage import Postponed

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LISTEN_HOST = "0.0.0.0"  # a webhook must be reachable from outside
#: Telegram opens at most this many connections at once (its default is 40).
MAX_CONNECTIONS = 40
#: On stop, requests in progress get this long to finish.
SHUTDOWN_TIMEOUT_S = 30.0


class ListenError(OSError):
    """The webhook server cannot listen on its port (taken, or not ours to use)."""


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


class WebhookServer:
    """The HTTP endpoint Telegram posts updates to."""

    def __init__(self, application: AnyApplication, inbox: Inbox, secret: str, path: str) -> None:
        self.application = application
        self.intake = Intake(inbox, application.process_update)
        self._secret = secret.encode()
        self.path = path

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request from %s refused: wrong secret token", request.remote)
            return web.Response(status=403, text="Forbidden")
        update = await self._read_update(request)
        if update is None:
            return web.Response(status=400, text="Bad Request")
        try:
            # Shielded: Telegram hanging up must not leave the write half done.
            await asyncio.shield(self.intake.take([update]))
        except Postponed:  # the bot stops while the database refuses writes
            return web.Response(status=503, text="Service Unavailable")
        except Exception:
            log.exception(
                "update %s could not be kept; Telegram will send it again", update.update_id
            )
            return web.Response(status=503, text="Service Unavailable")
        return web.Response(status=200)

    async def _read_update(self, request: web.Request) -> Update | None:
        try:
            data = json.loads(await request.read())
        except (JSONDecodeError, UnicodeDecodeError) as exc:
            log.warning("webhook request refused: not JSON (%s)", exc)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook request refused: not an update")
            return None
        try:
            return Update.de_json(data, self.application.bot)
        except Exception as exc:  # PTB's parsing raises whatever the malformed part causes
            log.warning("webhook request refused: malformed update (%s)", describe_error(exc))
            return None


async def run_webhook(
    application: AnyApplication,
    settings: Settings,
    allowed_updates: Sequence[str],
    stop: asyncio.Event,
) -> None:
    """The application's whole life in webhook mode: start, serve until ``stop``, shut down.

    Updates left in the inbox from before are handled first. The webhook stays registered
    on the way out: while the bot restarts, Telegram keeps the updates and delivers them
    when it is back.
    """
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    secret = settings.webhook_secret.reveal()
    async with running(application, stop):
        server = WebhookServer(
            application, inbox_of(application), secret, webhook_path(settings.webhook_url)
        )
        runner = web.AppRunner(
            server.web_app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        try:
            await server.intake.resume()  # what was left from before comes first
            await runner.setup()
            try:
                await web.TCPSite(runner, LISTEN_HOST, settings.port).start()
            except OSError as exc:
                raise ListenError(f"cannot listen on port {settings.port}: {exc}") from exc
            await application.bot.set_webhook(
                settings.webhook_url,
                secret_token=secret,
                allowed_updates=list(allowed_updates),
                max_connections=MAX_CONNECTIONS,
                drop_pending_updates=False,
            )
            # Not the path: it is part of what keeps strangers out, with the secret.
            log.info("webhook is set; listening on port %d", settings.port)
            await stop.wait()
        finally:
            server.intake.inbox.store.stop_retrying()  # nothing waits for the database now
            await runner.cleanup()  # stops listening; requests in progress finish first
            await server.intake.close()


async def listen_as_standby(settings: Settings) -> web.AppRunner | None:
    """While another process serves this bot (see :mod:`bot.instance`): listen on ``PORT``
    as the active process does, but answer Telegram's posts 503, so it sends them again
    (to whichever process has taken over by then). A platform that starts the new process
    before stopping the old one sees it listening; on one host, where the other process
    holds the port, nothing listens until the take-over.
    """
    if settings.webhook_url is None:
        return None
    path = webhook_path(settings.webhook_url)

    async def refuse(request: web.Request) -> web.Response:
        return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "5"})

    app = web.Application()
    app.router.add_post(path, refuse)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, LISTEN_HOST, settings.port).start()
    except OSError as exc:
        await runner.cleanup()
        log.info("standby: port %d not free (%s); listening once taking over", settings.port, exc)
        return None
    log.info("standby: port %d answers 503 to updates until taking over", settings.port)
    return runner
