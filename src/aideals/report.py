"""The release as one offline HTML page: flow network, timeline, metrics, figures, citation.

`write_report(con, out, version=..., built_at=...)` reads the tables and views of a release
(`parties`, `deals`, `figures_resolved`, `flows`, `consensus`, `metrics`) from a DuckDB connection
and writes a single self-contained HTML file. The charts are drawn by plotly.js, inlined from the
`plotly` Python package; this module only computes the data, the positions of the parties and the
figure specifications. Every text from the data reaches the page either HTML-escaped (server-side
parts, chart labels) or as JSON rendered with `textContent` (the figures table), so a name holding
`</script>` or quotes stays text. The same input and `built_at` give the same bytes.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aideals.db import connect as db_connect

if TYPE_CHECKING:
    import duckdb

# Above this many rows in `flows`, edges are aggregated by party pair and flow kind and drawn as a
# few layered traces: one plotly trace per edge is exact but slow and unreadable at thousands.
EDGE_TRACE_LIMIT = 400
# At scale, only the largest aggregated edges are drawn at first; the others wait, thin and grey,
# behind a legend entry. A few hundred edges is about what a reader can follow on one screen.
SHOWN_EDGES = 300
# Only the parties with the largest flows get a permanent label; every node keeps its hover text.
LABEL_LIMIT = 30
# Deal titles are written next to timeline points only while they can be read.
TIMELINE_LABEL_LIMIT = 30
FIGURES_PAGE_SIZE = 50
# Caps on what one page embeds, so that a release of millions of figures still gives a page a
# browser opens (and a build that stays within its memory): beyond them the page shows a
# deterministic part and says so. The scale measured in benchmarks/report_scale.py is within them.
FIGURE_LIMIT = 10_000  # the first figures by figure_id
NETWORK_PARTY_LIMIT = 200  # the parties with the most USD in flows (the layout is quadratic in parties)
FLOW_LIMIT = 5_000  # flows between those parties, largest first
DEAL_LIMIT = 2_500  # deals on the timeline and the undated list, by date then deal_id
METRIC_LIMIT = 500  # rows of each metric, in table order (one plugin's many rows cannot crowd out the others)
UNDATED_OPEN_LIMIT = 30
# Flow kinds, in legend order, with colour-blind-safe colours (Okabe–Ito).
FLOW_COLOURS = {
    "cash": "#E69F00",
    "equity": "#0072B2",
    "compute": "#009E73",
    "cloud_services": "#CC79A7",
    "chips": "#D55E00",
}
OTHER_COLOUR = "#777777"
EMPTY_NETWORK = "No flows between parties in deals not called off: no network to draw."
EMPTY_TIMELINE = "No deal in this release has an announcement date: no timeline to draw."
PART_NOTE = "Part of a larger deal that states this flow too: counted there, not in the totals"
# The table of the flows under the network (what the chart shows, for keyboards and screen
# readers) lists at most this many edges, the largest first.
FLOW_TABLE_LIMIT = 1_000
CYCLE_HALO = "rgba(255, 196, 0, 0.45)"
CYCLE_NODE_LINE = "#B8860B"
NODE_FILL = "#3B4A5E"
QUALIFIER_WORDS = {
    "exact": "",
    "approximately": "about",
    "up_to": "up to",
    "at_least": "at least",
    "more_than": "more than",
    "estimate": "estimated",
    "range": "",
}
# A metric result's `estimate` is no number anyone estimated: its inputs' bounds push it both ways
# (plugins/README.md, "What a result's qualifier means").
METRIC_ESTIMATE = "may be lower or higher"
SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+\Z", re.IGNORECASE)
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

PARTIES_SQL = "SELECT party_id, name, kind, country FROM parties ORDER BY party_id"
DEALS_SQL = """
SELECT deal_id, title, kind, announced, date_precision, status, party_a, party_b
FROM deals
ORDER BY announced NULLS LAST, deal_id
"""
FIGURES_SQL = """
SELECT f.figure_id, f.deal_id, f.deal_title, f.party_id, f.party_name, f.from_party, f.from_name, f.to_party,
       f.to_name, f.flow, f.measure, f.value, f.value_high, f.unit, f.qualifier, f.component, f.period_start,
       f.period_end, f.as_of, f.deal_status, f.source_id, f.source_title, f.source_publisher, f.source_published,
       f.source_published_precision, f.source_url, f.source_language, f.quote, f.note,
       d.party_a AS deal_party_a, d.party_b AS deal_party_b
FROM figures_resolved f
LEFT JOIN deals d ON d.deal_id = f.deal_id
ORDER BY f.figure_id
"""
# The `consensus` groups (src/aideals/sql/views.sql) in which sources disagree, among the groups of
# the figures shown: what `SELECT figure_ids FROM consensus WHERE sources_disagree AND
# list_has_any(figure_ids, ?)` gives, without computing the view over every figure of a large
# release. The group keys of the figures shown are taken first, then only the figures with one of
# those keys are grouped (a NULL key matches a NULL key, as in GROUP BY). Keys and disagreement as
# in the view (count(DISTINCT f.period_start) is of the stated period, also for deal figures);
# tests/test_report.py holds the two answers equal.
DISAGREEMENTS_SQL = """
WITH shown_keys AS (
    SELECT DISTINCT deal_id, party_id, measure, flow, from_party, to_party, unit, component,
           CASE WHEN deal_id IS NULL THEN period_start END AS period_start,
           CASE WHEN deal_id IS NULL THEN period_end END   AS period_end,
           CASE WHEN deal_id IS NULL THEN as_of END        AS as_of
    FROM figures
    WHERE figure_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
)
SELECT list(f.figure_id ORDER BY f.figure_id) AS figure_ids
FROM figures f
JOIN shown_keys k
  ON  f.deal_id    IS NOT DISTINCT FROM k.deal_id
  AND f.party_id   IS NOT DISTINCT FROM k.party_id
  AND f.measure    IS NOT DISTINCT FROM k.measure
  AND f.flow       IS NOT DISTINCT FROM k.flow
  AND f.from_party IS NOT DISTINCT FROM k.from_party
  AND f.to_party   IS NOT DISTINCT FROM k.to_party
  AND f.unit       IS NOT DISTINCT FROM k.unit
  AND f.component  IS NOT DISTINCT FROM k.component
  AND (CASE WHEN f.deal_id IS NULL THEN f.period_start END) IS NOT DISTINCT FROM k.period_start
  AND (CASE WHEN f.deal_id IS NULL THEN f.period_end END)   IS NOT DISTINCT FROM k.period_end
  AND (CASE WHEN f.deal_id IS NULL THEN f.as_of END)        IS NOT DISTINCT FROM k.as_of
GROUP BY k.deal_id, k.party_id, k.measure, k.flow, k.from_party, k.to_party, k.unit, k.component,
         k.period_start, k.period_end, k.as_of
HAVING count(DISTINCT f.source_id) > 1 AND (
    count(DISTINCT f.value) > 1
    OR count(DISTINCT coalesce(f.value_high, f.value)) > 1
    OR count(DISTINCT f.period_start) > 1
    OR count(DISTINCT f.period_end) > 1
) AND NOT (
    k.component IS NOT NULL
    AND count(*) > count(DISTINCT f.source_id)
) AND NOT (
    k.deal_id IS NULL AND k.period_start IS NULL AND k.period_end IS NULL AND k.as_of IS NULL
)
ORDER BY figure_ids
"""
FIGURES_BY_ID_SQL = FIGURES_SQL.replace("ORDER BY", "WHERE list_contains(?, f.figure_id)\nORDER BY")
PARTIES_NAMED_SQL = PARTIES_SQL.replace("ORDER BY", "WHERE list_contains(?, party_id) ORDER BY")
# `flows` is computed once into a temporary table (at millions of figures it is the costly view):
# by check_release, whose checks read it too, or else by collect.
# The network draws what changed hands or is committed: the flows of deals called off (`cancelled`)
# are left out, so that no arrow, size or cycle rests on money that never moved, and so are those
# of an earlier report recorded again as another deal (`superseded`), so that none is drawn twice.
REPORT_FLOWS = "aideals_report_flows"
REPORT_FLOWS_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS {REPORT_FLOWS} AS
SELECT fl.deal_id, d.title AS deal_title, fl.from_party, fl.to_party, fl.flow, fl.measure, fl.unit,
       fl.value_low, fl.value_high, fl.n_figures, fl.n_sources, fl.figure_ids,
       fl.qualifiers, fl.components, fl.counted_in_parent,
       CASE WHEN fl.measure = 'amount' AND fl.unit = 'USD' THEN fl.value_high END AS usd
FROM flows fl
LEFT JOIN deals d ON d.deal_id = fl.deal_id
WHERE fl.deal_status IS DISTINCT FROM 'cancelled' AND fl.deal_status IS DISTINCT FROM 'superseded'
"""
# The columns of `flows` that the table above keeps (check_release reads their values there).
REPORT_FLOWS_COLUMNS = ("deal_id", "from_party", "to_party", "flow", "measure", "unit", "value_low", "value_high",
                        "n_figures", "n_sources", "figure_ids", "qualifiers", "components", "counted_in_parent")
# The release's rows of each table (Contents), then the flows the network draws from.
TOTALS_SQL = f"""
SELECT (SELECT count(*) FROM parties), (SELECT count(*) FROM deals), (SELECT count(*) FROM figures),
       (SELECT count(*) FROM sources), (SELECT count(*) FROM flows), (SELECT count(*) FROM metrics),
       (SELECT count(*) FROM {REPORT_FLOWS})
"""
# What each party pays and receives over all the flows of deals not called off, drawn or not: one
# row per party, end and kind of bound (report._bound reads `qualifiers` and `components`).
PARTY_FLOWS_SQL = f"""
WITH ends AS (
    SELECT from_party AS party, 'out' AS side, usd, counted_in_parent, qualifiers, components FROM {REPORT_FLOWS}
    UNION ALL
    SELECT to_party, 'in', usd, counted_in_parent, qualifiers, components FROM {REPORT_FLOWS}
)
SELECT party, side, usd IS NOT NULL AS in_usd, coalesce(counted_in_parent, false) AS counted_in_parent,
       list_sort(list_distinct(coalesce(qualifiers, []))) AS qualifiers, coalesce(components, []) AS components,
       count(*) AS n, sum(usd) AS usd
FROM ends
GROUP BY ALL
ORDER BY ALL
"""
# The pairs money moves between, for the cycles: all of them, drawn or not.
MONEY_PAIRS_SQL = f"SELECT DISTINCT from_party, to_party FROM {REPORT_FLOWS} WHERE measure = 'amount' ORDER BY ALL"
# Parties ranked by the USD they pay and receive in flows, then by their number of flows.
FLOW_ENDS = f"""
WITH ends AS (
    SELECT from_party AS party, usd FROM {REPORT_FLOWS}
    UNION ALL
    SELECT to_party, usd FROM {REPORT_FLOWS}
)
"""
FLOW_PARTIES_SQL = FLOW_ENDS + "SELECT party FROM ends GROUP BY party ORDER BY coalesce(sum(usd), 0) DESC, count(*) DESC, party LIMIT ?"
FLOW_PARTY_COUNT_SQL = FLOW_ENDS + "SELECT count(DISTINCT party) FROM ends"
# The largest flows first when there are too many, then by deal, parties, kind, measure and unit.
FLOWS_LIMITED_SQL = f"""
SELECT * EXCLUDE (usd) FROM (
    SELECT * FROM {REPORT_FLOWS}
    {{where}}
    ORDER BY usd DESC NULLS LAST, deal_id NULLS LAST, from_party, to_party, flow, measure, unit
    LIMIT $limit
)
ORDER BY deal_id NULLS LAST, from_party, to_party, flow, measure, unit
"""
# rumoured_deals: the deals of a row's input figures that are `rumoured` (reported by the press,
# confirmed by no party), which `aideals metrics run --confirmed-only` would leave out.
METRICS_SQL = """
WITH shown AS (
    SELECT m.rowid AS r, m.* FROM metrics m
    QUALIFY row_number() OVER (PARTITION BY m.metric ORDER BY m.subject_type, m.subject_id, m.value, m.rowid) <= ?
), inputs AS (
    SELECT s.r, unnest(s.figure_ids) AS figure_id FROM shown s
), rumoured AS (
    SELECT i.r, list(DISTINCT d.deal_id ORDER BY d.deal_id) AS deals
    FROM inputs i JOIN figures f ON f.figure_id = i.figure_id JOIN deals d ON d.deal_id = f.deal_id
    WHERE d.status = 'rumoured'
    GROUP BY i.r
)
SELECT s.metric, s.subject_type, s.subject_id, s.value, s.value_high, s.unit, s.qualifier, s.figure_ids, s.note,
       coalesce(r.deals, []) AS rumoured_deals
FROM shown s LEFT JOIN rumoured r ON r.r = s.r
ORDER BY s.metric, s.subject_type, s.subject_id, s.value, s.r
"""


