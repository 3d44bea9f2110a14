"""Built-in metric `commitments_vs_revenue`: how many years of revenue a party has committed.

Formula, per party with an annual revenue figure:

    commitments_vs_revenue = total commitments (USD) / annual revenue (USD per year)   (years)

Total commitments are the party's `commitments_total` figures (as the sources state them: what it
has committed to pay; a `backlog`, what its customers owe it, is not read); a
party without one gets the sum of its purchase commitments in the deals (`amount` figures in USD
from the party with flow `chips`, `compute` or `cloud_services`). Annual revenue is a `revenue`
figure whose period covers a year (360 to 370 days) or that gives no period (sources state
yearly revenue "per year" without dates); revenue for part of a year (OpenAI's first half of
2025) is not annualised, and run-rates (`component = run-rate`) are not revenue. Only one year is
used: the latest dated one, or the undated figures when no year is dated. Parts of a deal or of a
fact (figures with a `component`) are never used. When sources disagree, the result is a range.
"""

from __future__ import annotations

from aideals import hookimpl
from aideals.metrics import Metric
from aideals.quantities import Quantity, money, totals

ANNUAL_REVENUE_SQL = """
SELECT figure_id, party_id, source_id, value, value_high, qualifier
FROM figures_counted
WHERE measure = 'revenue' AND unit = 'USD' AND party_id IS NOT NULL
  AND (
        (period_start IS NULL AND period_end IS NULL)
     OR (period_end - period_start + 1 BETWEEN 360 AND 370)
  )
-- one year only: the latest dated year, or the undated figures when no year is dated
QUALIFY period_end IS NOT DISTINCT FROM max(period_end) OVER (PARTITION BY party_id)
"""

STATED_COMMITMENTS_SQL = """
SELECT figure_id, party_id, source_id, value, value_high, qualifier
FROM figures_counted
WHERE measure = 'commitments_total' AND unit = 'USD' AND party_id IS NOT NULL
"""

# A party's purchases add up over its deals, sellers and flow kinds.
PURCHASE_COMMITMENTS_SQL = """
SELECT figure_id, from_party AS party_id, source_id, value, value_high, qualifier,
       coalesce(deal_id, '') AS deal_key, coalesce(to_party, '') AS to_key, flow
FROM figures_counted
WHERE measure = 'amount' AND unit = 'USD' AND from_party IS NOT NULL
  AND flow IN ('chips', 'compute', 'cloud_services')
"""


def compute(con) -> list[dict]:
    """One row per party with an annual revenue and commitments.

    The sums are computed in DuckDB: at most three rows per party come into Python.
    """
    revenue = totals(con, ANNUAL_REVENUE_SQL, subject=("party_id",))
    stated = totals(con, STATED_COMMITMENTS_SQL, subject=("party_id",))
    purchases = totals(con, PURCHASE_COMMITMENTS_SQL, subject=("party_id",), parts=("deal_key", "to_key", "flow"))
    rows = []
    for party, annual in revenue.items():
        commitments: Quantity | None = stated.get(party)
        kind = "stated total commitments"
        if commitments is None:
            commitments = purchases.get(party)
            kind = "sum of purchase commitments in its deals"
        if commitments is None:
            continue
        years = commitments.divided_by(annual)
        if years is None:
            continue
        note = f"{money(commitments)} ({kind}) / {money(annual)} a year"
        if years.caveat():
            note += f"; the result {years.caveat()}"
        rows.append(
            {"subject_type": "party", "subject_id": party, "unit": "years", "note": note, **years.result()}
        )
    return rows


@hookimpl
def aideals_register_metrics():
    return [
        Metric(
            name="commitments_vs_revenue",
            title="Commitments against revenue",
            description="A party's total commitments divided by its annual revenue: how many years of revenue they represent.",
            unit="years",
            formula="total commitments (USD; stated commitments_total, else the sum of its chips/compute/cloud_services purchases) / annual revenue (USD)",
            function=compute,
        )
    ]
