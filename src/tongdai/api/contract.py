"""The OpenAPI document tells the truth about errors: every operation lists the error responses tongdai
actually sends, each as `application/problem+json` with the one problem schema (`errors[]` naming the
field and a stable code), in place of FastAPI's default 422 shape, which tongdai never sends. And every
field and parameter says what it means, with an example (`vocabulary.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .vocabulary import BY_SCHEMA, FIELDS, OBJECTS, PARAMETERS

PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail", "errors"],
    "description": "An error (RFC 9457), with every problem found listed in `errors`.",
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem",
                 "example": "https://tongdai.dev/problems/invalid-input"},
        "title": {"type": "string", "description": "a short summary", "example": "Invalid input"},
        "status": {"type": "integer", "description": "the HTTP status", "example": 422},
        "detail": {"type": "string", "description": "what happened, for a human",
                   "example": "queue_id: no such queue in this tenant"},
        "errors": {"type": "array", "description": "each problem, by field, with a stable code (docs/api.md)",
                   "items": {"$ref": "#/components/schemas/ProblemError"}},
    },
}
PROBLEM_ERROR = {
    "type": "object", "required": ["field", "code", "message"],
    "properties": {
        "field": {"type": "string", "description": "the field at fault (`body`, a dotted path, or `authorization`)",
                  "example": "queue_id"},
        "code": {"type": "string", "description": "a stable machine code", "example": "unknown_queue"},
        "message": {"type": "string", "description": "the reason, for a human",
                    "example": "no such queue in this tenant"},
    },
}
WHY = {
    "400": "the body could not be read (not JSON, or not UTF-8)",
    "401": "no API key, or an unknown or revoked one",
    "403": "the key's role may not do this",
    "404": "no such object in the key's tenant (another tenant's id is not found either)",
    "409": "refused: the object is still in use (`used_by`)",
    "413": "the request body is too large",
    "422": "the input broke a rule or a type; `errors` lists every problem with its field",
    "429": "too many requests from this client",
    "503": "the database (or the running switch) is unavailable; retry",
}
OPEN = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"}  # answer without a key


def _response(status: str) -> dict[str, Any]:
    return {"description": WHY[status],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


NO_EXAMPLE = object()


def _example(node: dict[str, Any], schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """The example a schema node has, or one made from the examples of the schema it holds (NO_EXAMPLE
    when there is none; None is an example: null)."""
    if node.get("examples"):
        return node["examples"][0]
    if "example" in node:
        return node["example"]
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return NO_EXAMPLE
        properties = schemas[name].get("properties", {})
        made = {field: _example(prop, schemas, seen | {name}) for field, prop in properties.items()}
        return {field: value for field, value in made.items() if value is not NO_EXAMPLE}
    for variant in [*node.get("anyOf", ()), *node.get("allOf", ())]:
        if variant.get("type") != "null":
            return _example(variant, schemas, seen)
    if node.get("type") == "array" and "items" in node:
        item = _example(node["items"], schemas, seen)
        return NO_EXAMPLE if item is NO_EXAMPLE else [item]
    return NO_EXAMPLE


def _describe(schema: dict[str, Any]) -> None:
    """Each field's description and example from the vocabulary, where the model did not write them."""
    schemas = schema["components"]["schemas"]
    for name, body in schemas.items():
        for field, prop in body.get("properties", {}).items():
            description, example = BY_SCHEMA.get(f"{name}.{field}") or FIELDS.get(field) or ("", None)
            if description and not prop.get("description"):
                prop["description"] = description
            if example is not None and "examples" not in prop and "example" not in prop:
                prop["examples"] = [example]
    for body in schemas.values():  # fields holding other schemas: an example made from theirs
        for prop in body.get("properties", {}).values():
            if "examples" not in prop and "example" not in prop:
                made = _example(prop, schemas)
                if made is not NO_EXAMPLE:
                    prop["examples"] = [made]
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                name = parameter["name"]
                if parameter["in"] == "path":
                    collection = path.removeprefix("/api/v1/").split("/", 1)[0]
                    known = OBJECTS.get(collection) if name == "object_id" else PARAMETERS.get(f"path:{name}")
                else:
                    known = PARAMETERS.get(f"{path}:{name}") or PARAMETERS.get(name)
                description, example = known or ("", None)
                if description and not parameter.get("description"):
                    parameter["description"] = description
                if example is not None and "example" not in parameter:
                    parameter["example"] = example


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"], schemas["ProblemError"] = PROBLEM, PROBLEM_ERROR
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                statuses = ["422", "503"] if path in OPEN else ["401", "403", "413", "422", "429", "503"]
                if "{" in path or "requestBody" in operation:  # an id in the path, or one the body names
                    statuses.append("404")
                if method == "delete":
                    statuses.append("409")
                if "requestBody" in operation:
                    statuses.append("400")
                for status in statuses:
                    responses[status] = _response(status)
        _describe(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
