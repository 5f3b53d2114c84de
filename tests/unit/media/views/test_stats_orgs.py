"""Statistics read organizations through the server's interface (the ``Organizations`` port),
never the ``orgs`` collection: an organization report's tree and names come from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from culturecast.media.views.items import ItemStores
from culturecast.media.views.policy import ViewRules
from culturecast.media.views.stats import OrgNode, StatsReader
from culturecast.storage.counters.memory import MemoryCounters
from culturecast.storage.database.sqlite import SQLiteDatabase


@dataclass(frozen=True)
class Org:
    id: str
    parent_id: str | None
    name: str


class Organizations:
    """The server's side: a province, its city and the city's county; who was asked what."""

    def __init__(self) -> None:
        self.orgs = [
            Org("province", None, "省"),
            Org("city", "province", "市"),
            Org("county", "city", "县"),
        ]
        self.asked: list[str] = []

    async def subtree(self, org_id: str) -> list[OrgNode]:
        self.asked.append(org_id)
        below: set[str] = {org_id}
        for org in self.orgs:  # parents come first
            if org.parent_id in below:
                below.add(org.id)
        return [org for org in self.orgs if org.id in below]


@pytest.fixture
async def reader(tmp_path: Path) -> AsyncIterator[tuple[StatsReader, Organizations]]:
    database = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    orgs = Organizations()
    stores = ItemStores(database, MemoryCounters(), resolver=None, clock=lambda: 0.0)
    reader = StatsReader(stores, rules=ViewRules(), orgs=orgs)
    try:
        yield reader, orgs
    finally:
        await database.close()


async def test_an_org_report_is_rooted_at_the_org_asked_for_with_its_members_names(
    reader: tuple[StatsReader, Organizations],
) -> None:
    stats, orgs = reader
    tree, names = await stats.org_tree("city")
    assert orgs.asked == ["city"]
    assert tree.roots() == ("city",)  # the province above is not part of the report
    assert tree.children("city") == ("county",)
    assert names == {"city": "市", "county": "县"}


async def test_an_org_without_members_is_a_tree_of_one(
    reader: tuple[StatsReader, Organizations],
) -> None:
    stats, _ = reader
    tree, names = await stats.org_tree("gone")
    assert tree.orgs() == ("gone",)
    assert names == {}
