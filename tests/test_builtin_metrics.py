"""The built-in metrics of plugins/, on the hand-worked fixture package and on the real data."""

from __future__ import annotations

import importlib.util

import pytest

from aideals import db, metrics, package, plugins
from conftest import ROOT


def run_builtins(root):
    pkg = package.load(root)
    loaded = plugins.load(None, [ROOT / "plugins"], limit=None, entry_points=[])
    with metrics.readonly_database(pkg) as con:
        run = metrics.compute(con, loaded.metrics())
    assert run.problems == []
    return run


def rows_of(run, name):
    return {
        r.subject_id: (r.value, r.value_high, r.qualifier, list(r.figure_ids))
        for r in run.results
        if r.metric == name
    }


@pytest.fixture
def fixture_run(metrics_package):
    return run_builtins(metrics_package)


def test_cost_per_gigawatt_divides_capacity_amounts_by_power(fixture_run):
    assert rows_of(fixture_run, "cost_per_gigawatt") == {
        # about $35B of chips for 1 GW + 500 MW (two tranches of one source add up)
        "d-ab": (35e9 / 1.5, None, "approximately", ["ab-chips", "ab-power-first", "ab-power-second"]),
        # a $20-30B range over 0.5 GW propagates to a range
        "d-bc": (20e9 / 0.5, 30e9 / 0.5, "range", ["bc-cloud", "bc-power"]),
        # a stated total value (flow none) when there is no capacity flow; 200 MW is 0.2 GW
        "d-site": (12e9 / 0.2, None, "exact", ["site-amount", "site-power"]),
    }
    note = next(r.note for r in fixture_run.results if r.subject_id == "d-site")
    assert note == "$12B of stated deal value for 0.2 GW: $60B per GW; 1x to 1.2x the $50B to $60B per GW stated in a-unit-cost"


def test_cost_per_gigawatt_leaves_out_a_deal_whose_power_is_zero(metrics_package):
    """A power of 0 MW is a valid figure (the schema's minimum is 0): its deal has no cost per
    gigawatt, and the other deals keep theirs (no division by zero drops the whole metric)."""
    from aideals import checks

    path = metrics_package / "data" / "figures.csv"
    text = path.read_text(encoding="utf-8")
    line = "site-power,d-site,,,,none,power,200,,MW,exact,"
    assert text.count(line) == 1
    path.write_text(text.replace(line, "site-power,d-site,,,,none,power,0,,MW,exact,"), encoding="utf-8")
    assert checks.validate(package.load(metrics_package)).findings == []
    run = run_builtins(metrics_package)  # no problem either
    assert rows_of(run, "cost_per_gigawatt") == {
        "d-ab": (35e9 / 1.5, None, "approximately", ["ab-chips", "ab-power-first", "ab-power-second"]),
        "d-bc": (20e9 / 0.5, 30e9 / 0.5, "range", ["bc-cloud", "bc-power"]),
    }


