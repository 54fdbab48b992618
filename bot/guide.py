"""The complaint guide: boxes, problems, steps, addresses and the facts about AliExpress,
loaded from ``data/guide.toml``, with the sources behind them from ``data/sources.toml``.

Pure: no ``telegram`` import, no I/O beyond reading the files once. Sentences stay in English
source form here; :mod:`bot.render` translates them through the catalogs.

Every statement about AliExpress is a :class:`Statement`: its text and the ids of the sources
that say it (``seed`` for the guide the bot started from). Loading refuses a statement without
a source, or naming a source that is not in ``data/sources.toml``.
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


#: The source id of the seed guide itself.
SEED = "seed"


@dataclass(frozen=True, slots=True)
class Source:
    """A public page a statement comes from, as it was read on ``checked``."""

    id: str
    title: str
    url: str
    says: tuple[str, ...]  # short quotes, verbatim, in the page's language
    language: str
    official: bool  # a page of AliExpress or Alibaba itself
    checked: str  # ISO date


@dataclass(frozen=True, slots=True)
class Statement:
    """One sentence the bot says about AliExpress (English source text) and its sources."""

    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Box:
    """A checkbox on the AliExpress complaint form."""

    id: str
    form_label: str
    today: Statement | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """What went wrong, in the buyer's words; maps to exactly one box."""

    id: str
    box: Box
    button: str
    title: str
    statement: str  # one English sentence for the ready text
    #: The words buyers use for it (data/understanding.toml): language → group → phrases.
    words: Mapping[str, Mapping[str, tuple[str, ...]]]
    evidence: tuple[Statement, ...]

    @property
    def keywords(self) -> Iterator[tuple[str, str]]:
        """Every phrase with its group, in every language."""
        for groups in self.words.values():
            for group, phrases in groups.items():
                for phrase in phrases:
                    yield phrase, group


@dataclass(frozen=True, slots=True)
class Rules:
    """How several problems in one message resolve to the main one (understanding.toml)."""

    priority: tuple[str, ...]  # problem ids, the main one first
    item_problems: frozenset[str]  # problems with what arrived
    arrived: tuple[str, ...]  # words saying the parcel came, in every language
    max_candidates: int  # problems offered as buttons when nothing matched for sure


@dataclass(frozen=True, slots=True)
class Link:
    """A page of aliexpress.com the advice offers as a button."""

    id: str
    label: str  # English source text of the button
    url: str
    found: str  # where the address comes from


@dataclass(frozen=True, slots=True)
class Address:
    email: str
    who: Statement


@dataclass(frozen=True, slots=True)
class Guide:
    boxes: tuple[Box, ...]
    problems: tuple[Problem, ...]
    answer_keywords: Mapping[str, Mapping[str, tuple[str, ...]]]
    seed_steps: tuple[Statement, ...]
    today_steps: tuple[Statement, ...]
    dispute_steps: tuple[Statement, ...]
    dispute_evidence: tuple[Statement, ...]
    dispute_warnings: tuple[Statement, ...]
    addresses: tuple[Address, ...]
    ready_text: Mapping[str, str]  # English templates: complaint, dispute, protection_end
    rules: Rules
    links: Mapping[str, Link]
    #: Statements the screens use by name (``[facts.<name>]``).
    facts: Mapping[str, Statement]
    sources: Mapping[str, Source]

    def fact(self, name: str) -> Statement:
        return self.facts[name]

    def statements(self) -> Iterator[Statement]:
        """Every statement about AliExpress the guide holds."""
        yield from (b.today for b in self.boxes if b.today is not None)
        for problem in self.problems:
            yield from problem.evidence
        yield from self.seed_steps
        yield from self.today_steps
        yield from self.dispute_steps
        yield from self.dispute_evidence
        yield from self.dispute_warnings
        yield from (a.who for a in self.addresses)
        yield from self.facts.values()

    def problem(self, problem_id: str) -> Problem:
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        raise KeyError(problem_id)

    def box(self, box_id: str) -> Box:
        for box in self.boxes:
            if box.id == box_id:
                return box
        raise KeyError(box_id)

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


def _statement(raw: Any, where: str) -> Statement:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"]:
        raise GuideError(f'{where}: expected {{ text = "…", sources = ["S1", …] }}')
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise GuideError(f"{where}: the statement names no source: {raw['text']!r}")
    return Statement(raw["text"], _strings(sources, f"{where}.sources"))


def _statements(raw: Any, where: str) -> tuple[Statement, ...]:
    if not isinstance(raw, list) or not raw:
        raise GuideError(f"{where}: expected a non-empty list of statements")
    return tuple(_statement(item, f"{where}[{i}]") for i, item in enumerate(raw))


def parse_sources(raw: Mapping[str, Any]) -> dict[str, Source]:
    """Build the sources from the decoded ``data/sources.toml``."""
    try:
        sources = [
            Source(
                id=s["id"],
                title=s["title"],
                url=s["url"],
                says=_strings(s["says"], f"sources.{s['id']}.says"),
                language=s["language"],
                official=bool(s["official"]),
                checked=s["checked"],
            )
            for s in raw["sources"]
        ]
    except KeyError as exc:
        raise GuideError(f"data/sources.toml: missing key {exc}") from exc
    by_id = {s.id: s for s in sources}
    if len(by_id) != len(sources):
        raise GuideError("data/sources.toml: duplicate source id")
    for source in sources:
        if not source.url.startswith(("https://", "http://")):
            raise GuideError(f"data/sources.toml: {source.id} has no http(s) link")
    return by_id


