"""What a room's moderators may do: delete a comment, mute or ban a member, pin a notice, and
close, open or slow the room.

Each action is stored (so it holds on every api process at once, since ``send`` reads the
settings again), written to the audit log with who did it, and announced on the rooms
channel so the other processes reload the room.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from culturecast.chat import payloads
from culturecast.chat.events import ClientEvent, RefusalCode, ServerEvent
from culturecast.chat.normalize import normalize, text_length
from culturecast.chat.rooms import ROOMS_CHANNEL, LocalRoom, moderators_room, room_name
from culturecast.chat.sanctions import in_force
from culturecast.chat.sessions import Session

if TYPE_CHECKING:
    from culturecast.chat.service import ChatService

type Handler = Callable[[Session, object], Awaitable[dict[str, Any]]]


class Moderation:
    """The moderators' requests of one chat service."""

    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    def handlers(self) -> dict[ClientEvent, Handler]:
        return {
            ClientEvent.DELETE: self.delete,
            ClientEvent.MUTE: self.mute,
            ClientEvent.BAN: self.ban,
            ClientEvent.PIN: self.pin,
            ClientEvent.CLOSE: self.close,
            ClientEvent.OPEN: self.open,
            ClientEvent.SLOW: self.slow,
            ClientEvent.SANCTIONS: self.sanctions,
        }

    async def _moderated(self, session: Session, request: str) -> LocalRoom | dict[str, Any]:
        room = self.chat.joined(session)
        if room is None:
            return await self.chat.refuse(session, RefusalCode.NOT_JOINED, request=request)
        if not session.moderator:
            return await self.chat.refuse(session, RefusalCode.NOT_ALLOWED, request=request)
        return room

    @staticmethod
    def _who(session: Session) -> dict[str, str]:
        assert session.caller is not None  # moderators are signed in
        return {"id": session.caller.user_id, "name": session.caller.username}

    async def _changed(self, room: LocalRoom) -> None:
        room.apply_settings()
        await self.chat.counters.publish(ROOMS_CHANNEL, room.event.id.encode())

    async def delete(self, session: Session, data: object) -> dict[str, Any]:
        room = await self._moderated(session, "delete")
        if isinstance(room, dict):
            return room
        message_id = payloads.parse_delete(data)
        now = self.chat.clock()
        event_id = room.event.id
        who = self._who(session)
        store = self.chat.store
        if await store.soft_delete(event_id, message_id, who["id"], now):
            await store.audit(event_id, "delete", who, now, target=message_id)
            await self.chat.out.emit(
                ServerEvent.DELETED, {"message_id": message_id}, to=room_name(event_id)
            )
        # Deleting twice, or a message of another room, changes nothing: still "ok".
        return {"ok": True}

    async def _sanction(
        self, session: Session, kind: str, request: payloads.Sanction
    ) -> dict[str, Any]:
        room = await self._moderated(session, kind)
        if isinstance(room, dict):
            return room
        now = self.chat.clock()
        until = None if request.seconds is None else now + request.seconds
        event_id = room.event.id
        await self.chat.store.set_sanction(event_id, request.user_id, kind, until)
        await self.chat.store.audit(
            event_id,
            kind,
            self._who(session),
            now,
            target=request.user_id,
            detail={"seconds": request.seconds},
        )
        table = room.settings.banned if kind == "ban" else room.settings.muted
        if until is None:
            table[request.user_id] = math.inf
        elif until > now:
            table[request.user_id] = until
        else:
            table.pop(request.user_id, None)
        await self._changed(room)
        listed = await self._in_force(event_id)
        await self.chat.out.emit(ServerEvent.SANCTIONS, listed, to=moderators_room(event_id))
        return {"ok": True, "until": until}

    async def _in_force(self, event_id: str) -> list[dict[str, Any]]:
        return in_force(await self.chat.store.sanctions(event_id), self.chat.clock())

    async def sanctions(self, session: Session, data: object) -> dict[str, Any]:
        room = await self._moderated(session, "sanctions")
        if isinstance(room, dict):
            return room
        payloads.parse_nothing(data)
        return {"ok": True, "sanctions": await self._in_force(room.event.id)}

    async def mute(self, session: Session, data: object) -> dict[str, Any]:
        return await self._sanction(session, "mute", payloads.parse_mute(data))

    async def ban(self, session: Session, data: object) -> dict[str, Any]:
        return await self._sanction(session, "ban", payloads.parse_ban(data))

    async def pin(self, session: Session, data: object) -> dict[str, Any]:
        room = await self._moderated(session, "pin")
        if isinstance(room, dict):
            return room
        text = normalize(payloads.parse_pin(data))
        if text_length(text) > self.chat.policy.config.max_length:
            return await self.chat.refuse(session, RefusalCode.TOO_LONG, request="pin")
        now = self.chat.clock()
        event_id = room.event.id
        await self.chat.store.update_room(event_id, pinned=text)
        await self.chat.store.audit(event_id, "pin", self._who(session), now, detail={"text": text})
        room.settings.pinned = text
        await self._changed(room)
        await self.chat.out.emit(ServerEvent.PINNED, {"text": text}, to=room_name(event_id))
        return {"ok": True}

    async def _set_room(self, session: Session, action: str, **changes: Any) -> dict[str, Any]:
        room = await self._moderated(session, action)
        if isinstance(room, dict):
            return room
        now = self.chat.clock()
        event_id = room.event.id
        await self.chat.store.update_room(event_id, **changes)
        await self.chat.store.audit(event_id, action, self._who(session), now, detail=changes)
        for key, value in changes.items():
            setattr(room.settings, key, value)
        await self._changed(room)
        await self.chat.out.emit(ServerEvent.CHAT_STATE, room.chat_state(), to=room_name(event_id))
        return {"ok": True}

    async def close(self, session: Session, data: object) -> dict[str, Any]:
        payloads.parse_nothing(data)
        return await self._set_room(session, "close", closed=True)

    async def open(self, session: Session, data: object) -> dict[str, Any]:
        payloads.parse_nothing(data)
        return await self._set_room(session, "open", closed=False)

    async def slow(self, session: Session, data: object) -> dict[str, Any]:
        seconds = payloads.parse_slow_mode(data)
        return await self._set_room(session, "slow", slow_mode=seconds)
