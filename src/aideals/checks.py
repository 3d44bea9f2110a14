"""`aideals validate`: the three layers of checks, one report, on DuckDB.

Interface used by build, release and plugins (keep it stable):
    validate(pkg, *, max_errors=None, extra_checks=()) -> Report

Layers (Finding.layer):
  package       the descriptor and its files: a missing file (`scheme-error`), bytes that are not
                UTF-8 (`encoding-error`), an empty file (`source-error`). One finding per file;
                checks that need an unreadable file are skipped.
  table-schema  `schemas/*.schema.json` compiled to SQL (`aideals.schema_sql`): header labels
                (`incorrect-label`, `missing-label`, `extra-label`, `duplicate-label`,
                `blank-label`), cells (`type-error`, `constraint-error`, `missing-cell`,
                `extra-cell`, `blank-row`), `unique-error`, `primary-key`, `foreign-key`. Check
                names and row numbers are frictionless-py's (header = row 1; a quoted newline does
                not start a row). Plus `formula-injection`: a text cell starting with = + - @ that
                a spreadsheet would run as a formula (aideals only; frictionless has no such check),
                `control-character`: a text cell holding a control character other than tab, LF and
                CR (C0, DEL, C1), which a terminal acts on (aideals only), and `not-finite`: a
                number cell holding NaN, INF or a number too large for a double (aideals only;
                Table Schema reads them as numbers).
  row-rule      `schemas/*.rules.json` compiled to SQL (`aideals.rules_sql`); check = rule title.
  cross-table   `src/aideals/sql/checks/<name>.sql` and the `extra_checks` of plugins.

Cross-table check contract (our SQL files and `ExtraCheck.sql` alike): a query over the typed
tables `parties`, `sources`, `deals`, `figures` (columns as in the release; dates are DATEs) and
the views `figures_resolved`, `flows`, `deals_counted`, `figures_counted`, `consensus`, returning one row per failure with columns
    message   VARCHAR  required: what is wrong, one line
    resource  VARCHAR  optional: the table the failing row is in (e.g. 'figures')
    id        VARCHAR  optional: the primary key value of the failing row (mapped to its row number)
    field     VARCHAR  optional: the field blamed
    value     VARCHAR  optional: the offending value
A check passes when it returns no rows. A check whose SQL fails is reported as one finding
(check = its name, message = the DuckDB error, after `plugin NAME: ` for a plugin's), not raised.
The `extra_checks` run on a read-only copy of the typed tables and views (a DuckDB file in the
validation's temporary directory, opened read-only with external access off and the
configuration locked), each on a connection of its own: a plugin's check can neither change the
data other checks read nor touch files.

How it runs: each CSV is read once, by DuckDB, into a table of typed values (`checked_<name>`).
The same scan runs a cheap test of every cell and the row rules on every row: the raw cells of a
row are kept only when that test does not clear it (almost never), and the full cell checks and
rules then run on those rows alone (`detail_<name>`). The quick test looks for control characters
only in a file that holds one (a byte search in the thread that looks for blank lines: 1M figure
rows, 0.1 s of CPU against 0.5 s for a regular expression on every text cell); the scan of such a
file is run again with it. The key and cross-table checks read the typed columns. A bare validate
keeps the typed values of the fields those checks read (keys and the words of the cross-table
checks' SQL, `_needed_fields`); a build, or a validate with plugin checks, keeps them all. Row
numbers are the order of the rows in the file (DuckDB keeps insertion order), shifted past blank
lines, which DuckDB skips.

DuckDB runs with AIDEALS_THREADS (default: all cores), AIDEALS_MEMORY_LIMIT (default 1GB) and a
temporary directory for spilling, so memory stays bounded on large packages.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING

from aideals.db import DUCKDB_TYPES, quote_ident, quote_literal
from aideals.db import connect as db_connect
from aideals.errors import not_a_file
from aideals.findings import Finding
from aideals.package import Package

if TYPE_CHECKING:
    import duckdb

    from aideals.rules_sql import RuleCompiler
    from aideals.schema_sql import Sql

LAYERS = ("package", "table-schema", "row-rule", "cross-table")
# Extra columns read past the header: a row with more cells than this is reported once, as a whole.
EXTRA_SLOTS = 16
# DuckDB's null string when reading a CSV: NULL must mean "no cell" (a short row), never a cell's
# text, so it is a string no real cell holds (a cell of just "\x01", the former marker, was read
# as empty: found while writing tests/test_properties.py).
NULL_MARK = "\x01\x02aideals:no-cell\x02\x01"
# DuckDB's CSV read buffer in a bare validate (its default: 32 MiB). DuckDB reads one buffer per
# thread at a time, so a file of one or two buffers is read by one thread: a buffer of a quarter of
# the file per thread, at least 4 MiB (twice DuckDB's longest line), uses every core (100k figure
# rows, 12 MB: 0.2 s faster); at most 16 MiB, with which storing the rows of a parallel read in file
# order costs less (1M figure rows: 0.4 s faster). A build keeps DuckDB's default: its rows are then
# copied into the release faster (1M figure rows: 0.7 s).
CSV_BUFFER_SIZE = 16 * 1024 * 1024
CSV_BUFFER_MIN = 4 * 1024 * 1024
# The longest line (record) read, in bytes. A bare validate's buffer (4 to 16 MiB) is its limit;
# setting the limit in that read costs time (1M figure rows: 0.09 s), so a line it refuses is read
# again by the fallback read, with this limit, as the build reads every file: all three agree.
MAX_LINE_SIZE = CSV_BUFFER_SIZE - 1


def csv_buffer_size(size: int, threads: int) -> int:
    """The read buffer of a bare validate for a CSV file of `size` bytes read by `threads` threads."""
    return max(CSV_BUFFER_MIN, min(CSV_BUFFER_SIZE, size // (2 * max(1, threads))))


@dataclass(frozen=True)
class ExtraCheck:
    """A cross-table check: SQL over the tables returning the failing rows (see the module doc)."""

    name: str
    description: str
    sql: str
    plugin: str = "aideals"


@dataclass
class Report:
    """The findings of a validation and the checks that ran."""

    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    truncated: bool = False
    unusable: bool = False  # the package could not be read as a whole (a file missing or unreadable)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _Table:
    """One resource as loaded for checking."""

    name: str
    file: str
    fields: list[dict]
    labels: list[str] = field(default_factory=list)
    readable: bool = False  # its typed table exists (possibly empty)
    blank_rows: list[int] = field(default_factory=list)
    empty: bool = False  # the file has no header row at all
    ragged: bool = False  # some rows have more or fewer cells than the header
    primary_key: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)  # schemas/<name>.rules.json ({} when none)
    stored: set[str] | None = None  # the fields whose typed values are kept (None: all)
    detail: bool = False  # `detail_<name>` exists: some rows need the full checks
    missing: list[str] = field(default_factory=lambda: [""])  # the schema's missingValues

    @property
    def n_cols(self) -> int:
        """The columns read from the file: one per header label, plus slots for extra cells."""
        return len(self.labels) + (EXTRA_SLOTS if self.ragged else 0)


def builtin_checks() -> list[ExtraCheck]:
    """The cross-table checks shipped in src/aideals/sql/checks/*.sql (first comment line = description)."""
    folder = importlib_resources.files("aideals").joinpath("sql/checks")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            sql = entry.read_text(encoding="utf-8")
            first = sql.lstrip().splitlines()[0] if sql.strip() else ""
            out.append(ExtraCheck(entry.name[:-4], first.lstrip("- ").strip(), sql))
    return out


def connect() -> tuple[duckdb.DuckDBPyConnection, str]:
    """An in-memory DuckDB with bounded memory and a temporary directory to spill to."""

    from aideals.db import resource_config

    tmp = tempfile.mkdtemp(prefix="aideals-validate-")
    config = resource_config(tmp)
    config["preserve_insertion_order"] = True  # row numbers are the order of rows in the file
    # A long IN list (an enum) becomes a hash join, which does not keep the order of the rows.
    config["disabled_optimizers"] = "in_clause"
    return db_connect(":memory:", config=config), tmp


def validate(
    pkg: Package,
    *,
    max_errors: int | None = None,
    extra_checks: Iterable[ExtraCheck] = (),
    on_valid: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> Report:
    """Run every check over the package and return one report (findings sorted by layer, file, row).

    `on_valid`, when the package is valid, is called with the validation's connection before it
    closes: its views named after the resources hold the typed rows in file order (plus `_row`),
    so that a build writes them out instead of parsing the CSVs a second time.
    """
    con, tmp = connect()
    try:
        report = _validate(con, pkg, max_errors, list(extra_checks), Path(tmp), keep_all=on_valid is not None)
        if on_valid is not None and report.ok:
            on_valid(con)
        return report
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _plugin_connection(con: duckdb.DuckDBPyConnection, tables: Iterable[str], tmp: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, sandboxed connection on a copy of the typed tables and views of `con`.

    Plugins' checks run there, never on the working connection: DuckDB refuses any write to a
    database opened read-only (DROP, INSERT, CREATE...), and with external access disabled and the
    configuration locked a check can neither read nor write files, ATTACH nor install extensions.
    """

    from aideals import db

    path = tmp / "plugin-checks.duckdb"
    literal = quote_literal(str(path))  # ATTACH takes no parameters; the path is ours
    source = quote_ident(con.execute("SELECT current_database()").fetchone()[0])
    con.execute(f"ATTACH {literal} AS aideals_plugin_checks")
    try:
        for name in tables:
            table = quote_ident(name)
            con.execute(f"CREATE TABLE aideals_plugin_checks.{table} AS SELECT * FROM {source}.{table}")
    finally:
        con.execute("DETACH aideals_plugin_checks")
    writer = db_connect(str(path))
    try:
        db.create_views(writer)
    finally:
        writer.close()
    from aideals.metrics import connect_readonly

    return connect_readonly(path, db.resource_config(Path(tmp) / "spill"))


def _needed_fields(pkg: Package, cross: list[ExtraCheck]) -> dict[str, set[str]] | None:
    """The fields whose typed values the checks after the scan read, per resource, or None when
    that cannot be told (then every field is kept).

    The scan itself checks every cell and runs the row rules; after it, the keys read the primary
    key, unique and foreign key fields (and the fields they reference), and the cross-table checks
    whatever their SQL names. A field is kept when its name is a word of a check's SQL (outside
    comments, string literals and `AS` names), which can only keep too many. A check that reads a release view or selects `*` keeps everything.
    """
    from aideals import db

    views = set(re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", db.views_sql(), re.IGNORECASE))
    words: set[str] = set()
    for check in cross:
        # Comments, string literals and the names given by AS are no fields read.
        text = re.sub(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", " ", check.sql, flags=re.DOTALL)
        text = re.sub(r"\bAS\s+[A-Za-z_][A-Za-z0-9_]*\b", " ", text, flags=re.IGNORECASE)
        found = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
        if found & views or re.search(r"\*", re.sub(r"count\s*\(\s*\*\s*\)", "", text, flags=re.IGNORECASE)):
            return None
        words |= found
    needed: dict[str, set[str]] = {}
    for name, res in pkg.resources.items():
        schema = res.schema
        keep = {f["name"] for f in schema.get("fields", []) if f["name"] in words or (f.get("constraints") or {}).get("unique")}
        keep |= set(_key_list(schema.get("primaryKey")))
        for fk in schema.get("foreignKeys", []):
            keep |= set(_key_list(fk.get("fields")))
            ref = fk.get("reference", {})
            needed.setdefault(ref.get("resource") or name, set()).update(_key_list(ref.get("fields")))
        needed.setdefault(name, set()).update(keep)
    return needed


def _validate(
    con: duckdb.DuckDBPyConnection, pkg: Package, max_errors: int | None, extra: list[ExtraCheck], tmp: Path,
    keep_all: bool = True,
) -> Report:
    from aideals import rules

    report = Report()
    tables: dict[str, _Table] = {}
    cross = builtin_checks()
    needed = None if keep_all or extra else _needed_fields(pkg, cross)
    for name, res in pkg.resources.items():
        t = _Table(name, res.relpath, list(res.schema.get("fields", [])), primary_key=_key_list(res.schema.get("primaryKey")),
                   rules=rules.load_rules(pkg, name) or {}, stored=None if needed is None else needed.get(name, set()),
                   missing=[str(m) for m in res.schema.get("missingValues", [""])])
        tables[name] = t
        report.findings.extend(_load(con, t, res.path))
    report.unusable = any(not t.readable for t in tables.values())
    report.checks_run.append("package")
    for t in tables.values():
        if t.readable and not t.empty:
            report.findings.extend(_header_findings(t))
            report.findings.extend(_cell_findings(con, pkg, t, max_errors))
            report.findings.extend(_key_findings(con, pkg, t, tables, max_errors))
    report.checks_run.append("table-schema")
    for t in tables.values():
        if t.readable:
            report.findings.extend(_rule_findings(con, t, max_errors))
    report.checks_run.append("row-rule")
    if all(t.readable for t in tables.values()):
        from aideals import db

        if needed is None:
            db.create_views(con)
        for check in cross:
            report.findings.extend(_cross_findings(con, check, tables))
            report.checks_run.append(check.name)
        if extra:
            plugin_con = _plugin_connection(con, tables, tmp)
            try:
                for check in extra:
                    # Each check on a connection of its own: the temporary tables, views or macros
                    # one creates cannot shadow the tables another reads.
                    cursor = plugin_con.cursor()
                    try:
                        report.findings.extend(_cross_findings(plugin_con, check, tables, run_on=cursor))
                    finally:
                        cursor.close()
                    report.checks_run.append(check.name)
            finally:
                plugin_con.close()
    order = {name: i for i, name in enumerate(tables)}
    files = {t.file: order[t.name] for t in tables.values()}
    positions = {(t.file, f["name"]): i for t in tables.values() for i, f in enumerate(t.fields)}
    report.findings.sort(
        key=lambda f: (LAYERS.index(f.layer) if f.layer in LAYERS else 9, files.get(f.file, 99), f.row or 0,
                       positions.get((f.file, f.field), 999), f.check, f.message)
    )
    if max_errors is not None and len(report.findings) > max_errors:
        report.findings = report.findings[:max_errors]
        report.truncated = True
    return report


# --- loading -------------------------------------------------------------------------------------

def _read_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


BLANK_LINE = re.compile(rb"\n\r?\n")
BLANK_START = (b"\n", b"\r\n", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf\r\n")
# The file is read in windows of this size into one buffer: at most this much of the file counts
# in the process's memory at once.
BLANK_WINDOW = 1 << 24
# Every byte but those a control character of the control-character check (schema_sql.CONTROL_RE)
# is made of in UTF-8: C0 but tab, LF and CR, DEL, and 0xC2, the first byte of a C1 character
# (U+0080-U+009F is C2 80 to C2 9F; C2 also starts other characters, such as a no-break space or «).
NOT_CONTROL_BYTES = bytes(b for b in range(256) if b in (9, 10, 13) or 0x20 <= b < 0x7F or 0x80 <= b != 0xC2)
C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")


def _blank_lines_and_controls(path: Path) -> tuple[list[int], bool]:
    """Row numbers (header = 1) of blank lines, which DuckDB skips but frictionless counts as rows,
    and whether the file holds a control character at all (schema_sql.CONTROL_RE; the scan tests
    text cells for one only then: on every cell, that test costs more than this search).

    Only files holding an empty line at all are parsed in Python, and only to number those lines.
    """
    blank = controls = False
    with open(path, "rb", buffering=0) as fh:
        size = os.fstat(fh.fileno()).st_size
        buffer = bytearray(min(BLANK_WINDOW + 2, size))
        offset = 0
        while offset < size and not (blank and controls):
            # Windows overlap by 2 bytes, so that a blank line or a C1 character across two of them
            # is found.
            fh.seek(offset)
            n = fh.readinto(buffer)
            view = buffer if n == len(buffer) else buffer[:n]
            if not blank:
                blank = (offset == 0 and view[:5].startswith(BLANK_START)) or BLANK_LINE.search(view) is not None
            if not controls:
                # bytearray.translate deleting the common bytes: about 1 GB/s, where a regular
                # expression of the control bytes takes three times as long.
                left = view.translate(None, NOT_CONTROL_BYTES)
                controls = left.count(b"\xc2") < len(left) or (bool(left) and C1_BYTES.search(view) is not None)
            offset += BLANK_WINDOW
    if not blank:
        return [], controls
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [i for i, row in enumerate(csv.reader(fh), start=1) if not row], controls


class _Background(threading.Thread):
    """`fn(*args)` run in a thread of its own; `result()` waits for it and returns what it returned
    (or raises what it raised). Lighter to import than concurrent.futures."""

    def __init__(self, fn: Callable, *args: object) -> None:
        super().__init__(daemon=True)
        self._fn, self._args = fn, args
        self._value: object = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._fn(*self._args)
        except BaseException as exc:  # handed to result()
            self._error = exc

    def result(self) -> object:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def _load(con: duckdb.DuckDBPyConnection, t: _Table, path: Path) -> list[Finding]:
    """Read, type and check one CSV in one scan into `checked_<name>` (see _create_checked), then
    create its cells view (`cells_<name>`: row numbers) and its typed and rule views."""
    import duckdb

    def fail(check: str, message: str, row: int | None = None) -> list[Finding]:
        return [Finding(t.file, row, None, check, "package", message)]

    if not path.is_file():  # a FIFO is never opened: reading it would block
        kind = not_a_file(path)
        return fail("scheme-error", f"{kind}, not a file" if kind else "file not found")
    try:
        t.labels = _read_header(path)
    except OSError as exc:  # a directory, a file this user may not read
        return fail("scheme-error", f"cannot be read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return fail("encoding-error", f"not UTF-8: byte {exc.object[exc.start]:#04x} at offset {exc.start}")
    except csv.Error as exc:
        return fail("format-error", f"not CSV: {exc}")
    findings: list[Finding] = []
    raw = quote_ident(f"raw_{t.name}")
    width = len(t.labels)
    if width == 0:
        with open(path, "rb") as fh:
            empty = not fh.read(4096).lstrip(b"\xef\xbb\xbf").strip()
        findings += fail("source-error", "the file is empty: no header row" if empty
                         else "no header row: the first line is empty (the header must be the first line)")
        _create_typed(con, t, empty=True)
        t.readable = t.empty = True
        return findings
    names = [f"c{i}" for i in range(width + EXTRA_SLOTS)]
    common = f"header = false, quote = '\"', escape = '\"', delim = ',', nullstr = '{NULL_MARK}', auto_detect = false"
    fallback = f"{common}, max_line_size = {MAX_LINE_SIZE}"  # the build's read, and a bare validate's second try
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    size = path.stat().st_size
    single = size <= CSV_BUFFER_MIN  # one buffer: one thread reads it all anyway
    if t.stored is not None:  # a bare validate (a build reads with DuckDB's default buffer)
        common += f", buffer_size = {csv_buffer_size(size, threads)}"
    else:
        common = fallback
    fast = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names[:width]) + "}"
    slow = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    t.readable = True
    # Blank lines and control characters are looked for by a Python thread while DuckDB reads the
    # file (DuckDB releases the GIL): their search then costs little time of its own. The scan tests
    # text cells for control characters only in a file that holds one: it first assumes none, and
    # is run again with the test when the thread finds one (a file with a defect: it is read twice).
    searched = _Background(_blank_lines_and_controls, path)
    try:
        try:
            if single:  # the other threads would only be started and stopped (20 ms a file)
                con.execute("SET threads = 1")
            try:
                _create_checked(con, t, f"read_csv(?, columns = {fast}, {common})", [str(path)], controls=False)
                if searched.result()[1]:
                    con.execute(f"DROP TABLE {quote_ident('checked_' + t.name)}")
                    _create_checked(con, t, f"read_csv(?, columns = {fast}, {common})", [str(path)], controls=True)
            finally:
                if single:
                    con.execute(f"SET threads = {threads}")
        except duckdb.InterruptException:  # Ctrl-C or SIGTERM: stop, not a finding
            raise
        except duckdb.Error as exc:
            if "unicode" in str(exc).lower() or "utf" in str(exc).lower():
                t.readable = False
                return fail("encoding-error", "not UTF-8: " + _duck_line(exc))
            # Anything else (ragged rows, a quote left open...) is read again by the single-threaded
            # padded read below, which reports it or, for a quote left open to the end, the parity
            # test after it does.
            t.ragged = True
        if t.ragged:
            # Rows of different lengths: pad them, single-threaded (DuckDB's parallel reader cannot pad
            # rows holding quoted newlines), then check the padded table.
            try:
                con.execute(
                    f"CREATE TABLE {raw} AS SELECT * FROM read_csv(?, columns = {slow}, null_padding = true, "
                    f"parallel = false, {fallback})",
                    [str(path)],
                )
            except duckdb.InterruptException:  # Ctrl-C or SIGTERM: stop, not a finding
                raise
            except duckdb.Error as exc:
                t.readable = False
                return fail("format-error", _csv_error(path, exc))
            open_quote = _open_quote_line(path)
            if open_quote is not None:
                t.readable = False
                con.execute(f"DROP TABLE {raw}")
                return fail("format-error", f"cannot be read as CSV: line {open_quote}: a quoted field is never closed")
            _create_checked(con, t, raw, [], controls=searched.result()[1])
            con.execute(f"DROP TABLE {raw}")
        t.blank_rows = searched.result()[0]
    finally:
        searched.join()
    # Row numbers: the file order (rowid) shifted past the blank lines DuckDB skipped.
    offsets = _offsets(t.blank_rows)
    checked = quote_ident("checked_" + t.name)
    if offsets:
        off = quote_ident("off_" + t.name)
        con.execute(f"CREATE TEMP TABLE {off} (start_k BIGINT, off BIGINT)")
        con.executemany(f"INSERT INTO {off} VALUES (?, ?)", offsets)
        source, row = f"{checked} r ASOF LEFT JOIN {off} o ON r.rowid >= o.start_k", "r.rowid + 1 + coalesce(o.off, 0)"
    else:
        source, row = f"{checked} r", "r.rowid + 1"
    # Record 0 is the header.
    # A blank row (every cell empty) is one whose raw cells the scan kept, all empty.
    blank = "(r._raw IS NOT NULL AND list_bool_and(list_transform(r._raw, lambda x: coalesce(x, '') = '')))"
    con.execute(f"CREATE VIEW {quote_ident('cells_' + t.name)} AS SELECT {row} AS _row, {blank} AS _blank, r.* "
                f"FROM {source} WHERE r.rowid > 0")
    _create_typed(con, t)
    _create_detail(con, t)
    return findings


def _create_checked(con: duckdb.DuckDBPyConnection, t: _Table, source: str, params: list, controls: bool = True) -> None:
    """Parse, type and check every cell in one scan of `source` (the CSV, or the padded raw table
    of a ragged file) into `checked_<name>`, in the file's order (rowid 0 = the header).

    Columns: `t<i>` the typed value of field i (only the fields in `t.stored` when it is set),
    `_raw` and, for a ragged file, `_extra` (the cells past the header). `_raw` holds a row's raw
    cells when a cheap test (`schema_sql.field_ok` of every field, the row rules) does not show
    that it passes every cell check and row rule, NULL otherwise (almost always): the full checks
    then run on those rows only (_create_detail). `controls`: whether the cheap test looks for
    control characters in text cells (false only when the file holds none).
    """
    from aideals.rules_sql import rules_pass
    from aideals.schema_sql import Sql, joined

    width, n_cols = len(t.labels), t.n_cols
    typed, comp = _typed_select(t, Sql(source, list(params)))
    outer = [Sql(f"t{i}") for i, f in enumerate(t.fields[:width]) if t.stored is None or f["name"] in t.stored]
    oks = [ok for _, ok in _field_oks(t, controls)]
    if not any((f.get("constraints") or {}).get("required") for f in t.fields[:width]) or "" not in t.missing:
        # A blank row must keep its raw cells (the cells view finds it blank from them): a required
        # field, empty in it, already makes sure of that; otherwise say so.
        oks.append(Sql("NOT (" + " AND ".join(f"coalesce(c{i}, '') = ''" for i in range(n_cols)) + ")"))
    if t.ragged:
        oks.append(Sql(f"_n >= {width}"))
    passes = rules_pass(t.rules, comp)
    if passes is not None:
        oks.append(passes)
    cells = "[" + ", ".join(f"c{i}" for i in range(n_cols)) + "]"
    outer.append(Sql("CASE WHEN ") + joined(oks, " AND ") + f" THEN NULL ELSE {cells} END AS _raw" if oks else Sql("NULL::VARCHAR[] AS _raw"))
    if t.ragged:
        outer.append(Sql("list_filter([" + ", ".join(f"c{i}" for i in range(width, n_cols)) + "], lambda x: x IS NOT NULL) AS _extra"))
    sql = Sql(f"CREATE TABLE {quote_ident('checked_' + t.name)} AS SELECT ") + joined(outer, ", ") + " FROM (" + typed + ")"
    con.execute(sql.text, sql.params)


def _field_oks(t: _Table, controls: bool = True) -> list[tuple[int, Sql]]:
    """(position, `schema_sql.field_ok`) of each field of the header that has a quick test."""
    from aideals.schema_sql import field_ok

    return [
        (i, ok) for i, f in enumerate(t.fields[: len(t.labels)]) if (ok := field_ok(f, f"c{i}", t.missing, f"t{i}", controls))
    ]


def _typed_select(t: _Table, source: Sql, passthrough: str = "") -> tuple[Sql, RuleCompiler]:
    """(query, rule compiler): `SELECT` over `source` (an Sql whose columns are `c0`, `c1`, ...)
    exposing the raw cells `c<i>`, the typed values `t<i>`, for a ragged file `_n` (the number of
    cells in the row), and `r<i>`, the value of field i as the row rules see it (what
    aideals.rules.typed_row makes of it: numbers, dates as ISO text (2025-3-7 is the date
    2025-03-07), anything else, a cell failing its type too, as its raw text). The compiler maps
    the fields to those columns."""
    from aideals.rules_sql import RuleCompiler
    from aideals.schema_sql import Sql, joined, missing_test, typed_value

    width, n_cols, missing = len(t.labels), t.n_cols, t.missing
    keep = [passthrough] if passthrough else []
    inner = Sql("SELECT " + ", ".join(keep + [f"c{i}" for i in range(n_cols)]))
    plain: set[int] = set()  # text fields whose typed value is the cell, NULL when empty
    for i, f in enumerate(t.fields[:width]):
        kind = f.get("type", "string")
        null = missing_test(f"c{i}", missing)
        value = typed_value(kind, f"c{i}", f.get("format"))
        if value == f"c{i}" and missing == [""] and DUCKDB_TYPES.get(kind, "VARCHAR") == "VARCHAR":
            inner = inner + f", NULLIF(c{i}, '') AS t{i}"  # text, the default missing value: the same, cheaper
            plain.add(i)
        else:
            inner = inner + ", TRY_CAST(CASE WHEN " + null + (
                f" THEN NULL ELSE {value} END AS {DUCKDB_TYPES.get(kind, 'VARCHAR')}) AS t{i}"
            )
    if t.ragged:
        inner = inner + (", greatest(" + ", ".join(f"CASE WHEN c{i} IS NOT NULL THEN {i + 1} ELSE 0 END" for i in range(n_cols)) + ") AS _n")
    inner = inner + " FROM " + source
    columns: dict[str, str] = {}
    rule_cols: list[Sql] = []
    for i, f in enumerate(t.fields):
        kind = f.get("type", "string")
        numeric = kind in ("number", "integer")
        if i >= width:
            columns[f["name"]] = "NULL::DOUBLE" if numeric else "NULL::VARCHAR"
            continue
        if (kind == "string" and i in plain) or DUCKDB_TYPES.get(kind) == "DOUBLE":
            columns[f["name"]] = f"t{i}"  # NULLIF(coalesce(t, c), '') is t itself; a number is a DOUBLE
            continue
        columns[f["name"]] = f"r{i}"
        # what the rules see: the typed value, else the text of a cell that does not type (its type
        # error is the Table Schema layer's), and NULL for a missing value (`NA` among missingValues)
        null = missing_test(f"c{i}", missing)
        if numeric:
            rule_cols.append(Sql(f"t{i}::DOUBLE AS r{i}"))
        elif kind == "date":
            rule_cols.append(Sql("CASE WHEN ") + null + f" THEN NULL ELSE coalesce(CAST(t{i} AS VARCHAR), c{i}) END AS r{i}")
        elif kind == "string":
            rule_cols.append(Sql("CASE WHEN ") + null + f" THEN NULL ELSE coalesce(t{i}, c{i}) END AS r{i}")
        else:
            rule_cols.append(Sql("CASE WHEN ") + null + f" THEN NULL ELSE c{i} END AS r{i}")
    kinds = {f["name"]: f.get("type", "string") for f in t.fields}
    comp = RuleCompiler(kinds, columns, label=f"schemas/{t.name}.rules.json")
    if not t.rules.get("allOf") or not rule_cols:
        return inner, comp
    return Sql("SELECT *, ") + joined(rule_cols, ", ") + " FROM (" + inner + ")", comp


def _create_detail(con: duckdb.DuckDBPyConnection, t: _Table) -> None:
    """The full cell checks and row rules of the rows whose raw cells the scan kept (`_raw`), into
    `detail_<name>` (_row, _f: the cells' failures, _r: the rules'), when there are any."""
    from aideals.rules_sql import rule_failures, rule_passes
    from aideals.schema_sql import Sql, cell_failures

    cells = quote_ident("cells_" + t.name)
    if con.execute(f"SELECT 1 FROM {cells} WHERE _raw IS NOT NULL AND NOT _blank LIMIT 1").fetchone() is None:
        return
    source = ("(SELECT _row, " + ", ".join(f"_raw[{i + 1}] AS c{i}" for i in range(t.n_cols))
              + f" FROM {cells} WHERE _raw IS NOT NULL AND NOT _blank)")
    typed, comp = _typed_select(t, Sql(source), passthrough="_row")
    # Which fields and rules the scan's quick test does not clear on every kept row: only those get
    # the full checks (their SQL is long: DuckDB takes about 1.5 ms per kilobyte to parse it).
    tests = [(("field", i), ok) for i, ok in _field_oks(t)]
    tests += [(("rule", k), ok) for k, ok in enumerate(rule_passes(t.rules, comp))]
    probe = Sql("SELECT count(*)")
    for _, ok in tests:
        probe = probe + ", bool_and(coalesce(" + ok + ", false))"
    probe = probe + " FROM (" + typed + ")"
    found = con.execute(probe.text, probe.params).fetchone()
    failing = [key for (key, _), passed in zip(tests, found[1:]) if not passed]
    fields = {i for kind, i in failing if kind == "field"}
    rule_set = {k for kind, k in failing if kind == "rule"}
    sql = (
        Sql(f"CREATE TABLE {quote_ident('detail_' + t.name)} AS SELECT _row, ")
        + cell_failures(t.fields, t.labels, t.missing, t.ragged, only=fields) + " AS _f, "
        + rule_failures(t.rules, comp, only=rule_set) + " AS _r FROM (" + typed + ")"
    )
    con.execute(sql.text, sql.params)
    t.detail = True


def _offsets(blank_rows: list[int]) -> list[tuple[int, int]]:
    """(first record index after the j-th blank line, j + 1): how far row numbers shift from there."""
    out: dict[int, int] = {}
    for j, b in enumerate(sorted(blank_rows)):
        out[b - j - 1] = j + 1
    return sorted(out.items())


def _duck_line(exc: Exception) -> str:
    """`line N: what is wrong` from a DuckDB CSV error: its line number, and the sentence saying what
    is wrong, which comes after the text of the line (that text may run over several lines when a
    quote is left open) and before DuckDB's "Possible fixes"."""
    text = str(exc)
    m = re.search(r"Line: (\d+)", text)
    head = text.split("Possible fixes:")[0]
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    if "Possible fixes:" in text and len(lines) >= 3:
        what = lines[-1]
    else:
        what = next((ln for ln in lines if "Error" not in ln and "Line:" not in ln), text)
    what = what[:1].lower() + what[1:200].rstrip(".")
    return (f"line {m.group(1)}: " if m else "") + what


def _csv_error(path: Path, exc: Exception) -> str:
    """The message of a CSV that DuckDB cannot read, saying when mixed line endings are the cause."""
    duck = _duck_line(exc)
    if not _mixed_endings(path):
        return f"cannot be read as CSV: {duck}"
    mixed = "the file mixes CR LF and LF line endings: end every line the same way"
    if "not possible to parse" in duck:
        # DuckDB's generic sentence ("this can happen when is not possible to parse ...") says nothing
        # the mixed endings do not: they are the cause
        where = re.match(r"line \d+: ", duck)
        return f"cannot be read as CSV: {where.group(0) if where else ''}{mixed}"
    # a specific error (a row with too many cells ...) stays first: a line break inside a quoted
    # field of a CR LF file also counts as mixed endings here
    return f"cannot be read as CSV: {duck} ({mixed})"


def _chunks(path: Path) -> Iterator[bytes]:
    """The bytes of a file in 16 MiB pieces (the two scans below run only when a read failed)."""
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(16 * 1024 * 1024), b"")


def _mixed_endings(path: Path) -> bool:
    """Whether the file has lines ending in CR LF and lines ending in LF alone, which DuckDB reads
    as a quote left open after the first line of the other kind (read only on that error). A line
    break inside a quoted field is part of the field, not a line ending: it does not count."""
    crlf = lf = False
    in_quote = False
    last = b""  # the byte before the part being read
    for chunk in _chunks(path):
        for i, part in enumerate(chunk.split(b'"')):
            if i:  # a quote character: into or out of a quoted field ("" goes out and back in)
                in_quote = not in_quote
                last = b'"'
            if not in_quote:
                for m in re.finditer(rb"\n", part):
                    before = part[m.start() - 1 : m.start()] if m.start() else last
                    crlf, lf = crlf or before == b"\r", lf or before != b"\r"
                    if crlf and lf:
                        return True
            if part:
                last = part[-1:]
    return False


def _open_quote_line(path: Path) -> int | None:
    """The line on which a quoted field opens that the file never closes, or None.

    DuckDB's single-threaded reader, which reads ragged files, drops such a last row without an
    error. A file without an odd number of quote characters cannot end inside a quoted field (an
    escaped quote, `""`, counts twice), unless another quote sits inside an unquoted field, which
    is rare enough to leave: only a file with an odd count is read, by Python's csv module, which
    says "unexpected end of data" exactly when the file ends inside a quoted field (a quote inside
    an unquoted field, `27" monitors`, is text to it, as to Table Schema).
    """
    if sum(chunk.count(b'"') for chunk in _chunks(path)) % 2 == 0:
        return None
    start = 1
    limit = csv.field_size_limit(sys.maxsize)  # an open field runs to the end of the file, however long
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            try:
                for _ in reader:
                    start = reader.line_num + 1
            except csv.Error as exc:
                return start if "unexpected end of data" in str(exc) else None
    finally:
        csv.field_size_limit(limit)
    return None


def _create_typed(con: duckdb.DuckDBPyConnection, t: _Table, empty: bool = False) -> None:
    """The typed view `<name>`: the fields as in a release (those stored, see `_Table.stored`), plus `_row`."""
    typed = []
    for i, f in enumerate(t.fields):
        duck = DUCKDB_TYPES.get(f.get("type", "string"), "VARCHAR")
        name = quote_ident(f["name"])
        if empty or i >= len(t.labels):
            typed.append(f"NULL::{duck} AS {name}")
        elif t.stored is None or f["name"] in t.stored:
            typed.append(f"t{i} AS {name}")
    source = "(SELECT NULL::BIGINT AS _row, false AS _blank WHERE false)" if empty else quote_ident("cells_" + t.name)
    # Blank rows stay in the typed view: frictionless reports their empty primary key.
    con.execute(f"CREATE VIEW {quote_ident(t.name)} AS SELECT {', '.join(typed + ['_row'])} FROM {source}")


# --- table schema --------------------------------------------------------------------------------

def _header_findings(t: _Table) -> list[Finding]:
    out = []
    names = [f["name"] for f in t.fields]
    seen: dict[str, int] = {}
    for i, label in enumerate(t.labels):
        field_name = names[i] if i < len(names) else None
        if i >= len(names):
            out.append(Finding(t.file, None, None, "extra-label", "table-schema", f"extra column {label!r} at position {i + 1}: not in the schema", label))
        elif label == "":
            out.append(Finding(t.file, None, field_name, "blank-label", "table-schema", f"column {i + 1} has a blank header", label))
        elif label in seen:
            out.append(Finding(t.file, None, field_name, "duplicate-label", "table-schema", f"header {label!r} at position {i + 1} repeats position {seen[label] + 1}", label))
        elif label != field_name:
            out.append(Finding(t.file, None, field_name, "incorrect-label", "table-schema", f"header {label!r} at position {i + 1} should be {field_name!r}", label))
        seen.setdefault(label, i)
    for i in range(len(t.labels), len(names)):
        out.append(Finding(t.file, None, names[i], "missing-label", "table-schema", f"column {names[i]!r} (position {i + 1}) is missing from the header"))
    return out


# Rows fetched from DuckDB at a time when findings are bounded.
FETCH_BATCH = 2048


def _run(con: duckdb.DuckDBPyConnection, sql, file: str, layer: str, limit: int | None = None) -> list[Finding]:
    """The findings of one check query (columns: row, field, check, message, value).

    With `limit`, only the findings of the query's first rows are kept: at least `limit` of them
    (all of one row number or none), so that the report's first `limit` findings, sorted by row,
    are exact while a query matching millions of rows never comes into Python whole.
    """
    if limit is None:
        rows = con.execute(sql.text, sql.params).fetchall()
    else:
        cur = con.execute(f"SELECT * FROM ({sql.text}) ORDER BY 1 NULLS FIRST", sql.params)
        rows = []
        while batch := cur.fetchmany(FETCH_BATCH):
            rows += batch
            if len(rows) > limit and rows[limit][0] != rows[-1][0]:
                last = rows[limit][0]
                rows = [r for r in rows if r[0] is None or (last is not None and r[0] <= last)]
                break
    return [Finding(file, r[0], r[1], r[2], layer, r[3], r[4]) for r in rows]


def _cell_findings(con: duckdb.DuckDBPyConnection, pkg: Package, t: _Table, limit: int | None = None) -> list[Finding]:
    """The cell checks' failures (`_f` of the detail table), blank rows and extra cells."""
    from aideals.schema_sql import Sql, show, union_all

    if not t.labels:
        return []
    cells = quote_ident("cells_" + t.name)
    parts = [Sql(f"SELECT _row, NULL, 'blank-row', 'the row is blank', NULL FROM {cells} WHERE _blank")]
    if t.detail:
        parts.insert(0, Sql(f"SELECT _row, f.field, f.check, f.message, f.value FROM "
                            f"(SELECT _row, unnest(_f) AS f FROM {quote_ident('detail_' + t.name)})"))
    if t.ragged:
        n_labels = len(t.labels)
        parts.append(
            Sql(f"SELECT _row, NULL AS field, 'extra-cell' AS check, "
                f"'extra cell at position ' || (x.i + {n_labels}) || ': ' || {show('x.v')} AS message, x.v AS value "
                f"FROM (SELECT _row, unnest(_extra) AS v, generate_subscripts(_extra, 1) AS i FROM {cells} "
                f"WHERE len(_extra) > 0) x")
        )
    findings = _run(con, union_all(parts), t.file, "table-schema", limit)
    findings += [Finding(t.file, b, None, "blank-row", "table-schema", "the row is blank") for b in t.blank_rows]
    if pkg.resource(t.name).schema.get("primaryKey"):
        findings += [Finding(t.file, b, None, "primary-key", "table-schema", "the primary key is empty") for b in t.blank_rows]
    return findings


def _key_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _key_findings(
    con: duckdb.DuckDBPyConnection, pkg: Package, t: _Table, tables: dict[str, _Table], limit: int | None = None
) -> list[Finding]:
    """unique fields, the primary key and foreign keys, over the typed tables."""
    from aideals.schema_sql import Sql

    schema = pkg.resource(t.name).schema
    table = quote_ident(t.name)
    present = set(f["name"] for f in t.fields[: len(t.labels)])
    out: list[Finding] = []
    pk = [c for c in _key_list(schema.get("primaryKey")) if c in present]
    pk_ok = bool(pk) and len(pk) == len(_key_list(schema.get("primaryKey")))
    for f in t.fields:
        if (f.get("constraints") or {}).get("unique") and f["name"] in present and not (pk_ok and pk == [f["name"]]):
            col = quote_ident(f["name"])
            sql = Sql(
                f"SELECT _row, ? , 'unique-error', '\"' || CAST({col} AS VARCHAR) || '\" is not unique: first in row ' || first_row, "
                f"CAST({col} AS VARCHAR) FROM (SELECT _row, {col}, min(_row) OVER (PARTITION BY {col}) AS first_row "
                f"FROM {table} WHERE {col} IN (SELECT {col} FROM {table} WHERE {col} IS NOT NULL "
                f"GROUP BY {col} HAVING count(*) > 1)) WHERE _row > first_row",
                [f["name"]],
            )
            out += _run(con, sql, t.file, "table-schema", limit)
    if pk_ok:
        cols = ", ".join(quote_ident(c) for c in pk)
        shown = " || ', ' || ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '')" for c in pk)
        allnull = " AND ".join(f"{quote_ident(c)} IS NULL" for c in pk)
        dup = (
            f"SELECT * FROM (SELECT _row, {cols}, min(_row) OVER (PARTITION BY {cols}) AS first_row FROM {table} "
            f"WHERE ({allnull}) OR ({cols}) IN (SELECT ({cols}) FROM {table} GROUP BY {cols} HAVING count(*) > 1)) "
            f"WHERE ({allnull}) OR _row > first_row"
        )
        text = (
            f"WITH dup AS MATERIALIZED ({dup}) "
            f"SELECT _row, NULL, 'primary-key', CASE WHEN {allnull} THEN 'the primary key is empty' ELSE "
            f"'primary key \"' || {shown} || '\" is also in row ' || first_row END, CASE WHEN {allnull} THEN NULL ELSE {shown} END "
            f"FROM dup"
        )
        params: list = []
        key_field = next((f for f in t.fields if f["name"] == pk[0]), {})
        if len(pk) == 1 and (key_field.get("constraints") or {}).get("unique"):
            # The primary key is also a unique field: one search for duplicates serves both checks.
            col = quote_ident(pk[0])
            text += (
                f" UNION ALL SELECT _row, ?, 'unique-error', '\"' || CAST({col} AS VARCHAR) || '\" is not unique: first in row ' "
                f"|| first_row, CAST({col} AS VARCHAR) FROM dup WHERE {col} IS NOT NULL"
            )
            params.append(pk[0])
        out += _run(con, Sql(text, params), t.file, "table-schema", limit)
    for fk in schema.get("foreignKeys", []):
        fields = _key_list(fk.get("fields"))
        ref = fk.get("reference", {})
        ref_name = ref.get("resource") or t.name
        ref_fields = _key_list(ref.get("fields"))
        target = tables.get(ref_name)
        if target is None or not target.readable or not set(fields) <= present:
            continue
        local = " AND ".join(f"f.{quote_ident(a)} IS NOT NULL" for a in fields)
        join = " AND ".join(f"r.{quote_ident(b)} = f.{quote_ident(a)}" for a, b in zip(fields, ref_fields))
        shown = " || ', ' || ".join(f"CAST(f.{quote_ident(a)} AS VARCHAR)" for a in fields)
        sql = Sql(
            f"SELECT f._row, ?, 'foreign-key', '\"' || {shown} || ?, {shown} FROM {table} f "
            f"WHERE {local} AND NOT EXISTS (SELECT 1 FROM {quote_ident(ref_name)} r WHERE {join})",
            [fields[0], f"\" is not a {', '.join(ref_fields)} of {ref_name}"],
        )
        out += _run(con, sql, t.file, "table-schema", limit)
    return out


# --- row rules and cross-table checks ------------------------------------------------------------

def _rule_findings(con: duckdb.DuckDBPyConnection, t: _Table, limit: int | None = None) -> list[Finding]:
    """The failed row rules (`_r` of the detail table: the scan ran the rules on every row)."""
    from aideals.schema_sql import Sql

    if not t.detail or not t.rules.get("allOf"):
        return []
    sql = Sql(f"SELECT _row, f.field, f.check, f.message, f.value FROM "
              f"(SELECT _row, unnest(_r) AS f FROM {quote_ident('detail_' + t.name)})")
    return _run(con, sql, t.file, "row-rule", limit)


def _by(check: ExtraCheck) -> str:
    """`plugin NAME: ` for a plugin's check, nothing for the toolkit's own."""
    return "" if check.plugin == "aideals" else f"plugin {check.plugin}: "


def _cross_findings(
    con: duckdb.DuckDBPyConnection, check: ExtraCheck, tables: dict[str, _Table], run_on: duckdb.DuckDBPyConnection | None = None
) -> list[Finding]:
    """Run `check` (on `run_on` if given, else `con`) and turn its rows into findings; row numbers from `con`."""
    import duckdb

    try:
        cur = (run_on or con).execute(check.sql)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.InterruptException:  # Ctrl-C or SIGTERM: stop, not a finding
        raise
    except duckdb.Error as exc:
        return [Finding("datapackage.json", None, None, check.name, "cross-table",
                        f"{_by(check)}the check failed to run: {str(exc).splitlines()[0]}")]
    if "message" not in cols:
        return [Finding("datapackage.json", None, None, check.name, "cross-table", f"{_by(check)}the check returns no `message` column")]
    records = [dict(zip(cols, r)) for r in rows]
    # Row numbers of the ids the check names, one query per table.
    rows_of: dict[tuple[str, str], int] = {}
    for name in {rec.get("resource") for rec in records}:
        t = tables.get(name or "")
        if t is None or len(t.primary_key) != 1:
            continue
        ids = sorted({str(rec["id"]) for rec in records if rec.get("resource") == name and rec.get("id") is not None})
        pk = quote_ident(t.primary_key[0])
        found = con.execute(
            f"SELECT CAST({pk} AS VARCHAR), min(_row) FROM {quote_ident(t.name)} "
            f"WHERE CAST({pk} AS VARCHAR) IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
            [ids],
        ).fetchall()
        rows_of.update({(name, k): v for k, v in found})
    out = []
    for rec in records:
        resource = rec.get("resource")
        t = tables.get(resource or "")
        # the row a check names itself (the built-in checks give `_row`: with a duplicated id, the
        # row at fault), else the first row of the id it names
        own_row = rec.get("_row") if check.plugin == "aideals" else None  # a plugin's `_row` is not trusted
        row = own_row if t is not None and isinstance(own_row, int) else (
            rows_of.get((resource, str(rec.get("id")))) if t is not None else None)
        value = rec.get("value")
        # A finding is one line: a message with line breaks is joined, a missing one says so, and a
        # resource the package does not have is named in it rather than blamed on datapackage.json.
        message = " ".join(str(rec["message"]).split()) if rec["message"] is not None else "(the check gave no message)"
        if resource is not None and t is None:
            message = f"{message} (in {resource!r}, which is not a resource of the package)"
        elif rec.get("id") is not None and row is None and (t is None or len(t.primary_key) == 1):
            where = f"no row of {resource!r} has it" if t is not None else "the check names no resource"
            message = f"{message} (id {str(rec['id'])!r}: {where})"
        out.append(Finding(t.file if t else "datapackage.json", row, rec.get("field"), check.name, "cross-table",
                           message, None if value is None else str(value)))
    return out
