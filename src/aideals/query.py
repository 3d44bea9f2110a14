"""`aideals query`: run read-only SQL on a release and format the result.

The release database is opened read-only with external access (files, URLs, extensions, other
databases) switched off and the configuration locked, so a query can read the release and
nothing else. Statements other than reads are refused before they run, which also covers the
in-memory database built when there is no release yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aideals.db import connect as db_connect
from aideals.errors import BIDI_CONTROLS, AidealsError, one_line
from aideals.package import Package

if TYPE_CHECKING:
    import duckdb

FORMATS = ("table", "csv", "json", "markdown")
READ_STATEMENTS = ("SELECT", "EXPLAIN", "PRAGMA", "CALL")
SANDBOX = ("SET enable_external_access = false", "SET lock_configuration = true")


FETCH_ROWS = 2048  # rows read from DuckDB at a time: the output streams, whatever the result's size
# The table and markdown formats size and align their columns on this many first rows (a longer
# value further down widens its own line only): the rows after them are printed as they come.
SAMPLE_ROWS = 10_000


@dataclass
class QueryResult:
    """Column names and rows (Python values) of a query."""

    columns: list[str]
    rows: list[tuple]


@dataclass
class Rows:
    """Column names and the rows of a query being run, read from DuckDB a batch at a time (once)."""

    columns: list[str]
    rows: Iterator[tuple]


# Statements DuckDB files under another type (INSTALL is a LOAD, PRAGMA x = y and USE are SETs):
# the refusal names what the user typed.
OWN_NAMES = ("FORCE INSTALL", "INSTALL", "PRAGMA", "USE", "RESET")


_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_EXPLAIN = re.compile(r"\s*EXPLAIN\s*(?:\((?P<options>[^)]*)\))?\s*(?P<analyze>ANALY[SZ]E\b)?(?P<inner>.*)\Z",
                      re.IGNORECASE | re.DOTALL)


def _analyzed(text: str) -> str | None:
    """The statement an EXPLAIN runs (EXPLAIN ANALYZE, ANALYSE, or `(ANALYZE)` among its options
    executes what it explains), or None when it only plans it. Comments are dropped first."""
    m = _EXPLAIN.match(_COMMENTS.sub(" ", text))
    if m is None:
        return None
    options = (m.group("options") or "").upper()
    if m.group("analyze") or re.search(r"\bANALY[SZ]E\b", options):  # `(ANALYZE false)` runs it too
        return m.group("inner")
    return None


def _statement_name(text: str, kind: str) -> str:
    words = " ".join(text.split()[:2]).upper()
    name = next((name for name in OWN_NAMES if words == name or words.startswith(name + " ")), kind)
    return "PRAGMA setting" if name == "PRAGMA" else name


def sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """Forbid file, network and extension access on `con`, and lock its configuration."""
    for statement in SANDBOX:
        con.execute(statement)


def open_release(db_path: Path, limits: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """Open a release database read-only and sandboxed from the start (aideals.db.connect_readonly:
    a file that is not a DuckDB database makes DuckDB neither download nor load an extension).
    `limits`: DuckDB settings bounding memory and the directory to spill to (resource_config)."""
    from aideals.db import connect_readonly

    return connect_readonly(db_path, limits)


def open_in_memory(pkg: Package, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Validate the package and load it into a sandboxed in-memory database (when there is no
    build), within AIDEALS_MEMORY_LIMIT and AIDEALS_THREADS, spilling to the directory `spill`
    (DuckDB's default is `.tmp` in the current directory): the caller removes it."""

    from aideals import build
    from aideals.db import resource_config

    config = resource_config(spill) if spill is not None else {}
    con = db_connect(":memory:", config=config)
    try:
        build.load_valid(con, pkg, refused="the query did not run")
        sandbox(con)
    except BaseException:
        con.close()
        raise
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str) -> QueryResult:
    """Run `sql`, one read statement, and return its whole result (see execute)."""
    result = execute(con, sql)
    return QueryResult(result.columns, list(result.rows))


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    """Run `sql`, one read statement: its columns, and its rows as DuckDB gives them, a batch at a
    time (read them before `con` closes).

    Several statements are refused (after any write among them, named as such): printing only
    the last result would drop the others without a word, and two results would not make one
    CSV or JSON document."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise _error(exc) from None
    if not statements:
        raise AidealsError("query: no SQL statement given")
    for st in statements:
        kind = st.type.name
        if kind == "EXPLAIN":
            inner = _analyzed(st.query)
            if inner is not None:  # EXPLAIN ANALYZE runs the statement it explains: it must be a read
                try:
                    inner_kinds = [s.type.name for s in con.extract_statements(inner)]
                except duckdb.Error:
                    inner_kinds = []
                refused = [k for k in inner_kinds if k not in READ_STATEMENTS]
                if refused or not inner_kinds:
                    kind = "EXPLAIN ANALYZE " + (refused[0] if refused else "of an unreadable statement")
        if kind not in READ_STATEMENTS:
            raise AidealsError(
                f"query: refused: {_statement_name(st.query, kind)} statements are not allowed, the release is read-only "
                "(use SELECT, or build a new release to change the data)"
            )
    if len(statements) > 1:
        raise AidealsError(
            f"query: {len(statements)} statements given; aideals query runs one, and prints its result "
            "(run each with its own aideals query, or a script in the duckdb shell)"
        )
    st = statements[0]
    try:
        wrapped = _wrapped(con, st) if st.type.name == "SELECT" else None
        cursor = con.execute(wrapped.sql if wrapped else st)
        columns = [d[0] for d in cursor.description] if cursor.description else []
    except duckdb.Error as exc:
        raise _error(exc) from None
    if wrapped:
        columns = wrapped.columns
    marks = [_json_marker(d[1]) for d in cursor.description[:len(columns)]] if columns else []
    marked = None if not any(marks) else [(i, mark) for i, mark in enumerate(marks) if mark]
    return Rows(columns, _fetched(cursor, wrapped, marked) if columns else iter(()))


def _fetched(cursor: duckdb.DuckDBPyConnection, wrapped: _Wrapped | None,
             marked: list[tuple[int, Callable[[Any], Any]]] | None = None) -> Iterator[tuple]:
    import duckdb

    try:
        while batch := cursor.fetchmany(FETCH_ROWS):
            rows = (wrapped.restored(row) for row in batch) if wrapped else batch
            if marked:
                rows = (_marked(row, marked) for row in rows)
            yield from rows
    except duckdb.Error as exc:  # an error in a row further down (a cast): after the rows before it
        raise _error(exc) from None


def _marked(row: tuple, marked: list[tuple[int, Callable[[Any], Any]]]) -> tuple:
    values = list(row)
    for i, mark in marked:
        values[i] = mark(values[i])
    return tuple(values)


class _RawJSON(str):
    """A value of DuckDB's JSON type (`json_object(...)`, `'{"a": 1}'::JSON`): `--format json`
    writes the JSON it holds, not a string of it; the other formats write its text."""


def _each_leaf(t: Any, leaf: Callable[[Any], Callable[[Any], Any] | None], keys: bool = True) -> Callable[[Any], Any] | None:
    """What applies, to a value of type `t` as Python has it, the function `leaf` gives for a type
    (None for a type it leaves alone) to each value of such a type inside it: in a list or array,
    a struct's fields, a MAP's values (a dict in Python) and, with `keys`, its keys. None when `t`
    holds no such type, so that a column needing nothing costs nothing."""
    own = leaf(t)
    if own is not None:
        return own
    if t.id in ("list", "array"):
        inner = _each_leaf(dict(t.children)["child"], leaf, keys)
        return None if inner is None else (lambda v: v if v is None else [inner(x) for x in v])
    if t.id == "map":
        kids = dict(t.children)
        key = _each_leaf(kids["key"], leaf, keys) if keys else None
        value = _each_leaf(kids["value"], leaf, keys)
        if key is None and value is None:
            return None
        key, value = key or _same, value or _same
        return lambda v: v if v is None else {key(k): value(x) for k, x in v.items()}
    if t.id == "struct":
        fields = {name: f for name, child in t.children if (f := _each_leaf(child, leaf, keys))}
        if not fields:
            return None
        return lambda v: v if v is None else {k: fields[k](x) if k in fields else x for k, x in v.items()}
    return None


def _same(value: Any) -> Any:
    return value


def _json_marker(t: Any) -> Callable[[Any], Any] | None:
    """What marks the JSON values in a value of type `t` as _RawJSON (None if it holds none); a
    JSON key of a MAP stays text."""
    return _each_leaf(t, lambda u: (lambda v: v if v is None else _RawJSON(v)) if str(u) == "JSON" else None, keys=False)


def _no_constant(name: str) -> None:
    raise ValueError(name)


def _raw_json(value: _RawJSON) -> str:
    """The JSON text of a JSON value, as it is when it is JSON as Python reads it (no NaN or
    Infinity), else as a JSON string."""
    try:
        json.loads(value, parse_constant=_no_constant)
    except ValueError:
        return _SCALAR.encode(str(value))
    return str(value).strip()


def _error(exc: Exception) -> AidealsError:
    """DuckDB's error in a query as one line, in our words where DuckDB's would mislead: its advice
    to change a setting cannot be followed, the configuration being locked."""
    text = one_line(exc)
    if type(exc).__name__ == "OutOfMemoryException":
        import os

        from aideals.db import DEFAULT_MEMORY_LIMIT

        limit = os.environ.get("AIDEALS_MEMORY_LIMIT", "").strip() or f"{DEFAULT_MEMORY_LIMIT} (the default)"
        return AidealsError(f"query: out of memory within AIDEALS_MEMORY_LIMIT={limit}: raise the limit "
                            "(AIDEALS_MEMORY_LIMIT=4GB, say)")
    depth = re.search(r"Max expression depth limit of (\d+) exceeded", text)
    if depth:
        return AidealsError(
            f"query: the statement nests expressions more than {depth[1]} levels deep, which DuckDB refuses "
            "(aideals query cannot raise that limit): a sum of thousands of terms nests that deep, "
            "write it as list_sum([...]) or over a table instead"
        )
    return AidealsError(f"query: {text}")


# DuckDB gives Python the largest date (9999-12-31) for `infinity`, the smallest for `-infinity`; an
# INTERVAL as a timedelta, which has no months (`1 month` would be 30 days) and prints as Python
# writes it (`1 day, 2:00:00`); and a FLOAT (single precision) widened to a double, 0.1 becoming
# 0.10000000149011612. A column of a SELECT that holds such values gets a companion column with
# what DuckDB shows: a date or timestamp column only where it is infinite; an INTERVAL column
# always, as DuckDB's text; a FLOAT column always, as the double of DuckDB's text (0.1 is 0.1); a
# list, array, struct or map holding them always, as the same structure with those values so
# (`2025-01-01`, `infinity`, `2025-01-01 10:00:00`, `1 month`, 0.1).
_TIMES = frozenset({"date", "timestamp", "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns"})
_NESTED = frozenset({"list", "array", "struct", "map"})


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shown_type(t: Any, leaf: Callable[[str], str | None]) -> str | None:
    """The type `t` with each value whose type id `leaf` maps to a type as that type (None if it
    holds none, or holds them only where they cannot be cast one by one: in a UNION)."""
    if t.id not in _NESTED:
        return leaf(t.id)
    children = dict(t.children) if t.id != "struct" else None
    if t.id == "list":
        inner = _shown_type(children["child"], leaf)
        return None if inner is None else f"{inner}[]"
    if t.id == "array":
        inner = _shown_type(children["child"], leaf)
        return None if inner is None else f"{inner}[{children['size']}]"
    if t.id == "map":
        key, value = _shown_type(children["key"], leaf), _shown_type(children["value"], leaf)
        if key is None and value is None:
            return None
        return f"MAP({key or children['key']}, {value or children['value']})"
    fields = [(name, _shown_type(child, leaf), child) for name, child in t.children]
    if all(shown is None for _, shown, _ in fields):
        return None
    return "STRUCT(" + ", ".join(f"{_quoted(name)} {shown or child}" for name, shown, child in fields) + ")"


def _as_text(type_id: str) -> str | None:
    return "VARCHAR" if type_id in _TIMES or type_id in ("interval", "float") else None


def _as_shown(type_id: str) -> str | None:
    return "DOUBLE" if type_id == "float" else _as_text(type_id)


def _companion(name: str, t: Any) -> str | None:
    """The SQL of the companion of column `name` of type `t` (None when it needs none)."""
    if t.id in _TIMES:
        return f"CASE WHEN isfinite({name}) THEN NULL ELSE CAST({name} AS VARCHAR) END"
    text = _shown_type(t, _as_text)
    if text is None:
        return None
    shown = _shown_type(t, _as_shown)
    return f"CAST({name} AS {text})" if shown == text else f"CAST(CAST({name} AS {text}) AS {shown})"


def _iso_timestamp(text: str | None) -> str | None:
    """DuckDB's text of a finite timestamp (`2025-01-01 10:00:00`, `... 10:00:00.5+00`) as a
    timestamp of a column is written, in ISO 8601 (`2025-01-01T10:00:00`, `...T10:00:00.500000+00:00`);
    `infinity` and what Python cannot hold (a year past 9999, BC) as DuckDB writes them."""
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _iso_leaves(t: Any) -> Callable[[Any], Any] | None:
    """What writes the timestamps inside a companion of nested type `t` (DuckDB's text of them) as
    a timestamp of a column is written (None if it holds none)."""
    return _each_leaf(t, lambda u: _iso_timestamp if u.id in _TIMES and u.id != "date" else None)


@dataclass
class _Wrapped:
    """A SELECT wrapped so that each of its columns that holds dates, timestamps, intervals or
    FLOATs (`shown`, their indexes) has a companion column, after the others, that holds what
    DuckDB shows of the values Python would misstate; the timestamps inside a list, struct or map
    are then written in ISO 8601 (`iso`, by column index), as a timestamp column is."""

    sql: str
    columns: list[str]
    shown: list[int]
    iso: dict[int, Callable[[Any], Any]] = field(default_factory=dict)

    def restored(self, row: tuple) -> tuple:
        n = len(self.columns)
        if all(v is None for v in row[n:]):
            return row[:n]
        values = list(row[:n])
        for i, value in zip(self.shown, row[n:]):
            if value is not None:
                values[i] = self.iso[i](value) if i in self.iso else value
        return tuple(values)


def _wrapped(con: duckdb.DuckDBPyConnection, st: Any) -> _Wrapped | None:
    """The SELECT `st` wrapped as _Wrapped describes, or None when it has no column that needs it
    (or when it cannot be wrapped: it then runs as it is, and says its own error)."""
    import duckdb

    inner = _without_trailing_semicolons(st.query)
    if inner is None:
        return None
    try:
        relation = con.sql(inner)
        columns = list(relation.columns)
        types = list(relation.types)
    except duckdb.Error:
        return None
    names = [f"aideals_c{i}" for i in range(len(columns))]
    companions = [(i, _companion(names[i], t)) for i, t in enumerate(types)]
    companions = [(i, sql) for i, sql in companions if sql is not None]
    if not companions:
        return None
    shown = [sql for _, sql in companions]
    sql = f"SELECT {', '.join(names + shown)}\nFROM (\n{inner}\n) AS aideals_result({', '.join(names)})"
    try:  # the same statement as a subquery: one SELECT still, or it is not wrapped
        statements = con.extract_statements(sql)
    except duckdb.Error:
        return None
    if len(statements) != 1 or statements[0].type.name != "SELECT":
        return None
    iso = {i: leaf for i, _ in companions if types[i].id in _NESTED and (leaf := _iso_leaves(types[i]))}
    return _Wrapped(sql, columns, [i for i, _ in companions], iso)


def _without_trailing_semicolons(text: str) -> str | None:
    """A statement's text without the semicolons and comments after its last word (None if what
    would be cut is something else: the statement is then run as it is)."""
    import duckdb

    data = text.encode("utf-8")  # the tokenizer's positions count bytes
    cut = len(data)
    for position, kind in reversed(duckdb.tokenize(text)):
        if kind.name.lower() == "comment" or data[position:position + 1] == b";":
            cut = position
        else:
            break
    if not data[cut:].startswith((b";", b"--", b"/*")) and data[cut:].strip():
        return None
    return data[:cut].decode("utf-8").rstrip()


def stale_files(pkg: Package, release: Path) -> list[str]:
    """The package's data and schema files whose content differs from those the build in `release`
    was made of: a CSV is compared with the size and hash the release's datapackage.json records
    for its resource, a schema with the release's copy, so a file touched but not changed (a
    checkout, an editor's save) is not reported. A CSV of another size is changed whatever its
    modification time (a copy of the repository gives every file a new one); one of the same size
    is hashed only when it was modified after the build (hashing a large package at every query
    would cost seconds)."""
    import filecmp

    descriptor = release / "datapackage.json"
    if not descriptor.is_file():
        return []
    built = descriptor.stat().st_mtime
    try:
        recorded = {r.get("name"): r for r in json.loads(descriptor.read_text(encoding="utf-8"))["resources"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        recorded = {}
    stale = []
    for res in pkg.resources.values():
        release_res = recorded.get(res.name) if isinstance(recorded.get(res.name), dict) else {}
        pairs = [(res.path, None, release_res.get("hash"), release_res.get("bytes"))]
        if res.schema_relpath:
            copy = release_res.get("schema")
            pairs.append((pkg.root / res.schema_relpath, release / copy if isinstance(copy, str) else None, None, None))
        for path, copy, digest, size in pairs:
            if not path.is_file():
                continue
            if size is None and copy is not None and copy.is_file():
                size = copy.stat().st_size
            if isinstance(size, int) and path.stat().st_size != size:
                same = False
            elif path.stat().st_mtime <= built:
                continue
            elif digest is not None:
                same = digest == "sha256:" + _sha256(path)
            else:
                same = copy is not None and copy.is_file() and filecmp.cmp(path, copy, shallow=False)
            if not same:
                stale.append(path.relative_to(pkg.root).as_posix())
    return stale


def stale_warning(pkg: Package, release: Path, use: str) -> str | None:
    """The warning (without the `aideals: warning: ` prefix) of a command that reads the build in
    `release` while the package's files changed after it (`stale_files`), or None; `use` is what
    the command does with the data (`query`, `report`)."""
    stale = stale_files(pkg, release)
    if not stale:
        return None
    return f"{', '.join(stale)} changed after {release} was built; run `aideals build` to {use} the current data"


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def opened(*, db_path: Path | None, pkg: Package | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sandboxed connection on the release at `db_path`, or on `pkg` loaded in memory when it is
    None, closed on leaving. Either runs within AIDEALS_MEMORY_LIMIT and AIDEALS_THREADS and spills
    to a temporary directory of its own, removed on leaving: nothing DuckDB writes is left behind,
    and nothing is written beside a release's database (DuckDB's own place to spill, inside the
    release)."""
    import tempfile

    from aideals.db import resource_config

    if db_path is None and pkg is None:
        raise AidealsError("query: no database and no package to build one from")
    if db_path is not None and not db_path.is_file():
        raise AidealsError(f"{db_path}: no such database (run `aideals build` first)")
    with tempfile.TemporaryDirectory(prefix="aideals-query-", ignore_cleanup_errors=True) as tmp:
        spill = Path(tmp)
        con = open_in_memory(pkg, spill) if db_path is None else open_release(db_path, resource_config(spill))
        try:
            yield con
        finally:
            con.close()


