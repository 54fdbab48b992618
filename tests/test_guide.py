"""The guide file: its invariants are checked when it loads, with a clear message."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from bot.flow import Flow
from bot.guide import Guide, GuideError, parse_guide
from bot.resources import resource_path


def understanding() -> dict[str, Any]:
    with (resource_path("data") / "understanding.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture
def raw() -> dict[str, Any]:
    with (resource_path("data") / "guide.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_the_six_boxes_of_the_form(raw: dict[str, Any], guide: Guide) -> None:
    guide = parse_guide(raw, guide.sources, understanding())
    assert [(b.id, b.form_label) for b in guide.boxes] == [
        ("not_received", "Products not received"),
        ("payment", "Payment not received"),
        ("not_as_described", "Products not as described"),
        ("ipr", "Intellectual Property Rights (IPR) Infringement"),
        ("pictures", "Picture stealing"),
        ("rules", "Violation of AliExpress Trade Rules"),
    ]


def test_a_box_no_problem_leads_to_is_refused(raw: dict[str, Any], guide: Guide) -> None:
    broken = copy.deepcopy(raw)
    broken["problems"] = [p for p in broken["problems"] if p["box"] != "pictures"]
    with pytest.raises(GuideError, match="pictures"):
        parse_guide(broken, guide.sources, understanding())


def test_a_missing_kind_of_answer_is_named(raw: dict[str, Any], guide: Guide) -> None:
    broken = copy.deepcopy(raw)
    for kinds in broken["answers"]["keywords"].values():
        del kinds["remind"]
    with pytest.raises(GuideError, match="remind"):
        Flow(parse_guide(broken, guide.sources, understanding()))


def test_a_problem_without_keywords_is_refused(raw: dict[str, Any], guide: Guide) -> None:
    words = understanding()
    words["words"]["not_arrived"]["ru"]["delivery"] = []
    with pytest.raises(GuideError, match="not_arrived"):
        parse_guide(raw, guide.sources, words)
    del words["words"]["not_arrived"]
    with pytest.raises(GuideError, match="keywords"):
        parse_guide(raw, guide.sources, words)


def test_the_priority_names_every_problem(raw: dict[str, Any], guide: Guide) -> None:
    words = understanding()
    words["rules"]["priority"].remove("photos")
    with pytest.raises(GuideError, match="priority"):
        parse_guide(raw, guide.sources, words)
