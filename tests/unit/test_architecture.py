"""The layers hold: what each part of the package may import, and how big a module may grow.

The imports are read with `ast` from the source files, so a test fails the moment someone
adds an import that crosses a layer, before anything runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "leadpipeline"

CORE = ("lead", "events", "lifecycle", "playbook", "stages", "rules")
"""The pure core: values, history, policy and decisions."""

OUTSIDE_THE_CORE = ("pipeline", "adapters", "analytics", "frames", "cli", "spark", "learn")

MOST_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> list[tuple[str, bool]]:
    """Every leadpipeline module `path` imports, and whether under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for inner in child.body:
                    visit_one(inner, guarded=True)
                for inner in child.orelse:
                    visit_one(inner, guarded=guarded)
            else:
                visit_one(child, guarded)

    def visit_one(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package or module_name(path)).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, guarded))
        else:
            visit(node, guarded)

    visit(tree, guarded=False)
    return [(name, guarded) for name, guarded in found if name.startswith("leadpipeline")]


def part(module: str) -> str:
    """The top-level part of the package a module belongs to (``stages``, ``rules``, ...)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def imports_of(prefix: str) -> list[tuple[str, str]]:
    return [
        (module, target)
        for module, path in modules().items()
        if part(module) == prefix
        for target, _ in imported(path)
    ]


class TestLayers:
    @pytest.mark.parametrize("core", CORE)
    def test_the_core_imports_nothing_outside_it(self, core: str) -> None:
        """No value, policy or decision module reaches for the shell, an adapter or an extra."""
        crossings = [
            (module, target)
            for module, target in imports_of(core)
            if part(target) in OUTSIDE_THE_CORE
        ]
        assert crossings == []

    def test_rules_never_import_stages(self) -> None:
        """Rules are policy arithmetic; the decisions that use them live in stages."""
        assert [(m, t) for m, t in imports_of("rules") if part(t) == "stages"] == []

    def test_the_playbook_imports_no_decision(self) -> None:
        """The playbook is policy data: it knows no stage decision."""
        assert [(m, t) for m, t in imports_of("playbook") if part(t) == "stages"] == []

    def test_the_shell_asks_the_stages_not_the_rules(self) -> None:
        """The shell calls the core once per command, through `stages`, never a rule."""
        assert [(m, t) for m, t in imports_of("pipeline") if part(t) == "rules"] == []

    def test_no_import_of_our_own_hides_behind_type_checking(self) -> None:
        """``if TYPE_CHECKING`` is for optional extras' names, never to hide our own cycle."""
        hidden = [
            (module, target)
            for module, path in modules().items()
            for target, guarded in imported(path)
            if guarded
        ]
        assert hidden == []


class TestModuleSize:
    def test_no_module_is_over_five_hundred_lines(self) -> None:
        """One concept per module: a module that grows past 500 lines is split."""
        lines = {
            module: len(path.read_text(encoding="utf-8").splitlines())
            for module, path in modules().items()
        }
        assert {m: n for m, n in lines.items() if n > MOST_LINES} == {}
