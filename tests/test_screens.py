"""Screens are sent and redrawn with exactly the request python-telegram-bot's typed methods
make (``send_message``, ``edit_message_text``), with the bot's defaults and rate limiter;
only Telegram's reply is not turned into a ``Message``."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import ReplyParameters
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import Defaults, ExtBot

from bench.run import InProcessRequest
from bot.app import defaults
from bot.handlers import edit_screen, keyboard, remove_keyboard, send_screen
from bot.i18n import Html
from bot.limits import FloodLimits
from bot.render import Button, View
from tests.fake_telegram import BOT_API_PARAMS

CHAT = 42
PLAIN = View(Html("<b>Здравствуйте!</b> Расскажите, что случилось: https://aliexpress.ru"))
WITH_KEYBOARD = View(
    Html("Вы подтвердили получение заказа?"),
    ((Button("Да", "v1:42:1:yes"), Button("Нет", "v1:42:1:no")),),
)


class Recorder(InProcessRequest):
    """Records each call's method and the parameters PTB sends with it; answers with
    ``result``, or with ``status`` and ``body`` when set."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.result: object = {
            "message_id": 7,
            "date": 0,
            "chat": {"id": CHAT, "type": "private"},
            "text": "x",
        }
        self.status = 200
        self.body: dict[str, Any] | None = None

    def answer(self, name: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if name == "getMe":
            return super().answer(name, params)
        self.sent.append((name, dict(params)))
        return self.status, self.body or {"ok": True, "result": self.result}


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(
    params=[
        defaults(),
        # Every default the typed methods honour, so a screen cannot quietly skip one.
        Defaults(parse_mode="MarkdownV2", disable_notification=True, protect_content=True),
    ],
    ids=["the bot's defaults", "all defaults"],
)
async def bot(recorder: Recorder, request: pytest.FixtureRequest) -> ExtBot[None]:
    # As the application builds it: with defaults and the bot's rate limiter, started.
    limits = FloodLimits()
    bot: ExtBot[None] = ExtBot(
        "123:ABC", request=recorder, defaults=request.param, rate_limiter=limits
    )
    await bot.initialize()
    return bot


@pytest.mark.parametrize("view", [PLAIN, WITH_KEYBOARD], ids=["plain", "keyboard"])
@pytest.mark.parametrize("reply_to", [None, 99], ids=["private", "group-reply"])
async def test_a_screen_is_sent_as_send_message_sends_it(
    bot: ExtBot[None], recorder: Recorder, view: View, reply_to: int | None
) -> None:
    message_id = await send_screen(bot, CHAT, view, reply_to)
    parameters = None
    if reply_to is not None:
        parameters = ReplyParameters(reply_to, allow_sending_without_reply=True)
    typed = await bot.send_message(
        CHAT, view.text, reply_markup=keyboard(view), reply_parameters=parameters
    )
    (ours, theirs) = recorder.sent
    assert ours == theirs
    assert ours[0] == "sendMessage"
    assert ours[1]["parse_mode"] == bot.defaults.parse_mode if bot.defaults else None
    assert message_id == typed.message_id == 7


@pytest.mark.parametrize("view", [PLAIN, WITH_KEYBOARD], ids=["plain", "keyboard"])
async def test_a_screen_is_redrawn_as_edit_message_text_redraws_it(
    bot: ExtBot[None], recorder: Recorder, view: View
) -> None:
    await edit_screen(bot, CHAT, 5, view)
    await bot.edit_message_text(view.text, chat_id=CHAT, message_id=5, reply_markup=keyboard(view))
    (ours, theirs) = recorder.sent
    # The typed method, less what editMessageText does not have (PTB sends the
    # disable_notification and protect_content of Defaults with an edit too).
    spec = BOT_API_PARAMS["editMessageText"]
    assert ours == (theirs[0], {k: v for k, v in theirs[1].items() if k in spec})
    assert set(ours[1]) <= spec
    assert ours[0] == "editMessageText"
    assert ("reply_markup" in ours[1]) == bool(view.keyboard)


async def test_a_reply_without_a_message_id_is_an_error_not_a_crash(
    bot: ExtBot[None], recorder: Recorder
) -> None:
    for result in (True, {"date": 0}, {"message_id": True}):
        recorder.result = result
        with pytest.raises(TelegramError, match="no message id"):
            await send_screen(bot, CHAT, PLAIN)


async def test_telegram_errors_come_through_as_they_are(
    bot: ExtBot[None], recorder: Recorder
) -> None:
    recorder.status = 400
    recorder.body = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is not modified",
    }
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await edit_screen(bot, CHAT, 5, PLAIN)
    # do_api_request would call a rejected token an unknown method.
    recorder.status = 401
    recorder.body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        await send_screen(bot, CHAT, PLAIN)


async def test_a_keyboard_is_removed_with_only_the_parameters_the_method_has(
    bot: ExtBot[None], recorder: Recorder
) -> None:
    recorder.result = True
    await remove_keyboard(bot, CHAT, 5)
    ((name, params),) = recorder.sent
    assert name == "editMessageReplyMarkup"
    assert params == {"chat_id": CHAT, "message_id": 5}  # no parse_mode from Defaults
