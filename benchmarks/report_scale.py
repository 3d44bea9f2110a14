"""How long the HTML report takes to build and to open at 200 parties and 5,000 flows.

Synthetic rows are generated straight into an in-memory DuckDB holding the release's tables
(typed from the package's Table Schemas) and views; nothing is written to data/. Run from the
repository root:

    .venv/bin/python benchmarks/report_scale.py [--parties 200] [--flows 5000] [--keep DIR]
        [--compare-disagreements] [--no-browser]

It prints the build time, the file size, and, when Debian's chromium is installed, the time until
the page has drawn both charts and the figures table, plus the console errors (there should be none).

--compare-disagreements also times how the page finds the figures whose sources disagree: the
query the report runs (only the `consensus` groups of the figures shown) against the `consensus`
view over every figure (what the report ran before), checks that both give the same groups, and
builds the page a second time with the old query.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from aideals import db, package, report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Pseudo-random but deterministic: DuckDB's hash of a row number and a salt, as a number in [0, 1).
U = "((hash({i}, '{salt}') % 1000000) / 1000000.0)"

GENERATE_SQL = """
INSERT INTO parties
SELECT printf('p%03d', i), printf('Party %03d', i), 'company', 'US', NULL, NULL, NULL, NULL
FROM range($parties) t(i);

INSERT INTO sources
SELECT printf('s%02d', i), printf('Source %02d', i), printf('Publisher %02d', i), NULL,
       DATE '2024-01-01' + CAST(i * 7 AS INTEGER), 'day', printf('https://example.org/%02d', i), 'en', 'news',
       DATE '2026-11-23', NULL
FROM range(50) t(i);

-- Deals between a party drawn with a skew towards the first ids (a few large hubs, as in the
-- real data) and any other party.
CREATE TEMP TABLE deal_rows AS
SELECT i,
       CAST(floor($parties * pow({u_a}, 2.5)) AS INTEGER) AS a,
       CAST(floor($parties * {u_b}) AS INTEGER) AS b
FROM range($deals) t(i);
UPDATE deal_rows SET b = (b + 1) % $parties WHERE a = b;

INSERT INTO deals
SELECT printf('d%05d', i), printf('Deal %05d between %03d and %03d', i, a, b),
       ['equity_investment', 'compute_purchase', 'cloud_contract', 'chip_supply'][1 + i % 4],
       CASE WHEN i % 5 = 4 THEN NULL ELSE DATE '2018-01-01' + CAST(floor(3000 * {u_d}) AS INTEGER) END,
       CASE WHEN i % 5 = 4 THEN NULL ELSE ['day', 'month', 'year', 'approximate'][1 + i % 4] END,
       'announced', printf('p%03d', a), printf('p%03d', b), NULL, printf('s%02d', i % 50), 'synthetic'
FROM deal_rows;

-- Two flows per deal, one each way, so 5,000 flows come from 2,500 deals; every tenth flow is
-- stated by a second source with another value (a disagreement).
INSERT INTO figures
SELECT printf('f%05d-%d-%d', d.i, w.way, s.n), printf('d%05d', d.i), NULL,
       printf('p%03d', CASE WHEN w.way = 0 THEN a ELSE b END), printf('p%03d', CASE WHEN w.way = 0 THEN b ELSE a END),
       ['cash', 'equity', 'compute', 'cloud_services', 'chips'][1 + (d.i + w.way) % 5],
       'amount', round(1e9 * pow(10, 2 * {u_v}) * (1 + 0.1 * s.n)), NULL, 'USD',
       ['exact', 'up_to', 'approximately'][1 + d.i % 3], NULL, NULL, NULL, NULL,
       printf('s%02d', (d.i + s.n) % 50), printf('quote %d', d.i), NULL
