"""Where view counting keeps its shared state in the counters port, and how it is encoded.

Keys (all under the port's own prefix, ``cc:`` in Redis):

``views:s:<session_id>``
    The playback session's progress: the fields a heartbeat changes (``PROGRESS_FIELDS``) as
    a JSON array, renewed on every accepted beat and expiring a minute after the policy would
    call the session expired. Changed by compare-and-set (``swap_value``), so two api processes
    never both account the same beat interval.
``views:si:<session_id>``
    The session's identity: the fields fixed at its start, the org path and is_live (JSON
    array). Written at the start and again about hourly while the session beats, so it
    outlives the progress key. Kept apart because the compare-and-set sends the swapped text
    twice per beat (expected and new): ~60 bytes instead of 200–400. Never changes, so plain
    writes suffice.
``views:prior:<type>:<id>:<viewer>``
    The viewer's last counted play of the item (``PriorPlay``), for the 30 min dedupe window;
    it expires with the window.
``views:day:<YYYY-MM-DD>:item:<type>:<id>``
    A hash of the day's figures of an item: ``plays``, ``watch_s``, ``effective``,
    ``completions``, ``effective_watch_s``, and the same per terminal as ``<field>@<terminal>``,
    per device family as ``<field>@d:<device>`` and per region as ``<field>@r:<province|city>``.
    The flush job ``htake``\\s it into the database.
``views:dirty``
    A hash whose field names are the JSON ``[day, type, id, org_path, category]`` of item hashes
    written since the last flush (the port cannot list keys, so writers say what to flush).
``views:uniq:<day>:item:<type>:<id>`` / ``views:uniq:<day>:org:<org_id>``
    Distinct viewers (HyperLogLog in Redis) of an item, and of an organization's subtree.
``views:presence:<type>:<id>``
    Presence set of a live item's sessions (concurrent viewers, 30 s window).
``views:peak:<type>:<id>``
    The peak concurrent viewers and when first reached (JSON ``{"value", "at"}``).
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import fields, replace
from typing import Any, get_type_hints

import msgspec

from culturecast.media.views.policy import ItemType, PeakTracker, PlaybackSession, PriorPlay

DIRTY_KEY = "views:dirty"

FIGURE_FIELDS = ("plays", "watch_s", "effective", "completions", "effective_watch_s")
"""Counter-hash fields, in the order of ``policy.ViewDeltas``."""


class SessionRecord(msgspec.Struct, array_like=True, frozen=True):
    """What is stored of a playback session."""

    session: PlaybackSession
    """The policy's state."""
    org_path: tuple[str, ...]
    """The item's organization and its ancestors (distinct viewers are counted on each)."""
    is_live: bool
    """Counted as a live stream now (presence, peak)."""
    device: str = "other"
    """The viewer's device family (``audience.Device``), fixed at the start."""
    region: str = ""
    """The viewer's region key (``audience.region_key``; "" unknown), fixed at the start."""


# The session is stored as an array of its fields rather than an object: the compare-and-set
# of every heartbeat sends the stored text twice (expected and new), and field names made it
# 440 bytes where the values take about 200 — the bytes cost measurably per beat in Redis
# (bench/bench_heartbeats.py). Field order and types come from PlaybackSession itself.
_SESSION_FIELDS = tuple(f.name for f in fields(PlaybackSession))
_session_values = operator.attrgetter(*_SESSION_FIELDS)
_session_hints = get_type_hints(PlaybackSession)
_SessionRow: Any = tuple.__class_getitem__(tuple(_session_hints[n] for n in _SESSION_FIELDS))
_record_encoder = msgspec.json.Encoder()
_row_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    tuple[_SessionRow, tuple[str, ...], bool]
)
# Sessions written before the array form (field names as object keys); they stay readable so
# that sessions in flight across an upgrade keep counting.
_legacy_record_decoder = msgspec.json.Decoder(SessionRecord)
_prior_decoder = msgspec.json.Decoder(PriorPlay)


