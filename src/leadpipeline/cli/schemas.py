"""``leadpipeline schema``: the JSON Schema of any value a service exchanges.

Without a name it lists every name with a line about it; with one it prints that value's
standalone schema; ``--all`` prints every definition in one document.
"""

from __future__ import annotations

import argparse
import difflib
import json

from leadpipeline.errors import ValidationError
from leadpipeline.schema import DIALECT, definitions, json_schema, schema_names
from leadpipeline.schema import _summaries as summaries

__all__ = ["schema_command"]


def schema_command(args: argparse.Namespace) -> None:
    """Print a schema, every schema, or the list of names."""
    names = schema_names()
    if args.all:
        print(json.dumps({"$schema": DIALECT, "$defs": definitions()}, indent=2))
        return
    if args.name is None:
        rows = summaries(names)
        width = max(len(name) for name, _ in rows)
        for name, summary in rows:
            print(f"{name:<{width}}  {summary}")
        return
    if args.name not in names:
        close = difflib.get_close_matches(args.name, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValidationError.at(
            "name", f"no schema called {args.name!r}{hint} (`leadpipeline schema` lists them)"
        )
    print(json.dumps(json_schema(args.name), indent=2))
