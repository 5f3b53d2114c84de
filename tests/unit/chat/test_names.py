"""Guest nicknames that would pass for staff, folded the way people dodge a list."""

from __future__ import annotations

import pytest

from culturecast.chat.names import DEFAULT_RESERVED_NAMES, ReservedNames, fold, skeleton


@pytest.mark.parametrize(
    "nickname",
    ["管理员", "官 方", "官·方", "主持人", "官方客服", "我是管理员", "系统\u200b", "ＡＤＭＩＮ",
     "Admin", "a d m i n", "admin_", "admin2024", "Administrator", "MODERATOR"],
)  # fmt: skip
def test_staff_titles_are_reserved_however_written(nickname: str) -> None:
    assert ReservedNames().is_reserved(nickname)


@pytest.mark.parametrize("nickname", ["老张", "文化爱好者", "badminton", "sysadmin", "游客", ""])
def test_ordinary_nicknames_are_not(nickname: str) -> None:
    assert not ReservedNames().is_reserved(nickname)


def test_the_list_is_the_operators() -> None:
    names = ReservedNames(["馆长", "Director"])
    assert names.is_reserved("副馆长")
    assert names.is_reserved("director1")
    assert not names.is_reserved("管理员")
    assert {"admin", "管理员", "官方", "主持人", "系统"} <= set(DEFAULT_RESERVED_NAMES)


def test_fold_and_skeleton() -> None:
    assert fold(" ＷａｎｇＬａｏｓｈｉ ") == "wanglaoshi"
    assert skeleton("Wang.Laoshi 2") == "wanglaoshi2"
