"""Screens → Telegram HTML text and a keyboard, in the session's language.

Pure: no ``telegram`` import. The transport turns :class:`View` into a message, the console
into plain text with numbered choices. The texts live with their family in
:mod:`bot.screens`; this face picks the screen, keeps the texts that do not change per
person, and draws the buttons.
"""

from __future__ import annotations

from babel import Locale

from bot import callbacks
from bot.flow import (
    BACK,
    BEGIN,
    COMPLAINT,
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
    OTHER,
    PROBLEM_PREFIX,
    REMIND,
    RESTART,
    SOURCES,
    TEXT,
    UNPAID,
    YES,
    Notice,
    Screen,
    ScreenKind,
    Session,
    Step,
    completed_via,
)
from bot.guide import GUIDE_CONTEXT, Guide
from bot.i18n import Html, Translator
from bot.screens.base import Button, View
from bot.screens.cards import CardScreens
from bot.screens.complaint import ComplaintScreens
from bot.screens.deadline import DeadlineScreens
from bot.screens.dispute import DisputeScreens
from bot.screens.questions import QuestionScreens
from bot.screens.service import SERVICE_SCREENS, ServiceScreens

__all__ = ["Button", "Renderer", "View"]

#: Notices that only answer a button press (the screen is not redrawn with them).
_PRESS_ANSWERS = frozenset({Notice.STALE, Notice.INVALID, Notice.NOT_YOURS})

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


class Renderer(
    QuestionScreens,
    DisputeScreens,
    ComplaintScreens,
    DeadlineScreens,
    CardScreens,
    ServiceScreens,
):
    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        # Texts and labels depend on a handful of facts, not on who asks: each is built once
        # per language (a few hundred in all) and reused, which keeps a step cheap.
        self._texts: dict[tuple[object, ...], Html] = {}
        self._labels: dict[tuple[object, ...], str] = {}

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
        hint = answers.get(HINT)  # the problem told first: the dispute's evidence follows it
        key = (screen, confirmed, route, problem, hint, deadline_kind, via, group, tr.language)
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
            return self.notice(screen.notice, tr, screen.kind)
        text = self._text(screen, session, tr, group)
        if screen.notice is not None and screen.notice not in _PRESS_ANSWERS:
            above = self.notice(screen.notice, tr, screen.kind)
            text = Html(f"{above}\n\n{text}")
        return text

    def _text(self, screen: Screen, session: Session | None, tr: Translator, group: bool) -> Html:
        kind = screen.kind
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
        if kind in SERVICE_SCREENS:
            return self._service(screen, tr)
        assert session is not None, f"{kind} is drawn for a session"
        if kind is ScreenKind.DISPUTE:
            return self._dispute(session, tr)
        if kind is ScreenKind.PROBLEM:
            return self._problem_question(session, tr, group)
        if kind is ScreenKind.ANSWER:
            return self._answer(session, tr)
        return self._question(session, tr, group)

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
