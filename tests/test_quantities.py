"""aideals.quantities: `totals` (in DuckDB) gives exactly what `grouped` and `total` give in Python.

The built-in metrics sum their figures with `totals` so that only one row per subject comes into
Python; these tests hold it to the Python functions bit for bit, floating-point rounding included.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from aideals.quantities import Quantity, grouped, total, totals

QUALIFIERS = [None, "exact", "approximately", "up_to", "at_least", "more_than", "range", "estimate"]
COLUMNS = ("figure_id", "subject", "part", "source_id", "value", "value_high", "qualifier")


def table(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """An in-memory table `t` of the rows, in the order given (not figure_id order)."""
    import pyarrow as pa

    con = duckdb.connect(":memory:", config={"threads": 1})
    types = [pa.string()] * 4 + [pa.float64()] * 2 + [pa.string()]
    con.register("rows", pa.table({c: pa.array([r[c] for r in rows], type=t) for c, t in zip(COLUMNS, types, strict=True)}))
    con.execute("CREATE TABLE t AS SELECT * FROM rows")
    con.unregister("rows")
    return con


def in_python(rows: list[dict]) -> dict:
    """What the built-in metrics computed before `totals`: rows in figure_id order, grouped, added up."""
    ordered = sorted(rows, key=lambda r: r["figure_id"])
    return {
        s: total(grouped([r for r in ordered if r["subject"] == s], lambda r: r["part"]).values())
        for s in sorted({r["subject"] for r in rows})
    }


def row(figure_id, value, *, subject="s", part="p", source="a", high=None, qualifier="exact") -> dict:
    return dict(zip(COLUMNS, (figure_id, subject, part, source, value, high, qualifier), strict=True))


def test_totals_adds_a_sources_figures_in_figure_id_order_and_parts_in_key_order():
    # (0.1 + 0.2) + 0.3 is 0.6000000000000001 while 0.3 + 0.2 + 0.1 is 0.6: the order is part of the answer
    within_a_source = [row("f3", 0.3), row("f2", 0.2), row("f1", 0.1)]
    across_parts = [row("g3", 0.3, part="p3"), row("g2", 0.2, part="p2"), row("g1", 0.1, part="p1")]
    for rows in (within_a_source, across_parts):
        got = totals(table(rows), "SELECT * FROM t", subject=("subject",), parts=("part",))
        assert got == in_python(rows)
        assert got["s"].low == got["s"].high == 0.1 + 0.2 + 0.3 == 0.6000000000000001


def test_totals_ranges_across_sources_and_keeps_bounds_and_figures():
    rows = [
        # source a: 10 + (20 to 30), up to; source b: about 25
        row("x2", 10.0, source="a", qualifier="up_to"),
        row("x1", 20.0, source="a", high=30.0, qualifier="range"),
        row("x3", 25.0, source="b", qualifier="approximately"),
        # another part adds at least 5
        row("y1", 5.0, part="q", source="c", qualifier="at_least"),
        # another subject, alone
        row("z1", 7.0, subject="t", qualifier=None),
    ]
    assert totals(table(rows), "SELECT * FROM t", subject=("subject",), parts=("part",)) == {
        "s": Quantity(25.0 + 5.0, 40.0 + 5.0, ("x1", "x2", "x3", "y1"), True, True, True),
        "t": Quantity(7.0, 7.0, ("z1",)),
    }


def test_totals_keys_are_tuples_for_several_subject_columns_and_absent_without_rows():
    con = table([row("f1", 1.0, subject="s", part="p"), row("f2", 2.0, subject="s", part="q")])
    assert totals(con, "SELECT * FROM t", subject=("subject", "part")) == {
        ("s", "p"): Quantity(1.0, 1.0, ("f1",)),
        ("s", "q"): Quantity(2.0, 2.0, ("f2",)),
    }
    assert totals(con, "SELECT * FROM t WHERE value > 5", subject=("subject",)) == {}
    with pytest.raises(ValueError, match="at least one subject column"):
        totals(con, "SELECT * FROM t", subject=())


# Values with few significant digits at scales from thousandths to trillions, as figures state them.
VALUES = st.builds(
    lambda digits, scale: digits * 10.0**scale, st.integers(1, 999_999), st.integers(-6, 6)
)
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2"]),
        st.sampled_from(["", "p1", "p2"]),
        st.sampled_from(["a", "b"]),
        VALUES,
        st.one_of(st.none(), VALUES),
        st.sampled_from(QUALIFIERS),
    ),
    min_size=1,
    max_size=60,
).flatmap(lambda cells: st.permutations(range(len(cells))).map(lambda ids: (cells, ids)))


# No shrinking: each example opens a database, and shrinking a failure took minutes; the failing
# example is printed as drawn (at most 60 rows).
@settings(phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(ROWS)
def test_totals_equals_grouped_and_total_in_python(drawn):
    cells, ids = drawn
    # figure ids in another order than the rows', so that an order taken from the table would show
    rows = [
        row(f"f{n:03d}", value, subject=subject, part=part, source=source,
            high=None if high is None else value + high, qualifier=qualifier)
        for (subject, part, source, value, high, qualifier), n in zip(cells, ids, strict=True)
    ]  # fmt: skip
    assert totals(table(rows), "SELECT * FROM t", subject=("subject",), parts=("part",)) == in_python(rows)


def q(low, high=None, lower_open=False, upper_open=False, approximate=False, ids=("f",)):
    return Quantity(low, low if high is None else high, tuple(ids), lower_open, upper_open, approximate)


@pytest.mark.parametrize("quantities, expected", [
    # exactly $8B beside "more than $20B": the minimum is exactly $8B (the larger cannot lower it)
    ([q(8), q(20, upper_open=True)], (8, 8, "exact")),
    # "up to $10B" beside "about $20B": at most $10B; the approximate one cannot be the minimum
    ([q(10, lower_open=True), q(20, approximate=True)], (10, 10, "up_to")),
    # "more than $8B" is the smallest: the minimum may be higher (up to the next one)
    ([q(8, upper_open=True), q(20)], (8, 8, "at_least")),
    # two flows tied at the smallest high: it may be higher only if both may be
    ([q(8, upper_open=True), q(8)], (8, 8, "exact")),
    ([q(8, upper_open=True), q(8, upper_open=True)], (8, 8, "at_least")),
    # a range that reaches below the other's value can be the minimum: its approximation counts
    ([q(5, 12, approximate=True), q(10)], (5, 10, "range")),
    ([q(12, approximate=True), q(10)], (10, 10, "exact")),
    ([q(10, approximate=True), q(10)], (10, 10, "approximately")),
    # "up to" anywhere may pull the minimum lower
    ([q(8), q(20, lower_open=True)], (8, 8, "up_to")),
])
def test_the_smallest_of_quantities_takes_the_bounds_that_can_move_it(quantities, expected):
    from aideals.quantities import smallest

    m = smallest(quantities)
    assert (m.low, m.high, m.qualifier) == expected


@pytest.mark.parametrize("quantity, words", [
    (q(8e9), "$8B"),
    (q(8e9, approximate=True), "about $8B"),
    (q(8e9, lower_open=True), "up to $8B"),
    (q(8e9, upper_open=True), "at least $8B"),
    # may be lower and may be higher: an estimate, said as "about" too
    (q(8e9, lower_open=True, upper_open=True), "about $8B"),
    (q(8e9, lower_open=True, upper_open=True, approximate=True), "about $8B"),
    (q(6e9, 1.25e10, lower_open=True), "$6B to $12.5B"),
    (q(1.23456e12), "$1,234.56B"),
])
def test_money_says_how_to_read_the_amount(quantity, words):
    from aideals.quantities import money

    assert money(quantity) == words
