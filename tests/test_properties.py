"""Property-based tests: whatever people type or press, the conversation holds together.

Hypothesis plays random conversations: at each step a real button of a keyboard on screen
(the current one or an old one), typed text (words the bot knows, a button's label, dates,
order numbers, huge strings, control characters, HTML-like ``<b>&``, emoji), a forged
``callback_data`` or a command. Two levels:

* the service (:class:`bot.service.Conversations` on a real SQLite store), many examples:
  nothing raises, every button press gets an answer Telegram accepts, every screen is valid
  Telegram HTML within its limits, and what is stored after each step is exactly what the
  reply showed and what the next step reads;
* the real bot polling the fake Bot API, a few examples: no call Telegram would reject, no
  unanswered button press, no "something went wrong", and the bot still answers ``/start``.

The store (and, end to end, the fake and the bot) is opened once per test, not per example:
each example plays new people in new chats, so examples stay independent (as shrinking
needs) while sharing one database file. The tests are plain functions that run the async
parts on their own :class:`asyncio.Runner`; pytest-asyncio leaves them alone.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import operator
import sqlite3
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import callbacks
from bot.flow import (
    BACK,
    BEGIN,
    COMPLAINT,
    DEADLINE,
    FORGET_NO,
    FORGET_YES,
    IDK,
    LANGUAGE_PREFIX,
    MENU_SEQ,
    NO,
    OTHER,
    PROBLEM_PREFIX,
    REMIND,
    REMINDER_PREFIX,
    RESTART,
    TEXT,
    YES,
    Notice,
    Session,
)
from bot.render import View
from bot.service import Content, Conversations, Event, Kind, Reply
from bot.storage import SessionStore
from tests.fake_telegram import (
    MAX_CALLBACK_ANSWER_UTF16,
    ApiError,
    FakeTelegram,
    parse_html,
    render_text,
    utf16_len,
    validate_reply_markup,
)
from tests.harness import JSON, Bot

CONTENT = Content.load()
GUIDE = CONTENT.flow.guide
BOT_USERNAME = "complaint_test_bot"  # FakeTelegram's default
PRIVATE_LINK = f"https://t.me/{BOT_USERNAME}?start=complaint"
#: Every link a button may carry.
LINKS = {PRIVATE_LINK, *(link.url for link in GUIDE.links.values())}

#: No deadline: a step's time depends on the machine (SQLite, a 20000-character text).
#: A failure prints the ``@reproduce_failure`` blob that replays it, for CI logs.
COMMON = settings(deadline=None, print_blob=True)

# ---- what people type ------------------------------------------------------------------

#: Every phrase the matcher knows: answers to the questions and the problems.
PHRASES = sorted(
    {w for kinds in GUIDE.answer_keywords.values() for ws in kinds.values() for w in ws}
    | {phrase for p in GUIDE.problems for phrase, _ in p.keywords}
)
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇷🇺", "❤️", "🧑‍💻", "\U0001f4a3", "🏳️‍🌈"]
MARKUP = [
    "<b>",
    "</b>",
    "<i>",
    "&",
    "&amp;",
    "&lt;",
    "&#128512;",
    "&nbsp",
    '<a href="tg://x">',
    "</a>",
    "<",
    ">",
    "<pre>",
    "<tg-spoiler>",
    "<br>",
    '"',
    "'",
    "%s",
    "%(n)s",
    "{}",
]
MONTHS = ["декабря", "янв", "январь", "мая", "май", "may", "march", "сент", "ноябрь", "xyz"]
UNITS = ["", "дней", "дня", "день", "недели", "неделю", "месяц", "мес", "days", "weeks", "лет"]


def _repeat(text: str, times: int) -> str:
    return text * times


def _joined(parts: list[str]) -> str:
    return " ".join(parts)


def _decoded(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


DATES = st.one_of(
    st.builds("{}.{}.{}".format, st.integers(-1, 40), st.integers(-1, 14), st.integers(0, 10**5)),
    st.builds("{}.{}".format, st.integers(0, 99), st.integers(0, 99)),
    st.builds("{}/{}/{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    st.builds(
        "{}-{:02}-{:02}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)
    ),
    st.builds("{} {}".format, st.integers(0, 99), st.sampled_from(MONTHS)),
    st.builds("{} {} {}".format, st.sampled_from(MONTHS), st.integers(0, 99), st.integers(0, 9999)),
    st.builds(
        "{} {} {}".format,
        st.sampled_from(["осталось", "через", "", "прошло", "in", "ago"]),
        st.integers(0, 10**6),
        st.sampled_from(UNITS),
    ),
    st.sampled_from(["сегодня", "завтра", "вчера", "today", "пару недель", "месяц", "неделю"]),
    st.integers(-(10**20), 10**20).map(str),
)
CONTROL = st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"])
PIECES = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(MARKUP),
    st.sampled_from(EMOJI),
    CONTROL,
    st.text(max_size=6),
    DATES,
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(PHRASES),
    DATES,
    st.lists(PIECES, max_size=10).map(_joined),
    st.lists(PIECES, max_size=10).map("".join),
    st.text(alphabet="0123456789 ", min_size=1, max_size=40),  # order numbers, and more
    st.binary(max_size=64).map(_decoded),
    # Huge: a 4096-character message, a 20000-character one (a forwarded text, a caption).
    st.builds(
        _repeat,
        st.one_of(PIECES, st.text(min_size=1, max_size=8)).filter(bool),
        st.integers(100, 2000),
    ),
)

# ---- what buttons send ----------------------------------------------------------------

KNOWN_CHOICES = [
    BEGIN,
    YES,
    NO,
    IDK,
    COMPLAINT,
    RESTART,
    OTHER,
    DEADLINE,
    REMIND,
    TEXT,
    BACK,
    FORGET_YES,
    FORGET_NO,
    *(PROBLEM_PREFIX + p.id for p in GUIDE.problems),
    *(LANGUAGE_PREFIX + lang for lang in (*sorted(CONTENT.catalogs.languages), "xx", "")),
]
CHOICES = st.one_of(
    st.sampled_from(KNOWN_CHOICES),
    st.builds(
        operator.add,
        st.sampled_from(string.ascii_lowercase),
        st.text(alphabet=string.ascii_lowercase + string.digits + "_.", max_size=30),
    ),
    # A reminder to cancel: any id, also past what SQLite can hold (2**63 - 1). Hypothesis
    # favours small integers, so the large ones are asked for explicitly.
    st.one_of(
        st.integers(0, 10**6), st.integers(2**62, 10**28), st.sampled_from([2**63 - 1, 2**63])
    ).map(f"{REMINDER_PREFIX}{{}}".format),
)


#: Who a forged button claims to belong to: the presser, the other person, anyone.
OWNERS = st.one_of(st.sampled_from(["me", "me", "me", "other"]), st.integers(0, 10**17))
#: Its step: near the conversation's current one, a menu's, or any number.
STEPS = st.one_of(
    st.just(("at", MENU_SEQ)),  # a menu's buttons work at any time: no step to check
    st.sampled_from([-1, 0, 0, 1]).map(lambda k: ("near", k)),
    st.integers(0, 10**10).map(lambda n: ("at", n)),
)
#: callback_data a client could send: garbage, or ``v1:…`` with any owner, step and choice
#: (a template, filled in by :func:`forge`).
FORGED = st.one_of(
    st.tuples(
        st.sampled_from(["v1", "v1", "v1", "v1", "v2", "V1", " v1"]),
        OWNERS,
        STEPS,
        CHOICES,
        st.booleans(),
    ),
    st.text(max_size=80),
    st.binary(max_size=80).map(_decoded),
    st.builds("v1:{}:{}:{}".format, st.text(max_size=4), st.text(max_size=4), CHOICES),
)
#: Digits that are not ASCII pass ``\d`` in a regular expression: «١٠٠١» is 1001 to int().
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def forge(template: str | tuple[Any, ...], me: int, other: int, seq: int) -> str:
    if isinstance(template, str):
        return template
    version, owner, (how, n), choice, arabic = template
    who = str({"me": me, "other": other}.get(owner, owner))
    step = max(seq + n, 0) if how == "near" else n
    return f"{version}:{who.translate(ARABIC_DIGITS) if arabic else who}:{step}:{choice}"


@functools.cache
def index(size: int) -> st.SearchStrategy[int]:
    """A position in a list of ``size`` things (cheaper than a new ``sampled_from`` each time)."""
    return st.integers(0, size - 1)


def pick(data: st.DataObject, items: list[Any], label: str) -> Any:
    return items[data.draw(index(len(items)), label=label)]


# ---- checks shared by both levels -------------------------------------------------------


def check_view(view: View, user_id: int) -> None:
    """The view as Telegram would take it: HTML that parses, within every limit."""
    try:
        render_text(view.text, "HTML")  # parses like tdlib; ≤ 4096 UTF-16, ≤ 100 entities
        markup: JSON = {
            "inline_keyboard": [
                [
                    {"text": b.label, "callback_data": b.data}
                    if b.data is not None
                    else {"text": b.label, "url": b.url}
                    for b in row
                ]
                for row in view.keyboard
            ]
        }
        validate_reply_markup(markup)  # non-blank labels, 1–64 bytes of data, ≤ 100 buttons
    except ApiError as exc:
        raise AssertionError(f"Telegram would reject {view!r}: {exc.description}") from None
    for row in view.keyboard:
        for button in row:
            if button.data is None:
                assert button.url in LINKS, button.url  # the private chat, or a guide page
                continue
            assert len(button.data.encode()) <= callbacks.MAX_BYTES
            decoded = callbacks.decode(button.data)
            assert decoded is not None, button
            assert decoded.owner == user_id, button  # buttons are for the one who asked


def check_press_answer(reply: Reply) -> None:
    """``answerCallbackQuery(text=reply.notice)``, as Telegram requires it: plain text, ≤ 200."""
    if reply.alert:
        assert reply.notice is not None
    if reply.stale:
        assert reply.view is None
    if reply.notice is None:
        return
    assert reply.notice.strip()
    assert utf16_len(reply.notice) <= MAX_CALLBACK_ANSWER_UTF16, reply.notice
    plain, entities = parse_html(reply.notice)
    assert plain == reply.notice, "the answer to a press is plain text, not HTML"
    assert not entities


# ---- the service level -----------------------------------------------------------------

_COLUMNS = (
    "step, seq, language, answers, route, problem, box, message_id, last_update_id, "
    "created_at, updated_at, outcome_at"
)
Stored = tuple[Any, ...]


def as_row(session: Session) -> Stored:
    return (
        session.step.value,
        session.seq,
        session.language,
        dict(session.answers),
        session.route.value if session.route else None,
        session.problem,
        session.box,
        session.message_id,
        session.last_update_id,
        session.created_at,
        session.updated_at,
        session.outcome_at,
    )


#: Time between two events: mostly a moment, sometimes days (past the 24 h redelivery
#: window, past a deadline, past reminders).
LATER = st.one_of(st.integers(0, 120), st.integers(0, 40 * 86400))
ACTIONS = st.sampled_from(
    ["tap", "tap", "tap", "type", "type", "label", "forge", "command", "redeliver"]
)
PRESSES = st.sampled_from(["forge", "forge", "forge", "tap", "command"])
MANGLE = st.sampled_from(
    [
        lambda label: label,
        str.upper,
        lambda label: f"  {label}!!",
        lambda label: label[:-1],
    ]
)
FORGED_MESSAGE = st.one_of(st.just("shown"), st.none(), st.integers(1, 10**6))
COMMAND_KINDS = st.sampled_from(
    [
        Kind.GREET,
        Kind.BEGIN,
        Kind.CANCEL,
        Kind.HELP,
        Kind.DEADLINE,
        Kind.REMINDERS,
        Kind.LANGUAGE,
        Kind.FORGET,
        Kind.STATS,
        Kind.UNKNOWN_COMMAND,
        Kind.HINT,
    ]
)


@dataclass
class Shown:
    """A message of the bot, as the chat shows it now."""

    keyboard: tuple[tuple[Any, ...], ...]
    epoch: int  # the owner's /forget count when it was drawn


@dataclass
class Person:
    user_id: int
    language_code: str | None
    epoch: int = 0  # bumped by /forget: older buttons belong to a deleted conversation


@dataclass
class World:
    """Two people, their private chats and a group they share, as the transport sees them."""

    conversations: Conversations
    store: SessionStore
    db: sqlite3.Connection
    data: st.DataObject
    people: list[Person]
    group_id: int
    now: float
    actions: st.SearchStrategy[str] = ACTIONS
    update_id: int = 0
    messages: dict[tuple[int, int], Shown] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)
    history: list[Event] = field(default_factory=list)

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def stored(self, chat_id: int, user_id: int) -> Stored | None:
        """The session in the SQLite file itself, bypassing the store's cache."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE chat_id = ? AND user_id = ?",
            (chat_id, user_id),
        ).fetchone()
        if row is None:
            return None
        return (*row[:3], json.loads(row[3]), *row[4:])

    def chats_of(self, person: Person) -> list[int]:
        return [person.user_id, self.group_id]

    def keyboards(self, person: Person) -> list[tuple[int, int, Any]]:
        """Every button ``person`` can press now: (chat, message, button)."""
        return [
            (chat_id, message_id, button)
            for (chat_id, message_id), shown in self.messages.items()
            if chat_id in self.chats_of(person)
            for row in shown.keyboard
            for button in row
            if button.data is not None
        ]

    async def play(self, steps: int) -> None:
        for _ in range(steps):
            self.now += self.draw(LATER, "seconds later")
            await self.step()

    async def step(self) -> None:
        person = pick(self.data, self.people, "who")
        action = self.draw(self.actions, "action")
        buttons = self.keyboards(person)
        if action in ("tap", "label") and not buttons:
            action = "command"
        if action == "redeliver" and not self.history:
            action = "type"
        if action == "tap":
            chat_id, message_id, button = pick(self.data, buttons, "button")
            await self.press(person, chat_id, message_id, button.data, real=True)
        elif action == "type":
            await self.send(person, Kind.SAY, self.draw(TEXTS, "text"))
        elif action == "label":  # a button's label typed instead of tapped, as-is or mangled
            _, _, button = pick(self.data, buttons, "button")
            text = self.draw(MANGLE, "how")(button.label)
            await self.send(person, Kind.SAY, text)
        elif action == "forge":
            chat_id = pick(self.data, self.chats_of(person), "chat")
            ids = [mid for (cid, mid) in self.messages if cid == chat_id]
            message_id = self.draw(FORGED_MESSAGE, "message")
            if message_id == "shown":
                message_id = pick(self.data, ids, "message") if ids else None
            current = self.stored(chat_id, person.user_id)
            me, other = person.user_id, next(p.user_id for p in self.people if p is not person)
            seq = current[1] if current else 0
            data = forge(self.draw(FORGED, "callback_data"), me, other, seq)
            await self.press(person, chat_id, message_id, data, real=False)
        elif action == "command":
            kind = self.draw(COMMAND_KINDS, "command")
            # Groups get commands only (privacy mode); unknown ones and stickers are ignored.
            private = kind in (Kind.UNKNOWN_COMMAND, Kind.HINT)
            group = not private and self.draw(st.booleans(), "in the group")
            await self.send(person, kind, f"/{kind.value}", group=group)
        else:  # Telegram delivers an update again (the bot stopped before confirming it)
            event = pick(self.data, self.history[-3:], "redelivered")
            await self.handle(event, redelivered=True)

    async def send(self, person: Person, kind: Kind, text: str, *, group: bool = False) -> None:
        self.update_id += 1
        event = Event(
            kind=kind,
            chat_id=self.group_id if group else person.user_id,
            user_id=person.user_id,
            language_code=person.language_code,
            text=text,
            update_id=self.update_id,
            group=group,
        )
        await self.handle(event)

    async def press(
        self, person: Person, chat_id: int, message_id: int | None, data: str, *, real: bool
    ) -> None:
        self.update_id += 1
        event = Event(
            kind=Kind.PRESS,
            chat_id=chat_id if message_id is not None else person.user_id,
            user_id=person.user_id,
            language_code=person.language_code,
            text=data,
            message_id=message_id,
            update_id=self.update_id,
            group=message_id is not None and chat_id == self.group_id,
        )
        await self.handle(event, real=real)

    async def handle(self, event: Event, *, real: bool = False, redelivered: bool = False) -> None:
        chat_id, user_id = event.chat_id, event.user_id
        person = next(p for p in self.people if p.user_id == user_id)
        before = self.stored(chat_id, user_id)
        shown = self.messages.get((chat_id, event.message_id or 0))

        reply = await self.conversations.handle(event)  # (a) never raises

        after = self.stored(chat_id, user_id)
        # (d) stored before the reply, exactly as shown, and exactly what the next step reads
        if event.kind is Kind.STATS and user_id in self.conversations.admin_ids:
            assert reply.session is None  # figures, not the conversation
            assert after == before
        elif reply.session is None:
            assert after is None
        else:
            assert (reply.session.chat_id, reply.session.user_id) == (chat_id, user_id)
            assert as_row(reply.session) == after
        seen = await self.store.get(chat_id, user_id)
        assert (as_row(seen) if seen else None) == after
        if before is not None and after is not None:
            assert after[1] - before[1] in (0, 1), "one event, at most one step"
        # (c) every screen valid for Telegram; buttons carry the asker's id
        if reply.view is not None:
            check_view(reply.view, user_id)
        if event.kind is Kind.PRESS:
            check_press_answer(reply)  # (b)
            if reply.notice is not None:  # stale, forged, someone else's: nothing moves
                assert after == before
            pressed = callbacks.decode(event.text)
            if real and pressed is not None and not redelivered:
                if pressed.owner != user_id:  # someone else's button in the group
                    assert reply.alert
                    assert after == before
                elif pressed.seq == MENU_SEQ or (
                    before is not None
                    and pressed.seq == before[1]
                    and shown is not None
                    and shown.epoch == person.epoch
                ):  # a button of the screen the conversation is at, or of a menu: it works
                    assert reply.notice is None, reply
                    assert reply.view is not None, reply
                    if pressed.seq != MENU_SEQ:
                        assert after is not None
                        assert after[1] == before[1] + 1
            forgotten = (MENU_SEQ, FORGET_YES, user_id)  # «yes, delete everything about me»
            if pressed is not None and (pressed.seq, pressed.choice, pressed.owner) == forgotten:
                person.epoch += 1
                assert after is None
        else:
            assert reply.notice is None  # only a press has anything to answer
            assert not reply.stale
            assert not reply.alert
        self.history.append(event)
        await self.show(event, reply, person)

    async def show(self, event: Event, reply: Reply, person: Person) -> None:
        """What the transport does with the reply (bot/handlers.py), on the chat model."""
        chat_id = event.chat_id
        if event.kind is Kind.PRESS:
            if event.message_id is None or (chat_id, event.message_id) not in self.messages:
                return
            key = (chat_id, event.message_id)
            if reply.stale:
                self.messages[key].keyboard = ()
            if reply.view is not None:  # edited in place
                self.messages[key] = Shown(reply.view.keyboard, person.epoch)
            return
        if reply.view is None:
            return
        message_id = self.next_message_id.get(chat_id, 0) + 1
        self.next_message_id[chat_id] = message_id
        self.messages[(chat_id, message_id)] = Shown(reply.view.keyboard, person.epoch)
        if reply.session is not None and reply.view.keyboard and not reply.menu:
            await self.conversations.remember_message(reply.session, message_id)
        if reply.previous_message_id is not None:
            old = self.messages.get((chat_id, reply.previous_message_id))
            if old is not None:
                old.keyboard = ()


