"""Every route of the OpenAPI document against hostile input: bodies that are not UTF-8, in
the wrong content type, not JSON, or with absurd numbers in every number field; queries with
huge, negative, full-width, non-finite and broken-encoding numbers. Nothing may answer 5xx,
and every refusal is the documented JSON error (``Api.call`` checks the shape)."""

from __future__ import annotations

import json as json_module
from typing import Any

from tests.support.api import Api

BAD_BODIES: list[tuple[bytes, str]] = [
    (b'{"title": "\xff\xfe", "name": "\xc3"}', "application/json"),
    (b'{"a": "\xed\xa0\x80"}', "application/json"),  # an encoded surrogate: not UTF-8
    (b"\xff" * 64, "text/plain"),
    (b'{"title": "x"}', "text/html"),
    (b"title=x", "application/x-www-form-urlencoded"),
    (b"--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
    (b'{"title": "x"}', ""),
    (b'{"title": "x"}', "application/json; charset=latin-1"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b'{"a": "\\ud800"}', "application/json"),
    (b'{"a": "\\u0000"}', "application/json"),
    (b"nul\x00", "application/json"),
    (b"1e999999", "application/json"),
]

HUGE_NUMBERS: list[Any] = [1e308, -1e308, 2**64, -(2**63) - 1, 10**30, 0.5, -1]

BAD_QUERIES = [
    "limit=9223372036854775808&offset=9223372036854775808",
    "limit=-1&offset=-1&top=-1&min_plays=-1",
    "limit=%EF%BC%91&offset=%EF%BC%90&top=%EF%BC%91",
    "limit=1e308&offset=nan&from=inf&to=-inf",
    "from=%FF%FE&to=%C3&month=%FF",
    "from=99999-99-99&to=0000-00-00&month=9999-99",
    "from=1e400&to=1e400&after=%00",
    "q=%00%00&status=%00&by=%00&format=%00&lang=%FF&category=%00",
    "limit=" + "9" * 5000,
]


def _sample(schema: dict[str, Any], schemas: dict[str, Any], number: Any) -> Any:
    """A value for ``schema``: numbers become ``number``, the rest something plausible."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return number
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {}), schemas, number)]
    if kind == "object":
        return {
            name: _sample(spec, schemas, number)
            for name, spec in schema.get("properties", {}).items()
        }
    return "x"


async def _ids(admin: Api) -> dict[str, str]:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
    event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org["id"], "title": "村晚", "published": True}, 201
    )
    series = await admin.ok(
        "POST", "/api/v1/series", {"org_id": org["id"], "title": "三国演义"}, expect=201
    )
    me = await admin.ok("GET", "/api/v1/auth/me")
    return {
        "org_id": org["id"],
        "event_id": event["id"],
        "series_id": series["id"],
        "user_id": me["id"],
        "item_type": "live",
        "item_id": event["id"],
    }


def _path(template: str, ids: dict[str, str], *, real: bool) -> str:
    path = template
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value if real else "no-such-id")
    while "{" in path:
        start = path.index("{")
        path = path[:start] + "no-such-id" + path[path.index("}", start) + 1 :]
    return path


async def test_no_route_answers_5xx_to_hostile_input(admin: Api) -> None:
    anonymous = admin.as_user(None)
    ids = await _ids(admin)
    doc = await admin.ok("GET", "/api/v1/openapi.json")
    schemas = doc["components"]["schemas"]
    faults: list[tuple[str, str, str, str]] = []
    sent = 0

    async def send(
        who: Api,
        method: str,
        path: str,
        *,
        json: Any = None,
        raw: bytes | None = None,
        ctype: str | None = None,
    ) -> None:
        nonlocal sent
        headers = {"Content-Type": ctype} if ctype is not None else {}
        if who.token:
            headers["Authorization"] = f"Bearer {who.token}"
        async with who.session.request(
            method, who.base + path, json=json, data=raw, headers=headers
        ) as resp:
            sent += 1
            shown = repr(raw if raw is not None else json)[:80]
            if resp.status >= 500:
                faults.append((method, path, shown, f"{resp.status}: {await resp.text()}"))
            elif resp.status >= 400 and method != "HEAD":
                body = await resp.json() if resp.content_type == "application/json" else None
                if not (isinstance(body, dict) and set(body.get("error", {})) >= {"code"}):
                    faults.append((method, path, shown, f"{resp.status}: not the JSON error"))

    for template, operations in doc["paths"].items():
        for method, op in operations.items():
            method = method.upper()
            if method == "OPTIONS" or template == "/api/v1/auth/logout":
                continue  # logging out would end the fuzzing caller's session
            # Deleting real objects would leave later routes nothing to act on.
            path = _path(template, ids, real=method != "DELETE")
            for query in BAD_QUERIES:
                for who in (admin, anonymous):
                    await send(who, method, f"{path}?{query}")
            if "requestBody" not in op:
                continue
            content = op["requestBody"]["content"]
            for raw, ctype in BAD_BODIES:
                await send(admin, method, path, raw=raw, ctype=ctype)
                await send(anonymous, method, path, raw=raw, ctype=ctype)
            if "application/json" not in content:
                # A raw body (a cover's picture): each declared type with bytes of another
                # type, a truncated signature, and nothing.
                for ctype in content:
                    for raw in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"RIFF\0\0\0\0WEBP", b""):
                        await send(admin, method, path, raw=raw, ctype=ctype)
                continue
            body = content["application/json"]["schema"]
            for number in HUGE_NUMBERS:
                await send(admin, method, path, json=_sample(body, schemas, number))
            # Every text field of a well-formed body in bytes that are not UTF-8, or in GBK.
            valid = json_module.dumps(_sample(body, schemas, 1), ensure_ascii=False).encode()
            for text in (b'"\xc3\x28"', '"文化云"'.encode("gbk")):
                for who in (admin, anonymous):
                    await send(
                        who, method, path, raw=valid.replace(b'"x"', text), ctype="application/json"
                    )
    assert sent > 1000
    assert faults == []
