"""Every screen, in Russian, as Telegram would accept it, with the content the guide requires."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot import callbacks
from bot.flow import (
    NO,
    YES,
    Flow,
    Notice,
    Route,
    Screen,
    ScreenKind,
    Session,
    Step,
)
from bot.guide import Guide
from bot.i18n import Translator
from bot.render import Renderer, View
from tests.fake_telegram import parse_html, utf16_len

BASE = Session(chat_id=1, user_id=1, step=Step.CONFIRMED, language="ru", created_at=0, updated_at=0)


def all_screens(flow: Flow, guide: Guide) -> Iterator[tuple[str, Screen, Session | None]]:
    yield "greeting", flow.screen(replace(BASE, step=Step.START)), replace(BASE, step=Step.START)
    for kind in (
        ScreenKind.HELP,
        ScreenKind.HINT,
        ScreenKind.UNKNOWN_COMMAND,
        ScreenKind.NOTHING_TO_CANCEL,
    ):
        yield kind.value, Screen(kind), None
    yield "hint-active", Screen(ScreenKind.HINT, Step.CONFIRMED), BASE
    for step in (Step.CONFIRMED, Step.PROTECTION, Step.RECENT, Step.CANCELLED):
        session = replace(BASE, step=step)
        for notice in (None, Notice.REASK, Notice.COUNTDOWN_HELP):
            yield f"{step}-{notice}", flow.screen(session, notice), session
    for confirmed in (YES, NO):
        session = replace(BASE, step=Step.DISPUTE, answers={"confirmed": confirmed})
        yield f"dispute-{confirmed}", flow.screen(session), session
    for route in Route:
        session = replace(BASE, step=Step.PROBLEM, route=route)
        yield f"problem-{route}", flow.screen(session), session
        for problem in guide.problems:
            answered = replace(
                session, step=Step.ANSWER, problem=problem.id, box=problem.box.id, seq=999_999_999
            )
            yield f"answer-{route}-{problem.id}", flow.screen(answered), answered


def screens(flow: Flow, guide: Guide, renderer: Renderer, ru: Translator) -> list[tuple[str, View]]:
    return [(name, renderer.view(s, sess, ru)) for name, s, sess in all_screens(flow, guide)]


def test_every_screen_is_valid_telegram_html_within_limits(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator
) -> None:
    for name, view in screens(flow, guide, renderer, ru):
        plain, entities = parse_html(view.text)  # raises like Telegram on bad HTML
        assert plain.strip(), name
        assert utf16_len(plain) <= 4096, name
        assert len(entities) <= 100, name
        assert sum(len(row) for row in view.keyboard) <= 100, name
        for row in view.keyboard:
            assert len(row) <= 8, name
            for button in row:
                assert 1 <= len(button.data.encode()) <= 64, name
                assert callbacks.decode(button.data) is not None, name
                # fits a phone screen without being cut
                assert 0 < len(button.label) <= 36, (name, button.label)


def test_questions_fit_on_a_phone_screen(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator
) -> None:
    for name, view in screens(flow, guide, renderer, ru):
        # The full answer is one message by design; questions stay short.
        limit = 2500 if name.startswith(("answer", "dispute")) else 600
        plain, _ = parse_html(view.text)
        assert len(plain) <= limit, (name, len(plain))


@pytest.mark.parametrize("route", list(Route))
def test_answer_has_everything_the_buyer_needs(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator, route: Route
) -> None:
    seed_ru_labels = {
        "not_received": "товар не получен",
        "payment": "оплата не получена",
        "not_as_described": "описание не соответствует действительности либо не полное",
        "ipr": "нарушено авторское право",
        "pictures": "воровство картинок",
        "rules": "нарушение правил торговли Алиэкспресс",
    }
    form_labels = {
        "not_received": "Products not received",
        "payment": "Payment not received",
        "not_as_described": "Products not as described",
        "ipr": "Intellectual Property Rights (IPR) Infringement",
        "pictures": "Picture stealing",
        "rules": "Violation of AliExpress Trade Rules",
    }
    for problem in guide.problems:
        session = replace(
            BASE, step=Step.ANSWER, route=route, problem=problem.id, box=problem.box.id
        )
        plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
        box = problem.box.id
        assert f"«{seed_ru_labels[box]}»" in plain
        assert form_labels[box] in plain
        assert "«Помощь»" in plain
        assert "«Подать жалобу»" in plain
        assert "Сейчас" in plain  # today's route, flagged as such
        assert "Disputes & Reports" in plain
        assert "Жалоба сама по себе деньги не возвращает" in plain
        assert "buyer@aliexpress.com" in plain
        assert "smallbizhelp@service.alibaba.com" in plain
        assert "из справочника" in plain  # the addresses are marked as the guide's
        unboxing = "Видео распаковки" in plain
        assert unboxing == (problem.id in {"broken", "wrong_variant", "poor_quality", "fake"})
        assert "Никогда не платите продавцу и не общайтесь с ним в обход AliExpress" in plain
        for line in problem.evidence:
            assert ru.raw("guide", line) in plain
        buttons = [
            b.label
            for row in renderer.view(flow.screen(session), session, ru).keyboard
            for b in row
        ]
        assert buttons == ["Готовый текст на английском", "Другая проблема", "Начать заново"]


def test_plan_b_answers_say_dispute_first(flow: Flow, renderer: Renderer, ru: Translator) -> None:
    session = replace(
        BASE, step=Step.ANSWER, route=Route.PLAN_B, problem="broken", box="not_as_described"
    )
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Если вы ещё не открыли спор, начните с него." in plain


def test_dispute_advice_has_steps_evidence_and_no_complaint_needed(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DISPUTE, answers={"confirmed": NO, "protection": YES})
    view = renderer.view(flow.screen(session), session, ru)
    plain, _ = parse_html(view.text)
    assert "жалоба пока не нужна" in plain
    assert "«Открыть спор»" in plain
    assert "Что собрать" in plain
    assert "2–3 дня" in plain
    assert [b.label for row in view.keyboard for b in row] == [
        "Посчитать сроки",
        "Готовый текст на английском",
        "Всё равно: как подать жалобу",
        "Начать заново",
    ]


def test_after_confirmation_dispute_is_flagged_as_today(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DISPUTE, answers={"confirmed": YES, "recent": YES})
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Сейчас спор можно открыть в течение 15 дней после подтверждения" in plain
    assert "запасной вариант" in plain


def test_interpolated_values_are_escaped(ru: Translator) -> None:
    text = ru.pgettext("answer", "%(email)s: %(who)s", email="<b>x&y</b>", who="a < b")
    assert text == "&lt;b&gt;x&amp;y&lt;/b&gt; — a &lt; b"
    parse_html(text)


def test_in_a_group_the_problem_question_asks_for_a_button_only(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.PROBLEM, route=Route.LATE)
    private = renderer.view(flow.screen(session), session, ru)
    group = renderer.view(flow.screen(session), session, ru, private_link="https://t.me/b?start=x")
    assert "своими словами" in private.text
    assert "своими словами" not in group.text
    assert group.keyboard[-1][0].url == "https://t.me/b?start=x"


def test_the_date_question_follows_what_was_asked(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    # Same step, same everything else: the question must still differ (it is not cached
    # across people who were asked different things).
    protection = replace(BASE, step=Step.DEADLINE, answers={"deadline_kind": "protection"})
    confirmed = replace(BASE, step=Step.DEADLINE, answers={"deadline_kind": "confirmed_on"})
    first = renderer.view(flow.screen(confirmed), confirmed, ru).text
    second = renderer.view(flow.screen(protection), protection, ru).text
    assert "Когда вы подтвердили получение?" in first
    assert "Когда заканчивается защита покупателя?" in second
