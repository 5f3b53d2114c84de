"""Likes and viewers of the rooms that have members in this process, added up across the api
processes on the counters port and pushed to this process's own clients.

- likes: a counter per room. Each process adds its clients' likes once a second and pushes
  the room total to its own clients when it changed, so every client sees at most one
  ``likes`` a second;
- viewers: a counters hash per room, one field per api process holding its number of
  viewers' sockets in the room, not a moderation console's (+1 on join, -1 on leave, so a
  viewer who leaves is counted out at once), and a liveness flag per process refreshed
  every ``viewers_interval`` and expiring after ``presence_ttl``, so the sockets of a
  process that died stop counting. (A presence set with one member per socket cannot forget
  a member before it times out, and costs a round trip per socket per interval.)
"""

from __future__ import annotations

import secrets

from culturecast.chat.events import ServerEvent
from culturecast.chat.ports import Emitter
from culturecast.chat.rooms import LocalRoom, alive_key, likes_key, room_name, viewers_key
from culturecast.storage.counters.port import Counters


class RoomCounts:
    """This process's share of every room's likes and viewers."""

    def __init__(
        self, counters: Counters, emitter: Emitter, rooms: dict[str, LocalRoom], presence_ttl: int
    ) -> None:
        self.counters = counters
        self.out = emitter
        self.rooms = rooms
        """The service's local rooms (the service adds and removes them)."""
        self.presence_ttl = presence_ttl
        self.process_id = secrets.token_hex(8)
        """This process's field in the viewer hashes."""

    async def enter(self, event_id: str) -> None:
        """A local socket joined the room."""
        await self.counters.hincr(viewers_key(event_id), self.process_id, 1)

    async def leave(self, event_id: str) -> None:
        """A local socket left the room."""
        await self.counters.hincr(viewers_key(event_id), self.process_id, -1)

    async def closed(self, room: LocalRoom) -> None:
        """The room's last local member left: add the likes not flushed yet."""
        if room.likes_pending:
            await self.counters.incr(likes_key(room.event.id), room.likes_pending)

    async def likes_for_new_member(self, room: LocalRoom) -> int:
        """The likes a member who just joined is told."""
        likes = await self.counters.get_int(likes_key(room.event.id)) + room.likes_pending
        if room.likes_sent < 0 and not room.likes_pending:
            # The room's first member: what it is told now is what the room has been sent, so
            # the first push is the first change, not this count again.
            room.likes_sent = likes
        return likes

    async def flush_likes(self) -> None:
        """Add pending likes to the shared counters; push each changed total to local clients."""
        for event_id, room in list(self.rooms.items()):
            pending, room.likes_pending = room.likes_pending, 0
            if pending:
                total = await self.counters.incr(likes_key(event_id), pending)
            else:
                total = await self.counters.get_int(likes_key(event_id))
            if total != room.likes_sent:
                room.likes_sent = total
                await self.out.emit(
                    ServerEvent.LIKES, {"count": total}, to=room_name(event_id), local=True
                )

    async def viewer_count(self, event_id: str, alive: dict[str, bool]) -> int:
        """Sockets in the room across the processes still alive (``alive`` caches flags)."""
        total = 0
        for process_id, count in (await self.counters.hgetall(viewers_key(event_id))).items():
            if process_id not in alive:
                flag = await self.counters.get_flag(alive_key(process_id))
                alive[process_id] = flag is not None
            if alive[process_id]:
                total += int(count)
        return max(0, total)

    async def report_alive(self) -> dict[str, bool]:
        """Refresh this process's liveness flag; the cache :meth:`viewer_count` takes."""
        key = alive_key(self.process_id)
        if not await self.counters.set_flag(key, self.presence_ttl):
            await self.counters.expire(key, self.presence_ttl)
        return {self.process_id: True}

    async def push_viewers(self, room: LocalRoom, alive: dict[str, bool]) -> None:
        """Push the room's viewer count to its local members."""
        # Heal the own field should an increment have been lost (an engine hiccup).
        event_id = room.event.id
        key = viewers_key(event_id)
        mine = int((await self.counters.hgetall(key)).get(self.process_id, 0))
        if mine != len(room.watchers):
            await self.counters.hincr(key, self.process_id, len(room.watchers) - mine)
        count = await self.viewer_count(event_id, alive)
        await self.out.emit(
            ServerEvent.VIEWERS, {"count": count}, to=room_name(event_id), local=True
        )

    async def start(self) -> None:
        """This process begins to report viewers."""
        await self.counters.set_flag(alive_key(self.process_id), self.presence_ttl)

    async def stop(self) -> None:
        """This process no longer reports viewers (its sockets are gone)."""
        await self.counters.delete(alive_key(self.process_id))
