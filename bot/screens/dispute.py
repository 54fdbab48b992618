"""The dispute advice: how to open one, and by when.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

from datetime import date

from bot.dates import buyer_date
from bot.flow import (
    DEADLINE_END,
    DEADLINE_KIND,
    HINT,
    PROTECTION,
    Session,
    completed_via,
)
from bot.guide import Statement
from bot.i18n import Html, Translator
from bot.screens.base import Screens, bullets, folded, join_lines, numbered


class DisputeScreens(Screens):
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
            head = join_lines(
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
            head = join_lines(
                tr.pgettext("dispute", "<b>Open a dispute: a complaint is not needed yet.</b>"),
                ends,
                self._say(tr, g.fact("seed_dispute")),
                self._now(tr, g.fact("open_early")),
            )
        good_to_know: tuple[str, ...] = ("return_item", "reopen")
        if last is not None:  # the day is written out above; why it is that day, here
            good_to_know = ("dispute_window", *good_to_know)
        now = join_lines(
            head,
            "",
            tr.pgettext("dispute", "<b>How to open a dispute:</b>"),
            numbered([self._say(tr, s) for s in g.dispute_steps]),
        )
        later = join_lines(
            tr.pgettext("dispute", "<b>What to gather:</b>"),
            bullets([self._say(tr, s) for s in self._evidence(session)]),
            "",
            tr.pgettext("dispute", "<b>What happens next:</b>"),
            bullets([self._now(tr, g.fact(name)) for name in ("seller_answers", "refund_time")]),
            "",
            tr.pgettext("dispute", "<b>Good to know:</b>"),
            bullets(
                [self._now(tr, g.fact(name)) for name in good_to_know]
                + [self._say(tr, s) for s in g.dispute_warnings]
                + [self._now(tr, g.fact(name)) for name in ("pay_outside", "aliexpress_ru")]
            ),
        )
        return folded(now, later, tr)

    def _evidence(self, session: Session) -> tuple[Statement, ...]:
        """What to gather for a dispute: for the problem the buyer named, if they did
        (nothing to unbox when the parcel never came); the general list otherwise."""
        named = session.problem or session.answers.get(HINT)
        if named and self.guide.has_problem(named):
            return self.guide.problem(named).evidence
        return self.guide.dispute_evidence
