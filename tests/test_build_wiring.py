"""`aideals build` as wired: the plugins' metrics fill the metrics table and report.html is written."""

from __future__ import annotations

import shutil

import duckdb
from cli_runner import run_cli
from conftest import FIXTURES, ROOT
from fixture_packages import make_package

BUILTIN_METRICS = ("circularity", "commitments_vs_revenue", "cost_per_gigawatt", "vendor_financing_ratio")


def test_build_command_computes_the_builtin_metrics_and_writes_the_report(tmp_path, capsys, monkeypatch):
    # The package of tests/fixtures/metrics, whose metric values are worked out by hand in
    # test_builtin_metrics.py, with the built-in metrics in its plugins/ as in the repository.
    root = make_package(tmp_path / "pkg", FIXTURES / "metrics")
    (root / "plugins").mkdir()
    for name in BUILTIN_METRICS:
        shutil.copyfile(ROOT / "plugins" / f"{name}.py", root / "plugins" / f"{name}.py")
    monkeypatch.setenv("AIDEALS_PLUGINS", ",".join(BUILTIN_METRICS))  # no installed plugin joins in
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795435200")  # 2026-11-23T12:00:00Z

    rc, out, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "dist")], capsys)

    assert (rc, err) == (0, "")
    assert "  metrics         14\n" in out
    con = duckdb.connect(str(tmp_path / "dist" / "aideals.duckdb"), read_only=True)
    try:
        counts = con.execute("SELECT metric, plugin, count(*) FROM metrics GROUP BY ALL ORDER BY ALL").fetchall()
        ratio = con.execute(
            "SELECT value, value_high, unit, qualifier, figure_ids FROM metrics"
            " WHERE metric = 'vendor_financing_ratio' AND subject_id = 'a/b'"
        ).fetchall()
    finally:
        con.close()
    assert counts == [
        ("circularity", "circularity", 7),
        ("commitments_vs_revenue", "commitments_vs_revenue", 2),
        ("cost_per_gigawatt", "cost_per_gigawatt", 3),
        ("vendor_financing_ratio", "vendor_financing_ratio", 2),
    ]
    # about $35B of chips for up to $10B invested: at least 3.5
    assert ratio == [(3.5, None, "ratio", "at_least", ["ab-chips", "ab-invest-s1", "ab-invest-s2"])]

    page = (tmp_path / "dist" / "report.html").read_text(encoding="utf-8")
    assert '<dd id="built-at">2026-11-23T12:00:00Z</dd>' in page
    assert "No metrics in this release yet" not in page
    assert page.count("<tr><td><code>") == 14  # one row of the metrics table per metric value
    assert (
        '<a href="#figures" class="figure-link" data-figure-ids="ab-chips ab-invest-s1 ab-invest-s2" '
        'title="Show the 3 input figures">at least 3.5 ratio</a>'
    ) in page
