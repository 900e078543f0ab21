"""`playbook lifecycle` prints the stage graph, and the docs show exactly what it prints."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from leadpipeline.lifecycle import STANDARD_LIFECYCLE
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.serialization import to_toml
from tests.cli.helpers import REPO, run

_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


class TestLifecycleCommand:
    def test_prints_every_allowed_move(self) -> None:
        """The diagram has one arrow per move of the standard lifecycle, and nothing else."""
        result = run("playbook", "lifecycle")

        assert result.returncode == 0, result.stderr
        arrows = {
            tuple(line.strip().split(" --> "))
            for line in result.stdout.splitlines()
            if " --> " in line and "[*]" not in line
        }
        assert arrows == set(STANDARD_LIFECYCLE.moves)

    def test_a_playbook_file_draws_its_own_lifecycle(self, tmp_path: Path) -> None:
        """A playbook whose lifecycle drops a move prints a diagram without that arrow."""
        moves = STANDARD_LIFECYCLE.moves - {("mql", "inquiry")}
        playbook = attrs.evolve(
            DEFAULT_PLAYBOOK, lifecycle=attrs.evolve(STANDARD_LIFECYCLE, moves=moves)
        )
        path = tmp_path / "playbook.toml"
        path.write_text(to_toml(playbook), encoding="utf-8")

        result = run("playbook", "lifecycle", "--playbook", path)

        assert result.returncode == 0, result.stderr
        assert "mql --> inquiry" not in result.stdout
        assert "mql --> sal" in result.stdout

    def test_markdown_prints_the_table(self) -> None:
        """--markdown prints the stage table the lifecycle renders."""
        result = run("playbook", "lifecycle", "--markdown")

        assert result.stdout == STANDARD_LIFECYCLE.to_markdown() + "\n"


class TestConceptsDiagram:
    def test_the_concepts_page_shows_the_generated_diagram(self) -> None:
        """docs/concepts.md holds exactly what `playbook lifecycle` prints: every move, no more."""
        text = (REPO / "docs" / "concepts.md").read_text(encoding="utf-8")

        (diagram,) = _MERMAID.findall(text)

        assert diagram == STANDARD_LIFECYCLE.to_mermaid() + "\n"
