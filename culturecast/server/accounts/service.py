"""Accounts service: organizations, users, sign-in and tokens over the database port.

Handlers parse and serialise; this module decides, with the kernel's rule
(``core/access.py``) and client errors (``core/errors.py``).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from culturecast.core.access import (
    Action,
    Caller,
    Principal,
    Role,
    assignable_roles,
    authorize,
    in_subtree,
    require_role,
)
from culturecast.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Sentence,
    TooManyRequests,
    Unauthorized,
)
from culturecast.core.referer import parse_allow_list
from culturecast.core.sites import SiteType, parse_expected_learners, parse_site_type
from culturecast.core.text import clean_text
from culturecast.server.accounts.model import LEVEL_NAMES, Level
from culturecast.server.accounts.passwords import MIN_PASSWORD_LENGTH, Passwords
from culturecast.storage.counters.port import Counters
from culturecast.storage.database.port import Database, Document, IndexSpec
from culturecast.storage.errors import DuplicateKeyError

ORG_NOT_FOUND = Sentence("找不到该机构。", "Organization not found.")
USER_NOT_FOUND = Sentence("找不到该用户。", "User not found.")

INDEXES = (
    IndexSpec("users", (("username", 1),), unique=True),
    IndexSpec("users", (("org_path", 1),)),
    IndexSpec("orgs", (("parent_id", 1),)),
    IndexSpec("orgs", (("ancestors", 1),)),
    IndexSpec("tokens", (("user_id", 1),)),
    IndexSpec("tokens", (("expires_at", 1),)),
)

LOGIN_WINDOW_S = 15 * 60

type OrgHoldings = Callable[[str], Awaitable[Mapping[str, int]]]
"""What another package keeps for one organization: ``org_id`` → count by kind
(``live_events``, ``resources``, ``series``, ``uploads``), asked of the owning package."""

HOLDING_NAMES: dict[str, tuple[str, str]] = {
    "children": ("child organization", "child organizations"),
    "users": ("user", "users"),
    "live_events": ("live event", "live events"),
    "resources": ("resource", "resources"),
    "series": ("series", "series"),
    "uploads": ("unfinished upload", "unfinished uploads"),
}
"""How each kind of holding is named in the ``org_not_empty`` message (singular, plural)."""


def new_id() -> str:
    """A random id, safe in URLs and object keys."""
    return secrets.token_urlsafe(12).replace("_", "x").replace("-", "y")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token handed out once at sign-in."""

    token: str
    """The bearer token (only its hash is stored)."""
    expires_at: float
    """When it stops working."""
    user: Document
    """The public view of the signed-in user."""


def public_user(doc: Document) -> Document:
    return {
        "id": doc["_id"],
        "username": doc["username"],
        "display_name": doc.get("display_name") or doc["username"],
        "role": doc["role"],
        "org_id": doc.get("org_id"),
        "disabled": bool(doc.get("disabled", False)),
        "created_at": doc["created_at"],
    }


def public_org(doc: Document) -> Document:
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "level": doc["level"],
        "level_name": LEVEL_NAMES[Level(doc["level"])],
        "parent_id": doc.get("parent_id"),
        "ancestors": doc.get("ancestors", []),
        "guest_chat": bool(doc.get("guest_chat", True)),
        "site_type": str(site_type_of(doc)),
        "expected_learners": int(doc.get("expected_learners", 0)),
        "created_at": doc["created_at"],
        "referer_allow": list(doc.get("referer_allow", [])),
    }


def site_type_of(doc: Document) -> SiteType:
    """The organization's site type (organizations stored before site types are "other")."""
    try:
        return SiteType(doc.get("site_type", SiteType.OTHER))
    except ValueError:
        return SiteType.OTHER


@dataclass(frozen=True, slots=True)
class SubtreeOrg:
    """An organization of a subtree: its id, its parent's, its name, its site type and its
    expected learners."""

    id: str
    parent_id: str | None
    name: str
    site_type: SiteType = SiteType.OTHER
    expected_learners: int = 0