def query(sql: str, *, db_path: Path | None, pkg: Package | None) -> QueryResult:
    """Run read-only SQL on the release at `db_path`, or on `pkg` loaded in memory when it is None,
    and return its whole result (`aideals query` prints it as it is read: see opened, execute)."""
    with opened(db_path=db_path, pkg=pkg) as con:
        return run(con, sql)


# Formatting ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready form of a DuckDB value: integral floats as integers, dates as ISO strings; a
    DECIMAL stays a Decimal (exact: through a float, 123456789012345678901234567890.123 would
    print as 1.2345678901234568e+29), an integer when it is one."""
    if value is None or type(value) in (str, int, bool):  # the most common first: millions of rows
        return value
    if isinstance(value, _RawJSON):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # a UUID, a TIME ...: as Python's value of it prints


def _decimal(value: decimal.Decimal) -> str:
    """A Decimal's exact digits, without an exponent or trailing zeros (1.50 is 1.5, as before)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_SCALAR = json.JSONEncoder(ensure_ascii=False)  # (made once: json.dumps makes one at each call)


def _json(value: Any, indent: int | None = None, level: int = 0) -> str:
    """`value` (as _plain makes it) in JSON, as json.dumps(value, indent=indent, ensure_ascii=False)
    writes it, but for a Decimal, written with its exact digits (json.dumps takes no Decimal)."""
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, _RawJSON):
        return _raw_json(value)
    if isinstance(value, (list, dict)) and value:
        if isinstance(value, dict):
            items = [_SCALAR.encode(k) + ": " + _json(v, indent, level + 1) for k, v in value.items()]
            first, last = "{", "}"
        else:
            items = [_json(v, indent, level + 1) for v in value]
            first, last = "[", "]"
        if indent is None:
            return first + ", ".join(items) + last
        pad = "\n" + " " * (indent * (level + 1))
        return first + pad + ("," + pad).join(items) + "\n" + " " * (indent * level) + last
    return _SCALAR.encode(value)


