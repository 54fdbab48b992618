"""Every path of the decision tree, every box, typed answers — the flow alone, no Telegram."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.flow import (
    BACK,
    COMPLAINT,
    DEADLINE_END,
    IDK,
    NO,
    OTHER,
    PROBLEM_PREFIX,
    RESTART,
    SOURCES,
    TEXT,
    UNPAID,
    YES,
    Context,
    Flow,
    Notice,
    Route,
    ScreenKind,
    Session,
    Step,
    Transition,
    reminder_times,
)
from bot.guide import Guide

CTX = Context(chat_id=10, user_id=10, language="ru", now=1000.0)


class Walk:
    """Drives the flow like a person would, keeping the session between events."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.session: Session | None = None
        self.last: Transition | None = None
        self.update_id = 0

    def _ctx(self) -> Context:
        self.update_id += 1
        return replace(CTX, update_id=self.update_id)

    def _apply(self, transition: Transition) -> Transition:
        self.last = transition
        if transition.session is not None:
            self.session = transition.session
        return transition

    def begin(self) -> Transition:
        return self._apply(self.flow.begin(self.session, self._ctx()))

    def press(self, choice: str) -> Transition:
        assert self.session is not None
        seq = self.session.seq
        return self._apply(
            self.flow.press(self.session, seq, choice, replace(self._ctx(), message_id=77))
        )

    def say(self, text: str) -> Transition:
        return self._apply(self.flow.say(self.session, text, self._ctx()))

    @property
    def step(self) -> Step:
        assert self.session is not None
        return self.session.step


@pytest.fixture
def walk(flow: Flow) -> Walk:
    return Walk(flow)


def test_begin_asks_whether_receipt_was_confirmed(walk: Walk) -> None:
    t = walk.begin()
    assert walk.step is Step.CONFIRMED
    assert t.screen is not None
    assert t.screen.kind is ScreenKind.QUESTION
    assert t.screen.choices == (YES, NO, IDK, UNPAID)


@pytest.mark.parametrize(
    ("path", "step", "route"),
    [
        # not confirmed → protection running → dispute advice, no complaint yet
        ((NO, YES), Step.DISPUTE, None),
        # not confirmed → protection over: the order completed by itself → when?
        ((NO, NO), Step.RECENT, None),
        ((NO, NO, YES), Step.DISPUTE, None),
        ((NO, NO, YES, COMPLAINT), Step.PROBLEM, Route.PLAN_B),
        ((NO, NO, NO), Step.PROBLEM, Route.LATE),
        ((NO, NO, IDK), Step.RECENT, None),
        # not confirmed → don't know → the countdown explained, asked again
        ((NO, IDK), Step.PROTECTION, None),
        ((NO, IDK, NO, NO), Step.PROBLEM, Route.LATE),
        # …and the complaint anyway, from the dispute advice
        ((NO, YES, COMPLAINT), Step.PROBLEM, Route.ANYWAY),
        # confirmed → less than 15 days → dispute still possible, complaint as plan B
        ((YES, YES), Step.DISPUTE, None),
        ((YES, YES, COMPLAINT), Step.PROBLEM, Route.PLAN_B),
        # confirmed → 15+ days → complaint; don't remember → where to look, asked again
        ((YES, NO), Step.PROBLEM, Route.LATE),
        ((YES, IDK), Step.RECENT, None),
        # don't know whether confirmed → where to look, asked again
        ((IDK,), Step.CONFIRMED, None),
        ((IDK, YES, NO), Step.PROBLEM, Route.LATE),
        # money taken, the order unpaid → the payment advice, at once
        ((UNPAID,), Step.UNPAID, Route.UNPAID),
    ],
)
def test_decision_tree(walk: Walk, path: tuple[str, ...], step: Step, route: Route | None) -> None:
    walk.begin()
    for choice in path:
        walk.press(choice)
    assert walk.step is step
    assert walk.session is not None
    assert walk.session.route is route


@pytest.mark.parametrize(
    ("path", "notice", "choices"),
    [
        ((IDK,), Notice.STATUS_HELP, (YES, NO, IDK, UNPAID)),
        ((YES, IDK), Notice.DATE_HELP, (YES, NO, IDK)),
        ((NO, NO, IDK), Notice.DATE_HELP, (YES, NO, IDK)),
    ],
)
def test_dont_know_says_where_to_look_then_asks_again(
    walk: Walk, path: tuple[str, ...], notice: Notice, choices: tuple[str, ...]
) -> None:
    walk.begin()
    for choice in path:
        t = walk.press(choice)
    assert t.screen is not None
    assert t.screen.notice is notice
    assert t.screen.choices == choices


