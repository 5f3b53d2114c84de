"""Chat across processes: two api processes share a room through Redis."""

from __future__ import annotations

import time

import aiohttp

from culturecast.storage.database.mongo import MongoDatabase
from tests.support.api import Api
from tests.support.chat import ChatClient
from tests.support.product import ADMIN_PASSWORD, Distributed


async def test_two_api_processes_share_a_room_through_redis(
    distributed: Distributed, http: aiohttp.ClientSession
) -> None:
    api0, api1 = distributed.urls
    admin = await Api(http, api0).login("admin", ADMIN_PASSWORD)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "四川省文化馆"}, expect=201)
    await admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "mod", "password": "mod-pass-123", "role": "editor", "org_id": org["id"]},
        expect=201,
    )
    mod_token = (await Api(http, api1).login("mod", "mod-pass-123")).token
    # The live package owns live_events; chat only reads it. Write one as it would.
    db = await MongoDatabase.open(
        distributed.env["CULTURECAST_MONGO_URL"], distributed.env["CULTURECAST_MONGO_DB"]
    )
    try:
        await db.collection("live_events").insert(
            {
                "_id": "e2e-show",
                "org_id": org["id"],
                "org_path": [org["id"]],
                "status": "live",
                "started_at": time.time(),
                "published": True,
                "disabled": False,
            }
        )
    finally:
        await db.close()

    on0 = await ChatClient().connect(api0, {"guest": "成都观众"})
    on1 = await ChatClient().connect(api1, {"guest": "绵阳观众"})
    mod1 = await ChatClient().connect(api1, {"token": mod_token})
    try:
        await on0.join("e2e-show")
        await on1.join("e2e-show")
        await mod1.join("e2e-show")
        # A comment sent through api0 reaches the client on api1.
        sent = await on0.send("川剧变脸太精彩了")
        assert sent["ok"], sent
        got = await on1.next("message")
        assert got["id"] == sent["id"]
        assert got["text"] == "川剧变脸太精彩了"
        # A moderator on api1 deletes it: the client on api0 drops it.
        assert (await mod1.call("delete", {"message_id": sent["id"]}))["ok"]
        assert await on0.next("deleted") == {"message_id": sent["id"]}
        # Closing the chat on api1 holds on api0 (room settings are shared).
        assert (await mod1.call("close"))["ok"]
        assert (await on0.next("chat_state"))["open"] is False
        assert (await on0.send("还能说吗"))["code"] == "chat_closed"
        # Likes from both processes add up, and both see the total.
        assert (await on0.call("like", {"count": 3}))["ok"]
        assert (await on1.call("like", {"count": 4}))["ok"]
        for client in (on0, on1):
            count = 0
            while count != 7:
                count = (await client.next("likes", wait=5))["count"]
        # Viewer counts span both processes: 3 sockets in the room.
        assert (await on0.next("viewers", wait=7))["count"] == 3
    finally:
        for client in (on0, on1, mod1):
            await client.close()
