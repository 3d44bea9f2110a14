"""Property-based tests of `aideals validate` (Hypothesis; the `aideals` profile is set in conftest.py).

1. A random package built to satisfy the Table Schemas, the row rules and the cross-table checks
   validates clean.
2. One random mutation of such a package is found at exactly the (file, row, field) it touched,
   with the expected check (and, where the mutation is unambiguous, nothing else).
3. aideals and frictionless-py report the same Table Schema findings on random packages, valid or
   mutated (the mapping of frictionless' report is tests/corpus/make.py's `frictionless_findings`).

Reproducible: the `aideals` Hypothesis profile (tests/conftest.py) is derandomized and uses no
example database; HYPOTHESIS_PROFILE=thorough runs ten times as many random examples. Bugs found
here, each now with its regression test in test_validate.py: row rules compared dates as text
(`2019-6-5` "after" `2019-06-05`; found by property 1); a cell of just U+0001 was read as empty
(DuckDB's null string; found probing the text alphabet, which held U+0001 until control characters
became a finding of their own: it now holds a tab, the one control character a cell may hold
besides line breaks).

Enums, patterns, lengths and the unit of each measure are read from schemas/*.schema.json and
schemas/figures.rules.json, so the generators follow the schemas when they change.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import re
import string
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from aideals import checks, package, rules
from conftest import ROOT
from fixture_packages import make_package

NAMES = ("parties", "sources", "deals", "figures")
FILES = {name: f"data/{name}.csv" for name in NAMES}
SCHEMAS = {name: json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")) for name in NAMES}
RULES = {name: json.loads((ROOT / "schemas" / f"{name}.rules.json").read_text(encoding="utf-8")) for name in NAMES}
HEADER = {name: [f["name"] for f in SCHEMAS[name]["fields"]] for name in NAMES}
FIELDS = {name: {f["name"]: f for f in SCHEMAS[name]["fields"]} for name in NAMES}
AIDEALS_ONLY = {"formula-injection", "control-character", "not-finite"}

Tables = dict[str, list[dict[str, str]]]


def constraints(table: str, field: str) -> dict:
    return FIELDS[table][field].get("constraints") or {}


def enum(table: str, field: str) -> list[str]:
    return constraints(table, field)["enum"]


def rule(table: str, title: str) -> dict:
    return next(r for r in RULES[table]["allOf"] if r["title"] == title)


UNITS = rules.units_by_measure(RULES["figures"])  # measure -> the units that fit it
PERCENT_MAX = Decimal(str(rule("figures", "percent_at_most_100")["then"]["properties"]["value"]["maximum"]))
# Foreign keys: (table, field) -> referenced table (all reference the primary key).
FOREIGN = {
    (name, fk["fields"][0]): fk["reference"]["resource"] for name in NAMES for fk in SCHEMAS[name].get("foreignKeys", [])
}
PRIMARY = {name: SCHEMAS[name]["primaryKey"][0] for name in NAMES}


# --- values --------------------------------------------------------------------------------------

# Text cells: letters in several scripts, a combining accent, an emoji, a no-break space and
# guillemets (whose first byte in UTF-8 is a C1 control character's), CSV's special characters, tabs
# and newlines, but never a first character a spreadsheet would run as a formula (= + - @ tab CR)
# nor a control character (the `control character` mutation below). No lone CR inside a cell: DuckDB refuses such a file ("cannot be read as CSV")
# while frictionless splits the row there; both fail it, differently (see the parity section).
ALPHABET = "abcXYZ019 ,;\"'.()%$€éßñ中文💰\u0301\n/\t\xa0«»"
FIRST = st.sampled_from([c for c in ALPHABET if c not in "=+-@\t\r\n"])


def text(max_len: int) -> st.SearchStrategy[str]:
    """A non-empty text cell of at most max_len characters; sometimes exactly max_len (the boundary)."""
    short = st.tuples(FIRST, st.text(ALPHABET, max_size=min(max_len, 24) - 1)).map("".join)
    full = short.map(lambda s: (s * max_len)[:max_len])
    return st.one_of(short, short, short, full)


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


def max_len(table: str, field: str) -> int:
    """The field's maxLength; 120 for a field without one (notes, authors)."""
    return int(constraints(table, field).get("maxLength", 120))


