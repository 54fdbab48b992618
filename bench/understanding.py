"""How well the bot understands what buyers wrote: each phrase of the corpus is typed at
«Что случилось?», as in ``python -m bot --console``, and the box it leads to is compared
with the box the phrase was labelled with.

    python bench/understanding.py            # a table per box
    python bench/understanding.py --json     # one JSON object
    python bench/understanding.py --misses   # also every phrase that went wrong, and why

Outcomes: *right* (the labelled box's answer), *wrong* (another box's answer), *asked*
(the likeliest problems offered as buttons; *asked, offered* when the right one is among
them), *not understood* (the question asked again). Phrases labelled "ambiguous" are
counted apart. The corpus is ``bench/corpus/buyer_phrases.jsonl``: phrases buyers wrote,
verbatim, each with the page it comes from (see ``bench/corpus/README.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.flow import Context, Flow, ScreenKind, Session  # noqa: E402
from bot.guide import load_guide  # noqa: E402

CORPUS = ROOT / "bench" / "corpus" / "buyer_phrases.jsonl"
OUTCOMES = ("right", "wrong", "asked, offered", "asked", "not understood")


def at_the_problem_question(flow: Flow) -> Session:
    """A conversation at «Что случилось?» (receipt confirmed long ago: the complaint)."""
    ctx = Context(chat_id=1, user_id=1, language="ru", now=1_796_360_000.0, update_id=1)
    session = flow.begin(None, ctx).session
    for n, choice in enumerate(("yes", "no"), start=2):
        assert session is not None
        pressed = replace(ctx, update_id=n, message_id=1)
        session = flow.press(session, session.seq, choice, pressed).session
    assert session is not None
    assert session.step.value == "problem", session
    return session


def outcome(flow: Flow, session: Session, text: str, box: str) -> tuple[str, str]:
    """What typing ``text`` at the question leads to, and the box or choices it shows."""
    ctx = Context(chat_id=1, user_id=1, language="ru", now=1_796_360_100.0, update_id=99)
    t = flow.say(session, text, ctx)
    new = t.session
    screen = t.screen
    # By value, so that this script also measures earlier versions of the bot (before/after).
    if new is not None and new.box is not None and new.step.value in ("answer", "unpaid"):
        return ("right" if new.box == box else "wrong"), new.box
    if screen is not None and screen.kind is ScreenKind.PROBLEM and new is not None:
        offered = {flow.guide.problem(c.removeprefix("p.")).box.id for c in screen.choices[:-1]}
        if new.answers.get("candidates"):
            shown = ",".join(sorted(offered))
            return ("asked, offered" if box in offered else "asked"), shown
    return "not understood", ""


def measure(corpus: Path = CORPUS) -> dict[str, Any]:
    flow = Flow(load_guide())
    start = at_the_problem_question(flow)
    by_box: dict[str, Counter[str]] = defaultdict(Counter)
    misses = []
    ambiguous: Counter[str] = Counter()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        result, shown = outcome(flow, start, row["text"], row["box"])
        if row["box"] == "ambiguous":
            ambiguous[result if result != "wrong" else "answered"] += 1
            continue
        by_box[row["box"]][result] += 1
        if result != "right":
            understanding = getattr(flow, "understanding", None)  # earlier versions: none
            why = understanding.read(row["text"]).why if understanding else ""
            misses.append(
                {"text": row["text"], "box": row["box"], "got": result, "shown": shown, "why": why}
            )
    total: Counter[str] = Counter()
    for counts in by_box.values():
        total.update(counts)
    n = sum(total.values())
    return {
        "phrases": n,
        "right": total["right"],
        "right_share": round(total["right"] / n, 3) if n else 0.0,
        "by_outcome": {o: total[o] for o in OUTCOMES},
        "by_box": {box: {o: c[o] for o in OUTCOMES} for box, c in sorted(by_box.items())},
        "ambiguous": dict(ambiguous),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--misses", action="store_true", help="list what did not go right")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    result = measure(args.corpus)
    if args.json:
        if not args.misses:
            result.pop("misses")
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{result['phrases']} phrases: {result['right']} right ({result['right_share']:.0%})")
    print(f"{'box':<18}" + "".join(f"{o:>16}" for o in OUTCOMES))
    for box, counts in result["by_box"].items():
        print(f"{box:<18}" + "".join(f"{counts[o]:>16}" for o in OUTCOMES))
    print(f"{'all':<18}" + "".join(f"{result['by_outcome'][o]:>16}" for o in OUTCOMES))
    print(f"ambiguous phrases: {result['ambiguous']}")
    if args.misses:
        for miss in result["misses"]:
            print(
                f"- [{miss['box']} → {miss['got']} {miss['shown']}] {miss['text'][:100]!r}"
                f"  ({miss['why']})"
            )


if __name__ == "__main__":
    main()
