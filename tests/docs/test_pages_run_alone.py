"""Each documentation page's code runs as a newcomer pastes it: in order, in a fresh process.

Sybil runs the same blocks inside the test process, where an import another test made, a
fixture or a warning filter could hide a missing line. Here each page's ```python blocks
are joined in the order the page shows them and run by a new interpreter from the
repository root, as a reader following the page would. A page whose extra is not
installed is skipped, naming the extra the page asks for.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leadpipeline.lifecycle import STANDARD_LIFECYCLE

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
# the optional modules a page may need, and the extra that brings each
_EXTRAS = {
    "numpy": "frames",
    "pyarrow": "frames",
    "pandas": "notebook",
    "matplotlib": "notebook",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
    "starlette": "service",
    "uvicorn": "service",
    "jsonschema": "service",
    "httpx": "test",
}


def blocks(page: Path) -> list[str]:
    """The page's python code blocks, in the order the page shows them."""
    return _BLOCK.findall(page.read_text(encoding="utf-8"))


def _missing_extra(source: str) -> str | None:
    """The extra of the first optional module the code imports that is not installed."""
    for module, extra in _EXTRAS.items():
        imported = re.search(rf"^\s*(?:import|from)\s+{module}\b", source, re.MULTILINE)
        if imported and importlib.util.find_spec(module) is None:
            return extra
    return None


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_page_runs_in_a_fresh_process(page: Path) -> None:
    """Every code block of the page, in order, runs in a new interpreter without error."""
    source = "\n\n".join(blocks(page))
    extra = _missing_extra(source)
    if extra is not None:
        pytest.skip(f"{page.name} needs the {extra} extra: pip install -e '.[{extra}]'")
    done = subprocess.run(
        [sys.executable, "-c", source],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{page.name} failed:\n{done.stderr[-3000:]}"


def test_every_page_with_code_is_run() -> None:
    """The pages found are the documentation: the README and at least ten pages under docs/."""
    with_code = [p for p in PAGES if blocks(p)]
    assert REPO / "README.md" in with_code
    assert len(with_code) >= 10


def test_the_concepts_diagram_shows_every_allowed_move() -> None:
    """docs/concepts.md draws the standard lifecycle exactly as `to_mermaid()` renders it."""
    text = (REPO / "docs" / "concepts.md").read_text(encoding="utf-8")
    diagram = re.search(r"^```mermaid\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert diagram is not None
    assert diagram.group(1) == STANDARD_LIFECYCLE.to_mermaid().rstrip("\n") + "\n"
    for source, target in STANDARD_LIFECYCLE.moves:
        assert f"    {source} --> {target}\n" in diagram.group(1)
