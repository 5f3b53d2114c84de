"""Run mongoeco's MongoDB wire-protocol server as a process the real PyMongo client talks to.

    python -m tests.support.mongo_wire_server --port 27017 --dir /tmp/x

Prints ``READY mongodb://…`` on stdout once it accepts connections; stops on SIGTERM.

The engine is mongoeco's SQLite engine with two shortcuts, :class:`KeyedEngine`, that make a
write cost the same whatever the collection holds (filling one was quadratic: the search bench
writes 6 million term rows):

- an insert or upsert does not compare the new ``_id`` with every stored document. mongoeco does
  that scan on every single-document write (``scan_payload_id=True``) so that ids equal as BSON
  numbers but stored under different keys (``1``, ``1.0``, ``Int64(1)``) collide; any other
  ``_id`` is its own storage key (type and value), so the primary-key lookup mongoeco does first
  finds the duplicate. Numeric ids still get the scan (mongoeco's ``id_contains_numeric_value``).
- a query on ``_id`` (each upsert is one) does not scan the collection to learn whether some
  ``_id`` is an array (never: MongoDB refuses one) or a tagged value such as a Decimal128: while
  every stored ``_id`` is a string, which two seeks on the primary key tell, none is. mongoeco
  forgets those answers on every write, so it asked them again for each document written.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

_STRING_KEYS = (repr((str, "")).split(",")[0] + ",", repr((str, "")).split(",")[0] + "-")
"""The range of storage keys of string ids: from ``(<class 'str'>,`` to just past it."""


class KeyedEngine(SQLiteEngine):
    """mongoeco's SQLite engine whose unique-``_id`` check trusts the primary key."""

    def _validate_document_against_unique_indexes(
        self,
        db_name: str,
        coll_name: str,
        document: Any,
        *,
        exclude_storage_key: str | None = None,
        skip_id_check: bool = False,
        scan_payload_id: bool = False,
    ) -> None:
        # scan_payload_id=False: mongoeco still scans when the id holds a number.
        super()._validate_document_against_unique_indexes(
            db_name,
            coll_name,
            document,
            exclude_storage_key=exclude_storage_key,
            skip_id_check=skip_id_check,
            scan_payload_id=False,
        )

    def _only_string_ids(self, db_name: str, coll_name: str) -> bool:
        # A string id's storage key is repr((str, id)): "(<class 'str'>, '…')". Any stored key
        # outside that prefix's range is another type; two seeks on the primary key find one.
        conn = self._require_connection()
        below, above = conn.execute(
            """
            SELECT
              EXISTS (SELECT 1 FROM documents
                      WHERE db_name = ? AND coll_name = ? AND storage_key < ?),
              EXISTS (SELECT 1 FROM documents
                      WHERE db_name = ? AND coll_name = ? AND storage_key >= ?)
            """,
            (db_name, coll_name, _STRING_KEYS[0], db_name, coll_name, _STRING_KEYS[1]),
        ).fetchone()
        return not below and not above

    def _field_contains_tagged_value_type_in_collection(
        self, db_name: str, coll_name: str, field: str, value_type: str
    ) -> bool:
        if field == "_id" and self._only_string_ids(db_name, coll_name):
            return False
        return bool(
            super()._field_contains_tagged_value_type_in_collection(
                db_name, coll_name, field, value_type
            )
        )

    def _field_is_top_level_array_in_collection(
        self, db_name: str, coll_name: str, field: str
    ) -> bool:
        if field == "_id":
            return False  # mongoeco refuses an array _id (assert_valid_root_document_id)
        return bool(super()._field_is_top_level_array_in_collection(db_name, coll_name, field))


async def serve(port: int, directory: Path) -> None:
    engine = KeyedEngine(str(directory / "mongo.sqlite"), executor_workers=1)
    proxy = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await proxy.start()
    print(f"READY {proxy.address.uri}", flush=True)
    try:
        await stop.wait()
    finally:
        await proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.port, args.dir))


if __name__ == "__main__":
    main()
