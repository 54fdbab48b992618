"""Screens → Telegram HTML text and a keyboard, in the session's language.

Pure: no ``telegram`` import. The transport turns :class:`View` into a message, the console
into plain text with numbered choices.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from babel import Locale
from babel.dates import format_date, get_date_format

from bot import callbacks
from bot.dates import buyer_date
from bot.flow import (
    ANSWER_STEPS,
    BACK,
    BEGIN,
    COMPLAINT,
    COMPLETED_ON,
    CONFIRMED_ON,
    COUNTDOWN,
    DEADLINE,
    DEADLINE_END,
    DEADLINE_KIND,
    FORGET_NO,
    FORGET_YES,
    HINT,
    IDK,
    LANGUAGE_PREFIX,
    MENU_SEQ,
    MENUS,
    NO,
    ORDER,
    OTHER,
    PROBLEM_PREFIX,
    PROTECTION,
    REMIND,
    REMINDER_PREFIX,
    RESTART,
    SOURCES,
    SOURCES_FROM,
    START_CARD,
    TEXT,
    TEXT_FOR,
    UNPAID,
    UNPAID_PROBLEM,
    YES,
    Notice,
    Route,
    Screen,
    ScreenKind,
    Session,
    Step,
    completed_via,
    reminder_times,
)
from bot.guide import BOX_CONTEXT, GUIDE_CONTEXT, READY_TEXT_CONTEXT, SEED, Guide, Source, Statement
from bot.i18n import Html, Translator, escape
from bot.storage import Reminder, Stats


@dataclass(frozen=True, slots=True)
class Button:
    """A callback button (``data``) or a link (``url``)."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    text: Html
    keyboard: tuple[tuple[Button, ...], ...] = ()


def _lines(*parts: str | None) -> Html:
    """Join lines; ``None`` parts are left out, ``""`` gives an empty line."""
    return Html("\n".join(p for p in parts if p is not None))


