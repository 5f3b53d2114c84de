"""Site types of organizations (seed 004's 分配站点 by 农村 / 社区 / 机关事业单位 / 其他) and
the expected-learner count: the one vocabulary the accounts (who store them) and the
statistics (whose monthly report groups by them) share. Pure."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from culturecast.core.errors import BadRequest, Sentence

__all__ = [
    "MAX_EXPECTED_LEARNERS",
    "SITE_TYPE_LABELS",
    "SiteType",
    "parse_expected_learners",
    "parse_site_type",
]


class SiteType(StrEnum):
    """What kind of place an organization serves."""

    RURAL = "rural"
    COMMUNITY = "community"
    INSTITUTION = "institution"
    OTHER = "other"


SITE_TYPE_LABELS: Final = {
    SiteType.RURAL: "农村",
    SiteType.COMMUNITY: "社区",
    SiteType.INSTITUTION: "机关事业单位",
    SiteType.OTHER: "其他",
}
"""The zh-CN names of the site types, in the order the reports list them."""

MAX_EXPECTED_LEARNERS: Final = 100_000_000
"""More expected learners than any organization could have is a typo."""

_SITE_TYPES = ", ".join(str(t) for t in SiteType)


def parse_site_type(value: object) -> SiteType:
    """The site type named by ``value`` (400 ``invalid_site_type`` otherwise)."""
    if isinstance(value, str):
        try:
            return SiteType(value.strip().lower())
        except ValueError:
            pass
    raise BadRequest(
        Sentence(
            f"站点类型只能是 {_SITE_TYPES} 之一（农村、社区、机关事业单位、其他）。",
            f"site_type must be one of {_SITE_TYPES}.",
        ),
        code="invalid_site_type",
    )


def parse_expected_learners(value: object) -> int:
    """A whole number from 0 to :data:`MAX_EXPECTED_LEARNERS` (400
    ``invalid_expected_learners`` otherwise)."""
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= MAX_EXPECTED_LEARNERS
    ):
        return value
    raise BadRequest(
        Sentence(
            f"应学人数必须是 0 到 {MAX_EXPECTED_LEARNERS} 之间的整数。",
            f"expected_learners must be a whole number from 0 to {MAX_EXPECTED_LEARNERS}.",
        ),
        code="invalid_expected_learners",
    )