def _text(value: Any, null: str) -> str:
    if type(value) is str:
        return value
    value = _plain(value)
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v, "NULL") for v in value) + "]"
    if isinstance(value, dict):
        return _json(value)
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    return str(value)


# Control characters (C0 but for the line break, DEL, C1): a terminal obeys ESC sequences (clear
# the screen, colour, set the window title ...), a carriage return rewrites the line. The table
# and markdown formats show them escaped always, csv on a terminal; to a file or a pipe csv and
# json write every value as it is (json escapes them, as JSON does). The table and markdown escape
# the bidirectional controls too (U+202E and kin), which reorder what a terminal shows: a cell
# would seem to hold another text than it does.
_CONTROL = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_NAMED = {"\t": "\\t", "\r": "\\r"}
_JSON_CONTROL = re.compile("[\x7f-\x9f]")  # json.dumps escapes C0 already


def _shown(text: str) -> str:
    """`text` with its control characters (but the line break) written as escapes: `\\x1b`, `\\t`,
    `\\u202e`."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0], f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}"),
                        text)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def _numeric_columns(n_columns: int, rows: list[tuple]) -> list[bool]:
    """Columns holding numbers (and possibly NULLs) only, in `rows`: they are right-aligned."""
    return [
        any(_is_number(r[i]) for r in rows) and all(_is_number(r[i]) or r[i] is None for r in rows)
        for i in range(n_columns)
    ]


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for a wide (East Asian) character, none for a
    combining mark."""
    import unicodedata

    def width(ch: str) -> int:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf") or "\u1160" <= ch <= "\u11ff":
            return 0  # a combining mark, a zero-width character, a Hangul vowel or final of a decomposed syllable
        return 2 if unicodedata.east_asian_width(ch) in "WF" else 1

    if text.isascii():  # (control characters are escaped before: see _shown)
        return len(text)
    return sum(width(ch) for ch in text)


