"""The rules of the house (README, "For developers"): features meet only through `bot/features.py`, no import
cycle anywhere, every feature slot filled after start-up, cog files that stay small, a domain that knows no Discord.

The import graph is read from the source with `ast`: every `import` and `from ... import` of the project's own
modules, at module level or inside a function (a hidden local import is still an import), except those under
`if TYPE_CHECKING:`, which never run. Only the edges written in the code count; the implicit import of a parent
package that Python makes on the way is left out, or every package whose `__init__` loads its own modules would
be a "cycle".
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.features import FeatureMissing, Features
from bot.testing import StandIn

ROOT = Path(__file__).resolve().parent.parent
OWN = ("bot", "cogs")
MAX_COG_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def own_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in OWN:
        for path in (ROOT / top).rglob("*.py"):
            found[module_name(path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, typing_too: bool) -> list[tuple[str, list[str]]]:
    """`(module, names)` for every import statement, skipping `if TYPE_CHECKING:` bodies unless `typing_too`."""
    found: list[tuple[str, list[str]]] = []

    def walk(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node) and not typing_too:
            for child in node.orelse:
                walk(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            walk(child)

    walk(tree)
    return found


def edges(modules: dict[str, Path], *, typing_too: bool = False) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a `from package import module` is an edge to the module)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module, names in _imports(tree, typing_too=typing_too):
            if module.split(".")[0] not in OWN:
                continue
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            if len(targets) < len(names) or not names:
                targets.append(module)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_reader_counts_local_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cogs.a import X\n"
        "def f():\n    from cogs.b import Y\n"
    )
    assert _imports(tree, typing_too=False) == [("typing", ["TYPE_CHECKING"]), ("cogs.b", ["Y"])]


def test_no_import_cycle_in_bot_or_cogs() -> None:
    assert find_cycle(edges(own_modules())) is None


def test_no_feature_imports_another_feature() -> None:
    """cogs/X never imports cogs/Y, not even for typing: features meet through bot/features.py."""
    modules = own_modules()
    offenders = []
    for name, targets in edges(modules, typing_too=True).items():
        if not name.startswith("cogs.") or name.count(".") < 1:
            continue
        feature = name.split(".")[1]
        for target in targets:
            if target.startswith("cogs.") and target.count(".") >= 1 and target.split(".")[1] != feature:
                offenders.append(f"{name} imports {target}")
    assert offenders == []


def test_bot_never_imports_a_feature() -> None:
    """The application below the features (bot/) knows no cog, so the house has one direction."""
    offenders = [
        f"{name} imports {target}"
        for name, targets in edges(own_modules(), typing_too=True).items()
        if name.startswith("bot.")
        for target in targets
        if target.startswith("cogs.")
    ]
    assert offenders == []


def test_no_cog_file_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "cogs").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_COG_LINES
    }
    assert long == {}


def test_the_domain_imports_neither_discord_nor_the_shells_errors() -> None:
    offenders = []
    for path in (ROOT / "bot" / "domain").rglob("*.py"):
        for module, _names in _imports(ast.parse(path.read_text(encoding="utf-8")), typing_too=True):
            if module.split(".")[0] == "discord" or module.startswith(("bot.errors", "bot.replies")):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_an_empty_slot_says_which_feature_is_missing() -> None:
    features = Features()
    assert set(features.missing()) == set(Features.SLOTS)
    with pytest.raises(FeatureMissing, match="prompts"):
        _ = features.prompts


async def test_every_feature_slot_is_filled_after_setup_hook(discord_standin: StandIn) -> None:
    bot = discord_standin.bot
    assert bot is not None
    assert bot.features.missing() == []
    for slot in Features.SLOTS:
        assert getattr(bot.features, slot) is not None
