"""A small JSON Schema validator for the subset the model schema uses.

Supports ``type``, ``enum``, ``const``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``minItems``, ``maxItems``, ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``,
``maxLength``, ``pattern``, ``anyOf`` (checked last; of several failing
branches the error with the longest path is told) and local ``$ref``
(``#/$defs/name``); other keywords are annotations. The tests check
it against the ``jsonschema`` package on valid files and mutations. It exists
so the app validates with nothing beyond NumPy, and so every error carries the
JSON path of the field (``$.graph.nodes[2].params.units``).
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["first_error"]

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}

#: Python types json.loads makes that a JSON type always accepts (bool is not a number).
_PLAIN = {"number": (int, float), "string": (str,), "boolean": (bool,), "null": (type(None),),
          "array": (list,), "object": (dict,)}


def _describe(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def first_error(instance: Any, schema: dict, root: dict | None = None,
                path: str = "$") -> tuple[str, str] | None:
    """(JSON path, message) of the first violation, or None if ``instance`` is valid."""
    root = root or schema
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        return first_error(instance, root["$defs"][ref[len("#/$defs/"):]], root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](instance) for t in types):
            return path, f"must be {' or '.join(types)} (got {_describe(instance)})"
    if "const" in schema and instance != schema["const"]:
        return path, f"must be {schema['const']!r} (got {_describe(instance)})"
    if "enum" in schema and not any(instance == e and type(instance) is type(e) for e in schema["enum"]):
        choices = ", ".join(map(str, schema["enum"]))
        return path, f"must be one of {choices} (got {_describe(instance)})"
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            return path, f"must be at least {schema['minimum']} (got {instance})"
        if "maximum" in schema and instance > schema["maximum"]:
            return path, f"must be at most {schema['maximum']} (got {instance})"
        if "exclusiveMaximum" in schema and instance >= schema["exclusiveMaximum"]:
            return path, f"must be below {schema['exclusiveMaximum']} (got {instance})"
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            return path, f"must be above {schema['exclusiveMinimum']} (got {instance})"
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            return path, f"must have at least {schema['minLength']} characters"
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            return path, f"must have at most {schema['maxLength']} characters"
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            return path, f"{_describe(instance)} does not match the pattern {schema['pattern']}"
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            return path, f"must have at least {schema['minItems']} items (has {len(instance)})"
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            return path, f"must have at most {schema['maxItems']} items (has {len(instance)})"
        items = schema.get("items")
        if items is not None and items.keys() == {"type"}:
            # Items checked by type alone (a saved table's cells): no call per item,
            # so 100,000 rows of cells validate in a fraction of the time.
            types = items["type"] if isinstance(items["type"], list) else [items["type"]]
            plain = {cls for t in types for cls in _PLAIN.get(t, ())}  # accepted at a glance
            for i, item in enumerate(instance):
                if type(item) not in plain and not any(_TYPES[t](item) for t in types):
                    return f"{path}[{i}]", f"must be {' or '.join(types)} (got {_describe(item)})"
        elif items is not None:
            for i, item in enumerate(instance):
                err = first_error(item, items, root, f"{path}[{i}]")
                if err:
                    return err
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                return path, f"the field '{key}' is missing"
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            sub = f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{path}[{key!r}]"
            if key in props:
                err = first_error(value, props[key], root, sub)
            elif extra is False:
                return sub, "is not a known field"
            elif isinstance(extra, dict):
                err = first_error(value, extra, root, sub)
            else:
                err = None
            if err:
                return err
    if "anyOf" in schema:  # last: an object's own fields are told first
        errors = [first_error(instance, s, root, path) for s in schema["anyOf"]]
        if all(errors):
            return max(errors, key=lambda e: len(e[0]))  # the most specific
    return None
