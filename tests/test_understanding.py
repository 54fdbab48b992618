"""What buyers type about their order → the problem, and why (data/understanding.toml).

The phrases are as buyers wrote them: the examples quoted in the issue tracker (from
reviews, forums and Q&A threads) and phrases of bench/corpus/buyer_phrases.jsonl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.guide import Guide
from bot.understanding import Understanding

CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus" / "buyer_phrases.jsonl"


@pytest.fixture(scope="module")
def understanding(guide: Guide) -> Understanding:
    return Understanding(guide)


@pytest.mark.parametrize(
    ("text", "problem", "phrase"),
    [
        # colour, size, quantity, a missing part, a symptom
        ("Заказывала белый цвет, пришёл какой то персиковый!", "wrong_variant", "заказывала цвет"),
        (
            "Платье большое заказала XXL, а на самом деле размера на 2 больше.",
            "wrong_variant",
            "на размер больше",
        ),
        ("Пуговицы не было", "poor_quality", "пуговица"),
        ("линяет!", "poor_quality", "линяет"),
        ("ткань тонкая, просвечивает", "poor_quality", "тонкий"),
        ("вещь пришла вся в пятнах", "broken", "пятна"),
        # tracking and delivery
        ("продавец отправляет товар и даёт нерабочий трек.", "not_arrived", "нерабочий трек"),
        ("не прислали товар. деньги вернул али", "not_arrived", "не прислали товар"),
        ("Товар не покинул страну отправки", "not_arrived", "не покинула страну отправки"),
        (
            "оформленный на AliExpress в начале месяца, с 15 декабря застрял на таможне",
            "not_arrived",
            "на таможне",
        ),
        # the form's own words for the IPR box
        ("нарушено авторское право", "fake", "нарушено авторское право"),
        ("нарушение авторских прав", "fake", "авторское право"),
        ("нарушен товарный знак", "fake", "товарный знак"),
        ("IPR Infringement", "fake", "ipr"),
        # a typo the dictionary does not know
        ("пасылка непришла", "not_arrived", "не пришла"),
    ],
)
def test_what_buyers_wrote_goes_to_its_problem_and_says_why(
    understanding: Understanding, text: str, problem: str, phrase: str
) -> None:
    reading = understanding.read(text)
    assert reading.problem == problem, reading.why
    assert reading.matched[problem][0] == phrase  # the phrase that decided


@pytest.mark.parametrize(
    ("text", "main", "also"),
    [
        # Not received is the main problem, whatever else went wrong around it.
        (
            "Товар не пришел, деньги не вернули! продавец мои жалобы проигнорировал.",
            "not_arrived",
            "other",
        ),
        ("посылка не пришла, продавец не отвечает", "not_arrived", "other"),
        # A problem with what came beats the seller's silence.
        ("прислали не тот размер, и продавец не отвечает", "wrong_variant", "other"),
    ],
)
def test_several_problems_resolve_to_the_main_one_by_priority(
    understanding: Understanding, text: str, main: str, also: str
) -> None:
    reading = understanding.read(text)
    assert reading.problem == main
    assert also in reading.matched
    assert "by priority" in reading.why


def test_a_parcel_that_came_is_not_a_parcel_that_did_not(understanding: Understanding) -> None:
    text = "посылка шла очень долго, наконец куртка пришла, но не тот размер"
    reading = understanding.read(text)
    assert "not_arrived" in reading.matched  # «долго идёт» did match…
    assert reading.problem == "wrong_variant"  # …but what came is the problem


def test_words_that_point_somewhere_give_the_likeliest_problems(
    understanding: Understanding,
) -> None:
    reading = understanding.read("ремешок порвался через день, пластик хлипкий")
    assert reading.problem is not None or reading.candidates
    nothing = understanding.read("здравствуйте, помогите пожалуйста")
    assert nothing.problem is None
    assert nothing.candidates == ()
    assert "no word" in nothing.why


def test_the_corpus_phrases_are_real_and_labelled() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 50
    labels = {
        "not_received",
        "payment",
        "not_as_described",
        "ipr",
        "pictures",
        "rules",
        "ambiguous",
    }
    for row in rows:
        assert row["box"] in labels, row
        assert row["url"].startswith(("https://", "http://")), row
        assert 3 <= len(row["text"]) <= 300, row
    assert len({r["text"] for r in rows}) == len(rows)