def _sampled(rows: Iterable[tuple]) -> tuple[list[tuple], Iterator[tuple]]:
    """The first SAMPLE_ROWS rows (which size and align the table and markdown columns), and
    every row (those first ones again, then the others as they are read)."""
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    return sample, itertools.chain(sample, rows)


def table_lines(result: QueryResult | Rows, terminal: bool = False) -> Iterator[str]:
    """Aligned columns with a header rule; numbers right-aligned; NULL shown as NULL; a line break
    in a value is a space, and control characters are escaped (`\\x1b`). Columns are as wide as
    their widest value among the first SAMPLE_ROWS rows."""
    if not result.columns:
        return
    sample, rows = _sampled(result.rows)

    def cells(values: Iterable[Any]) -> list[str]:
        return [_shown(_text(v, "NULL").replace("\n", " ")) for v in values]

    header = [_shown(c.replace("\n", " ")) for c in result.columns]
    widths = [_width(c) for c in header]
    for row in sample:
        widths = [max(w, _width(c)) for w, c in zip(widths, cells(row))]
    numeric = _numeric_columns(len(result.columns), sample)

    def line(values: list[str]) -> str:
        pads = [" " * max(0, w - _width(v)) for v, w in zip(values, widths)]
        parts = [pad + v if num else v + pad for v, pad, num in zip(values, pads, numeric)]
        return "  ".join(parts).rstrip()

    yield line(header)
    yield "  ".join("-" * w for w in widths)
    n = 0
    for n, row in enumerate(rows, 1):
        yield line(cells(row))
    yield f"({n} row{'s' if n != 1 else ''})"


