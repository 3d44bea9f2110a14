"""Built-in metric `commitments_vs_revenue`: how many years of revenue a party has committed.

Formula, per party with an annual revenue figure:

    commitments_vs_revenue = total commitments (USD) / annual revenue (USD per year)   (years)

Total commitments are the party's `commitments_total` figures (as the sources state them); a
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
from aideals.metrics import Metric, query
from aideals.quantities import Quantity, grouped, money, total

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
ORDER BY figure_id
"""

STATED_COMMITMENTS_SQL = """
SELECT figure_id, party_id, source_id, value, value_high, qualifier
FROM figures_counted
WHERE measure = 'commitments_total' AND unit = 'USD' AND party_id IS NOT NULL
ORDER BY figure_id
"""

PURCHASE_COMMITMENTS_SQL = """
SELECT figure_id, deal_id, from_party AS party_id, to_party, flow, source_id, value, value_high, qualifier
FROM figures_counted
WHERE measure = 'amount' AND unit = 'USD' AND from_party IS NOT NULL
  AND flow IN ('chips', 'compute', 'cloud_services')
ORDER BY figure_id
"""


def _party(f: dict) -> str:
    return f["party_id"]


def _deal_flow(f: dict) -> tuple[str, str, str]:
    return (f["deal_id"] or "", f["to_party"] or "", f["flow"])


def compute(con) -> list[dict]:
    """One row per party with an annual revenue and commitments."""
    revenue = grouped(query(con, ANNUAL_REVENUE_SQL), _party)
    stated = grouped(query(con, STATED_COMMITMENTS_SQL), _party)
    purchases = query(con, PURCHASE_COMMITMENTS_SQL)
    rows = []
    for party, annual in revenue.items():
        commitments: Quantity | None = stated.get(party)
        kind = "stated total commitments"
        if commitments is None:
            commitments = total(grouped([f for f in purchases if f["party_id"] == party], _deal_flow).values())
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
