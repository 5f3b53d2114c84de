"""The one subtree rule (``core/access.py``): in the subtree vs staff of it, 404 before 403."""

from __future__ import annotations

import pytest

from culturecast.core.access import (
    Action,
    Principal,
    Role,
    authorize,
    in_subtree,
    manages_subtree,
    require_role,
)
from culturecast.core.errors import Forbidden, NotFound, Sentence

COUNTY = ["county", "city", "province"]
"""An object of the county: its organization first, then the ancestors."""
GONE = Sentence("找不到该内容。", "Item not found.")


def who(role: Role, org_id: str | None = "county") -> Principal:
    return Principal(user_id="u", username="u", role=role, org_id=org_id)


@pytest.mark.parametrize(
    ("caller", "inside", "manages"),
    [
        (who(Role.VIEWER), True, False),
        (who(Role.EDITOR), True, True),
        (who(Role.ORG_ADMIN, "city"), True, True),
        (who(Role.ORG_ADMIN, "other-county"), False, False),
        (who(Role.EDITOR, None), False, False),
        (who(Role.PLATFORM_ADMIN, None), True, True),
        (None, False, False),
    ],
)
def test_a_viewer_is_in_its_subtree_but_only_staff_manage_it(
    caller: Principal | None, inside: bool, manages: bool
) -> None:
    assert in_subtree(caller, COUNTY) is inside
    assert manages_subtree(caller, COUNTY) is manages


def test_outside_the_subtree_is_404_whatever_the_role_may_do() -> None:
    with pytest.raises(NotFound) as excinfo:
        authorize(who(Role.ORG_ADMIN, "other-county"), Action.MANAGE_CONTENT, COUNTY, GONE)
    assert excinfo.value.message_in("en") == "Item not found."


def test_inside_the_subtree_a_role_that_may_not_is_403_in_both_languages() -> None:
    with pytest.raises(Forbidden) as excinfo:
        authorize(who(Role.VIEWER), Action.MANAGE_CONTENT, COUNTY, GONE)
    assert excinfo.value.code == "forbidden"
    assert excinfo.value.message_in("en") == "Your role (viewer) may not do this (manage_content)."
    assert "无权" in excinfo.value.message_in("zh-CN")
    authorize(who(Role.EDITOR), Action.MANAGE_CONTENT, COUNTY, GONE)
    with pytest.raises(Forbidden):
        require_role(who(Role.EDITOR), Action.MANAGE_USERS)
