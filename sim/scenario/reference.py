"""The scenario schema, published: JSON Schema for editors, Markdown for people.

Both are generated from :class:`sim.scenario.Scenario` itself, so the reference can never
drift from what the loader accepts. ``tests/test_cli.py`` fails if the committed
``docs/scenario-reference.md`` is out of date (regenerate it with ``make reference``).
"""

from __future__ import annotations

from typing import Any

from sim.scenario.schema import Scenario

_BOUNDS = {
    "minimum": ">=",
    "exclusiveMinimum": ">",
    "maximum": "<=",
    "exclusiveMaximum": "<",
    "minItems": "min items",
    "maxItems": "max items",
    "minProperties": "min entries",
}


def schema_json() -> dict[str, Any]:
    """JSON Schema of a scenario file (``extends`` included)."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Path of a parent scenario, relative to this file; deep-merged under it.",
    }
    schema["title"] = "prefsim scenario"
    return schema


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if "oneOf" in prop:
        return " or ".join(_type(p) for p in prop["oneOf"])
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop:
        return f"mapping name -> {_type(prop['additionalProperties'])}"
    if prop.get("format") == "date":
        return "date"
    return str(kind)


def _bounds(prop: dict[str, Any]) -> str:
    parts = [f"{label} {prop[key]}" for key, label in _BOUNDS.items() if key in prop]
    for alt in prop.get("anyOf", []):
        parts += [f"{label} {alt[key]}" for key, label in _BOUNDS.items() if key in alt]
    return ", ".join(parts)


def _default(prop: dict[str, Any], required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in prop:  # a sub-model built from its own defaults, or no default
        return "defaults" if "$ref" in prop else "none"
    value = prop["default"]
    if isinstance(value, list) and len(value) > 6:
        return f"`{value[:3]} ...` ({len(value)} items)"
    if value == "":
        return '`""`'
    return f"`{value}`" if value not in ({}, None) else ("`null`" if value is None else "defaults")


def _description(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A field's description, or the first paragraph of its sub-model's, on one line."""
    text = prop.get("description", "")
    if not text and "$ref" in prop:
        text = defs.get(_type(prop), {}).get("description", "").split("\n\n")[0]
    return text.replace("|", "\\|").replace("\n", " ")


def _section(name: str, model: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    lines = [f"### `{name}`", "", model.get("description", "").strip(), ""]
    lines += ["| field | type | default | allowed | description |", "|---|---|---|---|---|"]
    required = set(model.get("required", []))
    for field, prop in model.get("properties", {}).items():
        lines.append(
            f"| `{field}` | {_type(prop)} | {_default(prop, field in required)} | "
            f"{_bounds(prop)} | {_description(prop, defs)} |"
        )
    return [*lines, ""]


def reference_markdown() -> str:
    """Every scenario field: type, default, allowed range and meaning."""
    schema = schema_json()
    defs = schema.get("$defs", {})
    lines = [
        "# Scenario reference",
        "",
        "Generated from the schema by `prefsim reference`; do not edit by hand.",
        "Every field below can be set in a scenario file or overridden on the command line",
        "with a dotted path, e.g. `--set staff.front_office_etp=80` or",
        "`--set procedures.renewal.annual_volume=20000`. Editors can autocomplete scenario",
        "files from the JSON Schema printed by `prefsim schema`.",
        "",
        "Times are in days unless the field name says otherwise (`_hour`, `_minutes`).",
        "",
        *_section("Scenario (top level)", schema, defs),
    ]
    for name, model in defs.items():
        if "properties" in model:
            lines += _section(name, model, defs)
    return "\n".join(lines).rstrip() + "\n"
