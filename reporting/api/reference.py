"""A readable page of the OpenAPI schema (`/api/docs/`): every route with its parameters and the
fields of its answer, drawn on the server from the same schema as `/api/schema/`.

Swagger UI and Redoc were the alternatives; both are English-only single-page applications that
need scripts our Content-Security-Policy does not run inline and markup that axe flags, while this
page is public, must meet WCAG 2.1 AA (issue 17) and follow the reader's language. The schema
itself stays the machine-readable contract: this page only lays it out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, override
from drf_spectacular.generators import SchemaGenerator

_CODE = re.compile(r"`([^`]+)`")


def _prose(text: str) -> str:
    """Docstring text as HTML: escaped, `code` marked, paragraphs kept, wrapped lines joined."""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text or "") if part.strip()]
    return mark_safe("".join("<p>" + _CODE.sub(r"<code>\1</code>", escape(p)) + "</p>"
                             for p in paragraphs))


def _type(schema: dict, components: dict) -> str:
    """A short type name: `string (date)`, `integer`, `array of Line`, an enum's values."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = components.get(name, {})
        return " | ".join(map(str, target["enum"])) if "enum" in target else name
    if "allOf" in schema or "oneOf" in schema:
        return " | ".join(_type(part, components) for part in schema.get("allOf") or schema["oneOf"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"] if v not in ("", None)) or "string"
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}), components)}"
    return f"{kind} ({schema['format']})" if schema.get("format") else kind


def _fields(name: str, components: dict) -> list[dict]:
    schema = components.get(name, {})
    required = set(schema.get("required", []))
    return [{"name": field, "type": _type(spec, components),
             "required": field in required, "nullable": bool(spec.get("nullable")),
             "description": _prose(spec.get("description", ""))}
            for field, spec in schema.get("properties", {}).items()]


def _answer(operation: dict, components: dict) -> tuple[str, list[dict]]:
    """The 200 answer's schema name and the fields of one row (a page's `results` unwrapped)."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    results = components.get(name, {}).get("properties", {}).get("results")
    if results:  # a paginated list: document the rows
        name = results.get("items", {}).get("$ref", "").rsplit("/", 1)[-1]
        return name, _fields(name, components)
    return name, _fields(name, components) if name else []


@lru_cache(maxsize=4)
def _routes(language: str) -> list[dict]:
    with override(language):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    routes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answer, fields = _answer(operation, components)
            routes.append({
                "method": method.upper(), "path": path, "id": operation["operationId"],
                "description": _prose(operation.get("description", "")),
                "parameters": [{
                    "name": p["name"], "where": p["in"], "required": p.get("required", False),
                    "type": _type(p.get("schema", {}), components),
                    "description": _prose(p.get("description", "")),
                } for p in operation.get("parameters", [])],
                "answer": answer, "fields": fields,
            })
    return routes


def reference(request):
    """The API's reference page, open to everyone like the schema it lays out."""
    return render(request, "reporting/api_reference.html", {"routes": _routes(get_language())})
