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
