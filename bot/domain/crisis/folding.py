"""Fold a message into the plain token string the crisis lexicon is matched against.

:func:`normalize` turns ``"I’m gonna K1LL mys3lf 2nite!!! 😭"`` into ``" im gona kil myself 2nite . "``:

1. **Compatibility form** (NFKC), so fullwidth ``ｄｉｅ``, mathematical ``𝐝𝐢𝐞`` and ligatures are plain letters;
   then **casefold** and **accents off** (``suicídio`` is ``suicidio``, ``ß`` is ``ss``); letters of other
   scripts that imitate Latin ones become the Latin letter (Cyrillic ``і wаnt tо dіе``, Greek, Cherokee, Lisu,
   Coptic, small capitals: :data:`bot.domain.lookalikes.LOOKALIKES`, the table generated from Unicode's
   confusables data that the guideline filters use too, looked up by the casefolded letter); other letters of
   other scripts separate words, as emoji and symbols do; zero-width characters vanish. A letter that looks like
   a digit (Cyrillic ``з``) becomes the digit and is read as leetspeak inside a word (step 4).
2. **Tokens**: sentence punctuation (``. ! ? ; : ,`` and new lines) becomes the boundary token ``.``;
   quotation marks the token ``"``; laughing emoji (``😂 🤣 💀`` ...) the word ``lol``; everything else that is
   not a letter or a digit separates words.
3. **Apostrophes**: one inside a word is dropped (``don't`` is ``dont``, ``j'ai`` is ``jai``); one at the edge
   of a word is a quotation mark.
4. **Leetspeak and masks**, only in words that mix letters with digits or ``@ $ ! | * #``: ``0→o 1→i 3→e 4→a
   5→s 7→t @→a $→s !→i |→l``; a ``*`` or ``#`` inside a word stands for one hidden letter and stays as ``*``
   for the screen to resolve against the lexicon's own words (``s*icide``, ``k*ll``). Plain numbers and
   numbers with a unit (``20``, ``3am``, ``2nd``) stay as they are; ``!`` at the end of a word ends a sentence.
5. **Spelled-out letters** (``s.u.i.c.i.d.e``, ``k i l l``: four letters or more, three with dots) are joined
   into one word.
6. **Filler words** that never change what a sentence says about risk (``really``, ``just``, ``kinda``,
   ``literally``, ``honestly``, ``vraiment``, ``wirklich``, ``muito`` ...) are dropped, so ``i just really
   want to die`` reads like ``i want to die`` and one phrase covers both.
7. **Repeated letters** are squeezed to one (``diieee`` is ``die``, ``kill`` is ``kil``). The lexicon goes
   through the same function, so its phrases are written normally and still match.

The result starts and ends with a space and has single spaces between tokens, which lets the matcher find
whole words by matching `` phrase `` with its spaces. Folding uses no regular expression at all: a
handful of C-level string operations (one codec pass whose error handler folds each run of non-ASCII characters
with one ``str.translate`` through a table that classifies a character the first time it meets it, one byte
table) and small Python steps for the rare words with digits or spelled-out letters, so it is linear in the
message and a 2,000-character message costs well under a millisecond.

Look-alikes fold wherever they are, also in words written wholly in another script (Russian ``нет`` reads as
``het``), as they did with the hand-written table this replaced: folding only words that mix scripts would let
``ꓲ ꓪꓮꓠꓔ ꓔꓳ ꓓꓲꓰ``, all Lisu, through. That is safe for the screen because the lexicon holds phrases of
Latin-script languages only and a phrase matches only when every one of its words comes out as that Latin word;
``tests/test_lookalikes.py`` holds that ordinary chat in Russian, Ukrainian, Greek, Hebrew, Arabic, Armenian,
Georgian and Cherokee is not flagged.
"""

from __future__ import annotations

import codecs
import string
import unicodedata

from bot.domain.lookalikes import LOOKALIKES

BOUNDARY = "."
QUOTE = '"'
MASK = "*"

# Emoji that, in chat, mean laughing rather than crying or death ("I'm dead 💀" is a joke).
_LAUGHING = "😂🤣😆😹😅💀☠😝😜🤪"
_APOSTROPHES = "’‘`´ʼʻ′‛＇"
_QUOTES = "“”„‟«»〝〞＂‹›"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

