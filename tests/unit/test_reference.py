"""docs/reference.md lists every public name of every package, and only names that exist."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import leadpipeline

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"
_ENTRY = re.compile(r"^- `([\w.]+)`: (.+)$")
PACKAGES = (
    "leadpipeline.lead",
    "leadpipeline.events",
    "leadpipeline.errors",
    "leadpipeline.lifecycle",
    "leadpipeline.playbook",
    "leadpipeline.stages",
    "leadpipeline.rules",
    "leadpipeline.pipeline",
    "leadpipeline.adapters",
    "leadpipeline.analytics",
    "leadpipeline.analytics.learned",
    "leadpipeline.frames",
    "leadpipeline.spark",
    "leadpipeline.serialization",
    "leadpipeline.schema",
    "leadpipeline.testing",
    "leadpipeline.cli",
)


def entries() -> dict[str, str]:
    """Every ``- `name`: summary`` line of the reference page, by name."""
    found: dict[str, str] = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line)
        if match:
            assert match.group(1) not in found, f"{match.group(1)} is listed twice"
            found[match.group(1)] = match.group(2)
    return found


def resolve(name: str) -> object:
    """The object a listed name stands for: a root name, or a dotted module path."""
    if "." not in name:
        return getattr(leadpipeline, name)
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


class TestReference:
    def test_every_public_name_is_listed(self) -> None:
        """Each name of `leadpipeline.__all__` has a line on the reference page."""
        missing = sorted(set(leadpipeline.__all__) - set(entries()))
        assert missing == []

    @pytest.mark.parametrize("package", PACKAGES)
    def test_every_sub_package_name_is_listed(self, package: str) -> None:
        """Each name a sub-package exports is listed, at the root or under the package."""
        if package == "leadpipeline.spark" and importlib.util.find_spec("pyspark") is None:
            pytest.skip("pyspark is not installed (the spark extra)")
        listed = set(entries())
        exported = importlib.import_module(package).__all__
        missing = [
            n for n in exported if n not in leadpipeline.__all__ and f"{package}.{n}" not in listed
        ]
        assert missing == []

    def test_every_listed_name_exists(self) -> None:
        """Each name on the page is exported (root names) or importable (dotted names)."""
        listed = entries()
        stale = [n for n in listed if "." not in n and n not in leadpipeline.__all__]
        assert stale == []
        spark = importlib.util.find_spec("pyspark") is not None
        for name in listed:
            if spark or not name.startswith("leadpipeline.spark."):
                resolve(name)  # raises AttributeError or ImportError for a stale entry

    def test_every_entry_has_a_one_line_summary(self) -> None:
        """Each entry's summary is a sentence of its own, not left blank or cut short."""
        for name, summary in entries().items():
            assert len(summary.split()) >= 3, name
            assert summary.endswith((".", ")", "`", ":", "...")), name
            assert not summary.endswith(("e.g.", "i.e.")), name


class TestFrontDoor:
    def test_the_root_exports_at_most_sixty_names(self) -> None:
        """The front door stays small: what a host needs on day one, sorted."""
        assert len(leadpipeline.__all__) <= 60
        assert list(leadpipeline.__all__) == sorted(leadpipeline.__all__, key=_sort_key)


def _sort_key(name: str) -> tuple[bool, str]:
    """The linter's order for `__all__`: constants first, then the rest case-sensitively."""
    return (not name.isupper(), name)
