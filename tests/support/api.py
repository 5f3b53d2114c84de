"""A small API client for tests: sign in, call, and assert the documented error shape."""

from __future__ import annotations

from typing import Any

import aiohttp


class Api:
    """Calls ``/api/v1`` on one server with an optional bearer token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str | None = None):
        self.session = session
        self.base = base.rstrip("/")
        self.token = token

    def as_user(self, token: str | None) -> Api:
        return Api(self.session, self.base, token)

    async def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        hdrs = dict(headers or {})
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.base + path, json=json, data=data, headers=hdrs
        ) as resp:
            body: Any = None
            if resp.content_type == "application/json":
                body = await resp.json()
            else:
                body = await resp.read()
            if resp.status >= 400:
                assert isinstance(body, dict), f"{method} {path}: error body is not JSON: {body!r}"
                assert set(body) == {"error"}, body
                assert set(body["error"]) == {"code", "message"}, body
                assert body["error"]["message"], body
            return resp.status, body

    async def login(self, username: str, password: str) -> Api:
        status, body = await self.call(
            "POST", "/api/v1/auth/login", {"username": username, "password": password}
        )
        assert status == 200, body
        return self.as_user(body["token"])

    async def ok(self, method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        status, body = await self.call(method, path, json)
        assert status == expect, (method, path, status, body)
        return body
