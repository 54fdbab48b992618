"""The bot's rate limiter: even spacing, group bursts, pauses after a 429 that nothing skips."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot import limits
from bot.limits import FloodLimits

Call = Callable[..., Coroutine[Any, Any, Any]]


class Recorder:
    """A Bot API call that records when it started, and can answer 429 a few times."""

    def __init__(self, fail_first: int = 0, retry_after: int = 1) -> None:
        self.starts: list[float] = []
        self.fail_first = fail_first
        self.retry_after = retry_after

    async def __call__(self) -> bool:
        self.starts.append(time.monotonic())
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RetryAfter(self.retry_after)
        return True


def most_in_window(starts: list[float], seconds: float) -> int:
    starts = sorted(starts)
    return max(
        (sum(1 for t in starts[i:] if t - start < seconds) for i, start in enumerate(starts)),
        default=0,
    )


async def send(limiter: FloodLimits, call: Call, chat_id: int | None) -> Any:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return await limiter.process_request(call, (), {}, "sendMessage", data, None)


async def test_messages_are_spaced_evenly_never_a_burst() -> None:
    limiter, call = FloodLimits(), Recorder()
    count = limits.MESSAGES_PER_SECOND + 10
    await asyncio.gather(*(send(limiter, call, 1000 + i) for i in range(count)))
    assert len(call.starts) == count
    assert most_in_window(call.starts, 1.0) <= limits.MESSAGES_PER_SECOND + 1


async def test_a_group_gets_a_short_burst_then_a_steady_pace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "GROUP_PERIOD_S", 2.0)  # 5 per 2 s: one every 0.4 s
    limiter, call = FloodLimits(), Recorder()
    await asyncio.gather(*(send(limiter, call, -100) for _ in range(8)))
    starts = sorted(call.starts)
    assert starts[4] - starts[0] < 0.3  # the first five at once
    assert starts[7] - starts[0] >= 3 * 0.4 - 0.1  # then one every 0.4 s
    # The worst window of the group's period holds no more than a burst and a period's pace.
    assert most_in_window(starts, 2.0) <= 2 * limits.GROUP_BURST


async def test_nothing_goes_out_while_a_429_is_waited_out() -> None:
    limiter, failing = FloodLimits(), Recorder(fail_first=1, retry_after=1)
    others = Recorder()
    first = asyncio.create_task(send(limiter, failing, 1))
    await asyncio.sleep(0.05)  # the 429 has come
    assert failing.starts
    paused_at = failing.starts[0]
    await asyncio.gather(first, *(send(limiter, others, 2 + i) for i in range(20)))
    assert len(failing.starts) == 2  # sent again after the wait, and went through
    assert failing.starts[1] - paused_at >= 1.0
    assert all(t - paused_at >= 1.0 for t in others.starts)  # none slipped into the pause
    assert most_in_window([*failing.starts[1:], *others.starts], 1.0) <= (
        limits.MESSAGES_PER_SECOND + 1
    )


async def test_button_answers_are_never_held_up_by_a_pause() -> None:
    limiter, failing, answer = FloodLimits(), Recorder(fail_first=1, retry_after=2), Recorder()
    message = asyncio.create_task(send(limiter, failing, 1))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    assert await send(limiter, answer, None)  # answerCallbackQuery: no chat_id
    assert time.monotonic() - started < 0.5
    await message


async def test_a_reply_is_retried_as_often_as_it_takes_then_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "FLOOD_RETRIES", 2)
    stubborn = Recorder(fail_first=3, retry_after=0)
    with pytest.raises(RetryAfter):
        await send(FloodLimits(), stubborn, 1)
    assert len(stubborn.starts) == 3  # the first try and two retries
    patient = Recorder(fail_first=2, retry_after=0)
    assert await send(FloodLimits(), patient, 1)
