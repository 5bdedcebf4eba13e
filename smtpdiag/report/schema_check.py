"""A small, fast JSON Schema checker for the project's own report schema.

It understands exactly the keywords ``smtpdiag/data/report.schema.json`` uses (draft 2020-12
semantics): ``type``, ``enum``, ``const``, ``pattern``, ``required``, ``properties``,
``additionalProperties``, ``items``, local ``$ref`` (``#/$defs/...``), ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``, ``maxLength``,
``maxItems``, ``if``/``then``/``else`` and boolean schemas; annotations (``title``,
``description``, ``format``, ``$id``, ``$schema``, ``$defs``) are ignored.  A schema with
any other keyword is refused when it is compiled, so the schema cannot grow a rule this
checker would silently skip (a test runs it side by side with the ``jsonschema`` package).

Every error names the path of the value and the *prunable* path: the innermost array
item or optional property that holds it.  Removing that part of the document removes
the error, which is how a partly valid report can still be shown.

The checker also refuses strings longer than ``max_string`` characters anywhere the
schema describes a string (a 10 MB summary must not freeze a window).
"""

from __future__ import annotations

import re
from typing import Any

from ..frozen import record
from ..i18n import N_

Path = tuple[str | int, ...]

_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "format", "$comment", "examples", "default"}
_KEYWORDS = {"type", "enum", "const", "pattern", "required", "properties", "additionalProperties", "items",
             "$ref", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
             "maxItems", "if", "then", "else"}


class SchemaError(ValueError):
    """The schema uses something this checker does not understand (a bug, not bad input)."""


@record
class Problem:
    path: Path
    prune: Path | None  # the part to remove to get rid of this problem; None: the whole document
    message: str

    def where(self) -> str:
        return "/".join(str(p) for p in self.path) or "(top)"


def _is_type(value: object, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    raise SchemaError(f"unknown type {name!r}")


def _same(a: object, b: object) -> bool:
    """JSON equality for enum/const: True is not 1."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


class Validator:
    """Compiled once per schema; :meth:`problems` is a plain recursive walk."""

    def __init__(self, schema: dict[str, Any], max_string: int = 1 << 16, max_problems: int = 50) -> None:
        self.schema = schema
        self.max_string = max_string
        self.max_problems = max_problems
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._check_schema(schema, set())

    def _check_schema(self, node: object, seen: set[int]) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict) or id(node) in seen:
            if not isinstance(node, dict):
                raise SchemaError(f"not a schema: {node!r}")
            return
        seen.add(id(node))
        unknown = set(node) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise SchemaError(f"unsupported keywords {sorted(unknown)}")
        if "pattern" in node:
            self._patterns[node["pattern"]] = re.compile(node["pattern"])
        if "$ref" in node:
            self._resolve(node["$ref"])
        for key in ("items", "additionalProperties", "if", "then", "else"):
            if key in node:
                self._check_schema(node[key], seen)
        for sub in (node.get("properties") or {}).values():
            self._check_schema(sub, seen)
        for sub in (node.get("$defs") or {}).values():
            self._check_schema(sub, seen)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SchemaError(f"only local references: {ref}")
        node: Any = self.schema
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node:
                raise SchemaError(f"dangling reference {ref}")
            node = node[part]
        return node

    def problems(self, document: object) -> list[Problem]:
        out: list[Problem] = []
        self._walk(self.schema, document, (), None, out)
        return out

    def is_valid(self, document: object) -> bool:
        return not self.problems(document)

    # -- the walk -------------------------------------------------------------------------------
    def _walk(self, schema: Any, value: Any, path: Path, prune: Path | None, out: list[Problem]) -> bool:
        """Check *value*; append problems; return True when it is valid."""
        if len(out) >= self.max_problems:
            return False
        if schema is True:
            return True
        if schema is False:
            out.append(Problem(path, prune, N_("is not allowed")))
            return False
        before = len(out)
        if "$ref" in schema:
            self._walk(self._resolve(schema["$ref"]), value, path, prune, out)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                out.append(Problem(path, prune, N_("has the wrong type")))
                return False
        if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
            out.append(Problem(path, prune, N_("is not one of the known values")))
        if "const" in schema and not _same(value, schema["const"]):
            out.append(Problem(path, prune, N_("has the wrong value")))
        if isinstance(value, str):
            self._string(schema, value, path, prune, out)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(schema, value, path, prune, out)
        elif isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                out.append(Problem(path, prune, N_("has too many items")))
            if "items" in schema:
                for i, item in enumerate(value):
                    self._walk(schema["items"], item, (*path, i), (*path, i), out)
        elif isinstance(value, dict):
            self._object(schema, value, path, prune, out)
        if "if" in schema and self._walk(schema["if"], value, path, prune, []):
            if "then" in schema:
                self._walk(schema["then"], value, path, prune, out)
        elif "if" in schema and "else" in schema:
            self._walk(schema["else"], value, path, prune, out)
        return len(out) == before

    def _string(self, schema: Any, value: str, path: Path, prune: Path | None, out: list[Problem]) -> None:
        if len(value) > min(self.max_string, schema.get("maxLength", self.max_string)):
            out.append(Problem(path, prune, N_("is too long")))
        elif len(value) < schema.get("minLength", 0):
            out.append(Problem(path, prune, N_("is too short")))
        elif "pattern" in schema and not self._patterns[schema["pattern"]].search(value):
            out.append(Problem(path, prune, N_("does not have the expected form")))

    @staticmethod
    def _number(schema: Any, value: float, path: Path, prune: Path | None, out: list[Problem]) -> None:
        if "minimum" in schema and value < schema["minimum"]:
            out.append(Problem(path, prune, N_("is too small")))
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(Problem(path, prune, N_("is too small")))
        if "maximum" in schema and value > schema["maximum"]:
            out.append(Problem(path, prune, N_("is too large")))
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            out.append(Problem(path, prune, N_("is too large")))

    def _object(self, schema: Any, value: dict[str, Any], path: Path, prune: Path | None,
                out: list[Problem]) -> None:
        required = schema.get("required") or ()
        for name in required:
            if name not in value:
                out.append(Problem((*path, name), prune, N_("is missing")))
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            sub = props.get(name, extra)
            if sub is True:
                continue
            # An optional property can be dropped on its own; a required one only with its parent.
            self._walk(sub, item, (*path, name), prune if name in required else (*path, name), out)
