"""Run the command line in a child process, as a user would."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_demo.txt")
GOLDEN_ARGS = ("demo", "--leads", "40", "--seed", "5")
"""The demo whose printed report is checked in as `golden_demo.txt`."""


def run(
    *args: str | Path, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m leadpipeline ARGS`` with its output captured as text (`stdin` fed in)."""
    return subprocess.run(
        [sys.executable, "-m", "leadpipeline", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one-line message of a refused run; fails unless it is exactly that."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def lines_of(texts: Sequence[str]) -> str:
    """JSON-lines file content."""
    return "".join(t + "\n" for t in texts)


def section(report: str, title: str) -> list[str]:
    """The indented lines under one heading of the report (its first words suffice)."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split(" (")[0] == title) + 1
    body = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        body.append(line)
    return body


def journey_of(report: str) -> dict[str, int]:
    """The journey section as {turn: count}."""
    return {line[:27].strip(): numbers(line)[0] for line in section(report, "journey")}


def numbers(line: str) -> list[int]:
    """The whole numbers of a line, percentages left out."""
    return [int(n) for n in re.findall(r"(?<![\w.-])(\d+)(?![\d%])", line)]
