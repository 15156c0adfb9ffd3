"""Fold message text into the plain form the filters look at.

:func:`normalize` turns ``"Yоu're  an 4$$hólé!!"`` (with a Cyrillic ``о``) into ``"you re an asshole"``:

1. **Compatibility decomposition** (NFKD): fullwidth ``Ａ``, mathematical ``𝐀``, circled ``Ⓐ`` and
   ligatures become plain letters, and accented letters split into a letter plus combining marks.
   Pure-ASCII text (most chat) skips this step.
2. **Casefold**, so case never matters (``ß`` becomes ``ss``).
3. **One translation table**: combining marks and invisible format characters (zero-width spaces, soft
   hyphens) are dropped, so ``a\u200bss`` is ``ass``; letters of other scripts that look Latin become the Latin
   letter they imitate: Cyrillic ``а е о р с у х і ј ѕ``, Greek ``ο α ν ι κ τ``, Cherokee ``Ꭺ Ꭼ Ꮋ``, Lisu
   ``ꓮ ꓰ ꓲ``, Coptic ``ⲟ ⲣ ⲧ``, small capitals and the rest of :data:`bot.domain.lookalikes.LOOKALIKES`, the
   table generated from Unicode's confusables data that the crisis screen uses too (a letter that looks like a
   digit, Cyrillic ``з``, becomes the digit and is then read like one); everything that is neither a letter nor a
   digit becomes a space. The table is keyed by casefolded letters, so each letter folds the same way in both
   cases and folding can never make matching case-sensitive.
4. **Single spaces**: runs of spaces collapse and the ends are trimmed, so spaces separate words exactly.
5. **Leetspeak**, word by word, only in words that mix digits or ``@ $ ! |`` with letters:
   ``0→o 1→i 3→e 4→a 5→s 7→t @→a $→s !→i |→l``.

How digits behave: a word made only of digits stays as it is (``2024``, ``555 1234``: numbers survive for
patterns that look for them), and so does a number with a common unit or ordinal (``3pm``, ``2nd``,
``90s``, ``10k``). A word that mixes letters and digits is read as leetspeak: ``h3ll0`` is ``hello``, ``4ss``
is ``ass`` (and, as a side effect, ``mp3`` is ``mpe``). The symbols ``@ $ | !`` count only inside a word that
has letters; an ``!`` at either end of a word is punctuation (``wow!`` is ``wow``), and symbols on their own
(``$5``, ``!!!``) are separators. Unlisted look-alikes (``8`` for ``b``, ``9`` for ``g``) are not folded.

Folding is fast (a few microseconds for a chat line; ``bench/bench_filters.py`` measures it) because every
per-character step runs in C: ASCII goes through one ``bytes.translate`` table that lowercases and spaces
punctuation at once; other text is decomposed, then encoded to ASCII with a codec error handler that folds
each run of non-ASCII characters (remembered per run, since the same apostrophe, accent or emoji comes back
again and again); text that keeps non-Latin letters goes through ``str.translate`` with a table that classifies
each character the first time it is seen. The tables and memos are filled from pure functions and capped, so
they are caches, not state that changes behaviour. :func:`_normalize_plainly` is the same folding written the
plain way, and the tests hold the two equal on generated text.
"""

from __future__ import annotations

import codecs
import logging
import unicodedata

from bot.domain.lookalikes import LOOKALIKES

log = logging.getLogger(__name__)

LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l",
}  # fmt: skip
_LEET_SYMBOLS = "@$!|"
_DIGITS = "0123456789"
# A number followed by one of these is a number, not leetspeak: "3pm", "2nd", "90s", "10k".
_NUMBER_SUFFIXES = frozenset(
    {"st", "nd", "rd", "th", "s", "am", "pm", "k", "m", "h", "d", "w", "y", "x", "g", "kg", "mg", "km", "cm",
     "mm", "lb", "lbs", "min", "mins", "hr", "hrs", "yo", "yr", "yrs"}
)  # fmt: skip

