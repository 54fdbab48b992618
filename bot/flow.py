"""The complaint conversation as a pure state machine: ``(session, event) → transition``.

No ``telegram`` import and no I/O. The handlers feed it events (a command, a button press, a
typed message), write the returned session, then render the returned screen.

The decision it walks (``../shared/domain.md``)::

    confirmed receipt?
    ├─ no ── protection still running? ── yes → dispute now; complaint not needed
    │                                  ├─ no: the order completed by itself → when? (below)
    │                                  └─ don't know → how to read the countdown, ask again
    ├─ yes: the order completed → when? (a date, "5 дней назад", or a button)
    │        ├─ fewer than 15 days ago → dispute still possible, by the date; complaint plan B
    │        ├─ 15 days ago or more → complaint
    │        └─ don't remember → where to look on the order page, ask again
    └─ don't know → where to look on the order page, ask again
    money charged but the order unpaid (a button, or typed at any question) → payment advice
    then: what went wrong? → one of the six boxes
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from bot import dates
from bot.dates import buyer_date
from bot.guide import Guide, GuideError
from bot.matching import Matcher, normalize
from bot.understanding import Understanding


class Step(StrEnum):
    """Where a conversation is. Stored in SQLite: values never change meaning."""

    START = "start"
    CONFIRMED = "confirmed"
    PROTECTION = "protection"
    RECENT = "recent"
    DISPUTE = "dispute"
    PROBLEM = "problem"
    ANSWER = "answer"
    CANCELLED = "cancelled"
    DEADLINE = "deadline"  # waiting for a date, typed
    DEADLINE_SET = "deadline_set"  # the dates worked out
    REMINDED = "reminded"  # reminders planned
    TEXT = "text"  # a ready English text for the form or the dispute
    UNPAID = "unpaid"  # money charged, the order shows as unpaid: the payment advice
    SOURCES = "sources"  # the sources behind the screen it was opened from


class Route(StrEnum):
    """Why the buyer ended up on the complaint path. Stored with the outcome."""

    # Stored by earlier versions ("protection over" meant "complaint"); no longer chosen.
    DEAL_CLOSED = "deal_closed"
    LATE = "late"  # the order completed 15 or more days ago
    PLAN_B = "plan_b"  # the order completed less than 15 days ago: a dispute comes first
    ANYWAY = "anyway"  # protection still running: a dispute is better, shown on request
    UNPAID = "unpaid"  # money charged, the order unpaid: the payment advice


class Notice(StrEnum):
    """A line shown above a screen, or the text of a callback answer."""

    REASK = "reask"  # typed text matched no choice
    COUNTDOWN_HELP = "countdown_help"  # where to see how long protection lasts
    STATUS_HELP = "status_help"  # where to see whether the order is completed
    NARROWED = "narrowed"  # typed words pointed at a few problems: which one?
    THANKS = "thanks"  # a thank-you typed: a kind word, and the buttons again
    NOTED = "noted"  # what went wrong, told at another question: kept, the question again
    DATE_HELP = "date_help"  # where to see when the order completed
    DATE_REASK = "date_reask"  # typed text that is not a date
    STALE = "stale"  # a button of a question that was already answered
    INVALID = "invalid"  # callback data this bot never produces
    NOT_YOURS = "not_yours"  # in a group: a button of someone else's conversation


class ScreenKind(StrEnum):
    GREETING = "greeting"
    QUESTION = "question"  # the step's question with its choices
    DISPUTE = "dispute"
    PROBLEM = "problem"
    ANSWER = "answer"
    CANCELLED = "cancelled"
    DEADLINE = "deadline"
    DEADLINE_SET = "deadline_set"
    REMINDED = "reminded"
    TEXT = "text"
    UNPAID = "unpaid"
    SOURCES = "sources"  # the sources behind a screen (a step, or /sources)
    REMINDERS = "reminders"  # /reminders: the list, a cancel button each
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    HELP = "help"
    HINT = "hint"  # a sticker, a photo, a voice message…
    UNKNOWN_COMMAND = "unknown_command"
    # Menus outside the conversation: their buttons carry step number MENU_SEQ.
    LANGUAGE = "language"
    LANGUAGE_SET = "language_set"
    FORGET = "forget"
    FORGOTTEN = "forgotten"
    FORGET_KEPT = "forget_kept"


MENUS = frozenset({ScreenKind.LANGUAGE, ScreenKind.FORGET, ScreenKind.REMINDERS})


# Choices are short codes: they travel in callback data (see bot/callbacks.py).
BEGIN, YES, NO, IDK, COMPLAINT, RESTART, OTHER = (
    "begin",
    "yes",
    "no",
    "idk",
    "complaint",
    "restart",
    "other",
)
DEADLINE, REMIND, TEXT, BACK = "deadline", "remind", "text", "back"
UNPAID, SOURCES = "unpaid", "src"
#: Typed words, not buttons: a thank-you.
THANKS = "thanks"
#: A whole message that names a language switches to it (as /language does).
_LANGUAGE_NAMES = {
    **dict.fromkeys(("english", "английский", "по английски", "на английский"), "en"),
    **dict.fromkeys(("русский", "russian", "по русски", "на русский"), "ru"),
}
#: answers: what the ready text is for, the step to go back to, the order number typed.
TEXT_FOR, TEXT_FROM, ORDER = "text_for", "text_from", "order"
#: answers: the step /deadline was asked from, to go back to.
BACK_TO = "back_to"
#: answers: the step the sources were opened from, to go back to.
SOURCES_FROM = "sources_from"
#: answers: the likeliest problems for what was typed, offered as buttons (comma-separated).
CANDIDATES = "candidates"
#: answers: how the order completed (CONFIRMED or COUNTDOWN), and on which day (ISO).
COMPLETED_VIA, COMPLETED_ON = "completed_via", "completed_on"
CONFIRMED, COUNTDOWN = "confirmed", "countdown"
#: Typed words that compare («меньше 15 дней», «больше месяца») answer the 15-day question
#: by the span they name; they are no date.
_LESS = frozenset({"меньше", "менее", "less", "under"})
_MORE = frozenset({"больше", "более", "more", "over"})


def _without(answers: Mapping[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in answers.items() if k != key}


def _completed(answers: Mapping[str, str], day: date) -> dict[str, str]:
    """``answers`` with the order completed on ``day``: a dispute until 15 days after."""
    end = day + timedelta(days=DISPUTE_AFTER_CONFIRM_DAYS)
    return {
        **answers,
        COMPLETED_ON: day.isoformat(),
        DEADLINE_KIND: CONFIRMED_ON,
        DEADLINE_END: end.isoformat(),
    }


def completed_via(answers: Mapping[str, str]) -> str | None:
    """How the order completed (CONFIRMED or COUNTDOWN), if it has.

    Sessions stored before the countdown's path existed say only ``confirmed = yes``.
    """
    via = answers.get(COMPLETED_VIA)
    if via is None and answers.get("confirmed") == YES:
        return CONFIRMED
    return via


_ORDER_NUMBER = re.compile(r"\d{6,20}")
REMINDER_PREFIX = "rm."
#: Reminder ids are SQLite row ids: a larger number on a button is no reminder of ours
#: (and SQLite could not even compare it: OverflowError).
MAX_REMINDER_ID = 2**63 - 1
#: Reminders come this many days before a deadline, at 10:00 Moscow time (07:00 UTC).
REMIND_DAYS_BEFORE = (3, 1)
REMIND_AT_UTC = time(7, 0)
PROBLEM_PREFIX = "p."
#: answers: which date /deadline asked for, and the last day worked out from it (ISO):
#: PROTECTION, the end of buyer protection; CONFIRMED_ON, the last day of a dispute after
#: the order completed (the name is older than the countdown's path to it).
DEADLINE_KIND, DEADLINE_END = "deadline_kind", "deadline_end"
PROTECTION, CONFIRMED_ON = "protection", "confirmed_on"
#: A dispute stays possible this long after the order completes, by a confirmation of
#: receipt or by the protection countdown running out (domain.md, S1–S3).
DISPUTE_AFTER_CONFIRM_DAYS = 15
LANGUAGE_PREFIX = "lang."
FORGET_YES, FORGET_NO = "forget.yes", "forget.no"
#: The step number on the buttons of menus (/language, /forget): valid at any time.
MENU_SEQ = 0
#: The answers key of a problem described before the questions.
HINT = "hint"
#: The problem (in data/guide.toml) of money charged for an order that shows as unpaid.
UNPAID_PROBLEM = "unpaid"
#: Questions where typed words may describe the problem instead of answering.
_ASKS_ABOUT_THE_ORDER = frozenset({Step.START, Step.CONFIRMED, Step.PROTECTION, Step.RECENT})
#: Telegram keeps an unconfirmed update for 24 hours.
REDELIVERY_WINDOW_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    """One person's conversation in one chat, exactly as it is stored."""

    chat_id: int
    user_id: int
    step: Step
    language: str
    created_at: float
    updated_at: float
    seq: int = 0  # bumped by every transition; buttons carry it, so old ones are recognised
    answers: Mapping[str, str] = field(default_factory=dict)
    route: Route | None = None
    problem: str | None = None
    box: str | None = None
    message_id: int | None = None  # the message that shows the current keyboard
    last_update_id: int | None = None
    outcome_at: float | None = None  # when the answer (route and box) was reached

    @property
    def active(self) -> bool:
        return self.step is not Step.CANCELLED


