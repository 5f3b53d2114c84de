"""Which RTMP connections a process keeps, and how often it says so in its log."""

from __future__ import annotations

import pytest

from culturecast.live.slots import ConnectionSlots, LogThrottle, Stage, address_group


def test_one_address_gets_its_cap_of_unpublished_connections_and_others_still_get_in() -> None:
    slots = ConnectionSlots(max_connections=200, max_per_address=10)
    for n in range(10):
        assert slots.admit(("flood", n), "198.51.100.7").refusal is None
    refused = slots.admit(("flood", 10), "198.51.100.7").refusal
    assert refused is not None
    assert refused.code == "too_many_connections"
    assert "10" in refused.message
    assert slots.admit("broadcaster", "203.0.113.5").refusal is None


def test_publishing_connections_do_not_count_against_their_address() -> None:
    slots = ConnectionSlots(max_connections=200, max_per_address=2)
    for key in ("studio-1", "studio-2"):
        slots.admit(key, "203.0.113.5")
        slots.advance(key, Stage.CONNECTED)
        slots.advance(key, Stage.PUBLISHING)
    assert slots.admit("studio-3", "203.0.113.5").refusal is None
    slots.advance("studio-1", Stage.CONNECTED)  # its publish ended: it counts again
    assert slots.admit("studio-4", "203.0.113.5").refusal is not None


def test_a_full_process_gives_the_slot_of_the_busiest_addresses_oldest_handshake() -> None:
    slots = ConnectionSlots(max_connections=4, max_per_address=0)
    slots.admit("c1", "198.51.100.3")
    slots.admit("b1", "198.51.100.2")
    slots.admit("b2", "198.51.100.2")
    slots.admit("a1", "198.51.100.1")
    assert slots.admit("new", "203.0.113.5").evict == "b1"
    assert len(slots) == 4
    # Every address now holds one handshake: the oldest of them goes first.
    assert slots.admit("newer", "203.0.113.6").evict == "c1"
    slots.advance("b2", Stage.CONNECTED)
    assert slots.admit("newest", "203.0.113.7").evict == "a1"


def test_connections_past_the_handshake_are_never_displaced() -> None:
    slots = ConnectionSlots(max_connections=2, max_per_address=0)
    for key in ("encoder", "other"):
        slots.admit(key, "203.0.113.5")
        slots.advance(key, Stage.CONNECTED)
    admission = slots.admit("flood", "198.51.100.7")
    assert admission.evict is None
    assert admission.refusal is not None
    assert admission.refusal.code == "ingest_busy"


def test_removed_connections_free_their_slot_and_their_address() -> None:
    slots = ConnectionSlots(max_connections=1, max_per_address=1)
    slots.admit("x", "198.51.100.7")
    slots.remove("x")
    slots.remove("x")  # idempotent
    assert len(slots) == 0
    admission = slots.admit("y", "198.51.100.7")
    assert (admission.refusal, admission.evict) == (None, None)


@pytest.mark.parametrize(
    ("host", "group"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_address_groups(host: str, group: str) -> None:
    assert address_group(host) == group


def test_one_ipv6_subscriber_cannot_escape_the_cap_by_changing_addresses() -> None:
    slots = ConnectionSlots(max_connections=200, max_per_address=3)
    for n in range(3):
        slots.admit(n, f"2001:db8:1:2::{n + 1}")
    assert slots.admit(3, "2001:db8:1:2::99").refusal is not None


def test_log_throttle_says_it_once_per_window_with_the_count() -> None:
    throttle = LogThrottle(window_s=10.0)
    assert throttle.allow("198.51.100.7", "too_many_connections", 0.0) == 0
    assert all(
        throttle.allow("198.51.100.7", "too_many_connections", t / 10) is None for t in range(1, 99)
    )
    assert throttle.allow("198.51.100.7", "handshake_timeout", 5.0) == 0  # another code
    assert throttle.allow("203.0.113.5", "too_many_connections", 5.0) == 0  # another address
    assert throttle.allow("198.51.100.7", "too_many_connections", 10.0) == 98


def test_log_throttle_forgets_old_addresses_instead_of_growing() -> None:
    throttle = LogThrottle(window_s=10.0, max_keys=100)
    for n in range(1000):
        assert throttle.allow(f"2001:db8:{n:x}::1", "ingest_busy", n * 0.01) == 0
    assert len(throttle) <= 100