def free_text(table: str, field: str) -> st.SearchStrategy[str]:
    """A valid cell of a plain string field: required ones are never empty."""
    c = constraints(table, field)
    body = text(max_len(table, field))
    return body if c.get("required") else maybe(body)


def patterned(table: str, field: str) -> st.SearchStrategy[str]:
    """A value matching the field's pattern (and maxLength), generated from the schema's regex."""
    c = constraints(table, field)
    limit = int(c.get("maxLength", 40))
    # `.` in a pattern (the URL's path) draws from URL-safe ASCII.
    url_chars = st.sampled_from(string.ascii_letters + string.digits + "-._~/?#=&%:")
    strategy = st.from_regex(c["pattern"], fullmatch=True, alphabet=url_chars if ".+" in c["pattern"] else None)
    return strategy.filter(lambda s: len(s) <= min(limit, 40) and "\n" not in s)


def ids(table: str, n: int) -> st.SearchStrategy[list[str]]:
    return st.lists(patterned(table, PRIMARY[table]), min_size=n, max_size=n, unique=True)


DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def date_text(draw, value: dt.date) -> str:
    """A date cell: ISO, or without leading zeros (`2025-3-7`), which is a date too (strptime %Y-%m-%d)."""
    if draw(st.integers(0, 4)) == 0:
        return f"{value.year}-{value.month}-{value.day}"
    return value.isoformat()


@st.composite
def number_text(draw, low: Decimal, high: Decimal) -> tuple[str, Decimal]:
    """A number cell between low and high (in hundredths) and its value, in one of the forms of a
    Table Schema number: 42, 42.5, 4.25e1, 1_000, with surrounding spaces."""
    n = draw(st.integers(int(low * 100), int(high * 100)))
    value = Decimal(n) / 100
    style = draw(st.integers(0, 9))
    whole, cents = divmod(n, 100)
    if cents:
        body = f"{whole}.{cents:02d}" if style < 8 else f"{n}e-2"
    elif style < 6:
        body = str(whole)
    elif style == 6:
        body = f"{whole:_}"
    elif style == 7:
        body = f"{whole}.0"
    else:
        body = f"{n}e-2"
    if style == 9 and not cents:
        body = f" {body} "
    return body, value


def at_precision(day: dt.date | None, precision: str) -> dt.date | None:
    """The date as the package writes it at `precision`: a month's first day, a year's 1 January."""
    if day is None:
        return None
    if precision == "month":
        return day.replace(day=1)
    if precision == "year":
        return day.replace(month=1, day=1)
    return day


def end_of_period(published: dt.date, precision: str) -> dt.date | None:
    """The last day `published` may stand for (figure_not_dated_after_its_source.sql); None = no bound."""
    if precision == "day":
        return published
    if precision == "month":
        return published.replace(day=calendar.monthrange(published.year, published.month)[1])
    if precision == "year":
        return dt.date(published.year, 12, 31)
    return None


