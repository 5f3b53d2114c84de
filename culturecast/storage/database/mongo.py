"""The distributed database adapter: MongoDB through PyMongo's native async client.

Filters, sorts and updates are validated by ``query`` (the subset both adapters implement) and
then passed to MongoDB as they are. Engine exceptions are turned into the port's errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final, Unpack

from pymongo import AsyncMongoClient, ReplaceOne, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    BulkWriteError,
    ConfigurationError,
    ConnectionFailure,
    InvalidName,
    InvalidOperation,
    OperationFailure,
)
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError

from culturecast.storage.database.port import (
    Changes,
    Collection,
    Document,
    Filter,
    IndexSpec,
    Page,
    SortSpec,
)
from culturecast.storage.database.query import (
    Condition,
    Update,
    check_collection_name,
    check_document,
    check_id,
    check_sort,
    new_id,
    parse_changes,
    parse_filter,
    parse_page,
)
from culturecast.storage.errors import DuplicateKeyError, EngineUnavailable, StorageError

type _Doc = dict[str, Any]

# Server error codes that mean "this update cannot apply to this document" (the caller's
# mistake, as the SQLite adapter reports it): BadValue, TypeMismatch, PathNotViable,
# ConflictingUpdateOperators, ImmutableField.
HEALTH_COLLECTION = "_health"
"""Where readiness probes write (not a collection of the port: names there never start with
``_``)."""
_BAD_REQUEST_CODES = frozenset({2, 14, 28, 40, 66})
_DUPLICATE_KEY = 11000

# The BSON types a unique index keeps; null and missing fields are left out (see IndexSpec).
_INDEXED_TYPES = ["number", "string", "bool", "object", "array"]

_ID_ORDER = [("_id", 1)]
_COMPARISONS = frozenset({"$gt", "$gte", "$lt", "$lte"})


@asynccontextmanager
async def _engine_errors() -> AsyncIterator[None]:
    """Translate PyMongo's exceptions into the port's errors."""
    try:
        yield
    except MongoDuplicateKeyError as exc:
        raise DuplicateKeyError(str(exc)) from exc
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or [{}]
        if errors[0].get("code") == _DUPLICATE_KEY:
            raise DuplicateKeyError(str(exc)) from exc
        raise StorageError(f"MongoDB: {exc}") from exc
    except ConnectionFailure as exc:
        # ServerSelectionTimeoutError, AutoReconnect and NetworkTimeout are ConnectionFailures.
        raise EngineUnavailable(f"MongoDB: {exc}") from exc
    except InvalidOperation as exc:
        # Raised for a closed client.
        raise EngineUnavailable(f"MongoDB: {exc}") from exc
    except OperationFailure as exc:
        if exc.code in _BAD_REQUEST_CODES:
            raise ValueError(f"MongoDB refused the operation: {exc}") from exc
        raise StorageError(f"MongoDB: {exc}") from exc


def _mongo_filter(flt: Filter | None) -> _Doc:
    """``flt`` validated, as MongoDB gets it.

    A comparison also names the type it compares with. Real MongoDB compares only within one
    type ("type bracketing"), so there this changes nothing; servers that order all types
    together (the wire server used in tests) then agree with it and with SQLite.
    """
    parse_filter(flt)
    return _bracketed(flt or {})


def _bracketed(flt: Filter) -> _Doc:
    result: _Doc = {}
    for key, spec in flt.items():
        if key == "$or":
            result[key] = [_bracketed(branch) for branch in spec]
        elif isinstance(spec, Mapping):
            ops = dict(spec)
            compared = [v for op, v in ops.items() if op in _COMPARISONS]
            if compared:
                ops["$type"] = "string" if isinstance(compared[0], str) else "number"
            result[key] = ops
        else:
            result[key] = spec
    return result


def _mongo_update(update: Update) -> _Doc:
    doc: _Doc = {}
    if update.set:
        doc["$set"] = update.set
    if update.unset:
        doc["$unset"] = dict.fromkeys(update.unset, "")
    if update.inc:
        doc["$inc"] = update.inc
    return doc


def _mongo_sort(sort: SortSpec) -> list[tuple[str, int]]:
    order = list(check_sort(sort))
    if all(path != "_id" for path, _ in order):
        # The port breaks ties by _id; MongoDB's order of ties is otherwise unspecified.
        order.append(("_id", 1))
    return order


def _index_name(spec: IndexSpec) -> str:
    keys = "__".join(f"{path.replace('.', '_')}_{direction}" for path, direction in spec.keys)
    return f"ix_{keys}{'__unique' if spec.unique else ''}"


class MongoDatabase:
    """The ``Database`` port on one MongoDB database."""

    engine: Final = "mongodb"

    def __init__(self, client: AsyncMongoClient[_Doc], db: AsyncDatabase[_Doc]) -> None:
        self._client = client
        self._db = db

    @classmethod
    async def open(cls, url: str, db_name: str, *, server_timeout: float = 5.0) -> MongoDatabase:
        """A database on the server at ``url``. The server is not contacted yet (so a process
        can start while MongoDB is still coming up); each call waits at most ``server_timeout``
        seconds for it and raises ``EngineUnavailable`` after."""
        ms = max(1, int(server_timeout * 1000))
        try:
            client: AsyncMongoClient[_Doc] = AsyncMongoClient(
                url,
                serverSelectionTimeoutMS=ms,
                connectTimeoutMS=ms,
                appname="culturecast",
                tz_aware=False,
            )
        except ConfigurationError as exc:
            raise ValueError(f"invalid MongoDB URL: {exc}") from exc
        try:
            db = client[db_name]
        except InvalidName as exc:
            await client.close()
            raise ValueError(f"invalid MongoDB database name {db_name!r}: {exc}") from exc
        return cls(client, db)

    def collection(self, name: str) -> Collection:
        return _MongoCollection(self._db[check_collection_name(name)])

    async def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        for spec in specs:
            name = check_collection_name(spec.collection)
            if not spec.keys:
                raise ValueError(f"index on {name!r} needs at least one key")
            keys = list(check_sort(spec.keys))
            options: _Doc = {"name": _index_name(spec)}
            if spec.unique:
                options["unique"] = True
                # Partial rather than sparse: a sparse compound index still indexes a document
                # holding only some key fields, while the port exempts any document missing
                # (or holding null in) one of them, as SQLite's partial index does.
                options["partialFilterExpression"] = {
                    path: {"$type": _INDEXED_TYPES} for path, _ in keys
                }
            async with _engine_errors():
                await self._db[name].create_index(keys, **options)

    async def ping(self) -> None:
        """Return when the server takes a write (a replica set without a primary still answers
        ``ping`` but serves nobody): one acknowledged update of a document in ``_health``."""
        async with _engine_errors():
            await self._client.admin.command("ping")
            await self._db[HEALTH_COLLECTION].update_one(
                {"_id": "ready_probe"}, {"$inc": {"probes": 1}}, upsert=True
            )

    async def close(self) -> None:
        await self._client.close()


class _MongoCollection:
    def __init__(self, coll: AsyncCollection[_Doc]) -> None:
        self._coll = coll

    @property
    def name(self) -> str:
        return self._coll.name

    async def insert(self, doc: Document) -> None:
        check_document(doc)
        async with _engine_errors():
            # A copy: insert_one writes into the dict it is given.
            await self._coll.insert_one(dict(doc))

    async def put_many(self, docs: Sequence[Document]) -> None:
        requests = [
            ReplaceOne({"_id": check_document(doc)}, dict(doc), upsert=True) for doc in docs
        ]
        if not requests:
            return
        async with _engine_errors():
            # Ordered: a repeated _id in the batch ends as its last document, as on SQLite.
            # PyMongo splits the batch into messages the server accepts (maxMessageSizeBytes).
            await self._coll.bulk_write(requests, ordered=True)

    async def get(self, doc_id: str) -> Document | None:
        check_id(doc_id)
        async with _engine_errors():
            return await self._coll.find_one({"_id": doc_id})

    async def find_one(self, flt: Filter) -> Document | None:
        query = _mongo_filter(flt)
        async with _engine_errors():
            return await self._coll.find_one(query, sort=_ID_ORDER)

    async def find(self, flt: Filter | None = None, **page: Unpack[Page]) -> list[Document]:
        query = _mongo_filter(flt)
        sort, skip, limit = parse_page(page)
        order = _mongo_sort(sort)
        if limit == 0:
            # MongoDB reads limit 0 as "no limit".
            return []
        async with _engine_errors():
            cursor = self._coll.find(query, sort=order, skip=skip, limit=limit or 0)
            return await cursor.to_list()

    async def count(self, flt: Filter | None = None) -> int:
        query = _mongo_filter(flt)
        async with _engine_errors():
            return await self._coll.count_documents(query)

    async def update_one(
        self, flt: Filter, *, upsert: bool = False, **changes: Unpack[Changes]
    ) -> Document | None:
        nodes = parse_filter(flt)
        query = _mongo_filter(flt)
        update = _mongo_update(parse_changes(changes))
        if upsert and not any(
            isinstance(node, Condition) and node.path == "_id" and node.op == "eq" for node in nodes
        ):
            # MongoDB would invent an ObjectId; the port promises string ids.
            update["$setOnInsert"] = {"_id": new_id()}
        async with _engine_errors():
            return await self._coll.find_one_and_update(
                query,
                update,
                sort=_ID_ORDER,
                upsert=upsert,
                return_document=ReturnDocument.AFTER,
            )

    async def update_many(self, flt: Filter, **changes: Unpack[Changes]) -> int:
        query = _mongo_filter(flt)
        update = _mongo_update(parse_changes(changes))
        async with _engine_errors():
            result = await self._coll.update_many(query, update)
        return result.matched_count

    async def replace(self, doc: Document) -> bool:
        doc_id = check_document(doc)
        async with _engine_errors():
            result = await self._coll.replace_one({"_id": doc_id}, dict(doc))
        return result.matched_count > 0

    async def delete_one(self, flt: Filter) -> bool:
        query = _mongo_filter(flt)
        async with _engine_errors():
            deleted = await self._coll.find_one_and_delete(
                query, sort=_ID_ORDER, projection={"_id": True}
            )
        return deleted is not None

    async def delete_many(self, flt: Filter) -> int:
        query = _mongo_filter(flt)
        async with _engine_errors():
            result = await self._coll.delete_many(query)
        return result.deleted_count
