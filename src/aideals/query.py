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
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aideals.errors import AidealsError, one_line
from aideals.package import Package

if TYPE_CHECKING:
    import duckdb

FORMATS = ("table", "csv", "json", "markdown")
READ_STATEMENTS = ("SELECT", "EXPLAIN", "PRAGMA", "CALL")
SANDBOX = ("SET enable_external_access = false", "SET lock_configuration = true")


@dataclass
class QueryResult:
    """Column names and rows (Python values) of a query."""

    columns: list[str]
    rows: list[tuple]


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


def release_limits() -> dict[str, object]:
    """DuckDB settings of a query on a release: AIDEALS_MEMORY_LIMIT and AIDEALS_THREADS, and no
    spilling to disk. The sandbox, fixed when the file is opened, forbids choosing where DuckDB
    spills, and its default place is beside the database (`dist/aideals.duckdb.tmp/`, inside the
    release): a query that needs more memory than the limit stops with an error instead."""
    from aideals.db import locked_limits

    return {**locked_limits(""), "max_temp_directory_size": "0KB"}


def open_release(db_path: Path, limits: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """Open a release database read-only and sandboxed from the start (aideals.db.connect_readonly:
    a file that is not a DuckDB database makes DuckDB neither download nor load an extension).
    `limits`: DuckDB settings bounding memory (release_limits)."""
    from aideals.db import connect_readonly

    return connect_readonly(db_path, limits)


def open_in_memory(pkg: Package, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Validate the package and load it into a sandboxed in-memory database (when there is no
    build), within AIDEALS_MEMORY_LIMIT and AIDEALS_THREADS, spilling to the directory `spill`
    (DuckDB's default is `.tmp` in the current directory): the caller removes it."""
    import duckdb

    from aideals import build
    from aideals.db import resource_config

    config = resource_config(spill) if spill is not None else {}
    con = duckdb.connect(":memory:", config=config)
    try:
        build.load_valid(con, pkg, refused="the query did not run")
        sandbox(con)
    except BaseException:
        con.close()
        raise
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str) -> QueryResult:
    """Run `sql`, one read statement, and return its result.

    Several statements are refused (after any write among them, named as such): printing only
    the last result would drop the others without a word, and two results would not make one
    CSV or JSON document."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise AidealsError(f"query: {one_line(exc)}") from None
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
    try:
        cursor = con.execute(statements[0])
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise _error(exc) from None
    return QueryResult(columns, rows)


def _error(exc: Exception) -> AidealsError:
    """DuckDB's error in a query as one line, in our words where DuckDB's would mislead."""
    text = one_line(exc)
    if type(exc).__name__ == "OutOfMemoryException":
        import os

        from aideals.db import DEFAULT_MEMORY_LIMIT

        limit = os.environ.get("AIDEALS_MEMORY_LIMIT", "").strip() or f"{DEFAULT_MEMORY_LIMIT} (the default)"
        return AidealsError(f"query: out of memory within AIDEALS_MEMORY_LIMIT={limit}: raise the limit "
                            "(AIDEALS_MEMORY_LIMIT=4GB, say)")
    return AidealsError(f"query: {text}")


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


def query(sql: str, *, db_path: Path | None, pkg: Package | None) -> QueryResult:
    """Run read-only SQL on the release at `db_path`, or on `pkg` loaded in memory when it is None;
    nothing DuckDB writes is left behind (see release_limits)."""
    import shutil
    import tempfile

    spill = None
    if db_path is None:
        if pkg is None:
            raise AidealsError("query: no database and no package to build one from")
        spill = Path(tempfile.mkdtemp(prefix="aideals-query-"))
        try:
            con = open_in_memory(pkg, spill)
        except BaseException:
            shutil.rmtree(spill, ignore_errors=True)
            raise
    else:
        if not db_path.is_file():
            raise AidealsError(f"{db_path}: no such database (run `aideals build` first)")
        con = open_release(db_path, release_limits())
    try:
        return run(con, sql)
    finally:
        con.close()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


# Formatting ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready form of a DuckDB value: integral floats as integers, dates as ISO strings."""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
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
    return str(value)  # an interval, a UUID ...: as Python's value of it prints


def _text(value: Any, null: str) -> str:
    value = _plain(value)
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v, "NULL") for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def _numeric_columns(result: QueryResult) -> list[bool]:
    """Columns holding numbers (and possibly NULLs) only: they are right-aligned."""
    return [
        any(_is_number(r[i]) for r in result.rows) and all(_is_number(r[i]) or r[i] is None for r in result.rows)
        for i in range(len(result.columns))
    ]


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for a wide (East Asian) character, none for a
    combining mark."""
    import unicodedata

    def width(ch: str) -> int:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf") or "\u1160" <= ch <= "\u11ff":
            return 0  # a combining mark, a zero-width character, a Hangul vowel or final of a decomposed syllable
        return 2 if unicodedata.east_asian_width(ch) in "WF" else 1

    return sum(width(ch) for ch in text)


def format_table(result: QueryResult) -> str:
    """Aligned columns with a header rule; numbers right-aligned; NULL shown as NULL."""
    if not result.columns:
        return ""
    cells = [[_text(v, "NULL").replace("\n", " ") for v in row] for row in result.rows]
    widths = [_width(c) for c in result.columns]
    for row in cells:
        widths = [max(w, _width(c)) for w, c in zip(widths, row)]
    numeric = _numeric_columns(result)

    def line(values: list[str]) -> str:
        pads = [" " * (w - _width(v)) for v, w in zip(values, widths)]
        parts = [pad + v if num else v + pad for v, pad, num in zip(values, pads, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(result.columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    n = len(result.rows)
    out.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(out)


def format_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header row; NULL is an empty field."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_text(v, "") for v in row])
    return buf.getvalue().rstrip("\n")


def format_json(result: QueryResult) -> str:
    """A JSON array of objects, one per row; a column name used twice gets `_2`, `_3` ... (a join's
    two `source_id`), so that no column is lost."""
    keys: list[str] = []
    taken = set(result.columns)  # a suffix never takes the name of a real column (`a_2`)
    for name in result.columns:
        key, n = name, 1
        while key in keys or (key != name and key in taken):
            n += 1
            key = f"{name}_{n}"
        keys.append(key)
    records = [dict(zip(keys, (_plain(v) for v in row))) for row in result.rows]
    return json.dumps(records, indent=2, ensure_ascii=False)


def format_markdown(result: QueryResult) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned; NULL is an empty cell."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    numeric = _numeric_columns(result)
    out = ["| " + " | ".join(esc(c) for c in result.columns) + " |"]
    out.append("|" + "|".join("---:" if num else "---" for num in numeric) + "|")
    out += ["| " + " | ".join(esc(_text(v, "")) for v in row) + " |" for row in result.rows]
    return "\n".join(out)


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json, "markdown": format_markdown}


def render(result: QueryResult, fmt: str) -> str:
    """The result in one of FORMATS."""
    try:
        return FORMATTERS[fmt](result)
    except KeyError:
        raise AidealsError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})") from None
