"""The OpenAPI document, made to say what the app really answers.

FastAPI documents a route's own responses; what the layers around every route answer
is added here, once, instead of on every route:
- 422 is `{"detail": str}` (api/errors.py), not FastAPI's list of validation errors, and
  every operation can return it: the input guard checks every query string and path;
- 413 on every operation that takes a body (api/limits.py);
- 401 and 403 on operations that need a login;
- 404 on operations with a path parameter (an unknown id or token).
Tests hold the document to the app: tests/properties/test_openapi_contract.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
LOGIN_PREFIXES = ("/api/staff", "/api/broadcasts", "/api/cases", "/api/topics")
DESCRIPTIONS = {
    "401": "Login required",
    "403": "Wrong role, or a failed CSRF or signature check",
    "404": "Not found",
    "413": "Request body too large",
    "422": "Invalid input",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _error(status: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _statuses(path: str, operation: dict[str, Any]) -> set[str]:
    statuses = {"422"}
    if "requestBody" in operation:
        statuses.add("413")
    if path.startswith(LOGIN_PREFIXES):
        statuses |= {"401", "403"}
    if "{" in path:
        statuses.add("404")
    return statuses


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the layers' answers to every operation; 422 and other errors as ErrorBody."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, operation):
                responses.setdefault(status, _error(status))
            for status, response in responses.items():
                if status.startswith("4"):  # every error is JSON, whatever the route returns
                    response["content"] = _error(status)["content"]
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