LANGUAGE_CODES = st.sampled_from([None, "ru", "en", "en-US", "uk", "zz", "", "EN_gb", "ru-RU"])


def new_ids() -> Iterator[int]:
    """A fresh block of ids per example: new people, new chats, no state from before."""
    return itertools.count(1)


def play_conversations(
    path: Path, actions: st.SearchStrategy[str], max_examples: int, max_steps: int
) -> None:
    """Play random conversations on one store at ``path``; each example in new chats."""
    blocks = new_ids()
    with asyncio.Runner() as runner:
        store = runner.run(SessionStore.open(path))
        db = sqlite3.connect(path, isolation_level=None)
        try:

            @settings(COMMON, max_examples=max_examples)
            @given(
                data=st.data(),
                steps=st.integers(1, max_steps),
                start=st.integers(1_700_000_000, 2_100_000_000),  # 2023–2036
                languages=st.tuples(LANGUAGE_CODES, LANGUAGE_CODES),
                admin=st.booleans(),
            )
            def conversation(
                data: st.DataObject,
                steps: int,
                start: int,
                languages: tuple[str | None, str | None],
                admin: bool,
            ) -> None:
                block = next(blocks)
                people = [Person(block * 1000 + i, code) for i, code in enumerate(languages, 1)]
                world: World

                def clock() -> float:
                    return world.now

                conversations = Conversations(
                    CONTENT.flow,
                    CONTENT.renderer,
                    store,
                    CONTENT.catalogs,
                    clock=clock,
                    private_link=PRIVATE_LINK,
                    admin_ids=frozenset({people[0].user_id} if admin else ()),
                )
                group_id = -(10**12) - block
                world = World(
                    conversations, store, db, data, people, group_id, float(start), actions
                )
                runner.run(world.play(steps))

            conversation()
        finally:
            db.close()
            runner.run(store.close())


