"""What one connection may make the server hold, and its deadlines, with injected time."""

from __future__ import annotations

import random

from culturecast.live.rtmp import chunk
from culturecast.live.rtmp.connection import ConnectionState, RtmpServerConnection
from culturecast.live.rtmp.events import ConnectionClosed, FlvTag, PublishRequested
from culturecast.live.rtmp.limits import KIB, MIB, ConnectionLimits, UnpublishedBudget
from tests.unit.live.rtmp.client import Client, drain, librtmp_c1, seeded_random


def _handshaken(
    client: Client, *, budget: UnpublishedBudget | None = None, now: float = 100.0
) -> RtmpServerConnection:
    conn = RtmpServerConnection(now=now, budget=budget, random_bytes=seeded_random())
    conn.receive_data(client.handshake(librtmp_c1()[0]), now=now)
    conn.data_to_send()
    conn.receive_data(client.set_chunk_size(), now=now)
    drain(conn)
    return conn


def _publishing(client: Client, *, budget: UnpublishedBudget | None = None) -> RtmpServerConnection:
    conn = _handshaken(client, budget=budget)
    conn.receive_data(client.connect() + client.publish_preamble("key"), now=101.0)
    assert any(isinstance(e, PublishRequested) for e in drain(conn))
    conn.accept_publish()
    conn.data_to_send()
    return conn