# What the page reads of a release, table or view by table or view: the columns it reads, with a
# `!` after those it needs a value in (a valid release has one in every row: their Table Schema
# requires them, or the metrics table is NOT NULL there). Each column has the DuckDB type a build
# gives it: REPORT_TYPES, else VARCHAR. `aideals report --db` checks a database against this before
# reading it (check_release); tests/test_report.py renders a database holding these columns alone.
REPORT_READS: dict[str, tuple[str, ...]] = {
    "parties": ("party_id!", "name!", "kind", "country"),
    "deals": ("deal_id!", "title!", "kind", "announced", "date_precision", "status", "party_a!", "party_b!"),
    "sources": (),
    "figures": ("figure_id!", "deal_id", "party_id", "from_party", "to_party", "flow", "measure", "value",
                "value_high", "unit", "component", "period_start", "period_end", "as_of", "source_id"),
    "figures_resolved": (
        "figure_id!", "deal_id", "deal_title", "party_id", "party_name", "from_party", "from_name", "to_party",
        "to_name", "flow", "measure", "value", "value_high", "unit", "qualifier", "component", "period_start",
        "period_end", "as_of", "deal_status", "source_id", "source_title", "source_publisher", "source_published",
        "source_published_precision", "source_url", "source_language", "quote", "note"),
    "flows": ("deal_id", "from_party!", "to_party!", "flow", "measure", "unit", "value_low", "value_high", "n_figures",
              "n_sources", "figure_ids!", "qualifiers", "components", "counted_in_parent", "deal_status"),
    "metrics": ("metric!", "subject_type!", "subject_id!", "value", "value_high", "unit", "qualifier", "figure_ids!",
                "note"),
}
REPORT_TYPES = {
    "value": "DOUBLE", "value_high": "DOUBLE", "value_low": "DOUBLE",
    "announced": "DATE", "period_start": "DATE", "period_end": "DATE", "as_of": "DATE", "source_published": "DATE",
    "n_figures": "BIGINT", "n_sources": "BIGINT", "counted_in_parent": "BOOLEAN",
    "figure_ids": "VARCHAR[]", "qualifiers": "VARCHAR[]", "components": "VARCHAR[]",
}


@dataclass(frozen=True)
class Edge:
    """One drawn edge: a row of `flows`, or (at scale) all flows of one kind between two parties."""

    source: str
    target: str
    kind: str
    usd: float | None  # the largest amount stated in USD, None for non-monetary flows
    hover: str  # plotly hover text, already HTML-escaped
    n_flows: int
    on_cycle: bool
    amount: str = ""  # plain text, for the table of the flows
    deals: tuple[str, ...] = ()  # the titles of its deals
    note: str = ""


# ---------------------------------------------------------------------------------------------
# Formatting


def _number(x: float) -> str:
    """`1,500`, `20.258`: up to six decimals, as stored (a scaled value is rounded before)."""
    if not math.isfinite(x):  # a sum beyond the largest double: `inf`
        return f"{x:g}"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    text = f"{x:,.6f}".rstrip("0").rstrip(".")
    return text if text.strip("-0,.") else f"{x:g}"  # below a millionth: 1e-07


def _scaled(x: float) -> str:
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(x) >= factor and math.isfinite(x):
            return _number(round(x / factor, 2)) + suffix
    return _number(x)


def format_value(value: float | None, unit: str | None) -> str:
    """One value in its unit for readers: `$100B`, `1.2B EUR`, `10 %`, `4.5 GW`, `$50B per GW`."""
    if value is None:
        return ""
    if unit == "USD":
        return "$" + _scaled(value)
    if unit == "USD_per_GW":
        return "$" + _scaled(value) + " per GW"
    if unit == "percent":
        return f"{_number(value)} %"
    if unit in ("shares", "chips") or _is_currency(unit):
        return f"{_scaled(value)} {unit}"
    return f"{_number(value)} {unit}" if unit else _number(value)


def _is_currency(unit: str | None) -> bool:
    """An ISO 4217 code (`EUR`, `JPY`): money stated in another currency than the dollar."""
    return unit is not None and len(unit) == 3 and unit.isascii() and unit.isupper()


def format_stated(value: float | None, value_high: float | None, unit: str | None, qualifier: str | None) -> str:
    """A figure as its source states it: `up to $100B`, `$50B–$60B per GW`, `about 10 %`."""
    if value is None:
        return ""
    text = format_range(value, value_high, unit)
    word = QUALIFIER_WORDS.get(qualifier or "", (qualifier or "").replace("_", " "))
    return f"{word} {text}" if word else text


def format_range(low: float | None, high: float | None, unit: str | None) -> str:
    """`$50B–$60B per GW`: two values sharing their unit, or one when they are equal."""
    first = format_value(low, unit)
    if high is None or high == low:
        return first
    second = format_value(high, unit)
    suffix = {"USD": "", "USD_per_GW": " per GW", "percent": " %", None: ""}.get(unit, f" {unit}")
    if suffix and first.endswith(suffix):
        first = first[: -len(suffix)]
    return f"{first}–{second}"


def format_date(day: date | None, precision: str | None) -> str:
    """A date as precise as it is known: `2025-10-06`, `2025-10`, `2025`, `about 2025-09-23`."""
    if day is None:
        return ""
    if precision == "month":
        return day.strftime("%Y-%m")
    if precision == "year":
        return day.strftime("%Y")
    if precision == "approximate":
        return "about " + day.isoformat()
    return day.isoformat()


# The tables Contents counts, by their name in the singular.
CONTENTS = {"parties": "party", "deals": "deal", "figures": "figure", "sources": "source", "flows": "flow",
            "metrics": "metric"}


def _count(n: int, table: str) -> str:
    """`1 party`, `2,947 figures`: a count of a table's rows for Contents."""
    return f"{n:,} {CONTENTS[table] if n == 1 else table}"


def _isolated(name: str) -> str:
    """A name in a right-to-left script between U+2068 and U+2069 (first strong isolate, pop
    directional isolate), so that "إنفيديا → OpenAI" or two such names keep their order around the arrow."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in name):
        return f"\u2068{name}\u2069"
    return name


def _name(names: dict[str, str], party: str) -> str:
    """A party's name for a line that names several: isolated when written right to left."""
    return _isolated(names.get(party, party))


def _label(kind: str | None) -> str:
    return (kind or "").replace("_", " ")


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _p(text: object) -> str:
    """Text for plotly labels and hover texts, which read `<b>`-like tags and decode `&lt;`, `&gt;`,
    `&amp;` (but not `&quot;`): escaping those three keeps data from becoming markup."""
    return html.escape("" if text is None else str(text), quote=False)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) address, else None (no `javascript:` links from data)."""
    return url if url and SAFE_URL.match(url) else None


def json_for_script(obj: Any) -> str:
    """JSON that cannot end or confuse the `<script>` element it is embedded in."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


# ---------------------------------------------------------------------------------------------
# Graph: cycles and layout


def strong_components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """The strongly connected component number of each node (Tarjan, iterative).

    Two parties in one component of more than one node lie on a cycle: value that leaves one can
    come back to it. Iterative so that large synthetic graphs do not hit the recursion limit.
    """
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    n_components = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = n_components
                    if member == node:
                        break
                n_components += 1
    return component


def cycle_nodes(nodes: list[str], edges: list[tuple[str, str]]) -> set[str]:
    """Nodes on at least one directed cycle."""
    component = strong_components(nodes, edges)
    sizes: dict[int, int] = defaultdict(int)
    for number in component.values():
        sizes[number] += 1
    return {node for node, number in component.items() if sizes[number] > 1}


def spring_layout(
    nodes: list[str], edges: list[tuple[str, str]], iterations: int = 80, gravity: bool = True
) -> dict[str, tuple[float, float]]:
    """Deterministic force-directed positions (Fruchterman–Reingold from a circle), in [-1, 1]².

    plotly draws but does not lay out graphs; this computes where each party sits, nothing more.
    """
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    at = {node: i for i, node in enumerate(nodes)}
    pos = [[math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)] for i in range(n)]
    pairs = sorted({(min(at[a], at[b]), max(at[a], at[b])) for a, b in edges if a in at and b in at})
    k = math.sqrt(4.0 / n)
    temperature = 0.2
    for step in range(iterations):
        disp = [[0.0, 0.0] for _ in range(n)]
        for i in range(n):
            xi, yi = pos[i]
            di = disp[i]
            for j in range(i + 1, n):
                dx = xi - pos[j][0]
                dy = yi - pos[j][1]
                d2 = dx * dx + dy * dy or 1e-9
                f = k * k / d2
                di[0] += dx * f
                di[1] += dy * f
                disp[j][0] -= dx * f
                disp[j][1] -= dy * f
        for i, j in pairs:
            dx = pos[i][0] - pos[j][0]
            dy = pos[i][1] - pos[j][1]
            f = math.sqrt(dx * dx + dy * dy) / k
            disp[i][0] -= dx * f
            disp[i][1] -= dy * f
            disp[j][0] += dx * f
            disp[j][1] += dy * f
        for i in range(n):
            if gravity:
                # A weak pull to the centre keeps parties without flows between them on the page.
                disp[i][0] -= pos[i][0] * k
                disp[i][1] -= pos[i][1] * k
            length = math.hypot(*disp[i]) or 1e-9
            move = min(length, temperature)
            pos[i][0] += disp[i][0] / length * move
            pos[i][1] += disp[i][1] / length * move
        temperature = 0.2 * (1 - (step + 1) / (iterations + 1)) + 0.005
    xs = [p[0] for p in pos]
    ys = [p[1] for p in pos]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return {node: (round((pos[i][0] - cx) / half, 4), round((pos[i][1] - cy) / half, 4)) for node, i in at.items()}


