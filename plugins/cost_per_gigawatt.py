"""Built-in metric `cost_per_gigawatt`: what a deal pays for each gigawatt of capacity.

Formula, per deal with a dollar amount and a power figure:

    cost_per_gigawatt = capacity amount (USD) / power (GW)

The capacity amount is the sum of the deal's `amount` figures in USD whose flow pays for
capacity (`chips`, `compute`, `cloud_services`); a deal with none of those uses its amounts of
flow `none` (a total deal value stated without a direction). A deal that states capacity amounts
its umbrella deal's figures stand for, even some of them, has no row. Investments (`cash`, `equity`) are
not a price for capacity and are left out. Power is the sum of the deal's `power` figures (MW are
converted to GW). The note compares the value with the industry's stated cost per GW (the
`unit_cost` figures in USD_per_GW, e.g. Jensen Huang's $50-60B: each figure an alternative
statement, never added to another).
"""

from __future__ import annotations

from aideals import hookimpl
from aideals.metrics import Metric
from aideals.quantities import money, totals

CAPACITY_FLOWS = ("chips", "compute", "cloud_services")

# Per deal, three sums: its capacity amounts, its stated total value (flow none) and its power
# in GW, each adding up the deal's flows (kind and direction).
DEAL_FIGURES_SQL = f"""
SELECT figure_id, source_id, qualifier, deal_id,
       CASE WHEN measure = 'power' THEN 'power' WHEN flow = 'none' THEN 'stated' ELSE 'capacity' END AS part,
       flow, coalesce(from_party, '') AS from_key, coalesce(to_party, '') AS to_key,
       CASE WHEN unit = 'MW' THEN value / 1000 ELSE value END AS value,
       CASE WHEN unit = 'MW' THEN value_high / 1000 ELSE value_high END AS value_high
FROM figures_counted
WHERE deal_id IS NOT NULL
  AND (
        (measure = 'amount' AND unit = 'USD' AND flow IN {CAPACITY_FLOWS + ("none",)})
     OR (measure = 'power' AND unit IN ('GW', 'MW'))
  )
"""

# A cost per GW is never added up, even within one source: each figure is an alternative
# statement of it (its own "source" for totals), and the benchmark runs from the lowest to the highest.
BENCHMARK_SQL = """
SELECT figure_id, figure_id AS source_id, value, value_high, qualifier, unit
FROM figures_counted
WHERE measure = 'unit_cost' AND unit = 'USD_per_GW'
"""

# Deals with a whole capacity amount of their own that figures_counted leaves out (its umbrella's
# figure stands for it, or the deal is not counted at all): their capacity is not all theirs to
# price, neither by the amounts left nor by a stated total value (which may cover land and
# buildings too), so they have no row. Few rows.
CAPACITY_COUNTED_ABOVE_SQL = f"""
SELECT DISTINCT deal_id FROM figures
WHERE component IS NULL AND measure = 'amount' AND unit = 'USD' AND flow IN {CAPACITY_FLOWS}
  AND deal_id IS NOT NULL AND figure_id NOT IN (SELECT figure_id FROM figures_counted)
"""


def compute(con) -> list[dict]:
    """One row per deal with both a capacity amount and a power figure.

    The sums are computed in DuckDB: at most three rows per deal come into Python.
    """
    sums = totals(con, DEAL_FIGURES_SQL, subject=("deal_id", "part"), parts=("flow", "from_key", "to_key"))
    benchmark = totals(con, BENCHMARK_SQL, subject=("unit",)).get("USD_per_GW")
    counted_above = {deal_id for (deal_id,) in con.execute(CAPACITY_COUNTED_ABOVE_SQL).fetchall()}
    rows = []
    for deal_id in sorted({deal_id for deal_id, _ in sums}):
        capacity = sums.get((deal_id, "capacity"))
        stated = sums.get((deal_id, "stated"))
        power = sums.get((deal_id, "power"))
        if deal_id in counted_above:
            continue  # some of its capacity is counted in its umbrella: no price of its own here
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
