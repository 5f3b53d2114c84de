"""Organization levels. Roles and the signed-in principal are the kernel's
(``core/access.py``): every package decides with them."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """The five levels of the public culture service network (DESIGN.md § Accounts)."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


LEVEL_NAMES = {
    Level.PROVINCE: "province",
    Level.CITY: "city",
    Level.COUNTY: "county",
    Level.TOWNSHIP: "township",
    Level.VILLAGE: "village",
}
