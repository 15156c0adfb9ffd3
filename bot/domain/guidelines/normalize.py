"""Fold message text into the plain form the filters look at.

:func:`normalize` turns ``"Yоu're  an 4$$hólé!!"`` (with a Cyrillic ``о``) into ``"you re an asshole"``:

1. **Compatibility decomposition** (NFKD): fullwidth ``Ａ``, mathematical ``𝐀``, circled ``Ⓐ`` and
   ligatures become plain letters, and accented letters split into a letter plus combining marks.
   Pure-ASCII text (most chat) skips this step.
2. **Casefold**, so case never matters (``ß`` becomes ``ss``).
3. **One translation table**: combining marks and invisible format characters (zero-width spaces, soft
   hyphens) are dropped, so ``a\u200bss`` is ``ass``; Cyrillic and Greek letters that look Latin
   (``а е о р с у х і ј ѕ``, ``ο α ν ι κ τ`` and more) and small capitals become the Latin letter they
   imitate; everything that is neither a letter nor a digit becomes a space. Each letter folds the same way
   in both cases, so folding can never make matching case-sensitive.
4. **Single spaces**: runs of spaces collapse and the ends are trimmed, so spaces separate words exactly.
5. **Leetspeak**, word by word, only in words that mix digits or ``@ $ ! |`` with letters:
   ``0→o 1→i 3→e 4→a 5→s 7→t @→a $→s !→i |→l``.

How digits behave: a word made only of digits stays as it is (``2024``, ``555 1234``: numbers survive for
patterns that look for them), and so does a number with a common unit or ordinal (``3pm``, ``2nd``,
``90s``, ``10k``). A word that mixes letters and digits is read as leetspeak: ``h3ll0`` is ``hello``, ``4ss``
is ``ass`` (and, as a side effect, ``mp3`` is ``mpe``). The symbols ``@ $ | !`` count only inside a word that
has letters; an ``!`` at either end of a word is punctuation (``wow!`` is ``wow``), and symbols on their own
(``$5``, ``!!!``) are separators. Unlisted look-alikes (``8`` for ``b``, ``9`` for ``g``) are not folded.

Folding is cheap: the table is a dict that ``str.translate`` reads in C. ASCII, Latin, Greek and Cyrillic are
filled in when this module loads; any other character is classified the first time it is seen and
remembered (up to a cap), so the table is a memo of a pure function, not state that changes behaviour.
"""

from __future__ import annotations

import logging
import unicodedata

log = logging.getLogger(__name__)

# Look-alikes, keyed by the casefolded character. One target per letter whatever its case (casefold runs
# first), so where the two cases look different the lowercase shape wins: Greek ν is "v" and η is "n".
_LOOK_ALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "є": "e", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h",
    "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l", "ѵ": "v",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    # Latin letters that NFKD leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɑ": "a", "ɡ": "g", "ɩ": "i",
    "æ": "ae", "œ": "oe", "ð": "d",
    # small capitals
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u",
    "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}  # fmt: skip

LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l",
}  # fmt: skip
_LEET_SYMBOLS = "@$!|"
_DIGITS = "0123456789"
# A number followed by one of these is a number, not leetspeak: "3pm", "2nd", "90s", "10k".
_NUMBER_SUFFIXES = frozenset(
    "st nd rd th s am pm k m h d w y x g kg mg km cm mm lb lbs min mins hr hrs yo yr yrs".split()
)

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
    if char in _LOOK_ALIKES:
        return _LOOK_ALIKES[char]
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
    for char in _LOOK_ALIKES:
        table[ord(char)] = _LOOK_ALIKES[char]
    return table


_FOLD = _build_table()


def _fold_word(word: str) -> str:
    """Read one word that holds digits or leet symbols: leetspeak, a number, or punctuation."""
    if not word.strip(_LEET_AND_DIGITS):
        # Only digits and symbols: a number keeps its digits, symbols become separators.
        return word.translate(_SYMBOLS_TO_SPACE)
    digits_end = len(word) - len(word.lstrip(_DIGITS))
    if digits_end and word[digits_end:] in _NUMBER_SUFFIXES:
        return word
    return word.strip("!").translate(_LEET_TABLE)


def normalize(text: str) -> str:
    """Fold ``text`` for filtering: see the module docstring for every step and the treatment of digits."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    words = text.casefold().translate(_FOLD).split()
    joined = " ".join(words)
    if joined.replace(" ", "").isalpha() or not joined:
        return joined  # the common case: nothing that could be leetspeak
    return " ".join(" ".join([word if word.isalpha() else _fold_word(word) for word in words]).split())
