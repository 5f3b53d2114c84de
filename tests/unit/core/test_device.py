"""The device id of the ``cc_did`` cookie: a well-formed one is kept, anything else replaced."""

from __future__ import annotations

import pytest

from culturecast.core.device import device_or_new, is_device_id, new_device_id


def test_a_new_id_is_well_formed_and_unique() -> None:
    ids = {new_device_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(is_device_id(i) for i in ids)


def test_a_well_formed_cookie_is_kept() -> None:
    assert device_or_new("A" * 16) == ("A" * 16, False)
    assert device_or_new("a-b_c" * 12 + "abcd") == ("a-b_c" * 12 + "abcd", False)  # 64


@pytest.mark.parametrize("cookie", [None, "", "A" * 15, "A" * 65, "A" * 15 + "=", "设备" * 10])
def test_anything_else_gets_a_new_id(cookie: str | None) -> None:
    device, new = device_or_new(cookie)
    assert new
    assert is_device_id(device)
    assert device != cookie
