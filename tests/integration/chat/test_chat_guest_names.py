"""No guest passes for staff: staff titles and users' names are refused as nicknames (a named
refusal in zh-CN and English), and every message says whether a guest or staff sent it."""

from __future__ import annotations

from typing import Any

import socketio

from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def _refusal(world: ChatWorld, auth: dict[str, Any]) -> dict[str, Any] | None:
    """The connection's refusal (``{code, message}``), or None when it was accepted."""
    client = ChatClient()
    try:
        await client.connect(world.url, auth)
    except socketio.exceptions.ConnectionError:
        data: dict[str, Any] = (await client.next("connect_error"))["data"]
        return data
    world.clients.append(client)
    return None


async def test_guests_cannot_take_staff_titles_or_a_users_name(world: ChatWorld) -> None:
    org = await world.org()
    await world.admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "wanglaoshi", "password": "secret-pass-1", "role": "org_admin",
         "org_id": org["id"]},
        expect=201,
    )  # fmt: skip
    for nickname in (
        "管理员",
        "官方",
        "主持人",
        "系 统",
        "官方客服",
        "admin",
        "ＡＤＭＩＮ",
        "Administrator",
        "admin2",
        "wanglaoshi",
        "WangLaoShi",
        "admin",  # the first platform admin's user name, too
    ):
        refusal = await _refusal(world, {"guest": nickname})
        assert refusal == {
            "code": "name_reserved",
            "message": "这个昵称留给工作人员使用（如管理员、官方），请换一个昵称",
        }, nickname
    english = await _refusal(world, {"guest": "官方", "lang": "en"})
    assert english is not None
    assert english["message"] == (
        "this nickname is kept for staff (such as admin or official); please choose another"
    )
    # Ordinary nicknames, and words that merely contain a Latin title, are welcome.
    for nickname in ("老张", "badminton", "文化爱好者", ""):
        assert await _refusal(world, {"guest": nickname}) is None, nickname


async def test_messages_say_whether_a_guest_or_staff_sent_them(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    staff = await world.client({"token": await world.user("org_admin", org["id"])})
    viewer = await world.client({"token": await world.user("viewer", org["id"])})
    guest = await world.client({"guest": "老张"})
    reader = await world.client()
    for client in (staff, viewer, guest, reader):
        await client.join(event_id)
    senders = {"staff": staff, "viewer": viewer, "guest": guest}
    for text, client in senders.items():
        assert (await client.send(f"我是{text}"))["ok"]
        assert (await reader.next("message"))["text"] == f"我是{text}"
    history = (await (await world.client()).join(event_id))["history"]
    marks = {m["text"]: (m["user"]["guest"], m["user"].get("staff", False)) for m in history}
    assert marks == {
        "我是staff": (False, True),
        "我是viewer": (False, False),
        "我是guest": (True, False),
    }