def parse_date(cell: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(cell, "%Y-%m-%d").date()
    except ValueError:
        return None


def parse_number(cell: str) -> Decimal:
    return Decimal(cell.strip().replace("_", ""))


# --- valid packages ------------------------------------------------------------------------------

@st.composite
def parties(draw) -> list[dict[str, str]]:
    n = draw(st.integers(2, 5))
    keys = draw(ids("parties", n))
    rows = []
    for i, key in enumerate(keys):
        rows.append({
            "party_id": key,
            "name": draw(free_text("parties", "name")),
            # An undisclosed party may have no identifiers and belongs to one deal, which random deals
            # and figures do not respect: it comes in as a mutation ("undisclosed identified").
            "kind": draw(st.sampled_from([k for k in enum("parties", "kind") if k != "undisclosed"])),
            "country": draw(maybe(patterned("parties", "country"))),
            "ticker": draw(maybe(patterned("parties", "ticker"))),
            # Parents point to earlier parties: no cycles.
            "parent_id": draw(maybe(st.sampled_from(keys[:i]))) if i else "",
            "wikidata": draw(maybe(patterned("parties", "wikidata"))),
            "note": draw(free_text("parties", "note")),
        })
    return rows


@st.composite
def sources(draw) -> list[dict[str, str]]:
    keys = draw(ids("sources", draw(st.integers(1, 3))))
    rows = []
    for key in keys:
        retrieved = draw(DATES)
        published = draw(st.one_of(st.none(), st.just(retrieved), st.dates(dt.date(1990, 1, 1), retrieved)))
        precision = draw(st.sampled_from(enum("sources", "published_precision"))) if published else ""
        published = at_precision(published, precision)
        rows.append({
            "source_id": key,
            "title": draw(free_text("sources", "title")),
            "publisher": draw(free_text("sources", "publisher")),
            "author": draw(free_text("sources", "author")),
            "published": draw(date_text(published)) if published else "",
            "published_precision": precision,
            "url": draw(maybe(patterned("sources", "url"))),
            "language": draw(patterned("sources", "language")),
            "kind": draw(st.sampled_from(enum("sources", "kind"))),
            "retrieved": draw(date_text(retrieved)),
            "note": draw(free_text("sources", "note")),
        })
    return rows


@st.composite
def deals(draw, party_ids: list[str], source_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    keys = draw(ids("deals", draw(st.integers(1, 4))))
    rows = []
    for i, key in enumerate(keys):
        a, b = draw(st.permutations(party_ids))[:2]
        source = draw(st.one_of(st.none(), st.sampled_from(source_rows)))
        published = parse_date(source["published"]) if source else None
        bound = end_of_period(published, source["published_precision"]) if published else None
        # deal_not_dated_after_its_source: a deal is not dated after the source that dates it
        announced = draw(st.one_of(st.none(), DATES if bound is None else st.dates(dt.date(1990, 1, 1), bound)))
        precision = draw(st.sampled_from(enum("deals", "date_precision"))) if announced else ""
        announced = at_precision(announced, precision)
        part_of = draw(maybe(st.sampled_from(keys[:i]))) if i else ""
        # superseded_names_its_later_record: a superseded deal names the deal recording it again
        statuses = [s for s in enum("deals", "status") if part_of or s != "superseded"]
        rows.append({
            "deal_id": key,
            "title": draw(free_text("deals", "title")),
            "kind": draw(st.sampled_from(enum("deals", "kind"))),
            "announced": draw(date_text(announced)) if announced else "",
            "date_precision": precision,
            "status": draw(st.sampled_from(statuses)),
            "party_a": a,
            "party_b": b,
            "part_of": part_of,
            "source_id": source["source_id"] if source else "",
            "summary": draw(free_text("deals", "summary")),
        })
    return rows


@st.composite
def figures(draw, party_rows, source_rows, deal_rows) -> list[dict[str, str]]:
    party_ids = [p["party_id"] for p in party_rows]
    keys = draw(ids("figures", draw(st.integers(1, 6))))
    rows = []
    for key in keys:
        deal = draw(st.one_of(st.none(), st.sampled_from(deal_rows)))
        party = draw(st.sampled_from(party_ids) if deal is None else maybe(st.sampled_from(party_ids)))
        flow = draw(st.sampled_from(enum("figures", "flow")))
        pair = draw(st.permutations(party_ids))[:2]
        if deal is not None and flow != "none":
            # A flow of a deal that names both sides names the deal's two parties
            # (deal_parties_appear_in_its_flows); a one-sided one may name anyone.
            pair = draw(st.sampled_from([(deal["party_a"], deal["party_b"]), (deal["party_b"], deal["party_a"])]))
        sides = draw(st.sampled_from(["both", "from", "to", "none"]))
        from_party = pair[0] if sides in ("both", "from") else ""
        to_party = pair[1] if sides in ("both", "to") else ""
        measure = draw(st.sampled_from(enum("figures", "measure")))
        unit = draw(st.sampled_from(UNITS.get(measure, enum("figures", "unit"))))
        top = PERCENT_MAX if unit == "percent" else Decimal(10**12)
        qualifier = draw(st.sampled_from(enum("figures", "qualifier")))
        value, low = draw(number_text(Decimal(0), top))
        value_high = draw(number_text(low, top))[0] if qualifier == "range" else ""
        start = draw(st.one_of(st.none(), DATES))
        end = draw(st.one_of(st.none(), DATES if start is None else st.dates(start, dt.date(2031, 12, 31))))
        source = draw(st.sampled_from(source_rows))
        published = parse_date(source["published"])
        bound = end_of_period(published, source["published_precision"]) if published else None
        as_of = draw(st.one_of(st.none(), DATES if bound is None else st.one_of(st.just(bound), st.dates(dt.date(1990, 1, 1), bound))))
        rows.append({
            "figure_id": key,
            "deal_id": deal["deal_id"] if deal else "",
            "party_id": party,
            "from_party": from_party,
            "to_party": to_party,
            "flow": flow,
            "measure": measure,
            "value": value,
            "value_high": value_high,
            "unit": unit,
            "qualifier": qualifier,
            "component": draw(maybe(st.sampled_from(enum("figures", "component")))),
            "period_start": draw(date_text(start)) if start else "",
            "period_end": draw(date_text(end)) if end else "",
            "as_of": draw(date_text(as_of)) if as_of else "",
            "source_id": source["source_id"],
            "quote": draw(free_text("figures", "quote")),
            "note": draw(free_text("figures", "note")),
        })
    return rows


@st.composite
def packages(draw) -> Tables:
    p = draw(parties())
    s = draw(sources())
    d = draw(deals([r["party_id"] for r in p], s))
    f = draw(figures(p, s, d))
    return {"parties": p, "sources": s, "deals": d, "figures": f}


def write(tables: Tables, directory: Path, newline: str = "\n") -> Path:
    """The repository's descriptor and schemas with these tables as data/*.csv."""
    csv_dir = directory / "csv"
    csv_dir.mkdir()
    for name in NAMES:
        with open(csv_dir / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, HEADER[name], lineterminator=newline)
            writer.writeheader()
            writer.writerows(tables[name])
    return make_package(directory / "pkg", csv_dir)


def findings_of(tables: Tables, newline: str = "\n") -> list:
    with tempfile.TemporaryDirectory(prefix="aideals-prop-") as tmp:
        return checks.validate(package.load(write(tables, Path(tmp), newline))).findings


def table_dump(tables: Tables) -> str:
    return "\n".join(f"{name}: {json.dumps(rows, ensure_ascii=False)}" for name, rows in tables.items())


# --- mutations -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mutation:
    """One edit of one cell (or row) and what it must produce.

    policy: `alone` = the findings are exactly `expect`; `row` = every finding is on the mutated
    row; `any` = `expect` is among the findings (others may follow elsewhere, e.g. a cross-table
    check on the deal a figure belongs to).
    """

    what: str
    table: str
    index: int  # data row index (row number = index + 2)
    edits: tuple[tuple[str, str], ...]  # (field, new cell)
    expect: tuple[tuple[str | None, str], ...]  # (field, check) on that row
    policy: str

    @property
    def row(self) -> int:
        return self.index + 2

    def expected(self) -> set[tuple]:
        return {(FILES[self.table], self.row, f, c) for f, c in self.expect}

    def apply(self, tables: Tables) -> Tables:
        out = {name: [dict(r) for r in rows] for name, rows in tables.items()}
        out[self.table][self.index].update(dict(self.edits))
        return out


def fields_of(table: str, kind: str) -> list[str]:
    return [f["name"] for f in SCHEMAS[table]["fields"] if f.get("type", "string") == kind]


def matches(table: str, field: str, cell: str) -> bool:
    return re.fullmatch(constraints(table, field)["pattern"], cell) is not None


def mutations(tables: Tables) -> list[Mutation]:
    """Every single mutation this catalogue can apply to the package."""
    out: list[Mutation] = []
    keys = {name: {r[PRIMARY[name]] for r in tables[name]} for name in NAMES}
    for name in NAMES:
        for i, r in enumerate(tables[name]):
            def m(what, edits, expect, policy, _name=name, _i=i):
                out.append(Mutation(what, _name, _i, tuple(edits), tuple(expect), policy))

            for f in fields_of(name, "number"):
                if r[f]:
                    for bad in ("abc", "1,5", "12%", "$5", "1.2.3"):
                        m("number type", [(f, bad)], [(f, "type-error")], "alone" if f == "value" else "row")
                    m("below minimum", [(f, "-1")], [(f, "constraint-error")], "row")
            for f in fields_of(name, "date"):
                if r[f]:
                    for bad in ("2025-02-30", "2025-13-01", "01/10/2025", "2025-10-01T00:00", "yesterday"):
                        m("date type", [(f, bad)], [(f, "type-error")], "row")
            for f, spec in FIELDS[name].items():
                c = spec.get("constraints") or {}
                cell = r[f]
                if "enum" in c and cell:
                    for bad in (cell + "x", cell.upper(), cell[:-1]):
                        if bad and bad not in c["enum"]:
                            m("enum typo", [(f, bad)], [(f, "constraint-error")], "any" if f == "flow" else "row")
                if "pattern" in c and cell and f != PRIMARY[name]:
                    for bad in (cell.lower() if cell != cell.lower() else cell.upper(), cell.replace("https://", "htps://")):
                        if bad and not matches(name, f, bad):
                            m("pattern break", [(f, bad)], [(f, "constraint-error")], "row" if (name, f) in FOREIGN else "alone")
                if c.get("required") and f != PRIMARY[name]:
                    m("required emptied", [(f, "")], [(f, "constraint-error")], "row")
                if "maxLength" in c and f != PRIMARY[name]:
                    m("too long", [(f, "x" * (int(c["maxLength"]) + 1))], [(f, "constraint-error")], "alone")
                if spec.get("type", "string") == "string" and "enum" not in c and "pattern" not in c and (name, f) not in FOREIGN:
                    m("formula", [(f, "=1+1")], [(f, "formula-injection")], "alone")
                    for bad in ("a\x1b[2Jb", "a\x9bb", "ab\x7f", "\x08ab"):
                        m("control character", [(f, bad)], [(f, "control-character")], "alone")
            for (table, f), target in FOREIGN.items():
                if table == name and r[f]:
                    fresh = next(k for k in ("zz-missing", "zz-missing-2", "zz-missing-3") if k not in keys[target])
                    policy = {"from_party": "any", "to_party": "any", "party_a": "row", "party_b": "row"}.get(f, "alone")
                    m("dangling foreign key", [(f, fresh)], [(f, "foreign-key")], policy)
    figs, deal_rows, party_rows, source_rows = tables["figures"], tables["deals"], tables["parties"], tables["sources"]
    published = {s["source_id"]: (parse_date(s["published"]), s["published_precision"]) for s in source_rows}
    for i, r in enumerate(figs):
        def fm(what, edits, expect, policy, _i=i):
            out.append(Mutation(what, "figures", _i, tuple(edits), tuple(expect), policy))

        if i:
            fm("duplicate primary key", [("figure_id", figs[i - 1]["figure_id"])],
               [("figure_id", "unique-error"), (None, "primary-key")], "alone")
        value = parse_number(r["value"])
        if r["unit"] == "percent":
            for bad in ("150", "100.5", "1e3"):
                fm("percent over 100", [("value", bad)], [("value", "percent_at_most_100")], "row")
                if r["value_high"]:
                    fm("percent over 100", [("value_high", bad)], [("value_high", "percent_high_at_most_100")], "alone")
        if r["qualifier"] == "range" and value > 0:
            fm("inverted range", [("value_high", str(value / 2))], [("value_high", "range_high_not_below_low")], "alone")
        if r["qualifier"] == "range":
            fm("range without high value", [("value_high", "")], [("value_high", "range_has_high_value")], "alone")
        elif not r["value_high"]:
            fm("high value without range", [("value_high", r["value"])], [("value_high", "high_value_only_for_ranges")], "alone")
        for unit in enum("figures", "unit"):
            if unit not in UNITS.get(r["measure"], [unit]):
                fm("unit misfit", [("unit", unit)], [("unit", "unit_fits_measure")], "row")
        start, end = parse_date(r["period_start"]), parse_date(r["period_end"])
        if start and end and start < end:
            fm("period reversed", [("period_start", r["period_end"]), ("period_end", r["period_start"])],
               [("period_end", "period_in_order")], "alone")
        if r["from_party"] and r["to_party"]:
            fm("flow parties equal", [("to_party", r["from_party"])], [("to_party", "flow_parties_differ")],
               "alone" if not r["deal_id"] or r["flow"] == "none" else "any")
        fm("no deal nor party", [("deal_id", ""), ("party_id", "")], [("deal_id", "figure_has_deal_or_party")], "alone")
        day, precision = published[r["source_id"]]
        bound = end_of_period(day, precision) if day else None
        if bound:
            later = (bound + dt.timedelta(days=1)).isoformat()
            fm("as_of after published", [("as_of", later)], [("as_of", "figure_not_dated_after_its_source")], "alone")
    for i, r in enumerate(deal_rows):
        def dm(what, edits, expect, policy, _i=i):
            out.append(Mutation(what, "deals", _i, tuple(edits), tuple(expect), policy))

        dm("deal parties equal", [("party_b", r["party_a"])], [("party_b", "deal_parties_differ")], "alone")
        dm("part of itself", [("part_of", r["deal_id"])], [("part_of", "not_part_of_itself")], "alone")
        dm("superseded without part_of", [("status", "superseded"), ("part_of", "")],
           [("part_of", "superseded_names_its_later_record")], "alone")
        if r["announced"]:
            dm("date without precision", [("date_precision", "")], [("date_precision", "announced_has_precision")], "alone")
            dm("precision without date", [("announced", "")], [("date_precision", "precision_needs_date")], "alone")
        day, precision = published.get(r["source_id"], (None, ""))
        bound = end_of_period(day, precision) if day else None
        if bound and r["date_precision"] in ("day", "month", "year"):
            # the first day of the next year starts after the source's period at any precision
            later = dt.date(bound.year + 1, 1, 1).isoformat()
            dm("announced after published", [("announced", later)], [("announced", "deal_not_dated_after_its_source")], "alone")
    for i, r in enumerate(source_rows):
        def sm(what, edits, expect, policy, _i=i):
            out.append(Mutation(what, "sources", _i, tuple(edits), tuple(expect), policy))

        if r["published"]:
            sm("date without precision", [("published_precision", "")], [("published_precision", "published_has_precision")], "alone")
            sm("precision without date", [("published", "")], [("published_precision", "precision_needs_date")], "alone")
            # the day after retrieval, written at the source's precision (a month's first day, a year's)
            after = parse_date(r["retrieved"]) + dt.timedelta(days=1)
            if r["published_precision"] == "month" and after.day != 1:
                after = dt.date(after.year + after.month // 12, after.month % 12 + 1, 1)
            elif r["published_precision"] == "year" and (after.month, after.day) != (1, 1):
                after = dt.date(after.year + 1, 1, 1)
            sm("published after retrieved", [("published", after.isoformat())], [("published", "published_not_after_retrieved")], "alone")
    for i, r in enumerate(party_rows):
        out.append(Mutation("own parent", "parties", i, (("parent_id", r["party_id"]),), (("parent_id", "not_own_parent"),), "alone"))
        if r["ticker"] or r["wikidata"] or r["parent_id"]:
            # "any": the party may also be a side of several deals (undisclosed_party_in_one_deal).
            out.append(Mutation("undisclosed identified", "parties", i, (("kind", "undisclosed"),),
                                (("kind", "undisclosed_party_not_identified"),), "any"))
        if r["parent_id"]:
            j = next(k for k, p in enumerate(party_rows) if p["party_id"] == r["parent_id"])
            out.append(Mutation("parent cycle", "parties", j, (("parent_id", r["party_id"]),),
                                (("parent_id", "no_cycle_in_party_parents"),), "any"))
    return out


@st.composite
def one_mutation(draw, tables: Tables) -> Mutation:
    """A kind of mutation first (each as likely), then one of its places."""
    kinds: dict[str, list[Mutation]] = {}
    for m in mutations(tables):
        kinds.setdefault(m.what, []).append(m)
    return draw(st.sampled_from(kinds[draw(st.sampled_from(sorted(kinds)))]))


@st.composite
def mutated(draw) -> tuple[Tables, Mutation]:
    tables = draw(packages())
    mutation = draw(one_mutation(tables))
    return mutation.apply(tables), mutation


def key(f) -> tuple:
    return (f.file, f.row, f.field, f.check)


# --- the properties ------------------------------------------------------------------------------

@pytest.fixture(autouse=True, scope="module")
def one_duckdb_thread():
    """The generated packages are tiny: one DuckDB thread validates them faster than several."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIDEALS_THREADS", "1")
        yield


@given(packages(), st.sampled_from(["\n", "\r\n"]))
def test_a_random_valid_package_validates_clean(tables, newline):
    found = findings_of(tables, newline)
    assert [f.line() for f in found] == [], table_dump(tables)


# Every kind of mutation of the catalogue (checked against `mutations` below, so none is forgotten).
KINDS = [
    "announced after published", "as_of after published", "below minimum", "control character", "date type", "date without precision", "dangling foreign key",
    "deal parties equal", "duplicate primary key", "enum typo", "flow parties equal", "formula",
    "high value without range", "inverted range", "no deal nor party", "number type", "own parent",
    "parent cycle", "part of itself", "pattern break", "percent over 100", "period reversed",
    "precision without date", "published after retrieved", "range without high value", "required emptied",
    "superseded without part_of", "too long", "undisclosed identified", "unit misfit",
]


def test_the_mutation_catalogue_is_the_list_of_kinds():
    tables = {
        "parties": [{"party_id": "a", "name": "A", "kind": "company", "country": "US", "ticker": "NASDAQ:A", "parent_id": "",
                     "wikidata": "Q1", "note": ""},
                    {"party_id": "b", "name": "B", "kind": "company", "country": "", "ticker": "", "parent_id": "a",
                     "wikidata": "", "note": ""}],
        "sources": [{"source_id": "s", "title": "T", "publisher": "P", "author": "", "published": "2025-01-01",
                     "published_precision": "day", "url": "https://example.org/", "language": "en", "kind": "news",
                     "retrieved": "2025-02-01", "note": ""}],
        "deals": [{"deal_id": "d", "title": "D", "kind": "warrant", "announced": "2025-01-01", "date_precision": "day",
                   "status": "signed", "party_a": "a", "party_b": "b", "part_of": "", "source_id": "s", "summary": "S"}],
        "figures": [{"figure_id": f, "deal_id": "d", "party_id": "", "from_party": "a", "to_party": "b", "flow": "equity",
                     "measure": "equity_stake", "value": "5", "value_high": "10", "unit": "percent", "qualifier": "range",
                     "component": "", "period_start": "2025-01-01", "period_end": "2025-12-31", "as_of": "2025-01-01",
                     "source_id": "s", "quote": "5 to 10 %", "note": ""} for f in ("f", "g")],
    }
    tables["figures"][1].update(value="7", value_high="", qualifier="exact")
    assert findings_of(tables) == []
    assert {m.what for m in mutations(tables)} == set(KINDS)


# Two examples of each kind in the default profile (52 in all), more with HYPOTHESIS_PROFILE=thorough.
@settings(max_examples=max(2, settings.default.max_examples // 15))
@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_a_random_single_mutation_is_found_at_its_cell(kind, data):
    tables = data.draw(packages(), "package")
    candidates = [m for m in mutations(tables) if m.what == kind]
    assume(candidates)
    mutation = data.draw(st.sampled_from(candidates), "mutation")
    found = findings_of(mutation.apply(tables))
    keys = {key(f) for f in found}
    context = f"{mutation}\n" + "\n".join(f.line() + f" [{f.check}]" for f in found)
    assert mutation.expected() <= keys, context
    if mutation.policy == "alone":
        assert len(found) == len(mutation.expected()), context
    elif mutation.policy == "row":
        assert {(f.file, f.row) for f in found} == {(FILES[mutation.table], mutation.row)}, context


# --- parity with frictionless-py -----------------------------------------------------------------
#
# frictionless' report is read as tests/test_validate.py reads it for the corpus (make.py's
# `frictionless_findings`): a foreign-key error is named by its field (frictionless puts it in the
# note); an unreadable file is reported once. Compared: the package and Table Schema layers, every
# error type both report. Not compared: `formula-injection` and `control-character` (aideals only,
# AIDEALS_ONLY) and the row rules and cross-table checks (frictionless has neither). No other
# difference was found on the generated packages (valid ones and all the mutations above), except
# three where frictionless misreads a valid CSV file, so they are kept out of this comparison:
# - a cell full of semicolons and quotes (seen: a note of 60 `;"`): frictionless' sniffer took `;`
#   for the delimiter and reported every label of figures.csv missing. The descriptor compared here
#   declares the delimiter (`dialect.delimiter`, RFC 4180's comma, which aideals reads too);
# - a quoted cell spanning more lines than frictionless' dialect sample (about 100; seen: a summary of
#   200 line breaks): frictionless sniffs the dialect from a sample ending inside the cell, loses the
#   quoting and reports blank rows and empty primary keys that are not there (aideals: none). Cells
#   compared here keep at most MAX_LINE_BREAKS line breaks (property 1 has no such limit);
# - a lone CR inside a quoted cell (never generated): aideals reports one format-error on the file
#   (DuckDB refuses it), frictionless missing cells on the rows it splits there.
MAX_LINE_BREAKS = 20


def few_line_breaks(tables: Tables) -> Tables:
    """The tables with each cell of more than MAX_LINE_BREAKS line breaks written on one line."""
    return {name: [{k: v.replace("\n", " ") if v.count("\n") > MAX_LINE_BREAKS else v for k, v in r.items()} for r in rows]
            for name, rows in tables.items()}

def frictionless_findings(directory: Path) -> set[tuple]:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
    from make import frictionless_findings as reference

    return {tuple(item) for item in reference(directory)}


@st.composite
def valid_or_mutated(draw) -> Tables:
    tables = draw(packages())
    if draw(st.booleans()):
        tables = draw(one_mutation(tables)).apply(tables)
    return few_line_breaks(tables)


@settings(max_examples=settings.default.max_examples * 2 // 3)
@given(valid_or_mutated())
def test_table_schema_findings_equal_frictionless(tables):
    with tempfile.TemporaryDirectory(prefix="aideals-prop-") as tmp:
        root = write(tables, Path(tmp))
        descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        for resource in descriptor["resources"]:
            resource["dialect"] = {"delimiter": ","}  # no sniffing by frictionless (see above)
        (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        ours = {key(f) for f in checks.validate(package.load(root)).findings
                if f.layer in ("package", "table-schema") and f.check not in AIDEALS_ONLY}
        theirs = frictionless_findings(root)
    assert ours == theirs, table_dump(tables)