@dataclass(frozen=True, slots=True)
class Context:
    """Facts about the incoming event that the flow needs."""

    chat_id: int
    user_id: int
    language: str
    now: float
    update_id: int | None = None
    #: A button press: the message whose button it was (its screen is redrawn there).
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Screen:
    kind: ScreenKind
    step: Step | None = None
    choices: tuple[str, ...] = ()
    notice: Notice | None = None
    #: What a screen outside the conversation is about: an inline card's problem id, or
    #: START_CARD (the sources behind that card).
    topic: str | None = None


#: The topic of the inline "where to start: a dispute or a complaint?" card.
START_CARD = "start"


@dataclass(frozen=True, slots=True)
class Transition:
    """What the flow decided.

    ``session`` is what to store (``None``: store nothing); ``screen`` what to show
    (``None``: nothing, and a pressed keyboard is out of date).
    """

    screen: Screen | None
    session: Session | None = None
    notice: Notice | None = None  # for a button press: the short answer to the press
    replay: bool = False  # an update seen before (redelivered after a crash): show, don't move
    action: Action | None = None  # what to do to the stored data besides the session


@dataclass(frozen=True, slots=True)
class Action:
    """A change to what is stored about a person, decided by the flow, done by the service."""

    kind: str  # SET_LANGUAGE or FORGET
    value: str = ""