@pytest.mark.parametrize(
    ("path", "typed", "step", "last_day"),
    [
        # 1000.0 is 1 January 1970 for the buyer (Moscow time)
        ((NO, NO), "5 дней назад", Step.DISPUTE, "1970-01-11"),
        ((NO, NO), "27.12", Step.DISPUTE, "1970-01-11"),
        ((YES,), "вчера", Step.DISPUTE, "1970-01-15"),
        ((YES,), "два дня назад", Step.DISPUTE, "1970-01-14"),
        ((YES,), "10", Step.DISPUTE, "1970-01-06"),  # a number of days: ago
        ((YES,), "40 дней назад", Step.PROBLEM, "1969-12-07"),
        ((NO, NO), "16 дней назад", Step.PROBLEM, "1969-12-31"),
        ((NO, NO), "15 дней назад", Step.DISPUTE, "1970-01-01"),  # today is the last day
    ],
)
def test_a_typed_day_of_completion_gives_the_last_day_of_the_dispute(
    walk: Walk, path: tuple[str, ...], typed: str, step: Step, last_day: str
) -> None:
    walk.begin()
    for choice in path:
        walk.press(choice)
    walk.say(typed)
    assert walk.step is step
    assert walk.session is not None
    assert walk.session.answers[DEADLINE_END] == last_day
    if step is Step.PROBLEM:
        assert walk.session.route is Route.LATE
    else:  # the dispute advice offers reminders while one can come, not a date question
        assert walk.last is not None
        assert walk.last.screen is not None
        first = "remind" if last_day > "1970-01-02" else TEXT
        assert walk.last.screen.choices[0] == first
        assert "deadline" not in walk.last.screen.choices


@pytest.mark.parametrize(
    ("typed", "step", "notice"),
    [
        ("больше месяца назад", Step.PROBLEM, None),
        ("больше 15 дней назад", Step.PROBLEM, None),
        ("больше 10 дней назад", Step.RECENT, Notice.DATE_REASK),  # 11 is in time, 20 is not
        ("меньше 20 дней назад", Step.RECENT, Notice.DATE_REASK),
        ("меньше недели назад", Step.DISPUTE, None),
        ("меньше 16 дней", Step.DISPUTE, None),
        ("не больше недели", Step.DISPUTE, None),
        ("не меньше 20 дней", Step.PROBLEM, None),
        ("давно", Step.PROBLEM, None),
    ],
)
def test_a_span_compared_with_15_days_is_read_by_its_number(
    walk: Walk, typed: str, step: Step, notice: Notice | None
) -> None:
    walk.begin()
    walk.press(YES)
    t = walk.say(typed)
    assert walk.step is step
    assert t.screen is not None
    assert t.screen.notice is notice


def test_a_countdown_end_still_ahead_means_protection_is_running(walk: Walk) -> None:
    walk.begin()
    walk.press(NO)
    walk.press(NO)  # «it has run out», then the day typed is ahead after all
    walk.say("через 5 дней")
    assert walk.step is Step.DISPUTE
    assert walk.session is not None
    answers = walk.session.answers
    assert "completed_via" not in answers
    assert (answers["deadline_kind"], answers[DEADLINE_END]) == ("protection", "1970-01-06")
    walk.press(COMPLAINT)
    assert walk.session.route is Route.ANYWAY  # not plan B: the order has not completed