_SPECIAL: dict[str, str] = {
    **dict.fromkeys(_LAUGHING, " lol "),
    **dict.fromkeys(_APOSTROPHES, "'"),
    **dict.fromkeys(_QUOTES, '"'),
    **dict.fromkeys(_INVISIBLE, ""),
    **dict.fromkeys("…¿¡", "."),
}


def _fold_char(ch: str) -> str:
    """The ASCII a non-ASCII character stands for in chat: a letter without its accent, a mark, or a space."""
    special = _SPECIAL.get(ch)
    if special is not None:
        return special
    latin = LOOKALIKES.get(ch.casefold())
    if latin is not None:
        return latin  # Cyrillic "а", Lisu "ꓲ", Cherokee "ꭰ" (its casefold is "Ꭰ"): the Latin letter they imitate
    plain = "".join(part for part in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(part))
    if plain.isascii():
        return plain  # "é" -> "e", fullwidth "ｄ" -> "d", "ﬁ" -> "fi", a lone combining accent -> ""
    folded = ch.casefold()
    if folded.isascii():
        return folded  # "ß" -> "ss"
    latin = LOOKALIKES.get(plain.casefold())
    if latin is not None:
        return latin  # Cyrillic "ё" -> "е" -> "e"
    return " "  # letters of other scripts, emoji and symbols separate words


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds a character the first time it meets it (a capped, pure cache)."""

    def __missing__(self, code_point: int) -> str:
        folded = _fold_char(chr(code_point))
        if len(self) < _MEMO_CAP:
            self[code_point] = folded
        return folded


def _build_table() -> _FoldTable:
    table = _FoldTable()
    for text in (*_SPECIAL, *LOOKALIKES, *(letter.upper() for letter in LOOKALIKES)):
        if len(text) == 1 and not text.isascii():
            table[ord(text)] = _fold_char(text)
    return table


_MEMO_CAP = 20_000
_FOLD = _build_table()


def _fold_run(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: replace a run of non-ASCII characters by what they fold to."""
    assert isinstance(error, UnicodeEncodeError)
    return error.object[error.start : error.end].translate(_FOLD), error.end


# Encoding to ASCII with this handler folds every non-ASCII character in one C-level pass over the text;
# the handler runs only for the (few) non-ASCII runs, and folds each with one str.translate. Registering is
# idempotent and only adds a name.
codecs.register_error("crisis-fold", _fold_run)

# Internal markers while folding: sentence boundary and quotation mark.
_B, _Q = "\x01", "\x02"
_KEEP = string.ascii_lowercase + string.digits + "'@$!|*#"


def _ascii_table() -> bytes:
    table = bytearray(b" " * 256)
    for ch in _KEEP:
        table[ord(ch)] = ord(ch)
    for ch in string.ascii_uppercase:
        table[ord(ch)] = ord(ch.lower())
    for ch in ".?;:,\n\r":
        table[ord(ch)] = ord(_B)
    table[ord('"')] = ord(_Q)
    table[ord("`")] = ord("'")
    return bytes(table)


_ASCII_TABLE = _ascii_table()

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
                       "|": "l", "#": MASK})  # fmt: skip
