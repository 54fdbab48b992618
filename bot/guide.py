"""The complaint guide: boxes, problems, steps and addresses, loaded from ``data/guide.toml``.

Pure: no ``telegram`` import, no I/O beyond reading the file once. Sentences stay in English
source form here; :mod:`bot.render` translates them through the catalogs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.resources import resource_path

#: gettext context of every sentence that comes from the guide.
GUIDE_CONTEXT = "guide"
#: gettext context of the boxes' labels: the msgid is the form label, the translation the
#: label the localized form shows (the seed's Russian wording).
BOX_CONTEXT = "box"
#: gettext context of the ready English texts: the msgid is what is sent to AliExpress,
#: the translation is shown underneath to explain it.
READY_TEXT_CONTEXT = "ready-text"


@dataclass(frozen=True, slots=True)
class Box:
    """A checkbox on the AliExpress complaint form."""

    id: str
    form_label: str
    today: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """What went wrong, in the buyer's words; maps to exactly one box."""

    id: str
    box: Box
    button: str
    title: str
    statement: str  # one English sentence for the ready text
    keywords: Mapping[str, tuple[str, ...]]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Address:
    email: str
    who: str


@dataclass(frozen=True, slots=True)
class Guide:
    boxes: tuple[Box, ...]
    problems: tuple[Problem, ...]
    answer_keywords: Mapping[str, Mapping[str, tuple[str, ...]]]
    seed_steps: tuple[str, ...]
    today_steps: tuple[str, ...]
    dispute_steps: tuple[str, ...]
    dispute_evidence: tuple[str, ...]
    dispute_facts: tuple[str, ...]  # what has changed since the seed
    dispute_warnings: tuple[str, ...]
    addresses: tuple[Address, ...]
    ready_text: Mapping[str, str]  # English templates: complaint, dispute, protection_end

    def problem(self, problem_id: str) -> Problem:
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        raise KeyError(problem_id)

    def has_problem(self, problem_id: str) -> bool:
        return any(p.id == problem_id for p in self.problems)


class GuideError(ValueError):
    """The guide file is malformed."""


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise GuideError(f"{where}: expected a non-empty list of strings")
    if not all(isinstance(s, str) and s.strip() for s in raw):
        raise GuideError(f"{where}: expected a list of non-empty strings")
    return tuple(raw)


def _keywords(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise GuideError(f"{where}: expected keywords per language")
    return {lang: _strings(words, f"{where}.{lang}") for lang, words in raw.items()}


def parse_guide(raw: Mapping[str, Any]) -> Guide:
    """Build a :class:`Guide` from the decoded TOML, checking its invariants."""
    try:
        boxes = tuple(
            Box(id=b["id"], form_label=b["form_label"], today=b.get("today")) for b in raw["boxes"]
        )
        by_id = {b.id: b for b in boxes}
        if len(by_id) != len(boxes):
            raise GuideError("duplicate box id")
        problems = tuple(
            Problem(
                id=p["id"],
                box=by_id[p["box"]],
                button=p["button"],
                title=p["title"],
                statement=p["statement"],
                keywords=_keywords(p["keywords"], f"problems.{p['id']}.keywords"),
                evidence=_strings(p["evidence"], f"problems.{p['id']}.evidence"),
            )
            for p in raw["problems"]
        )
        # Which kinds of answer there must be is the flow's business (Flow checks it).
        answers = raw["answers"]["keywords"]
        answer_keywords: dict[str, dict[str, tuple[str, ...]]] = {}
        for lang, kinds in answers.items():
            for kind, words in kinds.items():
                strings = _strings(words, f"answers.keywords.{lang}.{kind}")
                answer_keywords.setdefault(kind, {})[lang] = strings
        guide = Guide(
            boxes=boxes,
            problems=problems,
            answer_keywords=answer_keywords,
            seed_steps=_strings(raw["complaint"]["seed_steps"], "complaint.seed_steps"),
            today_steps=_strings(raw["complaint"]["today_steps"], "complaint.today_steps"),
            dispute_steps=_strings(raw["dispute"]["steps"], "dispute.steps"),
            dispute_evidence=_strings(raw["dispute"]["evidence"], "dispute.evidence"),
            dispute_facts=_strings(raw["dispute"]["facts"], "dispute.facts"),
            dispute_warnings=_strings(raw["dispute"]["warnings"], "dispute.warnings"),
            addresses=tuple(Address(email=a["email"], who=a["who"]) for a in raw["addresses"]),
            ready_text={k: str(v) for k, v in raw["ready_text"].items()},
        )
    except KeyError as exc:
        raise GuideError(f"missing or unknown key: {exc}") from exc
    if len({p.id for p in problems}) != len(problems):
        raise GuideError("duplicate problem id")
    unused = {b.id for b in boxes} - {p.box.id for p in problems}
    if unused:
        raise GuideError(f"boxes no problem maps to: {sorted(unused)}")
    return guide


def load_guide(path: Path | None = None) -> Guide:
    """Load the guide from ``data/guide.toml`` (or the copy inside an installed wheel)."""
    path = path or resource_path("data") / "guide.toml"
    with path.open("rb") as fh:
        return parse_guide(tomllib.load(fh))


def _translatable(raw: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (context, msgid) for every sentence of the decoded guide."""
    for box in raw.get("boxes", []):
        yield BOX_CONTEXT, box["form_label"]
        if "today" in box:
            yield GUIDE_CONTEXT, box["today"]
    for problem in raw.get("problems", []):
        yield GUIDE_CONTEXT, problem["button"]
        yield GUIDE_CONTEXT, problem["title"]
        yield READY_TEXT_CONTEXT, problem["statement"]
        for line in problem["evidence"]:
            yield GUIDE_CONTEXT, line
    for section in ("complaint", "dispute"):
        for lines in raw.get(section, {}).values():
            for line in lines:
                yield GUIDE_CONTEXT, line
    for address in raw.get("addresses", []):
        yield GUIDE_CONTEXT, address["who"]
    for template in raw.get("ready_text", {}).values():
        yield READY_TEXT_CONTEXT, template


def extract_guide_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor for ``data/guide.toml`` (wired in ``babel.cfg``)."""
    raw = tomllib.loads(fileobj.read().decode("utf-8"))
    for context, msgid in _translatable(raw):
        yield 0, "pgettext", (context, msgid), []
