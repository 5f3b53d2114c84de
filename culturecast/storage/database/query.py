"""The query and update language both database adapters share: validation and pure helpers.

Both adapters parse every filter, sort and update here before an engine sees it, so anything
outside the subset documented in ``port.py`` raises ``ValueError`` identically, and the SQLite
adapter gets a small syntax tree to translate into SQL. No I/O happens here.

Two limits of the subset are deliberate and not checked here: dotted paths address nested
objects only (never elements inside lists), and sorting assumes one JSON type per field (plus
missing or null, which sort first ascending).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from culturecast.storage.database.port import Changes, Document, Filter, Page, SortSpec

type Scalar = str | int | float | bool | None

_COMPARISONS = frozenset({"$gt", "$gte", "$lt", "$lte"})
_OPERATORS = frozenset({"$in", "$nin", "$ne", "$exists"}) | _COMPARISONS

# Lower case only: SQLite table names are case-insensitive while MongoDB's are not, so "Users"
# and "users" would be one collection in one adapter and two in the other.
_COLLECTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Quotes and backslashes are excluded so a path can be written into a SQL/JSON-path literal
# (index expressions cannot take bound parameters).
_FORBIDDEN_IN_FIELD = re.compile(r"[\"'\\\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator applied to one field."""

    path: str
    """Dotted field path."""
    op: str
    """One of ``eq``, ``ne``, ``in``, ``nin``, ``gt``, ``gte``, ``lt``, ``lte``, ``exists``."""
    value: Any
    """A scalar, a tuple of scalars (``in``/``nin``) or a bool (``exists``)."""


@dataclass(frozen=True, slots=True)
class AnyOf:
    """A ``$or``: matches when any branch (a conjunction of nodes) matches."""

    branches: tuple[tuple[Node, ...], ...]
    """Each branch's nodes combine with AND."""


type Node = Condition | AnyOf


@dataclass(frozen=True, slots=True)
class Update:
    """A validated update."""

    set: dict[str, Any]
    """Dotted path to new value."""
    unset: tuple[str, ...]
    """Dotted paths to remove."""
    inc: dict[str, int | float]
    """Dotted path to the amount added (a missing field counts as 0)."""


def is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def is_number(value: object) -> bool:
    # bool is an int in Python but a distinct type in JSON and BSON.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_collection_name(name: str) -> str:
    """The name itself, or ``ValueError`` when either engine could not use it alike."""
    if not isinstance(name, str) or not _COLLECTION_NAME.fullmatch(name):
        raise ValueError(
            f"collection name {name!r} must be lower-case letters, digits and '_', "
            "starting with a letter, at most 63 characters"
        )
    if name.startswith("sqlite_"):
        raise ValueError(f"collection name {name!r} is reserved by SQLite")
    return name


