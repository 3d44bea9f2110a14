"""Quantities read from figures, with their low and high values, for metrics to compute with.

A figure states a number with a qualifier (`exact`, `approximately`, `up_to`, `range` ...).
A `Quantity` keeps what a metric needs to carry that through arithmetic:

- `low`, `high`: the range of what the sources state (a `range` figure gives value..value_high;
  when sources disagree, the lowest to the highest statement);
- `lower_open`: the true value may be below `low` (an input was stated `up_to`);
- `upper_open`: it may be above `high` (an input was stated `at_least` / `more_than`);
- `approximate`: an input was `approximately` or an `estimate`;
- `figure_ids`: every figure it was computed from.

Figures of one group (one subject, flow, direction, measure) are combined like this: within one
source they are parts that add up (the AMD deal's 1 GW first tranche and 5 GW later are 6 GW);
across sources they are alternative statements of the same fact, so the quantity ranges from
the lowest to the highest source's total. Nothing is averaged and nothing is invented.

`grouped` and `total` do that in Python on figure rows; `totals` does the same in DuckDB SQL and
brings one row per subject into Python, so a metric over millions of figures never holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

LOWER_BOUND_QUALIFIERS = frozenset({"at_least", "more_than"})  # true value may be higher
UPPER_BOUND_QUALIFIERS = frozenset({"up_to"})  # true value may be lower
APPROXIMATE_QUALIFIERS = frozenset({"approximately", "estimate"})


@dataclass(frozen=True)
class Quantity:
    """A value known as a range [low, high], with open bounds and the figures it came from."""

    low: float
    high: float
    figure_ids: tuple[str, ...]
    lower_open: bool = False
    upper_open: bool = False
    approximate: bool = False

    @classmethod
    def from_figures(cls, rows: Iterable[Mapping], scale: float = 1.0) -> Quantity | None:
        """Combine figure rows (figure_id, source_id, value, value_high, qualifier) into one quantity.

        `scale` converts units (0.001 for MW to GW). Returns None when there are no rows.
        """
        by_source: dict[str, tuple[float, float]] = {}
        ids: list[str] = []
        lower_open = upper_open = approximate = False
        for r in rows:
            value = float(r["value"]) * scale
            high = value if r.get("value_high") is None else float(r["value_high"]) * scale
            lo, hi = by_source.get(r["source_id"], (0.0, 0.0))
            by_source[r["source_id"]] = (lo + value, hi + high)
            ids.append(r["figure_id"])
            q = r.get("qualifier")
            lower_open |= q in UPPER_BOUND_QUALIFIERS
            upper_open |= q in LOWER_BOUND_QUALIFIERS
            approximate |= q in APPROXIMATE_QUALIFIERS
        if not by_source:
            return None
        return cls(
            min(lo for lo, _ in by_source.values()),
            max(hi for _, hi in by_source.values()),
            tuple(sorted(set(ids))),
            lower_open,
            upper_open,
            approximate,
        )

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(
            self.low + other.low,
            self.high + other.high,
            tuple(sorted(set(self.figure_ids) | set(other.figure_ids))),
            self.lower_open or other.lower_open,
            self.upper_open or other.upper_open,
            self.approximate or other.approximate,
        )

    def divided_by(self, other: Quantity) -> Quantity | None:
        """self / other, as a range; None when `other` can be zero or negative.

        The low end is self.low / other.high and the high end self.high / other.low; a
        denominator that may be lower (`up_to`) makes the result possibly higher, and so on.
        """
        if other.low <= 0:
            return None
        return Quantity(
            self.low / other.high,
            self.high / other.low,
            tuple(sorted(set(self.figure_ids) | set(other.figure_ids))),
            self.lower_open or other.upper_open,
            self.upper_open or other.lower_open,
            self.approximate or other.approximate,
        )

    def times(self, factor: float) -> Quantity:
        """The quantity multiplied by a positive constant (a unit conversion)."""
        return Quantity(
            self.low * factor,
            self.high * factor,
            self.figure_ids,
            self.lower_open,
            self.upper_open,
            self.approximate,
        )

    def at_most(self, cap: float) -> Quantity:
        """The quantity capped at `cap` (a share cannot exceed 100 %): it can no longer be higher.

        It may still be lower: a capped 125 % that may be lower may be below 100 %.
        """
        return Quantity(
            min(self.low, cap),
            min(self.high, cap),
            self.figure_ids,
            self.lower_open,
            self.upper_open and self.high < cap,
            self.approximate,
        )

    @property
    def qualifier(self) -> str:
        """How to read the result, in the figures' words but not always their sense (plugins/README.md,
        "What a result's qualifier means"): `range` when low and high differ; else `estimate` when it
        may be lower and may be higher (open both ways: nobody estimated it), `up_to` when it may be
        lower, `at_least` when it may be higher, `approximately` when an input is approximate, `exact`."""
        if self.low != self.high:
            return "range"
        if self.lower_open and self.upper_open:
            return "estimate"
        if self.lower_open:
            return "up_to"
        if self.upper_open:
            return "at_least"
        return "approximately" if self.approximate else "exact"

    def caveat(self) -> str:
        """A short phrase on how the true value may differ from the stated one ('' when exact)."""
        parts = []
        if self.lower_open:
            parts.append("may be lower")
        if self.upper_open:
            parts.append("may be higher")
        if parts:
            parts = [" and ".join(parts) + " (an input is only stated as a bound: up to, at least, more than)"]
        if self.approximate and not parts:
            parts.append("is approximate (an input is approximate or an estimate)")
        return "; ".join(parts)

    def result(self) -> dict:
        """The value fields of a metric result row: value, value_high, qualifier, figure_ids."""
        return {
            "value": self.low,
            "value_high": self.high if self.high != self.low else None,
            "qualifier": self.qualifier,
            "figure_ids": list(self.figure_ids),
        }


def grouped(rows: Iterable[Mapping], key, scale: float = 1.0) -> dict:
    """Figure rows grouped by `key(row)`, each group combined with Quantity.from_figures, keys sorted."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return {k: Quantity.from_figures(groups[k], scale) for k in sorted(groups)}