_LEET_TABLE = str.maketrans(LEET)
_SYMBOLS_TO_SPACE = str.maketrans(dict.fromkeys(_LEET_SYMBOLS, " "))
_LEET_AND_DIGITS = _LEET_SYMBOLS + _DIGITS

# Characters that are dropped rather than turned into a space: they sit inside words without separating them.
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
# Spacing combining marks (Devanagari vowel signs, ...) are part of how words are spelled.
_KEPT_CATEGORIES = frozenset({"Mc"})
_PREFILLED_UP_TO = 0x0530  # Basic Latin to Cyrillic Supplement
_MEMO_CAP = 20_000


def _fold_char(code_point: int) -> str | None:
    char = chr(code_point)
    latin = LOOKALIKES.get(char)
    if latin is not None:
        return latin
    if char in _LEET_SYMBOLS:
        return char  # kept for the leetspeak step, which decides whether it is a letter or punctuation
    category = unicodedata.category(char)
    if category in _DROPPED_CATEGORIES:
        return None
    if category[0] in "LN" or category in _KEPT_CATEGORIES:
        return char
    return " "


class _FoldTable(dict[int, str | None]):
    """``str.translate`` table that classifies a character the first time it meets it."""

    def __missing__(self, code_point: int) -> str | None:
        folded = _fold_char(code_point)
        if len(self) < _MEMO_CAP:
            self[code_point] = folded
        return folded


def _build_table() -> _FoldTable:
    table = _FoldTable()
    for code_point in range(_PREFILLED_UP_TO):
        table[code_point] = _fold_char(code_point)
    for char, latin in LOOKALIKES.items():
        table[ord(char)] = latin
    return table


_FOLD = _build_table()


def _fold_word(word: str) -> str:
    """Read one word that holds digits or leet symbols: leetspeak, a number, or punctuation."""
    word = word.strip("!")  # "wow!", "!!!": an exclamation mark at the edge of a word is punctuation
    if not word.strip(_LEET_AND_DIGITS):
        # Only digits and symbols: a number keeps its digits, symbols become separators.
        return word.translate(_SYMBOLS_TO_SPACE)
    digits_end = len(word) - len(word.lstrip(_DIGITS))
    if digits_end and word[digits_end:] in _NUMBER_SUFFIXES:
        return word
    return word.translate(_LEET_TABLE)


