"""One event, one way: load the session, ask the flow, store the result, render the reply.

Shared by the Telegram transport (:mod:`bot.handlers`) and the terminal (:mod:`bot.console`),
so both walk exactly the same conversation on the same storage. The session is committed
before the reply is returned, hence before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot import callbacks
from bot.dates import BUYER_TZ
from bot.flow import (
    ADD_REMINDERS,
    CANCEL_REMINDER,
    DEADLINE_END,
    DEADLINE_KIND,
    FORGET,
    MENU_SEQ,
    MENUS,
    PROTECTION,
    SET_LANGUAGE,
    Context,
    Flow,
    Notice,
    ScreenKind,
    Session,
    Transition,
    reminder_times,
)
from bot.guide import load_guide
from bot.i18n import Catalogs, Html, Translator
from bot.render import Renderer, View
from bot.storage import SessionStore
from bot.tracing import note_step


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

    def conversations(
        self,
        store: SessionStore,
        private_link: str | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> Conversations:
        return Conversations(
            self.flow,
            self.renderer,
            store,
            self.catalogs,
            private_link=private_link,
            admin_ids=admin_ids,
        )


class Kind(StrEnum):
    GREET = "greet"  # /start
    BEGIN = "begin"  # /complaint, /start complaint
    CANCEL = "cancel"
    HELP = "help"
    SAY = "say"  # typed text
    PRESS = "press"  # a button
    HINT = "hint"  # a sticker, a photo, a voice message…
    UNKNOWN_COMMAND = "unknown_command"
    DEADLINE = "deadline"  # /deadline
    REMINDERS = "reminders"  # /reminders
    STATS = "stats"  # /stats, for the admins
    LANGUAGE = "language"  # /language
    FORGET = "forget"  # /forget
    SOURCES = "sources"  # /sources


#: The commands that are one event each, the same in Telegram and in the console.
#: (``/start`` is not among them: its deep-link payload decides between two events.)
COMMANDS: Mapping[str, Kind] = {
    "complaint": Kind.BEGIN,
    "cancel": Kind.CANCEL,
    "help": Kind.HELP,
    "deadline": Kind.DEADLINE,
    "reminders": Kind.REMINDERS,
    "stats": Kind.STATS,
    "language": Kind.LANGUAGE,
    "forget": Kind.FORGET,
    "sources": Kind.SOURCES,
}


@dataclass(frozen=True, slots=True)
class Event:
    kind: Kind
    chat_id: int
    user_id: int
    language_code: str | None = None
    text: str = ""  # SAY: the text; PRESS: the callback data
    message_id: int | None = None  # PRESS: the message the button is on
    update_id: int | None = None
    group: bool = False  # in a group or supergroup rather than a private chat


@dataclass(frozen=True, slots=True)
class Reply:
    """What to do in the chat, once the session is stored."""

    view: View | None  # None: show nothing new
    session: Session | None  # the conversation after the event
    previous_message_id: int | None  # the message whose keyboard is now out of date
    notice: Html | None = None  # PRESS: the short answer to the button press
    stale: bool = False  # PRESS: the pressed keyboard is out of date and should go
    alert: bool = False  # PRESS: show the notice as an alert the person must dismiss
    menu: bool = False  # the view is a menu (/language…), not the conversation's screen


class Conversations:
    def __init__(
        self,
        flow: Flow,
        renderer: Renderer,
        store: SessionStore,
        catalogs: Catalogs,
        clock: Callable[[], float] = time.time,
        private_link: str | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.flow = flow
        self.renderer = renderer
        self.store = store
        self.catalogs = catalogs
        self._clock = clock
        #: A deep link into the complaint in a private chat, offered in groups.
        self.private_link = private_link
        self.admin_ids = admin_ids

    def translator(self, session: Session | None, language_code: str | None) -> Translator:
        language = session.language if session else self.catalogs.pick(language_code)
        return self.catalogs.translator(language)

    def wait_note(self, chat_id: int, user_id: int, language_code: str | None) -> Html:
        """The short note for someone whose step waits for the database (no database read:
        the language of a conversation in memory, or else Telegram's)."""
        session = self.store.cached(chat_id, user_id)
        tr = self.translator(session, language_code)
        return tr.pgettext("notice", "One moment, please…")

    async def person_translator(
        self, chat_id: int, user_id: int, language_code: str | None
    ) -> Translator:
        """The words for someone outside a conversation step (an error, a group intro)."""
        session = await self.store.get(chat_id, user_id)
        return self.catalogs.translator(await self._language(session, user_id, language_code))

    async def _language(
        self, session: Session | None, user_id: int, language_code: str | None
    ) -> str:
        """The conversation's language; on first contact in a chat, one chosen with
        /language elsewhere, or else Telegram's."""
        if session is not None:
            return session.language
        chosen = await self.store.language(user_id)
        return chosen or self.catalogs.pick(language_code)

    async def handle(self, event: Event) -> Reply:
        """Apply ``event`` to the sender's conversation and return the reply to show."""
        if event.kind is Kind.STATS and event.user_id in self.admin_ids:
            return await self._stats(event)
        session = await self.store.get(event.chat_id, event.user_id)
        language = await self._language(session, event.user_id, event.language_code)
        ctx = Context(
            chat_id=event.chat_id,
            user_id=event.user_id,
            language=language,
            now=self._clock(),
            update_id=event.update_id,
            message_id=event.message_id if event.kind is Kind.PRESS else None,
        )
        transition = self._decide(event, session, ctx)
        action = transition.action
        if action is not None and action.kind == SET_LANGUAGE:
            await self.store.set_language(event.user_id, action.value, ctx.now)
            language = action.value
            session = await self.store.get(event.chat_id, event.user_id)
        elif action is not None and action.kind == FORGET:
            await self.store.forget(event.user_id)
            session = None
        elif action is not None and action.kind == CANCEL_REMINDER:
            await self.store.cancel_reminder(event.user_id, int(action.value))
        new = transition.session
        # Reminders before the step: once the step is stored, the same update, kept after a
        # stop, is recognised as applied and would never add them (adding is idempotent).
        if action is not None and action.kind == ADD_REMINDERS and new is not None:
            end = date.fromisoformat(new.answers[DEADLINE_END])
            await self.store.add_reminders(
                event.user_id,
                event.chat_id,
                reminder_times(end, ctx.now),
                end,
                new.answers.get(DEADLINE_KIND, PROTECTION),
                new.language,
                ctx.now,
            )
        if new is not None:
            await self.store.save(new)
        shown = new or session
        note_step(
            event.kind.value,
            session.step.value if session else None,
            shown.step.value if shown else None,
        )
        tr = self.catalogs.translator(shown.language if shown else language)
        view = None
        if transition.screen is not None and transition.screen.kind is ScreenKind.REMINDERS:
            pending = await self.store.pending_reminders(event.user_id)
            view = self.renderer.reminders(pending, event.user_id, tr)
        elif transition.screen is not None:
            link = self.private_link if event.group else None
            view = self.renderer.view(
                transition.screen, shown, tr, private_link=link, owner=event.user_id
            )
        notice = None
        if transition.notice is not None:
            notice = self.renderer.notice(transition.notice, tr)
        previous = None
        if session is not None and new is not None and self.flow.choices(session):
            previous = session.message_id  # it showed the keyboard of the step just left
        stale = transition.notice is Notice.STALE and transition.screen is None
        alert = transition.notice is Notice.NOT_YOURS
        menu = transition.screen is not None and transition.screen.kind in MENUS
        return Reply(view, shown, previous, notice, stale=stale, alert=alert, menu=menu)

    async def _stats(self, event: Event) -> Reply:
        """/stats: figures from SQLite, counted in the buyers' days (Moscow time)."""
        now = datetime.fromtimestamp(self._clock(), BUYER_TZ)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        week = day - timedelta(days=day.weekday())
        stats = await self.store.stats(day.timestamp(), week.timestamp())
        tr = self.catalogs.translator(self.catalogs.pick(event.language_code))
        return Reply(self.renderer.stats(stats, tr), None, None)

    async def current(self, chat_id: int, user_id: int, language_code: str | None) -> Reply | None:
        """The screen where an active conversation stands, to show it again."""
        session = await self.store.get(chat_id, user_id)
        if session is None or not session.active:
            return None
        view = self.renderer.view(
            self.flow.screen(session), session, self.translator(session, None)
        )
        return Reply(view, session, None)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        """The chat refuses the bot's messages (403, or the person blocked it), or no longer."""
        await self.store.set_blocked(chat_id, blocked, self._clock())

    async def remember_message(self, session: Session, message_id: int) -> None:
        """Record the message that now shows ``session``'s keyboard."""
        await self.store.set_message_id(session.chat_id, session.user_id, session.seq, message_id)

    def _decide(self, event: Event, session: Session | None, ctx: Context) -> Transition:
        flow = self.flow
        match event.kind:
            case Kind.GREET:
                return flow.greet(session, ctx)
            case Kind.BEGIN:
                return flow.begin(session, ctx)
            case Kind.CANCEL:
                return flow.cancel(session, ctx)
            case Kind.HELP:
                return flow.help()
            case Kind.SAY:
                return flow.say(session, event.text, ctx)
            case Kind.PRESS:
                data = callbacks.decode(event.text)
                if data is None:
                    return flow.forged()
                if data.owner != event.user_id:
                    return flow.not_yours()
                if data.seq == MENU_SEQ:
                    return flow.menu_choice(data.choice, self.catalogs.languages)
                return flow.press(session, data.seq, data.choice, ctx)
            case Kind.DEADLINE:
                return flow.deadline(session, ctx)
            case Kind.STATS:  # not an admin: as if there were no such command
                return flow.unknown_command()
            case Kind.REMINDERS:
                return flow.reminders_menu()
            case Kind.LANGUAGE:
                return flow.language_menu(self.catalogs.languages)
            case Kind.FORGET:
                return flow.forget_menu()
            case Kind.SOURCES:
                return flow.sources(session, event.text)
            case Kind.HINT:
                return flow.hint(session)
            case Kind.UNKNOWN_COMMAND:
                return flow.unknown_command()
