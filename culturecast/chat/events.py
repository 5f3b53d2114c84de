"""Every Socket.IO wire name of the chat, once (DESIGN.md § Interfaces, Socket.IO).

Clients, the README and the tests depend on these strings; change them only
together with all three. The payloads are listed next to each name so this file
is the one place to read the protocol.

Refusals carry a stable ``code`` and a sentence a person can act on, zh-CN first
then English (STYLE.md rule 7): ``refused {code, message}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from culturecast.core.errors import Sentence

NAMESPACE: Final = "/chat"


class ClientEvent(StrEnum):
    """Events a client emits to the server."""

    JOIN = "join"
    """``{event_id, watching?}``: enter the room of one live event; answered with ``history``.
    ``watching: false`` (a moderation console) is not counted among the viewers."""
    SEND = "send"
    """``{text}``: post a comment to the joined room."""
    LIKE = "like"
    """No payload (or ``{count}`` batched by the client): one more like."""
    DELETE = "delete"
    """Moderators: ``{message_id}``; everyone's view drops the message."""
    MUTE = "mute"
    """Moderators: ``{user_id, seconds}``; the user may not send until then (0 unmutes)."""
    BAN = "ban"
    """Moderators: ``{user_id, seconds?}``; banned for the event, for ever without
    ``seconds`` (0 lifts the ban)."""
    PIN = "pin"
    """Moderators: ``{text}``; a notice shown above the chat (empty text unpins)."""
    CLOSE = "close"
    """Moderators: close the chat of the room."""
    OPEN = "open"
    """Moderators: reopen the chat of the room."""
    SLOW = "slow"
    """Moderators: ``{seconds}``; slow mode, one message per user per N seconds (0 = off)."""
    SANCTIONS = "sanctions"
    """Moderators, no payload: the ack is ``{ok, sanctions: [{user_id, nickname, kind, until}]}``,
    the mutes (``kind: "mute"``) and bans (``"ban"``) in force, ``until`` ISO 8601 or null
    for ever. Lift one with ``mute``/``ban`` and ``seconds: 0``."""


class ServerEvent(StrEnum):
    """Events the server emits to clients."""

    HISTORY = "history"
    """``[message, ...]``: recent messages, oldest first, sent after ``join``."""
    MESSAGE = "message"
    """``{id, user, text, at}``: one accepted comment; ``user`` is ``{id, name, guest,
    staff?}``: ``guest`` a nickname without an account, ``staff: true`` (only then present) a
    moderator of the room (pages mark both, so nobody passes for the other)."""
    DELETED = "deleted"
    """``{message_id}``: a moderator removed a message."""
    LIKES = "likes"
    """``{count}``: the room's like total, broadcast in batches."""
    VIEWERS = "viewers"
    """``{count}``: concurrent viewers, pushed periodically."""
    PINNED = "pinned"
    """``{text}``: the pinned notice (empty when unpinned)."""
    CHAT_STATE = "chat_state"
    """``{open, live, closed, slow_mode, guests}``: ``open`` is whether the room accepts
    comments now (the show is live and moderators left it open); ``closed`` whether a
    moderator closed it; ``slow_mode`` seconds (0 = off); ``guests`` whether guests may
    comment."""
    SANCTIONS = "sanctions"
    """Moderators only: ``[{user_id, nickname, kind, until}]``, the room's mutes and bans in
    force, pushed whenever a moderator mutes, bans or lifts (as the ``sanctions`` ack)."""
    REFUSED = "refused"
    """``{code, message}``: why the last request was not accepted."""


class RefusalCode(StrEnum):
    """Why a chat request was refused; the value is the wire ``code``."""

    NOT_LIVE = "not_live"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    SENSITIVE = "sensitive"
    RATE_LIMITED = "rate_limited"
    SLOW_MODE = "slow_mode"
    DUPLICATE = "duplicate"
    LINK_NOT_ALLOWED = "link_not_allowed"
    MUTED = "muted"
    BANNED = "banned"
    CHAT_CLOSED = "chat_closed"
    NOT_ALLOWED = "not_allowed"
    BAD_PAYLOAD = "bad_payload"
    NOT_JOINED = "not_joined"
    LOGIN_REQUIRED = "login_required"
    NOT_FOUND = "not_found"
    NAME_RESERVED = "name_reserved"


REFUSAL_MESSAGES: Final[dict[RefusalCode, Sentence]] = {
    RefusalCode.NOT_LIVE: Sentence(
        "只有直播时才能进行评论", "comments are open only during the live show"
    ),
    RefusalCode.EMPTY: Sentence("评论内容不能为空", "the comment is empty"),
    RefusalCode.TOO_LONG: Sentence(
        "评论太长，请缩短后再发", "the comment is too long; please shorten it"
    ),
    RefusalCode.SENSITIVE: Sentence(
        "评论包含不允许的内容，请修改后再发", "the comment contains words that are not allowed"
    ),
    RefusalCode.RATE_LIMITED: Sentence(
        "发言太频繁，请稍后再试", "you are sending too fast; please wait a moment"
    ),
    RefusalCode.SLOW_MODE: Sentence(
        "慢速模式已开启，请稍后再发言", "slow mode is on; please wait before sending again"
    ),
    RefusalCode.DUPLICATE: Sentence(
        "请不要重复发送相同内容", "please do not send the same comment again"
    ),
    RefusalCode.LINK_NOT_ALLOWED: Sentence(
        "评论中不能包含链接", "links are not allowed in comments"
    ),
    RefusalCode.MUTED: Sentence(
        "你已被禁言，暂时不能发言", "you have been muted and cannot comment for now"
    ),
    RefusalCode.BANNED: Sentence(
        "你已被禁止在此直播间发言", "you are banned from commenting in this room"
    ),
    RefusalCode.CHAT_CLOSED: Sentence("评论区已关闭", "the chat is closed"),
    RefusalCode.NOT_ALLOWED: Sentence("你没有权限执行此操作", "you are not allowed to do that"),
    RefusalCode.BAD_PAYLOAD: Sentence("请求格式不正确", "the request is malformed"),
    RefusalCode.NOT_JOINED: Sentence("请先进入直播间", "join the live room first"),
    RefusalCode.LOGIN_REQUIRED: Sentence("请先登录后再评论", "please log in to comment"),
    RefusalCode.NOT_FOUND: Sentence(
        "直播不存在或无权查看", "this live event does not exist or is not open to you"
    ),
    RefusalCode.NAME_RESERVED: Sentence(
        "这个昵称留给工作人员使用（如管理员、官方），请换一个昵称",
        "this nickname is kept for staff (such as admin or official); please choose another",
    ),
}


def refusal_message(code: RefusalCode, lang: str = "zh-CN") -> str:
    """The sentence shown to a person for ``code`` in ``lang`` (zh-CN unless English)."""
    sentence = REFUSAL_MESSAGES[code]
    return sentence.en if lang.lower().startswith("en") else sentence.zh


def refused_payload(code: RefusalCode, lang: str = "zh-CN") -> dict[str, str]:
    """The body of a ``refused`` event: ``{code, message}``."""
    return {"code": code.value, "message": refusal_message(code, lang)}
