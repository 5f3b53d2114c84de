"""The embedded database adapter: SQLite (standard library) on one dedicated worker thread.

Every call runs on a single-thread executor that owns the one connection, so the event loop
never blocks and calls from one process are serialised. Each collection is a table
``(_id TEXT PRIMARY KEY, doc TEXT)`` holding the document as JSON; filters become SQL over
``json_extract``/``json_each``, so SQLite does the scanning. Writes run in ``BEGIN IMMEDIATE``
transactions, which also keeps several processes on one file (WAL mode) consistent.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Unpack

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
    AnyOf,
    Condition,
    Node,
    apply_update,
    check_collection_name,
    check_document,
    check_id,
    check_path,
    check_sort,
    is_number,
    new_id,
    parse_changes,
    parse_filter,
    parse_page,
    upsert_seed,
)
from culturecast.storage.errors import DuplicateKeyError, EngineUnavailable

SCHEMA_VERSION = 1
"""Bumped by each migration of the storage layout (tables, ``_meta``)."""

_BUSY_TIMEOUT_MS = 5000
_PROBE_BUSY_MS = 1000
"""How long the readiness write waits for another writer before it reports the database busy."""
_NUMERIC = "('integer','real')"
_RANGE_SQL = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _json_path(path: str) -> str:
    """A SQL literal of the JSON path for a dotted field path (segments are validated free of
    quotes, so inlining is safe; inlining lets SQLite match index expressions)."""
    return "'$" + "".join(f'."{segment}"' for segment in check_path(path)) + "'"


def _encode(doc: Any) -> str:
    # allow_nan=False: NaN/Infinity are not JSON and SQLite's JSON functions would reject them.
    # Every stored row comes from here, so the encoding is fixed (_Sql.text_hint relies on it).
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _Sql:
    """Builds one WHERE clause with named parameters (a value may be referenced twice).

    ``indexed`` names the fields of ``table`` that lead an index (``ensure_indexes``): an
    equality on one of them is written so that SQLite's planner searches that index."""

    def __init__(self, table: str = "", indexed: frozenset[str] = frozenset()) -> None:
        self.params: dict[str, Any] = {}
        self.table = table
        self.indexed = indexed

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def where(self, nodes: Sequence[Node]) -> str:
        return " AND ".join(self.node(node) for node in nodes) or "1"

    def node(self, node: Node) -> str:
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(f"({self.where(b)})" for b in node.branches) + ")"
        if node.path == "_id":
            return self.id_condition(node)
        return self.condition(node)

    def id_condition(self, c: Condition) -> str:
        # _id is a NOT NULL text column and always a string, so no type juggling is needed.
        match c.op:
            case "eq":
                return "0" if c.value is None else f"_id = {self.bind(c.value)}"
            case "ne":
                return "1" if c.value is None else f"_id <> {self.bind(c.value)}"
            case "in" | "nin":
                ids = [v for v in c.value if v is not None]
                inside = f"_id IN ({', '.join(self.bind(v) for v in ids)})" if ids else "0"
                return inside if c.op == "in" else f"NOT ({inside})"
            case "exists":
                return "1" if c.value else "0"
            case _:
                return f"_id {_RANGE_SQL[c.op]} {self.bind(c.value)}"

    def condition(self, c: Condition) -> str:
        p = _json_path(c.path)
        match c.op:
            case "eq" | "in" if c.path in self.indexed and (
                indexed := self.indexed_equals(p, (c.value,) if c.op == "eq" else c.value)
            ):
                return indexed
            case "eq":
                return self.text_hint((c.value,)) + self.equals_any(p, (c.value,))
            case "ne":
                return f"NOT {self.equals_any(p, (c.value,))}"
            case "in":
                return self.text_hint(c.value) + self.equals_any(p, c.value)
            case "nin":
                return f"NOT {self.equals_any(p, c.value)}"
            case "exists":
                return f"json_type(doc, {p}) IS {'NOT ' if c.value else ''}NULL"
            case _:
                op = _RANGE_SQL[c.op]
                value = self.bind(c.value)
                kinds = _NUMERIC if is_number(c.value) else "('text')"
                return self.any_element(p, lambda t, x: f"{t} IN {kinds} AND {x} {op} {value}")

    def indexed_equals(self, p: str, values: Sequence[Any]) -> str:
        """``equals_any`` for all-string or all-number values, as two index searches: the
        rows whose field is one of the values (the expression index on ``json_extract``) and
        the rows whose field is a list holding one (the partial index of rows holding a list
        there, usually empty). "" for other values (None, booleans, a mix): ``equals_any``."""
        if values and all(isinstance(v, str) for v in values):
            kinds = "('text')"
        elif values and all(is_number(v) for v in values):
            kinds = _NUMERIC
        else:
            return ""
        listed = ", ".join(self.bind(v) for v in values)
        return (
            f"rowid IN (SELECT rowid FROM {self.table} WHERE json_extract(doc, {p}) IN ({listed})"
            f" AND json_type(doc, {p}) IN {kinds}"
            f" UNION ALL SELECT rowid FROM {self.table} WHERE json_type(doc, {p}) = 'array'"
            f" AND EXISTS (SELECT 1 FROM json_each(doc, {p})"
            f" WHERE type IN {kinds} AND value IN ({listed})))"
        )

    def text_hint(self, values: Sequence[Any]) -> str:
        """A cheap pre-check for string equality: the stored JSON text must contain the value's
        JSON encoding (every row is written by ``_encode``), and a substring search is far
        cheaper than parsing the document, which SQLite then only does for candidates."""
        if not values or not all(isinstance(v, str) for v in values):
            return ""
        hints = " OR ".join(f"instr(doc, {self.bind(_encode(v))}) > 0" for v in values)
        return f"({hints}) AND "

    def any_element(self, p: str, pred: Callable[[str, str], str]) -> str:
        """True when the field, or (MongoDB-style) any element of a list in it, satisfies
        ``pred(type_sql, value_sql)``. Never NULL, so NOT() of it is safe."""
        return (
            f"COALESCE(({pred(f'json_type(doc, {p})', f'json_extract(doc, {p})')})"
            f" OR (json_type(doc, {p}) = 'array' AND EXISTS (SELECT 1 FROM json_each(doc, {p})"
            f" WHERE {pred('type', 'value')})), 0)"
        )

    def equals_any(self, p: str, values: Sequence[Any]) -> str:
        # json_extract turns true into 1, so the JSON type is compared as well: 1 must not match
        # true (BSON keeps them apart too).
        kinds = [f"'{'true' if v else 'false'}'" for v in values if isinstance(v, bool)]
        has_none = any(v is None for v in values)
        if has_none:
            kinds.append("'null'")
        kind_list = ", ".join(kinds)
        numbers = ", ".join(self.bind(v) for v in values if is_number(v))
        texts = ", ".join(self.bind(v) for v in values if isinstance(v, str))
        if not (kinds or numbers or texts):
            return "0"

        def pred(t: str, x: str) -> str:
            alternatives = []
            if kinds:
                alternatives.append(f"{t} IN ({kind_list})")
            if numbers:
                alternatives.append(f"({t} IN {_NUMERIC} AND {x} IN ({numbers}))")
            if texts:
                alternatives.append(f"({t} = 'text' AND {x} IN ({texts}))")
            return " OR ".join(alternatives)

        matched = self.any_element(p, pred)
        # None also matches a missing field.
        return f"(json_type(doc, {p}) IS NULL OR {matched})" if has_none else matched