def test_a_confirmation_day_ahead_is_asked_again(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    t = walk.say("10.01")  # nine days ahead: receipt cannot be confirmed then
    assert walk.step is Step.RECENT
    assert t.screen is not None
    assert t.screen.notice is Notice.DATE_REASK


def test_after_the_last_day_the_dates_screen_leads_to_the_complaint(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(YES)
    walk.press("deadline")
    t = walk.say("40 дней назад")
    assert walk.step is Step.DEADLINE_SET
    assert t.screen is not None
    assert t.screen.choices == (COMPLAINT, SOURCES, RESTART)  # no way back to the dispute
    walk.press(COMPLAINT)
    assert walk.step is Step.PROBLEM
    assert walk.session is not None
    assert walk.session.route is Route.LATE


@pytest.mark.parametrize("step", [Step.RECENT, Step.DISPUTE])
def test_a_session_stored_before_the_countdown_path_keeps_its_confirmation(
    flow: Flow, step: Step
) -> None:
    """Stored by the previous version: ``confirmed = yes`` and nothing of how it completed."""
    old = Session(
        chat_id=10,
        user_id=10,
        step=step,
        language="ru",
        created_at=900.0,
        updated_at=900.0,
        seq=3,
        answers={"confirmed": YES},
    )
    walk = Walk(flow)
    walk.session = old
    if step is Step.RECENT:
        walk.press(YES)
    assert walk.step is Step.DISPUTE
    walk.press(COMPLAINT)
    assert walk.session is not None
    assert walk.session.route is Route.PLAN_B


@pytest.mark.parametrize(
    ("path", "typed"),
    [
        ((), "деньги списали, а заказ не оплачен"),
        ((NO,), "оплатила, а пишет ожидает оплаты"),
        ((YES,), "я оплатил, а заказ не оплачен"),
        ((NO, NO), "деньги списали а заказ не оплачен"),
    ],
)
def test_an_unpaid_order_is_recognised_at_any_question(
    walk: Walk, path: tuple[str, ...], typed: str
) -> None:
    walk.begin()
    for choice in path:
        walk.press(choice)
    walk.say(typed)
    assert walk.step is Step.UNPAID
    assert walk.session is not None
    assert (walk.session.route, walk.session.box) == (Route.UNPAID, "payment")
    assert walk.session.outcome_at == walk.session.updated_at


def test_an_unpaid_order_typed_first_goes_straight_to_the_payment_advice(flow: Flow) -> None:
    t = flow.say(None, "деньги списали, а заказ не оплачен", replace(CTX, update_id=1))
    assert t.session is not None
    assert t.session.step is Step.UNPAID


def test_sources_open_from_every_advice_and_go_back(walk: Walk) -> None:
    walk.begin()
    walk.press(NO)
    walk.press(YES)
    assert walk.step is Step.DISPUTE
    walk.press(SOURCES)
    assert walk.step is Step.SOURCES
    assert walk.last is not None
    assert walk.last.screen is not None
    assert walk.last.screen.choices == (BACK, RESTART)
    walk.press(BACK)
    assert walk.step is Step.DISPUTE
    walk.press(COMPLAINT)
    walk.press(PROBLEM_PREFIX + "fake")
    walk.press(SOURCES)
    walk.press(BACK)
    assert walk.step is Step.ANSWER


def test_dont_know_explains_the_countdown_then_asks_again(walk: Walk) -> None:
    walk.begin()
    walk.press(NO)
    t = walk.press(IDK)
    assert t.screen is not None
    assert t.screen.notice is Notice.COUNTDOWN_HELP
    assert t.screen.choices == (YES, NO, IDK)


def test_dispute_advice_offers_the_complaint_anyway(walk: Walk) -> None:
    walk.begin()
    walk.press(NO)
    t = walk.press(YES)
    assert t.screen is not None
    assert t.screen.kind is ScreenKind.DISPUTE
    assert t.screen.choices == ("deadline", "text", COMPLAINT, SOURCES, RESTART)


@pytest.mark.parametrize(
    ("problem", "box"),
    [
        ("not_arrived", "not_received"),
        ("broken", "not_as_described"),
        ("wrong_variant", "not_as_described"),
        ("poor_quality", "not_as_described"),
        ("fake", "ipr"),
        ("photos", "pictures"),
        ("other", "rules"),
    ],
)
def test_every_problem_maps_to_its_box_and_records_the_outcome(
    walk: Walk, problem: str, box: str
) -> None:
    walk.begin()
    walk.press(NO)
    walk.press(NO)
    walk.press(NO)
    walk.press(PROBLEM_PREFIX + problem)
    assert walk.step is Step.ANSWER
    assert walk.session is not None
    assert (walk.session.problem, walk.session.box) == (problem, box)
    assert walk.session.route is Route.LATE
    # Marks the outcome as reached by this very step, for the statistics.
    assert walk.session.outcome_at == walk.session.updated_at


def test_every_box_is_reachable(flow: Flow, guide: Guide) -> None:
    assert {p.box.id for p in guide.problems} == {b.id for b in guide.boxes}
    assert len(guide.boxes) == 6


def test_answer_offers_another_problem_and_start_over(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.press(PROBLEM_PREFIX + "fake")
    walk.press(OTHER)
    assert walk.step is Step.PROBLEM
    assert walk.session is not None
    assert walk.session.route is Route.LATE  # the route is kept for the next problem
    walk.press(PROBLEM_PREFIX + "photos")
    assert walk.session.box == "pictures"
    walk.press(RESTART)
    assert walk.step is Step.CONFIRMED
    assert walk.session.answers == {}
    assert walk.session.route is None


# ---- typed answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "step"),
    [
        (["да"], Step.RECENT),
        (["Да, подтвердил"], Step.RECENT),
        (["нет"], Step.PROTECTION),
        (["Нет, не подтверждала"], Step.PROTECTION),
        (["нет", "ещё идёт"], Step.DISPUTE),
        (["нет", "закончилась"], Step.RECENT),
        (["нет", "сделка закрыта", "давно"], Step.PROBLEM),
        (["нет", "не знаю"], Step.PROTECTION),
        (["да", "недавно, меньше 15 дней"], Step.DISPUTE),
        (["да", "давно"], Step.PROBLEM),
        (["ДА", "Не помню"], Step.RECENT),
        (["не помню"], Step.CONFIRMED),
        (["нет", "закончилась", "больше 15 дней назад"], Step.PROBLEM),
        (["нет", "закончилась", "меньше 15 дней назад"], Step.DISPUTE),
        (["нет", "да", "покажи жалобу"], Step.PROBLEM),
        (["нет", "нет", "заново"], Step.CONFIRMED),
        (["нет", "ещё не закончилась"], Step.DISPUTE),
        (["нет", "защита не истекла"], Step.DISPUTE),
        (["Подтвердил получение, но товар не тот"], Step.RECENT),
        (["подтвердила, не проверив товар"], Step.RECENT),
        (["да", "не больше недели"], Step.DISPUTE),
        (["да", "вчера"], Step.DISPUTE),
        (["да", "месяц назад"], Step.PROBLEM),
    ],
)
def test_every_question_can_be_answered_by_typing(walk: Walk, typed: list[str], step: Step) -> None:
    walk.begin()
    for text in typed:
        walk.say(text)
    assert walk.step is step


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("посылка так и не пришла", "not_arrived"),
        ("Посылка не пришла", "not_arrived"),
        ("не пришёл заказ", "not_arrived"),
        ("пасылка не дошла", "not_arrived"),
        ("трек не обновляется уже месяц", "not_arrived"),
        ("пришло сломанным", "broken"),
        ("бракованный", "broken"),
        ("телефон не включается", "broken"),
        ("прислали не тот размер", "wrong_variant"),
        ("Цвет не тот", "wrong_variant"),
        ("маломерит", "wrong_variant"),
        ("плохое качество", "poor_quality"),
        ("не соответствует описанию", "poor_quality"),
        ("подделка", "fake"),
        ("это паль, не оригинал", "fake"),
        ("продавец украл мои фото", "photos"),
        ("использует мои фотографии", "photos"),
        ("просит оплатить вне сайта", "other"),
        ("продавец просит оплатить на карту", "other"),
        ("продавец просит оплатить через вотсап", "other"),
        ("пришло не то, что заказывал", "wrong_variant"),
        ("пришла не та модель", "wrong_variant"),
        ("прислали другое", "wrong_variant"),
        ("пришло не всё", "poor_quality"),
        ("трек-номер не работает", "not_arrived"),
        ("получил, а он не работает", "broken"),
        ("посылка застряла на таможне", "not_arrived"),
        ("продавец не отвечает", "other"),
        (
            "заказала куртку месяц назад, продавец долго не отправлял, потом трек появился, и "
            "посылка шла очень долго через разные страны, я ждала и ждала, наконец куртка "
            "пришла, но не тот размер",
            "wrong_variant",
        ),
        ("посылка пришла, но не работает", "broken"),
        ("продавец грубит", "other"),
        ("другое нарушение", "other"),
    ],
)
def test_problems_in_the_buyers_own_words(walk: Walk, text: str, problem: str) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.say(text)
    assert walk.step is Step.ANSWER
    assert walk.session is not None
    assert walk.session.problem == problem


