"""Could another CSV reader give validate more room? Times the readers at hand on figures.csv.

    python benchmarks/parsers.py PACKAGE_DIR [--repeat N]

Each reader parses every cell of the package's `figures.csv` as text, in a fresh Python process
(start-up and imports included, as in the bare scan), and the least wall time and the peak RSS of
N runs (default 3) are printed:

- `duckdb`: the bare scan's query (`benchmarks/bare_scan.py`), on figures.csv alone;
- `pyarrow-stream`: pyarrow's streaming CSV reader (bounded memory; it parses on one thread);
- `pyarrow-table`: pyarrow's multithreaded reader into one table (holds every cell in memory);
- `polars`: `scan_csv` with every column a string, counting each column (run only when polars is
  installed: it is not a dependency of aideals).

A validator built on a reader must parse no slower than the bare scan and stay under 2 GiB; the
results are in benchmarks/README.md ("Where the time goes").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from run import timed

HERE = Path(__file__).resolve().parent

PYARROW = """
import sys
import pyarrow as pa, pyarrow.csv as pc
path = sys.argv[1]
cols = open(path, encoding="utf-8").readline().rstrip("\\r\\n").split(",")
types = pc.ConvertOptions(column_types={c: pa.string() for c in cols})
if sys.argv[2] == "stream":
    rows = sum(b.num_rows for b in pc.open_csv(path, convert_options=types,
                                               read_options=pc.ReadOptions(block_size=16 << 20)))
else:
    rows = pc.read_csv(path, convert_options=types).num_rows
print(rows)
"""

POLARS = """
import sys
import polars as pl
path = sys.argv[1]
cols = open(path, encoding="utf-8").readline().rstrip("\\r\\n").split(",")
frame = pl.scan_csv(path, schema={c: pl.String for c in cols}, quote_char='"')
print(frame.select([pl.len()] + [pl.col(c).count() for c in cols]).collect().item(0, 0))
"""

DUCKDB = """
import sys
sys.path.insert(0, sys.argv[2])
import bare_scan
bare_scan.TABLES = ("figures",)
sys.argv = [sys.argv[0], sys.argv[1]]
bare_scan.main()
"""


def run(argv: list[str], out: Path) -> tuple[float, float, str]:
    """Wall time, peak RSS (MiB) and output of one subprocess (run.py's `timed`: wait4)."""
    wall, rss, code = timed(argv, out)
    if code:
        raise SystemExit(f"{argv[3:]} failed with exit code {code}")
    return wall, rss, out.read_text(encoding="utf-8").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = args.package / "data" / "figures.csv"
    readers = {
        "duckdb": [sys.executable, "-c", DUCKDB, str(args.package), str(HERE)],
        "pyarrow-stream": [sys.executable, "-c", PYARROW, str(figures), "stream"],
        "pyarrow-table": [sys.executable, "-c", PYARROW, str(figures), "table"],
    }
    try:
        import polars  # noqa: F401

        readers["polars"] = [sys.executable, "-c", POLARS, str(figures)]
    except ImportError:
        print("polars: not installed, skipped")
    walls: dict[str, list[float]] = {name: [] for name in readers}
    peaks: dict[str, float] = dict.fromkeys(readers, 0.0)
    rows: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="aideals-parsers-") as tmp:
        for _ in range(args.repeat):
            for name, argv in readers.items():
                wall, rss, out = run(argv, Path(tmp) / f"{name}.out")
                walls[name].append(wall)
                peaks[name] = max(peaks[name], rss)
                rows[name] = out.split()[-1]
    for name in readers:
        print(f"{name:15} {min(walls[name]):6.2f} s  {peaks[name]:7.0f} MiB  {rows[name]} rows")


if __name__ == "__main__":
    main()
