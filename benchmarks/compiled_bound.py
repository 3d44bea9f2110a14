"""What a compiled checker of figures.csv costs at least, against the bare scan.

    python benchmarks/compiled_bound.py PACKAGE_DIR [--repeat 3]

`benchmarks/lower_bound.py` shows that validate's checks written as DuckDB SQL cannot fit in 3x the
bare scan at 10M rows; its conclusion was that it would take a purpose-built, compiled CSV reader
and checker. This script measures a prototype of one, compiled with numba (not a dependency of
aideals: `pip install numba`; without it the script says so and exits 0). It reads figures.csv of
a package written by `benchmarks/generate.py` (its 18 columns, checked against the header) in
blocks of 128 MiB, each split between two threads, and for every row:

- finds the fields, with double quotes (a quoted field is tested without its quotes);
- runs a quick test that clears a row or sends it to the full checks, as the scan of
  `aideals validate` does, stricter than the Table Schema where that is simpler (a row not
  cleared costs a full check, never a missed finding): required cells, enum options, numbers as
  `[0-9]+(.[0-9]+)?` (so at least 0), dates as valid ISO days, the figure_id pattern and length,
  text not starting like a spreadsheet formula, the quote's length, the 10 row rules of
  `schemas/figures.rules.json` written out by hand; any byte above 127 or a carriage return sends
  the row to the full checks (no UTF-8 validation or character counting is written);
- hashes the primary key and the five foreign keys (64-bit FNV-1a): the figure ids go into an
  open-addressing set (a hash seen twice counts as a duplicate) and the foreign keys are probed
  against sets of the referenced ids' hashes (the first column of the other three files).

So it does less than a validator must, and what it leaves out only adds time: no UTF-8 test, no
exact comparison of keys whose hashes match (a collision would hide a dangling key or report a
false duplicate), no full checks or messages for the rows not cleared, no checks of the other three
files beyond reading their ids, no cross-table checks, no aideals start-up; and the row rules and
field tests are written for this one schema, where aideals compiles them from the package's
schemas. Compiling takes seconds and is cached (NUMBA_CACHE_DIR, a temporary directory here): one
untimed run warms the cache, as an installed engine would ship it compiled. Then the check (a fresh
process each time, numba's import included) and `benchmarks/bare_scan.py` run alternately and the
least time of each and their ratio are printed. Peak RSS is printed too: the key sets are held in
memory (the figure id set has at least twice as many slots as rows).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["figure_id", "deal_id", "party_id", "from_party", "to_party", "flow", "measure", "value",
           "value_high", "unit", "qualifier", "component", "period_start", "period_end", "as_of",
           "source_id", "quote", "note"]
KEYS = {"deal_id": "deals", "party_id": "parties", "from_party": "parties", "to_party": "parties",
        "source_id": "sources"}
# the enum options the row rules of compiled_kernels.check name by their index
OPTIONS = {
    "measure": ["amount", "power", "equity_stake", "shares", "duration", "revenue", "net_loss", "valuation",
                "unit_cost", "chip_count", "commitments_total", "backlog"],
    "unit": ["USD", "EUR", "GBP", "JPY", "CNY", "KRW", "INR", "AUD", "CAD", "SGD", "HKD", "TWD", "CHF", "SEK",
             "NOK", "DKK", "SAR", "AED", "QAR", "BRL", "MYR", "MXN", "ZAR", "CLP", "COP", "ILS", "IDR", "THB",
             "PLN", "CZK", "TRY", "NZD", "GW", "MW", "percent", "shares", "years", "chips",
             "USD_per_GW"],
    "qualifier": ["exact", "approximately", "up_to", "at_least", "more_than", "range", "estimate"],
}
BLOCK = 128 << 20


def bits_for(n: int) -> int:
    """Slots of a set for N hashes: a power of two at least twice N."""
    return max(10, (2 * max(n, 1) - 1).bit_length())


def line_end_before(buf, end: int) -> int:
    """The offset just after the last line end in buf[:end] (0 if none), looking back 1 MiB at a
    time rather than copying the block."""
    hi = end
    while hi > 0:
        lo = max(0, hi - (1 << 20))
        found = bytes(buf[lo:hi]).rfind(b"\n")
        if found >= 0:
            return lo + found + 1
        hi = lo
    return 0


def line_end_after(buf, start: int, end: int) -> int:
    """The offset just after the first line end in buf[start:end] (END if none)."""
    lo = start
    while lo < end:
        hi = min(end, lo + (1 << 20))
        found = bytes(buf[lo:hi]).find(b"\n")
        if found >= 0:
            return lo + found + 1
        lo = hi
    return end


def once(root: Path) -> None:
    """Check ROOT's figures.csv once and print the counts."""
    import numpy as np
    import compiled_kernels as ck
    from compiled_kernels import (K_DATE, K_ENUM, K_ID, K_NUM, K_QUOTE, K_TEXT, check_block, first_cells, insert,
                                  missing, rows_and_quotes_of)
    units = OPTIONS["unit"]
    if units.index("GW") != ck.LAST_CURRENCY + 1 or [units.index(u) for u in (
            "GW", "MW", "percent", "shares", "years", "chips", "USD_per_GW")] != [
            ck.U_GW, ck.U_MW, ck.U_PERCENT, ck.U_SHARES, ck.U_YEARS, ck.U_CHIPS, ck.U_USD_PER_GW]:
        raise SystemExit("compiled_kernels' unit indices do not match OPTIONS['unit']")
    # each measure option has its constant M_<NAME> in compiled_kernels, equal to its index
    if [getattr(ck, "M_" + m.upper(), None) for m in OPTIONS["measure"]] != list(range(len(OPTIONS["measure"]))):
        raise SystemExit("compiled_kernels' measure indices do not match OPTIONS['measure']")
    schema = json.loads((root / "schemas" / "figures.schema.json").read_text(encoding="utf-8"))
    fields = schema["fields"]
    if [f["name"] for f in fields] != COLUMNS:
        raise SystemExit("figures.schema.json does not have the columns this prototype is written for")
    if any(f.get("constraints", {}).get("enum") != OPTIONS[f["name"]] for f in fields if f["name"] in OPTIONS):
        raise SystemExit("figures.schema.json does not have the enum options this prototype is written for")
    kinds, required, counts, blob = [], [], [], bytearray()
    widest = max(len(f.get("constraints", {}).get("enum") or []) for f in fields)
    offsets = np.zeros((len(fields), widest + 1), dtype=np.int64)
    for col, field in enumerate(fields):
        constraints = field.get("constraints", {})
        required.append(bool(constraints.get("required")))
        opts = constraints.get("enum") or []
        counts.append(len(opts))
        for k, opt in enumerate(opts):
            offsets[col, k] = len(blob)
            blob += opt.encode("utf-8")
        offsets[col, len(opts)] = len(blob)
        kinds.append(K_ENUM if opts else K_NUM if field["type"] == "number" else
                     K_DATE if field["type"] == "date" else K_ID if field["name"] == "figure_id" else
                     K_QUOTE if field["name"] == "quote" else K_TEXT)
    args = (np.array(kinds, dtype=np.int64), np.array(required), offsets,
            np.frombuffer(bytes(blob) or b"\0", dtype=np.uint8), np.array(counts, dtype=np.int64))
    keycols = np.array([0] + [COLUMNS.index(k) for k in KEYS], dtype=np.int64)
    referenced = {name: first_cells(np.fromfile(root / "data" / f"{name}.csv", dtype=np.uint8))
                  for name in sorted(set(KEYS.values()))}
    sets = {}
    for name, hashes in referenced.items():
        sets[name] = np.zeros(1 << bits_for(len(hashes)), dtype=np.uint64)
        insert(sets[name], hashes)
    path = root / "data" / "figures.csv"
    size = path.stat().st_size
    buf = np.empty(BLOCK + 1, dtype=np.uint8)
    ids = None
    rows = failed = duplicates = 0
    dangling = [0] * len(KEYS)
    carry = 0
    with open(path, "rb", buffering=0) as fh:
        if fh.readline().decode("utf-8").rstrip("\r\n").split(",") != COLUMNS:
            raise SystemExit("figures.csv does not have the header this prototype is written for")
        while True:
            got = fh.readinto(memoryview(buf)[carry:BLOCK])
            end = carry + got
            if end == 0:
                break
            if got == 0:  # the last block: end it with a line end
                if buf[end - 1] != 10:
                    buf[end] = 10
                    end += 1
                last = end
            else:
                last = line_end_before(buf, end)
            half = last // 2
            mid = line_end_after(buf, half, last)
            (first, second), (inside, _) = rows_and_quotes_of(buf, np.array([0, mid, last], dtype=np.int64))
            first, second = int(first), int(second)
            if inside or mid == 0:  # the split fell inside a quoted field: one thread
                mid, first, second = last, first + second, 0
            if ids is None:  # size the id set from the first block's rows
                ids = np.zeros(1 << bits_for(int(size / max(last, 1) * (first + second)) + 1), dtype=np.uint64)
            hashes = np.zeros((len(keycols), first + second), dtype=np.uint64)
            failed += check_block(buf, np.array([0, mid, last], dtype=np.int64),
                                  np.array([0, first, first + second], dtype=np.int64), *args, keycols, hashes)
            rows += first + second
            duplicates += insert(ids, hashes[0])
            for k, name in enumerate(KEYS.values()):
                dangling[k] += missing(sets[name], hashes[k + 1])
            buf[:end - last] = buf[last:end]
            carry = end - last
            if got == 0:
                break
    print(f"rows scanned {rows:,}; rows not cleared {failed:,}; duplicate figure ids {duplicates:,}; "
          f"dangling foreign keys {dangling}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if importlib.util.find_spec("numba") is None:  # found without importing it in this process
        print("numba: not installed, nothing measured (pip install numba)")
        return
    if args.once:
        once(args.package)
        return
    sys.path.insert(0, str(HERE))
    from run import timed

    with tempfile.TemporaryDirectory(prefix="aideals-compiled-") as tmp:
        os.environ["NUMBA_CACHE_DIR"] = str(Path(tmp) / "cache")  # the warm run and timed() inherit it
        me = [sys.executable, str(Path(__file__).resolve()), str(args.package), "--once"]
        warm = subprocess.run(me, capture_output=True, text=True)
        if warm.returncode:  # the child's own message (a schema it was not written for...), not a traceback
            lines = (warm.stderr or warm.stdout).strip().splitlines()
            raise SystemExit(lines[-1] if lines else f"the compiled run failed (exit {warm.returncode})")
        print(warm.stdout.strip())
        bare = [sys.executable, str(HERE / "bare_scan.py"), str(args.package)]
        walls = {"bare": [], "compiled": []}
        peak = 0.0
        for _ in range(args.repeat):
            for name, argv in (("bare", bare), ("compiled", me)):
                wall, rss, code = timed(argv, Path(tmp) / f"{name}.out")
                if code:
                    raise SystemExit(f"{name} failed with exit code {code}")
                walls[name].append(wall)
                if name == "compiled":
                    peak = max(peak, rss)
    b, c = min(walls["bare"]), min(walls["compiled"])
    print(f"least: bare scan {b:.2f} s, compiled bound {c:.2f} s ({peak:.0f} MiB), ratio {c / b:.2f}x")


if __name__ == "__main__":
    main()
