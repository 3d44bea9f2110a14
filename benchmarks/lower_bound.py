"""A lower bound for any validator written as DuckDB SQL over the CSV text, against the bare scan.

    python benchmarks/lower_bound.py PACKAGE_DIR [--repeat 3]

It takes the scan of figures.csv that `aideals validate` runs (typing and quick-testing every cell,
the row rules), and turns it into one aggregate query that also counts the primary key's distinct
values and the figures whose foreign keys dangle, with the referenced ids already in memory.
That query keeps nothing: no typed columns are stored, no row numbers kept, and the other three
files, the cross-table checks and Python's start-up are left out. A validator that reports the
rows of its findings can only be slower. It then times that query and `benchmarks/bare_scan.py`
(a fresh process parsing every cell of the four files), alternating, and prints the least time of
each and their ratio.

The statement is captured from a run of `aideals validate` on the package (so it follows the
engine as it changes), which is not timed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = 'CREATE TABLE "checked_figures" AS '


def capture_scan(root: Path) -> tuple[str, list]:
    """The figures scan `aideals validate` runs on ROOT: its SELECT and parameters."""
    from aideals import checks
    from aideals.cli import main

    seen: list[tuple[str, list]] = []
    original = checks.connect

    class Recorder:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args):
            if isinstance(sql, str) and sql.startswith(PREFIX):
                seen.append((sql[len(PREFIX):], list(args[0]) if args else []))
            return self._con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._con, name)

    def recording_connect():
        con, tmp = original()
        return Recorder(con), tmp

    checks.connect = recording_connect
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the findings are not what is measured
            main(["validate", "--json", str(root)])
    except SystemExit:
        pass
    finally:
        checks.connect = original
    if not seen:
        sys.exit("lower_bound: aideals validate ran no scan of figures.csv (is the header intact?)")
    return seen[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = args.package.resolve()

    import csv

    from aideals import checks

    select, params = capture_scan(root)
    schema = json.loads((root / "schemas" / "figures.schema.json").read_text(encoding="utf-8"))
    with open(root / "data" / "figures.csv", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    col = {name: f"t{i}" for i, name in enumerate(header)}

    con, tmp = checks.connect()
    try:
        _bound(con, root, col, schema, select, params, args.repeat)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _bound(con, root: Path, col: dict[str, str], schema: dict, select: str, params: list, repeat: int) -> None:
    parts = ["count(*)", "count(_raw)"]
    for name in schema["primaryKey"]:
        parts.append(f"count(DISTINCT {col[name]})")
    for n, fk in enumerate(schema.get("foreignKeys", [])):
        (field,), ref = fk["fields"], fk["reference"]
        (ref_field,) = ref["fields"]
        ref_path = root / "data" / f"{ref['resource']}.csv"
        con.execute(
            f'CREATE TABLE ref{n} AS SELECT "{ref_field}" AS id FROM read_csv(?, all_varchar = true)',
            [str(ref_path)],
        )
        parts.append(f"count(*) FILTER (WHERE {col[field]} IS NOT NULL AND {col[field]} NOT IN (SELECT id FROM ref{n}))")
    query = f"SELECT {', '.join(parts)} FROM ({select})"

    bare, bound = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "bare_scan.py"), str(root)], check=True, capture_output=True)
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        row = con.execute(query, params).fetchone()
        bound.append(time.perf_counter() - t0)
        print(f"bare scan {bare[-1]:.2f} s, figures bound {bound[-1]:.2f} s", flush=True)
    # The scan reads the header as its first row (as aideals validate does), so it counts once in
    # each number below: as a failing row, a distinct id and a dangling key of every foreign key.
    print(f"rows scanned {row[0] - 1:,}; rows failing a cell test or row rule {row[1] - 1:,}; "
          f"distinct figure ids {row[2] - 1:,}; dangling foreign keys {[n - 1 for n in row[3:]]}")
    print(f"least: bare scan {min(bare):.2f} s, figures bound {min(bound):.2f} s, "
          f"ratio {min(bound) / min(bare):.2f}x")


if __name__ == "__main__":
    main()
