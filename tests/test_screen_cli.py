"""`python -m bot screen`: one JSON line per message on stdin; `--eval` scores a labelled file; kind exit 2s."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.checks import run_check
from bot.screen_cli import run_screen

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "data" / "crisis" / "eval.jsonl"


def _run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", "screen", *args],
        input=stdin,
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_stdin_lines_give_json_lines_in_order() -> None:
    messages = [
        "hello everyone",
        "i want to die",
        "",
        "im going to kill myself tonight",
        "je suis à bout",
        "this exam is killing me",
    ]
    result = _run(stdin="\n".join(messages) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"tier": 0, "categories": []},
        {"tier": 2, "categories": ["ideation_passive"]},
        {"tier": 0, "categories": []},
        {"tier": 3, "categories": ["ideation_active", "timing"]},
        {"tier": 1, "categories": ["distress"]},
        {"tier": 0, "categories": []},
    ]
    assert result.stderr == ""


def test_eval_of_the_shipped_set_prints_every_figure() -> None:
    result = _run("--eval", str(EVAL))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in ("precision", "recall", ">=2", "false positives on tier 0", "confusion matrix", "lexicon 2026"):
        assert needle in out, needle
    rows = [line.split() for line in out.splitlines()]
    flagged = next(row for row in rows if row and row[0] == ">=2")
    assert float(flagged[1]) >= 0.90 and float(flagged[2]) >= 0.90


def _eval_file(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_eval_counts_the_confusion_matrix(tmp_path: Path) -> None:
    path = _eval_file(
        tmp_path,
        [
            {"text": "i want to die", "tier": 2},
            {"text": "good morning", "tier": 0},
            {"text": "i'm going to kill myself tonight", "tier": 3},
            {"text": "good night", "tier": 1, "kind": "made-up"},  # a wrong label, to see it counted
        ],
    )
    out = io.StringIO()
    assert run_screen(str(path), stdout=out, errors=True) == 0
    text = out.getvalue()
    matrix = text.split("confusion matrix")[1].splitlines()
    assert matrix[2].split() == ["0", "1", "0", "0", "0"]
    assert matrix[3].split() == ["1", "1", "0", "0", "0"]
    assert matrix[4].split() == ["2", "0", "0", "1", "0"]
    assert matrix[5].split() == ["3", "0", "0", "0", "1"]
    assert "false positives on tier 0: 0.000 (0 of 1" in text
    assert "made-up" in text and '1 -> 0  "good night"' in text


def test_main_dispatches_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _eval_file(tmp_path, [{"text": "i want to die", "tier": 2}])
    assert main(["screen", "--eval", str(path)]) == 0
    assert "1 labelled messages" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["couldn't find"]),
        ("not json\n", ["line 1", "not valid JSON"]),
        ('{"text": "hi", "tier": 0}\n{"text": "x", "tier": 5}\n', ["line 2", "tier"]),
        ('{"tier": 1}\n', ["line 1", "text"]),
        ("[1, 2]\n", ["line 1", "object"]),
        ("\n\n", ["no labelled messages"]),
    ],
)
def test_a_missing_or_malformed_eval_file_exits_2_kindly(tmp_path: Path, content: str | None, words: list[str]) -> None:
    path = tmp_path / "set.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_screen(str(path), stdout=out, stderr=err) == 2
    for word in words:
        assert word in err.getvalue(), (word, err.getvalue())
    assert "Traceback" not in err.getvalue() and out.getvalue() == ""


def test_a_missing_eval_file_through_the_real_command(tmp_path: Path) -> None:
    result = _run("--eval", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "couldn't find" in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_lexicon_exits_2_and_names_it(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text(
        'schema_version = 1\nversion = "x"\n[[risk]]\ncategory = "feelings"\ntier = 2\nphrases = ["a"]\n'
    )
    err = io.StringIO()
    assert run_screen(None, lexicon=str(lexicon), stdin=io.BytesIO(b"hi\n"), stdout=io.StringIO(), stderr=err) == 2
    assert "feelings" in err.getvalue() and "lexicon" in err.getvalue()


def test_stdin_that_is_not_utf8_is_still_screened() -> None:
    out = io.StringIO()
    assert run_screen(None, stdin=io.BytesIO(b"i want to die \xff\nok\r\n"), stdout=out) == 0
    assert [json.loads(line)["tier"] for line in out.getvalue().splitlines()] == [2, 0]


def test_check_validates_the_lexicon(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    (tmp_path / "data" / "crisis").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "crisis_resources.toml", tmp_path / "data" / "crisis_resources.toml")
    lexicon = tmp_path / "data" / "crisis" / "lexicon.toml"
    shutil.copy(ROOT / "data" / "crisis" / "lexicon.toml", lexicon)
    lines: list[str] = []
    run_check(lines.append, root=tmp_path)
    assert "Data files: crisis lexicon ok" in lines
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace('kind = "negation"', 'kind = "sarcasm"'), encoding="utf-8"
    )
    lines.clear()
    assert run_check(lines.append, root=tmp_path) == 1
    problem = next(line for line in lines if line.startswith("Data file problem (crisis lexicon)"))
    assert "lexicon.toml" in problem and "sarcasm" in problem