SET_LANGUAGE, FORGET = "set_language", "forget"
ADD_REMINDERS, CANCEL_REMINDER = "add_reminders", "cancel_reminder"


def reminder_times(end: date, now: float) -> list[float]:
    """When to remind about a deadline on ``end``: the planned days still ahead of ``now``."""
    times = [
        datetime.combine(end - timedelta(days=days), REMIND_AT_UTC, UTC).timestamp()
        for days in REMIND_DAYS_BEFORE
    ]
    return [t for t in times if t > now]


_QUESTION_CHOICES: dict[Step, tuple[str, ...]] = {
    Step.START: (BEGIN,),
    Step.CONFIRMED: (YES, NO, IDK, UNPAID),
    Step.PROTECTION: (YES, NO, IDK),
    Step.RECENT: (YES, NO, IDK),
    Step.DISPUTE: (DEADLINE, REMIND, TEXT, COMPLAINT, SOURCES, RESTART),
    Step.TEXT: (BACK, RESTART),
    Step.DEADLINE: (RESTART,),
    Step.DEADLINE_SET: (REMIND, BACK, COMPLAINT, SOURCES, RESTART),
    Step.REMINDED: (RESTART,),
    Step.ANSWER: (TEXT, OTHER, SOURCES, RESTART),
    Step.UNPAID: (SOURCES, RESTART),
    Step.SOURCES: (BACK, RESTART),
}
#: The steps that give advice: each has a «Sources» button.
ANSWER_STEPS = frozenset({Step.DISPUTE, Step.ANSWER, Step.UNPAID, Step.DEADLINE_SET})