def test_any_conversation_keeps_every_invariant(tmp_path: Path) -> None:
    """Taps, typing, forged presses, commands and redeliveries, mixed as people do."""
    play_conversations(tmp_path / "mixed.sqlite3", ACTIONS, max_examples=150, max_steps=30)


def test_any_callback_data_is_answered_and_changes_nothing(tmp_path: Path) -> None:
    """Mostly forged presses, at whatever point a few taps and commands have reached."""
    play_conversations(tmp_path / "forged.sqlite3", PRESSES, max_examples=200, max_steps=8)


async def test_a_reminder_id_too_large_for_sqlite_is_a_forged_button(tmp_path: Path) -> None:
    """Found by the properties above: this press raised OverflowError in the store."""
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    try:
        conversations = CONTENT.conversations(store)
        for update_id, data in enumerate([f"v1:5:0:rm.{2**63}", "v1:5:0:rm." + "9" * 28], 1):
            event = Event(Kind.PRESS, 5, 5, "ru", data, message_id=1, update_id=update_id)
            reply = await conversations.handle(event)
            assert reply.view is None
            invalid = CONTENT.renderer.notice(Notice.INVALID, CONTENT.catalogs.translator("ru"))
            assert reply.notice == invalid
    finally:
        await store.close()


# ---- end to end --------------------------------------------------------------------------


