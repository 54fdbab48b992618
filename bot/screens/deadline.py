"""The dates that matter (/deadline), and reminders.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, timedelta

from bot import callbacks
from bot.dates import buyer_date
from bot.flow import (
    COMPLETED_ON,
    CONFIRMED_ON,
    COUNTDOWN,
    DEADLINE_END,
    DEADLINE_KIND,
    DISPUTE_AFTER_CONFIRM_DAYS,
    MENU_SEQ,
    REMINDER_PREFIX,
    Session,
    completed_via,
    reminder_times,
)
from bot.i18n import Html, Translator
from bot.records import Reminder
from bot.screens.base import Button, Screens, View, bullets, folded, join_lines

#: /reminders shows at most this many (the soonest).
MAX_LISTED_REMINDERS = 20


class DeadlineScreens(Screens):
    def _deadline_question(self, session: Session | None, tr: Translator) -> Html:
        if session is not None and session.answers.get(DEADLINE_KIND) == CONFIRMED_ON:
            if completed_via(session.answers) == COUNTDOWN:
                return join_lines(
                    tr.pgettext("deadline", "<b>When did buyer protection end?</b>"),
                    tr.pgettext(
                        "deadline",
                        "Type the date, for example 20.11.2026, or how many days ago, "
                        "for example 3.",
                    ),
                )
            return join_lines(
                tr.pgettext("deadline", "<b>When did you confirm receipt?</b>"),
                tr.pgettext(
                    "deadline",
                    "Type the date, for example 20.11.2026, or how many days ago, for example 3.",
                ),
            )
        return join_lines(
            tr.pgettext("deadline", "<b>When does buyer protection end?</b>"),
            tr.pgettext(
                "deadline",
                "Type the date from the order page, for example 25.12.2026, or how many days "
                "are left, for example 12. If it has already ended, type when, for example "
                "5 days ago.",
            ),
        )

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
                return join_lines(
                    since,
                    tr.pgettext(
                        "deadline",
                        "<b>The last day for a dispute was %(date)s</b>: what remains is a "
                        "complaint (/complaint).",
                        date=day(end),
                    ),
                    self._now(tr, g.fact("dispute_window")),
                )
            return join_lines(
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
            # The hard deadline, by the 15 days after the order completes (dispute_window).
            tr.pgettext(
                "deadline",
                "The last day for a dispute is %(date)s, 15 days after that; do not leave it "
                "that late.",
                date=day(end + timedelta(days=DISPUTE_AFTER_CONFIRM_DAYS)),
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
        why = bullets(
            [
                self._now(tr, g.fact(name))
                for name in ("extend_protection", "open_early", "dispute_window")
            ]
        )
        return folded(join_lines(*lines), why, tr)

    def _reminded(self, session: Session | None, tr: Translator) -> Html:
        assert session is not None
        end = date.fromisoformat(session.answers[DEADLINE_END])
        times = reminder_times(end, session.updated_at)
        if not times:
            return tr.pgettext("reminders", "The deadline is too close for reminders: act today.")
        days = ", ".join(self._day(buyer_date(t), tr) for t in times)
        return join_lines(
            tr.pgettext("reminders", "OK, I will remind you: %(days)s.", days=days),
            tr.pgettext("reminders", "/reminders shows them and lets you cancel them."),
        )

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
        return View(join_lines(*lines), tuple(buttons))

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
