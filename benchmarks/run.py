"""Benchmark `aideals validate` and `aideals build` against `frictionless validate` and a bare DuckDB scan.

    python benchmarks/run.py [--sizes 10000 100000 1000000 10000000] [--work /tmp/aideals-bench]
                             [--frictionless-max 1000000] [--note TEXT] [--repeat 5]

For each size: generate a package with 9 injected defects and a clean copy (build refuses invalid
data), then time in subprocesses (wall time and peak RSS from wait4): `aideals validate --json`,
`frictionless validate --json` (up to --frictionless-max rows), `benchmarks/bare_scan.py` (DuckDB
parsing every cell of the four CSVs as text with the same settings: the floor) and `aideals build`
of the clean copy, every tool with its Python bytecode compiled (as pip installs it). The bare
scan and aideals validate run --repeat times, alternating, and their
least wall time is reported (peak RSS: the largest). Checks that aideals and frictionless report the same Table Schema findings
(row, field, type), and writes the table into benchmarks/README.md between the RESULTS markers.
Packages are kept in --work and reused by the next run when generated with the same parameters;
the releases built are deleted. Not a test: at 10M rows it takes tens of minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
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


def package(path: Path, n: int, **options) -> Path:
    """The synthetic package of n rows at `path`, generated with `options` (see generate.generate)
    unless the last run left the same one there."""
    stamp = path / "generated.json"
    params = {"rows": n, **options, "generator": (HERE / "generate.py").read_text(encoding="utf-8")}
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == params:
        return path
    generate(path, n, **options)
    stamp.write_text(json.dumps(params), encoding="utf-8")
    return path


def timed(cmd: list[str], out: Path | None = None) -> tuple[float, float, int]:
    """Run cmd; return (seconds, peak RSS in MiB, exit code). stdout goes to `out`."""
    t0 = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def bytecode() -> None:
    """Run every tool with its Python bytecode compiled, as an installed package runs (pip compiles
    it at install): an editable install under PYTHONDONTWRITEBYTECODE, as on the project's own
    machine, would compile aideals' modules again in every run (about 0.09 s). The bytecode goes
    to `__pycache__` next to the sources, which git ignores."""
    import compileall

    import aideals

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(Path(aideals.__file__).parent), quiet=1)


def fastest(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The least wall time of several runs of one command (other jobs on the machine only ever add
    time: the least is the closest to the command's own), the largest peak RSS, the worst exit code."""
    return min(r[0] for r in runs), max(r[1] for r in runs), max(r[2] for r in runs)


def aideals_set(path: Path) -> set[tuple]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(f["file"], f["row"], f["field"], f["check"]) for f in doc["findings"]
            if f["layer"] in ("package", "table-schema") and f["check"] not in ("formula-injection", "control-character")}


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
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 10_000_000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/aideals-bench"))
    ap.add_argument("--frictionless-max", type=int, default=1_000_000, help="largest size frictionless runs on")
    ap.add_argument("--note", default="")
    ap.add_argument("--repeat", type=int, default=5,
                    help="runs of the bare scan and of aideals validate, alternating (the least time of each is reported)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    bytecode()
    lines = ["| figure rows | tool | wall time (s) | peak RSS (MiB) | findings | same findings as frictionless | × bare scan |",
             "|---:|---|---:|---:|---:|---|---:|"]
    verdicts: list[str] = []
    peaks: list[float] = []
    for n in args.sizes:
        pkg = package(args.work / f"rows-{n}", n, errors=9)
        valid = package(args.work / f"valid-{n}", n, errors=0)
        ours_json = args.work / f"aideals-{n}.json"
        bare_runs, ours_runs = [], []
        for _ in range(max(1, args.repeat)):
            # Alternating, so that a change in the machine's load weighs on both alike.
            bare_runs.append(timed([sys.executable, str(HERE / "bare_scan.py"), str(pkg)]))
            ours_runs.append(timed([str(BIN / "aideals"), "validate", str(pkg), "--json"], ours_json))
        t_s, rss_s, rc_s = fastest(bare_runs)
        t_a, rss_a, _ = fastest(ours_runs)
        ours = aideals_set(ours_json)
        n_all = len(json.loads(ours_json.read_text())["findings"])
        same = "not run"
        row_f = None
        if n <= args.frictionless_max:
            fl_json = args.work / f"frictionless-{n}.json"
            t_f, rss_f, _ = timed([str(BIN / "frictionless"), "validate", "--json", str(pkg / "datapackage.json")], fl_json)
            theirs = frictionless_set(fl_json)
            same = "yes" if theirs == ours else f"NO ({len(theirs ^ ours)} differ)"
            row_f = f"| {n:,} | frictionless validate | {t_f:.1f} | {rss_f:.0f} | {len(theirs)} | | {t_f / t_s:.1f}× |"
        dist = args.work / f"dist-{n}"
        t_b, rss_b, rc_b = timed([str(BIN / "aideals"), "build", "--package", str(valid), "--out", str(dist)])
        shutil.rmtree(dist, ignore_errors=True)
        ratio = t_a / t_s
        lines.append(f"| {n:,} | bare DuckDB scan (floor) | {t_s:.2f} | {rss_s:.0f} | {'' if rc_s == 0 else f'exit {rc_s}'} | | 1× |")
        lines.append(f"| {n:,} | **aideals validate** | {t_a:.2f} | {rss_a:.0f} | {n_all} | {same} | **{ratio:.2f}×** |")
        if row_f:
            lines.append(row_f)
        lines.append(f"| {n:,} | aideals build (clean copy) | {t_b:.2f} | {rss_b:.0f} | exit {rc_b} | | {t_b / t_s:.1f}× |")
        verdicts.append(f"{n:,}: {ratio:.2f}× ({'met' if ratio <= 3 else 'not met'})")
        peaks.append(max(rss_a, rss_b))
        print(f"{n:,} rows done: {lines[-3:]}", flush=True)
    note = f" {args.note}" if args.note else ""
    target = "Target `aideals validate` within 3× of the bare scan: " + "; ".join(verdicts) + "."
    peak = max(peaks, default=0)
    target += f" Largest peak RSS of `aideals validate` or `aideals build`: {peak:,.0f} MiB ({'under' if peak < 2048 else 'OVER'} 2 GiB)."
    runs = (f" Bare scan and `aideals validate`: the least time of {args.repeat} alternating runs each (the"
            " machine is shared: other jobs only add time); the others: one run.")
    block = "\n".join([START, f"Ran {time.strftime('%Y-%m-%d')} on: {machine()}.{note}{runs}", "", *lines, "", target, END])
    text = README.read_text(encoding="utf-8") if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    README.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S), encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
