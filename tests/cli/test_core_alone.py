"""The README's first command needs no extra: the demo runs on the core's dependencies alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

EXTRAS = (
    "holidays",
    "numpy",
    "pyarrow",
    "pandas",
    "matplotlib",
    "psycopg",
    "sklearn",
    "pyspark",
    "starlette",
)
"""Every optional package; a child process that cannot import any of them runs the demo."""


class TestTheDemoNeedsNoExtra:
    def test_the_demo_runs_with_every_extra_missing(self) -> None:
        """With each extra's package made unimportable, the demo still prints its report."""
        script = textwrap.dedent(
            f"""
            import pathlib, sys, tempfile
            for name in {EXTRAS!r}:
                sys.modules[name] = None  # importing it now raises ImportError
            from leadpipeline.cli import run_demo
            db = pathlib.Path(tempfile.mkdtemp()) / "demo.db"
            print(run_demo(leads=20, seed=5, db=db))
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("SIMULATED DATA")
        assert "partner/p-3        vienna" in result.stdout
