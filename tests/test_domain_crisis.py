"""The crisis screen: folding, each context rule in several languages, tiers, the lexicon schema, the eval targets."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.crisis import CATEGORIES, NOTHING, Finding, Screen, default_lexicon_path, load_lexicon, normalize
from bot.domain.datafiles import DataFileError
from bot.screen_cli import evaluate, read_labelled

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "data" / "crisis" / "eval.jsonl"


@pytest.fixture(scope="module")
def screen() -> Screen:
    return Screen.load()


def tier(screen: Screen, text: str) -> int:
    return screen.check(text).tier


# ---- folding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("I WANT TO DIE", " i want to die "),  # case
        ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", " i want to die "),  # NFKC: fullwidth
        ("𝐢 𝐰𝐚𝐧𝐭 𝐭𝐨 𝐝𝐢𝐞", " i want to die "),  # NFKC: mathematical letters
        ("i want to ᴅɪᴇ", " i want to die "),  # small capitals
        ("і wаnt tо dіе", " i want to die "),  # Cyrillic look-alikes
        ("I’m done", " im done "),  # curly apostrophe
        ("don't", " dont "),
        ("j'ai envie d’en finir", " jai envie den finir "),
        ("i wanna dieeeeee", " i wana die "),  # repeated letters (and doubles) squeezed
        ("k1ll mys3lf", " kil myself "),  # leetspeak
        ("su!c!de", " suicide "),
        ("$uicidal", " suicidal "),
        ("s.u.i.c.i.d.e", " suicide "),  # spelled out
        ("k i l l myself", " kil myself "),
        ("d.i.e", " die "),
        ("s\u200bu\u200bi\u200bc\u200bi\u200bd\u200be", " suicide "),  # zero-width characters
        ("wait until 3am, 20 min", " wait until 3am . 20 min "),  # numbers stay numbers
        ("i'm dead 😂", " im dead lol "),  # laughing emoji read as laughter
        ('"i want to die" she said', ' " i want to die " she said '),  # quotation marks are tokens
        ("'quoted'", ' " quoted " '),
        ("wow!! ok", " wow . ok "),
        ("i just really want to die", " i want to die "),  # filler words dropped
        ("não aguento mais", " nao aguento mais "),  # accents off
        ("Ich möchte sterben", " ich mochte sterben "),
        ("日本語", " "),
        ("", " "),
    ],
)
def test_folding(raw: str, folded: str) -> None:
    assert normalize(raw) == folded


@pytest.mark.parametrize(
    "text",
    [
        "i want to k1ll mys3lf",
        "i want to k!ll myself",
        "i want to k*ll myself",
        "s*icidal again",
        "su1c1dal thoughts all day",
        "i want to kms",
        "i want to unalive myself",
        "thinking about ctb again",
        "sewerslide is on my mind",
        "i w4nt t0 d1e",
    ],
)
def test_obfuscations_and_slang_are_read(screen: Screen, text: str) -> None:
    assert screen.check(text).flagged, text


# ---- findings ------------------------------------------------------------------------------------------


def test_a_finding_is_a_small_frozen_value_without_the_text(screen: Screen) -> None:
    finding = screen.check("i want to kill myself tonight")
    assert finding == Finding(3, ("ideation_active", "timing"))
    assert finding.flagged
    assert [f.name for f in dataclasses.fields(Finding)] == ["tier", "categories"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.tier = 0  # type: ignore[misc]
    assert screen.check("hello everyone") is NOTHING
    assert not NOTHING.flagged and NOTHING.categories == ()


def test_version_is_the_lexicon_files(screen: Screen) -> None:
    text = default_lexicon_path().read_text(encoding="utf-8")
    assert f'version = "{screen.version}"' in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i'm having a really hard time today", (1, ("distress",))),
        ("i want to die", (2, ("ideation_passive",))),
        ("i cut myself again last night", (2, ("self_harm",))),
        ("my sister has been cutting herself", (2, ("other_concern",))),
        ("i have the pills ready. i'm done", (3, ("distress", "means"))),
        ("this is my last message, thank you all", (3, ("goodbye",))),
        ("i swallowed a whole bottle of something", (3, ("attempt_in_progress",))),
        ("my friend says she's going to kill herself tonight", (3, ("other_at_risk",))),
        ("i'm going to jump off the bridge", (3, ("method",))),
    ],
)
def test_tiers_and_categories(screen: Screen, text: str, expected: tuple[int, tuple[str, ...]]) -> None:
    finding = screen.check(text)
    assert (finding.tier, finding.categories) == expected


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_gives_a_valid_finding(text: str) -> None:
    finding = Screen.load().check(text)
    assert finding.tier in (0, 1, 2, 3)
    assert list(finding.categories) == sorted(set(finding.categories))
    assert set(finding.categories) <= set(CATEGORIES)
    assert (finding.tier == 0) == (finding.categories == ())


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2000,
        "i want to die " * 140,
        "*" * 2000,
        "'" * 2000,
        "k " * 1000,
        "s.u" * 600,
        ". " * 1000,
        "😂" * 1000,
        "1" * 2000,
    ],
)
def test_long_and_odd_messages(screen: Screen, text: str) -> None:
    finding = screen.check(text)
    assert finding.tier in (0, 1, 2, 3)


def test_one_screen_is_safe_to_share_between_threads(screen: Screen) -> None:
    texts = [row.text for row in read_labelled(EVAL)]
    expected = [screen.check(text) for text in texts]
    results: dict[int, list[Finding]] = {}

    def work(worker: int) -> None:
        results[worker] = [screen.check(text) for text in texts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(found == expected for found in results.values())


# ---- context rules, several languages each --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i want to die",
        "quiero morirme",
        "eu quero morrer",
        "je veux mourir",
        "ich will sterben",
        "i'm thinking about killing myself",
        "pienso en suicidarme todos los días",
        "tô pensando em me matar",
        "je pense au suicide tous les jours",
        "ich will mich umbringen",
    ],
)
def test_first_person_ideation_is_tier_2(screen: Screen, text: str) -> None:
    assert screen.check(text).tier == 2


@pytest.mark.parametrize(
    "text",
    [
        "my brother keeps saying he wants to die",
        "mi hermano dice que se quiere matar",
        "minha irmã tá se cortando",
        "ma copine dit qu'elle veut mourir",
        "mein bruder sagt, dass er sich umbringen will",
    ],
)
def test_concern_for_a_named_other_is_tier_2(screen: Screen, text: str) -> None:
    assert screen.check(text) == Finding(2, ("other_concern",))


@pytest.mark.parametrize(
    "text",
    [
        "my friend just texted that she's going to kill herself tonight",
        "mi amiga me escribió que se va a suicidar esta noche y no contesta",
        "meu amigo disse que vai se matar hoje e não atende o telefone",
        "mon frère m'a dit qu'il allait se tuer ce soir",
        "meine freundin schreibt, dass sie sich heute nacht umbringt",
    ],
)
def test_someone_else_at_immediate_risk_is_tier_3(screen: Screen, text: str) -> None:
    assert screen.check(text) == Finding(3, ("other_at_risk",))


@pytest.mark.parametrize(
    "text",
    [
        "are you thinking about suicide? you can tell me",
        "if you ever feel like ending it, please reach out",
        "how do you support someone who struggles with suicidal thoughts?",
        "kys loser",
    ],
)
def test_words_to_or_about_nobody_in_particular_are_not_the_speakers_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "this exam is killing me",
        "i'd kill for a coffee right now",
        "i'm dead 😂😂",
        "this cake is to die for",
        "i could just die of embarrassment",
        "i'm ending it with my boyfriend tonight",
        "the suicide squad movie was kinda mid",
        "me muero de risa 😂",
        "este examen me está matando",
        "morri de rir kkkkkk",
        "quero morrer de vergonha kkkk",
        "j'ai envie de mourir de rire tellement c'est nul",
        "ce devoir me tue",
        "ich sterbe vor lachen",
        "diese prüfung bringt mich um",
    ],
)
def test_idioms_are_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "mondays make me want to die lol",
        "ugh this homework makes me want to kms",
        "ok that pun was so bad i want to die 😂",
        "if i have to hear that song one more time i'll kill myself lol",
        "jajaja me quiero morir qué vergüenza",
    ],
)
def test_hyperbole_with_laughter_or_a_trivial_cause_is_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lol i want to die", 2),  # laughter alone is not enough to dismiss it
        ("kms tonight fr, not joking this time", 3),  # insisting keeps it
        ("i want to die lol, the pills are on my desk", 3),  # a means keeps it
    ],
)
def test_jest_needs_more_than_laughter(screen: Screen, text: str, expected: int) -> None:
    assert tier(screen, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "kms that boss is impossible",
        "killed myself in the lava lol",
        "jumped off the bridge in minecraft and lost all my stuff",
        "i'm gonna jump off this cliff to get to the loot faster",
        "ranked is making me want to kill myself",
        "me maté en la lava jajaja",
        "me matei na lava de novo kkkk minecraft é difícil",
        "je me suis tué dans la lave mdr",
        "ich hab mich in der lava umgebracht lol",
    ],
)
def test_game_talk_is_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        '"I want to die" is such a dramatic opening line for a novel',
        "that song lyric 'i don't wanna live forever' is stuck in my head",
        "the band's new single 'goodbye forever' is out",
        'my therapist asked me "have you thought about suicide?" and i said no',
    ],
)
def test_quoted_words_are_not_the_speakers_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


def test_quoted_words_of_someone_known_are_concern_for_them(screen: Screen) -> None:
    assert screen.check('my friend messaged me "i want to die" and logged off').tier >= 2
    assert "other_concern" in screen.check('my sister said "i want to die"').categories


@pytest.mark.parametrize(
    "text",
    [
        "the article says suicide rates went up among teens",
        "suicide prevention month starts today, here's a thread of resources",
        "in the book the main character kills herself at the end",
        "Romeo kills himself because he thinks Juliet is dead, classic",
        "the news said a man jumped off the bridge downtown, so sad",
        "el mes de prevención del suicidio empieza hoy",
        "en la película el protagonista se suicida al final, qué triste",
        "setembro amarelo: vamos falar sobre prevenção do suicídio",
        "no livro o personagem se mata no final",
        "la journée mondiale de prévention du suicide c'est le 10 septembre",
        "dans le film, l'héroïne se suicide à la fin",
        "heute ist welttag der suizidprävention",
        "im film bringt sich der held am ende um",
    ],
)
def test_news_lessons_fiction_and_lyrics_are_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "i'm not suicidal, don't worry",
        "i would never kill myself, i love my dog too much",
        "i don't want to die, i want to LIVE",
        "no soy suicida, tranquilos, solo tengo sueño",
        "não sou suicida, relaxa, só tô com sono",
        "je ne suis pas suicidaire, juste fatigué",
        "ich bin nicht suizidal, keine sorge, nur müde",
    ],
)
def test_negation_cancels_ideation(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    ("negated", "plain"),
    [
        ("i'm not going to kill myself tonight", "i'm going to kill myself tonight"),
        ("i don't have a plan to kill myself", "i have a plan to kill myself"),
        ("i'm not going to jump off the bridge", "i'm going to jump off the bridge"),
        ("i never got the pills ready, i have the pills ready though", "i have the pills ready"),
        ("i won't write my suicide note tonight", "i'm writing my suicide note tonight"),
    ],
)
def test_negation_lowers_a_plan_or_means_but_never_clears_it(screen: Screen, negated: str, plain: str) -> None:
    assert tier(screen, plain) == 3
    assert tier(screen, negated) >= 2


def test_negation_stops_at_the_clause(screen: Screen) -> None:
    assert tier(screen, "i'm not okay. i want to die") == 2
    assert tier(screen, "i don't know why but i want to die") == 2
    assert tier(screen, "not gonna lie, i've been thinking about suicide") == 2
    assert tier(screen, "i can't stop thinking about dying") == 2


@pytest.mark.parametrize(
    "text",
    [
        "two years ago i wanted to die, today i'm doing better",
        "i used to be suicidal in high school, therapy really helped",
        "3 years clean from self harm today!!",
        "hace dos años quería morir, hoy estoy mucho mejor",
        "há três anos eu queria morrer, hoje tô bem melhor",
        "il y a deux ans je voulais mourir, aujourd'hui ça va beaucoup mieux",
        "vor zwei jahren wollte ich sterben, heute geht es mir viel besser",
    ],
)
def test_recovery_told_in_the_past_is_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


def test_the_past_without_recovery_or_coming_back_is_read_as_it_is(screen: Screen) -> None:
    assert tier(screen, "back then i wanted to die") == 1
    assert tier(screen, "i used to self harm and lately the urges are coming back") == 2
    assert tier(screen, "relapsed on self harm yesterday after 4 months clean") == 2
    assert tier(screen, "i tried to kill myself last night and i don't know what to do") == 3


@pytest.mark.parametrize(
    "text",
    [
        "goodbye everyone, going to bed! see you tomorrow",
        "this is goodbye for now, we're moving to the new server, see you there!",
        "adiós a todos, me voy a dormir, hasta mañana",
        "did you take your pills today? don't forget",
        "need a rope for the camping trip",
        "my dad wants to go to the gun show this weekend",
        "i'm on the roof watching the fireworks",
    ],
)
def test_everyday_goodbyes_and_means_words_alone_are_not_risk(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "i want to die and there's a gun in the house",
        "goodbye everyone. i can't do this anymore",
        "i'm going to jump. i'm sorry",
        "bought a rope today. i know what i'm going to do with it",
        "tengo las pastillas listas, esta noche se acaba todo",
        "hoje à noite eu vou me matar, já decidi",
        "ce soir je vais me tuer, j'ai tout prévu",
        "heute nacht bringe ich mich um, ich hab alles vorbereitet",
    ],
)
def test_imminence_comes_from_signals_together(screen: Screen, text: str) -> None:
    assert tier(screen, text) == 3


def test_passive_wishes_stay_tier_2_even_with_a_time(screen: Screen) -> None:
    assert tier(screen, "i hope i don't wake up tomorrow") == 2
    assert tier(screen, "i'm suicidal but i'm safe for tonight") == 2


# ---- the lexicon file -----------------------------------------------------------------------------------

GOOD = """\
schema_version = 1
version = "test.1"
[sets]
feel = ["feel", "am feeling"]
[[risk]]
category = "ideation_passive"
tier = 2
phrases = ["want to (die|vanish)"]
[[risk]]
category = "distress"
tier = 1
phrases = ["i {feel} alone"]
[[context]]
kind = "negation"
phrases = ["not"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_lexicon_loads_and_expands(tmp_path: Path) -> None:
    screen = Screen.load(write(tmp_path, GOOD))
    assert screen.version == "test.1"
    assert screen.check("I want to vanish").tier == 2
    assert screen.check("i am feeling alone").tier == 1
    assert screen.check("i do not want to die").tier == 0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace('version = "test.1"\n', ""), ["version"]),
        (lambda t: t.replace("schema_version = 1", "schema_version = 9"), ["schema_version", "9"]),
        (lambda t: "colour = 1\n" + t, ["unknown top-level", "colour"]),
        (lambda t: t.replace('category = "distress"', 'category = "sadness"'), ["risk entry 2", "sadness"]),
        (lambda t: t.replace("tier = 2", "tier = 7"), ["risk entry 1", "tier", "7"]),
        (
            lambda t: t.replace('"want to (die|vanish)"', '"want to (die|vanish"'),
            ["want to (die|vanish", "never closed"],
        ),
        (lambda t: t.replace('"i {feel} alone"', '"i {mood} alone"'), ["{mood}", "[sets]"]),
        (lambda t: t.replace('phrases = ["not"]', "phrases = []"), ["context entry 1", "phrases"]),
        (lambda t: t.replace('kind = "negation"', 'kind = "sarcasm"'), ["context entry 1", "sarcasm"]),
        (lambda t: t.replace("tier = 2\n", 'tier = 2\nflags = ["sarcastic"]\n'), ["risk entry 1", "sarcastic"]),
        (lambda t: t.replace("tier = 2\n", 'tier = 2\nperson = "them"\n'), ["risk entry 1", "person", "them"]),
        (lambda t: t.replace('"want to (die|vanish)"', '"want * die"'), ["want * die", "*"]),
        (lambda t: t.replace('"want to (die|vanish)"', '"!!!"'), ["!!!", "no words"]),
        (lambda t: t.replace('"want to (die|vanish)"', '"' + "(a|b|c|d|e)" * 6 + '"'), ["more than"]),
        (lambda t: t + "[options]\nnegation_window = 40\n", ["negation_window", "40"]),
        (lambda t: t.replace("schema_version = 1", "schema_version = "), ["not valid TOML"]),
    ],
)
def test_schema_errors_name_the_problem(tmp_path: Path, change: object, words: list[str]) -> None:
    path = write(tmp_path, change(GOOD))  # type: ignore[operator]
    with pytest.raises(DataFileError) as caught:
        load_lexicon(path)
    assert caught.value.path == str(path)
    for word in words:
        assert word in caught.value.problem, (word, caught.value.problem)


