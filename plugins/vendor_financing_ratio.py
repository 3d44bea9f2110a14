"""Built-in metric `vendor_financing_ratio`: how much a customer buys from a vendor that invests in it.

Formula, per ordered pair (vendor, customer) with both flows in the data:

    vendor_financing_ratio = customer's purchase commitments to the vendor (USD)
                             / vendor's investment in the customer (USD)

Purchases are `amount` figures in USD from the customer to the vendor with flow `chips`,
`compute` or `cloud_services`; investments are `amount` figures in USD from the vendor to the
customer with flow `cash` or `equity`. Both are summed over every deal between the two parties
(Microsoft invested in 2019-2023 and OpenAI's Azure commitment came with the 2025
recapitalisation). The Nvidia GPU spend ratio: about $350B of GPUs for up to $100B invested,
3.5 or more. A ratio above 1 means more money comes back to the vendor as sales than it put in.
"""

from __future__ import annotations

from aideals import hookimpl
from aideals.metrics import Metric
from aideals.quantities import money, totals

INVESTMENT_FLOWS = ("cash", "equity")
PURCHASE_FLOWS = ("chips", "compute", "cloud_services")

# Investments and purchases between two parties, each summed over their deals and flow kinds.
PAIR_FLOWS_SQL = f"""
SELECT figure_id, source_id, value, value_high, qualifier, from_party, to_party,
       CASE WHEN flow IN {INVESTMENT_FLOWS} THEN 'investment' ELSE 'purchase' END AS kind,
       coalesce(deal_id, '') AS deal_key, flow
FROM figures_counted
WHERE measure = 'amount' AND unit = 'USD'
  AND from_party IS NOT NULL AND to_party IS NOT NULL
  AND flow IN {INVESTMENT_FLOWS + PURCHASE_FLOWS}
"""


def compute(con) -> list[dict]:
    """One row per (vendor, customer) with an investment one way and purchases the other.

    The sums are computed in DuckDB: two rows per pair of parties come into Python at most.
    """
    flows = totals(con, PAIR_FLOWS_SQL, subject=("from_party", "to_party", "kind"), parts=("deal_key", "flow"))
    rows = []
    for (vendor, customer, kind), invested in flows.items():
        if kind != "investment":
            continue
        bought = flows.get((customer, vendor, "purchase"))
        if bought is None or invested is None:
            continue
        ratio = bought.divided_by(invested)
        if ratio is None:
            continue
        note = f"{customer} buys {money(bought)} from {vendor}, which invests {money(invested)} in {customer}"
        if ratio.caveat():
            note += f"; the ratio {ratio.caveat()}"
        rows.append(
            {
                "subject_type": "pair",
                "subject_id": f"{vendor}/{customer}",
                "unit": "ratio",
                "note": note,
                **ratio.result(),
            }
        )
    return rows


@hookimpl
def aideals_register_metrics():
    return [
        Metric(
            name="vendor_financing_ratio",
            title="Vendor financing ratio",
            description="What a customer commits to buy from a vendor for each dollar the vendor invests in it (subject: vendor/customer).",
            unit="ratio",
            formula="sum of customer -> vendor purchases (USD: chips, compute, cloud_services) / sum of vendor -> customer investments (USD: cash, equity), over all their deals",
            function=compute,
        )
    ]