def _order_by(sort: SortSpec) -> str:
    terms: list[str] = []
    for path, direction in check_sort(sort):
        column = "_id" if path == "_id" else f"json_extract(doc, {_json_path(path)})"
        terms.append(f"{column} {'ASC' if direction == 1 else 'DESC'}")
    terms.append("_id ASC")
    return ", ".join(terms)


def _index_name(spec: IndexSpec) -> str:
    keys = "__".join(f"{path.replace('.', '_')}_{direction}" for path, direction in spec.keys)
    # The collection prefix keeps names unique database-wide (SQLite's index namespace).
    return f"ix_{spec.collection}__{keys}{'__unique' if spec.unique else ''}"


def _lists_index(table: str, path: str) -> str:
    """The partial index of the rows of ``table`` whose ``path`` holds a list: with the
    expression index on ``path`` it lets an equality search both (``_Sql.indexed_equals``)."""
    return (
        f'CREATE INDEX IF NOT EXISTS "ix_{table}__{path.replace(".", "_")}__lists" '
        f"ON \"{table}\" (_id) WHERE json_type(doc, {_json_path(path)}) = 'array'"
    )


class SQLiteDatabase:
    """The ``Database`` port on one SQLite file."""

    engine: Final = "sqlite"

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._executor = executor
        self._tables: set[str] = set()  # touched only on the worker thread
        self._indexed: dict[str, frozenset[str]] = {}
        """Per table, the fields leading an index with its list index (``_lists_index``)."""
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> SQLiteDatabase:
        """Open (creating if needed) the database file at ``path``."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="culturecast-sqlite")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(executor, _connect, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(conn, executor)

    def collection(self, name: str) -> Collection:
        return _SQLiteCollection(self, check_collection_name(name))

    async def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        statements: list[tuple[str, str]] = []
        leads: dict[str, set[str]] = {}
        for spec in specs:
            table = check_collection_name(spec.collection)
            if not spec.keys:
                raise ValueError(f"index on {table!r} needs at least one key")
            exprs: list[str] = []
            for path, direction in check_sort(spec.keys):
                exprs.append("_id" if path == "_id" else f"json_extract(doc, {_json_path(path)})")
                exprs[-1] += " ASC" if direction == 1 else " DESC"
            sql = (
                f"CREATE {'UNIQUE ' if spec.unique else ''}INDEX IF NOT EXISTS "
                f'"{_index_name(spec)}" ON "{table}" ({", ".join(exprs)})'
            )
            if spec.unique:
                # Sparse like the MongoDB adapter's partial index: a document missing a key
                # field (or holding null there) is not indexed, so it never clashes.
                present = [
                    f"json_extract(doc, {_json_path(path)}) IS NOT NULL"
                    for path, _ in spec.keys
                    if path != "_id"
                ]
                if present:
                    sql += " WHERE " + " AND ".join(present)
            statements.append((table, sql))
            lead = spec.keys[0][0]
            if lead != "_id":
                statements.append((table, _lists_index(table, lead)))
                leads.setdefault(table, set()).add(lead)

        def work() -> None:
            for table, sql in statements:
                self._ensure_table(table)
                self._conn.execute(sql)

        await self._run(work)
        for table, paths in leads.items():
            self._indexed[table] = self._indexed.get(table, frozenset()) | paths

    async def ping(self) -> None:
        """Return when the database takes a write (readiness: a database that still reads but
        cannot write — locked by another process, a read-only or full disk — serves nobody),
        by rewriting one row of ``_meta``. It waits at most :data:`_PROBE_BUSY_MS` for another
        writer, so a readiness probe never holds the connection for the full busy timeout."""
        await self._run(self._probe_write)

    def _probe_write(self) -> None:
        self._conn.execute(f"PRAGMA busy_timeout={_PROBE_BUSY_MS}")
        try:
            self._write(
                lambda: self._conn.execute(
                    "INSERT OR REPLACE INTO _meta (key, value) VALUES ('ready_probe', '1')"
                )
            )
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._conn.close)
        finally:
            self._executor.shutdown(wait=False)

    # --- worker-thread side -------------------------------------------------------------

    async def _run[T](self, fn: Callable[[], T]) -> T:
        if self._closed:
            raise EngineUnavailable("the SQLite database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(_guarded, fn))

    def _ensure_table(self, table: str) -> None:
        if table not in self._tables:
            self._conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (_id TEXT PRIMARY KEY NOT NULL, '
                "doc TEXT NOT NULL)"
            )
            self._tables.add(table)

    def _write[T](self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one write transaction (taken at once, so concurrent processes on the
        same file wait on busy_timeout instead of failing halfway)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return result


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise EngineUnavailable(f"cannot open SQLite database {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash or power
        # loss may drop the last transactions, which is the usual trade for write speed.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(
            "INSERT OR IGNORE INTO _meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.close()
        raise EngineUnavailable(f"cannot open SQLite database {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _guarded[T](fn: Callable[[], T]) -> T:
    """Run ``fn``, turning SQLite's exceptions into the storage errors of the port."""
    try:
        return fn()
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" in str(exc):
            raise DuplicateKeyError(str(exc)) from exc
        raise
    except sqlite3.OperationalError as exc:
        message = str(exc).lower()
        if any(word in message for word in ("locked", "busy", "disk", "unable to open", "full")):
            raise EngineUnavailable(f"SQLite: {exc}") from exc
        raise
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.ProgrammingError):
            raise
        raise EngineUnavailable(f"SQLite: {exc}") from exc


