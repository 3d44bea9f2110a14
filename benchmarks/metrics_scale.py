"""How long the built-in metrics take, and how much memory, on a synthetic release of N figures.

    .venv/bin/python benchmarks/metrics_scale.py [--rows 1000000] [--work /tmp/aideals-bench]
        [--plugins-dir plugins | --plugins-rev GIT_REV] [--timeout 600] [--build]

The package is `benchmarks/generate.py --metric-mix` (investments, purchases, power, stated deal
values, revenue, commitments, every qualifier, some figures from a second source), kept in --work
and reused while generate.py is unchanged. Its release database is built once without plugins
(`AIDEALS_PLUGINS=`, so the synthetic package's own plugins/ would not matter: it has none). Then each
metric, and all four together, runs in a fresh Python process as `aideals build` runs them: on a
read-only connection with the build's memory limit (AIDEALS_MEMORY_LIMIT, default 1GB) and
threads, the rows checked against the result schema and the data. Wall time and peak RSS come
from wait4; a process still running after --timeout seconds is killed and reported as such.

--plugins-rev REV runs the plugins/*.py of a git revision instead of the working tree's (e.g. the
revision before the metrics summed in DuckDB, to compare). --build also times `aideals build`
of the package with and without the plugins (the metrics step of a build adds a snapshot of the
database and the insert of the rows).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from run import package  # noqa: E402

BIN = Path(sys.executable).parent
BUILTINS = ("circularity", "commitments_vs_revenue", "cost_per_gigawatt", "vendor_financing_ratio")


def timed(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[float, float, int | None, str]:
    """Run cmd; return (seconds, peak RSS in MiB, exit code or None when killed at the timeout, stdout)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                code = None
                break
            time.sleep(0.05)
        proc.returncode = code if code is not None else -9  # reaped by wait4: keep Popen from waiting again
        out.seek(0)
        text = out.read().decode()
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, code, text


def database(work: Path, pkg: Path, n: int) -> Path:
    """The release of the package, built without plugins (reused while the package is the same)."""
    dist = work / f"metric-mix-{n}-dist"
    stamp = pkg / "generated.json"
    db = dist / "aideals.duckdb"
    if db.is_file() and db.stat().st_mtime >= stamp.stat().st_mtime:
        return db
    env = {**os.environ, "AIDEALS_PLUGINS": ""}
    seconds, rss, code, _ = timed([str(BIN / "aideals"), "build", "--package", str(pkg), "--out", str(dist)], env)
    if code != 0:
        sys.exit(f"aideals build of {pkg} failed (exit {code})")
    print(f"built {db} without plugins: {seconds:.1f} s, {rss:.0f} MiB peak RSS", flush=True)
    return db


def worker(db: str, plugins_dir: str, names: list[str]) -> None:
    """In a fresh process: run the metrics named on db as the build does; print counts as JSON."""
    from aideals import metrics, plugins
    from aideals.db import resource_config

    loaded = plugins.load(None, [Path(plugins_dir)], limit=None, entry_points=[])
    chosen = [m for m in loaded.metrics() if m.name in names]
    with tempfile.TemporaryDirectory(prefix="aideals-metrics-bench-") as tmp:
        con = metrics.connect_readonly(Path(db), resource_config(Path(tmp) / "spill"))
        t0 = time.perf_counter()
        run = metrics.compute(con, chosen, schema=metrics.result_schema(REPO))
        seconds = time.perf_counter() - t0
        con.close()
    print(json.dumps({
        "rows": len(run.results),
        "figure_ids": sum(len(r.figure_ids) for r in run.results),
        "seconds": seconds,
        "problems": [p.line() for p in run.problems],
    }))


def plugins_at(rev: str, dest: Path) -> Path:
    """plugins/*.py of git revision `rev`, written into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in BUILTINS:
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:plugins/{name}.py"], check=True,
                              capture_output=True, text=True).stdout
        (dest / f"{name}.py").write_text(text, encoding="utf-8")
    return dest


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3], sys.argv[4].split(","))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/aideals-bench"))
    ap.add_argument("--plugins-dir", type=Path, default=REPO / "plugins")
    ap.add_argument("--plugins-rev", default=None, help="run plugins/*.py of this git revision instead")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a metric's process is killed")
    ap.add_argument("--build", action="store_true", help="also time aideals build with and without the plugins")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    pkg = package(args.work / f"metric-mix-{args.rows}", args.rows, metric_mix=True)
    db = database(args.work, pkg, args.rows)
    with tempfile.TemporaryDirectory(prefix="aideals-metrics-plugins-") as tmp:
        plugins_dir = plugins_at(args.plugins_rev, Path(tmp)) if args.plugins_rev else args.plugins_dir
        label = f"plugins/ at {args.plugins_rev}" if args.plugins_rev else str(plugins_dir)
        print(f"{args.rows:,} figure rows ({pkg}), metrics of {label}:")
        print("| metric | result rows | figure ids in them | wall time (s) | of which computing (s) | peak RSS (MiB) |")
        print("|---|---:|---:|---:|---:|---:|")
        for names in [["none"], *[[n] for n in BUILTINS], list(BUILTINS)]:
            cmd = [sys.executable, str(HERE / "metrics_scale.py"), "--worker", str(db), str(plugins_dir), ",".join(names)]
            seconds, rss, code, out = timed(cmd, timeout=args.timeout)
            label = "all four" if len(names) > 1 else ("(none: start-up only)" if names == ["none"] else names[0])
            if code is None:
                print(f"| {label} | | | killed after {seconds:.0f} | | {rss:.0f} at the kill |", flush=True)
                continue
            if code != 0:
                print(f"| {label} | exit {code} | | {seconds:.1f} | | {rss:.0f} |", flush=True)
                continue
            res = json.loads(out)
            problems = f" ({'; '.join(res['problems'])})" if res["problems"] else ""
            print(f"| {label}{problems} | {res['rows']:,} | {res['figure_ids']:,} | {seconds:.1f} | {res['seconds']:.1f} | {rss:.0f} |", flush=True)
        if args.build:
            for with_plugins in (False, True):
                dist = args.work / f"metric-mix-{args.rows}-build"
                cmd = [str(BIN / "aideals"), "build", "--package", str(pkg), "--out", str(dist)]
                env = dict(os.environ)
                if with_plugins:
                    cmd += ["--plugins-dir", str(plugins_dir)]
                    env["AIDEALS_PLUGINS"] = ",".join(BUILTINS)
                else:
                    env["AIDEALS_PLUGINS"] = ""
                seconds, rss, code, _ = timed(cmd, env=env, timeout=args.timeout * 3)
                shutil.rmtree(dist, ignore_errors=True)
                what = "with the four metrics" if with_plugins else "without plugins"
                print(f"aideals build {what}: {seconds:.1f} s, {rss:.0f} MiB peak RSS, exit {code}", flush=True)


if __name__ == "__main__":
    main()