def packed_layout(
    nodes: list[str], edges: list[tuple[str, str]], iterations: int = 80
) -> dict[str, tuple[float, float]]:
    """Positions of the parties with the largest connected group of flows given most of the page.

    Laid out together, the small groups (two or three parties with flows only between them) push
    each other and the large group apart, and scaling the whole to the page then shrinks the large
    group to its centre. Each group is laid out alone instead: the others, each scaled by its
    size, on a ring of radius 1, largest first from the top, clockwise; the largest inside the
    ring, clear of it.
    """
    if not nodes:
        return {}
    # the connected groups: strongly connected components of the graph with every edge both ways
    group = strong_components(nodes, [*edges, *[(b, a) for a, b in edges]])
    members: dict[int, list[str]] = defaultdict(list)
    for node in nodes:
        members[group[node]].append(node)
    groups = sorted(members.values(), key=lambda m: (-len(m), m[0]))
    if len(groups) == 1:
        return spring_layout(nodes, edges, iterations)

    def inner(names: list[str]) -> list[tuple[str, str]]:
        chosen = set(names)
        return [(a, b) for a, b in edges if a in chosen and b in chosen]

    others = groups[1:]
    spacing = 2 * math.pi / len(others)  # the arc between two groups on the unit ring
    radii = [min(0.2, 0.06 * math.sqrt(len(names) / 2), 0.4 * spacing) for names in others]
    reach = 0.92 - max(radii)  # the largest group keeps clear of the ring
    pos: dict[str, tuple[float, float]] = {}
    main = spring_layout(groups[0], inner(groups[0]), iterations, gravity=False)
    # Hubs with many one-flow parties around them leave the hubs crowded in the middle: a fisheye
    # (distance from the centre r -> r ** 0.6) gives the middle more room and the rim less.
    far = max(math.hypot(x, y) for x, y in main.values()) or 1.0
    for node, (x, y) in main.items():
        r = math.hypot(x, y) / far  # in [0, 1]
        scale = reach * r**0.6 / (r * far) if r else 0.0
        pos[node] = (round(scale * x, 4), round(scale * y, 4))
    for i, (names, radius) in enumerate(zip(others, radii)):
        angle = math.pi / 2 - i * spacing
        cx, cy = math.cos(angle), math.sin(angle)
        for node, (x, y) in spring_layout(names, inner(names), iterations, gravity=False).items():
            pos[node] = (round(cx + radius * x, 4), round(cy + radius * y, 4))
    return pos


def _curve(
    p0: tuple[float, float], p1: tuple[float, float], bend: float, samples: int = 12
) -> list[tuple[float, float]]:
    """Points of a quadratic curve from p0 to p1 bending to the right of its direction.

    Bending right separates A→B from B→A, and a larger bend separates several flows of one pair.
    """
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 + dy * bend, (y0 + y1) / 2 - dx * bend
    points = []
    for s in range(samples + 1):
        t = s / samples
        u = 1 - t
        points.append(
            (round(u * u * x0 + 2 * u * t * cx + t * t * x1, 4), round(u * u * y0 + 2 * u * t * cy + t * t * y1, 4))
        )
    return points


# ---------------------------------------------------------------------------------------------
# Reading the release


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _figure_line(fig: dict[str, Any]) -> str:
    stated = format_stated(fig["value"], fig["value_high"], fig["unit"], fig["qualifier"])
    source = fig["source_publisher"] or fig["source_id"]
    published = format_date(fig["source_published"], fig["source_published_precision"])
    return f"{stated} ({_label(fig['qualifier'])}) — {source}" + (f", {published}" if published else "")


def _flow_amount(flow: dict[str, Any]) -> str:
    """A row of `flows`' amount as its sources state it: "up to $100B", "in parts (...), from $10 to $30"."""
    amount = format_range(flow["value_low"], flow["value_high"], flow["unit"])
    qualifiers = set(flow.get("qualifiers") or ())
    components = list(flow.get("components") or ())
    if components:  # only parts are stated: the range runs from the smallest to the largest part
        amount = f"in parts ({', '.join(_label(c) for c in components)}), from {amount.replace('–', ' to ')}"
    elif qualifiers and qualifiers <= {"up_to"}:
        amount = f"up to {amount}"
    elif qualifiers and qualifiers <= {"at_least", "more_than"}:
        amount = f"at least {amount}"
    elif qualifiers and qualifiers <= {"approximately", "estimate"}:
        amount = f"about {amount}"
    return amount


def _flow_hover(flow: dict[str, Any], names: dict[str, str], figures: dict[str, dict[str, Any]]) -> str:
    deal = flow["deal_title"] or "(no deal)"
    amount = _flow_amount(flow)
    lines = [
        f"<b>{_p(deal)}</b>",
        f"{_p(_name(names, flow['from_party']))} → {_p(_name(names, flow['to_party']))}"
        f" · {_p(_label(flow['flow']))} ({_p(_label(flow['measure']))})",
        f"Amount: {_p(amount)}",
    ]
    if flow.get("counted_in_parent"):
        lines.append(PART_NOTE)
    ids = list(flow["figure_ids"])
    for fid in ids[:4]:
        if fid in figures:  # always, but in a database whose figures_resolved lacks a flow's figure
            lines.append("• " + _p(_figure_line(figures[fid])))
    if len(ids) > 4:
        lines.append(f"• and {len(ids) - 4} more figures")
    return "<br>".join(lines)


# How far a flow's largest stated amount bounds the amount, from the tightest to the loosest:
# "ceiling" (exact, up to, a range), "about" (approximately, an estimate), "open" (a floor: at
# least, more than; or only parts stated, whose largest is not the whole).
BOUNDS = ("ceiling", "about", "open")


def _bound(flow: dict[str, Any]) -> str:
    qualifiers = set(flow.get("qualifiers") or ())
    if qualifiers & {"at_least", "more_than"} or flow.get("components"):
        return "open"
    if qualifiers & {"approximately", "estimate"}:
        return "about"
    return "ceiling"


def _loosest(bounds: Iterable[str]) -> str:
    return max(bounds, key=BOUNDS.index, default="ceiling")


def usd_total_words(total: float | None, bound: str, counted: int = 1, elsewhere: bool = False) -> str:
    """A sum of flows' largest stated USD amounts (`counted` flows), in words: "at most $X" when
    every flow's largest amount bounds it from above, "about $X" when some are approximate, else
    no bound. With nothing counted: in dollars only in a larger deal (`elsewhere`), or none."""
    if total is None or counted == 0:
        return "counted in the larger deals that state it" if elsewhere else "none in US dollars"
    if bound == "open":
        return f"{format_value(total, 'USD')}, not a ceiling (a flow is a floor or in parts)"
    if bound == "about":
        return f"about {format_value(total, 'USD')}"
    return f"at most {format_value(total, 'USD')}"


def _usd(flow: dict[str, Any]) -> float | None:
    return flow["value_high"] if flow["measure"] == "amount" and flow["unit"] == "USD" else None


def _limited(sql: str) -> str:
    return f"{sql.rstrip()}\nLIMIT ?"


def collect(
    con: duckdb.DuckDBPyConnection,
    *,
    max_figures: int = FIGURE_LIMIT,
    max_parties: int = NETWORK_PARTY_LIMIT,
    max_flows: int = FLOW_LIMIT,
    max_deals: int = DEAL_LIMIT,
    max_metrics: int = METRIC_LIMIT,
) -> dict[str, Any]:
    """What the page shows, read from a release connection, as plain sorted Python data.

    At most `max_*` rows of each kind are read (never a whole large table); `totals` gives the
    counts in the release, so the page can say what part it shows. What the page says of each
    party (its totals, flows and cycles) is read over all flows, aggregated by DuckDB: a row per
    party and kind of bound (`party_flows`), and the distinct pairs money moves between.
    """
    con.execute("SELECT count(*) FROM parties")  # not a release: say so by its first table
    con.execute(REPORT_FLOWS_SQL)
    try:
        return _collect(con, max_figures, max_parties, max_flows, max_deals, max_metrics)
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{REPORT_FLOWS}")


def _collect(
    con: duckdb.DuckDBPyConnection, max_figures: int, max_parties: int, max_flows: int, max_deals: int, max_metrics: int
) -> dict[str, Any]:
    totals = dict(
        zip(
            ("parties", "deals", "figures", "sources", "flows", "metrics", "report_flows"),
            con.execute(TOTALS_SQL).fetchone(),
        )
    )
    deals = _rows(con, _limited(DEALS_SQL), [max_deals])
    network_parties = None
    flow_parties = None  # how many parties have flows, when only some of them are drawn
    if totals["report_flows"] > 0:
        ranked = [r[0] for r in con.execute(FLOW_PARTIES_SQL, [max_parties + 1]).fetchall()]
        if len(ranked) > max_parties:
            network_parties = ranked[:max_parties]
            flow_parties = con.execute(FLOW_PARTY_COUNT_SQL).fetchone()[0]
    if network_parties is None:
        flows = _rows(con, FLOWS_LIMITED_SQL.format(where=""), {"limit": max_flows})
    else:
        flows = _rows(
            con,
            FLOWS_LIMITED_SQL.format(where="WHERE list_contains($parties, from_party) AND list_contains($parties, to_party)"),
            {"parties": network_parties, "limit": max_flows},
        )
    figures = _rows(con, _limited(FIGURES_SQL), [max_figures])
    by_id = {f["figure_id"]: f for f in figures}
    # The hover text of a flow names its first four figures, shown in the table or not.
    wanted = sorted({fid for fl in flows for fid in list(fl["figure_ids"])[:4]} - set(by_id))
    if wanted and len(flows) <= EDGE_TRACE_LIMIT:
        by_id.update({f["figure_id"]: f for f in _rows(con, FIGURES_BY_ID_SQL, [wanted])})
    disagree_with: dict[str, list[str]] = {}
    shown = [f["figure_id"] for f in figures]
    for (ids,) in con.execute(DISAGREEMENTS_SQL, [shown]).fetchall():
        for fid in ids:
            if fid in by_id:
                disagree_with[fid] = sorted(set(disagree_with.get(fid, [])) | {i for i in ids if i != fid})
    metrics = _rows(con, METRICS_SQL, [max_metrics])
    named = {p for fl in flows for p in (fl["from_party"], fl["to_party"])}
    named |= {p for d in deals for p in (d["party_a"], d["party_b"])}
    named |= {p for f in figures for p in _figure_parties(f)}
    named |= {p for m in metrics if m["subject_type"] in ("party", "pair", "cycle") for p in m["subject_id"].split("/")}
    parties = _rows(con, PARTIES_NAMED_SQL, [sorted(p for p in named if p)])
    names = {p["party_id"]: p["name"] for p in parties}
    return {
        "parties": parties,
        "names": names,
        "deals": deals,
        "flows": flows,
        "figures": figures,
        "figures_by_id": by_id,
        "disagree_with": disagree_with,
        "metrics": metrics,
        "totals": totals,
        "network_parties": network_parties,
        "flow_parties": flow_parties,
        "metric_cap": max_metrics,
        "party_flows": _rows(con, PARTY_FLOWS_SQL),
        "money_pairs": [tuple(r) for r in con.execute(MONEY_PAIRS_SQL).fetchall()],
    }


# ---------------------------------------------------------------------------------------------
# The network figure