class Flow:
    """The conversation over one :class:`~bot.guide.Guide`."""

    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        self._problem_choices = tuple(PROBLEM_PREFIX + p.id for p in guide.problems)

        def words(kind: str) -> list[str]:
            if kind not in guide.answer_keywords:
                raise GuideError(f"data/guide.toml: no [answers.keywords.*] {kind} = [...]")
            return [w for lang_words in guide.answer_keywords[kind].values() for w in lang_words]

        self._answer_matchers = {
            step: Matcher({c: words(c) for c in (*choices, RESTART)})
            for step, choices in _QUESTION_CHOICES.items()
        }
        # On the greeting, «да» means «let's go» too.
        self._answer_matchers[Step.START] = Matcher({BEGIN: [*words(BEGIN), *words(YES)]})
        self.understanding = Understanding(guide)
        # Besides a problem: start over, and on the answer screen «another problem».
        self._problem_controls = Matcher({RESTART: words(RESTART)})
        self._thanks = Matcher({THANKS: words(THANKS)})
        self._answer_controls = Matcher({OTHER: words(OTHER), RESTART: words(RESTART)})

    # ---- screens -------------------------------------------------------------------------

    def choices(self, session: Session) -> tuple[str, ...]:
        """The buttons of the step ``session`` is at, in order."""
        if session.step is Step.PROBLEM:
            if candidates := session.answers.get(CANDIDATES):
                return (*(PROBLEM_PREFIX + c for c in candidates.split(",")), OTHER)
            return self._problem_choices
        answers = session.answers
        if session.step is Step.DEADLINE_SET:
            end = date.fromisoformat(answers[DEADLINE_END])
            if answers.get(DEADLINE_KIND) == CONFIRMED_ON and end < buyer_date(session.updated_at):
                return (COMPLAINT, SOURCES, RESTART)  # the dispute's last day has passed
            # Reminders only while one can still come; Back to the advice it came from.
            remind = (REMIND,) if reminder_times(end, session.updated_at) else ()
            back = (BACK,) if BACK_TO in answers else ()
            return (*remind, *back, SOURCES, RESTART)
        if session.step is Step.DISPUTE:
            # The last day known: reminders straight away; else a button to work it out.
            if DEADLINE_END in answers:
                end = date.fromisoformat(answers[DEADLINE_END])
                dates_ = (REMIND,) if reminder_times(end, session.updated_at) else ()
            else:
                dates_ = (DEADLINE,)
            return (*dates_, TEXT, COMPLAINT, SOURCES, RESTART)
        return _QUESTION_CHOICES.get(session.step, ())

    def screen(self, session: Session, notice: Notice | None = None) -> Screen:
        """The screen that shows ``session`` where it is."""
        kind = {
            Step.START: ScreenKind.GREETING,
            Step.DISPUTE: ScreenKind.DISPUTE,
            Step.PROBLEM: ScreenKind.PROBLEM,
            Step.ANSWER: ScreenKind.ANSWER,
            Step.CANCELLED: ScreenKind.CANCELLED,
            Step.DEADLINE: ScreenKind.DEADLINE,
            Step.DEADLINE_SET: ScreenKind.DEADLINE_SET,
            Step.REMINDED: ScreenKind.REMINDED,
            Step.TEXT: ScreenKind.TEXT,
            Step.UNPAID: ScreenKind.UNPAID,
            Step.SOURCES: ScreenKind.SOURCES,
        }.get(session.step, ScreenKind.QUESTION)
        return Screen(kind, session.step, self.choices(session), notice)

    # ---- events --------------------------------------------------------------------------

    def greet(self, session: Session | None, ctx: Context) -> Transition:
        """``/start``: the greeting with a button that starts the conversation."""
        if replayed := self._replayed(session, ctx):
            return replayed
        return self._move(session, ctx, Step.START, answers={}, fresh=True)

    def begin(self, session: Session | None, ctx: Context) -> Transition:
        """``/complaint``, ``/start complaint`` or the greeting's button: a new conversation."""
        if replayed := self._replayed(session, ctx):
            return replayed
        return self._move(session, ctx, Step.CONFIRMED, answers={}, fresh=True)

    def cancel(self, session: Session | None, ctx: Context) -> Transition:
        """``/cancel``: end the conversation politely."""
        if session is None or not session.active:
            return Transition(Screen(ScreenKind.NOTHING_TO_CANCEL))
        if replayed := self._replayed(session, ctx):
            return replayed
        return self._move(session, ctx, Step.CANCELLED)

    def help(self) -> Transition:
        return Transition(Screen(ScreenKind.HELP))

    def sources(self, session: Session | None, topic: str = "") -> Transition:
        """``/sources``: the sources behind the advice on screen (the main ones outside
        one); with ``topic`` (an inline card's problem, or START_CARD), the sources of that
        card. A message of its own: the conversation stays where it is."""
        if topic == START_CARD or self.guide.has_problem(topic):
            return Transition(Screen(ScreenKind.SOURCES, topic=topic))
        step = session.step if session is not None and session.active else None
        return Transition(Screen(ScreenKind.SOURCES, step))

    def hint(self, session: Session | None) -> Transition:
        """Something the bot cannot read (a sticker, a photo, an unknown command)."""
        active = session is not None and session.active
        return Transition(Screen(ScreenKind.HINT, session.step if active and session else None))

    def forged(self) -> Transition:
        """Callback data this bot never produced: answered, and nothing changes."""
        return Transition(None, notice=Notice.INVALID)

    def not_yours(self) -> Transition:
        """A button of another person's conversation (in a group): an alert, no change."""
        return Transition(None, notice=Notice.NOT_YOURS)

    def language_menu(self, languages: Iterable[str]) -> Transition:
        """``/language``: a button per available language."""
        choices = tuple(LANGUAGE_PREFIX + lang for lang in sorted(languages))
        return Transition(Screen(ScreenKind.LANGUAGE, choices=choices))

    def reminders_menu(self) -> Transition:
        """``/reminders``: the pending reminders (the service fills in the list)."""
        return Transition(Screen(ScreenKind.REMINDERS))

    def forget_menu(self) -> Transition:
        """``/forget``: ask before deleting anything."""
        return Transition(Screen(ScreenKind.FORGET, choices=(FORGET_YES, FORGET_NO)))

    def menu_choice(self, choice: str, languages: Iterable[str]) -> Transition:
        """A button of a menu, pressed at any time."""
        if choice.startswith(LANGUAGE_PREFIX):
            language = choice.removeprefix(LANGUAGE_PREFIX)
            if language in set(languages):
                return Transition(
                    Screen(ScreenKind.LANGUAGE_SET), action=Action(SET_LANGUAGE, language)
                )
        reminder = choice.removeprefix(REMINDER_PREFIX)
        if (
            choice.startswith(REMINDER_PREFIX)
            and reminder.isdecimal()
            and int(reminder) <= MAX_REMINDER_ID
        ):
            return Transition(
                Screen(ScreenKind.REMINDERS), action=Action(CANCEL_REMINDER, reminder)
            )
        if choice == FORGET_YES:
            return Transition(Screen(ScreenKind.FORGOTTEN), action=Action(FORGET))
        if choice == FORGET_NO:
            return Transition(Screen(ScreenKind.FORGET_KEPT))
        return self.forged()

    def unknown_command(self) -> Transition:
        return Transition(Screen(ScreenKind.UNKNOWN_COMMAND))

    def press(self, session: Session | None, seq: int, choice: str, ctx: Context) -> Transition:
        """A press of a button drawn for screen ``seq`` on message ``ctx.message_id``."""
        message_id = ctx.message_id
        if session is None or not session.active or seq != session.seq:
            if session is not None and seq == session.seq - 1 and self._is_replay(session, ctx):
                return Transition(self.screen(session), replay=True)
            if session is not None and session.active and message_id == session.message_id:
                # The current message shows an older keyboard (the bot stopped between
                # storing a step and drawing it): draw the current screen there.
                return Transition(self.screen(session), notice=Notice.STALE, replay=True)
            return Transition(None, notice=Notice.STALE)
        if choice not in self.choices(session):
            return self.forged()
        return self._choose(session, choice, ctx)  # _move keeps the message it is on

    def say(self, session: Session | None, text: str, ctx: Context) -> Transition:
        """Typed text: matched against the choices of the current step.

        Outside a conversation, or on the greeting, a described problem starts the
        conversation and is remembered, so the problem question is skipped later.
        """
        if replayed := self._replayed(session, ctx):
            return replayed
        named = _LANGUAGE_NAMES.get(normalize(text))
        if named is not None:  # «English» typed after /language, or at any time
            return Transition(Screen(ScreenKind.LANGUAGE_SET), action=Action(SET_LANGUAGE, named))
        idle = session is None or not session.active
        asking = session is not None and session.step in _ASKS_ABOUT_THE_ORDER
        # What went wrong, if the text says: read once, for every use below.
        problem = self.understanding.read(text).problem if idle or asking else None
        if idle or asking:
            if problem == UNPAID_PROBLEM:  # no question applies to it
                return self._unpaid(session, ctx, fresh=idle)
            if problem and (idle or (session and session.step is Step.START)):
                hint = {HINT: problem}
                return self._move(session, ctx, Step.CONFIRMED, answers=hint, fresh=True)
        if idle or session is None:
            return self.greet(session, ctx)
        if session.step is Step.RECENT and (read := self._read_completion(session, text, ctx)):
            return read
        if session.step is Step.PROTECTION and (read := self._read_protection(session, text, ctx)):
            return read
        if session.step is Step.TEXT and (number := _ORDER_NUMBER.search(text.replace(" ", ""))):
            answers = {**session.answers, ORDER: number[0]}
            return self._move(session, ctx, Step.TEXT, answers=answers)
        if session.step is Step.DEADLINE:
            if self._answer_matchers[Step.DEADLINE].match(text) == RESTART:
                return self._choose(session, RESTART, ctx)
            return self._read_date(session, text, ctx)
        if session.step in (Step.PROBLEM, Step.ANSWER):
            return self._read_problem(session, text, ctx)
        choice = self._answer_matchers[session.step].match(text)
        # What went wrong, told at another question, is kept: the problem question is
        # skipped later («да, подтвердила, а пришёл не тот размер»).
        if problem is not None:
            session = replace(session, answers={**session.answers, HINT: problem})
        if choice is None:
            if problem is not None:  # only the problem: noted, and the question again
                return self._move(session, ctx, session.step, notice=Notice.NOTED)
            thanks = self._thanks.match(text) is not None
            return self._move(
                session, ctx, session.step, notice=Notice.THANKS if thanks else Notice.REASK
            )
        return self._choose(session, choice, ctx)

    def rank_problems(self, text: str) -> list[str]:
        """Problem ids that ``text`` describes, best first (for inline search)."""
        return self.understanding.rank(text)

    # ---- internals -----------------------------------------------------------------------

    def deadline(self, session: Session | None, ctx: Context) -> Transition:
        """``/deadline``: ask when buyer protection ends (or, after confirming receipt, when
        it was confirmed), then work out the dates that matter."""
        if replayed := self._replayed(session, ctx):
            return replayed
        completed = session is not None and session.active and completed_via(session.answers)
        return self._ask_date(session, ctx, CONFIRMED_ON if completed else PROTECTION)

    def _ask_date(self, session: Session | None, ctx: Context, kind: str) -> Transition:
        answers = dict(session.answers) if session is not None and session.active else {}
        answers[DEADLINE_KIND] = kind
        answers.pop(DEADLINE_END, None)
        answers.pop(BACK_TO, None)
        if session is not None and session.step is Step.DISPUTE:
            answers[BACK_TO] = session.step.value
        return self._move(session, ctx, Step.DEADLINE, answers=answers)

    def _read_date(self, session: Session, text: str, ctx: Context) -> Transition:
        today = buyer_date(ctx.now)
        answers = dict(session.answers)
        if answers.get(DEADLINE_KIND) == CONFIRMED_ON:
            reading = dates.parse_past(text, today)
            completed = reading.day
        else:
            reading = dates.parse_end(text, today)
            completed = reading.ended  # protection that ran out: the order completed then
            if reading.day is not None and completed is None:
                answers[DEADLINE_END] = reading.day.isoformat()
                return self._move(session, ctx, Step.DEADLINE_SET, answers=answers)
            if completed is not None:
                answers[COMPLETED_VIA] = COUNTDOWN
        if completed is None:
            return self._move(session, ctx, Step.DEADLINE, notice=Notice.DATE_REASK)
        answers = _completed(answers, completed)
        return self._move(session, ctx, Step.DEADLINE_SET, answers=answers)

    def _read_protection(self, session: Session, text: str, ctx: Context) -> Transition | None:
        """«Осталось 3 дня», «закончилась 5 дней назад», «30.11» at «Защита ещё действует?»:
        the day answers the question and the next one. ``None``: no day in the text."""
        reading = dates.parse_end(text, buyer_date(ctx.now))
        if reading.ended is not None:  # the countdown ran out then: the order completed
            answers = {**session.answers, "protection": NO, COMPLETED_VIA: COUNTDOWN}
            return self._completed_on(replace(session, answers=answers), reading.ended, ctx)
        if reading.day is not None:
            return self._protected_until(session, reading.day, ctx)
        return None

    def _protected_until(self, session: Session, day: date, ctx: Context) -> Transition:
        """Buyer protection runs until ``day``: the dispute now (the order has not completed)."""
        answers = {
            **_without(session.answers, COMPLETED_VIA),
            "protection": YES,
            DEADLINE_KIND: PROTECTION,
            DEADLINE_END: day.isoformat(),
        }
        return self._move(session, ctx, Step.DISPUTE, answers=answers)

    def _read_completion(self, session: Session, text: str, ctx: Context) -> Transition | None:
        """When the order completed, typed: a day («28.11», «5 дней назад», «10»), or a
        span compared with the 15 days («больше месяца», «меньше недели»). ``None``: no
        date or span in the text (words like «давно» are matched as answers)."""
        words = normalize(text).split()
        compared = [i for i, w in enumerate(words) if w in _LESS or w in _MORE]
        if compared:
            days = dates.span_days(text)
            if days is None:
                return None
            i = compared[0]
            negated = i > 0 and words[i - 1] == "не"  # «не больше недели»: at most a week
            less = (words[i] in _LESS) != negated
            limit = DISPUTE_AFTER_CONFIRM_DAYS
            if less and days <= limit + (0 if negated else 1):
                return self._choose(session, YES, ctx)
            if not less and days >= limit + (1 if negated else 0):
                return self._choose(session, NO, ctx)
            # «больше 10 дней»: 11 days is still in time, 20 is not. Ask for the day.
            return self._move(session, ctx, Step.RECENT, notice=Notice.DATE_REASK)
        today = buyer_date(ctx.now)
        reading = dates.parse_when(text, today)
        if reading.day is None:
            if reading.problem is dates.Problem.UNREAD:
                return None
            return self._move(session, ctx, Step.RECENT, notice=Notice.DATE_REASK)
        if reading.day <= today:
            return self._completed_on(session, reading.day, ctx)
        if completed_via(session.answers) == COUNTDOWN:
            # The day the countdown ends is still ahead: protection is running.
            return self._protected_until(session, reading.day, ctx)
        return self._move(session, ctx, Step.RECENT, notice=Notice.DATE_REASK)

    def _completed_on(self, session: Session, day: date, ctx: Context) -> Transition:
        """The order completed on ``day``: a dispute until 15 days after, then a complaint."""
        answers = _completed(session.answers, day)
        if answers[DEADLINE_END] >= buyer_date(ctx.now).isoformat():
            return self._move(session, ctx, Step.DISPUTE, answers=answers)
        return self._to_problem(session, ctx, answers, Route.LATE)

    def _unpaid(self, session: Session | None, ctx: Context, *, fresh: bool = False) -> Transition:
        """Money charged, the order unpaid: the payment advice, whatever was asked."""
        return self._move(
            session,
            ctx,
            Step.UNPAID,
            answers={} if fresh or session is None else session.answers,
            fresh=fresh,
            route=Route.UNPAID,
            problem=UNPAID_PROBLEM,
            box=self.guide.problem(UNPAID_PROBLEM).box.id,
            outcome_at=ctx.now,
        )

    def _read_problem(self, session: Session, text: str, ctx: Context) -> Transition:
        """What went wrong, typed: the main problem; when unsure, the likeliest ones as
        buttons; the question again only when nothing in the text points anywhere."""
        reading = self.understanding.read(text)
        if reading.problem is not None:
            return self._choose(session, PROBLEM_PREFIX + reading.problem, ctx)
        controls = self._answer_controls if session.step is Step.ANSWER else self._problem_controls
        if (choice := controls.match(text)) is not None:
            return self._choose(session, choice, ctx)
        if self._thanks.match(text) is not None:
            return self._move(session, ctx, session.step, notice=Notice.THANKS)
        if reading.candidates:
            answers = {**session.answers, CANDIDATES: ",".join(reading.candidates)}
            return self._move(session, ctx, Step.PROBLEM, answers=answers, notice=Notice.NARROWED)
        return self._move(session, ctx, session.step, notice=Notice.REASK)

    def _choose(self, session: Session, choice: str, ctx: Context) -> Transition:
        step, answers = session.step, session.answers
        if choice == RESTART:
            return self._move(session, ctx, Step.CONFIRMED, answers={}, fresh=True)
        if step is Step.START and choice == BEGIN:
            return self._move(session, ctx, Step.CONFIRMED, answers={}, fresh=True)
        if choice == UNPAID or choice == PROBLEM_PREFIX + UNPAID_PROBLEM:
            return self._unpaid(session, ctx)
        if choice == SOURCES:
            return self._move(session, ctx, Step.SOURCES, answers={**answers, SOURCES_FROM: step})
        if step is Step.SOURCES:  # the only other choice there is BACK
            return self._move(session, ctx, Step(answers.get(SOURCES_FROM, Step.CONFIRMED)))
        if step is Step.CONFIRMED:
            if choice == IDK:
                return self._move(session, ctx, Step.CONFIRMED, notice=Notice.STATUS_HELP)
            if choice == YES:
                answered = {**answers, "confirmed": YES, COMPLETED_VIA: CONFIRMED}
                return self._move(session, ctx, Step.RECENT, answers=answered)
            return self._move(session, ctx, Step.PROTECTION, answers={**answers, "confirmed": NO})
        if step is Step.PROTECTION:
            answered = {**answers, "protection": choice}
            if choice == YES:
                return self._move(session, ctx, Step.DISPUTE, answers=answered)
            if choice == NO:  # the countdown ran out: the order completed by itself
                answered[COMPLETED_VIA] = COUNTDOWN
                return self._move(session, ctx, Step.RECENT, answers=answered)
            return self._move(session, ctx, Step.PROTECTION, notice=Notice.COUNTDOWN_HELP)
        if step is Step.RECENT:
            if choice == IDK:
                return self._move(session, ctx, Step.RECENT, notice=Notice.DATE_HELP)
            answered = {**answers, "recent": choice}
            if choice == YES:
                return self._move(session, ctx, Step.DISPUTE, answers=answered)
            return self._to_problem(session, ctx, answered, Route.LATE)
        if choice == TEXT and step in (Step.ANSWER, Step.DISPUTE):
            purpose = "complaint" if step is Step.ANSWER else "dispute"
            answers = {**answers, TEXT_FOR: purpose, TEXT_FROM: step.value}
            return self._move(session, ctx, Step.TEXT, answers=answers)
        if step is Step.TEXT and choice == BACK:
            return self._move(session, ctx, Step(answers.get(TEXT_FROM, Step.ANSWER.value)))
        if step is Step.DEADLINE_SET and choice == COMPLAINT:  # the 15 days are over
            return self._to_problem(session, ctx, answers, Route.LATE)
        if step is Step.DEADLINE_SET and choice == BACK:
            return self._move(session, ctx, Step(answers[BACK_TO]))
        if step in (Step.DEADLINE_SET, Step.DISPUTE) and choice == REMIND:
            moved = self._move(session, ctx, Step.REMINDED)
            return replace(moved, action=Action(ADD_REMINDERS))
        if step is Step.DISPUTE and choice == DEADLINE:
            kind = CONFIRMED_ON if completed_via(answers) else PROTECTION
            return self._ask_date(session, ctx, kind)
        if step is Step.DISPUTE:  # the only other choice there is COMPLAINT
            route = Route.PLAN_B if completed_via(answers) else Route.ANYWAY
            return self._to_problem(session, ctx, answers, route)
        if choice == OTHER:  # on the answer screen, or past the likeliest problems: all of them
            return self._move(session, ctx, Step.PROBLEM, answers=_without(answers, CANDIDATES))
        problem = self.guide.problem(choice.removeprefix(PROBLEM_PREFIX))
        assert session.route is not None, "the problem step is reached with a route"
        return self._move(
            session,
            ctx,
            Step.ANSWER,
            answers={**_without(answers, CANDIDATES), "problem": problem.id},
            problem=problem.id,
            box=problem.box.id,
            outcome_at=ctx.now,  # the storage records the outcome when it sees this
        )

    def _to_problem(
        self, session: Session, ctx: Context, answers: Mapping[str, str], route: Route
    ) -> Transition:
        """Ask what went wrong, unless the buyer said so in their first message."""
        hinted = answers.get(HINT)
        if hinted and self.guide.has_problem(hinted):
            routed = replace(session, route=route, answers=answers)
            return self._choose(replace(routed, step=Step.PROBLEM), PROBLEM_PREFIX + hinted, ctx)
        return self._move(session, ctx, Step.PROBLEM, answers=answers, route=route)

    def _move(
        self,
        session: Session | None,
        ctx: Context,
        step: Step,
        *,
        answers: Mapping[str, str] | None = None,
        fresh: bool = False,
        notice: Notice | None = None,
        **changes: object,
    ) -> Transition:
        """Move ``session`` to ``step`` (``fresh``: as a new conversation).

        After a press the new screen is drawn over the pressed message, which therefore
        shows the session's keyboard from now on.
        """
        if session is None:
            session = Session(
                chat_id=ctx.chat_id,
                user_id=ctx.user_id,
                step=step,
                language=ctx.language,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        if fresh:
            changes = {
                "route": None,
                "problem": None,
                "box": None,
                "outcome_at": None,
                "created_at": ctx.now,
                **changes,
            }
        if ctx.message_id is not None:
            changes = {"message_id": ctx.message_id, **changes}
        new = replace(
            session,
            step=step,
            seq=session.seq + 1,
            answers=dict(session.answers if answers is None else answers),
            updated_at=ctx.now,
            last_update_id=ctx.update_id if ctx.update_id is not None else session.last_update_id,
            **changes,  # type: ignore[arg-type]
        )
        return Transition(self.screen(new, notice), session=new)

    @staticmethod
    def _is_replay(session: Session, ctx: Context) -> bool:
        """Whether ``ctx``'s update was applied to ``session`` already.

        Telegram redelivers an update the bot did not confirm, for up to 24 hours; after a
        week without updates it may restart its update ids from a lower number. So only a
        recent session can have seen an update with a lower or equal id.
        """
        return (
            ctx.update_id is not None
            and session.last_update_id is not None
            and ctx.update_id <= session.last_update_id
            and ctx.now - session.updated_at < REDELIVERY_WINDOW_S
        )

    def _replayed(self, session: Session | None, ctx: Context) -> Transition | None:
        """An update already applied (redelivered after a crash): show where we are."""
        if session is not None and self._is_replay(session, ctx):
            return Transition(self.screen(session), replay=True)
        return None