FROM deal_rows d
CROSS JOIN (VALUES (0), (1)) w(way)
CROSS JOIN (VALUES (0), (1)) s(n)
WHERE s.n = 0 OR (d.i * 2 + w.way) % 10 = 0;
""".format(
    u_a=U.format(i="i", salt="a"),
    u_b=U.format(i="i", salt="b"),
    u_d=U.format(i="i", salt="d"),
    u_v=U.format(i="d.i * 2 + w.way", salt="v"),
)


def synthetic_release(n_parties: int, n_flows: int) -> duckdb.DuckDBPyConnection:
    """An in-memory release with `n_parties` parties and `n_flows` rows in the `flows` view."""
    pkg = package.load(ROOT)
    con = duckdb.connect(":memory:")
    for name in package.RESOURCE_NAMES:
        types = db.column_types(pkg.resource(name).schema)
        con.execute(
            f"CREATE TABLE {db.quote_ident(name)} ("
            + ", ".join(f"{db.quote_ident(c)} {t}" for c, t in types.items())
            + ")"
        )
    sql = GENERATE_SQL.replace("$parties", str(n_parties)).replace("$deals", str(n_flows // 2))
    for statement in (s for s in sql.split(";\n") if s.strip()):
        con.execute(statement)
    db.create_views(con)
    return con


def open_in_chromium(page: Path, screenshot_dir: Path | None) -> dict[str, object] | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1300, "height": 900})
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_selector("#network-plot .main-svg")
        tab.wait_for_selector("#timeline-plot .main-svg")
        tab.wait_for_selector("#figures-table tbody tr")
        opened = time.perf_counter() - start
        start = time.perf_counter()
        tab.select_option("#party-filter", "p000")
        tab.wait_for_function("document.getElementById('figures-status').textContent.indexOf(' of ') > 0")
        filtered = time.perf_counter() - start
        drawn = tab.evaluate(
            """() => {
              const gd = document.getElementById('network-plot');
              const groups = gd.data.filter(t => t.meta && t.meta.role === 'edge-group');
              return {traces: gd.data.length, edges: groups.reduce((n, t) => n + t.meta.n_edges, 0),
                      flows: groups.reduce((n, t) => n + t.meta.n_flows, 0),
                      nodes: gd.data.find(t => t.meta && t.meta.role === 'nodes').x.length};
            }"""
        )
        if screenshot_dir is not None:
            tab.locator("#network").screenshot(path=str(screenshot_dir / "report-scale-network.png"))
            tab.locator("#timeline").screenshot(path=str(screenshot_dir / "report-scale-timeline.png"))
        browser.close()
    return {"opened_s": opened, "filter_s": filtered, "errors": errors, **drawn}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=200)
    parser.add_argument("--flows", type=int, default=5000)
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep the page and screenshots in")
    parser.add_argument("--compare-disagreements", action="store_true", help="time the old full-view query too")
    parser.add_argument("--no-browser", action="store_true", help="do not open the page in chromium")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    con = synthetic_release(args.parties, args.flows)
    generated = time.perf_counter() - start
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("parties", "deals", "figures", "flows")
    }
    with tempfile.TemporaryDirectory(prefix="aideals-report-") as tmp:
        out_dir = args.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        measure(con, counts, generated, out_dir, args.keep, browse=not args.no_browser)
        if args.compare_disagreements:
            compare_disagreements(con, out_dir)
    return 0


# What the report ran before it computed only the consensus groups of the figures shown.
FULL_VIEW_DISAGREEMENTS_SQL = (
    "SELECT figure_ids FROM consensus WHERE sources_disagree AND list_has_any(figure_ids, ?) ORDER BY figure_ids"
)


def compare_disagreements(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    shown = [r[0] for r in con.execute("SELECT figure_id FROM figures ORDER BY figure_id LIMIT ?", [report.FIGURE_LIMIT]).fetchall()]
    answers = {}
    for label, sql in (("shown groups only", report.DISAGREEMENTS_SQL), ("whole consensus view", FULL_VIEW_DISAGREEMENTS_SQL)):
        start = time.perf_counter()
        answers[label] = con.execute(sql, [shown]).fetchall()
        print(f"disagreements of the {len(shown):,} figures shown, {label}: {time.perf_counter() - start:.2f} s, {len(answers[label]):,} groups")
    print(f"same groups: {'yes' if len(set(map(str, answers.values()))) == 1 else 'NO'}")
    new_sql = report.DISAGREEMENTS_SQL
    report.DISAGREEMENTS_SQL = FULL_VIEW_DISAGREEMENTS_SQL
    try:
        start = time.perf_counter()
        page = report.write_report(
            con, out_dir / "report-scale-old.html", version="scale", built_at=datetime(2026, 11, 23, tzinfo=timezone.utc)
        )
        print(f"build with the whole consensus view: {time.perf_counter() - start:.2f} s")
    finally:
        report.DISAGREEMENTS_SQL = new_sql
    same = page.read_bytes() == (out_dir / "report-scale.html").read_bytes()
    print(f"same page: {'yes' if same else 'NO'}")


def measure(
    con: duckdb.DuckDBPyConnection, counts: dict, generated: float, out_dir: Path, keep: Path | None, browse: bool = True
) -> None:
    start = time.perf_counter()
    page = report.write_report(
        con, out_dir / "report-scale.html", version="scale", built_at=datetime(2026, 11, 23, tzinfo=timezone.utc)
    )
    built = time.perf_counter() - start
    print(f"rows: {counts}")
    print(f"generate: {generated:.2f} s")
    print(f"build:    {built:.2f} s, {page.stat().st_size / 1e6:.1f} MB ({page})")
    browser = open_in_chromium(page, keep) if browse else None
    if browser is None:
        print("open:     skipped (--no-browser, or no chromium)")
    else:
        print(f"open:     {browser['opened_s']:.2f} s until both charts and the table are drawn")
        print(f"filter:   {browser['filter_s']:.2f} s to filter the figures by one party")
        print(
            f"drawn:    {browser['nodes']} nodes; {browser['flows']} flows as {browser['edges']} edges in {browser['traces']} plotly traces"
        )
        print(f"console errors: {browser['errors']}")


if __name__ == "__main__":
    sys.exit(main())