def network_edges(data: dict[str, Any], component: dict[str, int]) -> tuple[list[Edge], bool]:
    """The edges to draw, and whether they are aggregated (more than EDGE_TRACE_LIMIT flows).

    An edge is on a cycle when it moves money and its two parties are in one strongly connected
    component of the money flows (`component`).
    """
    flows, names, figures = data["flows"], data["names"], data["figures_by_id"]
    if len(flows) <= EDGE_TRACE_LIMIT:
        # One arrow per flow; a deal's money stated in two currencies (an amount and the publisher's
        # conversion, "€1.3 billion ($1.5 billion)") is one arrow whose hover gives each.
        same: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for f in flows:
            unit = "money" if f["measure"] == "amount" else f["unit"]
            same[(f["deal_id"], f["from_party"], f["to_party"], f["flow"], f["measure"], unit)].append(f)
        edges = []
        for members in same.values():
            first = members[0]
            hover = _flow_hover(first, names, figures)
            for other in members[1:]:
                hover += "<br>" + "<br>".join(_flow_hover(other, names, figures).split("<br>")[2:])
            usd = max((u for u in map(_usd, members) if u is not None), default=None)
            on_a_cycle = first["measure"] == "amount" and component[first["from_party"]] == component[first["to_party"]]
            what = "; ".join(_flow_amount(f) for f in members)
            if first["measure"] != "amount":
                what = f"{_label(first['measure'])}: {what}"
            note = PART_NOTE if first.get("counted_in_parent") else ""
            edges.append(
                Edge(
                    first["from_party"], first["to_party"], first["flow"], usd, hover, len(members), on_a_cycle,
                    what, (first["deal_title"] or "(no deal)",), note,
                )
            )
        return edges, False
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in flows:
        groups[(f["from_party"], f["to_party"], f["flow"])].append(f)
    edges = []
    for (a, b, kind), members in sorted(groups.items()):
        # A flow its umbrella deal states too (counted_in_parent) is that money again: the total
        # counts it once, in the umbrella's flow. Each flow adds its largest stated amount
        # (usd_total_words says how far that bounds the total).
        counted = [f for f in members if not f.get("counted_in_parent") and _usd(f) is not None]
        total = sum(_usd(f) for f in counted) if counted else None
        elsewhere = any(_usd(f) is not None for f in members)
        deals = sorted({f["deal_title"] or "(no deal)" for f in members})
        n_flows = f"{len(members)} flow{'s' if len(members) != 1 else ''}"
        words = usd_total_words(total, _loosest(_bound(f) for f in counted), len(counted), elsewhere)
        in_all = f", {words}" + (" in all" if len(counted) > 1 else "")
        lines = [
            f"<b>{_p(_name(names, a))} → {_p(_name(names, b))}</b> · {_p(_label(kind))}",
            _p(n_flows + in_all),
        ]
        parts = sum(1 for f in members if f.get("counted_in_parent"))
        if parts:
            lines.append(f"{parts} of them part of a larger deal that states them too: counted there once")
        lines += ["• " + _p(d) for d in deals[:4]]
        if len(deals) > 4:
            lines.append(f"• and {len(deals) - 4} more deals")
        on_a_cycle = any(f["measure"] == "amount" for f in members) and component[a] == component[b]
        what = n_flows + in_all
        note = f"{parts} of them part of a larger deal that states them too: counted there once" if parts else ""
        edges.append(Edge(a, b, kind, total, "<br>".join(lines), len(members), on_a_cycle, what, tuple(deals), note))
    return edges, True


def _share(amount: float, largest: float) -> float:
    """`amount` as a part of `largest` (0 to 1), also when sums of dollars went beyond the largest
    number (infinite): those are the largest, the others nothing beside them."""
    if math.isinf(largest):
        return 1.0 if math.isinf(amount) else 0.0
    return amount / largest


def network_figure(data: dict[str, Any]) -> dict[str, Any]:
    """The plotly figure (data + layout) of the flow network, with a summary for the page."""
    flows, names = data["flows"], data["names"]
    nodes = sorted({f["from_party"] for f in flows} | {f["to_party"] for f in flows})
    pairs = [(f["from_party"], f["to_party"]) for f in flows]
    # A cycle is of money: a stake, shares, chips or power delivered back for a payment is the
    # other side of one purchase, not value coming back (an IPO's shares for its proceeds).
    # Over every flow of a deal not called off, drawn or not: a cycle may pass through a party the
    # network leaves out.
    money = data["money_pairs"]
    every_party = sorted({p for pair in money for p in pair} | set(nodes))
    component = strong_components(every_party, money)
    on_cycle = cycle_nodes(every_party, money)
    pos = packed_layout(nodes, pairs, iterations=80 if len(nodes) <= 60 else 100)
    edges, aggregated = network_edges(data, component)
    max_usd = max((e.usd for e in edges if e.usd), default=0.0)

    def width(e: Edge) -> float:
        if not e.usd or not max_usd:
            return 1.5
        return round(1.5 + 8.5 * math.sqrt(_share(e.usd, max_usd)), 2)

    seen_pair: dict[tuple[str, str], int] = defaultdict(int)
    geometry = []
    for e in edges:
        nth = seen_pair[(e.source, e.target)]
        seen_pair[(e.source, e.target)] += 1
        geometry.append(_curve(pos[e.source], pos[e.target], 0.12 + 0.1 * nth, samples=6 if aggregated else 12))

    traces: list[dict[str, Any]] = []
    if not aggregated:
        for e, points in zip(edges, geometry):
            if e.on_cycle:
                halo = _line_trace([points], [], CYCLE_HALO, width(e) + 7, "cycle-halo", hoverable=False)
                # in no legend group: report.js draws it when its kind and "on a cycle" are shown
                halo["meta"] = {"role": "cycle-halo", "kind": e.kind}
                halo["uid"] = f"cycle-halo-{sum(1 for t in traces if t['meta']['role'] == 'cycle-halo')}"
                traces.append(halo)
        for e, points in zip(edges, geometry):
            trace = _line_trace(
                [points],
                [e.hover],
                FLOW_COLOURS.get(e.kind, OTHER_COLOUR),
                width(e),
                "edge",
                dash=None if e.usd else "dot",
            )
            trace["legendgroup"] = e.kind
            trace["meta"] = {"role": "edge", "kind": e.kind, "from": e.source, "to": e.target, "n_flows": 1}
            trace["uid"] = f"edge-{len([t for t in traces if t['meta']['role'] == 'edge'])}"
            traces.append(trace)
    else:
        ranked = sorted(range(len(edges)), key=lambda i: (-(edges[i].usd or 0.0), i))
        shown = sorted(ranked[:SHOWN_EDGES])
        hidden = sorted(ranked[SHOWN_EDGES:])
        if hidden:
            trace = _line_trace(
                [geometry[i] for i in hidden], [], OTHER_COLOUR, 1, "edge-group", hoverable=False, opacity=0.35
            )
            trace.update(
                visible="legendonly",
                showlegend=True,
                name=f"{len(hidden)} smaller arrows",
                meta={
                    "role": "edge-group",
                    "kind": "smaller",
                    "n_edges": len(hidden),
                    "n_flows": sum(edges[i].n_flows for i in hidden),
                },
            )
            traces.append(trace)
        layers: dict[tuple[str, float], list[int]] = defaultdict(list)
        for i in shown:
            # Four widths are enough to read the order of magnitude, and keep the trace count small.
            w = width(edges[i])
            layers[(edges[i].kind, min((1.5, 3.0, 6.0, 10.0), key=lambda c: abs(c - w)))].append(i)
        halos: dict[tuple[str, float], list[int]] = defaultdict(list)
        for (kind, w), members in layers.items():
            halos[(kind, w)] += [i for i in members if edges[i].on_cycle]
        for (kind, w), members in sorted(halos.items()):
            if members:
                halo = _line_trace(
                    [geometry[i] for i in sorted(members)], [], CYCLE_HALO, w + 6, "cycle-halo", hoverable=False
                )
                halo["meta"] = {"role": "cycle-halo", "kind": kind}
                halo["uid"] = f"cycle-halo-{sum(1 for t in traces if t['meta']['role'] == 'cycle-halo')}"
                traces.append(halo)
        for (kind, w), members in sorted(layers.items(), key=lambda kv: (_kind_order(kv[0][0]), kv[0][1])):
            trace = _line_trace(
                [geometry[i] for i in members],
                [],
                FLOW_COLOURS.get(kind, OTHER_COLOUR),
                w,
                "edge-group",
                hoverable=False,
                opacity=0.55 if w < 3 else 0.8,
            )
            trace["legendgroup"] = kind
            trace["meta"] = {
                "role": "edge-group",
                "kind": kind,
                "n_edges": len(members),
                "n_flows": sum(edges[i].n_flows for i in members),
            }
            traces.append(trace)
        # Hover and direction at scale: one arrowhead per edge, in one trace per kind. Hover texts
        # on every point of every curve would multiply the page's size by the points per curve.
        for kind in sorted({edges[i].kind for i in shown}, key=_kind_order):
            members = [i for i in shown if edges[i].kind == kind]
            traces.append(
                _arrow_trace(
                    [geometry[i] for i in members],
                    [edges[i].hover for i in members],
                    FLOW_COLOURS.get(kind, OTHER_COLOUR),
                    kind,
                )
            )
    kinds = sorted({e.kind for e in edges}, key=_kind_order)
    for kind in kinds:
        traces.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "line": {"color": FLOW_COLOURS.get(kind, OTHER_COLOUR), "width": 4},
                "name": _label(kind),
                "legendgroup": kind,
                "showlegend": True,
                "hoverinfo": "skip",
                "meta": {"role": "legend"},
            }
        )
    if on_cycle & set(nodes):
        traces.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "line": {"color": CYCLE_HALO, "width": 10},
                "name": "on a cycle (value comes back)",
                "showlegend": True,
                "hoverinfo": "skip",
                # report.js: a click on this entry hides or shows every halo (they are in their kinds' groups)
                "meta": {"role": "cycle-legend"},
            }
        )

    totals_in: dict[str, float] = defaultdict(float)
    totals_out: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    usd_out: dict[str, int] = defaultdict(int)  # how many flows each total adds
    usd_in: dict[str, int] = defaultdict(int)
    bound_out: dict[str, list[str]] = defaultdict(list)  # how far each of them bounds its amount
    bound_in: dict[str, list[str]] = defaultdict(list)
    any_out: dict[str, bool] = defaultdict(bool)  # a flow in dollars, counted here or in a larger deal
    any_in: dict[str, bool] = defaultdict(bool)
    # Each party's flows and dollars over all the flows of deals not called off, not only the drawn
    # ones (PARTY_FLOWS_SQL: a row per party, end and kind of bound).
    for r in data["party_flows"]:
        n, side = r["party"], r["side"]
        counts[n] += r["n"]
        if r["in_usd"]:
            (any_out if side == "out" else any_in)[n] = True
        if r["in_usd"] and not r["counted_in_parent"]:  # its umbrella deal's flow counts that money
            (totals_out if side == "out" else totals_in)[n] += r["usd"]
            (usd_out if side == "out" else usd_in)[n] += r["n"]
            (bound_out if side == "out" else bound_in)[n].append(_bound(r))

    def pays(n: str) -> str:
        return usd_total_words(totals_out[n], _loosest(bound_out[n]), usd_out[n], any_out[n])

    def receives(n: str) -> str:
        return usd_total_words(totals_in[n], _loosest(bound_in[n]), usd_in[n], any_in[n])
    total = {n: totals_in[n] + totals_out[n] for n in nodes}
    max_total = max(total.values(), default=0.0)
    ranked = sorted(nodes, key=lambda n: (-total[n], -counts[n], n))
    labelled = set(ranked[:LABEL_LIMIT])
    node_hover = []
    for n in nodes:
        lines = [
            f"<b>{_p(names.get(n, n))}</b> ({_p(n)})",
            f"{counts[n]} flows",
            f"Pays or gives: {_p(pays(n))}",
            f"Receives: {_p(receives(n))}",
        ]
        if n in on_cycle:
            lines.append("On a cycle: value it gives comes back to it")
        node_hover.append("<br>".join(lines))
    traces.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [pos[n][0] for n in nodes],
            "y": [pos[n][1] for n in nodes],
            # long names (a bond sale's underwriters) are cut on the page; the hover text has them whole
            "text": [_p(_shorten(names.get(n, n), 32)) if n in labelled else "" for n in nodes],
            "textposition": "top center",
            "textfont": {"size": 12 if len(nodes) <= 60 else 10, "color": "#1a202c", "shadow": "auto"},
            "cliponaxis": False,
            "hovertext": node_hover,
            "hoverinfo": "text",
            "marker": {
                "size": [round(10 + 34 * math.sqrt(_share(total[n], max_total)), 2) if max_total else 12 for n in nodes],
                "color": NODE_FILL,
                "opacity": 1,
                "line": {
                    "color": [CYCLE_NODE_LINE if n in on_cycle else "#FFFFFF" for n in nodes],
                    "width": [3 if n in on_cycle else 1 for n in nodes],
                },
            },
            "name": "parties",
            "showlegend": False,
            "customdata": nodes,
            "meta": {"role": "nodes"},
            "uid": "nodes",
        }
    )
    layout = {
        "height": 640 if len(nodes) <= 60 else 860,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"visible": False, "range": [-1.25, 1.25]},
        "yaxis": {"visible": False, "range": [-1.25, 1.25], "scaleanchor": "x"},
        "plot_bgcolor": "#FFFFFF",
        "paper_bgcolor": "#FFFFFF",
    }
    summary = {
        "n_nodes": len(nodes),
        "n_flows": len(flows),
        "n_edges": len(edges),
        "aggregated": aggregated,
        "n_cycle_nodes": len(on_cycle),
        "n_cycle_nodes_drawn": len(on_cycle & set(nodes)),
        "labelled": min(len(nodes), LABEL_LIMIT),
    }
    party_rows = [
        {"party": n, "name": names.get(n, n), "pays": totals_out[n], "receives": totals_in[n], "flows": counts[n],
         "on_cycle": n in on_cycle, "pays_words": pays(n), "receives_words": receives(n)}
        for n in ranked
    ]
    return {"data": traces, "layout": layout, "summary": summary, "edges": edges, "parties": party_rows}


