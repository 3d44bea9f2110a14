"""Built-in metric `cost_per_gigawatt`: what a deal pays for each gigawatt of capacity.

Formula, per deal with a dollar amount and a power figure:

    cost_per_gigawatt = capacity amount (USD) / power (GW)

The capacity amount is the sum of the deal's `amount` figures in USD whose flow pays for
capacity (`chips`, `compute`, `cloud_services`); a deal with none of those uses its amounts of
flow `none` (a total deal value stated without a direction). Investments (`cash`, `equity`) are
not a price for capacity and are left out. Power is the sum of the deal's `power` figures (MW are
converted to GW). The note compares the value with the industry's stated cost per GW (the
`unit_cost` figures in USD_per_GW, e.g. Jensen Huang's $50-60B).
"""

from __future__ import annotations

from aideals import hookimpl
from aideals.metrics import Metric, query
from aideals.quantities import Quantity, grouped, money, total

CAPACITY_FLOWS = ("chips", "compute", "cloud_services")

DEAL_FIGURES_SQL = """
SELECT figure_id, deal_id, source_id, from_party, to_party, flow, measure, value, value_high, unit, qualifier
FROM figures_counted
WHERE deal_id IS NOT NULL
  AND (
        (measure = 'amount' AND unit = 'USD' AND flow IN ('chips', 'compute', 'cloud_services', 'none'))
     OR (measure = 'power' AND unit IN ('GW', 'MW'))
  )
ORDER BY deal_id, figure_id
"""

BENCHMARK_SQL = """
SELECT figure_id, source_id, value, value_high, qualifier
FROM figures_counted
WHERE measure = 'unit_cost' AND unit = 'USD_per_GW'
ORDER BY figure_id
"""


def _in_gw(row: dict) -> dict:
    if row["unit"] != "MW":
        return row
    return {
        **row,
        "value": row["value"] / 1000,
        "value_high": None if row["value_high"] is None else row["value_high"] / 1000,
    }


def _flow_key(f: dict) -> tuple[str, str, str]:
    return (f["flow"], f["from_party"] or "", f["to_party"] or "")


def compute(con) -> list[dict]:
    """One row per deal with both a capacity amount and a power figure."""
    figures = query(con, DEAL_FIGURES_SQL)
    benchmark_rows = query(con, BENCHMARK_SQL)
    benchmark = Quantity.from_figures(benchmark_rows)
    rows = []
    for deal_id in sorted({f["deal_id"] for f in figures}):
        mine = [f for f in figures if f["deal_id"] == deal_id]
        capacity = total(grouped([f for f in mine if f["measure"] == "amount" and f["flow"] in CAPACITY_FLOWS], _flow_key).values())
        stated = total(grouped([f for f in mine if f["measure"] == "amount" and f["flow"] == "none"], _flow_key).values())
        power = total(grouped([_in_gw(f) for f in mine if f["measure"] == "power"], _flow_key).values())
        amount = capacity or stated
        if amount is None or power is None:
            continue
        per_gw = amount.divided_by(power)
        if per_gw is None:
            continue
        power_text = f"{power.low:g} GW" if power.low == power.high else f"{power.low:g} to {power.high:g} GW"
        kind = "capacity purchases" if capacity else "stated deal value"
        note = f"{money(amount)} of {kind} for {power_text}: {money(per_gw)} per GW"
        if benchmark is not None and benchmark.low > 0:
            versus = per_gw.divided_by(benchmark)
            low, high = round(versus.low, 2), round(versus.high, 2)
            times = f"{low:g}x" if low == high else f"{low:g}x to {high:g}x"
            note += (
                f"; {times} the {money(benchmark)} per GW stated in {', '.join(benchmark.figure_ids)}"
            )
        if per_gw.caveat():
            note += f"; the value {per_gw.caveat()}"
        rows.append(
            {
                "subject_type": "deal",
                "subject_id": deal_id,
                "unit": "USD_per_GW",
                "note": note,
                **per_gw.result(),
            }
        )
    return rows


@hookimpl
def aideals_register_metrics():
    return [
        Metric(
            name="cost_per_gigawatt",
            title="Cost per gigawatt",
            description="What a deal pays for each gigawatt of capacity, compared with the industry's stated $50-60B per GW.",
            unit="USD_per_GW",
            formula="sum of the deal's capacity amounts (USD: chips, compute, cloud_services; else flow none) / sum of its power figures (GW)",
            function=compute,
        )
    ]
