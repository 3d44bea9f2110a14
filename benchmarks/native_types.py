"""Could DuckDB's own typed CSV reading replace validate's typing of cells? Times it, and lists
the cells it accepts that the Table Schema refuses.

    python benchmarks/native_types.py PACKAGE_DIR [--repeat N]

`aideals validate` reads every cell as text and types numbers and dates with SQL expressions
(`aideals.schema_sql`), which is much of the scan's cost. DuckDB's CSV reader can type cells as it
parses them: `columns` with DOUBLE, DATE and ENUM types (an enum field's options), the cells it
cannot type set aside with `store_rejects`. This script:

1. probes that reader with cells of numbers and dates and prints every cell it types although the
   Table Schema refuses it (Python's `Decimal` and `strptime('%Y-%m-%d')`, as frictionless-py
   reads them): a validator built on it would not see those defects, since the text of the cell is
   gone once typed;
2. times, on the package's figures.csv, the quick test of every row on those typed columns (what
   is left of validate's quick test: required fields, text not starting like a formula, the id
   pattern, lengths, bounds, finite numbers, the row rules on ranges and percent), counting the
   rows it does not clear and the rows set aside, against `benchmarks/bare_scan.py` (a fresh
   process parsing the four files as text), alternating, and prints the least time of each.

It stores nothing and leaves out what validate does after the scan (keys, cross-table checks).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

HERE = Path(__file__).resolve().parent

NUMBERS = ["+-92", "1e", " 5", "5 ", "0x10", "1_000", "1__0", "5.", "+.5", "1e5", "-Infinity", "nan",
           "NaN1", "1.2.3", "--1", "0b1"]
DATES = ["2025-2-3", "2025-02-03 ", " 2025-02-03", "02025-02-03", "+2025-02-03", "2025-02-30",
         "0000-01-01", "2025-02- 3", "2025-02-03T00:00", "2025/02/03"]
TYPES = {"number": "DOUBLE", "date": "DATE", "string": "VARCHAR"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def schema_number(cell: str) -> bool:
    try:
        Decimal(cell.strip())
    except InvalidOperation:
        return False
    return True


def schema_date(cell: str) -> bool:
    try:
        datetime.strptime(cell, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def reader(path: Path, columns: dict[str, str], rejects: str, extra: str = "") -> str:
    """read_csv typing the columns, the cells it cannot type in the tables REJECTS_errors and
    REJECTS_scans (DuckDB appends to its default tables across scans)."""
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    return (f"read_csv('{path}', columns = {cols}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', store_rejects = true, rejects_table = '{rejects}_errors', "
            f"rejects_scan = '{rejects}_scans'{extra})")


def typed_by_duckdb(con, tmp: Path, cells: list[str], typ: str, extra: str = "") -> list[bool]:
    path = tmp / "probe.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(["x"])
        w.writerows([c] for c in cells)
    # fetchone() would leave the reject tables unwritten
    con.execute(f"SELECT count(x) FROM {reader(path, {'x': typ}, 'probe_' + typ, extra)}").fetchall()
    rejected = {line for (line,) in con.execute(f"SELECT line FROM probe_{typ}_errors").fetchall()}
    return [i + 2 not in rejected for i in range(len(cells))]


def probe(con, tmp: Path) -> None:
    for label, cells, typ, extra, check in [
        ("number", NUMBERS, "DOUBLE", "", schema_number),
        ("date", DATES, "DATE", ", dateformat = '%Y-%m-%d'", schema_date),
    ]:
        typed = typed_by_duckdb(con, tmp, cells, typ, extra)
        lenient = [c for c, ok in zip(cells, typed) if ok and not check(c)]
        print(f"{label}: typed by DuckDB, refused by the Table Schema: {', '.join(map(repr, lenient)) or 'none'}")


def quick_test(con, root: Path):
    """A function of a name for the reject tables giving the query of the quick test of
    figures.csv (the enum types are created once, here)."""
    schema = json.loads((root / "schemas" / "figures.schema.json").read_text(encoding="utf-8"))
    columns, conds = {}, []
    for fld in schema["fields"]:
        name, kind, cons = fld["name"], fld.get("type", "string"), fld.get("constraints", {}) or {}
        terms = []
        if "enum" in cons:
            options = ", ".join("'" + str(o).replace("'", "''") + "'" for o in cons["enum"])
            con.execute(f'CREATE TYPE "enum_{name}" AS ENUM ({options})')
            columns[name] = f"enum_{name}"
        else:
            columns[name] = TYPES[kind]
        if kind == "string" and "enum" not in cons:
            starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
            terms.append(f'("{name}" >= \'A\' OR left("{name}", 1) NOT IN ({starts}))')
            if "pattern" in cons:
                terms.append(f"""regexp_full_match("{name}", '{cons["pattern"]}')""")
            if "maxLength" in cons:
                terms.append(f'length("{name}") <= {int(cons["maxLength"])}')
            if "minLength" in cons:
                terms.append(f'length("{name}") >= {int(cons["minLength"])}')
        if kind == "number":
            terms.append(f'isfinite("{name}")')
            if "minimum" in cons:
                terms.append(f'"{name}" >= {cons["minimum"]}')
        if cons.get("required"):
            terms.insert(0, f'"{name}" IS NOT NULL')
        if terms:
            cond = " AND ".join(terms)
            conds.append(cond if cons.get("required") else f'("{name}" IS NULL OR ({cond}))')
    conds += ["(value_high IS NULL OR value_high >= value)",
              "(period_start IS NULL OR period_end IS NULL OR period_end >= period_start)",
              "(unit <> 'percent' OR value <= 100)"]
    ok = " AND ".join(f"coalesce({c}, false)" for c in conds)
    counts = ", ".join(f'count("{name}")' for name in columns)  # every column typed, as validate does
    path = root / "data" / "figures.csv"
    return lambda rejects: (f"SELECT count(*), count(*) FILTER (WHERE NOT ({ok})), {counts} "
                            f"FROM {reader(path, columns, rejects, ', dateformat = ' + chr(39) + '%Y-%m-%d' + chr(39))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = args.package.resolve()

    from aideals import checks

    con, spill = checks.connect()
    tmp = Path(tempfile.mkdtemp(prefix="aideals-native-"))
    try:
        probe(con, tmp)
        query = quick_test(con, root)
        bare, native = [], []
        for n in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(HERE / "bare_scan.py"), str(root)], check=True, capture_output=True)
            bare.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            (row,) = con.execute(query(f"figures{n}")).fetchall()
            native.append(time.perf_counter() - t0)
        rejected = con.execute("SELECT count(DISTINCT line) FROM figures0_errors").fetchone()[0]
        print(f"rows typed {row[0]:,}; rows set aside by the reader {rejected:,}; rows not cleared {row[1]:,}")
        print(f"least: bare scan {min(bare):.2f} s, typed quick test {min(native):.2f} s, "
              f"ratio {min(native) / min(bare):.2f}x")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