def _arrow_trace(curves: list[list[tuple[float, float]]], hovers: list[str], colour: str, kind: str) -> dict[str, Any]:
    """Arrowheads at the middle of each curve, turned along it, carrying the curves' hover texts."""
    xs, ys, angles = [], [], []
    for curve in curves:
        mid = len(curve) // 2
        (x0, y0), (x1, y1) = curve[mid - 1], curve[mid]
        xs.append(x1)
        ys.append(y1)
        # plotly turns markers clockwise from north; the axes share one scale, so data angles hold.
        angles.append(round(math.degrees(math.atan2(x1 - x0, y1 - y0)), 1))
    return {
        "type": "scatter",
        "mode": "markers",
        "x": xs,
        "y": ys,
        "hovertext": hovers,
        "hoverinfo": "text",
        "marker": {"symbol": "arrow", "angle": angles, "size": 9, "color": colour},
        "legendgroup": kind,
        "showlegend": False,
        "meta": {"role": "arrows", "kind": kind},
    }


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(FLOW_COLOURS)
    return (order.index(kind) if kind in order else len(order), kind)


def _line_trace(
    curves: list[list[tuple[float, float]]],
    hovers: list[str],
    colour: str,
    width: float,
    role: str,
    *,
    dash: str | None = None,
    hoverable: bool = True,
    opacity: float = 0.9,
) -> dict[str, Any]:
    """One plotly trace drawing several curves, separated by gaps.

    When `hoverable`, each curve has an arrowhead midway and `hovers` gives each curve's hover text.
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    texts: list[str] = []
    sizes: list[float] = []
    for k, curve in enumerate(curves):
        hover = hovers[k] if hoverable else ""
        mid = len(curve) // 2
        for i, (x, y) in enumerate(curve):
            xs.append(x)
            ys.append(y)
            texts.append(hover)
            sizes.append(round(10 + width * 1.5, 1) if i == mid and hoverable else 0)
        xs.append(None)
        ys.append(None)
        texts.append("")
        sizes.append(0)
    line: dict[str, Any] = {"color": colour, "width": width}
    if dash:
        line["dash"] = dash
    trace: dict[str, Any] = {
        "type": "scatter",
        "x": xs[:-1],
        "y": ys[:-1],
        "mode": "lines+markers" if hoverable else "lines",
        "line": line,
        "opacity": opacity,
        "showlegend": False,
        "meta": {"role": role},
    }
    if hoverable:
        trace["hovertext"] = texts[:-1]
        trace["hoverinfo"] = "text"
        trace["marker"] = {"symbol": "arrow", "angleref": "previous", "size": sizes[:-1], "color": colour}
    else:
        trace["hoverinfo"] = "skip"
    return trace


# ---------------------------------------------------------------------------------------------
# The timeline figure


def _period(day: date, precision: str | None) -> tuple[date, date]:
    if precision == "month":
        if day.month == 12:  # December 9999 has no next month to count back from
            return day, date(day.year, 12, 31)
        return day, date(day.year, day.month + 1, 1) - timedelta(days=1)
    if precision == "year":
        return day, date(day.year, 12, 31)
    return day, day


def _shifted(day: date, by: timedelta) -> date:
    """`day` moved by `by`, within the dates Python holds (the years 1 to 9999)."""
    try:
        return day + by
    except OverflowError:
        return date.max if by > timedelta(0) else date.min


def timeline_figure(data: dict[str, Any]) -> dict[str, Any]:
    """The plotly figure of dated deals: a point for a day, a span for a month or a year."""
    dated = [d for d in data["deals"] if d["announced"] is not None]
    names = data["names"]
    kinds = sorted({d["kind"] for d in dated})
    styles = {
        "day": ("circle", "exact day"),
        "approximate": ("circle-open", "approximate date"),
        "month": ("square", "month only"),
        "year": ("diamond", "year only"),
    }
    traces: list[dict[str, Any]] = []
    label = len(dated) <= TIMELINE_LABEL_LIMIT
    for precision, (symbol, legend) in styles.items():
        members = [d for d in dated if (d["date_precision"] or "day") == precision]
        if not members:
            continue
        xs, ys, hovers, texts = [], [], [], []
        span_x: list[str | None] = []
        span_y: list[str | None] = []
        for d in members:
            start, end = _period(d["announced"], d["date_precision"])
            mid = start + (end - start) / 2
            xs.append(mid.isoformat())
            ys.append(_label(d["kind"]))
            texts.append(_p(_shorten(d["title"], 38)) if label else "")
            hovers.append(
                "<br>".join(
                    [
                        f"<b>{_p(d['title'])}</b>",
                        f"{_p(_name(names, d['party_a']))} – {_p(_name(names, d['party_b']))}",
                        f"Announced: {_p(format_date(d['announced'], d['date_precision']))}",
                        f"{_p(_label(d['kind']))}, {_p(_label(d['status']))}",
                    ]
                )
            )
            if end != start:
                span_x += [start.isoformat(), end.isoformat(), None]
                span_y += [_label(d["kind"]), _label(d["kind"]), None]
        if span_x:
            traces.append(
                {
                    "type": "scatter",
                    "x": span_x[:-1],
                    "y": span_y[:-1],
                    "mode": "lines",
                    "line": {"color": "#8896AB", "width": 8},
                    "opacity": 0.6,
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "legendgroup": precision,
                    "meta": {"role": "span"},
                }
            )
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "markers+text" if label else "markers",
                "text": texts,
                "textposition": "top center",
                "textfont": {"size": 11},
                "cliponaxis": False,
                "hovertext": hovers,
                "hoverinfo": "text",
                # Many points: smaller and translucent, so that where deals crowd shows as density.
                "marker": {
                    "symbol": symbol,
                    "size": 12 if label else 7,
                    "opacity": 1 if label else 0.45,
                    "color": "#3B4A5E",
                    "line": {"color": "#3B4A5E", "width": 2 if label else 1},
                },
                "name": legend,
                "legendgroup": precision,
                "meta": {"role": "deals", "precision": precision},
            }
        )
    xaxis: dict[str, Any] = {"type": "date", "title": {"text": "announced"}}
    if dated:
        first = min(_period(d["announced"], d["date_precision"])[0] for d in dated)
        last = max(_period(d["announced"], d["date_precision"])[1] for d in dated)
        # Room on both sides for the labels written above the first and last points.
        pad = timedelta(days=max(120, (last - first).days // 12))
        xaxis["range"] = [_shifted(first, -pad).isoformat(), _shifted(last, pad).isoformat()]
    layout = {
        "height": max(260, 120 + 46 * len(kinds)),
        "margin": {"l": 140, "r": 40, "t": 30, "b": 40},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": xaxis,
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [_label(k) for k in kinds],
            "automargin": True,
        },
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "plot_bgcolor": "#FFFFFF",
        "paper_bgcolor": "#FFFFFF",
    }
    return {"data": traces, "layout": layout, "n_dated": len(dated)}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# The figures table (rendered in the browser, from JSON, with textContent only)


def _figure_parties(f: dict[str, Any]) -> set[str]:
    """The parties a figure's row is found under: its own (party, payer, payee) and its deal's two."""
    return {p for p in (f["party_id"], f["from_party"], f["to_party"], f["deal_party_a"], f["deal_party_b"]) if p}


def figure_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One JSON object per figure for the figures table."""
    names = data["names"]
    rows = []
    for f in data["figures"]:
        parties = sorted(_figure_parties(f))
        if f["from_party"] and f["to_party"]:
            who = f"{_name(names, f['from_party'])} → {_name(names, f['to_party'])}"
        elif f["party_id"]:
            who = names.get(f["party_id"], f["party_id"])
        elif f["from_party"]:  # one end of a payment: the source does not name the other
            who = f"{_name(names, f['from_party'])} →"
        elif f["to_party"]:
            who = f"→ {_name(names, f['to_party'])}"
        elif f["deal_party_a"]:
            # a figure of the deal as a whole (its power, a valuation): the deal's parties
            who = " · ".join(_name(names, p) for p in (f["deal_party_a"], f["deal_party_b"]) if p) + " (deal)"
        else:
            who = ""
        period = ""
        if f["period_start"] or f["period_end"]:
            period = f"{f['period_start'] or '…'} to {f['period_end'] or '…'}"
        elif f["as_of"]:
            period = f"as of {f['as_of']}"
        lang = f["source_language"] if f["source_language"] and LANGUAGE_TAG.match(f["source_language"]) else None
        rows.append(
            {
                "id": f["figure_id"],
                # a deal that is not a done deal says so beside its title
                "deal": (f["deal_title"] or "") + (f" ({f['deal_status']})" if f["deal_status"] in ("rumoured", "cancelled", "superseded") else ""),
                "deal_id": f["deal_id"] or "",
                "parties": parties,
                "who": who,
                "what": " · ".join(
                    x for x in (_label(f["flow"]) if f["flow"] != "none" else "", _label(f["measure"])) if x
                ) + (f" ({_label(f['component'])})" if f["component"] else ""),
                "value": format_stated(f["value"], f["value_high"], f["unit"], f["qualifier"]),
                "value_sort": f["value"],
                "unit": f["unit"] or "",
                "period": period,
                "source": f["source_publisher"] or f["source_id"],
                "source_date": format_date(f["source_published"], f["source_published_precision"]),
                "source_title": f["source_title"] or "",
                "source_id": f["source_id"],
                "url": safe_url(f["source_url"]),
                "lang": lang,
                "quote": f["quote"] or "",
                "note": f["note"] or "",
                "disagree_with": data["disagree_with"].get(f["figure_id"], []),
            }
        )
    return rows


