"""The floor for validate: DuckDB parsing every cell of a package's CSVs as text, nothing else.

    python benchmarks/bare_scan.py PACKAGE_DIR

Same settings as `aideals validate` (AIDEALS_THREADS, AIDEALS_MEMORY_LIMIT, a spill directory) and
the same read_csv options (no sniffing, every column VARCHAR, the same buffer size).
`count(column)` of every column makes DuckDB parse each cell (a bare `count(*)` may skip the
columns). Prints the row counts.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from aideals.db import resource_config

TABLES = ("parties", "sources", "deals", "figures")


def buffer_size(size: int, threads: int) -> int:
    """aideals.checks.csv_buffer_size of a bare validate, copied (the floor imports no more of
    aideals than it needs; tests/test_scale.py checks that both agree)."""
    return max(4 * 1024 * 1024, min(16 * 1024 * 1024, size // (2 * max(1, threads))))


def main() -> None:
    root = Path(sys.argv[1])
    spill = tempfile.mkdtemp(prefix="aideals-bare-")
    con = duckdb.connect(":memory:", config=resource_config(spill))
    try:
        threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
        for name in TABLES:
            path = root / "data" / f"{name}.csv"
            with open(path, encoding="utf-8", newline="") as fh:
                width = len(next(csv.reader(fh)))
            cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
            counts = ", ".join(f"count(c{i})" for i in range(width))
            row = con.execute(
                f"SELECT count(*), {counts} FROM read_csv(?, columns = {cols}, header = true, quote = '\"', "
                "escape = '\"', delim = ',', auto_detect = false, "
                f"buffer_size = {buffer_size(path.stat().st_size, threads)})",
                [str(path)],
            ).fetchone()
            print(name, row[0])
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


if __name__ == "__main__":
    main()
