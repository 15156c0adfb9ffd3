"""The crisis screen: one message in, a tier and the categories behind it out. Pure, offline, fast.

How a message is read:

1. :func:`~bot.domain.crisis.folding.normalize` folds it into plain tokens; a masked word (``s*icide``)
   is resolved against the lexicon's own words.
2. **First pass**: one Aho-Corasick matcher finds every risk phrase of the lexicon. Most messages stop here
   with tier 0: nothing matched, or only modifiers that never count alone (``tonight``, ``pills``), which is
   why the screen is fast.
3. **Second pass**, only for messages with a risk phrase: the same kind of matcher finds the context words
   (negation, subjects, laughter, gaming, fiction, news, past and recovery, idioms).
4. **Context rules** decide, for each risk phrase, whose risk it speaks of and whether it counts:

   - a phrase inside an idiom does not count (``to die for``, ``die of embarrassment``, ``suicide squad``);
   - the subject is the nearest person word before the phrase in the same sentence: the speaker (``i``,
     ``je``, ``ich``), someone they know (``she``, ``my brother``: concern for another), nobody in particular
     or the person spoken to (``are you``, ``someone who``: not counted); with no subject, the speaker;
   - jest: a phrase often used as a joke does not count with laughter and a trivial cause or an
     exaggerating construction (``mondays make me want to die lol``), nor in game talk (``kms that boss``),
     unless the message also insists (``fr``, ``not joking``) or names a time, a means or a goodbye;
   - quoted or reported words, news, lessons, fiction and lyrics do not count as the speaker's own risk;
   - negation (``not``, ``never``, ``nunca``... within a few words before the phrase, in the same clause)
     cancels ideation and distress, but never clears what would be imminent (a plan, a means, a time): such
     a message is lowered to tier 2, not cleared;
   - a past told as recovered (``two years ago I wanted to die, today I'm doing better``) does not count; a
     past without recovery counts as distress; a recent attempt (``last night``) is tier 3;
   - a goodbye in an everyday context (``see you tomorrow``, ``going to bed``) is not a farewell.

5. **Tiers**: 3 when a tier-3 phrase counts; or ideation comes with a means, a plan or a goodbye (active
   ideation also with a time: ``i hope i don't wake up tomorrow`` stays 2); or a plan, goodbye or attempt hint
   comes with a means; or a goodbye or attempt hint with distress; or two such hints come with a time, a means
   or distress (three need nothing more); or someone else's risk comes with a time, a means or a sign such as
   ``she's not answering her phone``. 2 for ideation, present self-harm or concern for someone the writer
   knows; 1 for distress; 0 otherwise. Everyday modifiers ("soft": ``thank you for everything``, ``i'm
   sorry``) only ever raise ideation.

The screen holds no state between calls, so one instance is safe to share between threads and tasks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.domain.crisis.folding import BOUNDARY, MASK, QUOTE, normalize
from bot.domain.crisis.lexicon import INTENTS, ContextTerm, Lexicon, RiskTerm, default_lexicon_path, load_lexicon

_INTENT = INTENTS
_SUBJECT_KINDS = ("self", "other", "relation", "generic", "you")
_DISCUSSION = ("fiction", "lyrics", "news")


@dataclass(frozen=True, slots=True)
class Finding:
    """What the screen found in one message: a tier (0-3) and the categories behind it, sorted."""

    tier: int
    categories: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        """Whether the message calls for a response (ideation or worse)."""
        return self.tier >= 2


NOTHING = Finding(0, ())


@dataclass(slots=True)
class _Hit:
    first: int
    last: int
    term: RiskTerm
    owner: str = ""
    tier: int = 0
    category: str = ""
    negated: bool = False


class _Context:
    """The context phrases of one message, by kind, as (first token, last token) spans in order."""

    __slots__ = ("spans",)

    def __init__(self, hits: Iterable[tuple[int, int, ContextTerm]]) -> None:
        self.spans: dict[str, list[tuple[int, int]]] = {}
        for first, last, term in hits:
            self.spans.setdefault(term.kind, []).append((first, last))

    def has(self, *kinds: str) -> bool:
        return not self.spans.keys().isdisjoint(kinds)

    def within(self, kind: str, start: int, end: int) -> bool:
        """Whether a phrase of `kind` lies within tokens start..end (inclusive)."""
        return any(first >= start and last <= end for first, last in self.spans.get(kind, ()))

    def overlaps(self, kind: str, first: int, last: int) -> bool:
        return any(a <= last and b >= first for a, b in self.spans.get(kind, ()))


class Screen:
    """The crisis screen over one loaded lexicon. `check` is pure and safe to call from any thread."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._risk = lexicon.risk
        self._context = lexicon.context
        self._negation_window = lexicon.negation_window
        self._subject_window = lexicon.subject_window

    @classmethod
    def load(cls, path: Path | None = None) -> Screen:
        """Load the lexicon (default: the repository's `data/crisis/lexicon.toml`); `DataFileError` if malformed.

        Compiling the lexicon takes a fraction of a second, and every bot (one per test) loads it, so an
        unchanged file (same path, size and modification time) gives back the same immutable screen.
        """
        path = (path if path is not None else default_lexicon_path()).resolve()
        try:
            stat = path.stat()
        except OSError:
            return cls(load_lexicon(path))  # raises the DataFileError that names the problem
        return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)

    @property
    def version(self) -> str:
        """The lexicon's version string, reported with findings so a change of wording can be traced."""
        return self._lexicon.version

    @property
    def lexicon(self) -> Lexicon:
        return self._lexicon

    # ---- matching -------------------------------------------------------------------------------------

    def _unmask(self, text: str) -> str:
        """Replace each word with hidden letters (``s*icide``) by the one lexicon word it can only be."""
        words = text.split(" ")
        for index, word in enumerate(words):
            if MASK not in word:
                continue
            stripped = word.strip(MASK)
            if MASK not in stripped or not stripped:
                words[index] = stripped
                continue
            for candidate in self._lexicon.vocabulary.get(len(stripped), ()):
                if all(m in (MASK, c) for m, c in zip(stripped, candidate, strict=True)):
                    words[index] = candidate
                    break
            else:
                words[index] = stripped.replace(MASK, "")
        return " ".join(words)

    @staticmethod
    def _spans(automaton: object, text: str) -> list[tuple[int, int, object]]:
        """Every match as (first token, last token, value); tokens are counted as the matches go."""
        found: list[tuple[int, int, object]] = []
        spaces = 0
        position = 0
        for end, (_key_length, terms) in automaton.iter(text):  # type: ignore[attr-defined]
            spaces += text.count(" ", position, end)
            position = end
            last = spaces - 1
            for term in terms:
                found.append((last - term.length + 1, last, term))
        return found

    def check(self, text: str) -> Finding:
        """Screen one message."""
        # A final boundary, so that phrases written to end a sentence ("i'm sorry .") match at the very end too.
        norm = normalize(text) + ". "
        if MASK in norm:
            norm = self._unmask(norm)
        raw = self._spans(self._risk, norm)
        # Most everyday messages stop here: nothing matched, or only words such as "tonight" or "pills"
        # that count alongside a risk phrase and never on their own.
        if all(term.inert for _, _, term in raw):  # type: ignore[attr-defined]
            return NOTHING
        hits = [_Hit(first, last, term) for first, last, term in raw]  # type: ignore[arg-type]
        context = _Context(self._spans(self._context, norm) if len(self._context) else ())  # type: ignore[arg-type]
        return self._judge(norm.split(), hits, context)

    # ---- context rules --------------------------------------------------------------------------------

    def _judge(self, tokens: Sequence[str], hits: list[_Hit], context: _Context) -> Finding:
        bounds = [i for i, token in enumerate(tokens) if token == BOUNDARY]
        quotes = [i for i, token in enumerate(tokens) if token == QUOTE]
        clause_starts = sorted({i + 1 for i in bounds} | {first for first, _ in context.spans.get("clause", ())})

        def sentence(i: int) -> tuple[int, int]:
            k = bisect_left(bounds, i)
            start = bounds[k - 1] + 1 if k else 0
            end = bounds[k] - 1 if k < len(bounds) else len(tokens) - 1
            return start, end

        def clause(i: int) -> int:
            k = bisect_right(clause_starts, i)
            return clause_starts[k - 1] if k else 0

        hits = [hit for hit in _outermost(hits) if not context.overlaps("idiom", hit.first, hit.last)]
        modifiers_present = any(
            hit.term.tier == 0 and hit.term.category != "timing" and "soft" not in hit.term.flags for hit in hits
        )
        # A joke needs more than laughter: a trivial cause or an exaggerating construction with it.
        jesting = not context.has("serious") and (
            (context.has("laughter") and context.has("trivial", "hyperbole"))
            or (context.has("trivial") and context.has("hyperbole"))
        )
        discussion = context.has(*_DISCUSSION)
        everyday_goodbye = context.has("benign_goodbye")
        long_ago = context.has("past") and not context.has("current")
        recovered = context.has("recovery") and not context.has("current")
        unknown_people = context.has("generic") and not context.has("relation")
        kept: list[_Hit] = []
        for hit in hits:
            term = hit.term
            start, end = sentence(hit.first)
            hit.tier, hit.category = term.tier, term.category
            if term.category == "goodbye" and everyday_goodbye:
                continue
            if term.tier == 0:
                hit.owner = {"self": "self", "other": "other"}.get(term.person, "shared")
                if term.category in ("means", "method") and context.within("gaming", start, end):
                    continue
                kept.append(hit)
                continue
            explicit = term.person == "self"
            if term.person == "any":
                subject = self._subject(context, hit.first, start)
                explicit = subject == "self"
                if subject is None:
                    if "explicit" in term.flags:
                        continue
                    subject = "self"
                hit.owner = "other" if subject == "relation" else subject
            else:
                hit.owner = term.person
            if hit.owner in ("generic", "you"):
                continue
            if "jest" in term.flags and not modifiers_present and (jesting or context.within("gaming", start, end)):
                continue
            if _inside_quotes(quotes, hit.first, hit.last):
                opening = quotes[bisect_left(quotes, hit.first) - 1]
                if hit.owner == "self" and any(context.within(kind, start, opening) for kind in ("other", "relation")):
                    hit.owner = "other"
                elif discussion or context.has("reporting", "generic", "you"):
                    continue
            if hit.owner == "other":
                if discussion or unknown_people:
                    continue
                if "completed" in term.flags:
                    # Someone the speaker knows died by suicide: grief, a kind of distress; a stranger: nothing.
                    if context.has("relation"):
                        hit.owner, hit.tier, hit.category = "self", 1, "distress"
                        kept.append(hit)
                    continue
                if term.tier < 2 or self._negated(context, clause(hit.first), hit.first):
                    continue
                hit.category = "other_at_risk" if term.tier == 3 else "other_concern"
                kept.append(hit)
                continue
            # The speaker's own words from here on.
            if "completed" in term.flags:
                continue
            if term.category in ("means", "method") and context.within("gaming", start, end):
                continue
            # News, lessons, fiction, lyrics: a word such as "suicide" there is not the speaker's own risk,
            # unless they say "I" about it in a sentence that is not itself the discussion.
            if (
                discussion
                and ("abstract" in term.flags or not explicit)
                and (not explicit or any(context.within(kind, start, end) for kind in _DISCUSSION))
            ):
                continue
            if long_ago:
                if context.has("recovery"):
                    continue
                hit.tier, hit.category = 1, "distress"
            elif "past" in term.flags and recovered:
                continue
            elif "attempt" in term.flags and context.has("recent"):
                hit.tier, hit.category = 3, "attempt_in_progress"
            hit.negated = self._negated(context, clause(hit.first), hit.first)
            kept.append(hit)
        return _tier(kept, clause)

    def _subject(self, context: _Context, first: int, sentence_start: int) -> str | None:
        """The kind of the nearest subject word before token `first` within the sentence, if any."""
        best: tuple[int, int, str] | None = None
        low = max(sentence_start, first - self._subject_window)
        for kind in _SUBJECT_KINDS:
            for a, b in context.spans.get(kind, ()):
                if b < first and a >= low:
                    candidate = (b, b - a, kind)
                    if best is None or candidate > best:
                        best = candidate
        return best[2] if best else None

    def _negated(self, context: _Context, clause_start: int, first: int) -> bool:
        """Whether a negation stands within the window before token `first`, in the same clause."""
        negations = context.spans.get("negation")
        if not negations:
            return False
        low = max(clause_start, first - self._negation_window)
        return any(b < first and a >= low and not context.overlaps("not_negation", a, b) for a, b in negations)


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """Drop risk phrases inside longer ones (``kill myself`` in ``tried to kill myself``).

    A modifier of another category inside a longer phrase stays (``tonight`` in ``i'm doing it tonight`` is
    still a time), and a modifier never hides a risk phrase inside it.
    """
    if len(hits) < 2:
        return hits
    kept = []
    for hit in hits:
        for other in hits:
            if (
                other is not hit
                and other.first <= hit.first
                and other.last >= hit.last
                and (other.first, other.last) != (hit.first, hit.last)
                and ((hit.term.tier > 0 and other.term.tier > 0) or other.term.category == hit.term.category)
            ):
                break
        else:
            kept.append(hit)
    return kept