def unit_options(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The units of the figures shown, the most used first: the unit filter's options, and the
    order in which sorting by value groups the units (a value is compared only within its unit)."""
    counts: dict[str, int] = defaultdict(int)
    for f in data["figures"]:
        counts[f["unit"] or ""] += 1
    return [{"unit": u, "n": n} for u, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def party_options(data: dict[str, Any]) -> list[dict[str, str]]:
    """Parties of at least one figure or of its deal, for the filter, ordered by name."""
    used = {p for f in data["figures"] for p in _figure_parties(f)}
    return [
        {"id": p, "name": data["names"].get(p, p)}
        for p in sorted(used, key=lambda p: (data["names"].get(p, p).casefold(), p))
    ]


# ---------------------------------------------------------------------------------------------
# Server-side HTML parts (escaped)


def readable_note(note: str, party_ids: list[str], names: dict[str, str]) -> str:
    """A metric's note for a reader: the ids of its subject's parties written as their names and
    `->` as an arrow. Only whole ids (not inside another word or id) are replaced."""
    for pid in sorted(set(party_ids), key=len, reverse=True):
        if pid in names:
            note = re.sub(rf"(?<![\w-]){re.escape(pid)}(?![\w-])", lambda _m, n=names[pid]: n, note)
    return note.replace(" -> ", " → ")


def _metrics_html(data: dict[str, Any]) -> str:
    metrics = data["metrics"]
    if not metrics:
        return '<p class="empty">No metrics in this release yet: metric plugins add rows to the <code>metrics</code> table.</p>'
    names = data["names"]
    deal_titles = {d["deal_id"]: d["title"] for d in data["deals"]}
    rows = []
    for m in metrics:
        subject = m["subject_id"]
        if m["subject_type"] == "party":
            subject = names.get(subject, subject)
        elif m["subject_type"] == "deal":
            subject = deal_titles.get(subject, subject)
        elif m["subject_type"] == "pair":
            subject = " / ".join(_name(names, p) for p in subject.split("/"))
        elif m["subject_type"] == "cycle":  # the parties in the cycle's order, back to the first
            ids = subject.split("/")
            subject = " → ".join(_name(names, p) for p in [*ids, ids[0]])
        # A metric computed from "up to" or "at least" figures is itself a bound: say so, as for figures.
        if m["qualifier"] == "estimate":
            value = f'{format_stated(m["value"], m["value_high"], m["unit"], None)} ({METRIC_ESTIMATE})'
        else:
            value = format_stated(m["value"], m["value_high"], m["unit"], m["qualifier"])
        ids = list(m["figure_ids"] or [])
        link = (
            f'<a href="#figures" class="figure-link" data-figure-ids="{_e(" ".join(ids))}" '
            f'title="Show the {len(ids)} input figures">{_e(value or "(none)")}</a> '
            f'<span class="muted">({len(ids)} figure{"s" if len(ids) != 1 else ""})</span>'
        )
        rumoured = list(m.get("rumoured_deals") or [])
        caveat = (
            f' <span class="rumoured">Rests on {"a deal" if len(rumoured) == 1 else "deals"} reported but not '
            f'confirmed: {_e("; ".join(deal_titles.get(d, d) for d in rumoured))}.</span>'
            if rumoured else ""
        )
        parties = m["subject_id"].split("/") if m["subject_type"] in ("party", "pair", "cycle") else []
        note = readable_note(m["note"] or "", parties, names)
        rows.append(
            f"<tr><td><code>{_e(m['metric'])}</code></td><td>{_e(_label(m['subject_type']))}</td>"
            f'<td>{_e(subject)}</td><td class="num">{link}</td><td>{_e(note)}{caveat}</td></tr>'
        )
    return (
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Metrics table (scrolls)">'
        '<table class="data" id="metrics-table"><caption class="sr-only">Metrics: each value links to its input '
        'figures</caption><thead><tr><th scope="col">metric</th><th scope="col">subject</th>'
        '<th scope="col">name</th><th scope="col">value (inputs)</th><th scope="col">note</th></tr></thead><tbody>\n' + "\n".join(rows)
        + "\n</tbody></table></div>"
    )


def flows_table_rows(edges: list[Edge], names: dict[str, str]) -> list[Edge]:
    """The edges of the table under the network: the largest in US dollars first, then by names and kind."""

    def key(e: Edge) -> tuple:
        return (e.usd is None, -(e.usd or 0.0), names.get(e.source, e.source), names.get(e.target, e.target),
                _kind_order(e.kind), e.deals)

    return sorted(edges, key=key)


def _table_details(name: str, summary: str, caption: str, headers: list[str], body: list[str], before: str = "") -> str:
    """A table a chart's reader can use instead (keyboard, screen reader, no JavaScript): closed
    until opened (`<details id="NAME-list">`), in a named scroll box, with a caption."""
    heads = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    return (
        f'<details class="flows" id="{name}-list"><summary>{_e(summary)}</summary>\n{before}'
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{_e(summary.split(":")[0])} (scrolls)">'
        f'<table class="data" id="{name}-table"><caption class="sr-only">{_e(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div></details>"
    )


def _flows_html(edges: list[Edge], names: dict[str, str]) -> str:
    """The network as a table, for readers who cannot use the chart (keyboard, screen reader, no JavaScript)."""
    if not edges:
        return '<p class="empty">No flows.</p>'
    ordered = flows_table_rows(edges, names)
    shown = ordered[:FLOW_TABLE_LIMIT]
    body = []
    for e in shown:
        deals = list(e.deals[:4]) + ([f"and {len(e.deals) - 4} more deals"] if len(e.deals) > 4 else [])
        deal_cell = "<br>".join(_e(d) for d in deals)
        note = f'<span class="small">{_e(e.note)}</span>' if e.note else ""
        body.append(
            f"<tr><td>{_e(names.get(e.source, e.source))}</td><td>{_e(names.get(e.target, e.target))}</td>"
            f"<td>{_e(_label(e.kind))}</td><td>{_e(e.amount)}{note}</td><td>{deal_cell}</td>"
            f"<td>{'yes' if e.on_cycle else 'no'}</td></tr>"
        )
    cut = (
        f'<p class="note">The {len(shown):,} largest of {len(edges):,} arrows; the flows view of the release has every flow (aideals query).</p>'
        if len(shown) < len(edges)
        else ""
    )
    return _table_details(
        "flows", f"The network as a table: {len(edges):,} arrows",
        "The arrows of the flow network, the largest in US dollars first",
        ["from", "to", "kind", "amount", "deal", "on a cycle"], body, before=cut,
    )


def _dated_html(data: dict[str, Any]) -> str:
    """The timeline as a table (closed until opened): the dated deals, the latest first."""
    dated = [d for d in data["deals"] if d["announced"] is not None]
    if not dated:
        return ""
    names = data["names"]
    ordered = sorted(dated, key=lambda d: (d["announced"], d["deal_id"]), reverse=True)
    body = [
        f"<tr><td class=\"num\">{_e(format_date(d['announced'], d['date_precision']))}</td><td>{_e(d['title'])}</td>"
        f"<td>{_e(names.get(d['party_a'], d['party_a']))} and {_e(names.get(d['party_b'], d['party_b']))}</td>"
        f"<td>{_e(_label(d['kind']))}</td><td>{_e(_label(d['status']))}</td></tr>"
        for d in ordered
    ]
    return _table_details(
        "dated", f"The timeline as a table: {len(dated):,} deals", "Deals by announcement date, the latest first",
        ["announced", "deal", "parties", "kind", "status"], body,
    )


def _parties_html(parties: list[dict[str, Any]]) -> str:
    """The nodes of the network as a table (what their hover texts say), the largest first."""
    if not parties:
        return ""
    body = [
        f"<tr><td>{_e(p['name'])}</td><td>{_e(p['pays_words'])}</td>"
        f"<td>{_e(p['receives_words'])}</td><td class=\"num\">{p['flows']:,}</td>"
        f"<td>{'yes' if p['on_cycle'] else 'no'}</td></tr>"
        for p in parties
    ]
    return _table_details(
        "parties", f"The parties as a table: {len(parties):,} parties",
        "The parties of the flow network, the most US dollars paid and received first; their flows and dollars"
        " count every flow of a deal not called off, drawn or not",
        ["party", "pays or gives (US dollars)", "receives (US dollars)", "flows", "on a cycle"], body,
    )


def _undated_html(data: dict[str, Any]) -> str:
    undated = sorted(
        (d for d in data["deals"] if d["announced"] is None), key=lambda d: (d["title"].casefold(), d["deal_id"])
    )
    if not undated:
        if len(data["deals"]) < data["totals"]["deals"]:  # the dated deals filled the page's share
            return ('<p class="empty">None among the deals this page shows; query the release for the others: '
                    "SELECT * FROM deals WHERE announced IS NULL in aideals.duckdb.</p>")
        return '<p class="empty">Every deal has an announcement date.</p>' if data["deals"] else '<p class="empty">No deals.</p>'
    names = data["names"]
    items = [
        f"<li><strong>{_e(d['title'])}</strong> — {_e(names.get(d['party_a'], d['party_a']))} and "
        f"{_e(names.get(d['party_b'], d['party_b']))}; {_e(_label(d['kind']))}, {_e(_label(d['status']))}</li>"
        for d in undated
    ]
    listing = '<ul class="undated" id="undated-deals">\n' + "\n".join(items) + "\n</ul>"
    # A long list would push the rest of the page away: it stays folded until asked for.
    opened = " open" if len(undated) <= UNDATED_OPEN_LIMIT else ""
    return f'<details class="undated"{opened}><summary>{len(undated)} deals</summary>\n{listing}\n</details>'


def _summary_text(summary: dict[str, Any]) -> str:
    if not summary["n_flows"]:
        return "No flows to draw."
    parties = "party" if summary["n_nodes"] == 1 else "parties"
    parts = [
        f"{summary['n_nodes']} {parties} and {summary['n_flows']} flow{'s' if summary['n_flows'] != 1 else ''} drawn",
    ]
    if summary["aggregated"]:
        shown = (
            f"of which the {SHOWN_EDGES} largest are shown (the legend and the Show boxes show the others)"
            if summary["n_edges"] > SHOWN_EDGES
            else "all shown"
        )
        parts.append(
            f"drawn as {summary['n_edges']} arrows (flows of one kind between two parties added up), {shown}; "
            f"labels on the {summary['labelled']} parties with the largest flows, every party named on hover"
        )
    elif summary["n_edges"] == summary["n_flows"]:
        parts.append("one arrow per flow")
    else:
        parts.append(f"{summary['n_edges']} arrows: one per flow, a payment stated in several currencies drawn once")
    cycle = f"{summary['n_cycle_nodes']} {'party' if summary['n_cycle_nodes'] == 1 else 'parties'} on a cycle"
    if summary["n_cycle_nodes_drawn"] != summary["n_cycle_nodes"]:
        cycle += f" ({summary['n_cycle_nodes_drawn']} of them drawn)"
    parts.append(cycle)
    return "; ".join(parts) + "."


def _scope(shown: int, total: int, what: str, which: str, table: str) -> str:
    """'' when the page holds every row, else which part it holds and where the rest is."""
    if shown >= total:
        return ""
    return (
        f"This page shows {shown:,} of {total:,} {what} ({which}); "
        f"query the release for all: SELECT * FROM {table} in aideals.duckdb."
    )


def _network_scope(data: dict[str, Any]) -> str:
    text = ""
    if data["network_parties"] is not None:
        text += (
            f" Only the flows among the {len(data['network_parties']):,} parties with the largest flows in US dollars"
            f" are drawn (of the {data['flow_parties']:,} parties with flows)."
        )
    if len(data["flows"]) >= FLOW_LIMIT or data["network_parties"] is not None:
        text += (f" {len(data['flows']):,} of the {data['totals']['report_flows']:,} flows of deals not called off are drawn:"
                 " the flows view of the release has them all (aideals query).")
    return text


def _deals_scope(data: dict[str, Any]) -> str:
    return _scope(len(data["deals"]), data["totals"]["deals"], "deals", "by announcement date, then deal id", "deals")


def release_citations(descriptor: dict[str, Any] | None, version: str, year: str) -> tuple[str, str]:
    """The APA reference and the BibTeX entry of the release, as `aideals cite` gives them; for a
    descriptor that cannot be cited that way (no `created` date or contributors), a plain form."""
    from aideals import cite
    from aideals.errors import AidealsError

    try:
        release = cite.release_citation(dict(descriptor or {}, version=version))
        return cite.apa_release(release), cite.bibtex_release(release)
    except (AidealsError, TypeError, ValueError, AttributeError):  # a descriptor of an unexpected shape
        return citation_text(descriptor, version, year), _bibtex(descriptor, version, year)


def citation_text(descriptor: dict[str, Any] | None, version: str, year: str) -> str:
    """A plain-text citation of the release (authors, year, title, version, licence), its authors
    written as `aideals cite` writes them in APA ("A, & B. (2026). ...")."""
    from aideals import cite

    descriptor = descriptor if isinstance(descriptor, dict) else {}
    # only what the descriptor says: no author or licence is made up
    authors = cite._apa_names(
        [cite.Author(literal=str(c["title"])) for c in _dicts(descriptor.get("contributors")) if c.get("title")]
    )
    title = descriptor.get("title") or descriptor.get("name") or "aideals"
    licences = ", ".join(str(lic["name"]) for lic in _dicts(descriptor.get("licenses")) if lic.get("name"))
    text = f"{cite._sentence(authors)} ({year}). " if authors else f"({year}). "
    text += f"{title} (Version {version}) [Data set]."
    return text + (f" Licence: {licences}." if licences else "")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _built_at_text(built_at: datetime | str) -> str:
    if isinstance(built_at, datetime):
        if built_at.tzinfo is not None:
            built_at = built_at.astimezone(timezone.utc).replace(tzinfo=None)
        return built_at.replace(microsecond=0).isoformat() + "Z"
    return str(built_at)


def _asset(name: str) -> str:
    return importlib_resources.files("aideals").joinpath(f"report_assets/{name}").read_text(encoding="utf-8")


def plotly_js() -> tuple[str, str]:
    """The plotly.js bundle shipped by the `plotly` package, and its version."""
    try:
        from plotly.offline import get_plotlyjs, get_plotlyjs_version
    except ImportError:  # pragma: no cover - plotly is a dependency
        from aideals.errors import AidealsError

        raise AidealsError("the report needs the plotly package: pip install plotly") from None
    # The bundle holds no `</script`, but a future one might: this keeps the element closed where we say.
    return get_plotlyjs().replace("</script", "<\\/script"), get_plotlyjs_version()


def render_html(
    con: duckdb.DuckDBPyConnection,
    *,
    version: str,
    built_at: datetime | str,
    descriptor: dict[str, Any] | None = None,
    caps: dict[str, int] | None = None,
) -> str:
    """The whole page as a string. `caps` overrides collect's max_* limits (e.g. {"max_figures": 3})."""
    from aideals import __version__ as toolkit_version

    data = collect(con, **(caps or {}))
    network = network_figure(data)
    timeline = timeline_figure(data)
    built = _built_at_text(built_at)
    # A chart with nothing to draw is a sentence saying so (report.js writes it in the chart's place).
    payload = {
        "network": {"data": network["data"], "layout": network["layout"]} if network["edges"] else None,
        "timeline": {"data": timeline["data"], "layout": timeline["layout"]} if timeline["n_dated"] else None,
        "empty": {"network": EMPTY_NETWORK, "timeline": EMPTY_TIMELINE},
        "figures": figure_rows(data),
        "parties": party_options(data),
        "units": unit_options(data),
        "page_size": FIGURES_PAGE_SIZE,
    }
    js, js_version = plotly_js()
    # The release's year is the package's `created` date (as `aideals cite` gives it), not the build's.
    created = str((descriptor or {}).get("created", ""))[:4]
    year = created if created.isdigit() and len(created) == 4 else built[:4]
    citation, bibtex = release_citations(descriptor, version, year)
    counts = data["totals"]
    replacements = {
        "VERSION": _e(version),
        "BUILT_AT": _e(built),
        "TOOLKIT_VERSION": _e(toolkit_version),
        "PLOTLY_VERSION": _e(js_version),
        "COUNTS": ", ".join(_count(n, k) for k, n in counts.items() if k in CONTENTS),
        "NETWORK_SUMMARY": _e(_summary_text(network["summary"]) + _network_scope(data)),
        "N_DATED": f"{timeline['n_dated']:,} deal{'s' if timeline['n_dated'] != 1 else ''}",
        "DEALS_SCOPE": _e(_deals_scope(data)),
        "METRICS_SCOPE": _e(_scope(len(data["metrics"]), data["totals"]["metrics"], "metric rows", f"at most {data['metric_cap']:,} of each metric, in table order", "metrics")),
        "FIGURES_SCOPE": _e(_scope(len(data["figures"]), data["totals"]["figures"], "figures", "the first by figure id", "figures_resolved")),
        "UNDATED": _undated_html(data),
        "DATED_TABLE": _dated_html(data),
        "FLOWS_TABLE": _flows_html(network["edges"], data["names"]) + "\n" + _parties_html(network["parties"]),
        "METRICS": _metrics_html(data),
        "CITATION": _e(citation),
        "BIBTEX": _e(bibtex),
        "CSS": _asset("report.css"),
        "PLOTLY_JS": js,
        "DATA_JSON": json_for_script(payload),
        "APP_JS": _asset("report.js"),
    }
    template = _asset("report.html")
    # One pass, so that a value can never be taken for a later placeholder.
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: replacements[m.group(1)], template)


