"""The questions of the conversation, and the notices shown above them.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

from datetime import date

from bot.flow import (
    COUNTDOWN,
    DEADLINE_END,
    Notice,
    Route,
    ScreenKind,
    Session,
    Step,
    completed_via,
)
from bot.i18n import Html, Translator
from bot.screens.base import Screens, join_lines


class QuestionScreens(Screens):
    def notice(self, notice: Notice, tr: Translator, kind: ScreenKind | None = None) -> Html:
        """A one-line notice (above the screen ``kind``); STALE and INVALID also answer
        button presses (≤ 200 chars)."""
        if notice is Notice.REASK and kind is ScreenKind.PROBLEM:
            # Say what kind of answer helps: a few words about what is wrong.
            return tr.pgettext(
                "notice",
                "Sorry, I could not tell what went wrong. Please describe it in a few words, "
                "for example «посылка не пришла», «не тот размер» or «подделка», or choose "
                "below.",
            )
        if notice is Notice.REASK:
            return tr.pgettext(
                "notice",
                "Sorry, I could not understand the answer. "
                "Please tap a button below or answer in a couple of words.",
            )
        if notice is Notice.NOTED:
            return tr.pgettext(
                "notice",
                "Got it, I will take that into account. Now, please, answer the question below.",
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
            return join_lines(
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

    def _question(self, session: Session, tr: Translator, group: bool) -> Html:
        step = session.step
        if step is Step.CONFIRMED:
            return join_lines(
                tr.pgettext("question", "<b>Have you confirmed receipt of the order?</b>"),
                tr.pgettext("question", "Even if you pressed it by accident, answer Yes."),
            )
        if step is Step.PROTECTION:
            return join_lines(
                tr.pgettext("question", "<b>Is buyer protection still running for this order?</b>"),
                tr.pgettext(
                    "question", "The countdown is on the order page. If it has run out, answer No."
                ),
            )
        if completed_via(session.answers) == COUNTDOWN:
            when = tr.pgettext("question", "<b>When did buyer protection end?</b>")
        else:
            when = tr.pgettext("question", "<b>When did you confirm receipt?</b>")
        return join_lines(
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
        return join_lines(
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
