"""Built-in metric `circularity`: the cycles in the graph of money flows and how much comes back.

The graph: one edge `a -> b` for every pair of parties where the data has `amount` figures in USD
from `a` to `b` (any flow: cash, equity, chips, compute, cloud_services), its value the sum over
their deals. A cycle is a closed path `a -> b -> ... -> a` with no party twice (up to
MAX_CYCLE_LENGTH parties). Formula, for each cycle and each of its flows `a -> b`:

    circularity = min(100, 100 * smallest other flow of the cycle / flow a -> b)   (percent)

that is, the largest share of what `a` pays `b` that can come back to `a` round the cycle: the
cycle's narrowest other flow bounds what returns. Subject: the cycle written from `a`, e.g.
`openai/nvidia` is OpenAI -> Nvidia (chips) -> OpenAI (cash): about 28.6% of OpenAI's GPU
purchases come back as Nvidia's investment. Money is fungible: this measures how much could go
round, not that the same dollars do.
"""

from __future__ import annotations

from aideals import hookimpl
from aideals.metrics import Metric
from aideals.quantities import Quantity, money, smallest, totals

MAX_CYCLE_LENGTH = 6

# Every USD amount between two parties; an edge adds up its deals and flow kinds (the parts).
EDGE_FIGURES_SQL = """
SELECT figure_id, source_id, value, value_high, qualifier, from_party, to_party,
       coalesce(deal_id, '') AS deal_key, flow
FROM figures_counted
WHERE measure = 'amount' AND unit = 'USD'
  AND from_party IS NOT NULL AND to_party IS NOT NULL AND flow <> 'none'
"""


def edges(con) -> dict[tuple[str, str], Quantity]:
    """(payer, payee) -> the total flow between them, summed over deals and flow kinds.

    Computed in DuckDB: one row per pair comes into Python, whatever the number of figures.
    """
    return totals(con, EDGE_FIGURES_SQL, subject=("from_party", "to_party"), parts=("deal_key", "flow"))


def cycles(graph: dict[tuple[str, str], Quantity], max_length: int = MAX_CYCLE_LENGTH) -> list[list[str]]:
    """Every simple cycle, once each, written from its smallest party id, in sorted order."""
    succ: dict[str, list[str]] = {}
    for a, b in graph:
        succ.setdefault(a, []).append(b)
    found = []

    def walk(start: str, path: list[str]) -> None:
        for nxt in sorted(succ.get(path[-1], [])):
            if nxt == start:
                found.append(list(path))
            elif nxt > start and nxt not in path and len(path) < max_length:
                walk(start, path + [nxt])

    for start in sorted(succ):
        walk(start, [start])
    return sorted(found)


def compute(con) -> list[dict]:
    """One row per cycle and flow of the cycle."""
    graph = edges(con)
    rows = []
    for cycle in cycles(graph):
        n = len(cycle)
        for i in range(n):
            order = cycle[i:] + cycle[:i]
            flow_edges = [(order[k], order[(k + 1) % n]) for k in range(n)]
            out = graph[flow_edges[0]]
            back = smallest(graph[e] for e in flow_edges[1:])
            share = back.divided_by(out)
            if share is None:
                continue
            share = share.times(100).at_most(100)
            # The share uses every flow of the cycle: the narrowest one bounds it, the others are why it is a cycle.
            used = tuple(sorted({f for e in flow_edges for f in graph[e].figure_ids}))
            path = " -> ".join(order + [order[0]])
            note = (
                f"{path}: {order[0]} pays {money(out)} to {order[1]}; "
                f"the narrowest flow back round the cycle is {money(back)}"
            )
            if share.caveat():
                note += f"; the share {share.caveat()}"
            result = share.result()
            result["figure_ids"] = list(used)
            rows.append(
                {"subject_type": "cycle", "subject_id": "/".join(order), "unit": "percent", "note": note, **result}
            )
    return rows


@hookimpl
def aideals_register_metrics():
    return [
        Metric(
            name="circularity",
            title="Circularity of money flows",
            description="For each cycle of money flows between parties, the share of each flow that can come back to its payer (subject: the cycle from the payer, a/b/...).",
            unit="percent",
            formula="min(100, 100 * smallest other flow of the cycle (USD) / the flow a -> b (USD)), flows summed over deals",
            function=compute,
        )
    ]
