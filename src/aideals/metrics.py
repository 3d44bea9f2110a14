"""Metrics: their definitions, running them on a read-only database, and checking their rows.

Interface used by build (keep it stable):
    populate(con, pkg) -> MetricsRun     computes every metric and inserts the rows into `metrics`

A metric is SQL over the release tables and views, or a Python function given a connection.
Either way it runs on a connection opened read-only on a database file, with external access
(files, URLs, ATTACH) disabled and the configuration locked, so a metric's SQL can read the
release and nothing else; a function metric is Python code, and can do whatever its plugin's
code can (load only plugins you trust). Its rows are checked against schemas/metric-result.schema.json, their figure_ids
and subjects against the tables, before any is kept. A metric that raises, whose SQL fails or
that returns a bad row is reported as a `PluginProblem` (plugin, metric, error) and skipped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aideals.db import connect as db_connect
from aideals.errors import AidealsError
from aideals.plugins import NAME_PATTERN, PluginProblem, Plugins, current_traceback

if TYPE_CHECKING:
    import duckdb

    from aideals.package import Package

RESULT_SCHEMA = "schemas/metric-result.schema.json"
# The toolkit's own copy (package data, byte-identical to the repository's: a test keeps them so),
# for packages that do not ship the schema and for a plugin's tests without a package.
TOOLKIT_RESULT_SCHEMA = Path(__file__).resolve().parent / RESULT_SCHEMA
DIST_DATABASE = "dist/aideals.duckdb"
RESULT_COLUMNS = (
    "metric",
    "subject_type",
    "subject_id",
    "value",
    "value_high",
    "unit",
    "figure_ids",
    "note",
    "qualifier",
    "plugin",
)
# The ids a metric's rows name that are not in a table: an anti-join against the ids, passed as an
# Arrow table (a list parameter of a million ids costs DuckDB a gigabyte and a scan per id).
UNKNOWN_IDS_SQL = "SELECT id FROM wanted ANTI JOIN {table} t ON t.{column} = wanted.id"
# What the result schema may say of figure_ids for check_rows to check the ids itself (one regex
# match per id) instead of through jsonschema, which takes about 10 µs per id.
PLAIN_FIGURE_IDS_KEYS = frozenset({"description", "type", "minItems", "uniqueItems", "items"})
PLAIN_SCHEMA_KEYS = frozenset(
    {"$schema", "$id", "title", "description", "type", "required", "additionalProperties", "properties", "fieldComparisons"}
)

MetricFunction = Callable[["duckdb.DuckDBPyConnection"], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class Metric:
    """A derived metric: what it is, its formula in words, and the SQL or function computing it.

    Exactly one of `sql` (a query over the release tables and views returning result rows) or
    `function` (called with a read-only DuckDB connection, returning result row dicts) is given.
    A row may leave out `metric`: it is filled in with the metric's name. `plugin` is set by
    the loader.
    """

    name: str
    title: str
    description: str
    unit: str
    formula: str
    sql: str | None = None
    function: MetricFunction | None = None
    plugin: str = ""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name or ""):
            raise ValueError(f"metric name {self.name!r} must match {NAME_PATTERN.pattern}")
        if (self.sql is None) == (self.function is None):
            raise ValueError(f"metric {self.name}: give exactly one of sql or function")

    def with_plugin(self, plugin: str) -> Metric:
        """A copy of the metric attributed to `plugin`."""
        return dataclasses.replace(self, plugin=plugin)


@dataclass(frozen=True)
class MetricResult:
    """One checked result row, as stored in the `metrics` table."""

    metric: str
    subject_type: str
    subject_id: str
    value: float
    value_high: float | None
    unit: str
    figure_ids: tuple[str, ...]
    note: str | None
    qualifier: str | None
    plugin: str

    def to_dict(self) -> dict:
        """The row as JSON-ready data, columns in table order."""
        d = dataclasses.asdict(self)
        d["figure_ids"] = list(self.figure_ids)
        return {c: d[c] for c in RESULT_COLUMNS}


@dataclass
class MetricsRun:
    """The rows of the metrics that ran, and the problems of those that were skipped."""

    metrics: list[Metric]
    results: list[MetricResult] = field(default_factory=list)
    problems: list[PluginProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class BadMetricRows(AidealsError):
    """A metric returned rows that do not fit the result schema or the data."""


# -- reading the schema ----------------------------------------------------------------------


def result_schema(root: Path | None = None) -> dict:
    """schemas/metric-result.schema.json, from the package at `root` or else the toolkit's copy."""
    for path in ([root / RESULT_SCHEMA] if root is not None else []) + [TOOLKIT_RESULT_SCHEMA]:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise AidealsError(f"{RESULT_SCHEMA}: not found in the package or the toolkit")


