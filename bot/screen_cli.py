"""`python -m bot screen`: run the crisis screen over messages from standard input, or score it on a labelled file.

    python -m bot screen < messages.txt                 one JSON line per message: {"tier": 0-3, "categories": [...]}
    python -m bot screen --eval data/crisis/eval.jsonl  precision and recall per tier, the false-positive rate on
                                                        tier-0 messages and the confusion matrix
    python -m bot screen --eval FILE --errors           ... and every message the screen got wrong

Nothing is stored or sent anywhere: the screen reads each line, prints its finding and forgets the text.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.domain.crisis import Screen
from bot.domain.datafiles import DataFileError

TIERS = (0, 1, 2, 3)


class EvalFileError(Exception):
    """The evaluation file is missing or a line is not a labelled message; the text says which, kindly."""


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    tier: int
    kind: str | None = None
    lang: str | None = None


@dataclass
class Scores:
    """What the screen found on a labelled set, and the figures the acceptance criteria name."""

    version: str
    matrix: Counter[tuple[int, int]] = field(default_factory=Counter)  # (labelled, screened) -> count
    wrong: list[tuple[Labelled, int]] = field(default_factory=list)
    by_kind: Counter[tuple[str, bool]] = field(default_factory=Counter)

    def add(self, item: Labelled, screened: int) -> None:
        self.matrix[item.tier, screened] += 1
        if item.kind:
            self.by_kind[item.kind, screened == item.tier] += 1
        if screened != item.tier:
            self.wrong.append((item, screened))

    def count(self, labelled: Iterable[int], screened: Iterable[int]) -> int:
        wanted = set(screened)
        return sum(n for (lab, got), n in self.matrix.items() if lab in set(labelled) and got in wanted)

    @property
    def total(self) -> int:
        return sum(self.matrix.values())

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def precision(self, tiers: Sequence[int]) -> float | None:
        return self._ratio(self.count(tiers, tiers), self.count(TIERS, tiers))

    def recall(self, tiers: Sequence[int]) -> float | None:
        return self._ratio(self.count(tiers, tiers), self.count(tiers, TIERS))

    def false_positive_rate(self, *, at_least: int = 1) -> float | None:
        """Share of tier-0 messages the screen put at `at_least` or higher."""
        return self._ratio(self.count((0,), range(at_least, 4)), self.count((0,), TIERS))


def read_labelled(path: Path) -> list[Labelled]:
    """Read a JSON-lines file of {"text", "tier"} (optional "kind", "lang"); `EvalFileError` says what is wrong."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalFileError(f"I couldn't find {path}. Check the path and try again.") from None
    except IsADirectoryError:
        raise EvalFileError(f"{path} is a folder; please give a .jsonl file.") from None
    except UnicodeDecodeError:
        raise EvalFileError(f"{path} is not UTF-8 text; please save it as UTF-8.") from None
    except OSError as exc:
        raise EvalFileError(f"I couldn't read {path} ({exc.strerror or exc}).") from None
    items: list[Labelled] = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {number} of {path}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise EvalFileError(
                f'{where} is not valid JSON. Each line should look like {{"text": "...", "tier": 0}}.'
            ) from None
        if not isinstance(row, dict):
            raise EvalFileError(f'{where} should be an object like {{"text": "...", "tier": 0}}.')
        text, tier = row.get("text"), row.get("tier")
        if not isinstance(text, str):
            raise EvalFileError(f'{where} needs a "text" that is a string.')
        if not isinstance(tier, int) or isinstance(tier, bool) or tier not in TIERS:
            raise EvalFileError(f'{where} needs a "tier" of 0, 1, 2 or 3.')
        kind, lang = row.get("kind"), row.get("lang")
        items.append(
            Labelled(text, tier, kind if isinstance(kind, str) else None, lang if isinstance(lang, str) else None)
        )
    if not items:
        raise EvalFileError(f"{path} has no labelled messages in it.")
    return items


def evaluate(screen: Screen, items: Iterable[Labelled]) -> Scores:
    scores = Scores(screen.version)
    for item in items:
        scores.add(item, screen.check(item.text).tier)
    return scores


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def report(scores: Scores, *, errors: bool = False) -> list[str]:
    """The evaluation as plain lines of text."""
    lines = [f"Crisis screen, lexicon {scores.version}: {scores.total} labelled messages", ""]
    lines.append("tier   precision  recall   labelled  screened")
    for tier in TIERS:
        lines.append(
            f"{tier:<6} {_percent(scores.precision((tier,))):>9}  {_percent(scores.recall((tier,))):>6}"
            f"   {scores.count((tier,), TIERS):>8}  {scores.count(TIERS, (tier,)):>8}"
        )
    flagged = (2, 3)
    lines.append(
        f"{'>=2':<6} {_percent(scores.precision(flagged)):>9}  {_percent(scores.recall(flagged)):>6}"
        f"   {scores.count(flagged, TIERS):>8}  {scores.count(TIERS, flagged):>8}"
    )
    lines.append("")
    zeros = scores.count((0,), TIERS)
    lines.append(
        f"false positives on tier 0: {_percent(scores.false_positive_rate())} "
        f"({scores.count((0,), (1, 2, 3))} of {zeros} screened at tier 1 or higher)"
    )
    lines.append(
        f"flagged tier-0 messages:   {_percent(scores.false_positive_rate(at_least=2))} "
        f"({scores.count((0,), flagged)} of {zeros} screened at tier 2 or higher)"
    )
    lines.append("")
    lines.append("confusion matrix (rows: labelled tier, columns: screened tier)")
    lines.append("        " + "".join(f"{tier:>7}" for tier in TIERS))
    for labelled in TIERS:
        row = "".join(f"{scores.matrix[labelled, screened]:>7}" for screened in TIERS)
        lines.append(f"{labelled:>7} " + row)
    if scores.by_kind:
        lines.append("")
        lines.append("by kind (right / total)")
        kinds = sorted({kind for kind, _ in scores.by_kind})
        for kind in kinds:
            right = scores.by_kind[kind, True]
            total = right + scores.by_kind[kind, False]
            lines.append(f"  {kind:<14} {right:>4} / {total:<4}")
    if errors and scores.wrong:
        lines.append("")
        lines.append("messages screened differently from their label (labelled -> screened):")
        for item, screened in scores.wrong:
            lines.append(f"  {item.tier} -> {screened}  {json.dumps(item.text, ensure_ascii=False)}")
    return lines


def screen_stream(screen: Screen, source: IO[bytes], out: IO[str]) -> int:
    """One JSON line per input line, in order. Empty lines are messages too (tier 0), so lines stay aligned."""
    for raw in source:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        finding = screen.check(text)
        out.write(json.dumps({"tier": finding.tier, "categories": list(finding.categories)}) + "\n")
    out.flush()
    return 0


def run_screen(
    eval_path: str | None = None,
    *,
    lexicon: str | None = None,
    errors: bool = False,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """The `screen` subcommand. Exit 0 on success, 2 (with a kind message) when a file is missing or malformed."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        screen = Screen.load(Path(lexicon) if lexicon else None)
    except DataFileError as exc:
        print(f"The crisis lexicon could not be loaded: {exc.path}: {exc.problem}", file=err)
        return 2
    if eval_path is None:
        return screen_stream(screen, stdin if stdin is not None else sys.stdin.buffer, out)
    try:
        items = read_labelled(Path(eval_path))
    except EvalFileError as exc:
        print(str(exc), file=err)
        return 2
    for line in report(evaluate(screen, items), errors=errors):
        print(line, file=out)
    return 0