def csv_lines(result: QueryResult | Rows, terminal: bool = False) -> Iterator[str]:
    """RFC 4180 CSV with a header row; NULL is an empty field. Each value as it is, but on a
    terminal, where control characters (but the line break) are escaped. A quoted value may hold
    line breaks, and a "line" here is several records (FETCH_ROWS)."""
    if not result.columns:
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if terminal:
        writer.writerow([_shown(c) for c in result.columns])
    else:
        writer.writerow(result.columns)
    rows = iter(result.rows)
    while True:
        for row in itertools.islice(rows, FETCH_ROWS):
            values = [_text(v, "") for v in row]
            writer.writerow([_shown(v) for v in values] if terminal else values)
        if not buf.tell():
            return
        yield buf.getvalue()[:-1]
        buf.seek(0)
        buf.truncate()


def json_lines(result: QueryResult | Rows, terminal: bool = False) -> Iterator[str]:
    """A JSON array of objects, one per row; a column name used twice gets `_2`, `_3` ... (a join's
    two `source_id`), so that no column is lost. Control characters are escaped, DEL and C1 too
    (`\\u009b`): the same value to a JSON reader."""
    keys: list[str] = []
    taken = set(result.columns)  # a suffix never takes the name of a real column (`a_2`)
    for name in result.columns:
        key, n = name, 1
        while key in keys or (key != name and key in taken):
            n += 1
            key = f"{name}_{n}"
        keys.append(key)

    prefixes = ["    " + _SCALAR.encode(key) + ": " for key in keys]

    def record(row: tuple) -> str:
        if not row:
            return "  {}"
        parts = []
        for prefix, value in zip(prefixes, row):
            value = _plain(value)
            if isinstance(value, (list, dict, decimal.Decimal, _RawJSON)):
                parts.append(prefix + _json(value, indent=2, level=2))
            else:
                parts.append(prefix + _SCALAR.encode(value))
        text = "  {\n" + ",\n".join(parts) + "\n  }"
        return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text)

    previous = None
    for row in result.rows:
        if previous is None:
            yield "["
        else:
            yield previous + ","
        previous = record(row)
    if previous is None:
        yield "[]"
    else:
        yield previous
        yield "]"