class _SQLiteCollection:
    def __init__(self, db: SQLiteDatabase, name: str) -> None:
        self._db = db
        self._name = name
        self._table = f'"{name}"'

    @property
    def name(self) -> str:
        return self._name

    def _query(self, flt: Filter | None) -> tuple[str, dict[str, Any], list[Node]]:
        nodes = list(parse_filter(flt))
        sql = _Sql(self._table, self._db._indexed.get(self._name, frozenset()))
        return sql.where(nodes), sql.params, nodes

    def _select(
        self, where: str, params: dict[str, Any], order: str, limit: int, skip: int
    ) -> list[tuple[str, str]]:
        self._db._ensure_table(self._name)
        cursor = self._db._conn.execute(
            f"SELECT _id, doc FROM {self._table} WHERE {where} ORDER BY {order} "
            f"LIMIT {int(limit)} OFFSET {int(skip)}",
            params,
        )
        return list(cursor.fetchall())

    async def insert(self, doc: Document) -> None:
        doc_id = check_document(doc)
        text = _encode(doc)

        def work() -> None:
            self._db._ensure_table(self._name)
            self._db._write(
                lambda: self._db._conn.execute(
                    f"INSERT INTO {self._table} (_id, doc) VALUES (?, ?)", (doc_id, text)
                )
            )

        await self._db._run(work)

    async def put_many(self, docs: Sequence[Document]) -> None:
        rows = [(check_document(doc), _encode(doc)) for doc in docs]
        if not rows:
            return

        def work() -> None:
            self._db._ensure_table(self._name)
            # One transaction and one prepared statement for the batch: the cost per row is
            # the B-tree insert, not a commit. ON CONFLICT(_id) rather than INSERT OR REPLACE,
            # which would silently delete a row clashing on another unique index.
            self._db._write(
                lambda: self._db._conn.executemany(
                    f"INSERT INTO {self._table} (_id, doc) VALUES (?, ?) "
                    "ON CONFLICT(_id) DO UPDATE SET doc = excluded.doc",
                    rows,
                )
            )

        await self._db._run(work)

    async def get(self, doc_id: str) -> Document | None:
        check_id(doc_id)
        docs = await self.find({"_id": doc_id}, limit=1)
        return docs[0] if docs else None

    async def find_one(self, flt: Filter) -> Document | None:
        docs = await self.find(flt, limit=1)
        return docs[0] if docs else None

    async def find(self, flt: Filter | None = None, **page: Unpack[Page]) -> list[Document]:
        where, params, _ = self._query(flt)
        sort, skip, limit = parse_page(page)
        order = _order_by(sort)

        def work() -> list[Document]:
            # Decoded on the worker too, so a large page does not stall the event loop.
            rows = self._select(where, params, order, -1 if limit is None else limit, skip)
            return [json.loads(text) for _, text in rows]

        return await self._db._run(work)

    async def count(self, flt: Filter | None = None) -> int:
        where, params, _ = self._query(flt)

        def work() -> int:
            self._db._ensure_table(self._name)
            row = self._db._conn.execute(
                f"SELECT COUNT(*) FROM {self._table} WHERE {where}", params
            ).fetchone()
            return int(row[0])

        return await self._db._run(work)

    async def update_one(
        self, flt: Filter, *, upsert: bool = False, **changes: Unpack[Changes]
    ) -> Document | None:
        where, params, nodes = self._query(flt)
        update = parse_changes(changes)

        def transaction() -> Document | None:
            # Read, apply and write inside one BEGIN IMMEDIATE: no other writer can slip in
            # between, which is what makes a filter on the expected state a compare-and-set.
            rows = self._select(where, params, "_id ASC", 1, 0)
            if rows:
                doc_id, text = rows[0]
                new = apply_update(json.loads(text), update)
                self._db._conn.execute(
                    f"UPDATE {self._table} SET doc = ? WHERE _id = ?", (_encode(new), doc_id)
                )
                return new
            if not upsert:
                return None
            seed = upsert_seed(nodes)
            seed.setdefault("_id", new_id())
            new = apply_update(seed, update)
            self._db._conn.execute(
                f"INSERT INTO {self._table} (_id, doc) VALUES (?, ?)", (new["_id"], _encode(new))
            )
            return new

        def work() -> Document | None:
            self._db._ensure_table(self._name)
            return self._db._write(transaction)

        return await self._db._run(work)

    async def update_many(self, flt: Filter, **changes: Unpack[Changes]) -> int:
        where, params, _ = self._query(flt)
        update = parse_changes(changes)

        def transaction() -> int:
            rows = self._select(where, params, "_id ASC", -1, 0)
            for doc_id, text in rows:
                new = apply_update(json.loads(text), update)
                self._db._conn.execute(
                    f"UPDATE {self._table} SET doc = ? WHERE _id = ?", (_encode(new), doc_id)
                )
            return len(rows)

        def work() -> int:
            self._db._ensure_table(self._name)
            return self._db._write(transaction)

        return await self._db._run(work)

    async def replace(self, doc: Document) -> bool:
        doc_id = check_document(doc)
        text = _encode(doc)

        def work() -> bool:
            self._db._ensure_table(self._name)
            cursor = self._db._write(
                lambda: self._db._conn.execute(
                    f"UPDATE {self._table} SET doc = ? WHERE _id = ?", (text, doc_id)
                )
            )
            return cursor.rowcount > 0

        return await self._db._run(work)

    async def delete_one(self, flt: Filter) -> bool:
        where, params, _ = self._query(flt)
        first = f"SELECT _id FROM {self._table} WHERE {where} ORDER BY _id LIMIT 1"
        return await self._delete(f"_id = ({first})", params) > 0

    async def delete_many(self, flt: Filter) -> int:
        where, params, _ = self._query(flt)
        return await self._delete(where, params)

    async def _delete(self, where: str, params: Mapping[str, Any]) -> int:
        """Delete the rows matching ``where``; how many went."""

        def work() -> int:
            self._db._ensure_table(self._name)
            cursor = self._db._write(
                lambda: self._db._conn.execute(f"DELETE FROM {self._table} WHERE {where}", params)
            )
            return int(cursor.rowcount)

        return await self._db._run(work)
