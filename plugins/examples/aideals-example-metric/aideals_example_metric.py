"""Example aideals plugin: `deals_per_party`, the number of deals with figures each party is in.

A metric in SQL: the query reads the release tables and returns result rows
(schemas/metric-result.schema.json); `metric` is filled in by aideals. Every row lists the
figures it counts, so `aideals metrics explain deals_per_party openai` shows their quotes.
"""

from aideals import hookimpl
from aideals.metrics import Metric

DEALS_PER_PARTY_SQL = """
SELECT
    'party'                                          AS subject_type,
    p.party_id                                       AS subject_id,
    count(DISTINCT d.deal_id)::DOUBLE                AS value,
    'deals'                                          AS unit,
    list_sort(list_distinct(list(f.figure_id)))      AS figure_ids,
    'deals with at least one figure'                 AS note
FROM parties p
JOIN deals d   ON p.party_id IN (d.party_a, d.party_b)
JOIN figures f ON f.deal_id = d.deal_id
GROUP BY p.party_id
ORDER BY p.party_id
"""


@hookimpl
def aideals_register_metrics():
    return [
        Metric(
            name="deals_per_party",
            title="Deals per party",
            description="How many deals with at least one figure each party takes part in.",
            unit="deals",
            formula="count of distinct deals where the party is party_a or party_b and the deal has figures",
            sql=DEALS_PER_PARTY_SQL,
        )
    ]
