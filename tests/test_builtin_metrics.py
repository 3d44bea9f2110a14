"""The built-in metrics of plugins/, on the hand-worked fixture package and on the real data."""

from __future__ import annotations

import pytest

from aideals import metrics, package, plugins
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
    assert {"openai-commitments-total-developpez", "openai-commitments-total-hyperai"} <= set(years.figure_ids)
    assert not any(f.startswith("openai-revenue-h1-2025-") for f in years.figure_ids)