@dataclass
class Chatter:
    """People talking to the real bot through the fake Bot API."""

    fake: FakeTelegram
    data: st.DataObject
    users: list[JSON]
    group: JSON

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def chats(self, user: JSON) -> list[int]:
        return [user["id"], self.group["id"]]

    def buttons(self, user: JSON) -> list[tuple[int, int, str, str]]:
        """(chat, message, label, data) of every callback button ``user`` can see now."""
        return [
            (message.chat_id, message.message_id, str(button.get("text", "")), data)
            for chat_id in self.chats(user)
            for message in self.fake.bot_messages(chat_id)
            for row in message.buttons()
            for button in row
            if isinstance(data := button.get("callback_data"), str)
        ]

    async def play(self, steps: int) -> None:
        for _ in range(steps):
            # Sometimes a burst: the next update arrives before the bot has answered.
            for _ in range(self.draw(BURST, "burst")):
                self.act()
            await self.fake.wait_processed(settle=0.02)

    def act(self) -> None:
        fake = self.fake
        user = pick(self.data, self.users, "who")
        action = self.draw(E2E_ACTIONS, "action")
        buttons = self.buttons(user)
        if action in ("tap", "label") and not buttons:
            action = "command"
        if action == "tap":
            chat_id, message_id, _, data = pick(self.data, buttons, "button")
            fake.press(user, message_id, data, chat_id=chat_id)
        elif action == "type":
            fake.send_text(user, self.draw(MESSAGE_TEXTS, "text"))
        elif action == "label":
            _, _, label, _ = pick(self.data, buttons, "button")
            fake.send_text(user, self.draw(MANGLE, "how")(label))
        elif action == "forge":
            # On a message the bot sent: Telegram has no buttons on others to press.
            messages = [m for c in self.chats(user) for m in fake.bot_messages(c)]
            if not messages:
                fake.send_command(user, "/complaint")
                return
            message = pick(self.data, messages, "message")
            me, other = user["id"], next(u["id"] for u in self.users if u is not user)
            drawn = [callbacks.decode(data) for *_, data in buttons]
            seq = max((d.seq for d in drawn if d is not None and d.owner == me), default=1)
            data = forge(self.draw(FORGED, "callback_data"), me, other, seq)
            data = data.encode()[:64].decode(errors="ignore") or "x"  # Telegram: 1–64 bytes
            fake.press(user, message.message_id, data, chat_id=message.chat_id)
        else:
            command = self.draw(E2E_COMMANDS, "command")
            if command != "/nonsense" and self.draw(st.booleans(), "in the group"):
                name, _, rest = command.partition(" ")
                fake.send_command(user, f"{name}@{BOT_USERNAME} {rest}".strip(), self.group)
            else:
                fake.send_command(user, command)