def markdown_lines(result: QueryResult | Rows, terminal: bool = False) -> Iterator[str]:
    """A GitHub-flavoured Markdown table; numbers right-aligned (as the first SAMPLE_ROWS rows
    show them); NULL is an empty cell; control characters are escaped (`\\x1b`)."""

    def esc(text: str) -> str:
        return _shown(text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " "))

    sample, rows = _sampled(result.rows)
    numeric = _numeric_columns(len(result.columns), sample)
    yield "| " + " | ".join(esc(c) for c in result.columns) + " |"
    yield "|" + "|".join("---:" if num else "---" for num in numeric) + "|"
    for row in rows:
        yield "| " + " | ".join(esc(_text(v, "")) for v in row) + " |"


FORMATTERS = {"table": table_lines, "csv": csv_lines, "json": json_lines, "markdown": markdown_lines}


def lines(result: QueryResult | Rows, fmt: str, *, terminal: bool = False) -> Iterator[str]:
    """The result in one of FORMATS, a line at a time (for csv, a batch of records, which a value
    with a line break spreads over several lines); `terminal`: the lines go to a terminal (csv
    then escapes control characters)."""
    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise AidealsError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})") from None
    return formatter(result, terminal)


def render(result: QueryResult, fmt: str) -> str:
    """The result in one of FORMATS, as one text (no line break at its end)."""
    return "\n".join(lines(result, fmt))


