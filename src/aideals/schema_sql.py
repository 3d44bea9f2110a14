"""The Table Schema layer compiled to DuckDB SQL: one query per resource returns its failing cells.

The semantics follow frictionless-py 5 (the reference the tests compare against): cells are matched
to fields by position; a cell in `missingValues` is null; a type error hides the cell's other
constraints; `pattern` is anchored as `^pattern$`; numbers are Python `Decimal` literals after
stripping whitespace (`1_000`, ` 3e8 `, `NaN`, `Infinity`), and NaN fails every bound; dates are
`%Y-%m-%d` as `strptime` reads it (`2025-2-3` is a date, `2025-02-30` is not).

Every literal taken from a schema is passed as a query parameter; identifiers are quoted.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field

from aideals.db import connect as db_connect

# Python's Decimal() grammar (what frictionless accepts for a number), on the stripped cell.
NUMBER_RE = (
    r"^[+-]?(((\d(_?\d)*)(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?"
    r"|[sS]?[nN][aA][nN]\d*)$"
)
NAN_RE = r"^[+-]?[sS]?[nN][aA][nN]\d*$"
INTEGER_RE = r"^[+-]?\d(_?\d)*$"
# strptime("%Y-%m-%d"): four-digit year, month and day with or without a leading zero.
DATE_RE = r"^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$"
URI_SCHEME_RE = r"^[a-zA-Z][a-zA-Z0-9+.-]*:"
# What a spreadsheet formula starts with (the formula-injection check); all below 'A'.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The control characters a text cell may not hold (the control-character check), as RE2 sees them:
# C0 but tab, line feed and carriage return (a quoted cell may span lines), DEL, and C1
# (U+0080-U+009F; U+009B is a terminal's one-character CSI). A terminal acts on them rather than
# showing them: ESC starts the sequences that clear the screen, recolour or set the window title.
CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}]"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # the same, for Python
STRIP_RE = r"^\s+|\s+$"

TYPE_NAMES = {
    "number": "a number",
    "integer": "an integer",
    "date": "a date (YYYY-MM-DD)",
    "boolean": "a boolean (true or false)",
}


@dataclass
class Sql:
    """A piece of SQL and the parameters its `?` placeholders take, in order."""

    text: str
    params: list = field(default_factory=list)

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, list(self.params))
        return Sql(self.text + other.text, self.params + other.params)


def lit(value: object) -> Sql:
    """A parameter placeholder for a value taken from a schema."""
    return Sql("?", [value])


def anchored(pattern: str) -> str:
    """A Table Schema pattern as frictionless runs it, for DuckDB: `re.match("^" + p + "$")`.

    frictionless adds ^ and $ without a group, so in `a|b` they bind to the first and the last
    alternative only (`^a|b$`); Python's `match` then anchors the whole at the start, and its `$`
    also matches before a final newline. DuckDB searches anywhere: the whole is wrapped in one more
    start anchor, and `$` becomes `\\n?$`.
    """
    return "^(?:^" + pattern + "\\n?$)"


_REGEX_LOCK = threading.Lock()
_REGEX_CON: list = []  # one private in-memory connection, made at the first pattern


@functools.lru_cache(maxsize=512)
def regex_problem(pattern: str) -> str | None:
    """Why DuckDB cannot run `pattern` (its engine, RE2, has no lookaround or backreferences),
    or None when it can. Asked of a private connection (not DuckDB's shared default one, which a
    caller may be using; one for the process, since making one costs about 10 ms), once per
    pattern."""
    import duckdb

    with _REGEX_LOCK:
        if not _REGEX_CON:
            _REGEX_CON.append(db_connect(":memory:", config={"threads": 1}))
        try:
            _REGEX_CON[0].execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            return " ".join(str(exc).split())
    return None


def stripped(cell: str) -> str:
    return f"regexp_replace({cell}, '{STRIP_RE}', '', 'g')"


def number_value(cell: str) -> str:
    """The DOUBLE a valid number cell holds (NULL when it does not parse).

    Plain decimals (`-12.5`) are cast at once; other cells are checked against the grammar with
    their surrounding whitespace allowed, and the costly strip and underscore removal only run
    when DuckDB's own cast refuses a cell the grammar accepts.
    """
    body = NUMBER_RE[1:-1]
    s = stripped(cell)
    return (
        f"(CASE WHEN regexp_full_match({cell}, '-?\\d{{1,15}}(\\.\\d{{1,15}})?') THEN CAST({cell} AS DOUBLE) "
        f"WHEN regexp_matches({cell}, '^\\s*(?:{body})\\s*$') THEN coalesce(TRY_CAST({cell} AS DOUBLE), "
        f"CASE WHEN regexp_matches({s}, '{NAN_RE}') THEN 'NaN'::DOUBLE END, "
        f"TRY_CAST(replace({s}, '_', '') AS DOUBLE)) END)"
    )


def date_value(cell: str) -> str:
    """The DATE a valid date cell holds (NULL when it is no date, e.g. 2025-02-30, or year 0000).

    The common form (2025-03-07) is DuckDB's own cast; only other cells that look like a date
    (2025-3-7) go through the regular expression.
    """
    return (
        f"(CASE WHEN {cell} < '0001' THEN NULL "
        f"WHEN regexp_full_match({cell}, '\\d{{4}}-\\d\\d-\\d\\d') THEN TRY_CAST({cell} AS DATE) "
        f"WHEN regexp_matches({cell}, '{DATE_RE}') THEN TRY(make_date("
        f"CAST(regexp_extract({cell}, '{DATE_RE}', 1) AS BIGINT), "
        f"CAST(regexp_extract({cell}, '{DATE_RE}', 2) AS BIGINT), "
        f"CAST(trim(regexp_extract({cell}, '{DATE_RE}', 3)) AS BIGINT))) END)"
    )


def typed_value(kind: str, cell: str, fmt: str | None = None) -> str:
    """SQL for the typed value of a cell (NULL when it does not parse); strings stay as they are."""
    if kind == "number":
        return number_value(cell)
    if kind == "integer":
        s = stripped(cell)
        return f"(CASE WHEN regexp_matches({s}, '{INTEGER_RE}') THEN TRY_CAST(replace({s}, '_', '') AS HUGEINT) END)"
    if kind == "date":
        return date_value(cell)
    if kind == "boolean":
        return (
            f"(CASE WHEN {cell} IN ('true', 'True', 'TRUE', '1') THEN true "
            f"WHEN {cell} IN ('false', 'False', 'FALSE', '0') THEN false END)"
        )
    if kind == "string" and fmt == "uri":
        return f"(CASE WHEN regexp_matches({cell}, '{URI_SCHEME_RE}') THEN {cell} END)"
    return cell


def type_label(kind: str, fmt: str | None) -> str:
    if kind == "string" and fmt == "uri":
        return "a URI with a scheme (https://...)"
    return TYPE_NAMES.get(kind, f"a {kind}")


def show(expr: str) -> str:
    """A cell as shown in a message: quoted, cut at 60 characters."""
    return (
        f"('\"' || CASE WHEN length({expr}) > 60 THEN left({expr}, 57) || '...' ELSE {expr} END || '\"')"
    )


@dataclass(frozen=True)
class CellCheck:
    """One check on one field: a condition on a row that is true when the cell fails."""

    field: str
    check: str
    failing: Sql
    message: Sql
    value: str | None


def constraint_checks(fld: dict, cell: str, typed: str) -> list[CellCheck]:
    """The constraint checks of one field (its cell is non-null and of the right type)."""
    name = fld["name"]
    kind = fld.get("type", "string")
    cons = fld.get("constraints", {}) or {}
    out: list[CellCheck] = []
    if "enum" in cons:
        options = [str(v) for v in cons["enum"]]
        if kind in ("number", "integer"):
            cond = Sql(f"NOT list_contains(?::DOUBLE[], {typed}::DOUBLE)", [[float(v) for v in cons["enum"]]])
        elif kind == "date":
            cond = Sql(f"NOT list_contains(?::DATE[], {typed})", [options])
        else:
            cond = Sql(f"NOT list_contains(?::VARCHAR[], {typed})", [options])
        out.append(CellCheck(name, "constraint-error", cond, Sql(f"{show(cell)} || ?", [" is not one of: " + ", ".join(options)]), cell))
    if "pattern" in cons:
        cond = Sql(f"NOT regexp_matches({typed}, ?)", [anchored(cons["pattern"])])
        out.append(CellCheck(name, "constraint-error", cond, Sql(f"{show(cell)} || ?", [f" does not match the pattern {cons['pattern']}"]), cell))
    for key, op, words in (("minLength", "<", "shorter than"), ("maxLength", ">", "longer than")):
        if key in cons and kind == "string":
            cond = Sql(f"length({typed}) {op} ?", [int(cons[key])])
            msg = Sql(f"'is ' || length({cell}) || ?", [f" characters long, {words} {cons[key]}"])
            out.append(CellCheck(name, "constraint-error", cond, msg, cell))
    bounds = (
        ("minimum", "<", "below the minimum"),
        ("maximum", ">", "above the maximum"),
        ("exclusiveMinimum", "<=", "not above the exclusive minimum"),
        ("exclusiveMaximum", ">=", "not below the exclusive maximum"),
    )
    for key, op, words in bounds:
        if key in cons and kind in ("number", "integer", "date"):
            bound = Sql("?::DATE", [str(cons[key])]) if kind == "date" else Sql("?::DOUBLE", [float(cons[key])])
            nan = f"isnan({typed}::DOUBLE) OR " if kind == "number" else ""
            cond = Sql(f"({nan}{typed} {op} ") + bound + ")"
            out.append(CellCheck(name, "constraint-error", cond, Sql(f"{show(cell)} || ?", [f" is {words} {cons[key]}"]), cell))
    return out


def field_checks(fld: dict, cell: str, null: Sql, typed: str | None = None) -> list[CellCheck]:
    """required, type and constraint checks of one field over its raw cell expression.

    `null` is the SQL test for a missing value of the cell; `typed` an expression (or column)
    holding its typed value, computed from the cell when not given.
    """
    name = fld["name"]
    kind = fld.get("type", "string")
    fmt = fld.get("format")
    cons = fld.get("constraints", {}) or {}
    if typed is None:
        typed = typed_value(kind, cell, fmt)
    nonnull = Sql("NOT ") + null + " AND "
    out: list[CellCheck] = []
    if cons.get("required"):
        out.append(CellCheck(name, "constraint-error", null, Sql("'is required but empty'"), cell))
    if typed_value(kind, cell, fmt) != cell:
        out.append(
            CellCheck(name, "type-error", nonnull + f"{typed} IS NULL",
                      Sql(f"{show(cell)} || ?", [f" is not {type_label(kind, fmt)}"]), cell)
        )
    for c in constraint_checks(fld, cell, typed):
        out.append(CellCheck(c.field, c.check, nonnull + f"{typed} IS NOT NULL AND " + c.failing, c.message, c.value))
    if kind == "number":
        # Table Schema reads NaN, INF and 1e400 as numbers (frictionless too); no figure is one, and
        # the release's Parquet, report and metrics cannot hold them (aideals only).
        out.append(
            CellCheck(name, "not-finite", nonnull + f"{typed} IS NOT NULL AND NOT isfinite({typed})",
                      Sql(f"{show(cell)} || ?", [" is not a finite number"]), cell)
        )
    if kind == "string":
        out.append(
            # The characters are all below '0' or in '='..'@': a cheap range test first.
            CellCheck(name, "formula-injection", nonnull + f"({cell} < '0' OR ({cell} >= '=' AND {cell} < 'A')) AND "
                      f"left({cell}, 1) IN ({_formula_starts()})",
                      Sql(f"{show(cell)} || ' starts with ' || {show(f'left({cell}, 1)')} || ?",
                          [": a spreadsheet would run it as a formula"]), cell)
        )
        found = f"regexp_extract({cell}, '{CONTROL_RE}')"
        out.append(
            CellCheck(name, "control-character", nonnull + f"regexp_matches({cell}, '{CONTROL_RE}')",
                      Sql(f"{show(cell)} || ' holds the control character \"' || printf('\\u%04x', ord({found})) "
                          f"|| '\" (character ' || strpos({cell}, {found}) || ?",
                          ["): a terminal would act on it rather than show it"]), cell)
        )
    return out


def field_ok(fld: dict, cell: str, missing_values: list[str], typed: str, controls: bool = True) -> Sql | None:
    """A cheap condition on one cell that is true only when none of `field_checks` fails on it
    (None when no check can fail). It may be false or NULL for a cell that passes: the scan then
    keeps that row's raw cells, and the full checks run on the few rows kept.

    A cell of an enum whose every option passes the field's other checks is fine exactly when it
    is one of the options; a text cell starting with a letter (or any character from 'A' up) cannot
    be a formula; otherwise each constraint's failing condition is negated. `controls`: whether
    a text cell is tested for control characters (the caller may know the file holds none).
    """
    kind = fld.get("type", "string")
    fmt = fld.get("format")
    cons = fld.get("constraints", {}) or {}
    null = missing_test(cell, missing_values)
    terms: list[Sql] = []
    # Whether the terms are false or NULL for a missing cell (then `required` needs no test of its own).
    fail_when_missing = False
    options = [str(v) for v in cons.get("enum", [])]
    if kind == "string" and fmt is None and "enum" in cons and all(_option_passes(fld, o) for o in options):
        terms.append(Sql(f"list_contains(?::VARCHAR[], {cell})", [options]))
        fail_when_missing = not set(options) & set(missing_values)
    else:
        if typed_value(kind, cell, fmt) != cell:
            # A typed value is NULL for a missing cell.
            terms.append(Sql(f"{typed} IS NOT NULL"))
            fail_when_missing = True
        for c in constraint_checks(fld, cell, typed):
            terms.append(Sql("NOT (") + c.failing + ")")
        if kind == "number":
            terms.append(Sql(f"isfinite({typed})"))
        if kind == "string":
            terms.append(Sql(f"({cell} >= 'A' OR left({cell}, 1) NOT IN ({_formula_starts()}))"))
            if controls:
                terms.append(Sql(f"NOT regexp_matches({cell}, '{CONTROL_RE}')"))
    if not terms and not cons.get("required"):
        return None
    if not cons.get("required"):
        return Sql("(") + null + " OR " + joined(terms, " AND ") + ")"
    if not fail_when_missing:
        terms.insert(0, Sql("NOT ") + null)
    return Sql("(") + joined(terms, " AND ") + ")"


def _formula_starts() -> str:
    """The characters a spreadsheet formula starts with, as an SQL list (all below 'A')."""
    return ", ".join(f"chr({ord(ch)})" for ch in FORMULA_STARTS)


def _option_passes(fld: dict, option: str) -> bool:
    """Whether an enum option of a text field passes the field's other checks (pattern, lengths,
    formula, control characters): a cell equal to it then needs no other test."""
    cons = fld.get("constraints", {}) or {}
    if option == "" or option[0] in FORMULA_STARTS or CONTROL_CHARS.search(option):
        return False
    if "pattern" in cons:  # anchored as frictionless does (see constraint_checks): not worth mimicking here
        return False
    if "minLength" in cons and len(option) < int(cons["minLength"]):
        return False
    return not ("maxLength" in cons and len(option) > int(cons["maxLength"]))


def joined(parts: list[Sql], sep: str) -> Sql:
    """The pieces of SQL `parts` one after the other, with `sep` between them."""
    out = Sql("")
    for j, p in enumerate(parts):
        out = out + (sep if j else "") + p
    return out


def union_all(parts: list[Sql]) -> Sql:
    """The UNION ALL of several queries with the same columns."""
    return joined(parts, "\nUNION ALL\n")


def failure(cond: Sql, field: str | None, check: str, message: Sql, value: str) -> Sql:
    """One item of a row's list of failures: the struct (field, check, message, value) when
    `cond` is true, else NULL. `value` is an SQL expression of type VARCHAR."""
    return (
        Sql("CASE WHEN ") + cond
        + Sql(" THEN {'field': ?::VARCHAR, 'check': ?::VARCHAR, 'message': ", [field, check])
        + message + f", 'value': {value}}} END"
    )


NO_FAILURES = Sql("[]::STRUCT(field VARCHAR, \"check\" VARCHAR, message VARCHAR, value VARCHAR)[]")


def failures(items: list[Sql]) -> Sql:
    """The list of the failures of a row among `items` (see `failure`), the passing ones left out."""
    return Sql("list_filter([") + joined(items, ", ") + "], lambda x: x IS NOT NULL)"


def cell_failures(
    fields: list[dict], labels: list[str], missing_values: list[str], ragged: bool, only: set[int] | None = None
) -> Sql:
    """The failures of one row's cells, as an expression: a list of structs (field, check, message,
    value), empty when every cell passes.

    It reads one raw column per header position (`c0`, `c1`, ...), the typed value of each
    (`t0`, `t1`, ...) and, when `ragged`, `_n` (the number of cells in the row). It is meant for
    the few rows the scan's quick test (`field_ok`) did not clear: every check is evaluated.
    Fields past the header's last label are not checked (frictionless reports them once, as
    missing labels). `only`, when given, is the positions of the fields to check (the others are
    known to pass).
    """
    items: list[Sql] = []
    n_labels = len(labels)

    def add(cond: Sql, field: str | None, check: str, message: Sql, value: str | None) -> None:
        items.append(failure(cond, field, check, message, f"CAST({value or 'NULL'} AS VARCHAR)"))

    for i, fld in enumerate(fields[:n_labels]):
        if only is not None and i not in only:
            continue
        for c in field_checks(fld, f"c{i}", missing_test(f"c{i}", missing_values), typed=f"t{i}"):
            add(c.failing, c.field, c.check, c.message, c.value)
    if ragged:
        for i in range(n_labels):
            name = fields[i]["name"] if i < len(fields) else (labels[i] or None)  # a blank label names no field
            msg = Sql("?", [f"missing cell: the row has fewer cells than the header's {n_labels}"])
            add(Sql(f"_n <= {i}"), name, "missing-cell", msg, None)
    return failures(items) if items else NO_FAILURES


def missing_test(cell: str, missing_values: list[str]) -> Sql:
    """SQL true when `cell` is no value: no cell at all (a short row), or one of `missingValues`."""
    if list(missing_values) == [""]:
        return Sql(f"coalesce({cell}, '') = ''")
    return Sql(f"({cell} IS NULL OR list_contains(?::VARCHAR[], {cell}))", [list(missing_values)])
