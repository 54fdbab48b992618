"""Telegram's flood limits, kept by construction: ~30 messages a second, 20 a minute a group.

python-telegram-bot's ``AIORateLimiter`` has two habits that let bursts through: its
default buckets allow about 60 messages in a burst's first second and 40 in a group's first
minute, and after a 429 the requests that took a slot while the bot was waiting all fire
together once the wait is over (and any request finishing ends the wait early). This one:

- spaces messages evenly, 25 a second (a bucket of one): Telegram allows about 30, and
  requests leave a busy event loop less evenly than they were let go;
- in a group allows a burst of 5, then one every 4 s (the worst minute holds 5 + 15 = 20);
- after a 429 pauses what it concerns — that group, or every message — until
  ``retry_after`` has passed, and checks the pause again *after* getting a slot, so no
  request goes out during it; then tries again, as often as it takes (a reply is never
  dropped).

Callback and inline answers carry no ``chat_id``: they are never limited nor paused, so a
button press is answered within Telegram's 15 seconds even while messages wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.lru import Lru

log = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 25
GROUP_BURST = 5
GROUP_PERIOD_S = 20.0
#: A reply is retried after a 429 this often: in practice, until it goes through.
FLOOD_RETRIES = 100
#: Groups whose limiter state is kept (the least recently used are forgotten).
MAX_GROUPS = 1024

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
_ALL = "all"


def seconds(value: float | dt.timedelta) -> float:
    """PTB 22 gives periods (``retry_after``) as int seconds or as timedelta, by a setting."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class FloodLimits(BaseRateLimiter[int]):
    """The bot's rate limiter (the module's constants, read when it is made)."""

    def __init__(self) -> None:
        self._overall = AsyncLimiter(1, 1 / MESSAGES_PER_SECOND)
        self._group_burst = GROUP_BURST
        self._group_period_s = GROUP_PERIOD_S
        self._groups: Lru[int | str, AsyncLimiter] = Lru(MAX_GROUPS)
        self._max_retries = FLOOD_RETRIES
        #: Monotonic time until which requests of a group ("all": every message) wait.
        self._paused_until: dict[int | str, float] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _group(self, chat: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat)
        if limiter is None:
            limiter = AsyncLimiter(self._group_burst, self._group_period_s)
        self._groups.put(chat, limiter)
        return limiter

    async def _wait_pauses(self, keys: tuple[int | str, ...]) -> None:
        while True:
            until = max((self._paused_until.get(k, 0.0) for k in keys), default=0.0)
            delay = until - time.monotonic()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat = data.get("chat_id")
        if chat is None:  # answers to callback and inline queries, getUpdates, settings
            return await callback(*args, **kwargs)
        with contextlib.suppress(TypeError, ValueError):
            chat = int(chat)
        # Groups, supergroups and channels have negative ids (or an @username).
        group = chat if (isinstance(chat, str) or chat < 0) else None
        keys: tuple[int | str, ...] = (_ALL,) if group is None else (_ALL, group)
        retries = rate_limit_args or self._max_retries
        for attempt in range(retries + 1):
            await self._wait_pauses(keys)
            async with contextlib.AsyncExitStack() as slots:
                if group is not None:
                    await slots.enter_async_context(self._group(group))
                await slots.enter_async_context(self._overall)
                await self._wait_pauses(keys)  # a 429 may have come while waiting for a slot
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == retries:
                        raise
                    wait = seconds(exc.retry_after) + 0.1
                    key = group if group is not None else _ALL
                    until = time.monotonic() + wait
                    self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
                    log.info("flood control on %s: %s waits %.1f s", key, endpoint, wait)
        raise AssertionError("unreachable")  # the loop returns or raises