BURST = st.sampled_from([1, 1, 1, 2, 3])
E2E_ACTIONS = st.sampled_from(["tap", "tap", "tap", "type", "type", "label", "forge", "command"])
#: What a Telegram message can carry: 1–4096 characters, not only spaces.
MESSAGE_TEXTS = TEXTS.map(lambda text: text[:4096]).filter(str.strip)
E2E_COMMANDS = st.sampled_from(
    [
        "/start",
        "/start complaint",
        "/start whatever",
        "/complaint",
        "/cancel",
        "/help",
        "/deadline",
        "/reminders",
        "/language",
        "/forget",
        "/stats",
        "/nonsense",
    ]
)


def test_the_real_bot_answers_everything_and_keeps_polling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    blocks = new_ids()
    with asyncio.Runner() as runner:
        fake = FakeTelegram()
        runner.run(fake.start())
        bot = Bot(fake, tmp_path / "bot.sqlite3")
        runner.run(bot.start())
        tr = CONTENT.catalogs.translator
        errors = {CONTENT.renderer.error(tr(language)) for language in ("ru", "en")}
        try:

            @settings(COMMON, max_examples=15)
            @given(
                data=st.data(),
                steps=st.integers(1, 10),
                languages=st.tuples(LANGUAGE_CODES, LANGUAGE_CODES),
            )
            def conversation(
                data: st.DataObject, steps: int, languages: tuple[str | None, str | None]
            ) -> None:
                block = next(blocks)
                users = [
                    fake.make_user(block * 1000 + i, f"User {i}", code)
                    for i, code in enumerate(languages, 1)
                ]
                group: JSON = {"id": -(10**12) - block, "type": "supergroup", "title": "Али"}
                calls, rejected, logged = len(fake.calls), len(fake.rejected), len(caplog.records)
                chatter = Chatter(fake, data, users, group)
                runner.run(chatter.play(steps))
                # Nothing Telegram would reject, every press answered, no apology sent.
                assert not fake.rejected[rejected:], fake.rejected[rejected:]
                assert not fake.unanswered_callbacks
                sent = [c for c in fake.calls[calls:] if c.method == "sendMessage"]
                said = {c.params.get("text") for c in sent}
                assert not errors & said, "the bot failed on an update"
                ours = [r for r in caplog.records[logged:] if r.name.partition(".")[0] == "bot"]
                assert not ours, [r.getMessage() for r in ours]  # no warning, no error
                # And it is still polling: a /start gets a greeting.
                before = len(fake.bot_messages(users[0]["id"]))
                fake.send_command(users[0], "/start")
                runner.run(fake.wait_processed(settle=0.02))
                greeting = fake.last_bot_message(users[0]["id"])
                assert len(fake.bot_messages(users[0]["id"])) == before + 1
                assert greeting.callback_datas()

            conversation()
        finally:
            runner.run(bot.stop())
            runner.run(fake.stop())
    fake.assert_clean()
