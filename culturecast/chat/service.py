"""The chat service: sessions, rooms, comments, moderation, likes and viewer counts.

Transport-neutral: the Socket.IO namespace (``chat/server.py``) hands it each client event
with the socket id and the raw payload, and it answers through an :class:`Emitter`. Every
request is answered: the handler's return value is the Socket.IO acknowledgement
(``{"ok": true, ...}`` or ``{"ok": false, "code", "message"}``), and a refusal is also
emitted as ``refused {code, message, request}`` to the socket, the documented way.

Where state lives (several api processes share rooms, DESIGN.md § Processes):

- room settings (closed, slow mode, pinned notice) and sanctions (mutes, bans): the
  database, read again on every ``send`` (so a moderator's action on any process holds at
  once), and cached per process for the rest, reloaded when any process publishes a
  change on the counters port's ``chat:rooms`` channel;
- likes and viewers: counters per room on the counters port (Redis in distributed mode),
  each process adding its own clients' share and pushing totals to them
  (``chat/counts.py``); a moderation console joins with ``watching: false`` and is not one
  of the viewers, so the page's 在看 and the console's 在线 count the same people;
- slow mode: enforced across processes with a counters flag per (room, user) expiring
  after the interval — it is a promise moderators make to the room;
- the per-user token bucket, the duplicate window and the room cap stay per process (the
  pure limits in ``chat/limits.py``): a connection lives on one process, so a person
  with connections on k processes gets at most k times the rate — bounded, and a Redis
  round trip per message for an exact figure was not worth it;
- the event's status: read from the live events on every ``send`` (so a show that ended a
  moment ago refuses at once) and every ``viewers_interval`` for each room, pushing
  ``chat_state`` when it changed; with a status listener wired (:meth:`on_status`) the
  change is pushed the moment it happens.

The moderators' requests are ``chat/moderation.py``; a socket's session and identity
``chat/sessions.py``; a local room and the names of its keys ``chat/rooms.py``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from culturecast.chat import payloads
from culturecast.chat.access import EventView, is_moderator
from culturecast.chat.counts import RoomCounts
from culturecast.chat.events import ClientEvent, RefusalCode, ServerEvent, refusal_message
from culturecast.chat.limits import TokenBuckets
from culturecast.chat.moderation import Handler, Moderation
from culturecast.chat.names import DEFAULT_RESERVED_NAMES, ReservedNames
from culturecast.chat.normalize import normalize, text_length
from culturecast.chat.policy import DEFAULT_GUEST_NAME, ChatUser, CommentPolicy, Refused
from culturecast.chat.ports import Emitter, Identities, LiveEvents, MediaTimelines, UserNames
from culturecast.chat.rooms import (
    ROOMS_CHANNEL,
    LocalRoom,
    likes_key,
    moderators_room,
    room_name,
    slow_key,
)
from culturecast.chat.sessions import ConnectRefused, Session, guest_id, wire_user
from culturecast.chat.store import ChatStore, RoomSettings, new_id, wire_message
from culturecast.core.access import Caller
from culturecast.core.coalesce import Coalesced
from culturecast.core.mediatime import media_at, wall_at, with_start
from culturecast.core.periodic import Periodic, Sleep
from culturecast.storage.counters.port import Counters

# What callers import from here; the rooms' and sessions' other names live in their modules.
__all__ = [
    "ChatConfig",
    "ChatService",
    "ConnectRefused",
    "Session",
    "guest_id",
    "likes_key",
    "room_name",
]

log = logging.getLogger("culturecast.chat")

_FOREVER_S: Final = 10.0**9
"""A wall-clock offset past every show's end (the store's window takes finite bounds)."""


@dataclass(frozen=True, slots=True)
class ChatConfig:
    """Tunables of the chat service (defaults are the product's)."""

    history_size: int = 50
    """Messages sent as ``history`` on join."""
    likes_interval: float = 1.0
    """Seconds between ``likes`` pushes to a room, at most."""
    viewers_interval: float = 5.0
    """Seconds between ``viewers`` pushes (and event status checks) per room."""
    presence_ttl: int = 15
    """Seconds after which the sockets of a process that stopped reporting no longer count."""
    connect_rate: float = 2.0
    """New connections per second per client IP, on average."""
    connect_burst: float = 30.0
    """New connections one IP may open at once (a family or a classroom behind one NAT)."""
    like_rate: float = 10.0
    """Like events per second per socket."""
    like_burst: float = 30.0
    max_guest_name: int = 20
    """Longest guest nickname, in code points after normalisation."""
    reserved_names: tuple[str, ...] = DEFAULT_RESERVED_NAMES
    """Nicknames no guest may take (see ``chat/names.py``), besides every user's name."""
    device_cookie: str | None = None
    """The cookie naming a viewer's device (the views feature sets it; the live page too). A
    guest is known by it, hashed, across reconnects and tabs, so a mute, a ban, the rate limit
    and slow mode hold; a guest without it is one connection."""
    replay_limit: int = 1_000
    """Most comments one replay request returns."""


class ChatService:
    """Everything the chat does, one instance per process."""

    def __init__(
        self,
        *,
        store: ChatStore,
        events: LiveEvents,
        identities: Identities,
        counters: Counters,
        policy: CommentPolicy,
        emitter: Emitter,
        clock: Callable[[], float],
        config: ChatConfig = ChatConfig(),
        user_names: UserNames | None = None,
        timelines: MediaTimelines | None = None,
    ) -> None:
        self.store = store
        """Comments and sanctions, kept per room."""
        self.events = events
        self.identities = identities
        """Who a socket's token or device cookie names."""
        self.counters = counters
        self.policy = policy
        self.out = emitter
        """Socket.IO emits: to a socket, to a room (through the adapter, every process)."""
        self.clock = clock
        self.config = config
        self.user_names = user_names
        """The accounts' user names (None: only the reserved list is refused)."""
        self.timelines = timelines
        """How far each show's media had got by each moment, to place replay comments."""
        self.reserved = ReservedNames(config.reserved_names)
        # A show's crowd joining (and writing) at once shares the reads of its event, its
        # room's settings and its history: each answer from a read that began after it asked.
        self._event_reads: Coalesced[str, EventView | None] = Coalesced(events.get)
        self._room_reads: Coalesced[str, RoomSettings] = Coalesced(
            lambda event_id: store.load_room(event_id, self.clock())
        )
        self._history_reads: Coalesced[str, list[dict[str, Any]]] = Coalesced(
            lambda event_id: store.history(event_id, config.history_size)
        )
        self.sessions: dict[str, Session] = {}
        self.rooms: dict[str, LocalRoom] = {}
        self.counts = RoomCounts(counters, emitter, self.rooms, config.presence_ttl)
        self.messages_sent = 0
        """Comments this process accepted and broadcast (for /metrics)."""
        self.refusals: collections.Counter[str] = collections.Counter()
        """Refused requests by code (for /metrics): floods, filters, sanctions at a glance."""
        self._room_lock = asyncio.Lock()
        self._connects = TokenBuckets(config.connect_rate, config.connect_burst)
        self.moderation = Moderation(self)
        self._handlers: dict[ClientEvent, Handler] = {
            ClientEvent.JOIN: self._join,
            ClientEvent.SEND: self._send,
            ClientEvent.LIKE: self._like,
            **self.moderation.handlers(),
        }

    # -- connections ---------------------------------------------------------------

    async def connect(self, sid: str, ip: str, auth: object, device: str | None = None) -> Session:
        """Admit a socket (from ``device``, the device cookie's value, when it has one) or
        raise :class:`ConnectRefused`."""
        lang = auth.get("lang", "zh-CN") if isinstance(auth, dict) else "zh-CN"
        lang = lang if isinstance(lang, str) else "zh-CN"
        if self._connects.take(ip, self.clock()) is not None:
            raise ConnectRefused(RefusalCode.RATE_LIMITED, lang)
        try:
            parsed = payloads.parse_auth(auth)
        except payloads.PayloadError as exc:
            raise ConnectRefused(exc.code, lang) from None
        caller: Caller | None = None
        guest: str | None = None
        if parsed.token is not None:
            caller = await self.identities.caller_from_token(parsed.token)
            if caller is None:
                raise ConnectRefused(RefusalCode.LOGIN_REQUIRED, parsed.lang)
        elif parsed.guest is not None:
            guest = self._guest_name(parsed.guest)
            if guest is None:
                raise ConnectRefused(RefusalCode.BAD_PAYLOAD, parsed.lang)
            if await self._passes_for_staff(parsed.guest):
                raise ConnectRefused(RefusalCode.NAME_RESERVED, parsed.lang)
        session = Session(sid, caller, guest, parsed.lang, guest_id=guest_id(device, sid))
        session.likes = TokenBuckets(self.config.like_rate, self.config.like_burst)
        self.sessions[sid] = session
        return session

    def _guest_name(self, raw: str) -> str | None:
        name = normalize(raw)
        if not name:
            return DEFAULT_GUEST_NAME
        if text_length(name) > self.config.max_guest_name:
            return None
        # A nickname is shown next to every comment: the word list applies to it too.
        masked, _ = self.policy.words.mask(name, self.policy.config.mask_char)
        return masked

    async def _passes_for_staff(self, raw: str) -> bool:
        """Whether a guest nickname is reserved, or some user's name (a guest must not read
        like staff next to a comment)."""
        name = normalize(raw)
        if not name:
            return False  # the default name
        if self.reserved.is_reserved(name):
            return True
        return self.user_names is not None and await self.user_names.is_user_name(name)

    async def disconnect(self, sid: str) -> None:
        session = self.sessions.pop(sid, None)
        if session is not None and session.event_id is not None:
            await self._leave(session)

    # -- dispatch ------------------------------------------------------------------

    async def handle(self, sid: str, event: object, data: object) -> dict[str, Any]:
        """Run one client event; returns the acknowledgement."""
        session = self.sessions.get(sid)
        if session is None:
            return {"ok": False, "code": RefusalCode.NOT_JOINED.value}
        try:
            name = ClientEvent(str(event))
        except ValueError:
            return await self.refuse(session, RefusalCode.BAD_PAYLOAD, request=str(event)[:32])
        try:
            return await self._handlers[name](session, data)
        except payloads.PayloadError as exc:
            return await self.refuse(session, exc.code, request=name.value)

    async def refuse(
        self,
        session: Session,
        code: RefusalCode,
        *,
        request: str,
        retry_after: float | None = None,
    ) -> dict[str, Any]:
        """Tell the socket why its request was not accepted (event and acknowledgement)."""
        body: dict[str, Any] = {
            "code": code.value,
            "message": refusal_message(code, session.lang),
            "request": request,
        }
        if retry_after is not None and math.isfinite(retry_after):
            body["retry_after"] = round(retry_after, 3)
        self.refusals[code.value] += 1
        await self.out.emit(ServerEvent.REFUSED, body, to=session.sid)
        return {"ok": False, **body}

    # -- rooms ---------------------------------------------------------------------

    async def _room(self, event: EventView) -> LocalRoom:
        async with self._room_lock:
            room = self.rooms.get(event.id)
            if room is not None:
                return room
            settings = await self.store.load_room(event.id, self.clock())
            guests = await self.identities.guest_chat(event.org_id)
            state = self.policy.new_room(event.id, live=event.live)
            room = LocalRoom(event, state, settings, guests)
            room.apply_settings()
            self.rooms[event.id] = room
            return room

    async def reload_room(self, event_id: str) -> None:
        """Another process (or this one) changed the room's settings: read them again."""
        room = self.rooms.get(event_id)
        if room is None:
            return
        room.settings = await self.store.load_room(event_id, self.clock())
        room.apply_settings()

    async def on_status(self, event_id: str, status: str) -> None:
        """The live package reports a status change: push ``chat_state`` to local clients."""
        room = self.rooms.get(event_id)
        if room is None or room.event.status == status:
            return
        event = await self.events.get(event_id)
        if event is not None:
            await self._set_event(room, event)

    async def _set_event(self, room: LocalRoom, event: EventView) -> None:
        was_live = room.event.live
        room.event = event
        room.state.live = event.live
        if event.live != was_live:
            await self.out.emit(
                ServerEvent.CHAT_STATE, room.chat_state(), to=room_name(event.id), local=True
            )

    def _identity(self, session: Session, room: LocalRoom) -> ChatUser | None:
        moderator = is_moderator(session.caller, room.event)
        if session.caller is not None:
            return ChatUser(
                session.caller.user_id, session.caller.username, False, is_moderator=moderator
            )
        if session.guest_name is not None and room.guests_allowed:
            return ChatUser(session.guest_id, session.guest_name, is_guest=True)
        return None

    async def _join(self, session: Session, data: object) -> dict[str, Any]:
        request = payloads.parse_join(data)
        event = await self._event_reads.get(request.event_id)
        if event is None or not self.events.may_see(session.caller, event):
            # A draft answers exactly as an unknown id: nobody learns that it exists.
            return await self.refuse(session, RefusalCode.NOT_FOUND, request="join")
        if session.event_id is not None:
            await self._leave(session)
        room = await self._room(event)
        if session.sid not in self.sessions:  # disconnected while we read
            return {"ok": False, "code": RefusalCode.NOT_JOINED.value}
        await self._set_event(room, event)
        session.event_id = event.id
        session.user = self._identity(session, room)
        session.moderator = is_moderator(session.caller, event)
        room.members.add(session.sid)
        await self.out.enter_room(session.sid, room_name(event.id))
        if session.moderator:
            await self.out.enter_room(session.sid, moderators_room(event.id))
        if request.watching:
            room.watchers.add(session.sid)
            await self.counts.enter(event.id)
        history = await self._history_reads.get(event.id)
        likes = await self.counts.likes_for_new_member(room)
        viewers = await self.counts.viewer_count(event.id, {self.counts.process_id: True})
        to = session.sid
        await self.out.emit(ServerEvent.HISTORY, history, to=to)
        await self.out.emit(ServerEvent.CHAT_STATE, room.chat_state(), to=to)
        await self.out.emit(ServerEvent.PINNED, {"text": room.settings.pinned}, to=to)
        await self.out.emit(ServerEvent.LIKES, {"count": likes}, to=to)
        await self.out.emit(ServerEvent.VIEWERS, {"count": viewers}, to=to)
        user = session.user
        return {
            "ok": True,
            "event_id": event.id,
            "moderator": session.moderator,
            "user": None if user is None else wire_user(user),
        }

    async def _leave(self, session: Session) -> None:
        event_id = session.event_id
        session.event_id = None
        session.user = None
        session.moderator = False
        if event_id is None:
            return
        room = self.rooms.get(event_id)
        if room is None or session.sid in room.watchers:
            await self.counts.leave(event_id)
        with contextlib.suppress(KeyError, ValueError):
            await self.out.leave_room(session.sid, room_name(event_id))
        with contextlib.suppress(KeyError, ValueError):
            await self.out.leave_room(session.sid, moderators_room(event_id))
        if room is None:
            return
        room.members.discard(session.sid)
        room.watchers.discard(session.sid)
        if not room.members:
            del self.rooms[event_id]
            await self.counts.closed(room)

    def joined(self, session: Session) -> LocalRoom | None:
        """The room the session has joined (None: none)."""
        if session.event_id is None:
            return None
        return self.rooms.get(session.event_id)

    # -- comments ------------------------------------------------------------------

    async def _send(self, session: Session, data: object) -> dict[str, Any]:
        room = self.joined(session)
        if room is None:
            return await self.refuse(session, RefusalCode.NOT_JOINED, request="send")
        text = payloads.parse_send(data)
        event = await self._event_reads.get(room.event.id)
        if event is None or not self.events.may_see(session.caller, event):
            # Gone, or unpublished since the join: as for an unknown room.
            return await self.refuse(session, RefusalCode.NOT_FOUND, request="send")
        await self._set_event(room, event)
        # Fresh settings and sanctions too: a moderator on another process may have acted a
        # moment ago, and its notice on the rooms channel may still be on its way.
        room.settings = await self._room_reads.get(event.id)
        room.apply_settings()
        user = session.user
        now = self.clock()
        slow = room.settings.slow_mode
        # The slow-mode flag is shared by every process; the policy weighs it in its order
        # (a muted user in slow mode is told "muted").
        slowed = (
            user is not None
            and slow > 0
            and not user.is_moderator
            and room.event.live
            and await self.counters.get_flag(slow_key(event.id, user.id)) is not None
        )
        verdict = self.policy.check(user, room.state, text, now, slowed=slowed)
        if isinstance(verdict, Refused):
            retry_after = verdict.retry_after
            if retry_after is None and slowed and user is not None:
                # The flag holds when it was set: the sender is told how long is left.
                since = await self.counters.get_flag(slow_key(event.id, user.id))
                with contextlib.suppress(TypeError, ValueError):
                    left = float(since or "") + slow - now
                    retry_after = left if 0 < left <= slow else None
            return await self.refuse(session, verdict.code, request="send", retry_after=retry_after)
        assert user is not None  # the policy refuses anonymous senders
        if slow > 0 and not user.is_moderator:
            await self.counters.set_flag(slow_key(event.id, user.id), slow, f"{now:.3f}")
        doc = {
            "_id": new_id(now),
            "event_id": event.id,
            "user": wire_user(user),
            "text": verdict.text,
            "at": now,
            "offset_s": round(event.offset_of(now), 3),
            "deleted": False,
        }
        await self.store.add_message(doc)
        message = wire_message(doc)
        await self.out.emit(ServerEvent.MESSAGE, message, to=room_name(event.id))
        self.messages_sent += 1
        return {"ok": True, "id": doc["_id"], "masked": verdict.masked}

    async def _like(self, session: Session, data: object) -> dict[str, Any]:
        room = self.joined(session)
        if room is None:
            return await self.refuse(session, RefusalCode.NOT_JOINED, request="like")
        request = payloads.parse_like(data)
        if not room.event.live:
            return await self.refuse(session, RefusalCode.NOT_LIVE, request="like")
        assert session.likes is not None
        wait = session.likes.take(session.sid, self.clock())
        if wait is not None:
            return await self.refuse(
                session, RefusalCode.RATE_LIMITED, request="like", retry_after=wait
            )
        room.likes_pending += request.count
        return {"ok": True}

    # -- periodic pushes -----------------------------------------------------------

    async def flush_likes(self) -> None:
        """Add pending likes to the shared counters; push each changed total to local clients."""
        await self.counts.flush_likes()

    async def viewer_count(self, event_id: str, alive: dict[str, bool]) -> int:
        """Sockets in the room across the processes still alive (``alive`` caches flags)."""
        return await self.counts.viewer_count(event_id, alive)

    async def push_viewers(self) -> None:
        """Report this process alive, push each room's viewer count, check event status."""
        alive = await self.counts.report_alive()
        for event_id, room in list(self.rooms.items()):
            await self.counts.push_viewers(room, alive)
            event = await self.events.get(event_id)
            if event is not None and event_id in self.rooms:
                await self._set_event(room, event)
                if not event.public:
                    await self._send_away(room)

    async def _send_away(self, room: LocalRoom) -> None:
        """The event is no longer public (unpublished or disabled): local members who may
        not see it now leave its room, told ``not_found`` as for an unknown room."""
        for sid in list(room.members):
            session = self.sessions.get(sid)
            if session is not None and not self.events.may_see(session.caller, room.event):
                await self._leave(session)
                await self.refuse(session, RefusalCode.NOT_FOUND, request="join")

    async def stop(self) -> None:
        """This process no longer reports viewers (its sockets are gone)."""
        await self.counts.stop()

    async def run(self, sleep: Sleep = asyncio.sleep) -> None:
        """The periodic pushes, until cancelled (``sleep`` is injectable for tests)."""
        await self.counts.start()
        every = max(1, round(self.config.viewers_interval / self.config.likes_interval))
        tick = 0

        async def push() -> None:
            nonlocal tick
            tick += 1
            await self.flush_likes()
            if tick % every == 0:
                await self.push_viewers()

        # An engine hiccup must not stop the pushes for good: Periodic logs it and goes on.
        await Periodic("chat periodic push", self.config.likes_interval, push, sleep=sleep).run()

    async def follow_room_changes(self) -> None:
        """Reload rooms whose settings another process changed, until cancelled."""
        subscription = await self.counters.subscribe(ROOMS_CHANNEL)
        try:
            async for message in subscription:
                try:
                    await self.reload_room(message.decode())
                except Exception:
                    log.exception("chat room reload failed")
        finally:
            await subscription.close()

    async def replay(self, event_id: str, start: float, end: float) -> list[dict[str, Any]]:
        """Comments whose moment in the replay's media is in ``[start, end)``, ``offset_s``
        that moment. A comment is stored with its wall-clock offset from the show's start;
        with the show's media timeline (the encoder may have run slower than real time) that
        offset becomes the media time the show had reached when the comment was sent, so no
        comment falls past the end of the replay. Without one, the wall-clock offset."""
        limit = self.config.replay_limit
        timeline = None if self.timelines is None else await self.timelines.media_timeline(event_id)
        event = await self.events.get(event_id) if timeline else None
        if not timeline or event is None or event.started_at is None:
            return await self.store.window(event_id, start, end, limit)
        started = event.started_at
        points = with_start(timeline, started)
        # The wall-clock window of the comments sent while the show was in [start, end).
        first = wall_at(points, start) - started
        last = min(wall_at(points, end), started + _FOREVER_S) - started
        found = await self.store.window(event_id, first, last, limit)
        for comment in found:
            comment["offset_s"] = round(media_at(points, started + comment["offset_s"]), 3)
        return found