def check_path(path: str) -> tuple[str, ...]:
    """The segments of a dotted field path, or ``ValueError``."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"field path must be a non-empty string, not {path!r}")
    segments = tuple(path.split("."))
    for segment in segments:
        if not segment or segment.startswith("$") or _FORBIDDEN_IN_FIELD.search(segment):
            raise ValueError(f"unsupported field path {path!r}")
    return segments


def _check_id_operand(op: str, value: object) -> None:
    # Every _id is a string, so comparing it with another type is a caller's mistake.
    allowed_none = op in ("eq", "ne", "in", "nin")
    values = tuple(value) if isinstance(value, tuple) else (value,)
    for item in values:
        if not (isinstance(item, str) or (item is None and allowed_none)):
            raise ValueError(f"_id is always a string; cannot compare it with {item!r}")


def _parse_field(path: str, spec: Any) -> list[Condition]:
    check_path(path)
    if not isinstance(spec, Mapping):
        if not is_scalar(spec):
            raise ValueError(f"equality on {path!r} needs a JSON scalar, not {type(spec).__name__}")
        conditions = [Condition(path, "eq", spec)]
    else:
        if not spec:
            raise ValueError(f"empty operator document for {path!r}")
        conditions = []
        for op, operand in spec.items():
            if op not in _OPERATORS:
                raise ValueError(f"unsupported operator {op!r} on {path!r}")
            name = op[1:]
            if op in ("$in", "$nin"):
                if isinstance(operand, (str, bytes, Mapping)) or not isinstance(operand, Sequence):
                    raise ValueError(f"{op} on {path!r} needs a list")
                if not all(is_scalar(item) for item in operand):
                    raise ValueError(f"{op} on {path!r} accepts JSON scalars only")
                conditions.append(Condition(path, name, tuple(operand)))
            elif op == "$exists":
                if not isinstance(operand, bool):
                    raise ValueError(f"$exists on {path!r} needs true or false")
                conditions.append(Condition(path, name, operand))
            elif op == "$ne":
                if not is_scalar(operand):
                    raise ValueError(f"$ne on {path!r} needs a JSON scalar")
                conditions.append(Condition(path, name, operand))
            else:
                # Both engines order numbers with numbers and strings with strings only.
                if not (is_number(operand) or isinstance(operand, str)):
                    raise ValueError(f"{op} on {path!r} needs a number or a string")
                conditions.append(Condition(path, name, operand))
    compared = {isinstance(c.value, str) for c in conditions if "$" + c.op in _COMPARISONS}
    if len(compared) > 1:
        # Nothing is both a number and a string; refusing keeps the adapters from disagreeing
        # over lists holding both.
        raise ValueError(f"comparisons on {path!r} mix numbers and strings")
    if path == "_id":
        for condition in conditions:
            if condition.op != "exists":
                _check_id_operand(condition.op, condition.value)
    return conditions


def parse_filter(flt: Filter | None) -> tuple[Node, ...]:
    """The filter as nodes combined with AND; ``ValueError`` outside the supported subset."""
    if flt is None:
        return ()
    if not isinstance(flt, Mapping):
        raise ValueError(f"a filter is a mapping, not {type(flt).__name__}")
    nodes: list[Node] = []
    for key, spec in flt.items():
        if key == "$or":
            if isinstance(spec, (str, bytes, Mapping)) or not isinstance(spec, Sequence):
                raise ValueError("$or needs a list of filters")
            if not spec:
                raise ValueError("$or needs at least one filter")
            nodes.append(AnyOf(tuple(parse_filter(branch) for branch in spec)))
        elif isinstance(key, str) and key.startswith("$"):
            raise ValueError(f"unsupported operator {key!r}")
        else:
            nodes.extend(_parse_field(key, spec))
    return tuple(nodes)


def check_sort(sort: SortSpec) -> tuple[tuple[str, int], ...]:
    """The sort as a tuple; ``ValueError`` for a bad path or a direction other than 1 or -1."""
    checked: list[tuple[str, int]] = []
    for item in sort:
        if len(item) != 2:
            raise ValueError(f"a sort item is (field, direction), not {item!r}")
        path, direction = item
        check_path(path)
        if isinstance(direction, bool) or direction not in (1, -1):
            raise ValueError(f"sort direction for {path!r} must be 1 or -1")
        checked.append((path, direction))
    return tuple(checked)


def check_page(skip: int, limit: int | None) -> None:
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError("skip must be a non-negative integer")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError("limit must be a non-negative integer or None")


def parse_page(page: Page) -> tuple[SortSpec, int, int | None]:
    """The ``sort``, ``skip`` and ``limit`` of a ``find``'s ``**page``, defaults filled in;
    ``ValueError`` for a bad skip or limit, ``TypeError`` for a part ``Page`` does not name."""
    unknown = sorted(set(page) - set(Page.__annotations__))
    if unknown:
        raise TypeError(f"find() got unexpected keyword arguments {unknown}")
    skip, limit = page.get("skip", 0), page.get("limit")
    check_page(skip, limit)
    return page.get("sort", ()), skip, limit


def check_document(doc: Document) -> str:
    """The document's ``_id``; ``ValueError`` when it is missing or not a string."""
    if not isinstance(doc, Mapping):
        raise ValueError(f"a document is a dict, not {type(doc).__name__}")
    doc_id = doc.get("_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("every document needs a non-empty string _id")
    return doc_id


def check_id(doc_id: str) -> str:
    if not isinstance(doc_id, str):
        raise ValueError(f"_id is always a string, not {type(doc_id).__name__}")
    return doc_id


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def parse_changes(changes: Changes) -> Update:
    """``parse_update`` of a collection's ``**changes``."""
    return parse_update(changes.get("set"), changes.get("unset", ()), changes.get("inc"))


def parse_update(
    set: Mapping[str, Any] | None,
    unset: Sequence[str],
    inc: Mapping[str, int | float] | None,
) -> Update:
    """A validated update; ``ValueError`` when empty, touching ``_id`` or self-conflicting."""
    if isinstance(unset, str):
        raise ValueError("unset is a list of field paths, not a string")
    set_ = dict(set or {})
    inc_ = dict(inc or {})
    unset_ = tuple(unset)
    paths = [*set_, *unset_, *inc_]
    if not paths:
        raise ValueError("an update needs at least one of set, unset or inc")
    for path in paths:
        segments = check_path(path)
        if segments[0] == "_id":
            raise ValueError("_id cannot be updated")
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            # MongoDB refuses two changes to one path (or to a path and its parent).
            if _overlaps(a, b):
                raise ValueError(f"update paths {a!r} and {b!r} conflict")
    for path, amount in inc_.items():
        if not is_number(amount):
            raise ValueError(f"inc on {path!r} needs a number, not {amount!r}")
    return Update(set_, unset_, inc_)


def _parent(doc: dict[str, Any], segments: tuple[str, ...], *, create: bool) -> Any:
    node: Any = doc
    for segment in segments[:-1]:
        if not isinstance(node, dict):
            return None
        child = node.get(segment)
        if child is None and create and segment not in node:
            child = node[segment] = {}
        node = child
    return node


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    segments = check_path(path)
    parent = _parent(doc, segments, create=True)
    if not isinstance(parent, dict):
        raise ValueError(f"cannot set {path!r}: a parent is not an object")
    parent[segments[-1]] = value


def apply_update(doc: Document, update: Update) -> Document:
    """A new document: ``doc`` (left untouched) with the update applied."""
    result: Document = copy.deepcopy(doc)
    for path, value in update.set.items():
        _set_path(result, path, copy.deepcopy(value))
    for path in update.unset:
        segments = check_path(path)
        parent = _parent(result, segments, create=False)
        if isinstance(parent, dict):
            parent.pop(segments[-1], None)
    for path, amount in update.inc.items():
        segments = check_path(path)
        parent = _parent(result, segments, create=True)
        if not isinstance(parent, dict):
            raise ValueError(f"cannot inc {path!r}: a parent is not an object")
        current = parent.get(segments[-1], 0)
        if not is_number(current):
            raise ValueError(f"cannot inc {path!r}: it holds {type(current).__name__}")
        parent[segments[-1]] = current + amount
    return result


def upsert_seed(nodes: Sequence[Node]) -> Document:
    """The document an upsert starts from: the filter's top-level equality fields (as MongoDB
    does), without an ``_id`` unless the filter names one."""
    seed: Document = {}
    for node in nodes:
        if isinstance(node, Condition) and node.op == "eq":
            _set_path(seed, node.path, node.value)
    return seed


def new_id() -> str:
    """A random document id (32 hex digits)."""
    return uuid.uuid4().hex