def total(quantities: Iterable[Quantity]) -> Quantity | None:
    """The sum of quantities that add up (different flows or deals); None when there are none."""
    result = None
    for q in quantities:
        result = q if result is None else result + q
    return result


def smallest(quantities: Iterable[Quantity]) -> Quantity:
    """The minimum of quantities (the bottleneck of a cycle): low of the lows, low of the highs.

    It may be lower than that when any quantity may be lower (it could fall below the others); it
    may be higher only when every quantity whose high is the smallest may be higher (any other
    holds the minimum down); it is approximate when a quantity that can be the minimum (its low
    not above the smallest high) is. A flow "more than $20B" beside one of exactly $8B leaves the
    minimum exactly $8B.
    """
    qs = list(quantities)
    low = min(q.low for q in qs)
    high = min(q.high for q in qs)
    return Quantity(
        low,
        high,
        tuple(sorted({f for q in qs for f in q.figure_ids})),
        any(q.lower_open for q in qs),
        all(q.upper_open for q in qs if q.high == high),
        any(q.approximate for q in qs if q.low <= high),
    )


def _sql_in(values: Iterable[str]) -> str:
    return "(" + ", ".join("'" + v + "'" for v in sorted(values)) + ")"


def totals_sql(figures_sql: str, subject: Sequence[str], parts: Sequence[str] = ()) -> str:
    """SQL giving, for each `subject`, what `total(grouped(its rows, key=parts).values())` gives.

    `figures_sql` is a query returning figure_id, source_id, value, value_high, qualifier and the
    columns named in `subject` (what a result is about: a deal, a pair of parties ...) and `parts`
    (the groups that add up within a subject: deals, flows ...; NULL-free, e.g. coalesce(deal_id,
    '')). The answer has one row per subject, ordered by it: the subject's columns, then low, high,
    lower_open, upper_open, approximate and figure_ids (sorted, distinct), as Quantity has them.

    The arithmetic is Quantity's, in the same order: within a part, each source's values are
    summed in figure_id order and the part ranges from the lowest to the highest source's sum;
    a subject's parts are added in the order of their keys. Summing doubles in that order gives
    the same bits as the Python functions, not only the same value up to rounding.
    """
    if not subject:
        raise ValueError("totals_sql needs at least one subject column")
    subj = ", ".join(subject)
    keys = ", ".join([*subject, *parts])
    in_part_order = f" ORDER BY {', '.join(parts)}" if parts else ""
    flags = ", ".join(f"bool_or({name}) AS {name}" for name in ("lower_open", "upper_open", "approximate"))
    return f"""
WITH aideals_figures AS (
{figures_sql}
),
by_source AS (
    SELECT {keys}, source_id,
           sum(value ORDER BY figure_id) AS low,
           sum(coalesce(value_high, value) ORDER BY figure_id) AS high,
           bool_or(coalesce(qualifier IN {_sql_in(UPPER_BOUND_QUALIFIERS)}, false)) AS lower_open,
           bool_or(coalesce(qualifier IN {_sql_in(LOWER_BOUND_QUALIFIERS)}, false)) AS upper_open,
           bool_or(coalesce(qualifier IN {_sql_in(APPROXIMATE_QUALIFIERS)}, false)) AS approximate,
           list(figure_id) AS figure_ids
    FROM aideals_figures
    GROUP BY {keys}, source_id
),
by_part AS (
    SELECT {keys}, min(low) AS low, max(high) AS high, {flags}, flatten(list(figure_ids)) AS figure_ids
    FROM by_source
    GROUP BY {keys}
)
SELECT {subj},
       sum(low{in_part_order}) AS low,
       sum(high{in_part_order}) AS high,
       {flags},
       list_sort(list_distinct(flatten(list(figure_ids)))) AS figure_ids
FROM by_part
GROUP BY {subj}
ORDER BY {subj}
"""


def totals(
    con: duckdb.DuckDBPyConnection,
    figures_sql: str,
    subject: Sequence[str],
    parts: Sequence[str] = (),
    params: Sequence[Any] = (),
) -> dict[Any, Quantity]:
    """subject -> Quantity, computed in DuckDB by totals_sql (see there); keys sorted.

    A key is the subject column's value, or a tuple of them when `subject` names several.
    """
    cur = con.execute(totals_sql(figures_sql, subject, parts), list(params))
    n = len(subject)
    out: dict[Any, Quantity] = {}
    for row in cur.fetchall():
        key = row[0] if n == 1 else tuple(row[:n])
        low, high, lower_open, upper_open, approximate, ids = row[n:]
        out[key] = Quantity(float(low), float(high), tuple(ids), lower_open, upper_open, approximate)
    return out


def money(q: Quantity) -> str:
    """A USD quantity in words for notes: `$100B`, `about $350B`, `$600B to $1,000B`."""

    def billions(v: float) -> str:
        return "$" + f"{v / 1e9:,.2f}".rstrip("0").rstrip(".") + "B"

    text = billions(q.low) if q.low == q.high else f"{billions(q.low)} to {billions(q.high)}"
    prefix = {"up_to": "up to ", "at_least": "at least ", "approximately": "about ", "estimate": "about "}
    return prefix.get(q.qualifier, "") + text