def test_several_words_for_one_box_are_one_box(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.say("брак и плохое качество")  # broken and poor quality: both not_as_described
    assert walk.session is not None
    assert walk.session.box == "not_as_described"


def test_typed_problem_on_the_answer_screen_switches_answer(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.say("подделка")
    walk.say("а ещё украли мои фото")
    assert walk.session is not None
    assert walk.session.box == "pictures"


@pytest.mark.parametrize("text", ["картошка", "", "🙂", "asdf " * 2000, "да нет"])
def test_unmatched_text_gets_a_reask_with_the_same_buttons(walk: Walk, text: str) -> None:
    walk.begin()
    before = walk.session
    t = walk.say(text)
    assert walk.step is Step.CONFIRMED
    assert t.screen is not None
    assert t.screen.notice is Notice.REASK
    assert t.screen.choices == (YES, NO, IDK, UNPAID)
    assert before is not None
    assert walk.session is not None
    assert walk.session.seq == before.seq + 1  # the old keyboard is now stale


# ---- buttons out of place -------------------------------------------------------------------


def test_stale_button_changes_nothing(flow: Flow, walk: Walk) -> None:
    walk.begin()
    old = walk.session
    assert old is not None
    walk.press(NO)
    t = flow.press(walk.session, old.seq, YES, replace(CTX, update_id=99, message_id=1))
    assert t.notice is Notice.STALE
    assert t.session is None
    assert t.screen is None


def test_stale_button_on_the_current_message_redraws_it(flow: Flow, walk: Walk) -> None:
    walk.begin()
    walk.press(NO)  # message 77 now shows the protection question
    assert walk.session is not None
    t = flow.press(
        walk.session, walk.session.seq - 1, YES, replace(CTX, update_id=99, message_id=77)
    )
    assert t.notice is Notice.STALE
    assert t.session is None
    assert t.screen is not None
    assert t.screen.step is Step.PROTECTION


@pytest.mark.parametrize("choice", ["p.nonexistent", "complaint", "zzz"])
def test_forged_choice_is_ignored(flow: Flow, walk: Walk, choice: str) -> None:
    walk.begin()
    assert walk.session is not None
    t = flow.press(walk.session, walk.session.seq, choice, replace(CTX, message_id=77))
    assert t.notice is Notice.INVALID
    assert t.session is None


def test_button_after_cancel_is_stale(flow: Flow, walk: Walk) -> None:
    walk.begin()
    assert walk.session is not None
    seq = walk.session.seq
    walk._apply(flow.cancel(walk.session, CTX))
    assert walk.step is Step.CANCELLED
    t = flow.press(walk.session, seq, YES, replace(CTX, update_id=500, message_id=77))
    assert t.notice is Notice.STALE
    assert t.session is None


def test_cancel_without_conversation(flow: Flow) -> None:
    t = flow.cancel(None, CTX)
    assert t.screen is not None
    assert t.screen.kind is ScreenKind.NOTHING_TO_CANCEL
    assert t.session is None


def test_redelivered_update_is_shown_not_applied_twice(flow: Flow, walk: Walk) -> None:
    walk.begin()
    assert walk.session is not None
    seq = walk.session.seq
    walk.press(NO)
    applied = walk.session
    assert applied is not None
    # The same update (same id) arrives again after a crash, before the reply was sent.
    again = flow.press(applied, seq, NO, replace(CTX, update_id=walk.update_id, message_id=77))
    assert again.replay
    assert again.session is None
    assert again.screen is not None
    assert again.screen.step is Step.PROTECTION


def test_text_outside_a_conversation_greets(flow: Flow) -> None:
    t = flow.say(None, "привет", CTX)
    assert t.screen is not None
    assert t.screen.kind is ScreenKind.GREETING
    assert t.session is not None
    assert t.session.step is Step.START


# ---- updates redelivered after a crash --------------------------------------------------


def _redelivered(walk: Walk) -> Context:
    """The context of the update that was applied last, delivered again."""
    return replace(CTX, update_id=walk.update_id)


def test_redelivered_typed_answer_is_not_applied_twice(flow: Flow, walk: Walk) -> None:
    walk.begin()
    walk.say("нет")
    assert walk.session is not None
    again = flow.say(walk.session, "нет", _redelivered(walk))
    assert again.replay
    assert again.session is None  # not moved on to the next question a second time
    assert again.screen is not None
    assert again.screen.step is Step.PROTECTION


@pytest.mark.parametrize("event", ["begin", "cancel", "greet"])
def test_redelivered_commands_are_not_applied_twice(flow: Flow, walk: Walk, event: str) -> None:
    walk.begin()
    walk.press(NO)
    assert walk.session is not None
    again = getattr(flow, event)(walk.session, _redelivered(walk))
    assert again.replay
    assert again.session is None


def test_redelivered_press_on_another_message_is_shown_not_applied(flow: Flow, walk: Walk) -> None:
    walk.begin()
    assert walk.session is not None
    seq = walk.session.seq
    walk.press(NO)
    assert walk.session is not None
    again = flow.press(walk.session, seq, NO, replace(_redelivered(walk), message_id=12345))
    assert again.replay
    assert again.session is None


def test_lower_update_ids_after_a_quiet_week_are_new_updates(flow: Flow, walk: Walk) -> None:
    walk.begin()
    walk.update_id = 900_000
    walk.say("нет")
    assert walk.session is not None
    # A week later Telegram counts from a lower number: that is a new update.
    later = replace(CTX, update_id=12_345, now=walk.session.updated_at + 7 * 86400)
    t = flow.cancel(walk.session, later)
    assert not t.replay
    assert t.session is not None
    assert t.session.step is Step.CANCELLED


# ---- the first message -----------------------------------------------------------------------


def test_a_problem_described_first_starts_and_is_remembered(walk: Walk) -> None:
    t = walk.say("здравствуйте, посылка так и не пришла")
    assert walk.step is Step.CONFIRMED
    assert t.screen is not None
    assert t.screen.step is Step.CONFIRMED
    walk.say("нет")
    walk.say("закончилась")
    walk.say("месяц назад")
    # The problem question is skipped: the buyer told it already.
    assert walk.step is Step.ANSWER
    assert walk.session is not None
    assert walk.session.box == "not_received"
    assert walk.session.route is Route.LATE
    walk.press(OTHER)  # and can still pick another one
    assert walk.step is Step.PROBLEM


def test_a_remembered_problem_also_follows_the_dispute_route(walk: Walk) -> None:
    walk.say("подделка")
    walk.press(YES)
    walk.press(YES)
    assert walk.step is Step.DISPUTE
    walk.press(COMPLAINT)
    assert walk.session is not None
    assert (walk.step, walk.session.box, walk.session.route) == (Step.ANSWER, "ipr", Route.PLAN_B)


@pytest.mark.parametrize("text", ["да", "давайте", "начать"])
def test_yes_on_the_greeting_begins(flow: Flow, walk: Walk, text: str) -> None:
    walk._apply(flow.greet(None, CTX))
    walk.say(text)
    assert walk.step is Step.CONFIRMED


def test_small_talk_on_the_greeting_is_reasked(flow: Flow, walk: Walk) -> None:
    walk._apply(flow.greet(None, CTX))
    t = walk.say("привет")
    assert walk.step is Step.START
    assert t.screen is not None
    assert t.screen.notice is Notice.REASK


# ---- deadlines -------------------------------------------------------------------------------


def test_deadline_asks_then_works_out_the_end(flow: Flow, walk: Walk) -> None:
    walk._apply(flow.deadline(None, CTX))
    assert walk.step is Step.DEADLINE
    t = walk.say("не помню")
    assert t.screen is not None
    assert t.screen.notice is Notice.DATE_REASK
    walk.say("через 10 дней")
    assert walk.step is Step.DEADLINE_SET
    assert walk.session is not None
    # CTX.now is 1970-01-01 00:16:40 UTC
    assert walk.session.answers["deadline_end"] == "1970-01-11"


def test_after_confirming_the_window_is_15_days_from_the_date(flow: Flow, walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(YES)
    walk.press("deadline")
    assert walk.step is Step.DEADLINE
    walk.say("сегодня")
    assert walk.session is not None
    assert walk.session.answers["deadline_end"] == "1970-01-16"


def test_start_over_from_the_date_question(walk: Walk, flow: Flow) -> None:
    walk._apply(flow.deadline(None, CTX))
    walk.say("начать заново")
    assert walk.step is Step.CONFIRMED


def test_reminders_are_planned_from_the_worked_out_deadline(flow: Flow, walk: Walk) -> None:
    walk._apply(flow.deadline(None, CTX))
    walk.say("через 10 дней")
    t = walk.press("remind")
    assert walk.step is Step.REMINDED
    assert t.action is not None
    assert t.action.kind == "add_reminders"


@pytest.mark.parametrize(
    "choice",
    [
        f"rm.{2**63}",  # one past SQLite's largest integer: it raised OverflowError there
        "rm.9999999999999999999999999999",
        "rm.²",  # a digit to str.isdigit(), not to int()
        "rm.",
    ],
)
def test_a_reminder_id_no_row_can_have_is_a_forged_button(flow: Flow, choice: str) -> None:
    t = flow.menu_choice(choice, {"ru", "en"})
    assert t.notice is Notice.INVALID
    assert t.action is None


def test_the_largest_reminder_id_sqlite_holds_is_cancelled(flow: Flow) -> None:
    t = flow.menu_choice(f"rm.{2**63 - 1}", {"ru", "en"})
    assert t.action is not None
    assert t.action.kind == "cancel_reminder"
    assert t.action.value == str(2**63 - 1)


def test_reminder_times_are_3_and_1_days_before_at_10_moscow() -> None:
    end = date(2026, 12, 10)
    now = datetime(2026, 11, 25, tzinfo=UTC).timestamp()
    times = [datetime.fromtimestamp(t, UTC) for t in reminder_times(end, now)]
    assert times == [datetime(2026, 12, 7, 7, tzinfo=UTC), datetime(2026, 12, 9, 7, tzinfo=UTC)]
    late = datetime(2026, 12, 8, tzinfo=UTC).timestamp()
    assert len(reminder_times(end, late)) == 1  # only the one still ahead


# ---- the ready text ------------------------------------------------------------------------


def test_ready_text_takes_the_order_number_and_goes_back(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.press(PROBLEM_PREFIX + "fake")
    walk.press("text")
    assert walk.step is Step.TEXT
    walk.say("номер заказа 8123 4567 8901 2345")
    assert walk.session is not None
    assert walk.session.answers["order"] == "8123456789012345"
    assert walk.step is Step.TEXT
    walk.press("back")
    assert walk.step is Step.ANSWER
    assert walk.session.box == "ipr"


@pytest.mark.parametrize(
    ("typed", "step", "end", "via"),
    [
        ("осталось 3 дня", Step.DISPUTE, "1970-01-04", None),  # protection runs 3 more days
        ("осталось 0 дней", Step.DISPUTE, "1970-01-01", None),
        ("закончилась 5 дней назад", Step.DISPUTE, "1970-01-11", "countdown"),  # +15 days
        ("закончилась месяц назад", Step.PROBLEM, "1969-12-17", "countdown"),
    ],
)
def test_a_day_typed_at_the_protection_question_answers_the_next_one_too(
    walk: Walk, typed: str, step: Step, end: str, via: str | None
) -> None:
    walk.begin()
    walk.press(NO)
    walk.say(typed)
    assert walk.step is step
    assert walk.session is not None
    assert walk.session.answers[DEADLINE_END] == end
    assert walk.session.answers.get("completed_via") == via


@pytest.mark.parametrize(("typed", "language"), [("English", "en"), ("русский", "ru")])
def test_a_language_named_in_a_whole_message_switches_to_it(
    walk: Walk, typed: str, language: str
) -> None:
    walk.begin()
    t = walk.say(typed)
    assert t.screen is not None
    assert t.screen.kind is ScreenKind.LANGUAGE_SET
    assert t.action is not None
    assert (t.action.kind, t.action.value) == ("set_language", language)
    assert walk.say("текст на английском").screen is not None  # a phrase with it is not


def test_thanks_after_the_answer_gets_a_kind_word_not_a_reask(walk: Walk) -> None:
    walk.begin()
    walk.press(YES)
    walk.press(NO)
    walk.press(PROBLEM_PREFIX + "fake")
    t = walk.say("Спасибо большое!")
    assert walk.step is Step.ANSWER
    assert t.screen is not None
    assert t.screen.notice is Notice.THANKS


def test_a_problem_told_at_a_question_is_kept_and_the_question_asked_again(walk: Walk) -> None:
    walk.begin()
    t = walk.say("посылка так и не пришла")
    assert walk.step is Step.CONFIRMED
    assert t.screen is not None
    assert t.screen.notice is Notice.NOTED
    walk.say("да, подтвердила случайно, а пришёл не тот размер")  # an answer and a problem
    assert walk.step is Step.RECENT
    walk.say("больше месяца назад")
    assert walk.step is Step.ANSWER  # the problem question is skipped
    assert walk.session is not None
    assert walk.session.problem == "wrong_variant"  # the later story wins