def _unfinished(client: Client, csid: int, size: int, sent: int) -> bytes:
    """The first ``sent`` payload bytes of a ``size``-byte message on ``csid`` (whole chunks)."""
    whole = client.message(csid, chunk.MSG_VIDEO, 1, 0, bytes(size))
    step = client.muxer.chunk_size
    chunks = -(-sent // step)
    return whole[: 12 + chunks * step + (chunks - 1)]  # type-0 header, chunks, type-3 headers


def _closed_code(conn: RtmpServerConnection) -> str | None:
    codes = [e.code for e in drain(conn) if isinstance(e, ConnectionClosed)]
    return codes[0] if codes else None


def test_eight_mib_declared_before_publish_is_refused_at_the_header() -> None:
    client = Client(chunk_size=65536)
    conn = _handshaken(client)
    header = _unfinished(client, 3, 8 * MIB, 1)[:12]
    conn.receive_data(header, now=100.5)
    assert _closed_code(conn) == "message_too_large"
    assert conn.held_bytes == 0


def test_an_admitted_publisher_sends_large_frames() -> None:
    client = Client(chunk_size=65536)
    conn = _publishing(client)
    frame = b"\x17\x01" + bytes(3 * MIB)
    conn.receive_data(client.video(0, frame), now=102.0)
    tags = [e for e in drain(conn) if isinstance(e, FlvTag)]
    assert [t.data for t in tags] == [frame]
    assert not conn.is_closed


def test_ending_the_publish_brings_back_the_small_cap() -> None:
    client = Client(chunk_size=65536)
    conn = _publishing(client)
    conn.receive_data(client.command("FCUnpublish", 6.0, None, "key"), now=103.0)
    drain(conn)
    assert conn.state is ConnectionState.CONNECTED
    conn.receive_data(_unfinished(client, 6, MIB, 1)[:12], now=103.1)
    assert _closed_code(conn) == "message_too_large"


def test_unfinished_messages_on_many_streams_close_at_the_held_cap() -> None:
    client = Client(chunk_size=4096)
    conn = _handshaken(client)
    limit = conn.limits.held_bytes_before_publish
    for csid in range(3, 63):
        conn.receive_data(_unfinished(client, csid, 64 * KIB, 60 * KIB), now=100.5)
        if conn.is_closed:
            break
        assert conn.held_bytes <= limit
    assert _closed_code(conn) == "buffer_limit"
    assert csid < 3 + limit // (60 * KIB) + 1


def test_more_than_sixty_four_chunk_streams_close() -> None:
    client = Client()
    conn = _handshaken(client)
    data = b"".join(client.message(csid, chunk.MSG_AUDIO, 1, 0, b"") for csid in range(3, 80))
    conn.receive_data(data, now=100.5)
    assert _closed_code(conn) == "buffer_limit"


def test_consumed_input_is_given_back_at_once() -> None:
    client = Client(chunk_size=4096)
    conn = _handshaken(client)
    conn.receive_data(client.connect() + client.command("createStream", 2.0, None), now=100.5)
    assert not conn.is_closed
    assert conn.held_bytes == 0


def test_connections_share_one_budget_above_their_allowance() -> None:
    budget = UnpublishedBudget(limit=100 * KIB)
    client_a, client_b, client_c = (Client(chunk_size=4096) for _ in range(3))
    a = _handshaken(client_a, budget=budget)
    b = _handshaken(client_b, budget=budget)
    a.receive_data(_unfinished(client_a, 3, 64 * KIB, 60 * KIB), now=100.5)
    a.receive_data(_unfinished(client_a, 4, 64 * KIB, 20 * KIB), now=100.5)
    assert not a.is_closed
    assert budget.used == a.held_bytes - 16 * KIB
    b.receive_data(_unfinished(client_b, 3, 64 * KIB, 60 * KIB), now=100.6)
    assert _closed_code(b) == "buffer_limit"  # a holds most of the budget
    assert budget.used == a.held_bytes - 16 * KIB
    a.close("gone")
    assert budget.used == 0
    c = _handshaken(client_c, budget=budget)
    c.receive_data(_unfinished(client_c, 3, 64 * KIB, 60 * KIB), now=100.7)
    assert not c.is_closed


def test_admission_gives_the_share_back() -> None:
    budget = UnpublishedBudget(limit=MIB)
    client = Client(chunk_size=4096)
    conn = _handshaken(client, budget=budget)
    conn.receive_data(client.connect() + client.publish_preamble("key"), now=101.0)
    conn.receive_data(_unfinished(client, 6, 64 * KIB, 60 * KIB), now=101.0)
    assert budget.used > 0
    assert any(isinstance(e, PublishRequested) for e in drain(conn))
    conn.accept_publish()
    assert budget.used == 0


def test_a_real_session_split_anywhere_never_draws_on_the_budget() -> None:
    budget = UnpublishedBudget(limit=0)
    rng = random.Random(18)
    for _ in range(20):
        client = Client(chunk_size=rng.choice((128, 4096)))
        data = client.handshake(librtmp_c1()[0]) + client.set_chunk_size() + client.connect()
        data += client.publish_preamble("key")
        conn = RtmpServerConnection(now=0.0, budget=budget, random_bytes=seeded_random())
        pos = 0
        while pos < len(data):
            step = rng.randrange(1, 700)
            conn.receive_data(data[pos : pos + step], now=0.1)
            pos += step
        assert conn.state is ConnectionState.PUBLISH_PENDING
        assert budget.used == 0


def test_handshake_deadline_counts_from_accept() -> None:
    conn = RtmpServerConnection(now=100.0, random_bytes=seeded_random())
    assert conn.next_timer() == 105.0
    conn.receive_data(b"\x03", now=101.0)  # C0 only, as a flooding client sends
    assert conn.next_timer() == 105.0
    conn.handle_timer(104.9)
    assert not conn.is_closed
    conn.handle_timer(105.0)
    assert drain(conn) == [ConnectionClosed("no handshake within 5 s", "handshake_timeout")]
    assert conn.next_timer() is None


def test_publish_deadline_pauses_while_the_host_decides() -> None:
    client = Client()
    conn = _handshaken(client, now=100.0)
    assert conn.next_timer() == 130.0
    conn.receive_data(client.connect() + client.publish_preamble("key"), now=101.0)
    drain(conn)
    assert conn.next_timer() is None  # the host's admission is not the client's delay
    conn.handle_timer(200.0)
    assert not conn.is_closed
    conn.reject_publish("unknown_stream_key", "Unknown stream key")
    assert drain(conn) == [ConnectionClosed("Unknown stream key", "unknown_stream_key")]


def test_publish_deadline_closes_a_connection_that_never_publishes() -> None:
    client = Client()
    conn = _handshaken(client, now=100.0)
    conn.receive_data(client.connect(), now=101.0)
    drain(conn)
    conn.handle_timer(130.0)
    assert drain(conn) == [ConnectionClosed("no publish within 30 s", "publish_timeout")]


def test_idle_deadline_moves_with_every_read() -> None:
    client = Client()
    conn = _publishing(client)
    assert conn.next_timer() == 101.0 + 15.0
    conn.receive_data(client.audio(0, b"\xaf\x01ab"), now=110.0)
    assert conn.next_timer() == 125.0
    conn.handle_timer(124.0)
    assert not conn.is_closed
    conn.handle_timer(125.0)
    assert [e for e in drain(conn) if isinstance(e, ConnectionClosed)] == [
        ConnectionClosed("no data for 15 s", "idle_timeout")
    ]


def test_limits_are_configurable() -> None:
    limits = ConnectionLimits(handshake_timeout_s=1.0, message_bytes_before_publish=100)
    conn = RtmpServerConnection(now=5.0, limits=limits, random_bytes=seeded_random())
    assert conn.next_timer() == 6.0
    client = Client()
    conn.receive_data(client.handshake() + _unfinished(client, 3, 101, 1)[:12], now=5.1)
    assert _closed_code(conn) == "message_too_large"
