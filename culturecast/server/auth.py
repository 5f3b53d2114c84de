"""Who is calling: the bearer token of a request resolved to a principal."""

from __future__ import annotations

from aiohttp import web

from culturecast.core.errors import Sentence
from culturecast.server.accounts.model import Principal
from culturecast.server.accounts.service import AccountService
from culturecast.server.errors import Unauthorized

PRINCIPAL = web.RequestKey("principal", Principal)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def require_principal(request: web.Request, accounts: AccountService) -> Principal:
    """The signed-in caller, or 401."""
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            Sentence(
                "请先登录。",
                "Sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/login.",
            )
        )
    principal = await accounts.authenticate(token)
    request[PRINCIPAL] = principal
    return principal
