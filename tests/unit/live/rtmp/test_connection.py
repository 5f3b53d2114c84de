"""A whole publish session scripted as OBS/FFmpeg send it, and the replies a client sees."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from culturecast.live.rtmp import amf0, chunk, flv
from culturecast.live.rtmp.amf0 import UNDEFINED, EcmaArray
from culturecast.live.rtmp.connection import ConnectionState, RtmpServerConnection
from culturecast.live.rtmp.events import (
    CodecIdentified,
    ConnectionClosed,
    ConnectRequested,
    Event,
    FlvTag,
    HandshakeComplete,
    MetaData,
    PublishEnded,
    PublishRequested,
)
from culturecast.live.rtmp.limits import ConnectionLimits
from tests.unit.live.rtmp.client import (
    Client,
    commands,
    drain,
    librtmp_c1,
    read_messages,
    seeded_random,
)

AVC_SEQUENCE_HEADER = b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f\xff\xe1\x00\x04abcd"
AAC_SEQUENCE_HEADER = b"\xaf\x00\x12\x10"


def _connected(client: Client) -> RtmpServerConnection:
    conn = RtmpServerConnection(random_bytes=seeded_random())
    conn.receive_data(client.handshake(librtmp_c1()[0]), now=0.0)
    conn.data_to_send()  # S0 S1 S2
    conn.receive_data(client.set_chunk_size() + client.connect(), now=0.1)
    conn.data_to_send()
    drain(conn)
    return conn


def _publishing(client: Client, key: str = "testkey") -> RtmpServerConnection:
    conn = _connected(client)
    conn.receive_data(client.publish_preamble(key), now=0.2)
    drain(conn)
    conn.accept_publish()
    conn.data_to_send()
    return conn


def _closed(events: Sequence[Event]) -> ConnectionClosed:
    closed = [e for e in events if isinstance(e, ConnectionClosed)]
    assert len(closed) == 1
    return closed[0]


def test_full_publish_session() -> None:
    client = Client(chunk_size=4096)
    conn = RtmpServerConnection(random_bytes=seeded_random())

    conn.receive_data(client.handshake(librtmp_c1()[0]), now=0.0)
    assert len(conn.data_to_send()) == 3073
    assert drain(conn) == [HandshakeComplete(digest=True)]

    conn.receive_data(client.set_chunk_size() + client.connect(), now=0.1)
    [connect] = drain(conn)
    assert isinstance(connect, ConnectRequested)
    assert connect.app == "live"
    assert connect.tc_url == "rtmp://127.0.0.1:1935/live"
    assert connect.flash_ver.startswith("FMLE/3.0")
    replies = read_messages(conn.data_to_send(), chunk_size=128)
    assert [(m.type_id, m.payload) for m in replies[:3]] == [
        (chunk.MSG_WINDOW_ACK_SIZE, (2_500_000).to_bytes(4, "big")),
        (chunk.MSG_SET_PEER_BANDWIDTH, (2_500_000).to_bytes(4, "big") + b"\x02"),
        (chunk.MSG_SET_CHUNK_SIZE, (4096).to_bytes(4, "big")),
    ]
    assert amf0.decode_all(replies[3].payload) == [
        "_result",
        1.0,
        {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0},
        {
            "level": "status",
            "code": "NetConnection.Connect.Success",
            "description": "Connection succeeded.",
            "objectEncoding": 0.0,
        },
    ]

    conn.receive_data(client.publish_preamble("testkey?token=abc"), now=0.2)
    assert drain(conn) == [
        PublishRequested(
            stream_key="testkey", publish_type="live", query="token=abc", stream_id=1, app="live"
        )
    ]
    assert commands(conn.data_to_send()) == [
        ["_result", 2.0, None, UNDEFINED],
        [
            "onFCPublish",
            0.0,
            None,
            {"code": "NetStream.Publish.Start", "description": "testkey?token=abc"},
        ],
        ["_result", 3.0, None, UNDEFINED],
        ["_result", 4.0, None, 1.0],
    ]
    assert conn.state.value == ConnectionState.PUBLISH_PENDING.value

    conn.accept_publish()
    status = read_messages(conn.data_to_send())
    assert (status[0].type_id, status[0].payload) == (
        chunk.MSG_USER_CONTROL,
        b"\x00\x00\x00\x00\x00\x01",
    )
    assert status[1].stream_id == 1
    assert amf0.decode_all(status[1].payload)[3] == {
        "level": "status",
        "code": "NetStream.Publish.Start",
        "description": "testkey is now published.",
        "details": "testkey",
    }

    keyframe = b"\x17\x01\x00\x00\x00" + bytes(9000)  # spans three 4096-byte chunks
    conn.receive_data(
        client.metadata({"width": 1920.0, "height": 1080.0, "videocodecid": 7.0})
        + client.video(0, AVC_SEQUENCE_HEADER)
        + client.audio(0, AAC_SEQUENCE_HEADER)
        + client.video(0, keyframe)
        + client.audio(23, b"\xaf\x01" + b"a" * 300)
        + client.video(33, b"\x27\x01\x00\x00\x00" + b"p" * 2000),
        now=0.3,
    )
    events = drain(conn)
    assert events[0] == MetaData({"width": 1920.0, "height": 1080.0, "videocodecid": 7.0}, 0)
    script = events[1]
    assert isinstance(script, FlvTag)
    assert script.tag_type == flv.TAG_SCRIPT
    # @setDataFrame is stripped: the FLV carries onMetaData as ffmpeg writes it.
    assert amf0.decode_all(script.data) == [
        "onMetaData",
        EcmaArray({"width": 1920.0, "height": 1080.0, "videocodecid": 7.0}),
    ]
    assert events[2] == CodecIdentified(flv.CodecKind.VIDEO, "h264")
    assert events[4] == CodecIdentified(flv.CodecKind.AUDIO, "aac")
    tags = [e for e in events if isinstance(e, FlvTag)]
    assert [(t.tag_type, t.timestamp, len(t.data)) for t in tags[1:]] == [
        (9, 0, len(AVC_SEQUENCE_HEADER)),
        (8, 0, len(AAC_SEQUENCE_HEADER)),
        (9, 0, len(keyframe)),
        (8, 23, 302),
        (9, 33, 2005),
    ]
    assert tags[3].data == keyframe
    assert tags[3].to_bytes() == flv.encode_tag(9, 0, keyframe)
    assert (conn.video_codec, conn.audio_codec) == ("h264", "aac")

    conn.receive_data(
        client.command("FCUnpublish", 6.0, None, "testkey")
        + client.command("deleteStream", 7.0, None, 1.0),
        now=5.0,
    )
    assert drain(conn) == [PublishEnded("testkey", "FCUnpublish")]
    assert conn.state.value == ConnectionState.CONNECTED.value
    conn.close("socket closed")
    assert drain(conn) == [ConnectionClosed("socket closed", "closed")]


def test_delete_stream_alone_ends_the_publish() -> None:
    client = Client()
    conn = _publishing(client)
    conn.receive_data(client.command("deleteStream", 7.0, None, 1.0), now=1.0)
    assert drain(conn) == [PublishEnded("testkey", "deleteStream")]


def test_media_before_admission_is_dropped() -> None:
    client = Client()
    conn = _connected(client)
    conn.receive_data(client.publish_preamble("k") + client.video(0, AVC_SEQUENCE_HEADER), 0.2)
    assert [type(e) for e in drain(conn)] == [PublishRequested]


def test_rejected_publish_gets_bad_name_and_closes() -> None:
    client = Client()
    conn = _connected(client)
    conn.receive_data(client.publish_preamble("wrong"), now=0.2)
    drain(conn)
    conn.data_to_send()
    conn.reject_publish("unknown_stream_key", "Unknown stream key.")
    [status] = commands(conn.data_to_send())
    assert status[0] == "onStatus"
    assert status[3] == {
        "level": "error",
        "code": "NetStream.Publish.BadName",
        "description": "Unknown stream key.",
    }
    assert drain(conn) == [ConnectionClosed("Unknown stream key.", "unknown_stream_key")]
    assert conn.is_closed
    conn.receive_data(client.video(0, AVC_SEQUENCE_HEADER), now=0.3)
    conn.accept_publish()  # too late: ignored, not an error
    assert drain(conn) == []
    assert conn.data_to_send() == b""


def test_unsupported_codec_is_refused_by_name_after_admission() -> None:
    client = Client()
    conn = _publishing(client)
    conn.receive_data(client.video(0, b"\x14\x00vp6data"), now=1.0)
    events = drain(conn)
    assert events[0] == CodecIdentified(flv.CodecKind.VIDEO, "vp6")
    conn.reject_publish("unsupported_codec", "Video codec vp6 is not supported; use H.264.")
    assert drain(conn) == [
        PublishEnded("testkey", "connection closed"),
        ConnectionClosed("Video codec vp6 is not supported; use H.264.", "unsupported_codec"),
    ]


def test_accept_without_a_pending_publish_is_a_programming_error() -> None:
    conn = _connected(Client())
    with pytest.raises(RuntimeError, match="no publish is pending"):
        conn.accept_publish()


def test_aggregate_message_is_split_into_tags_with_rebased_timestamps() -> None:
    client = Client()
    conn = _publishing(client)
    # Sub-tag timestamps 5000 and 5040 inside an aggregate stamped 100 -> 100 and 140.
    body = flv.encode_tag(9, 5000, AVC_SEQUENCE_HEADER) + flv.encode_tag(8, 5040, b"\xaf\x01x")
    conn.receive_data(client.message(6, chunk.MSG_AGGREGATE, 1, 100, body), now=1.0)
    tags = [e for e in drain(conn) if isinstance(e, FlvTag)]
    assert [(t.tag_type, t.timestamp, t.data) for t in tags] == [
        (9, 100, AVC_SEQUENCE_HEADER),
        (8, 140, b"\xaf\x01x"),
    ]


def test_truncated_aggregate_closes_with_malformed_message() -> None:
    client = Client()
    conn = _publishing(client)
    body = flv.encode_tag(9, 0, AVC_SEQUENCE_HEADER)[:-6]
    conn.receive_data(client.message(6, chunk.MSG_AGGREGATE, 1, 0, body), now=1.0)
    assert _closed(drain(conn)).code == "malformed_message"


def test_ping_request_is_answered_with_the_same_timestamp() -> None:
    client = Client()
    conn = _connected(client)
    ping = (6).to_bytes(2, "big") + (123456).to_bytes(4, "big")
    conn.receive_data(client.message(2, chunk.MSG_USER_CONTROL, 0, 0, ping), now=1.0)
    [reply] = read_messages(conn.data_to_send())
    assert reply.type_id == chunk.MSG_USER_CONTROL
    assert reply.payload == (7).to_bytes(2, "big") + (123456).to_bytes(4, "big")


def test_acknowledgement_is_sent_after_each_window_of_received_bytes() -> None:
    client = Client()
    conn = _publishing(client)
    window = (5000).to_bytes(4, "big")
    conn.receive_data(client.message(2, chunk.MSG_WINDOW_ACK_SIZE, 0, 0, window), now=1.0)
    conn.data_to_send()
    acks: list[int] = []
    for index in range(10):
        conn.receive_data(client.video(index * 33, b"\x27\x01" + bytes(998)), now=1.0)
        acks += [
            int.from_bytes(m.payload, "big")
            for m in read_messages(conn.data_to_send())
            if m.type_id == chunk.MSG_ACKNOWLEDGEMENT
        ]
    assert len(acks) >= 1
    # Each acknowledgement reports the total bytes received so far, a window apart.
    assert all(b - a >= 5000 for a, b in itertools.pairwise(acks))
    assert acks[-1] <= conn.bytes_received
    assert conn.bytes_received - acks[-1] < 5000


def test_command_before_connect_is_unexpected() -> None:
    client = Client()
    conn = RtmpServerConnection(random_bytes=seeded_random())
    conn.receive_data(client.handshake() + client.command("createStream", 2.0, None), now=0.0)
    assert _closed(drain(conn)).code == "unexpected_command"


def test_play_is_refused_on_an_ingest_server() -> None:
    client = Client()
    conn = _connected(client)
    conn.receive_data(client.command("play", 0.0, None, "key", stream_id=1), now=1.0)
    closed = _closed(drain(conn))
    assert closed.code == "unexpected_command"
    assert "only accepts publishing" in closed.reason


def test_publish_on_a_stream_never_created_is_unexpected() -> None:
    client = Client()
    conn = _connected(client)
    conn.receive_data(client.command("publish", 5.0, None, "k", "live", stream_id=7), now=1.0)
    assert _closed(drain(conn)).code == "unexpected_command"


def test_unknown_calls_get_an_error_and_checkbw_a_result() -> None:
    client = Client()
    conn = _connected(client)
    conn.receive_data(
        client.command("getMovieLength", 9.0, None) + client.command("_checkbw", 10.0, None),
        now=1.0,
    )
    replies = commands(conn.data_to_send())
    assert replies[0][:2] == ["_error", 9.0]
    info = replies[0][3]
    assert isinstance(info, dict)
    assert info["code"] == "NetConnection.Call.Failed"
    assert replies[1] == ["_result", 10.0, None, UNDEFINED]
    assert not conn.is_closed


def test_amf3_command_messages_are_understood() -> None:
    client = Client()
    conn = _connected(client)
    payload = b"\x00" + amf0.encode("createStream", 4.0, None)
    conn.receive_data(client.message(3, chunk.MSG_COMMAND_AMF3, 0, 0, payload), now=1.0)
    assert commands(conn.data_to_send()) == [["_result", 4.0, None, 1.0]]


def test_oversized_message_closes_with_message_too_large() -> None:
    client = Client()
    conn = RtmpServerConnection(
        random_bytes=seeded_random(),
        limits=ConnectionLimits(message_bytes_before_publish=10_000, message_bytes=10_000),
    )
    conn.receive_data(client.handshake(), now=0.0)
    header = b"\x06" + bytes(3) + (20_000).to_bytes(3, "big") + b"\x09" + (1).to_bytes(4, "little")
    conn.receive_data(header, now=0.1)
    closed = _closed(drain(conn))
    assert closed.code == "message_too_large"
    assert "20000" in closed.reason


def test_host_close_while_publishing_ends_the_publish_first() -> None:
    conn = _publishing(Client())
    conn.close("idle for 30 s", "idle_timeout")
    assert drain(conn) == [
        PublishEnded("testkey", "connection closed"),
        ConnectionClosed("idle for 30 s", "idle_timeout"),
    ]
    assert conn.last_received_at == 0.2


def test_client_changing_chunk_size_mid_publish_keeps_tags_intact() -> None:
    client = Client(chunk_size=4096)
    conn = _publishing(client)
    frames = [bytes([0x27, 0x01]) + bytes([n]) * 5000 for n in range(4)]
    data = client.video(0, frames[0]) + client.video(33, frames[1])
    client.pending_chunk_size = 100
    data += client.set_chunk_size() + client.video(66, frames[2])
    client.pending_chunk_size = 65536
    data += client.set_chunk_size() + client.video(99, frames[3])
    conn.receive_data(data, now=1.0)
    tags = [e for e in drain(conn) if isinstance(e, FlvTag)]
    assert [(t.timestamp, t.data) for t in tags] == list(zip([0, 33, 66, 99], frames, strict=True))
    assert not conn.is_closed