def _inside_quotes(quotes: list[int], first: int, last: int) -> bool:
    """Whether tokens first..last lie between an opening and a closing quotation mark."""
    if not quotes:
        return False
    before = bisect_left(quotes, first)
    return before % 2 == 1 and before < len(quotes) and quotes[before] > last


def _tier(hits: list[_Hit], clause: Callable[[int], int]) -> Finding:
    """Combine the counted hits into one finding (see the module docstring, step 5)."""
    if not hits:
        return NOTHING
    risk_clauses = {clause(h.first) for h in hits if h.category != "timing"}

    def side(owner: str, *, with_negated: bool) -> tuple[int, set[str]]:
        counted = [h for h in hits if with_negated or not h.negated]
        own = [h for h in counted if h.owner == owner]
        shared = [
            h for h in counted if h.owner == "shared" and (h.category != "timing" or clause(h.first) in risk_clauses)
        ]
        strong = {h.category for h in own if h.tier == 3}
        middle = {h.category for h in own if h.tier == 2}
        low = {h.category for h in own if h.tier == 1}
        own_weak = [h for h in own if h.tier == 0]
        weak = {h.category for h in own_weak + shared}
        if owner == "other":
            spans = {(h.first, h.last) for h in own_weak}
            if strong or (middle and weak) or len(spans) >= 2:
                return 3, {"other_at_risk"}
            return (2, {"other_concern"}) if middle else (0, set())
        intents = [h for h in own_weak + shared if h.category in _INTENT and "soft" not in h.term.flags]
        intent_kinds = {h.category for h in intents}
        intent_spans = {(h.first, h.last) for h in intents}
        imminent = (
            bool(strong)
            or bool(middle and weak - {"timing"})
            or ("ideation_active" in middle and "timing" in weak)
            or bool(intent_kinds and "means" in weak)
            or bool(intent_kinds & {"goodbye", "attempt_in_progress"} and low)
            or (len(intent_spans) >= 2 and bool("timing" in weak or "means" in weak or low))
            or len({(h.first, h.last) for h in intents if h.category != "plan"}) >= 2
            or len(intent_spans) >= 3
            or any(
                h.category == "attempt_in_progress"
                and any((o.first, o.last) != (h.first, h.last) for o in own_weak + shared)
                for h in intents
            )
        )
        if imminent:
            return 3, strong | middle | low | weak
        if middle:
            return 2, middle | low
        return (1, low) if low else (0, set())

    tier, categories = 0, set()
    any_negated = any(h.negated for h in hits)
    owners = ("self", "other") if any(h.owner == "other" for h in hits) else ("self",)
    for owner in owners:
        owner_tier, owner_categories = side(owner, with_negated=False)
        full_tier, full_categories = side(owner, with_negated=True) if any_negated else (owner_tier, owner_categories)
        if full_tier == 3 and owner_tier < 2:
            # Negation lowers a tier but never clears a plan, a means or anything else imminent.
            owner_tier, owner_categories = 2, full_categories
        if owner_tier > tier:
            tier = owner_tier
        if owner_tier:
            categories |= owner_categories
    if tier == 0:
        return NOTHING
    return Finding(tier, tuple(sorted(categories)))


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> Screen:
    return Screen(load_lexicon(Path(path)))