# -- connections -----------------------------------------------------------------------------


def connect_readonly(path: Path, limits: Mapping[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """Open a database file read-only, with external access (files, URLs, other databases,
    extensions) disabled and the settings locked: aideals.db.connect_readonly.

    `limits`: DuckDB settings bounding memory (aideals.db.resource_config), fixed before the lock.
    """
    from aideals.db import connect_readonly as connect

    return connect(path, dict(limits or {}))


def snapshot(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the database of `con` (tables and views) into a new database file at `path`."""
    from aideals.db import quote_ident, quote_literal

    source = con.execute("SELECT current_database()").fetchone()[0]
    alias = "aideals_metrics_snapshot"
    literal = quote_literal(str(path))  # ATTACH takes no parameters; the path is ours
    con.execute(f"ATTACH {literal} AS {alias}")
    try:
        con.execute(f"COPY FROM DATABASE {quote_ident(source)} TO {alias}")
    finally:
        con.execute(f"DETACH {alias}")


def dist_database(pkg: Package) -> Path | None:
    """dist/aideals.duckdb when it exists and is not older than any data file, else None."""
    path = pkg.root / DIST_DATABASE
    if not path.is_file():
        return None
    newest_data = max((r.path.stat().st_mtime for r in pkg.resources.values() if r.path.is_file()), default=0)
    return path if path.stat().st_mtime >= newest_data else None


@contextmanager
def readonly_database(pkg: Package, database: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on the package's data, closed on exit.

    Uses `database` if given, else a fresh dist/aideals.duckdb, else loads the package into a
    temporary database file (metrics always read from a file opened read-only).
    """
    from aideals.db import resource_config

    path = database or dist_database(pkg)
    # within AIDEALS_MEMORY_LIMIT, spilling to a directory of its own, never beside the database
    # read (DuckDB's own place to spill, inside a release)
    with tempfile.TemporaryDirectory(prefix="aideals-metrics-") as tmp:
        limits = resource_config(Path(tmp) / "spill")
        if path is None:
            from aideals import build

            path = Path(tmp) / "aideals.duckdb"
            writer = db_connect(str(path), config=limits)
            try:
                build.load_valid(writer, pkg, refused="no metric was computed")
            finally:
                writer.close()
        con = connect_readonly(path, limits)  # a file that is not a DuckDB database: one line
        try:
            _require_release(con, path)
            yield con
        finally:
            con.close()


RELEASE_TABLES = ("parties", "sources", "deals", "figures")


def _require_release(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a DuckDB file that is not a release (it lacks one of the package's tables) in one line,
    as `report --db` does, rather than warn of each metric's missing relation."""
    names = {name for (name,) in con.execute(  # fetchall: no result left open on the connection
        "SELECT lower(table_name) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "UNION ALL SELECT lower(view_name) FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()}
    for relation in RELEASE_TABLES:
        if relation not in names:
            raise AidealsError(f"{path}: not an aideals release: it has no table or view named {relation}; "
                               "no metric was computed")


def _require_deals_counted(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse --confirmed-only on a release database made before the view `deals_counted` existed:
    replacing a view nothing reads would change no result without a word."""
    (has_view,) = con.execute(  # fetchall: a result left unfinished would block the metrics' cursors
        "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND view_name = 'deals_counted'"
    ).fetchall()[0]
    if not has_view:
        raise AidealsError(
            "--confirmed-only: this release database has no view deals_counted (releases before 0.34.0 lack it); "
            "rebuild it with this toolkit (`aideals build`) or run without --confirmed-only"
        )


def count_confirmed_only(con: duckdb.DuckDBPyConnection) -> None:
    """Leave `rumoured` deals out of what the metrics on `con` add up, as well as `cancelled` and
    `superseded` ones.

    A temporary view `deals_counted` (deals neither cancelled, superseded nor rumoured) replaces the release's
    for this connection alone (not its cursors: each is a connection of its own): the views
    `figures_counted` and `flows` read it by name, and DuckDB looks a name up in the temporary
    schema first. The database file is not changed.
    """
    from aideals.db import quote_ident

    database = con.execute("SELECT current_database()").fetchone()[0]
    catalog = quote_ident(database)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW deals_counted AS "
        f"SELECT * FROM {catalog}.main.deals WHERE status NOT IN ('cancelled', 'rumoured', 'superseded')"
    )


# -- running ---------------------------------------------------------------------------------


def select(metrics: Sequence[Metric], names: Sequence[str] = ()) -> list[Metric]:
    """The metrics named (all when `names` is empty); an unknown name is an error."""
    if not names:
        return list(metrics)
    by_name = {m.name: m for m in metrics}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise AidealsError(f"no metric named {', '.join(map(repr, unknown))} (known: {known})")
    return [by_name[n] for n in dict.fromkeys(names)]


def compute(
    con: duckdb.DuckDBPyConnection,
    metrics: Sequence[Metric],
    *,
    schema: dict | None = None,
    confirmed_only: bool = False,
    progress: Callable[[str], None] | None = None,
) -> MetricsRun:
    """Run each metric on read-only `con`, keep the rows of those that succeed, report the others.

    `confirmed_only`: leave rumoured deals out of what the metrics add up (count_confirmed_only).
    `progress` is told each metric as it starts ("computing metric M (plugin P)"), so that a slow
    plugin can be named.
    """
    from aideals.errors import interrupted, signalled

    schema = schema or result_schema()
    if confirmed_only:  # once: an older release without deals_counted is refused here
        _require_deals_counted(con)
    run = MetricsRun(list(metrics))
    for metric in metrics:
        if progress is not None:
            progress(f"computing metric {metric.name} (plugin {metric.plugin})")
        rows: list[MetricResult] = []
        problem = None
        try:
            raw = run_one(con, metric, confirmed_only=confirmed_only)
            rows = check_rows(con, metric, raw, schema)
        except BadMetricRows as exc:
            problem = PluginProblem(metric.plugin, metric.name, str(exc))
        except (Exception, SystemExit) as exc:  # the plugin's bug, its SQL or its sys.exit(): skip this metric only
            if interrupted(exc):  # Ctrl-C or SIGTERM during its query: stop the run, not skip the metric
                raise
            first = (str(exc).strip().splitlines() or [""])[0]
            error = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
            problem = PluginProblem(metric.plugin, metric.name, error, current_traceback())
        # Ctrl-C or SIGTERM that the metric caught (and swallowed, or turned into an error or bad
        # rows of its own): the run stops whatever the metric returned.
        if signalled():
            raise KeyboardInterrupt
        if problem is not None:
            run.problems.append(problem)
            continue
        run.results.extend(rows)
    run.results.sort(key=lambda r: (r.metric, r.subject_type, r.subject_id, r.value))
    return run


def run_one(con: duckdb.DuckDBPyConnection, metric: Metric, *, confirmed_only: bool = False) -> list[dict]:
    """The raw rows of one metric, on a cursor of its own."""
    cur = con.cursor()
    try:
        if confirmed_only:
            count_confirmed_only(cur)
        if metric.sql is not None:
            cur.execute(metric.sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        rows = metric.function(cur)
        if rows is None:
            return []
        if isinstance(rows, Mapping):
            raise BadMetricRows("returned one mapping; return an iterable of row mappings (a list of dicts)")
        out = []
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                raise BadMetricRows(f"row {i}: is a {type(row).__name__}, not a mapping of column to value")
            out.append(dict(row))
        return out
    finally:
        cur.close()


def _plain(value: Any) -> Any:
    # DuckDB returns DECIMAL as Decimal and lists may be tuples; the schema speaks JSON.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def check_rows(
    con: duckdb.DuckDBPyConnection, metric: Metric, raw_rows: Sequence[Mapping], schema: dict
) -> list[MetricResult]:
    """Check raw rows against the result schema and the data; raise BadMetricRows on the first bad one."""
    from aideals.rules import validator_class

    validator = validator_class()(schema)
    id_pattern = _plain_figure_ids_pattern(schema)
    results = []
    for i, raw in enumerate(raw_rows, start=1):
        row = {k: _plain(v) for k, v in raw.items()}
        row.setdefault("metric", metric.name)
        if row["metric"] != metric.name:
            raise BadMetricRows(f"row {i}: metric: {row['metric']!r} is not this metric's name {metric.name!r}")
        # Like the row rules, a null is an absent cell: `value_high: null` is not compared.
        present = {k: v for k, v in row.items() if v is not None}
        ids = present.get("figure_ids")
        if id_pattern is not None and _plain_ids(ids, id_pattern):
            # The ids are what the schema asks: the rest of the row is checked with one of them.
            present["figure_ids"] = ids[:1]
        for name in ("value", "value_high"):
            number = present.get(name)
            if isinstance(number, float) and not math.isfinite(number):
                raise BadMetricRows(f"row {i}: {name}: {number} is not a finite number")
        errors = sorted(validator.iter_errors(present), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            if err.validator == "required" and not err.absolute_path:
                missing = next((k for k in err.validator_value if k not in present), None)
                if missing is not None:  # name the field, and whether the row had it as NULL
                    state = "is null" if missing in row else "is missing"
                    raise BadMetricRows(f"row {i}: {missing}: {state}, and every result row needs it")
            where = ".".join(str(p) for p in err.absolute_path) or "row"
            raise BadMetricRows(f"row {i}: {where}: {err.message}")
        results.append(
            MetricResult(
                metric.name,
                row["subject_type"],
                row["subject_id"],
                float(row["value"]),
                None if row.get("value_high") is None else float(row["value_high"]),
                row["unit"],
                tuple(row["figure_ids"]),
                row.get("note"),
                row.get("qualifier"),
                metric.plugin,
            )
        )
    _check_references(con, results)
    return results


def _plain_figure_ids_pattern(schema: dict) -> re.Pattern | None:
    """The pattern of a figure id when the schema asks no more of figure_ids than a list of at least
    one unique string matching it (as schemas/metric-result.schema.json does); else None."""
    prop = (schema.get("properties") or {}).get("figure_ids")
    if not isinstance(prop, dict) or set(schema) - PLAIN_SCHEMA_KEYS or set(prop) - PLAIN_FIGURE_IDS_KEYS:
        return None
    items = prop.get("items")
    if prop.get("type") != "array" or prop.get("minItems", 0) > 1 or not isinstance(items, dict):
        return None
    if set(items) - {"description", "type", "pattern"} or items.get("type") != "string" or "pattern" not in items:
        return None
    if any("figure_ids" in (c.get("left"), c.get("right")) for c in schema.get("fieldComparisons", [])):
        return None
    return re.compile(items["pattern"])


def _plain_ids(ids: Any, pattern: re.Pattern) -> bool:
    # jsonschema's `pattern` is re.search; uniqueItems is checked whether asked or not (a stricter
    # test only sends more rows to jsonschema, which then decides).
    return (
        isinstance(ids, list)
        and len(ids) >= 1
        and all(isinstance(f, str) and pattern.search(f) for f in ids)
        and len(set(ids)) == len(ids)
    )


def _unknown(con: duckdb.DuckDBPyConnection, table: str, column: str, ids: Iterable[Any]) -> set:
    """The ids that are not in table.column (anything but a string is never in it)."""
    import pyarrow as pa

    ids = set(ids)
    strings = sorted(i for i in ids if isinstance(i, str))
    unknown = ids - set(strings)
    if strings:
        wanted = con.from_arrow(pa.table({"id": pa.array(strings, type=pa.string())}))
        unknown |= {row[0] for row in wanted.query("wanted", UNKNOWN_IDS_SQL.format(table=table, column=column)).fetchall()}
    return unknown


# How many party ids, joined by "/", a subject of each kind names (plugins/README.md, "Returns").
SUBJECT_PARTS = {"pair": (2, 2), "cycle": (2, sys.maxsize)}


def _check_references(con: duckdb.DuckDBPyConnection, results: Sequence[MetricResult]) -> None:
    unknown_figures = _unknown(con, "figures", "figure_id", (f for r in results for f in r.figure_ids))
    parties = {
        p for r in results if r.subject_type in ("pair", "cycle") for p in r.subject_id.split("/")
    } | {r.subject_id for r in results if r.subject_type == "party"}
    deals = {r.subject_id for r in results if r.subject_type == "deal"}
    unknown_parties = _unknown(con, "parties", "party_id", parties)
    unknown_deals = _unknown(con, "deals", "deal_id", deals)
    for i, r in enumerate(results, start=1):
        if r.subject_type in SUBJECT_PARTS:
            fewest, most = SUBJECT_PARTS[r.subject_type]
            parts = r.subject_id.split("/")
            if not fewest <= len(parts) <= most or "" in parts:
                shape = "two party ids, a/b" if r.subject_type == "pair" else "two or more party ids, a/b/c"
                raise BadMetricRows(f"row {i}: subject_id: {r.subject_id!r} is not a {r.subject_type} ({shape})")
        missing = [f for f in r.figure_ids if f in unknown_figures]
        if missing:
            raise BadMetricRows(f"row {i}: figure_ids: no figure {missing[0]!r} in figures")
        ids = [r.subject_id] if r.subject_type in ("deal", "party") else r.subject_id.split("/")
        unknown, table = (unknown_deals, "deals") if r.subject_type == "deal" else (unknown_parties, "parties")
        absent = [s for s in ids if s in unknown]
        if absent:
            raise BadMetricRows(f"row {i}: subject_id: no {absent[0]!r} in {table}")


def report_to_stderr(problem: PluginProblem) -> None:
    """Print a skipped plugin or metric as a one-line warning."""
    print(problem.warning(), file=sys.stderr)


def warn_to_stderr(message: str) -> None:
    """Print a warning as one line: `aideals: warning: message`."""
    print(f"aideals: warning: {message}", file=sys.stderr)


def populate(
    con: duckdb.DuckDBPyConnection,
    pkg: Package,
    *,
    plugins: Plugins | None = None,
    plugins_dirs: Sequence[Path | str] = (),
    report: Callable[[PluginProblem], None] = report_to_stderr,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    warn: Callable[[str], None] = warn_to_stderr,
    plugins_dir_option: bool = True,
) -> MetricsRun:
    """Compute every metric on the data of `con` and insert the checked rows into its `metrics` table.

    The build calls this with its connection once the tables and views are loaded. Metrics read
    a read-only snapshot of `con`, never `con` itself. Skipped plugins and metrics are passed to
    `report` (a warning on stderr by default); with `strict`, any of them is an AidealsError.
    When no plugin defines a metric, `warn` is told why (plugins.no_metrics_warning; the command
    takes --plugins-dir when `plugins_dir_option`): the `metrics` table then stays empty.
    """
    from aideals import plugins as plugins_module
    from aideals.db import resource_config

    plugins = plugins or plugins_module.load(pkg.root, plugins_dirs)
    metrics = plugins.metrics()
    run = MetricsRun([])
    # No metric, no snapshot: copying a large database for nothing would double the build's writes.
    if metrics:
        with tempfile.TemporaryDirectory(prefix="aideals-metrics-") as tmp:
            path = Path(tmp) / "snapshot.duckdb"
            snapshot(con, path)
            ro = connect_readonly(path, resource_config(Path(tmp) / "spill"))
            try:
                run = compute(ro, metrics, schema=result_schema(pkg.root), progress=progress)
            finally:
                ro.close()
    run.problems[:0] = plugins.problems
    for problem in run.problems:
        report(problem)
    if strict and run.problems:
        raise AidealsError(f"{len(run.problems)} plugin problem(s), first: {run.problems[0].line()}", exit_code=1)
    if not metrics:  # after the problems, which may say why (a plugin that failed to load)
        warn(plugins_module.no_metrics_warning(pkg.root, plugins_dir_option=plugins_dir_option))
    if run.results:
        insert_results(con, run.results)
    return run


def insert_results(con: duckdb.DuckDBPyConnection, results: Sequence[MetricResult]) -> None:
    """Insert result rows into the `metrics` table, in one statement over an Arrow table
    (executemany takes about a millisecond a row: minutes for the rows of a million figures)."""
    import pyarrow as pa

    types = {
        "value": pa.float64(), "value_high": pa.float64(), "figure_ids": pa.list_(pa.string()),
    }  # fmt: skip
    columns = {c: pa.array([getattr(r, c) for r in results], type=types.get(c, pa.string())) for c in RESULT_COLUMNS}
    rows = pa.table(columns)
    name = "aideals_metric_rows"
    con.register(name, rows)
    try:
        con.execute(f"INSERT INTO metrics ({', '.join(RESULT_COLUMNS)}) SELECT {', '.join(RESULT_COLUMNS)} FROM {name}")
    finally:
        con.unregister(name)


# -- explaining ------------------------------------------------------------------------------

EXPLAIN_FIGURES_SQL = """
SELECT figure_id, deal_id, deal_status, party_id, from_party, to_party, flow, measure, value, value_high, unit,
       qualifier, period_start, period_end, source_id, source_title, source_publisher,
       source_published, source_url, quote, note
FROM figures_resolved
WHERE list_contains(?, figure_id)
ORDER BY figure_id
"""


@dataclass
class Explanation:
    """A metric's value for one subject, its formula, and every figure it was computed from."""

    metric: Metric
    subject_id: str
    results: list[MetricResult]
    figures: list[dict]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "metric": self.metric.name,
            "title": self.metric.title,
            "plugin": self.metric.plugin,
            "formula": self.metric.formula,
            "subject_id": self.subject_id,
            "results": [r.to_dict() for r in self.results],
            "figures": self.figures,
        }


EXPLAIN_SUBJECTS = 20  # subjects an unknown subject's error names


def explain(
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    subject_id: str,
    *,
    schema: dict | None = None,
    confirmed_only: bool = False,
) -> Explanation:
    """Compute `metric` and explain its rows for `subject_id` back to figures, sources and quotes."""
    run = compute(con, [metric], schema=schema, confirmed_only=confirmed_only)
    if run.problems:
        raise AidealsError(run.problems[0].line())
    rows = [r for r in run.results if r.subject_id == subject_id]
    if not rows:
        known = sorted({r.subject_id for r in run.results})
        subjects = ", ".join(known[:EXPLAIN_SUBJECTS]) or "none"
        if len(known) > EXPLAIN_SUBJECTS:  # a one-line error, not a list of every subject
            subjects += f", and {len(known) - EXPLAIN_SUBJECTS:,} more: aideals metrics run {metric.name}"
        raise AidealsError(f"metric {metric.name}: no result for subject {subject_id!r} (subjects: {subjects})")
    ids = sorted({f for r in rows for f in r.figure_ids})
    cur = con.execute(EXPLAIN_FIGURES_SQL, [ids])
    names = [d[0] for d in cur.description]
    figures = [{k: _json_value(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]
    return Explanation(metric, subject_id, rows, figures)


def _json_value(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return _plain(v)


# -- rendering for the command line ------------------------------------------------------------


def format_number(value: float | None) -> str:
    """A number for people: thousands separators, at most four decimals, no trailing zeros."""
    if value is None:
        return ""
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)] if header else []
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def render_results(results: Sequence[MetricResult], fmt: str) -> str:
    """Result rows as `table`, `csv` or `json` text."""
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(RESULT_COLUMNS)
        for r in results:
            d = r.to_dict()
            d["figure_ids"] = " ".join(d["figure_ids"])
            writer.writerow(["" if d[c] is None else d[c] for c in RESULT_COLUMNS])
        return buf.getvalue().rstrip("\n")
    header = ["metric", "subject", "value", "value_high", "qualifier", "unit", "figures"]
    rows = [
        [
            r.metric,
            f"{r.subject_type} {r.subject_id}",
            format_number(r.value),
            format_number(r.value_high),
            r.qualifier or "",
            r.unit,
            str(len(r.figure_ids)),
        ]
        for r in results
    ]
    return text_table(header, rows)


def render_explanation(ex: Explanation) -> str:
    """An explanation as text: value, formula, note, then each input figure with its deal and status
    and its source."""
    m = ex.metric
    lines = [f"{m.name} ({m.title}) for {ex.subject_id}, from plugin {m.plugin}"]
    for r in ex.results:
        value = format_number(r.value)
        if r.value_high is not None:
            value += f" to {format_number(r.value_high)}"
        lines.append(f"  value:   {value} {r.unit} ({r.qualifier or 'unqualified'})")
        if r.note:
            lines.append(f"  note:    {r.note}")
    lines.append(f"  formula: {m.formula}")
    lines.append(f"  inputs ({len(ex.figures)} figures):")
    for f in ex.figures:
        value = format_number(f["value"])
        if f["value_high"] is not None:
            value += f" to {format_number(f['value_high'])}"
        direction = f" {f['from_party']} -> {f['to_party']}" if f["from_party"] else ""
        lines.append(f"  - {f['figure_id']}: {f['measure']}{direction} ({f['flow']}) = {value} {f['unit']} [{f['qualifier']}]")
        if f["deal_id"]:  # a rumoured deal's figure rests on reports no party confirmed
            lines.append(f"    deal:   {f['deal_id']} ({f['deal_status']})")
        lines.append(f"    source: {f['source_title']} ({f['source_publisher']}, {f['source_published'] or 'undated'})")
        lines.append(f"    url:    {f['source_url'] or '(none recorded)'}")
        lines.append(f"    quote:  \u201c{f['quote']}\u201d")
    return "\n".join(lines)


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    """Rows of a query as dicts (column name -> value): a convenience for metric functions."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def render_metrics(found: Sequence[Metric], *, as_json: bool = False) -> str:
    """The metric definitions as JSON or an aligned table (name, plugin, unit, title)."""
    if as_json:
        keys = ("name", "title", "description", "unit", "formula", "plugin")
        return json.dumps(
            [{**{k: getattr(m, k) for k in keys}, "kind": "sql" if m.sql else "function"} for m in found], indent=2
        )
    return text_table(["metric", "plugin", "unit", "title"], [[m.name, m.plugin, m.unit, m.title] for m in found])