def _numbered(items: list[Html]) -> Html:
    return Html("\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)))


def _bullets(items: list[Html]) -> Html:
    return Html("\n".join(f"• {item}" for item in items))


def _folded(now: Html, later: Html, tr: Translator) -> Html:
    """``now`` as the message shows it; ``later`` in a quotation a tap unfolds (Telegram's
    ``<blockquote expandable>``), so a phone shows what to do first."""
    more = tr.pgettext("answer", "More (tap to unfold):")
    return Html(f"{now}\n\n<i>{more}</i>\n<blockquote expandable>{later}</blockquote>")


#: Screens whose text depends on more than the key of Renderer._texts (the day, a typed
#: order number): built every time, never kept.
_PERSONAL = frozenset(
    {ScreenKind.DEADLINE_SET, ScreenKind.REMINDED, ScreenKind.TEXT, ScreenKind.SOURCES}
)


#: The aliexpress.com page (data/guide.toml [[links]]) offered first on an advice screen.
_LINKS = {
    ScreenKind.DISPUTE: "orders",
    ScreenKind.UNPAID: "orders",
    ScreenKind.ANSWER: "help",
}

#: Screens that name the day a dispute ends when the session knows it.
_DATED = frozenset({ScreenKind.DISPUTE, ScreenKind.PROBLEM})

#: The advice screens, for the sources behind each.
_STEP_SCREENS = {
    Step.DISPUTE: ScreenKind.DISPUTE,
    Step.ANSWER: ScreenKind.ANSWER,
    Step.UNPAID: ScreenKind.UNPAID,
    Step.DEADLINE_SET: ScreenKind.DEADLINE_SET,
}

#: The sources screen lists this many sources of each statement on screen (its first ones).
CITED_PER_STATEMENT = 2

#: /reminders shows at most this many (the soonest).
MAX_LISTED_REMINDERS = 20


class Renderer:
    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        # Texts and labels depend on a handful of facts, not on who asks: each is built once
        # per language (a few hundred in all) and reused, which keeps a step cheap.
        self._texts: dict[tuple[object, ...], Html] = {}
        self._labels: dict[tuple[object, ...], str] = {}

    # ---- public --------------------------------------------------------------------------

    def view(
        self,
        screen: Screen,
        session: Session | None,
        tr: Translator,
        *,
        private_link: str | None = None,
        owner: int | None = None,
    ) -> View:
        """The text and keyboard of ``screen`` for ``session`` (``None`` outside a conversation).

        ``private_link``: in a group, a deep link that continues the conversation in a
        private chat with the bot, offered as a last button.
        """
        answers = session.answers if session else {}
        confirmed = answers.get("confirmed")
        route = session.route if session else None
        problem = session.problem if session else None
        group = private_link is not None
        deadline_kind = answers.get(DEADLINE_KIND)
        via = completed_via(answers)
        key = (screen, confirmed, route, problem, deadline_kind, via, group, tr.language)
        # A screen that names the day a dispute ends depends on that day (and on today):
        # made every time, never kept, like DEADLINE_SET.
        dated = screen.kind in _DATED and DEADLINE_END in answers
        text = None if dated else self._texts.get(key)
        if text is None:
            text = self._screen_text(screen, session, tr, group)
            if screen.kind not in _PERSONAL and not dated:
                self._texts[key] = text
        keyboard: tuple[tuple[Button, ...], ...] = ()
        owner = session.user_id if session is not None else owner
        if screen.kind in MENUS:
            seq = MENU_SEQ
        elif session is not None:
            seq = session.seq
        else:
            owner = None  # conversation buttons need a conversation
        if owner is not None and screen.choices:
            keyboard = tuple(
                (
                    Button(
                        self._label(screen.step, c, via is not None, tr),
                        callbacks.encode(owner, seq, c),
                    ),
                )
                for c in screen.choices
            )
            if screen.step is Step.CONFIRMED:  # «Да» | «Нет» on one row, the rest below
                keyboard = ((keyboard[0][0], keyboard[1][0]), *keyboard[2:])
        link = _LINKS.get(screen.kind)
        if keyboard and link is not None:  # the page the advice sends the person to
            page = self.guide.links[link]
            keyboard = ((Button(tr.raw(GUIDE_CONTEXT, page.label), url=page.url),), *keyboard)
        if keyboard and private_link:
            label = tr.pgettext_plain("button", "Continue in a private chat")
            keyboard = (*keyboard, (Button(label, url=private_link),))
        return View(text, keyboard)

    def _screen_text(
        self, screen: Screen, session: Session | None, tr: Translator, group: bool
    ) -> Html:
        long_advice = (ScreenKind.DISPUTE, ScreenKind.ANSWER, ScreenKind.UNPAID)
        if screen.notice in (Notice.REASK, Notice.THANKS) and screen.kind in long_advice:
            # These screens are long and already above: re-ask in one line, with the buttons.
            return self.notice(screen.notice, tr)
        text = self._text(screen, session, tr, group)
        if screen.notice is Notice.REASK and screen.kind is ScreenKind.PROBLEM:
            # Say what kind of answer helps: a few words about what is wrong.
            reask = tr.pgettext(
                "notice",
                "Sorry, I could not tell what went wrong. Please describe it in a few words, "
                "for example «посылка не пришла», «не тот размер» or «подделка», or choose "
                "below.",
            )
            return Html(f"{reask}\n\n{text}")
        if screen.notice in (
            Notice.NARROWED,
            Notice.THANKS,
            Notice.REASK,
            Notice.COUNTDOWN_HELP,
            Notice.STATUS_HELP,
            Notice.DATE_HELP,
            Notice.DATE_REASK,
        ):
            text = Html(f"{self.notice(screen.notice, tr)}\n\n{text}")
        return text

    def notice(self, notice: Notice, tr: Translator) -> Html:
        """A one-line notice; STALE and INVALID also answer button presses (≤ 200 chars)."""
        if notice is Notice.REASK:
            return tr.pgettext(
                "notice",
                "Sorry, I could not understand the answer. "
                "Please tap a button below or answer in a couple of words.",
            )
        if notice is Notice.THANKS:
            return tr.pgettext(
                "notice",
                "You are welcome! If you need anything else, tap a button below or send "
                "/complaint.",
            )
        if notice is Notice.NARROWED:
            return tr.pgettext(
                "notice",
                "It looks like one of these. Please choose it, or «Something else» for the "
                "whole list.",
            )
        if notice is Notice.COUNTDOWN_HELP:
            return self._where(tr, "countdown")
        if notice is Notice.STATUS_HELP:
            return self._where(tr, "where_status")
        if notice is Notice.DATE_HELP:
            return _lines(
                self._where(tr, "button_after_completion"),
                tr.pgettext(
                    "notice",
                    "If the button is there, choose «15 days ago or less»; if not, «More than "
                    "15 days ago».",
                ),
            )
        if notice is Notice.DATE_REASK:
            return tr.pgettext(
                "notice",
                "I could not read a date there. Please type it like 25.12.2026 or 25 December, "
                "or a number of days, like 12.",
            )
        if notice is Notice.STALE:
            return tr.pgettext(
                "notice",
                "This button is out of date. Please continue in the latest message "
                "or send /complaint.",
            )
        if notice is Notice.NOT_YOURS:
            return tr.pgettext(
                "notice",
                "These buttons belong to someone else's conversation. "
                "To start your own, send /complaint.",
            )
        return tr.pgettext("notice", "This button does not work. Send /complaint to start again.")

    def error(self, tr: Translator) -> Html:
        return tr.pgettext(
            "error",
            "Sorry, something went wrong on my side. Please try again, "
            "or send /complaint to start over.",
        )

    def _where(self, tr: Translator, fact: str) -> Html:
        """A hint on where to look on the order page, from a sourced statement."""
        return tr.pgettext(
            "notice", "<b>Where to look:</b> %(hint)s", hint=self._say(tr, self.guide.fact(fact))
        )

    def inline_answer(self, problem_id: str, tr: Translator) -> Html:
        """The full answer for one problem, for an inline card (nothing known of the order)."""
        if problem_id == UNPAID_PROBLEM:
            return self._unpaid(tr)
        problem = self.guide.problem(problem_id)
        session = Session(
            chat_id=0,
            user_id=0,
            step=Step.ANSWER,
            language=tr.language,
            created_at=0.0,
            updated_at=0.0,
            problem=problem.id,
            box=problem.box.id,
        )
        return self._answer(session, tr)

    def console_banner(self, tr: Translator) -> str:
        return tr.pgettext_plain(
            "console",
            "Console mode: type a number to press a button, or answer in words. "
            "/complaint starts over, /quit exits.",
        )

    def sources_button(self, tr: Translator) -> str:
        """The label of a button that shows the sources of an answer."""
        return self._label(None, SOURCES, False, tr)

    def inline_button(self, tr: Translator) -> str:
        """The button under a posted inline answer, opening the private conversation."""
        return tr.pgettext_plain("button", "Step by step in a private chat")

    def inline_title(self, problem_id: str, tr: Translator) -> str:
        return tr.raw(GUIDE_CONTEXT, self.guide.problem(problem_id).title)

    def inline_description(self, problem_id: str, tr: Translator) -> str:
        box = self.guide.problem(problem_id).box
        label = tr.raw(BOX_CONTEXT, box.form_label)
        if label == box.form_label:
            return tr.pgettext_plain("inline", "Tick: %(label)s", label=label)
        return tr.pgettext_plain(
            "inline", "Tick: %(label)s (%(form_label)s)", label=label, form_label=box.form_label
        )

    def where_to_start(self, tr: Translator) -> tuple[str, str, Html]:
        """The "where to start" card: (title, description, text)."""
        title = tr.pgettext_plain("inline", "Where to start: a dispute or a complaint?")
        description = tr.pgettext_plain(
            "inline", "A dispute returns money; a complaint is for when the deal is closed."
        )
        fact = self.guide.fact
        text = _lines(
            tr.pgettext("inline", "<b>Where to start: a dispute or a complaint?</b>"),
            "",
            f"• {self._say(tr, fact('seed_dispute'))}",
            f"• {self._now(tr, fact('dispute_window'))}",
            f"• {self._say(tr, fact('seed_complaint'))}",
            f"• {self._now(tr, fact('complaint_no_money'))}",
            "",
            tr.pgettext("inline", "Step by step, for your order: in a private chat with the bot."),
        )
        return title, description, text

    def group_intro(self, tr: Translator, bot_username: str) -> Html:
        """What the bot says once when it is added to a group."""
        return _lines(
            tr.pgettext(
                "group",
                "Hello! I help AliExpress buyers complain about a seller.",
            ),
            tr.pgettext(
                "group",
                "Anyone here can send /complaint@%(bot)s to go through it step by step; "
                "in any chat you can also type @%(bot)s and a few words, "
                "for example: @%(bot)s не пришла посылка",
                bot=bot_username,
            ),
        )

    def commands(self, tr: Translator, *, group: bool = False) -> list[tuple[str, str]]:
        """The command menu: (command, description); groups get no /start."""
        commands = [
            ("complaint", tr.pgettext("command", "Complain about a seller")),
            ("start", tr.pgettext("command", "What this bot does")),
            ("help", tr.pgettext("command", "Help and commands")),
            ("cancel", tr.pgettext("command", "Stop the conversation")),
            ("deadline", tr.pgettext("command", "Work out the dispute deadlines")),
            ("sources", tr.pgettext("command", "Where the advice comes from")),
            ("reminders", tr.pgettext("command", "Your reminders")),
            ("language", tr.pgettext("command", "Language of the bot")),
            ("forget", tr.pgettext("command", "Delete what the bot keeps about you")),
        ]
        return [c for c in commands if not (group and c[0] == "start")]

    # ---- screens -------------------------------------------------------------------------

    def _text(self, screen: Screen, session: Session | None, tr: Translator, group: bool) -> Html:
        kind = screen.kind
        if kind is ScreenKind.GREETING:
            return _lines(
                tr.pgettext("greeting", "Hello! I help AliExpress buyers complain about a seller."),
                tr.pgettext(
                    "greeting",
                    "I will ask what happened and show where to click, which box to tick "
                    "and whom to write to. It takes less than a minute.",
                ),
            )
        if kind is ScreenKind.HELP:
            return self._help(tr)
        if kind is ScreenKind.HINT:
            if screen.step is None:
                return tr.pgettext(
                    "hint", "I understand only text and buttons. To start, send /complaint."
                )
            return tr.pgettext(
                "hint", "I understand only text and buttons: please answer the question above."
            )
        if kind is ScreenKind.UNKNOWN_COMMAND:
            return tr.pgettext("hint", "I do not know this command. Try /complaint or /help.")
        if kind is ScreenKind.DEADLINE:
            return self._deadline_question(session, tr)
        if kind is ScreenKind.DEADLINE_SET:
            return self._deadline(session, tr)
        if kind is ScreenKind.REMINDED:
            return self._reminded(session, tr)
        if kind is ScreenKind.TEXT:
            return self._ready_text(session, tr)
        if kind is ScreenKind.UNPAID:
            return self._unpaid(tr)
        if kind is ScreenKind.SOURCES:
            return self._sources(screen, session, tr, group)
        if kind is ScreenKind.LANGUAGE:
            return tr.pgettext("language", "Choose the language of the bot:")
        if kind is ScreenKind.LANGUAGE_SET:
            return tr.pgettext(
                "language", "Done: I will answer in English. To start, send /complaint."
            )
        if kind is ScreenKind.FORGET:
            return tr.pgettext(
                "forget",
                "Delete everything I keep about you: your conversations, reminders and language "
                "choice? This cannot be undone.",
            )
        if kind is ScreenKind.FORGOTTEN:
            return tr.pgettext("forget", "Done: everything I kept about you is deleted.")
        if kind is ScreenKind.FORGET_KEPT:
            return tr.pgettext("forget", "OK, nothing is deleted.")
        if kind is ScreenKind.CANCELLED:
            return tr.pgettext("cancel", "OK, I have stopped. To start again, send /complaint.")
        if kind is ScreenKind.NOTHING_TO_CANCEL:
            return tr.pgettext("cancel", "There is nothing to cancel. To start, send /complaint.")
        assert session is not None, f"{kind} is drawn for a session"
        if kind is ScreenKind.DISPUTE:
            return self._dispute(session, tr)
        if kind is ScreenKind.PROBLEM:
            return self._problem_question(session, tr, group)
        if kind is ScreenKind.ANSWER:
            return self._answer(session, tr)
        return self._question(session, tr, group)

    def _help(self, tr: Translator) -> Html:
        return _lines(
            tr.pgettext(
                "help",
                "I help AliExpress buyers complain about a seller: I ask what happened and show "
                "whether to open a dispute or submit a complaint, which box to tick and whom "
                "to write to.",
            ),
            "",
            tr.pgettext("help", "/complaint: start"),
            tr.pgettext("help", "/start: what this bot does"),
            tr.pgettext("help", "/cancel: stop the conversation"),
            tr.pgettext("help", "/deadline: work out the dispute deadlines"),
            tr.pgettext("help", "/sources: where the advice on screen comes from"),
            tr.pgettext("help", "/reminders: your reminders"),
            tr.pgettext("help", "/language: the language of the bot"),
            tr.pgettext("help", "/forget: delete everything I keep about you"),
            tr.pgettext("help", "/help: this message"),
            "",
            tr.pgettext(
                "help",
                "I keep your answers, reminders and language choice only so that a "
                "conversation can continue after a break; /forget deletes them.",
            ),
        )

    def _question(self, session: Session, tr: Translator, group: bool) -> Html:
        step = session.step
        if step is Step.CONFIRMED:
            return _lines(
                tr.pgettext("question", "<b>Have you confirmed receipt of the order?</b>"),
                tr.pgettext("question", "Even if you pressed it by accident, answer Yes."),
            )
        if step is Step.PROTECTION:
            return _lines(
                tr.pgettext("question", "<b>Is buyer protection still running for this order?</b>"),
                tr.pgettext(
                    "question", "The countdown is on the order page. If it has run out, answer No."
                ),
            )
        if completed_via(session.answers) == COUNTDOWN:
            when = tr.pgettext("question", "<b>When did buyer protection end?</b>")
        else:
            when = tr.pgettext("question", "<b>When did you confirm receipt?</b>")
        return _lines(
            when,
            self._now(tr, self.guide.fact("dispute_window")),
            "",
            # In a group the bot does not read typed text (privacy mode): buttons only.
            tr.pgettext("question", "Choose below.")
            if group
            else tr.pgettext(
                "question",
                "Type the date, for example 28.11, or how long ago, for example 5 days ago; "
                "or choose below.",
            ),
        )

    def _dispute(self, session: Session, tr: Translator) -> Html:
        g = self.guide
        answers = session.answers
        end = answers.get(DEADLINE_END)
        last = date.fromisoformat(end) if end is not None else None
        left = (last - buyer_date(session.updated_at)).days if last is not None else 0
        if completed_via(answers):
            if last is not None and left < 0:  # back on this screen after the last day
                until = tr.pgettext(
                    "problem",
                    "The last day for a dispute was %(date)s, so what remains is a complaint "
                    "to AliExpress.",
                    date=self._day(last, tr),
                )
            elif last is not None:
                until = tr.pgettext(
                    "dispute",
                    "<b>A dispute is still possible until %(date)s</b> (%(left)s).",
                    date=self._day(last, tr),
                    left=self._days_left(left, tr),
                )
            else:
                until = tr.pgettext("dispute", "<b>A dispute is still possible.</b>")
            head = _lines(
                until,
                # With the day written out, why that day is one tap away (below).
                self._now(tr, g.fact("dispute_window")) if last is None else None,
                tr.pgettext(
                    "dispute",
                    "Only a dispute returns money, so start with it; a complaint is plan B.",
                ),
                self._now(tr, g.fact("button_after_completion")),
            )
        else:
            ends = None
            if last is not None and answers.get(DEADLINE_KIND) == PROTECTION and left >= 0:
                ends = tr.pgettext(
                    "deadline",
                    "<b>Buyer protection ends on %(date)s</b> (%(left)s).",
                    date=self._day(last, tr),
                    left=self._days_left(left, tr),
                )
            head = _lines(
                tr.pgettext("dispute", "<b>Open a dispute: a complaint is not needed yet.</b>"),
                ends,
                self._say(tr, g.fact("seed_dispute")),
                self._now(tr, g.fact("open_early")),
            )
        good_to_know: tuple[str, ...] = ("return_item", "reopen")
        if last is not None:  # the day is written out above; why it is that day, here
            good_to_know = ("dispute_window", *good_to_know)
        now = _lines(
            head,
            "",
            tr.pgettext("dispute", "<b>How to open a dispute:</b>"),
            _numbered([self._say(tr, s) for s in g.dispute_steps]),
        )
        later = _lines(
            tr.pgettext("dispute", "<b>What to gather:</b>"),
            _bullets([self._say(tr, s) for s in g.dispute_evidence]),
            "",
            tr.pgettext("dispute", "<b>What happens next:</b>"),
            _bullets([self._now(tr, g.fact(name)) for name in ("seller_answers", "refund_time")]),
            "",
            tr.pgettext("dispute", "<b>Good to know:</b>"),
            _bullets(
                [self._now(tr, g.fact(name)) for name in good_to_know]
                + [self._say(tr, s) for s in g.dispute_warnings]
                + [self._now(tr, g.fact(name)) for name in ("pay_outside", "aliexpress_ru")]
            ),
        )
        return _folded(now, later, tr)

    def _unpaid(self, tr: Translator) -> Html:
        """Money charged, the order unpaid: the payment check, not a dispute or a complaint."""
        g = self.guide
        box = g.box("payment")
        now = _lines(
            tr.pgettext("unpaid", "<b>The money was taken, but the order shows as unpaid</b>"),
            "",
            _bullets(
                [
                    self._now(tr, g.fact("payment_check")),
                    self._now(tr, g.fact("pay_once")),
                    self._now(tr, g.fact("payment_still")),
                ]
            ),
        )
        later = _lines(
            self._now(tr, g.fact("refund_time")),
            "",
            tr.pgettext(
                "unpaid",
                "The guide names the complaint box <b>%(label)s</b> (%(form_label)s) for this "
                "case.",
                label=tr.raw(BOX_CONTEXT, box.form_label),
                form_label=box.form_label,
            ),
            self._now(tr, g.fact("payment_box_seller")),
        )
        return _folded(now, later, tr)

    def _sources(
        self, screen: Screen, session: Session | None, tr: Translator, group: bool
    ) -> Html:
        """The sources behind the advice the person is looking at (or the inline card
        ``screen.topic``); the guide and the official pages otherwise."""
        origin = session.step if session is not None and session.active else None
        if origin is Step.SOURCES and session is not None:
            origin = Step(session.answers.get(SOURCES_FROM, Step.CONFIRMED))
        if screen.topic is not None:
            if screen.topic == START_CARD:
                title, _, card = self.where_to_start(tr)
            else:
                title, card = (
                    self.inline_title(screen.topic, tr),
                    self.inline_answer(screen.topic, tr),
                )
            cited = self.sources_on(card, tr)
            head = tr.pgettext("sources", "<b>Sources of the answer «%(title)s»:</b>", title=title)
        elif session is not None and origin in ANSWER_STEPS:
            shown = replace(session, step=origin)
            flow_screen = Screen(_STEP_SCREENS[origin], origin)
            text = self._text(flow_screen, shown, tr, group)
            cited = self.sources_on(text, tr)
            head = tr.pgettext("sources", "<b>Where the advice above comes from:</b>")
        else:  # no advice on screen: the guide and the official pages, and how to see more
            everything = self.guide.sources.values()
            cited = [s for s in everything if s.id == SEED or s.official]
            head = _lines(
                tr.pgettext("sources", "<b>Where the bot's advice comes from:</b>"),
                tr.npgettext(
                    "sources",
                    "%(n)s source in all. Each answer has a Sources button that lists the "
                    "ones behind it; here are the guide and AliExpress's own pages:",
                    "%(n)s sources in all. Each answer has a Sources button that lists the "
                    "ones behind it; here are the guide and AliExpress's own pages:",
                    len(everything),
                ),
            )
        lines: list[str] = [head]
        for source in cited:
            title = escape(source.title)
            mark = tr.pgettext("sources", " (official)") if source.official else ""
            if source.id == SEED:
                mark = tr.pgettext("sources", " (the guide the bot started from)")
            lines.append(f'• <a href="{html.escape(source.url)}">{title}</a>{mark}')
        checked = max(date.fromisoformat(s.checked) for s in cited)
        lines += [
            "",
            tr.pgettext(
                "sources",
                "All were checked on %(date)s; most are consumer sites or copies of AliExpress "
                "help pages, and what only one of them says is marked as such.",
                date=self._day(checked, tr),
            ),
        ]
        return _lines(*lines)

    def sources_on(self, text: str, tr: Translator) -> list[Source]:
        """The sources of every guide statement that ``text`` shows, in the guide's order.

        A statement's first sources are its best ones: at most ``CITED_PER_STATEMENT`` of
        each are listed, so that the list stays one short message.
        """
        ids: dict[str, None] = {}
        for statement in self.guide.statements():
            if self._say(tr, statement) in text:
                ids.update(dict.fromkeys(statement.sources[:CITED_PER_STATEMENT]))
        return [self.guide.sources[i] for i in self.guide.sources if i in ids]

    def _problem_question(self, session: Session, tr: Translator, group: bool) -> Html:
        late = tr.pgettext(
            "problem",
            "More than 15 days have passed since the order was completed, so a dispute is "
            "no longer possible: what remains is a complaint to AliExpress.",
        )
        end = session.answers.get(DEADLINE_END)
        if end is not None:
            late = tr.pgettext(
                "problem",
                "The last day for a dispute was %(date)s, so what remains is a complaint "
                "to AliExpress.",
                date=self._day(date.fromisoformat(end), tr),
            )
        intro = {
            # Stored by earlier versions: the order completed, and the 15 days are unknown.
            Route.DEAL_CLOSED: self._now(tr, self.guide.fact("dispute_window")),
            Route.LATE: late,
            Route.PLAN_B: tr.pgettext(
                "problem", "Here is how to complain, in case the dispute does not help."
            ),
            Route.ANYWAY: tr.pgettext(
                "problem",
                "To get money back, a dispute is still better. Here is how to complain, "
                "as you asked.",
            ),
        }
        return _lines(
            intro.get(session.route) if session.route else None,
            "",
            tr.pgettext("problem", "<b>What went wrong?</b>"),
            # In a group the bot does not read typed text (privacy mode): buttons only.
            tr.pgettext(
                "problem",
                "Choose the closest option. Another violation is, for example, a seller "
                "asking you to pay outside AliExpress.",
            )
            if group
            else tr.pgettext(
                "problem",
                "Choose the closest option or describe it in your own words. "
                "Another violation is, for example, a seller asking you to pay outside "
                "AliExpress.",
            ),
        )

    @staticmethod
    def _say(tr: Translator, statement: Statement) -> Html:
        """A statement of the guide, in ``tr``'s language."""
        return escape(tr.raw(GUIDE_CONTEXT, statement.text))

    @classmethod
    def _now(cls, tr: Translator, *statements: Statement) -> Html:
        """Statements about what has changed since the seed, flagged as today's."""
        note = Html(" ".join(cls._say(tr, s) for s in statements))
        return tr.pgettext("answer", "<i>Now:</i> %(note)s", note=note)

    @staticmethod
    def _range(start: date, stop: date, tr: Translator) -> Html:
        """«с 18 по 20 декабря»: where a date is written day first, the month and year are
        said once when both days share them."""
        day_first = get_date_format("long", locale=tr.language).pattern.startswith("d")
        if day_first and (start.year, start.month) == (stop.year, stop.month):
            first = format_date(start, format="d", locale=tr.language)
        elif day_first and start.year == stop.year:
            first = format_date(start, format="d MMMM", locale=tr.language)
        else:
            first = format_date(start, format="long", locale=tr.language)
        last = format_date(stop, format="long", locale=tr.language)
        return tr.pgettext("deadline", "from %(start)s to %(stop)s", start=first, stop=last)

    @staticmethod
    def _days_left(left: int, tr: Translator) -> Html:
        if left <= 0:
            return tr.pgettext("deadline", "today is the last day")
        if left == 1:
            return tr.pgettext("deadline", "until tomorrow")
        return tr.npgettext("deadline", "%(n)s day left", "%(n)s days left", left)

    def _deadline_question(self, session: Session | None, tr: Translator) -> Html:
        if session is not None and session.answers.get(DEADLINE_KIND) == CONFIRMED_ON:
            if completed_via(session.answers) == COUNTDOWN:
                return _lines(
                    tr.pgettext("deadline", "<b>When did buyer protection end?</b>"),
                    tr.pgettext(
                        "deadline",
                        "Type the date, for example 20.11.2026, or how many days ago, "
                        "for example 3.",
                    ),
                )
            return _lines(
                tr.pgettext("deadline", "<b>When did you confirm receipt?</b>"),
                tr.pgettext(
                    "deadline",
                    "Type the date, for example 20.11.2026, or how many days ago, for example 3.",
                ),
            )
        return _lines(
            tr.pgettext("deadline", "<b>When does buyer protection end?</b>"),
            tr.pgettext(
                "deadline",
                "Type the date from the order page, for example 25.12.2026, or how many days "
                "are left, for example 12. If it has already ended, type when, for example "
                "5 days ago.",
            ),
        )

    @staticmethod
    def _day(d: date, tr: Translator) -> str:
        return format_date(d, format="long", locale=tr.language)

    def reminders(self, pending: Sequence[Reminder], owner: int, tr: Translator) -> View:
        """``/reminders``: what is planned, with a button to cancel each one."""
        if not pending:
            return View(
                tr.pgettext(
                    "reminders",
                    "You have no reminders. Work out a deadline with /deadline, and I will "
                    "offer to remind you.",
                )
            )
        lines = [tr.pgettext("reminders", "<b>Your reminders:</b>")]
        buttons = []
        for reminder in pending[:MAX_LISTED_REMINDERS]:  # a phone screen, and ≤ 100 buttons
            when = buyer_date(reminder.due_at)
            lines.append(
                tr.pgettext(
                    "reminders",
                    "• %(when)s, about the deadline on %(deadline)s",
                    when=self._day(when, tr),
                    deadline=self._day(reminder.deadline, tr),
                )
            )
            label = tr.pgettext_plain("button", "Cancel: %(when)s", when=self._day(when, tr))
            data = callbacks.encode(owner, MENU_SEQ, f"{REMINDER_PREFIX}{reminder.id}")
            buttons.append((Button(label, data),))
        return View(_lines(*lines), tuple(buttons))

    def stats(self, stats: Stats, tr: Translator) -> View:
        """/stats for the admins: a few counts, no names."""
        labels = {b.id: b.form_label for b in self.guide.boxes}
        lines = [
            tr.pgettext(
                "stats",
                "<b>Conversations started</b>: %(today)s today, %(week)s this week.",
                today=stats.conversations_today,
                week=stats.conversations_week,
            ),
            "",
            tr.pgettext("stats", "<b>Answers shown this week, by box:</b>"),
        ]
        lines += [f"• {escape(labels.get(box, box))}: {n}" for box, n in stats.boxes.items()]
        lines += ["", tr.pgettext("stats", "<b>By route:</b>")]
        lines += [f"• {escape(route)}: {n}" for route, n in stats.routes.items()]
        return View(_lines(*lines))

    def reminder_message(self, reminder: Reminder, tr: Translator, now: float) -> Html:
        """The reminder itself, sent on its day."""
        left = (reminder.deadline - buyer_date(now)).days
        values = {
            "date": self._day(reminder.deadline, tr),
            "left": tr.npgettext("deadline", "%(n)s day", "%(n)s days", max(left, 0)),
        }
        if reminder.kind == CONFIRMED_ON:
            return tr.pgettext(
                "reminders",
                "⏰ Reminder: a dispute can be opened until %(date)s, %(left)s left. "
                "If something is wrong with the order, open it now.",
                **values,
            )
        return tr.pgettext(
            "reminders",
            "⏰ Reminder: buyer protection ends on %(date)s, %(left)s left. If the parcel has "
            "not arrived or something is wrong with it, open a dispute now.",
            **values,
        )

    def _reminded(self, session: Session | None, tr: Translator) -> Html:
        assert session is not None
        end = date.fromisoformat(session.answers[DEADLINE_END])
        times = reminder_times(end, session.updated_at)
        if not times:
            return tr.pgettext("reminders", "The deadline is too close for reminders: act today.")
        days = ", ".join(self._day(buyer_date(t), tr) for t in times)
        return _lines(
            tr.pgettext("reminders", "OK, I will remind you: %(days)s.", days=days),
            tr.pgettext("reminders", "/reminders shows them and lets you cancel them."),
        )

    def _ready_text(self, session: Session | None, tr: Translator) -> Html:
        """A short polite English text to paste, in a block that copies with a tap, and
        its translation underneath."""
        assert session is not None
        g, answers = self.guide, session.answers
        templates = g.ready_text
        problem_id = session.problem or answers.get(HINT)
        problem = g.problem(problem_id) if problem_id and g.has_problem(problem_id) else None
        purpose = "dispute" if answers.get(TEXT_FOR) == "dispute" else "complaint"
        end = answers.get(DEADLINE_END)
        show_end = purpose == "dispute" and end and answers.get(DEADLINE_KIND) == PROTECTION

        def compose(local: Callable[[str], str], language: str) -> str:
            order = answers.get(ORDER) or local(templates["order_blank"])
            statement = local(problem.statement if problem else templates["statement_blank"])
            text = local(templates[purpose]) % {"order": order, "statement": statement}
            if show_end:
                when = format_date(date.fromisoformat(str(end)), format="long", locale=language)
                text += " " + local(templates["protection_end"]) % {"date": when}
            return text

        english = compose(lambda s: s, "en")
        translated = compose(lambda s: tr.raw(READY_TEXT_CONTEXT, s), tr.language)
        lines = [
            tr.pgettext("ready-text", "<b>A ready text for the form</b> (tap it to copy):")
            if purpose == "complaint"
            else tr.pgettext("ready-text", "<b>A ready text for the dispute</b> (tap it to copy):"),
            f"<pre>{escape(english)}</pre>",
        ]
        if translated != english:
            lines += [
                tr.pgettext("ready-text", "<b>Translation:</b>"),
                f"<i>{escape(translated)}</i>",
            ]
        if not answers.get(ORDER):
            lines += [
                "",
                tr.pgettext("ready-text", "Send me the order number, and I will put it in."),
            ]
        return _lines(*lines)

    def _deadline(self, session: Session | None, tr: Translator) -> Html:
        """The dates that matter, written out, with what to do by when."""
        assert session is not None
        g, answers = self.guide, session.answers
        end = date.fromisoformat(answers[DEADLINE_END])
        today = buyer_date(session.updated_at)
        left = (end - today).days
        day = functools.partial(self._day, tr=tr)

        if answers.get(DEADLINE_KIND) == CONFIRMED_ON:
            completed = answers.get(COMPLETED_ON)
            since = None
            if completed is not None and completed_via(answers) == COUNTDOWN:
                since = tr.pgettext(
                    "deadline",
                    "Buyer protection ended on %(date)s: the order completed by itself then.",
                    date=day(date.fromisoformat(completed)),
                )
            if left < 0:
                return _lines(
                    since,
                    tr.pgettext(
                        "deadline",
                        "<b>The last day for a dispute was %(date)s</b>: what remains is a "
                        "complaint (/complaint).",
                        date=day(end),
                    ),
                    self._now(tr, g.fact("dispute_window")),
                )
            return _lines(
                since,
                tr.pgettext(
                    "deadline",
                    "<b>A dispute can be opened until %(date)s</b> (%(left)s).",
                    date=day(end),
                    left=self._days_left(left, tr),
                ),
                self._now(tr, g.fact("dispute_window")),
                tr.pgettext("deadline", "Do not wait for the last day."),
            )
        lines = [
            tr.pgettext(
                "deadline",
                "<b>Buyer protection ends on %(date)s</b> (%(left)s).",
                date=day(end),
                left=self._days_left(left, tr),
            ),
            "",
        ]
        if left > 7:
            lines.append(
                tr.pgettext(
                    "deadline",
                    "• If the parcel is late, ask the seller to extend protection %(days)s.",
                    days=self._range(end - timedelta(days=7), end - timedelta(days=5), tr),
                )
            )
        elif left >= 5:  # the 5–7 days before the end are now
            lines.append(
                tr.pgettext(
                    "deadline",
                    "• If the parcel is late, ask the seller to extend protection today.",
                )
            )
        if left > 3:
            lines.append(
                tr.pgettext(
                    "deadline",
                    "• If something is wrong, open a dispute by %(date)s.",
                    date=day(end - timedelta(days=3)),
                )
            )
        else:
            lines.append(
                tr.pgettext(
                    "deadline",
                    "• Protection is about to end: if something is wrong, open a dispute today.",
                )
            )
        why = _bullets(
            [
                self._now(tr, g.fact(name))
                for name in ("extend_protection", "open_early", "dispute_window")
            ]
        )
        return _folded(_lines(*lines), why, tr)

    def _answer(self, session: Session, tr: Translator) -> Html:
        """The complaint: what to do now first (the box, where to click today, the warning
        that matters); the guide's route, the evidence, the addresses and what comes next
        one tap away, folded."""
        g = self.guide
        assert session.problem is not None
        problem = g.problem(session.problem)
        box = problem.box
        local_label = tr.raw(BOX_CONTEXT, box.form_label)
        if local_label == box.form_label:
            tick = tr.pgettext("answer", "Tick the box <b>%(label)s</b>.", label=box.form_label)
        else:
            tick = tr.pgettext(
                "answer",
                "Tick the box <b>%(label)s</b> (on the English form: <b>%(form_label)s</b>).",
                label=local_label,
                form_label=box.form_label,
            )
        warning = Html("⚠️ " + self._now(tr, g.fact("complaint_no_money")))
        if session.route in (Route.PLAN_B, Route.ANYWAY):
            warning = _lines(
                warning,
                tr.pgettext("answer", "If you have not opened the dispute yet, start with it."),
            )
        elif session.route is None:  # an inline card: nothing is known about the order
            warning = _lines(
                warning,
                tr.pgettext(
                    "answer",
                    "If buyer protection is still running, or the order completed less than "
                    "15 days ago, start with a dispute.",
                ),
            )
        addresses = [
            tr.pgettext(
                "answer",
                "%(email)s: %(who)s",
                email=a.email,
                who=self._say(tr, a.who),
            )
            for a in g.addresses
        ]
        now = _lines(
            f"<b>{escape(tr.raw(GUIDE_CONTEXT, problem.title))}</b>",
            warning,
            "",
            f"• {self._now(tr, *g.today_steps)}",
            f"• {tick}",
            f"   {self._now(tr, box.today)}" if box.today else None,
        )
        later = _lines(
            tr.pgettext("answer", "<b>How to complain, as the guide says:</b>"),
            _numbered(
                [
                    *(self._say(tr, s) for s in g.seed_steps),
                    tick,
                    tr.pgettext("answer", "Describe what happened and attach the evidence."),
                ]
            ),
            "",
            tr.pgettext("answer", "<b>What to gather:</b>"),
            _bullets([self._say(tr, s) for s in problem.evidence]),
            "",
            tr.pgettext("answer", "<b>Whom to write to:</b>"),
            _bullets(
                [
                    self._now(tr, g.fact("support_chat")),
                    self._say(tr, g.fact("addresses_unconfirmed")),
                ]
            ),
            "\n".join(f"   {a}" for a in addresses),
            "",
            tr.pgettext("answer", "<b>If nothing happens:</b>"),
            _bullets(
                [
                    tr.pgettext(
                        "answer", "Write to the support chat again, with the order number."
                    ),
                    self._now(tr, g.fact("dispute_window")),
                ]
            ),
            "",
            self._now(tr, g.fact("pay_outside")),
            self._now(tr, g.fact("aliexpress_ru")),
        )
        return _folded(now, later, tr)

    # ---- buttons -------------------------------------------------------------------------

    def _label(self, step: Step | None, choice: str, completed: bool, tr: Translator) -> str:
        """A button's label; ``completed``: the order has completed (a dispute for 15 days)."""
        key = (step, choice, completed, tr.language)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = self._make_label(step, choice, completed, tr)
        return label

    def _make_label(self, step: Step | None, choice: str, completed: bool, tr: Translator) -> str:
        if choice.startswith(LANGUAGE_PREFIX):  # each language in its own words
            language = choice.removeprefix(LANGUAGE_PREFIX)
            return str(Locale.parse(language).get_display_name(language)).capitalize()
        if choice == FORGET_YES:
            return tr.pgettext_plain("button", "Yes, delete everything")
        if choice == FORGET_NO:
            return tr.pgettext_plain("button", "No, keep it")
        if choice.startswith(PROBLEM_PREFIX):
            problem = self.guide.problem(choice.removeprefix(PROBLEM_PREFIX))
            return tr.raw(GUIDE_CONTEXT, problem.button)
        if choice == BEGIN:
            return tr.pgettext_plain("button", "Complain about a seller")
        if choice == RESTART:
            return tr.pgettext_plain("button", "Start over")
        if choice == OTHER:
            if step is Step.PROBLEM:  # past the likeliest problems: the whole list
                return tr.pgettext_plain("button", "Something else")
            return tr.pgettext_plain("button", "Another problem")
        if choice == DEADLINE:
            return tr.pgettext_plain("button", "Work out the dates")
        if choice == TEXT:
            return tr.pgettext_plain("button", "A ready text in English")
        if choice == BACK:
            return tr.pgettext_plain("button", "Back")
        if choice == REMIND:
            return tr.pgettext_plain("button", "Remind me before the deadline")
        if choice == UNPAID:
            return tr.pgettext_plain("button", "Money taken, order shows unpaid")
        if choice == SOURCES:
            return tr.pgettext_plain("button", "Sources")
        if choice == COMPLAINT:
            if step is Step.DEADLINE_SET:  # the dispute's last day has passed
                return tr.pgettext_plain("button", "How to complain")
            if completed:
                return tr.pgettext_plain("button", "Show the complaint (plan B)")
            return tr.pgettext_plain("button", "Show the complaint anyway")
        if step is Step.PROTECTION:
            return {
                YES: tr.pgettext_plain("button", "Yes, still running"),
                NO: tr.pgettext_plain("button", "No, it has run out"),
                IDK: tr.pgettext_plain("button", "I don't know"),
            }[choice]
        if step is Step.RECENT:
            return {
                YES: tr.pgettext_plain("button", "15 days ago or less"),
                NO: tr.pgettext_plain("button", "More than 15 days ago"),
                IDK: tr.pgettext_plain("button", "I don't remember"),
            }[choice]
        return {
            YES: tr.pgettext_plain("button", "Yes"),
            NO: tr.pgettext_plain("button", "No"),
            IDK: tr.pgettext_plain("button", "I don't remember"),
        }[choice]
