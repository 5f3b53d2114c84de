"""A guest's id: stable per device (so moderation holds across reconnects), per connection
without a device cookie, and never the cookie itself."""

from __future__ import annotations

import pytest

from culturecast.chat.service import guest_id

DEVICE = "Zk3m9QpL0x_7-aBcDeFgHi"


def test_one_device_is_one_guest_across_connections() -> None:
    assert guest_id(DEVICE, "sid-1") == guest_id(DEVICE, "sid-2")
    assert guest_id(DEVICE, "sid-1").startswith("guest-")


def test_devices_are_different_guests() -> None:
    assert guest_id(DEVICE, "sid-1") != guest_id(DEVICE[:-1] + "j", "sid-1")


def test_the_cookie_does_not_show_in_the_id() -> None:
    assert DEVICE not in guest_id(DEVICE, "sid-1")
    assert DEVICE[:8] not in guest_id(DEVICE, "sid-1")


@pytest.mark.parametrize(
    "device", [None, "", "short", "x" * 65, "含中文的设备号码含中文的设备号码", "a b" * 8]
)
def test_without_a_well_formed_cookie_a_guest_is_its_connection(device: str | None) -> None:
    assert guest_id(device, "sid-1") == "guest-sid-1"
    assert guest_id(device, "sid-2") == "guest-sid-2"