def _normalize_plainly(text: str) -> str:
    """The same folding as :func:`normalize`, written the plain way; the tests hold the two equal."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    words = text.casefold().translate(_FOLD).split()
    return " ".join(" ".join([word if word.isalpha() else _fold_word(word) for word in words]).split())


# The fast path below is an optimisation of _normalize_plainly and must stay equal to it. Per-character work
# happens in C: bytes.translate for ASCII, a codec error handler called once per run of non-ASCII characters,
# and str.find for the few words that hold digits or symbols.


class _KeepsNonAscii(Exception):
    """A run of characters holds a letter that stays non-ASCII (Cyrillic б, 日): take the general path."""


# Runs repeat a lot (an apostrophe from a phone, an accent, the same emoji), so each run's folding is
# remembered, up to a cap; None marks a run that keeps a non-ASCII letter.
_RUN_MEMO: dict[str, str | None] = {}
_RUN_MEMO_CAP = 4_096


def _fold_run_plainly(run: str) -> str | None:
    folded_run = []
    for char in run:
        folded = _FOLD[ord(char)]
        if folded is None:
            continue
        if not folded.isascii():
            return None
        folded_run.append(folded)
    return "".join(folded_run)


def _fold_run(error: UnicodeError) -> tuple[str, int]:
    # Codec error handler: str.encode("ascii", ...) calls it once per run of non-ASCII characters.
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end]
    try:
        folded = _RUN_MEMO[run]
    except KeyError:
        folded = _fold_run_plainly(run.casefold())
        if len(_RUN_MEMO) < _RUN_MEMO_CAP and len(run) <= 16:
            _RUN_MEMO[run] = folded
    if folded is None:
        raise _KeepsNonAscii
    return folded, error.end


_ERROR_HANDLER = "empathy-circles.guidelines.fold"
# A named error handler is the only way to hook str.encode. Registering is idempotent (the same pure function
# under the same name), so importing this module twice changes nothing.
codecs.register_error(_ERROR_HANDLER, _fold_run)


def _byte_table(mapping: dict[int, int]) -> bytes:
    table = bytearray(range(256))
    for byte, replacement in mapping.items():
        table[byte] = replacement
    return bytes(table)


def _kept(byte: int) -> bool:
    return chr(byte).isalnum() or chr(byte) in _LEET_SYMBOLS


_SPACE = ord(" ")
# Raw ASCII text (it skips casefold): lowercase letters, keep digits and leet symbols, space the rest.
_ASCII_FOLD = _byte_table({byte: ord(chr(byte).lower()) if _kept(byte) else _SPACE for byte in range(128)})
# Deleting these from folded ASCII leaves only digits and leet symbols.
_LETTERS_AND_SPACE = bytes(byte for byte in range(128) if chr(byte).isalpha() or byte == _SPACE)


class _Classes(dict[int, str]):
    """Folded text as classes: "0" for a digit or leet symbol, space for space, "a" for anything else."""

    def __missing__(self, code_point: int) -> str:
        return "a"


# Every ASCII character is filled in: str.translate would otherwise call __missing__ for each letter.
_CLASSES = _Classes(dict.fromkeys(range(128), "a") | dict.fromkeys(map(ord, _LEET_AND_DIGITS), "0") | {_SPACE: " "})


_CLASS_BYTES = _byte_table({byte: ord(_CLASSES[byte]) for byte in range(128)})


def _collapse(folded: str) -> str:
    if "  " in folded:
        # ", " and " - " leave two or three spaces; one pass for each is the common case.
        folded = folded.replace("   ", " ").replace("  ", " ")
        while "  " in folded:
            folded = folded.replace("  ", " ")
    return folded.strip(" ")


def normalize(text: str) -> str:
    """Fold ``text`` for filtering: see the module docstring for every step and the treatment of digits."""
    if text.isascii():
        ascii_folded = text.encode("ascii").translate(_ASCII_FOLD)
        if not ascii_folded.translate(None, _LETTERS_AND_SPACE):
            return _collapse(ascii_folded.decode("ascii"))  # the common case: words of letters only
        folded = ascii_folded.decode("ascii")
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        try:
            # Casefolding is per character, so ASCII is lowercased by the byte table and each non-ASCII run
            # is casefolded by the error handler: no pass over the whole text.
            folded = decomposed.encode("ascii", _ERROR_HANDLER).translate(_ASCII_FOLD).decode("ascii")
        except _KeepsNonAscii:
            folded = decomposed.casefold().translate(_FOLD)
    return _fold_digit_words(_collapse(folded))


def _fold_digit_words(folded: str) -> str:
    """Run :func:`_fold_word` on each word that mixes letters with digits or symbols; space lone symbols."""
    if folded.isascii():
        classes = folded.encode("ascii").translate(_CLASS_BYTES).decode("ascii")
    else:
        classes = folded.translate(_CLASSES)
    where = classes.find("0")
    if where < 0:
        return folded
    pieces = []
    copied = 0
    while where >= 0:
        start = folded.rfind(" ", 0, where) + 1
        end = folded.find(" ", where)
        if end < 0:
            end = len(folded)
        if "a" in classes[start:end]:  # letters too: leetspeak or a number with a unit
            pieces.append(folded[copied:start])
            pieces.append(_fold_word(folded[start:end]))
            copied = end
        where = classes.find("0", end)
    if pieces:
        pieces.append(folded[copied:])
        folded = "".join(pieces)
    if "!" in folded or "@" in folded or "$" in folded or "|" in folded:
        # Only words without letters still hold symbols ("!!!", "$5"): there they separate.
        folded = _collapse(folded.translate(_SYMBOLS_TO_SPACE))
    return folded
