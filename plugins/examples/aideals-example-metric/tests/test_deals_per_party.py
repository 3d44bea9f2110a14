"""The example metric on a three-row database: what a plugin's own test can look like."""

import duckdb

from aideals import metrics

import aideals_example_metric


def test_deals_per_party_counts_deals_with_figures(tmp_path):
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE parties (party_id VARCHAR)")
    con.execute("CREATE TABLE deals (deal_id VARCHAR, party_a VARCHAR, party_b VARCHAR)")
    con.execute("CREATE TABLE figures (figure_id VARCHAR, deal_id VARCHAR)")
    con.execute("INSERT INTO parties VALUES ('a'), ('b'), ('c')")
    con.execute("INSERT INTO deals VALUES ('d1', 'a', 'b'), ('d2', 'a', 'c'), ('d3', 'b', 'c')")
    con.execute("INSERT INTO figures VALUES ('f1', 'd1'), ('f2', 'd1'), ('f3', 'd2')")  # d3 has none
    con.close()

    (metric,) = aideals_example_metric.aideals_register_metrics()
    ro = metrics.connect_readonly(path)
    run = metrics.compute(ro, [metric.with_plugin("example")])
    assert run.problems == []
    assert [(r.subject_id, r.value, r.figure_ids) for r in run.results] == [
        ("a", 2.0, ("f1", "f2", "f3")),
        ("b", 1.0, ("f1", "f2")),
        ("c", 1.0, ("f3",)),
    ]



def test_deals_per_party_on_a_release_database_loaded_from_a_package(tmp_path):
    """A metric that reads the release's views (figures_counted, flows, consensus...) is tested on
    a database that has them: load a package as a build does, with aideals.db.load; here the
    aideals repository's own, when the test runs inside it (a copy of this example elsewhere
    loads a package of its own)."""
    from pathlib import Path

    import pytest

    from aideals import db, package

    root = Path(__file__).resolve().parents[4]  # plugins/examples/aideals-example-metric/tests/
    if not (root / "datapackage.json").is_file():
        pytest.skip("outside the aideals repository: load a package of your own here")
    path = tmp_path / "release.duckdb"
    con = duckdb.connect(str(path))
    db.load(con, package.load(root))  # the four tables and the views, as in dist/aideals.duckdb
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    (expected,) = con.execute(
        "SELECT count(DISTINCT d.deal_id) FROM deals d WHERE 'openai' IN (d.party_a, d.party_b) "
        "AND EXISTS (SELECT 1 FROM figures f WHERE f.deal_id = d.deal_id)").fetchone()
    con.close()

    (metric,) = aideals_example_metric.aideals_register_metrics()
    run = metrics.compute(metrics.connect_readonly(path), [metric.with_plugin("example")])
    assert run.problems == []
    assert {"figures_counted", "flows", "consensus"} <= views
    assert next(r.value for r in run.results if r.subject_id == "openai") == expected