def _bibtex(descriptor: dict[str, Any] | None, version: str, year: str) -> str:
    """The fallback BibTeX entry, with only what the descriptor says (key as `aideals cite`'s)."""
    from aideals.cite import bibtex_escape

    descriptor = descriptor if isinstance(descriptor, dict) else {}
    title = bibtex_escape(str(descriptor.get("title") or descriptor.get("name") or "aideals"))
    authors = " and ".join(
        "{" + bibtex_escape(str(c["title"])) + "}" for c in _dicts(descriptor.get("contributors")) if c.get("title")
    )
    key = re.sub(r"[^0-9A-Za-z:_-]+", "_", f"{descriptor.get('name') or 'aideals'}-{version}").replace(".", "_")
    version = bibtex_escape(version)
    fields = ([("author", authors)] if authors else []) + [
        ("title", title), ("year", year), ("version", version), ("howpublished", f"Data set, version {version}")]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def write_report(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    version: str,
    built_at: datetime | str,
    descriptor: dict[str, Any] | None = None,
    caps: dict[str, int] | None = None,
) -> Path:
    """Write the report of the release in `con` to `out` (one self-contained HTML file); return `out`.

    `built_at` is shown as the build date (a datetime, or a string shown as is); `descriptor`
    (the package's datapackage.json) gives the title, contributors and licence for the citation.
    The file is written to a temporary name beside `out` and renamed, so a reader never sees half.
    """
    page = render_html(con, version=version, built_at=built_at, descriptor=descriptor, caps=caps)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno and not exc.filename:  # a full disk: name the page, not no file
            from aideals.build import WRITE_CAUSES
            from aideals.errors import AidealsError

            if exc.errno in WRITE_CAUSES:  # as a build says it: `cannot write OUT: the disk is full (...)`
                raise AidealsError(f"cannot write {out}: {WRITE_CAUSES[exc.errno]} ({exc.strerror})") from exc
            raise OSError(exc.errno, exc.strerror, str(out)) from exc
        raise
    return out


# ---------------------------------------------------------------------------------------------
# Checking a database given with `aideals report --db`


def _problem_terms(column: str, kind: str, needed: bool) -> list[str]:
    """SQL expressions of what is wrong with `column` in a row (NULL where nothing is): a value
    missing where the page needs one, a number that is not finite, a date Python cannot hold."""
    from aideals.db import quote_ident, quote_literal

    col = quote_ident(column)
    terms = [f"CASE WHEN {col} IS NULL THEN {quote_literal(column + ' is empty')} END"] if needed else []
    if kind == "DOUBLE":
        terms.append(f"CASE WHEN NOT isfinite({col}) THEN {quote_literal(column + ' is ')} || CAST({col} AS VARCHAR)"
                     " || ', not a finite number' END")
    elif kind == "DATE":
        terms.append(f"CASE WHEN NOT {col} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN "
                     f"{quote_literal(column + ' is ')} || CAST({col} AS VARCHAR) || ', not a date of the years 1 to 9999' END")
    elif kind == "VARCHAR[]" and needed:
        terms.append(f"CASE WHEN list_count({col}) < len({col}) THEN {quote_literal(column + ' holds an empty item')} END")
    return terms


