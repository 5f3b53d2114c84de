"""The API's route table: every route is added here with what the OpenAPI document says of
it, so the document cannot drift from the router."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Unpack

import msgspec
from aiohttp import web

from culturecast import __version__
from culturecast.core.kit import Handler, RouteDoc


class ErrorDetail(msgspec.Struct):
    code: str
    message: str


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented route."""

    method: str
    """HTTP method."""
    path: str
    """aiohttp path template (``/api/v1/orgs/{org_id}``), also OpenAPI's."""
    summary: str
    """One line for the document."""
    tag: str
    """Group in the document."""
    body: type | None
    """Request body struct, if any."""
    response: type | None
    """Response body struct, if any."""
    status: int
    """Success status."""
    auth: bool
    """Whether a bearer token is required."""
    raw_body: tuple[str, ...] = ()
    """Content types of a raw (non-JSON) request body."""


@dataclass(slots=True)
class ApiRoutes:
    """Adds routes to the app's router and remembers them for the OpenAPI document."""

    router: web.UrlDispatcher
    """The application's router."""
    operations: list[Operation] = field(default_factory=list)
    """Every route added so far."""

    def add(self, method: str, path: str, handler: Handler, **doc: Unpack[RouteDoc]) -> None:
        self.router.add_route(method, path, handler)
        self.operations.append(
            Operation(
                method,
                path,
                doc["summary"],
                doc["tag"],
                doc.get("body"),
                doc.get("response"),
                doc.get("status", 200),
                doc.get("auth", True),
                doc.get("raw_body", ()),
            )
        )

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document."""
        models: set[type] = {ErrorBody}
        for op in self.operations:
            models.update(t for t in (op.body, op.response) if t is not None)
        ordered = sorted(models, key=lambda t: t.__name__)
        schemas, components = msgspec.json.schema_components(
            ordered, ref_template="#/components/schemas/{name}"
        )
        refs = dict(zip(ordered, schemas, strict=True))
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            entry: dict[str, Any] = {
                "summary": op.summary,
                "tags": [op.tag],
                "responses": {
                    str(op.status): _response(refs.get(op.response) if op.response else None),
                    "default": _response(refs[ErrorBody], "error"),
                },
            }
            params = [
                {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                for part in op.path.split("/")
                if part.startswith("{")
            ]
            if params:
                entry["parameters"] = params
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[op.body]}},
                }
            if op.raw_body:
                binary = {"schema": {"type": "string", "format": "binary"}}
                entry["requestBody"] = {
                    "required": True,
                    "content": {ctype: binary for ctype in op.raw_body},
                }
            if op.auth:
                entry["security"] = [{"bearer": []}]
            paths.setdefault(op.path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": "CultureCast API", "version": __version__},
            "paths": paths,
            "components": {
                "schemas": components,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


def _response(schema: dict[str, Any] | None, description: str = "success") -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}