class AccountService:
    """Organizations, users and tokens."""

    def __init__(
        self,
        db: Database,
        counters: Counters,
        passwords: Passwords,
        clock: Callable[[], float],
        token_ttl_s: int,
        login_attempts: int,
    ) -> None:
        self._orgs = db.collection("orgs")
        self._users = db.collection("users")
        self._tokens = db.collection("tokens")
        self._counters = counters
        self._passwords = passwords
        self._clock = clock
        self._token_ttl_s = token_ttl_s
        self._login_attempts = login_attempts
        self._holdings: list[OrgHoldings] = []

    def add_org_holdings(self, count: OrgHoldings) -> None:
        """Register what another package keeps for an organization (wired in
        ``server/features``): an organization holding anything cannot be deleted, so its
        events and resources never outlive it, public and without an owner."""
        self._holdings.append(count)

    # ---- organizations -------------------------------------------------------------

    async def get_org_doc(self, org_id: str) -> Document:
        doc = await self._orgs.get(org_id)
        if doc is None:
            raise NotFound(ORG_NOT_FOUND)
        return doc

    async def visible_org(self, principal: Caller, org_id: str, action: Action) -> Document:
        """The organization if the principal may do ``action`` on it (404/403 otherwise)."""
        doc = await self._orgs.get(org_id)
        if doc is None:
            raise NotFound(ORG_NOT_FOUND)
        authorize(principal, action, [doc["_id"], *doc.get("ancestors", [])], ORG_NOT_FOUND)
        return doc

    async def _listing(
        self, principal: Principal, action: Action, field: str, org_id: str | None
    ) -> dict[str, Any]:
        """The filter of a listing that may be narrowed to one organization: ``field`` equal to
        ``org_id`` when one is named. Visibility before role, everywhere: a foreign org is 404
        whoever asks; then the caller's role must allow ``action``."""
        flt: dict[str, Any] = {}
        if org_id is not None:
            await self.visible_org(principal, org_id, action)
            flt[field] = org_id
        require_role(principal, action)
        return flt

    async def list_orgs(self, principal: Principal, parent_id: str | None) -> list[Document]:
        flt = await self._listing(principal, Action.READ_ORG, "parent_id", parent_id)
        if principal.role is not Role.PLATFORM_ADMIN:
            flt["$or"] = [{"_id": principal.org_id}, {"ancestors": principal.org_id}]
        docs = await self._orgs.find(flt, sort=[("level", 1), ("name", 1)])
        return [public_org(d) for d in docs]

    async def create_org(
        self,
        principal: Principal,
        name: str,
        parent_id: str | None,
        guest_chat: bool,
        site_type: str = SiteType.OTHER,
        expected_learners: int = 0,
    ) -> Document:
        name = _clean_name(name, "name")
        kind = parse_site_type(site_type)
        learners = parse_expected_learners(expected_learners)
        if parent_id is None:
            if principal.role is not Role.PLATFORM_ADMIN:
                raise Forbidden("only platform admins create province-level organizations")
            level, ancestors = Level.PROVINCE, []
        else:
            parent = await self.visible_org(principal, parent_id, Action.MANAGE_ORG)
            if parent["level"] >= Level.VILLAGE:
                raise BadRequest(
                    "a village is the lowest of the five levels and cannot have children",
                    code="too_deep",
                )
            level = Level(parent["level"] + 1)
            ancestors = [*parent.get("ancestors", []), parent["_id"]]
        now = self._clock()
        doc: Document = {
            "_id": new_id(),
            "name": name,
            "level": int(level),
            "parent_id": parent_id,
            "ancestors": ancestors,
            "guest_chat": guest_chat,
            "site_type": str(kind),
            "expected_learners": learners,
            "created_at": now,
            "updated_at": now,
        }
        await self._orgs.insert(doc)
        return public_org(doc)

    async def update_org(
        self,
        principal: Principal,
        org_id: str,
        name: str | None,
        guest_chat: bool | None,
        site_type: str | None = None,
        expected_learners: int | None = None,
        referer_allow: list[str] | None = None,
    ) -> Document:
        await self.visible_org(principal, org_id, Action.MANAGE_ORG)
        changes: dict[str, Any] = {"updated_at": self._clock()}
        if name is not None:
            changes["name"] = _clean_name(name, "name")
        if guest_chat is not None:
            changes["guest_chat"] = guest_chat
        if site_type is not None:
            changes["site_type"] = str(parse_site_type(site_type))
        if expected_learners is not None:
            changes["expected_learners"] = parse_expected_learners(expected_learners)
        if referer_allow is not None:
            try:
                changes["referer_allow"] = parse_allow_list(referer_allow)
            except ValueError as exc:
                raise BadRequest(
                    Sentence(
                        "防盗链名单只能填写网站域名，例如 www.example.cn，最多 32 个。",
                        "The referer allow-list takes site host names such as www.example.cn, "
                        "at most 32.",
                    ),
                    code="bad_referer_allow",
                ) from exc
        doc = await self._orgs.update_one({"_id": org_id}, set=changes)
        if doc is None:
            raise NotFound(ORG_NOT_FOUND)
        return public_org(doc)

    async def delete_org(self, principal: Principal, org_id: str) -> None:
        await self.visible_org(principal, org_id, Action.MANAGE_ORG)
        if principal.org_id == org_id:
            raise Forbidden("you cannot delete your own organization")
        held = await self.org_holdings(org_id)
        if held:
            raise Conflict(
                f"the organization still holds {describe_holdings(held)}; delete or move them "
                "first (unfinished uploads can be cancelled, or expire on their own)",
                code="org_not_empty",
            )
        await self._orgs.delete_one({"_id": org_id})

    async def subtree(self, org_id: str) -> list[SubtreeOrg]:
        """The organization and every one below it, unchecked (the statistics' port
        ``media.views.stats.Organizations``: the caller was authorized for ``org_id``)."""
        docs = await self._orgs.find({"$or": [{"_id": org_id}, {"ancestors": org_id}]})
        return [
            SubtreeOrg(
                doc["_id"],
                doc.get("parent_id"),
                str(doc.get("name", doc["_id"])),
                site_type_of(doc),
                int(doc.get("expected_learners", 0)),
            )
            for doc in docs
        ]

    async def org_names(self, org_ids: Iterable[str]) -> dict[str, str]:
        """The names of the organizations among ``org_ids``, in one query (the cards of the
        public lists name each item's organization; names are public)."""
        ids = sorted(set(org_ids))
        if not ids:
            return {}
        docs = await self._orgs.find({"_id": {"$in": ids}})
        return {doc["_id"]: str(doc.get("name", doc["_id"])) for doc in docs}

    async def org_holdings(self, org_id: str) -> dict[str, int]:
        """What the organization itself still holds, by kind (only kinds with some)."""
        held = {
            "children": await self._orgs.count({"parent_id": org_id}),
            "users": await self._users.count({"org_id": org_id}),
        }
        for count in self._holdings:
            for kind, n in (await count(org_id)).items():
                held[kind] = held.get(kind, 0) + n
        return {kind: n for kind, n in held.items() if n}

    # ---- users ---------------------------------------------------------------------

    async def _visible_user(self, principal: Principal, user_id: str, action: Action) -> Document:
        doc = await self._users.get(user_id)
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        if doc["_id"] == principal.user_id and action is Action.READ_USERS:
            return doc
        if doc.get("org_id") is None:
            # Platform admins belong to no organization: only platform admins see them.
            if principal.role is not Role.PLATFORM_ADMIN:
                raise NotFound(USER_NOT_FOUND)
            return doc
        if not in_subtree(principal, [doc["org_id"], *doc.get("org_path", [])]):
            raise NotFound(USER_NOT_FOUND)
        require_role(principal, action)
        return doc

    async def list_users(self, principal: Principal, org_id: str | None) -> list[Document]:
        flt = await self._listing(principal, Action.READ_USERS, "org_id", org_id)
        if principal.role is not Role.PLATFORM_ADMIN:
            flt["org_path"] = principal.org_id
        docs = await self._users.find(flt, sort=[("username", 1)])
        return [public_user(d) for d in docs]

    async def is_user_name(self, name: str) -> bool:
        """Whether a user goes by ``name``: as typed, or NFKC case-folded (user names are
        stored lower-cased, so ``ＡＤＭＩＮ`` finds ``admin``)."""
        candidates = {name.strip().lower(), unicodedata.normalize("NFKC", name).casefold().strip()}
        return bool(await self._users.count({"username": {"$in": sorted(candidates)}}))

    async def get_user(self, principal: Principal, user_id: str) -> Document:
        return public_user(await self._visible_user(principal, user_id, Action.READ_USERS))

    async def create_user(
        self,
        principal: Principal,
        username: str,
        password: str,
        role: Role,
        org_id: str | None,
        display_name: str | None,
    ) -> Document:
        org_path: list[str] = []
        if org_id is not None:
            org = await self.visible_org(principal, org_id, Action.MANAGE_USERS)
            org_path = [org["_id"], *org.get("ancestors", [])]
        require_role(principal, Action.MANAGE_USERS)
        if role not in assignable_roles(principal):
            raise Forbidden(f"you may not create users with the role {role}")
        if role is Role.PLATFORM_ADMIN and org_id is not None:
            raise BadRequest("platform admins belong to no organization; omit org_id")
        if role is not Role.PLATFORM_ADMIN and org_id is None:
            raise BadRequest(
                Sentence("请为该角色选择所属机构。", "Choose the organization for this role."),
                code="invalid_body",
            )
        return public_user(
            await self._insert_user(username, password, role, org_id, org_path, display_name)
        )

    async def _insert_user(
        self,
        username: str,
        password: str,
        role: Role,
        org_id: str | None,
        org_path: list[str],
        display_name: str | None,
    ) -> Document:
        username = _clean_username(username)
        _check_password(password)
        now = self._clock()
        doc: Document = {
            "_id": new_id(),
            "username": username,
            "display_name": _clean_name(display_name, "display_name") if display_name else None,
            "password_hash": await self._passwords.hash(password),
            "role": str(role),
            "org_id": org_id,
            "org_path": org_path,
            "disabled": False,
            "created_at": now,
            "updated_at": now,
        }
        try:
            await self._users.insert(doc)
        except DuplicateKeyError:
            raise Conflict(
                Sentence(
                    f"用户名「{username}」已被占用。", f"The user name {username!r} is taken."
                ),
                code="username_taken",
            ) from None
        return doc

    async def update_user(
        self,
        principal: Principal,
        user_id: str,
        *,
        display_name: str | None,
        password: str | None,
        role: Role | None,
        disabled: bool | None,
    ) -> Document:
        if user_id == principal.user_id and (role is not None or disabled is not None):
            raise Forbidden("you cannot change your own role or disable yourself")
        if user_id == principal.user_id:
            doc = await self._visible_user(principal, user_id, Action.READ_USERS)
        else:
            doc = await self._visible_user(principal, user_id, Action.MANAGE_USERS)
            if Role(doc["role"]) not in assignable_roles(principal):
                raise Forbidden("you may not change a user with a higher role")
        changes: dict[str, Any] = {"updated_at": self._clock()}
        if display_name is not None:
            changes["display_name"] = _clean_name(display_name, "display_name")
        if password is not None:
            _check_password(password)
            changes["password_hash"] = await self._passwords.hash(password)
        if role is not None:
            if role not in assignable_roles(principal):
                raise Forbidden(f"you may not give this user the role {role}")
            if (role is Role.PLATFORM_ADMIN) != (doc.get("org_id") is None):
                raise BadRequest(
                    "platform admins belong to no organization and organization users to one; "
                    "create a new user instead",
                    code="role_change_not_possible",
                )
            changes["role"] = str(role)
        if disabled is not None:
            changes["disabled"] = disabled
        updated = await self._users.update_one({"_id": user_id}, set=changes)
        if updated is None:
            raise NotFound(USER_NOT_FOUND)
        if disabled or password is not None:
            await self._tokens.delete_many({"user_id": user_id})
        return public_user(updated)

    async def delete_user(self, principal: Principal, user_id: str) -> None:
        if user_id == principal.user_id:
            raise Forbidden("you cannot delete yourself")
        doc = await self._visible_user(principal, user_id, Action.MANAGE_USERS)
        if Role(doc["role"]) not in assignable_roles(principal):
            raise Forbidden("you may not delete a user with a higher role")
        await self._users.delete_one({"_id": user_id})
        await self._tokens.delete_many({"user_id": user_id})

    async def ensure_first_admin(self, username: str, password: str) -> bool:
        """Create the first platform admin unless one exists; True when created."""
        if await self._users.count({"role": str(Role.PLATFORM_ADMIN)}):
            return False
        return await self.create_platform_admin(username, password)

    async def create_platform_admin(self, username: str, password: str) -> bool:
        """Create a platform admin (the CLI's ``create-admin``); False when the name is taken."""
        try:
            await self._insert_user(username, password, Role.PLATFORM_ADMIN, None, [], None)
        except Conflict:
            return False
        return True

    # ---- sign-in and tokens --------------------------------------------------------

    async def login(self, username: str, password: str, client_ip: str) -> IssuedToken:
        name = username.strip().lower()
        keys = (f"login:fail:user:{name}", f"login:fail:ip:{client_ip}")
        limits = (self._login_attempts, self._login_attempts * 5)
        for key, limit in zip(keys, limits, strict=True):
            if await self._counters.get_int(key) >= limit:
                raise TooManyRequests(
                    Sentence(
                        "登录失败次数过多，请 15 分钟后再试。",
                        "Too many failed sign-ins; wait 15 minutes and try again.",
                    )
                )
        doc = await self._users.find_one({"username": name})
        ok = False
        if doc is None:
            await self._passwords.verify_dummy()
        else:
            ok = await self._passwords.verify(doc["password_hash"], password)
        if not ok or doc is None or doc.get("disabled"):
            for key in keys:
                await self._counters.incr(key)
                await self._counters.expire(key, LOGIN_WINDOW_S)
            raise Unauthorized(
                Sentence("用户名或密码错误。", "Wrong user name or password."),
                code="bad_credentials",
            )
        await self._counters.delete(keys[0])
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + self._token_ttl_s
        await self._tokens.insert(
            {
                "_id": hash_token(token),
                "user_id": doc["_id"],
                "created_at": now,
                "expires_at": expires_at,
            }
        )
        return IssuedToken(token=token, expires_at=expires_at, user=public_user(doc))

    async def authenticate(self, token: str) -> Principal:
        """The principal behind a bearer token; Unauthorized when unknown or expired."""
        record = await self._tokens.get(hash_token(token))
        if record is None or record["expires_at"] <= self._clock():
            raise Unauthorized(
                Sentence(
                    "登录已过期或无效，请重新登录。",
                    "The token is unknown or expired; sign in again.",
                ),
                code="bad_token",
            )
        principal = await self.principal(record["user_id"])
        if principal is None:
            raise Unauthorized(
                Sentence("该账号已停用或已删除。", "The account is disabled or gone."),
                code="bad_token",
            )
        return principal

    async def principal(self, user_id: str) -> Principal | None:
        """The principal of an enabled user, as a token of theirs would authenticate; None
        for an unknown or disabled user."""
        user = await self._users.get(user_id)
        if user is None or user.get("disabled"):
            return None
        return Principal(
            user_id=user["_id"],
            username=user["username"],
            role=Role(user["role"]),
            org_id=user.get("org_id"),
        )

    async def logout(self, token: str) -> None:
        await self._tokens.delete_one({"_id": hash_token(token)})

    async def purge_expired_tokens(self) -> int:
        return await self._tokens.delete_many({"expires_at": {"$lte": self._clock()}})


def describe_holdings(held: Mapping[str, int]) -> str:
    """``{"live_events": 2, "series": 1}`` → ``"2 live events and 1 series"``."""
    words = []
    for kind, n in held.items():
        one, many = HOLDING_NAMES.get(kind, (kind.replace("_", " "),) * 2)
        words.append(f"{n} {one if n == 1 else many}")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _clean_name(value: str, field: str) -> str:
    # Runs of white space become one space; then the one rule of typed text (core.text).
    return clean_text(field, " ".join(value.split()), max_len=100)


def _clean_username(value: str) -> str:
    value = value.strip().lower()
    if not 2 <= len(value) <= 64 or any(c.isspace() or not c.isprintable() for c in value):
        raise BadRequest(
            Sentence(
                "用户名应为 2–64 个字符，不能含空格。",
                "The user name must be 2–64 printable characters without spaces.",
            ),
            code="invalid_body",
        )
    return value


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            Sentence(
                f"密码至少 {MIN_PASSWORD_LENGTH} 位。",
                f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            ),
            code="weak_password",
        )