def check_release(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """Check that the database of `con` holds what the page reads (REPORT_READS) before reading it:
    each table and view, each column with its type, as a build writes them (AidealsError, exit 2:
    not an aideals release), and values the page can show: those it needs present, numbers finite,
    dates of the years 1 to 9999 (exit 1: invalid data, naming the table, row and column). `label`
    names the database in the messages. `aideals report --db` reads a database anyone may have
    made; a build's own passes."""
    from aideals.db import quote_ident
    from aideals.errors import AidealsError

    refused = "no report was written"
    catalog = "database_name = current_database() AND schema_name = 'main'"
    columns: dict[str, dict[str, str]] = defaultdict(dict)
    for table, column, kind in con.execute(
            f"SELECT lower(table_name), lower(column_name), data_type FROM duckdb_columns() WHERE {catalog}").fetchall():
        columns[table][column] = kind
    tables = {t for (t,) in con.execute(f"SELECT lower(table_name) FROM duckdb_tables() WHERE {catalog}").fetchall()}
    for relation, wanted in REPORT_READS.items():
        if relation not in columns:
            raise AidealsError(f"{label}: not an aideals release: it has no table or view named {relation}; {refused}")
        if relation == "metrics" and relation not in tables:
            raise AidealsError(f"{label}: not an aideals release: metrics is a view, where a release has a table; {refused}")
        names = [c.rstrip("!") for c in wanted]
        missing = [c for c in names if c not in columns[relation]]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise AidealsError(f"{label}: not an aideals release: {relation} has no column {missing[0]}{more}; {refused}")
        for name in names:
            expected, actual = REPORT_TYPES.get(name, "VARCHAR"), columns[relation][name]
            if actual != expected:
                raise AidealsError(f"{label}: not an aideals release: {relation}.{name} is {actual}, where a release "
                                   f"has {expected}; {refused}")
    # The flows the page draws, computed once for the checks and the page (collect reads them).
    con.execute(REPORT_FLOWS_SQL)
    for relation, wanted in REPORT_READS.items():
        terms = [t for c in wanted if c.rstrip("!") in REPORT_FLOWS_COLUMNS or relation != "flows"
                 for t in _problem_terms(c.rstrip("!"), REPORT_TYPES.get(c.rstrip("!"), "VARCHAR"), c.endswith("!"))]
        if not terms:
            continue
        key = wanted[0].rstrip("!")
        found = con.execute(
            f"SELECT key, problem, count(*) OVER () FROM (SELECT {quote_ident(key)} AS key, "
            f"coalesce({', '.join(terms)}) AS problem "
            f"FROM {REPORT_FLOWS if relation == 'flows' else quote_ident(relation)}) WHERE problem IS NOT NULL "
            "ORDER BY key NULLS FIRST, problem LIMIT 1"
        ).fetchone()
        if found is not None:
            value, problem, count = found
            row = f"{key} {value!r}" if value is not None else "a row"
            more = f" (and {count - 1} more row{'s' if count > 2 else ''})" if count > 1 else ""
            raise AidealsError(f"{label}: {relation}: {row}: {problem}{more}; a valid release holds no such value, "
                               f"{refused}", exit_code=1)


# ---------------------------------------------------------------------------------------------
# Where the report is built from (for `aideals report`)

RELEASE_DB = Path("dist") / "aideals.duckdb"


@dataclass(frozen=True)
class ReportSource:
    """What a report is built from: a release database, or a package's CSVs loaded in memory."""

    root: Path | None  # package directory, when known
    db: Path | None  # release database, or None for the package in memory
    descriptor: dict[str, Any] | None
    default_out: Path
    # What `aideals report` warns of on stderr: the CSVs changed after dist/ was built (as `aideals
    # query` warns), or, from the CSVs, a git clone without release tags (versioning.ReleaseComparison).
    warnings: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return str((self.descriptor or {}).get("version") or "unknown")

    @property
    def label(self) -> str:
        return str(self.db) if self.db else f"the package in {self.root}"


MAX_DESCRIPTOR_BYTES = 16 << 20  # a datapackage.json larger than this in a release's zip is not read


def release_descriptor(folder: Path) -> dict[str, Any] | None:
    """The descriptor of the release in `folder` (a release directory, with release-manifest.json),
    from the release's own files: the version from the manifest; the title, contributors, licence
    and date from the datapackage.json in its zip (`aideals-X.Y.Z.zip`), or the manifest's date
    alone when that cannot be read. None when `folder` has no manifest."""
    import zipfile

    from aideals.errors import AidealsError
    from aideals.package import DESCRIPTOR, _read_json
    from aideals.verify import MANIFEST

    path = folder / MANIFEST
    if not path.is_file():
        return None
    manifest = _read_json(path, str(path))
    version = manifest.get("version")
    if not isinstance(version, str) or not version.strip():
        raise AidealsError(f"{path}: version: missing, so the release cannot be named; give the report another --db")
    descriptor: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(folder / f"aideals-{version}.zip") as archive:
            if archive.getinfo(DESCRIPTOR).file_size <= MAX_DESCRIPTOR_BYTES:
                data = json.loads(archive.read(DESCRIPTOR).decode("utf-8"))
                descriptor = data if isinstance(data, dict) else {}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        pass  # no zip, or a damaged one (`aideals verify` says which): the manifest alone
    if "created" not in descriptor and isinstance(manifest.get("date"), str):
        descriptor["created"] = f"{manifest['date']}T00:00:00Z"
    return dict(descriptor, version=version)


def resolve_source(*, package: str | Path | None = None, db: Path | None = None) -> ReportSource:
    """Pick the input: `db` if given; the CSVs of `package` if given; else dist/aideals.duckdb
    under the package found from the current directory when it exists (with a warning when a data
    or schema file changed after it was built), else that package's CSVs."""
    from aideals import package as package_mod
    from aideals.errors import AidealsError

    if db is not None:
        if not Path(db).is_file():
            raise AidealsError(f"{db}: no such release database (run `aideals build` first)")
        beside = Path(db).parent / package_mod.DESCRIPTOR
        root = None
        if beside.is_file():
            descriptor = package_mod._read_json(beside, str(beside))
        else:  # a release directory names its own version, whatever checkout this runs in
            descriptor = release_descriptor(Path(db).parent)
        if descriptor is None:
            try:
                root = package_mod.find_root()
                descriptor = package_mod.load(root).descriptor
            except AidealsError:
                pass
        return ReportSource(root, Path(db), descriptor, Path(db).parent / "report.html")
    root = package_mod.resolve_root(package)
    release = root / RELEASE_DB
    if package is None and release.is_file():
        from aideals.query import stale_warning

        beside = release.parent / package_mod.DESCRIPTOR
        path = beside if beside.is_file() else root / package_mod.DESCRIPTOR
        # A build older than the CSVs is still reported (the page of dist/ stays the page of its
        # database), with the warning `aideals query` gives.
        try:
            stale = stale_warning(package_mod.load(root), release.parent, "report")
        except AidealsError:  # a package that cannot be read is not compared: the build is still reported
            stale = None
        return ReportSource(root, release, package_mod._read_json(path, str(path)), release.parent / "report.html",
                            (stale,) if stale else ())
    from aideals.versioning import compare_with_release

    descriptor = package_mod.load(root).descriptor
    comparison = compare_with_release(root, descriptor)
    if comparison.changed:  # not the release it names: say so, as a build does
        descriptor = dict(descriptor, version=comparison.shown)
    warning = comparison.warning()
    return ReportSource(root, None, descriptor, root / "dist" / "report.html", (warning,) if warning else ())


def parse_built_at(text: str | None) -> datetime:
    """`--built-at`: an ISO 8601 date-time; by default SOURCE_DATE_EPOCH (reproducible builds), else now."""
    from aideals.errors import AidealsError

    if text is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                seconds = int(epoch)
            except ValueError:
                raise AidealsError(f"SOURCE_DATE_EPOCH: {epoch!r} is not a number of seconds") from None
            try:
                return datetime.fromtimestamp(seconds, tz=timezone.utc)
            except (ValueError, OverflowError, OSError):
                raise AidealsError(f"SOURCE_DATE_EPOCH: {epoch!r} is out of the range of dates") from None
        return datetime.now(tz=timezone.utc).replace(microsecond=0)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise AidealsError(f"--built-at: {text!r} is not an ISO 8601 date or date-time") from None


def release_directory(out: Path) -> tuple[Path, str] | None:
    """The release directory that a file written at `out` would be in, and the file that marks it
    as one: its folder when that has SHA256SUMS or release-manifest.json (what `aideals verify`
    checks), or a folder above with release-manifest.json (a SHA256SUMS there may be anyone's);
    None when there is none."""
    from aideals.verify import MANIFEST, SUMS

    folder = Path(out).parent.resolve()
    for candidate in (folder, *folder.parents):
        for marker in (MANIFEST, SUMS) if candidate == folder else (MANIFEST,):
            if (candidate / marker).is_file():
                return candidate, marker
    return None


def check_out(out: Path) -> None:
    """Refuse an `out` that is not a new file or an HTML page: `aideals report --out` naming the
    release database, a data file or a device would otherwise replace it with the page. Refuse
    too an `out` inside a release directory: a published release is never changed (its hashes
    would no longer match)."""
    import stat

    from aideals.errors import AidealsError

    release = release_directory(out)
    if release is not None:
        raise AidealsError(
            f"{out}: inside the release directory {release[0]} (it has {release[1]}), which is never changed: "
            "write the report elsewhere with --out"
        )
    try:
        mode = out.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise AidealsError(f"{out}: exists and is not a regular file: refusing to replace it")
    with open(out, "rb") as fh:
        head = fh.read(64)
    if not head.lstrip().lower().startswith(b"<!doctype html"):
        raise AidealsError(f"{out}: exists and is not an HTML page: refusing to replace it (remove it first)")


def _open_source(source: ReportSource, spill: Path) -> duckdb.DuckDBPyConnection:
    """A connection on the report's source within the memory limits, spilling to `spill`: the
    database read-only and sandboxed, or the package validated and loaded in memory with the
    metrics of its plugins."""
    from aideals import package as package_mod
    from aideals.db import resource_config

    if source.db is not None:
        from aideals.db import connect_readonly

        # sandboxed as `query` and `metrics` do: a view of a downloaded database cannot read the
        # reader's files (read_text('~/.ssh/...')) into a page meant to be published
        return connect_readonly(source.db, resource_config(spill))
    from aideals import build, metrics

    assert source.root is not None
    pkg = package_mod.load(source.root)
    con = db_connect(":memory:", config=resource_config(spill))
    try:
        build.load_valid(con, pkg, refused="no report was written")
        # as a build would: the metrics of the built-in and installed plugins (a failing one warned of)
        metrics.populate(con, pkg, plugins_dir_option=False)
    except BaseException:
        con.close()
        raise
    return con


def report_from_source(source: ReportSource, out: Path, *, built_at: datetime | str) -> Path:
    """Open the source read-only, write the report to `out`, return `out`."""
    import duckdb

    from aideals.errors import AidealsError, interrupted, one_line, user_error

    check_out(Path(out))

    # within AIDEALS_MEMORY_LIMIT, spilling to a directory of its own (removed after), never
    # beside the database read (DuckDB's own place to spill, inside a release) or in the current one
    with tempfile.TemporaryDirectory(prefix="aideals-report-", ignore_cleanup_errors=True) as spill:
        con = _open_source(source, Path(spill))
        try:
            if source.db is not None:  # anyone's database: what the page reads is checked first
                check_release(con, source.label)
            written = write_report(con, out, version=source.version, built_at=built_at, descriptor=source.descriptor)
        except duckdb.PermissionException as exc:
            raise AidealsError(
                f"{source.label}: refused: the database reads outside itself ({one_line(exc)}); "
                "no report was written"
            ) from None
        except duckdb.Error as exc:
            # A database that fails as it is read (a corrupt block, a view failing on its rows): the
            # database's fault, not the toolkit's. Ctrl-C and a memory limit too small are said as
            # for any command.
            if source.db is None or interrupted(exc) or user_error(exc) is not None:
                raise
            raise AidealsError(f"{source.label}: cannot be reported: {one_line(exc)}; no report was written") from exc
        finally:
            con.close()
    if source.db is not None:
        from aideals import build

        # The page of a build, made again from its own database (another date): its build's
        # manifest records the new page, so that `aideals verify dist` still passes. A page of
        # other data written there (--package) is not recorded: verify reports it as changed.
        build_dir = source.db.parent
        if source.db.name == build.DATABASE and Path(written).resolve() == (build_dir / build.REPORT).resolve():
            build.record_rewritten(build_dir, build.REPORT)
    return written