PROGRESS_FIELDS = (
    "last_beat_at",
    "state",
    "last_seq",
    "watched_seconds",
    "max_position",
    "effective_counted",
    "completion_counted",
)
"""The fields of ``PlaybackSession`` a heartbeat may change (``apply_heartbeat``)."""
_IDENTITY_FIELDS = tuple(n for n in _SESSION_FIELDS if n not in PROGRESS_FIELDS)
_progress_values = operator.attrgetter(*PROGRESS_FIELDS)
_identity_values = operator.attrgetter(*_IDENTITY_FIELDS)
_ProgressRow: Any = tuple.__class_getitem__(tuple(_session_hints[n] for n in PROGRESS_FIELDS))
_IdentityRow: Any = tuple.__class_getitem__(tuple(_session_hints[n] for n in _IDENTITY_FIELDS))
_progress_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_ProgressRow)
_identity_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    tuple[_IdentityRow, tuple[str, ...], bool, str, str]
)
# Identities written before devices and regions were kept (no audience fields).
_short_identity_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    tuple[_IdentityRow, tuple[str, ...], bool]
)


def identity_key(session_id: str) -> str:
    return f"views:si:{session_id}"


def encode_progress(session: PlaybackSession) -> str:
    return _record_encoder.encode(_progress_values(session)).decode()


def encode_identity(record: SessionRecord) -> str:
    row = (
        _identity_values(record.session),
        record.org_path,
        record.is_live,
        record.device,
        record.region,
    )
    return _record_encoder.encode(row).decode()


def decode_identity(raw: str | None) -> SessionRecord | None:
    """A record with the identity's fields and progress as at the start (to be overlaid with
    ``with_progress``), or None when the text is not an identity."""
    if raw is None:
        return None
    try:
        values, org_path, is_live, device, region = _identity_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        try:
            values, org_path, is_live = _short_identity_decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        device, region = "other", ""
    fixed = dict(zip(_IDENTITY_FIELDS, values, strict=True))
    session = PlaybackSession(**fixed, last_beat_at=fixed["started_at"])
    return SessionRecord(
        session=session, org_path=org_path, is_live=is_live, device=device, region=region
    )


def with_progress(base: SessionRecord, raw: str) -> SessionRecord | None:
    """``base`` with the progress stored as ``raw``; None when ``raw`` is not progress."""
    try:
        values = _progress_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    session = replace(base.session, **dict(zip(PROGRESS_FIELDS, values, strict=True)))
    return msgspec.structs.replace(base, session=session)


def encode_record(record: SessionRecord) -> str:
    row = (_session_values(record.session), record.org_path, record.is_live)
    return _record_encoder.encode(row).decode()


def decode_record(raw: str) -> SessionRecord | None:
    """A whole record (as stored under the session key before progress and identity were
    split), or None when the stored text is not one (a foreign or corrupt value)."""
    try:
        values, org_path, is_live = _row_decoder.decode(raw)
        return SessionRecord(session=PlaybackSession(*values), org_path=org_path, is_live=is_live)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    try:
        return _legacy_record_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def encode_prior(prior: PriorPlay) -> str:
    return _record_encoder.encode(prior).decode()


def decode_prior(raw: str | None) -> PriorPlay | None:
    if raw is None:
        return None
    try:
        return _prior_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def encode_peak(peak: PeakTracker) -> str:
    return json.dumps({"value": peak.value, "at": peak.at})


def decode_peak(raw: str | None) -> PeakTracker:
    if raw is None:
        return PeakTracker()
    try:
        data = json.loads(raw)
        return PeakTracker(value=int(data["value"]), at=data["at"])
    except (ValueError, KeyError, TypeError):
        return PeakTracker()


def session_key(session_id: str) -> str:
    return f"views:s:{session_id}"


def prior_key(item_type: ItemType, item_id: str, viewer_id: str) -> str:
    return f"views:prior:{item_type}:{item_id}:{viewer_id}"


def day_item_key(day: str, item_type: str, item_id: str) -> str:
    return f"views:day:{day}:item:{item_type}:{item_id}"


def item_uniques_key(day: str, item_type: str, item_id: str) -> str:
    return f"views:uniq:{day}:item:{item_type}:{item_id}"


def org_uniques_key(day: str, org_id: str) -> str:
    return f"views:uniq:{day}:org:{org_id}"


def presence_key(item_type: str, item_id: str) -> str:
    return f"views:presence:{item_type}:{item_id}"


def peak_key(item_type: str, item_id: str) -> str:
    return f"views:peak:{item_type}:{item_id}"


def dirty_field(
    day: str, item_type: str, item_id: str, org_path: tuple[str, ...], category: str
) -> str:
    return json.dumps([day, item_type, item_id, list(org_path), category], ensure_ascii=False)


def ttl_seconds(seconds: float) -> int:
    """A whole-second TTL of at least one second (the port's unit)."""
    return max(1, math.ceil(seconds))