def test_a_missing_lexicon_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        Screen.load(tmp_path / "nope.toml")
    assert "does not exist" in caught.value.problem


def test_an_unchanged_file_is_compiled_once_and_a_changed_one_again(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.toml"
    shutil.copy(default_lexicon_path(), path)
    first = Screen.load(path)
    assert Screen.load(path) is first
    path.write_text(GOOD, encoding="utf-8")
    assert Screen.load(path).version == "test.1"


def test_the_shipped_lexicon_covers_five_languages() -> None:
    text = default_lexicon_path().read_text(encoding="utf-8")
    for lang in ("en", "es", "pt", "fr", "de"):
        assert f'lang = "{lang}"' in text


# ---- the evaluation set and the targets ------------------------------------------------------------------


def test_the_eval_set_is_big_varied_and_multilingual() -> None:
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 400
    assert len({row["text"] for row in rows}) == len(rows), "duplicate messages"
    assert sum(row["lang"] != "en" for row in rows) >= 60
    kinds = {row["kind"] for row in rows if row["tier"] == 0}
    assert {"idiom", "gaming", "quote", "news", "lyrics", "fiction", "negation", "recovery"} <= kinds
    assert {row["tier"] for row in rows} == {0, 1, 2, 3}


def test_the_holdout_is_well_formed_and_separate_from_the_eval_set() -> None:
    # Its figures are printed by `python -m bot screen --eval data/crisis/holdout.jsonl`, never asserted: it
    # measures how the lexicon does on messages it was not tuned on, and tuning it to pass would defeat that.
    holdout = read_labelled(ROOT / "data" / "crisis" / "holdout.jsonl")
    assert len(holdout) >= 50
    assert {item.tier for item in holdout} == {0, 1, 2, 3}
    assert not {item.text for item in holdout} & {item.text for item in read_labelled(EVAL)}


def test_the_screen_meets_its_targets_on_the_eval_set(screen: Screen) -> None:
    scores = evaluate(screen, read_labelled(EVAL))
    recall_3, recall_2 = scores.recall((3,)), scores.recall((2, 3))
    precision_2, false_positives = scores.precision((2, 3)), scores.false_positive_rate()
    assert recall_3 is not None and recall_3 >= 0.95, recall_3
    assert recall_2 is not None and recall_2 >= 0.90, recall_2
    assert precision_2 is not None and precision_2 >= 0.90, precision_2
    assert false_positives is not None and false_positives <= 0.03, false_positives
