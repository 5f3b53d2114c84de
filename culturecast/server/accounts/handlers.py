"""HTTP handlers of the accounts API: parse, call the service, serialise."""

from __future__ import annotations

from aiohttp import web

from culturecast.core.access import Action, Principal
from culturecast.core.kit import Handler
from culturecast.server.accounts import schemas
from culturecast.server.accounts.service import AccountService, public_org
from culturecast.server.api import ApiRoutes
from culturecast.server.auth import bearer_token, require_principal
from culturecast.server.context import METRICS, SERVICES
from culturecast.server.jsonapi import json_response, read_json


def _accounts(request: web.Request) -> AccountService:
    return request.app[SERVICES].accounts


async def _caller(request: web.Request) -> tuple[AccountService, Principal]:
    accounts = _accounts(request)
    return accounts, await require_principal(request, accounts)


async def login(request: web.Request) -> web.Response:
    body = await read_json(request, schemas.LoginRequest)
    try:
        issued = await _accounts(request).login(
            body.username, body.password, request.remote or "unknown"
        )
    except Exception:
        request.app[METRICS].logins.labels("refused").inc()
        raise
    request.app[METRICS].logins.labels("ok").inc()
    return json_response(
        {"token": issued.token, "expires_at": issued.expires_at, "user": issued.user}
    )


async def logout(request: web.Request) -> web.Response:
    accounts, _ = await _caller(request)
    token = bearer_token(request)
    assert token is not None  # require_principal succeeded, so there is one
    await accounts.logout(token)
    return web.Response(status=204)


async def me(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    return json_response(await accounts.get_user(principal, principal.user_id))


async def list_orgs(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    items = await accounts.list_orgs(principal, request.query.get("parent_id"))
    return json_response({"items": items})


async def create_org(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    body = await read_json(request, schemas.OrgCreate)
    org = await accounts.create_org(
        principal,
        body.name,
        body.parent_id,
        body.guest_chat,
        body.site_type,
        body.expected_learners,
    )
    return json_response(org, status=201)


async def get_org(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    doc = await accounts.visible_org(principal, request.match_info["org_id"], Action.READ_ORG)
    return json_response(public_org(doc))


async def update_org(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    body = await read_json(request, schemas.OrgUpdate)
    org = await accounts.update_org(
        principal,
        request.match_info["org_id"],
        body.name,
        body.guest_chat,
        body.site_type,
        body.expected_learners,
        body.referer_allow,
    )
    return json_response(org)


async def delete_org(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    await accounts.delete_org(principal, request.match_info["org_id"])
    return web.Response(status=204)


async def list_users(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    items = await accounts.list_users(principal, request.query.get("org_id"))
    return json_response({"items": items})


async def create_user(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    body = await read_json(request, schemas.UserCreate)
    user = await accounts.create_user(
        principal, body.username, body.password, body.role, body.org_id, body.display_name
    )
    return json_response(user, status=201)


async def get_user(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    return json_response(await accounts.get_user(principal, request.match_info["user_id"]))


async def update_user(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    body = await read_json(request, schemas.UserUpdate)
    user = await accounts.update_user(
        principal,
        request.match_info["user_id"],
        display_name=body.display_name,
        password=body.password,
        role=body.role,
        disabled=body.disabled,
    )
    return json_response(user)


async def delete_user(request: web.Request) -> web.Response:
    accounts, principal = await _caller(request)
    await accounts.delete_user(principal, request.match_info["user_id"])
    return web.Response(status=204)


def setup_routes(routes: ApiRoutes) -> None:
    tag = "accounts"
    routes.add(
        "POST",
        "/api/v1/auth/login",
        login,
        summary="Sign in; returns a bearer token",
        tag=tag,
        body=schemas.LoginRequest,
        response=schemas.LoginResponse,
        auth=False,
    )
    org, user = "/api/v1/orgs/{org_id}", "/api/v1/users/{user_id}"
    # method, path, handler, summary, request body, response body, success status
    table: list[tuple[str, str, Handler, str, type | None, type | None, int]] = [
        ("POST", "/api/v1/auth/logout", logout, "Revoke the token", None, None, 204),
        ("GET", "/api/v1/auth/me", me, "The signed-in user", None, schemas.User, 200),
        ("GET", "/api/v1/orgs", list_orgs,
         "Organizations in your subtree (?parent_id= for one level)", None, schemas.OrgList, 200),
        ("POST", "/api/v1/orgs", create_org,
         "Create an organization (one level below its parent)", schemas.OrgCreate, schemas.Org,
         201),
        ("GET", org, get_org, "One organization", None, schemas.Org, 200),
        ("PATCH", org, update_org, "Rename or change settings", schemas.OrgUpdate, schemas.Org,
         200),
        ("DELETE", org, delete_org, "Delete an empty organization", None, None, 204),
        ("GET", "/api/v1/users", list_users, "Users in your subtree (?org_id=)", None,
         schemas.UserList, 200),
        ("POST", "/api/v1/users", create_user, "Create a user", schemas.UserCreate, schemas.User,
         201),
        ("GET", user, get_user, "One user", None, schemas.User, 200),
        ("PATCH", user, update_user, "Change a user", schemas.UserUpdate, schemas.User, 200),
        ("DELETE", user, delete_user, "Delete a user", None, None, 204),
    ]  # fmt: skip
    for method, path, handler, summary, body, response, status in table:
        routes.add(
            method,
            path,
            handler,
            summary=summary,
            tag=tag,
            body=body,
            response=response,
            status=status,
        )
