"""The bot's own serialisation of inline keyboards and of its link preview default sends
exactly what python-telegram-bot would: the same JSON for every kind of button, row layout
and text."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.ext import ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.app import NoPreview, defaults
from bot.handlers import Keyboard, keyboard
from bot.render import Button, View
from tests.fake_telegram import FakeTelegram
from tests.harness import Person

labels = st.text(min_size=1, max_size=40)
buttons = st.one_of(
    st.builds(Button, labels, data=st.text(min_size=1, max_size=64)),
    st.builds(Button, labels, url=st.just("https://t.me/bot?start=complaint")),
)
rows = st.lists(st.lists(buttons, min_size=1, max_size=3).map(tuple), min_size=1, max_size=6)


def ptb_markup(rows: list[tuple[Button, ...]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in r] for r in rows]
    )


@given(rows)
def test_a_keyboard_is_sent_as_python_telegram_bot_would_send_it(
    rows: list[tuple[Button, ...]],
) -> None:
    ours, theirs = Keyboard(rows), ptb_markup(rows)
    assert ours.to_dict() == theirs.to_dict()
    sent = RequestData([RequestParameter.from_input("reply_markup", ours)]).json_parameters
    expected = RequestData([RequestParameter.from_input("reply_markup", theirs)]).json_parameters
    assert json.loads(sent["reply_markup"]) == json.loads(expected["reply_markup"])
    # Everything else (equality, the buttons themselves) is python-telegram-bot's own.
    assert ours == theirs
    assert theirs == ours
    assert ours.inline_keyboard == theirs.inline_keyboard
    assert ours == Keyboard(rows)
    assert hash(ours) == hash(Keyboard(rows))
    assert repr(Keyboard(rows)) == repr(theirs).replace("InlineKeyboardMarkup(", "Keyboard(", 1)


@given(rows)
def test_copies_and_pickles_of_a_keyboard_are_the_same_keyboard(
    rows: list[tuple[Button, ...]],
) -> None:
    theirs = ptb_markup(rows)
    for again in (
        copy.copy(Keyboard(rows)),
        copy.deepcopy(Keyboard(rows)),
        pickle.loads(pickle.dumps(Keyboard(rows))),
    ):
        assert isinstance(again, Keyboard)
        assert again == theirs
        assert again.to_dict() == theirs.to_dict()


def test_sending_a_keyboard_does_not_make_its_button_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []

    def counted(text: str, **kwargs: object) -> InlineKeyboardButton:
        made.append(text)
        return InlineKeyboardButton(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.handlers.InlineKeyboardButton", counted)
    rows = [(Button("Да", data="v1:1:1:yes"), Button("Нет", data="v1:1:1:no"))]
    ours = Keyboard(rows)
    sent = RequestData([RequestParameter.from_input("reply_markup", ours)]).json_parameters
    assert json.loads(sent["reply_markup"])["inline_keyboard"][0][1]["text"] == "Нет"
    assert made == []
    assert [b.text for b in ours.inline_keyboard[0]] == ["Да", "Нет"]
    assert ours.inline_keyboard is ours.inline_keyboard  # made once
    assert made == ["Да", "Нет"]


def test_a_keyboard_cannot_be_changed() -> None:
    ours = Keyboard([(Button("Да", data="v1:1:1:yes"),)])
    with pytest.raises(AttributeError, match="can't be set"):
        ours.inline_keyboard = ()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="no attribute 'buttons'"):
        ours.buttons  # type: ignore[attr-defined]  # noqa: B018


def test_a_view_without_buttons_has_no_keyboard() -> None:
    assert keyboard(View("text")) is None


def test_to_dict_hands_out_a_copy() -> None:
    ours = Keyboard([(Button("Да", data="v1:1:1:yes"),)])
    ours.to_dict()["inline_keyboard"] = []
    assert ours.to_dict()["inline_keyboard"] == [[{"text": "Да", "callback_data": "v1:1:1:yes"}]]


def test_a_button_must_be_a_press_or_a_link() -> None:
    with pytest.raises(ValueError, match="neither data nor a link"):
        Keyboard([(Button("?"),)])


def test_the_link_preview_default_is_sent_as_python_telegram_bot_would_send_it() -> None:
    ours, theirs = NoPreview(), LinkPreviewOptions(is_disabled=True)
    assert ours.to_dict() == theirs.to_dict() == {"is_disabled": True}
    assert ours == theirs
    ours.to_dict()["is_disabled"] = False
    assert ours.to_dict() == {"is_disabled": True}


async def test_link_options_given_with_a_message_are_merged_into_the_default(
    fake: FakeTelegram, anya: Person
) -> None:
    """PTB merges options passed with a message into the default by walking its slots."""
    fake.send_text(anya.user, "привет")  # the chat exists once she has written
    bot = ExtBot(fake.token, base_url=fake.base_url, defaults=defaults())
    async with bot:
        given = LinkPreviewOptions(url="https://a.example")
        await bot.send_message(anya.chat_id, "x", link_preview_options=given)
        await bot.send_message(anya.chat_id, "y")
    sent = [call.params for call in fake.calls_of("sendMessage")]
    options = [p["link_preview_options"] for p in sent]  # the fake decodes JSON fields
    assert options == [{"is_disabled": True, "url": "https://a.example"}, {"is_disabled": True}]
    assert [p["parse_mode"] for p in sent] == ["HTML", "HTML"]
