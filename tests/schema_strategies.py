"""Hypothesis strategies drawn from a JSON Schema: the keywords `leadpipeline.schema` writes.

Why our own: hypothesis-jsonschema does not run with the Hypothesis this project uses.
This covers exactly the keywords the library's schemas use and refuses any other, so a
new keyword cannot be ignored silently; every drawn payload is then checked with the
`jsonschema` validator (formats included), so only payloads the schema accepts come out.
"""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
from hypothesis import strategies as st

__all__ = ["from_schema", "validator_for"]

Schema = dict[str, Any]

_ANNOTATIONS = {"$schema", "title", "description", "default", "x-leadpipeline-rules", "$defs"}
_KNOWN = _ANNOTATIONS | {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "oneOf",
    "anyOf",
    "enum",
    "const",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "format",
    "if",
    "then",
}


def validator_for(schema: Schema) -> jsonschema.Draft202012Validator:
    """A draft 2020-12 validator that also checks formats (date, date-time)."""
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _merge(base: Schema, extra: Schema) -> Schema:
    """`base` narrowed by `extra` (a oneOf branch): property by property, extra wins."""
    merged = {**base, **{k: v for k, v in extra.items() if k not in ("properties", "required")}}
    if "properties" in extra:
        props = dict(base.get("properties", {}))
        for name, narrower in extra["properties"].items():
            props[name] = {**props.get(name, {}), **narrower}
            if "type" in narrower:  # the branch fixes the type: drop the base's alternatives
                props[name].pop("anyOf", None)
                props[name].pop("$ref", None)
        merged["properties"] = props
    merged["required"] = sorted({*base.get("required", ()), *extra.get("required", ())})
    return merged


class _Drawer:
    def __init__(self, root: Schema) -> None:
        self.root = root
        self.format_checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    def resolve(self, ref: str) -> Schema:
        prefix = "#/$defs/"
        assert ref.startswith(prefix), ref
        found: Schema = self.root["$defs"][ref.removeprefix(prefix)]
        return found

    def draw(self, schema: Schema | bool, depth: int = 0) -> st.SearchStrategy[Any]:
        if schema is True:
            schema = {}
        assert schema is not False, "an impossible schema"
        unknown = set(schema) - _KNOWN
        assert not unknown, f"keywords this drawer does not know: {sorted(unknown)}"
        assert depth < 40, "the schema nests too deep (recursion?)"
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref" and k not in _ANNOTATIONS}
            return self.draw(_merge(target, rest) if rest else target, depth + 1)
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                rest = {k: v for k, v in schema.items() if k != combinator}
                branches = [_merge(rest, branch) for branch in schema[combinator]]
                return st.one_of(*(self.draw(b, depth + 1) for b in branches))
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of(*(self.draw({**schema, "type": k}, depth + 1) for k in kind))
        match kind:
            case "null":
                return st.none()
            case "boolean":
                return st.booleans()
            case "integer":
                return self._integers(schema)
            case "number":
                return self._numbers(schema)
            case "string":
                return self._strings(schema)
            case "array":
                return self._arrays(schema, depth)
            case "object":
                return self._objects(schema, depth)
        raise AssertionError(f"no type to draw from in {schema}")

    def _integers(self, schema: Schema) -> st.SearchStrategy[int]:
        low = schema.get("minimum")
        if "exclusiveMinimum" in schema:
            low = math.floor(schema["exclusiveMinimum"]) + 1
        high = schema.get("maximum")
        return st.integers(min_value=low, max_value=high)

    def _numbers(self, schema: Schema) -> st.SearchStrategy[float | int]:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        floats = st.floats(
            min_value=low,
            max_value=high,
            exclude_min="exclusiveMinimum" in schema,
            exclude_max="exclusiveMaximum" in schema,
            allow_nan=False,
            allow_infinity=False,
        )
        ints = st.integers(
            min_value=None if low is None else math.floor(low) + 1,
            max_value=None if high is None else math.ceil(high) - 1,
        )
        return floats | ints

    def _strings(self, schema: Schema) -> st.SearchStrategy[str]:
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        if pattern is None:
            assert fmt is None, "a format without a pattern"
            return st.text(max_size=20)
        full = pattern.startswith("^") and pattern.endswith("$")
        text = st.from_regex(pattern, fullmatch=full)
        if fmt is not None:
            text = text.filter(lambda value: self.format_checker.conforms(value, fmt))
        return text

    def _arrays(self, schema: Schema, depth: int) -> st.SearchStrategy[list[Any]]:
        prefix = schema.get("prefixItems")
        if prefix is not None:
            return st.tuples(*(self.draw(s, depth + 1) for s in prefix)).map(list)
        items = self.draw(schema.get("items", {}), depth + 1)
        return st.lists(
            items,
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", 3),
            unique_by=(lambda v: json.dumps(v, sort_keys=True))
            if schema.get("uniqueItems")
            else None,
        )

    def _objects(self, schema: Schema, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        assert schema.get("additionalProperties") is False, "open objects are not drawn"
        props: Schema = schema.get("properties", {})
        required = set(schema.get("required", ()))

        @st.composite
        def build(draw: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, sub in props.items():
                if name in required or draw(st.booleans()):
                    out[name] = draw(self.draw(sub, depth + 1))
            return out

        return build()


def from_schema(schema: Schema) -> st.SearchStrategy[Any]:
    """Payloads the schema accepts, formats included."""
    check = validator_for(schema)
    return _Drawer(schema).draw(schema).filter(check.is_valid)