def stdout() -> Any:
    """Standard output, for the result: sys.stdout, written to as it is (click.echo would strip
    the ESC sequences of values when it is not a terminal). An ASCII encoding (PYTHONIOENCODING=ascii,
    a misconfigured locale) is replaced by UTF-8, as click does: the data is UTF-8."""
    import codecs
    import sys

    out = sys.stdout
    try:
        ascii_only = codecs.lookup(out.encoding or "ascii").name == "ascii"
    except (LookupError, AttributeError, TypeError):
        ascii_only = False
    if ascii_only and hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    return out


def write(text_lines: Iterable[str], out: Any) -> None:
    """Write `text_lines` to `out` (standard output), each with its line break, as they come. An
    error of DuckDB in a row further down comes after the rows before it, printed; a full disk,
    or a standard output that cannot be written, is one line (AidealsError)."""
    import contextlib

    try:
        for line in text_lines:
            out.write(line + "\n")
        out.flush()
    except BrokenPipeError:  # the reader has gone (`| head`): the command stops quietly
        _to_devnull(out)
        raise
    except OSError as exc:
        raise AidealsError(f"query: cannot write the result to standard output: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            out.flush()  # the rows read before the error, then the error
        raise


def _to_devnull(out: Any) -> None:
    """Send what `out` still holds to /dev/null: Python's flush at exit would fail again, and say so."""
    import contextlib
    import os

    with contextlib.suppress(OSError, AttributeError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, out.fileno())
        finally:
            os.close(devnull)
