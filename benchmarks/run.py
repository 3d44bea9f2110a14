"""Benchmark `aideals validate` (and `aideals build` when it exists) against `frictionless validate`.

    python benchmarks/run.py [--sizes 100000 1000000] [--work /tmp/aideals-bench] [--no-frictionless]

For each size: generate a package with 9 injected defects, then time each tool in a subprocess
(wall time and peak RSS from wait4), check that aideals and frictionless report the same
Table Schema findings (row, field, type), and write the table into benchmarks/README.md between
the RESULTS markers. Not a test: it takes minutes (frictionless at 1M rows is the slow part).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
README = HERE / "README.md"
START, END = "<!-- RESULTS:START -->", "<!-- RESULTS:END -->"


def timed(cmd: list[str], out: Path | None = None) -> tuple[float, float, int]:
    """Run cmd; return (seconds, peak RSS in MiB, exit code). stdout goes to `out`."""
    t0 = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def aideals_set(path: Path) -> set[tuple]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(f["file"], f["row"], f["field"], f["check"]) for f in doc["findings"]
            if f["layer"] in ("package", "table-schema") and f["check"] != "formula-injection"}


def frictionless_set(path: Path) -> set[tuple]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = set()
    for task in doc["tasks"]:
        for err in task["errors"]:
            field = err.get("fieldName") or None
            if err["type"] == "foreign-key":
                field = re.match(r'for "([^"]+)"', err["note"]).group(1)
            out.add((task["place"].split("/data/")[-1].join(["data/", ""]) if "/data/" in task["place"] else task["place"],
                     err.get("rowNumber"), field, err["type"]))
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/aideals-bench"))
    ap.add_argument("--no-frictionless", action="store_true")
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    has_build = (HERE.parent / "src" / "aideals" / "commands" / "build.py").is_file()
    lines = ["| figure rows | tool | wall time (s) | peak RSS (MiB) | findings | same findings as frictionless | speed-up |",
             "|---:|---|---:|---:|---:|---|---:|"]
    for n in args.sizes:
        pkg = args.work / f"rows-{n}"
        generate(pkg, n, errors=9)
        ours_json = args.work / f"aideals-{n}.json"
        t_a, rss_a, _ = timed([str(BIN / "aideals"), "validate", str(pkg), "--json"], ours_json)
        ours = aideals_set(ours_json)
        n_all = len(json.loads(ours_json.read_text())["findings"])
        row_f = None
        if not args.no_frictionless:
            fl_json = args.work / f"frictionless-{n}.json"
            t_f, rss_f, _ = timed([str(BIN / "frictionless"), "validate", "--json", str(pkg / "datapackage.json")], fl_json)
            theirs = frictionless_set(fl_json)
            same = "yes" if theirs == ours else f"NO ({len(theirs ^ ours)} differ)"
            row_f = f"| {n:,} | frictionless validate | {t_f:.1f} | {rss_f:.0f} | {len(theirs)} | | 1× |"
            lines.append(f"| {n:,} | aideals validate | {t_a:.2f} | {rss_a:.0f} | {n_all} | {same} | {t_f / t_a:.0f}× |")
            lines.append(row_f)
        else:
            lines.append(f"| {n:,} | aideals validate | {t_a:.2f} | {rss_a:.0f} | {n_all} | not run | |")
        if has_build:
            valid = args.work / f"valid-{n}"
            generate(valid, n, errors=0)
            t_b, rss_b, rc = timed([str(BIN / "aideals"), "build", "--package", str(valid), "--out", str(args.work / f"dist-{n}")])
            lines.append(f"| {n:,} | aideals build (valid copy) | {t_b:.2f} | {rss_b:.0f} | exit {rc} | | |")
        print(f"{n:,} rows done", flush=True)
    if not has_build:
        lines.append("")
        lines.append("`aideals build` was not on this branch when this ran: not measured.")
    note = f" {args.note}" if args.note else ""
    block = "\n".join([START, f"Ran {time.strftime('%Y-%m-%d')} on: {machine()}.{note}", "", *lines, END])
    text = README.read_text(encoding="utf-8") if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    README.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S), encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