_SYMBOLS_TO_SPACE = str.maketrans(dict.fromkeys("@$!|*#", " "))
_LEET_CHARS = frozenset("0123456789@$!|*#")
_EDGE_SYMBOLS = "*#!|"
_LETTERS = frozenset(string.ascii_lowercase)
# A number followed by one of these is a number, not leetspeak: "3pm", "2nd", "90s", "10k".
_UNITS = frozenset(
    {"st", "nd", "rd", "th", "s", "am", "pm", "k", "m", "h", "d", "w", "y", "x", "hr", "hrs", "min", "mins", "yo",
     "yr", "yrs", "kg", "mg", "km", "lb", "lbs", "ish", "ml", "g", "cm", "mm"}
)  # fmt: skip
# The shape of a folded message: every letter "x", every digit or leet symbol "1". Plain substring tests
# on it find letters spelled out one by one ("x x x x") and leet symbols touching letters ("x1", "1x").
_SHAPE = bytes(ord("x") if chr(i) in _LETTERS else ord("1") if chr(i) in _LEET_CHARS else i for i in range(256))
_SPELLED_SHAPES = (b" x x x x ", b"x" + _B.encode() + b"x" + _B.encode() + b"x")
# Without leetspeak in the message, "!" ends a sentence and the other symbols separate words.
_PLAIN = bytes(ord(_B) if i == ord("!") else ord(" ") if chr(i) in "@$|*#" else i for i in range(256))
_DOUBLES = tuple((ch + ch, ch) for ch in string.ascii_lowercase)
# Words that add emphasis or hedging and nothing else. Not here on purpose: "so" ("i'm so done" is not
# "i'm done"), "still", "lately", "again", "seriously" (they are context), "solo" (Spanish for alone).
FILLERS = frozenset(
    {
        # English
        "really", "realy", "just", "jus", "honestly", "kinda", "sorta", "literally", "actually", "lowkey",
        "highkey", "genuinely", "truly", "basically", "sometimes", "often", "constantly", "even", "fucking",
        "fuckin", "fking", "fkn", "freaking", "frickin", "effing", "totes",
        # Spanish, Portuguese, French, German
        "muy", "mucho", "realmente", "simplemente", "muito", "simplesmente", "vraiment", "souvent", "parfois",
        "juste", "wirklich", "einfach", "oft", "manchmal", "echt", "halt", "eigentlich",
    }
)  # fmt: skip


def _deleet(token: str) -> str:
    """Decode one whitespace-separated token that holds a digit or a leet symbol."""
    if _LEET_CHARS.isdisjoint(token):
        return token
    core = token.strip(_EDGE_SYMBOLS)
    end = " . " if token.endswith("!") and core else " "
    if not core or _LETTERS.isdisjoint(core):
        return " " + core.translate(_SYMBOLS_TO_SPACE) + end
    unit = core.lstrip(string.digits)
    if unit != core and unit in _UNITS:
        return " " + core + end
    return " " + core.translate(_LEET) + end


def _join_spelled(tokens: list[str]) -> list[str]:
    """Join runs of single letters ("k i l l", "s . u . i . c . i . d . e", "d . i . e") into one word."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if len(tokens[i]) == 1 and tokens[i] in _LETTERS:
            letters = [tokens[i]]
            dotted = False
            j = i + 1
            while j < len(tokens):
                if tokens[j] == BOUNDARY and j + 1 < len(tokens) and tokens[j + 1] in _LETTERS:
                    dotted = True
                    j += 1
                    continue
                if len(tokens[j]) == 1 and tokens[j] in _LETTERS:
                    letters.append(tokens[j])
                    j += 1
                    continue
                break
            if len(letters) >= 4 or (dotted and len(letters) == 3):
                out.append("".join(letters))
                i = j
                continue
        out.append(tokens[i])
        i += 1
    return out


def squeeze(text: str) -> str:
    """Collapse every run of one repeated ASCII letter to a single letter."""
    for double, single in _DOUBLES:
        if double in text:
            text = text.replace(double, single)
            while double in text:
                text = text.replace(double, single)
    return text


def normalize(text: str) -> str:
    """Return `text` as `` tok tok . tok `` (see the module docstring); masks stay as ``*`` inside words."""
    if not text.isascii():
        # Compose first, so that a letter typed as letter + combining accent folds like the composed one.
        text = unicodedata.normalize("NFKC", text)
    folded = text.encode("ascii", "crisis-fold").translate(_ASCII_TABLE)
    shape = (b" " + folded + b" ").translate(_SHAPE)
    spelled = _SPELLED_SHAPES[0] in shape or _SPELLED_SHAPES[1] in shape
    leet = b"x1" in shape or b"1x" in shape
    if not leet:
        folded = folded.translate(_PLAIN)
    text = folded.decode("ascii")
    if _B in text:
        text = text.replace(_B, " . ")
    if _Q in text:
        text = text.replace(_Q, ' " ')
    if "'" in text:
        text = (" " + text + " ").replace(" '", ' " ').replace("' ", ' " ').replace("'", "")
    if leet:
        text = " ".join(_deleet(token) for token in text.split())
    tokens = text.split()
    if not tokens:
        return " "
    if spelled:
        tokens = _join_spelled(tokens)
    if not FILLERS.isdisjoint(tokens):
        tokens = [token for token in tokens if token not in FILLERS] or tokens
    return squeeze(" " + " ".join(tokens) + " ")