def _words(raw: Any, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(raw, dict) or not raw:
        raise GuideError(f"{where}: expected keywords per language")
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    for language, groups in raw.items():
        if not isinstance(groups, dict) or not groups:
            raise GuideError(f"{where}.{language}: expected keywords per group")
        words[language] = {
            group: _strings(phrases, f"{where}.{language}.{group}")
            for group, phrases in groups.items()
        }
    return words


def _rules(raw: Mapping[str, Any], problem_ids: set[str]) -> Rules:
    try:
        rules = Rules(
            priority=_strings(raw["priority"], "rules.priority"),
            item_problems=frozenset(_strings(raw["item_problems"], "rules.item_problems")),
            arrived=tuple(w for ws in raw["arrived"].values() for w in _strings(ws, "arrived")),
            max_candidates=int(raw["max_candidates"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GuideError(f"data/understanding.toml [rules]: {exc}") from exc
    if set(rules.priority) != problem_ids:
        raise GuideError(f"rules.priority must name every problem once: {sorted(problem_ids)}")
    if not rules.item_problems <= problem_ids:
        raise GuideError("rules.item_problems names an unknown problem")
    return rules


def parse_guide(
    raw: Mapping[str, Any], sources: Mapping[str, Source], understanding: Mapping[str, Any]
) -> Guide:
    """Build a :class:`Guide` from the decoded TOML files, checking their invariants."""
    try:
        vocab = understanding["words"]
        boxes = tuple(
            Box(
                id=b["id"],
                form_label=b["form_label"],
                today=_statement(b["today"], f"boxes.{b['id']}.today") if "today" in b else None,
            )
            for b in raw["boxes"]
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
                words=_words(vocab.get(p["id"]), f"words.{p['id']}"),
                evidence=_statements(p["evidence"], f"problems.{p['id']}.evidence"),
            )
            for p in raw["problems"]
        )
        unused = {b.id for b in boxes} - {p.box.id for p in problems}
        if unused:
            raise GuideError(f"boxes no problem maps to: {sorted(unused)}")
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
            seed_steps=_statements(raw["complaint"]["seed_steps"], "complaint.seed_steps"),
            today_steps=_statements(raw["complaint"]["today_steps"], "complaint.today_steps"),
            dispute_steps=_statements(raw["dispute"]["steps"], "dispute.steps"),
            dispute_evidence=_statements(raw["dispute"]["evidence"], "dispute.evidence"),
            dispute_warnings=_statements(raw["dispute"]["warnings"], "dispute.warnings"),
            addresses=tuple(
                Address(email=a["email"], who=_statement(a["who"], f"addresses.{a['email']}"))
                for a in raw["addresses"]
            ),
            ready_text={k: str(v) for k, v in raw["ready_text"].items()},
            rules=_rules(understanding["rules"], {p.id for p in problems}),
            links={
                link["id"]: Link(link["id"], link["label"], link["url"], link["found"])
                for link in raw["links"]
            },
            facts={name: _statement(fact, f"facts.{name}") for name, fact in raw["facts"].items()},
            sources=dict(sources),
        )
    except KeyError as exc:
        raise GuideError(f"missing or unknown key: {exc}") from exc
    if len({p.id for p in problems}) != len(problems):
        raise GuideError("duplicate problem id")
    for link in guide.links.values():
        if not link.url.startswith("https://") or ".aliexpress.com/" not in link.url:
            raise GuideError(f"links.{link.id}: not an https:// page of aliexpress.com")
    for statement in guide.statements():
        unknown = [s for s in statement.sources if s not in sources]
        if unknown:
            raise GuideError(f"unknown source {unknown} for {statement.text!r}")
    return guide


def load_guide(folder: Path | None = None) -> Guide:
    """Load ``guide.toml`` and ``sources.toml`` from ``data/`` (or the copies inside an
    installed wheel)."""
    folder = folder or resource_path("data")
    with (folder / "sources.toml").open("rb") as fh:
        sources = parse_sources(tomllib.load(fh))
    with (folder / "understanding.toml").open("rb") as fh:
        understanding = tomllib.load(fh)
    with (folder / "guide.toml").open("rb") as fh:
        return parse_guide(tomllib.load(fh), sources, understanding)


def _translatable(raw: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (context, msgid) for every sentence of the decoded guide."""
    for box in raw.get("boxes", []):
        yield BOX_CONTEXT, box["form_label"]
        if "today" in box:
            yield GUIDE_CONTEXT, box["today"]["text"]
    for problem in raw.get("problems", []):
        yield GUIDE_CONTEXT, problem["button"]
        yield GUIDE_CONTEXT, problem["title"]
        yield READY_TEXT_CONTEXT, problem["statement"]
        for line in problem["evidence"]:
            yield GUIDE_CONTEXT, line["text"]
    for section in ("complaint", "dispute"):
        for lines in raw.get(section, {}).values():
            for line in lines:
                yield GUIDE_CONTEXT, line["text"]
    for address in raw.get("addresses", []):
        yield GUIDE_CONTEXT, address["who"]["text"]
    for fact in raw.get("facts", {}).values():
        yield GUIDE_CONTEXT, fact["text"]
    for link in raw.get("links", []):
        yield GUIDE_CONTEXT, link["label"]
    for template in raw.get("ready_text", {}).values():
        yield READY_TEXT_CONTEXT, template


def extract_guide_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor for ``data/guide.toml`` (wired in ``babel.cfg``)."""
    raw = tomllib.loads(fileobj.read().decode("utf-8"))
    for context, msgid in _translatable(raw):
        yield 0, "pgettext", (context, msgid), []