def append_rows(root, table: str, lines: str) -> None:
    with open(root / "data" / f"{table}.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write(lines)


def test_the_cost_per_gigawatt_benchmark_never_adds_two_costs_of_one_source(metrics_package):
    """Two per-GW costs stated by the same source are two statements of one cost, not a sum."""
    append_rows(metrics_package, "figures",
                "ab-unit-cost,d-ab,,,,none,unit_cost,50000000000,,USD_per_GW,exact,,,,,s1,$50B per gigawatt,\n")
    note = next(r.note for r in run_builtins(metrics_package).results
                if r.metric == "cost_per_gigawatt" and r.subject_id == "d-site")
    assert note == ("$12B of stated deal value for 0.2 GW: $60B per GW; 1x to 1.2x the $50B to $60B per GW "
                    "stated in a-unit-cost, ab-unit-cost")


def test_a_part_whose_capacity_its_umbrella_states_is_not_priced_by_its_stated_value(metrics_package):
    """d-bc2 is part of d-bc, which states the same cloud flow b -> c: its $5B of cloud is counted
    there, and its $12B of stated value (land and buildings too) is no price of its capacity."""
    append_rows(metrics_package, "deals", "d-bc2,A part of B's cloud contract,cloud_contract,,,signed,b,c,d-bc,,A part.\n")
    append_rows(metrics_package, "figures",
                "bc2-cloud,d-bc2,,b,c,cloud_services,amount,5000000000,,USD,exact,,,,,s2,$5B of cloud,\n"
                "bc2-site,d-bc2,,,,none,amount,12000000000,,USD,exact,,,,,s2,a $12B site,\n"
                "bc2-power,d-bc2,,,,none,power,100,,MW,exact,,,,,s2,100 MW,\n")
    assert sorted(rows_of(run_builtins(metrics_package), "cost_per_gigawatt")) == ["d-ab", "d-bc", "d-site"]
    # nor by the capacity amounts left when only some are counted above ($3B of compute of its own)
    append_rows(metrics_package, "figures",
                "bc2-compute,d-bc2,,c,b,compute,amount,3000000000,,USD,exact,,,,,s2,$3B of compute,\n")
    assert sorted(rows_of(run_builtins(metrics_package), "cost_per_gigawatt")) == ["d-ab", "d-bc", "d-site"]


def test_vendor_financing_ratio_is_purchases_over_investment(fixture_run):
    assert rows_of(fixture_run, "vendor_financing_ratio") == {
        # about $35B of chips for up to $10B invested: at least 3.5
        "a/b": (3.5, None, "at_least", ["ab-chips", "ab-invest-s1", "ab-invest-s2"]),
        # $20-30B of cloud for $2B of equity
        "c/b": (10.0, 15.0, "range", ["bc-cloud", "bc-equity"]),
    }


def test_circularity_gives_the_share_of_each_flow_that_comes_back(fixture_run):
    abc = ["ab-invest-s1", "ab-invest-s2", "bc-cloud", "ca-chips"]
    assert rows_of(fixture_run, "circularity") == {
        "a/b": (100.0, None, "approximately", ["ab-chips", "ab-invest-s1", "ab-invest-s2"]),
        "b/a": (10e9 / 35e9 * 100, None, "up_to", ["ab-chips", "ab-invest-s1", "ab-invest-s2"]),
        "a/b/c": (8e9 / 10e9 * 100, None, "at_least", abc),
        "b/c/a": (8e9 / 30e9 * 100, 8e9 / 20e9 * 100, "range", abc),
        "c/a/b": (100.0, None, "up_to", abc),
        "b/c": (2e9 / 30e9 * 100, 2e9 / 20e9 * 100, "range", ["bc-cloud", "bc-equity"]),
        "c/b": (100.0, None, "exact", ["bc-cloud", "bc-equity"]),
    }


def test_commitments_vs_revenue_counts_years_of_annual_revenue(fixture_run):
    assert rows_of(fixture_run, "commitments_vs_revenue") == {
        # more than $100B over $5B in 2025, the latest dated year: the undated "about $4B a year"
        # of another source is used only when no year is dated; H1 revenue is not annual
        "b": (20.0, None, "at_least", ["b-commitments", "b-revenue-2025"]),
        # no stated total: its purchases in deals
        "c": (0.8, None, "exact", ["c-revenue", "ca-chips"]),
    }


APPROX = "is approximate (an input is approximate or an estimate)"
BOUND = "(an input is only stated as a bound: up to, at least, more than)"
ABC = ["ab-invest-s1", "ab-invest-s2", "bc-cloud", "ca-chips"]


def test_builtin_metric_rows_on_the_fixture_are_exactly_these(fixture_run):
    """Every column of every row, notes included: the figures are summed in DuckDB (quantities.totals),
    and nothing of what the Python sums gave may change."""
    assert [
        (r.metric, r.subject_type, r.subject_id, r.value, r.value_high, r.unit, list(r.figure_ids), r.note, r.qualifier, r.plugin)
        for r in fixture_run.results
    ] == [
        ("circularity", "cycle", "a/b", 100.0, None, "percent", ["ab-chips", "ab-invest-s1", "ab-invest-s2"],
         f"a -> b -> a: a pays up to $10B to b; the narrowest flow back round the cycle is about $35B; the share {APPROX}",
         "approximately", "circularity"),
        ("circularity", "cycle", "a/b/c", 80.0, None, "percent", ABC,
         f"a -> b -> c -> a: a pays up to $10B to b; the narrowest flow back round the cycle is $8B; the share may be higher {BOUND}",
         "at_least", "circularity"),
        ("circularity", "cycle", "b/a", 10e9 / 35e9 * 100, None, "percent", ["ab-chips", "ab-invest-s1", "ab-invest-s2"],
         f"b -> a -> b: b pays about $35B to a; the narrowest flow back round the cycle is up to $10B; the share may be lower {BOUND}",
         "up_to", "circularity"),
        ("circularity", "cycle", "b/c", 2e9 / 30e9 * 100, 10.0, "percent", ["bc-cloud", "bc-equity"],
         "b -> c -> b: b pays $20B to $30B to c; the narrowest flow back round the cycle is $2B",
         "range", "circularity"),
        ("circularity", "cycle", "b/c/a", 8e9 / 30e9 * 100, 40.0, "percent", ABC,
         f"b -> c -> a -> b: b pays $20B to $30B to c; the narrowest flow back round the cycle is up to $8B; the share may be lower {BOUND}",
         "range", "circularity"),
        ("circularity", "cycle", "c/a/b", 100.0, None, "percent", ABC,
         f"c -> a -> b -> c: c pays $8B to a; the narrowest flow back round the cycle is up to $10B; the share may be lower {BOUND}",
         "up_to", "circularity"),
        ("circularity", "cycle", "c/b", 100.0, None, "percent", ["bc-cloud", "bc-equity"],
         "c -> b -> c: c pays $2B to b; the narrowest flow back round the cycle is $20B to $30B",
         "exact", "circularity"),
        ("commitments_vs_revenue", "party", "b", 20.0, None, "years", ["b-commitments", "b-revenue-2025"],
         f"at least $100B (stated total commitments) / $5B a year; the result may be higher {BOUND}",
         "at_least", "commitments_vs_revenue"),
        ("commitments_vs_revenue", "party", "c", 0.8, None, "years", ["c-revenue", "ca-chips"],
         "$8B (sum of purchase commitments in its deals) / $10B a year",
         "exact", "commitments_vs_revenue"),
        ("cost_per_gigawatt", "deal", "d-ab", 35e9 / 1.5, None, "USD_per_GW", ["ab-chips", "ab-power-first", "ab-power-second"],
         "about $35B of capacity purchases for 1.5 GW: about $23.33B per GW; 0.39x to 0.47x the $50B to $60B per GW"
         f" stated in a-unit-cost; the value {APPROX}",
         "approximately", "cost_per_gigawatt"),
        ("cost_per_gigawatt", "deal", "d-bc", 40e9, 60e9, "USD_per_GW", ["bc-cloud", "bc-power"],
         "$20B to $30B of capacity purchases for 0.5 GW: $40B to $60B per GW; 0.67x to 1.2x the $50B to $60B per GW"
         " stated in a-unit-cost",
         "range", "cost_per_gigawatt"),
        ("cost_per_gigawatt", "deal", "d-site", 60e9, None, "USD_per_GW", ["site-amount", "site-power"],
         "$12B of stated deal value for 0.2 GW: $60B per GW; 1x to 1.2x the $50B to $60B per GW stated in a-unit-cost",
         "exact", "cost_per_gigawatt"),
        ("vendor_financing_ratio", "pair", "a/b", 3.5, None, "ratio", ["ab-chips", "ab-invest-s1", "ab-invest-s2"],
         f"b buys about $35B from a, which invests up to $10B in b; the ratio may be higher {BOUND}",
         "at_least", "vendor_financing_ratio"),
        ("vendor_financing_ratio", "pair", "c/b", 10.0, 15.0, "ratio", ["bc-cloud", "bc-equity"],
         "b buys $20B to $30B from c, which invests $2B in b",
         "range", "vendor_financing_ratio"),
    ]  # fmt: skip


class CountingConnection:
    """A DuckDB connection that counts the rows a metric fetches into Python (and allows no other way out)."""

    def __init__(self, con):
        self._con = con
        self.fetched = 0

    def execute(self, *args):
        self._con.execute(*args)
        return self

    def fetchall(self):
        rows = self._con.fetchall()
        self.fetched += len(rows)
        return rows

    def fetchone(self):
        row = self._con.fetchone()
        self.fetched += row is not None
        return row

    def fetchmany(self, size=1):
        rows = self._con.fetchmany(size)
        self.fetched += len(rows)
        return rows

    @property
    def description(self):
        return self._con.description


# For each built-in metric, its subjects in figures_counted: the number of rows it may fetch.
SUBJECTS_SQL = {
    "circularity": """
        SELECT count(DISTINCT (from_party, to_party)) FROM figures_counted
        WHERE measure = 'amount' AND unit = 'USD' AND from_party IS NOT NULL AND to_party IS NOT NULL AND flow <> 'none'""",
    "vendor_financing_ratio": """
        SELECT count(DISTINCT (from_party, to_party, flow IN ('cash', 'equity'))) FROM figures_counted
        WHERE measure = 'amount' AND unit = 'USD' AND from_party IS NOT NULL AND to_party IS NOT NULL
          AND flow IN ('cash', 'equity', 'chips', 'compute', 'cloud_services')""",
    # capacity, stated value and power per deal; the industry's cost per GW
    "cost_per_gigawatt": """
        SELECT count(DISTINCT (deal_id, CASE WHEN measure = 'power' THEN 0 WHEN flow = 'none' THEN 1 ELSE 2 END))
             + (SELECT count(*) > 0 FROM figures_counted WHERE measure = 'unit_cost')::INTEGER
        FROM figures_counted
        WHERE deal_id IS NOT NULL AND (measure = 'power' OR (measure = 'amount' AND flow IN ('chips', 'compute', 'cloud_services', 'none')))""",
    # parties with an annual revenue, with stated commitments, with purchases
    "commitments_vs_revenue": """
        SELECT (SELECT count(DISTINCT party_id) FROM figures_counted WHERE measure = 'revenue'
                  AND (period_end IS NULL OR period_end - period_start + 1 BETWEEN 360 AND 370))
             + (SELECT count(DISTINCT party_id) FROM figures_counted WHERE measure = 'commitments_total')
             + (SELECT count(DISTINCT from_party) FROM figures_counted
                WHERE measure = 'amount' AND flow IN ('chips', 'compute', 'cloud_services') AND from_party IS NOT NULL)""",
}


@pytest.fixture(scope="module")
def synthetic_release(tmp_path_factory):
    """benchmarks/generate.py --metric-mix at 4,000 figures, in memory."""
    spec = importlib.util.spec_from_file_location("aideals_bench_generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    root = tmp_path_factory.mktemp("mix") / "pkg"
    generate.generate(root, 4000, metric_mix=True)
    con = db.connect_memory(package.load(root))
    yield con
    con.close()


@pytest.mark.parametrize("name", sorted(SUBJECTS_SQL))
def test_builtin_metrics_fetch_one_row_per_subject_not_the_figures(synthetic_release, name):
    module = plugins.import_file(ROOT / "plugins" / f"{name}.py")
    counting = CountingConnection(synthetic_release.cursor())
    rows = module.compute(counting)
    (subjects,) = synthetic_release.execute(SUBJECTS_SQL[name]).fetchone()
    (figures,) = synthetic_release.execute("SELECT count(*) FROM figures").fetchone()
    assert (counting.fetched, figures) == (subjects, 4000)
    assert rows and subjects < figures / 5  # 20 figures a deal, 200 a party, in the mix


def inputs_of(run, name, subject):
    (result,) = [r for r in run.results if r.metric == name and r.subject_id == subject]
    return result


# The real data grows, and parts of a deal (Nvidia's first $10B tranche of its up-to-$100B) still sit
# beside its totals: these tests pin the inputs the articles give, not values the next batch may move.
def test_builtin_metrics_on_the_real_data_trace_back_to_the_articles():
    run = run_builtins(ROOT)
    # ~$350B of GPUs for up to $100B invested
    ratio = inputs_of(run, "vendor_financing_ratio", "nvidia/openai")
    assert {"nvidia-openai-2025-gpu-purchases-cafetech", "nvidia-openai-2025-amount-openai-pr"} <= set(ratio.figure_ids)
    assert ratio.note.startswith("openai buys about $350B from nvidia, which invests ")
    # the incremental $250B of Azure that OpenAI contracted to buy from Microsoft
    azure = inputs_of(run, "vendor_financing_ratio", "microsoft/openai")
    assert "microsoft-openai-recapitalization-2025-azure-msft-10q" in azure.figure_ids
    # how much of Nvidia's money comes back to it: the same two flows
    back = inputs_of(run, "circularity", "openai/nvidia")
    assert {"nvidia-openai-2025-gpu-purchases-cafetech", "nvidia-openai-2025-amount-openai-pr"} <= set(back.figure_ids)
    # OpenAI's total commitments over its annual revenue; half-year revenue is never taken as annual
    years = inputs_of(run, "commitments_vs_revenue", "openai")
    assert "openai-commitments-total-hyperai" in years.figure_ids
    # its commitments to three cloud providers are a sum of its deals (`cumulative`), not its total
    assert "openai-commitments-total-developpez" not in years.figure_ids
    assert not any(f.startswith("openai-revenue-h1-2025-") for f in years.figure_ids)
