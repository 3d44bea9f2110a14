"""The records under quality/ stay consistent with the data, with README's table of them and with quality/LOG.md."""

import functools
import re
from pathlib import Path

import pytest
import quality_table

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "quality" / "LOG.md"
OUTCOMES = quality_table.VERDICTS


@functools.cache
def _log() -> str:
    """quality/LOG.md, which tells each record with its totals (read once a run)."""
    return LOG.read_text(encoding="utf-8")


@functools.cache
def _log_words() -> str:
    """The log with its line breaks and runs of spaces made single spaces, as its sentences are matched."""
    return " ".join(_log().split())


def unnamed(path) -> str:
    """The message of a record the log does not name."""
    return (f"quality/LOG.md does not name quality/{path.name}: add its sentence there "
            "(quality/README.md, \"What the log says of a record\") and run `python tests/quality_table.py --write`")


def _records(kind: str = "spot-check") -> list[Path]:
    """The records of one kind of check under quality/ (spot-check, deal-check, dating-check, status-check,
    party-check, qualifier-review, flow-review...), in the order they were made."""
    return quality_table.records(kind)


_rows = quality_table.rows


def _assert_log_totals(pattern: str, rows: list[dict[str, str]], what: str) -> None:
    """The log's (listed, confirmed, errors, not found) for `what`, matched by `pattern`, are the rows'."""
    m = re.search(pattern, _log_words())
    assert m, f"quality/LOG.md no longer gives the totals of {what}"
    counts = {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES | {quality_table.ADDED}}
    expected = (len(rows), counts["ok"] + counts["ok_seed"], counts["error"], counts["not_found"])
    if len(m.groups()) == 5:  # a party check's values the package lacked, set from the page read
        expected += (counts[quality_table.ADDED] or None,)
    assert tuple(int(g) if g else None for g in m.groups()) == expected


def test_every_record_has_as_many_cells_in_each_row_as_in_its_header():
    """A quote inside a field not doubled splits the field: the rest of the row would be read as
    extra cells and the note cut off (a qualifier review's reason was, until 2026-12-07)."""
    paths = sorted((ROOT / "quality").glob("*.csv"))
    assert len(paths) > 100
    for path in paths:
        _rows(path)  # raises on a ragged row, naming the file and line


@pytest.mark.parametrize(("text", "cells"), [
    ('figure_id,outcome,note\na,ok,"the page says "about", a hedge"\n', 4),
    ("figure_id,outcome,note\na,ok\n", 2),
])
def test_a_ragged_record_row_is_refused_with_its_line(tmp_path, text, cells):
    path = tmp_path / "spot-check-2026-01-01.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^spot-check-2026-01-01.csv: line 2: {cells} cells where the header has 3 "):
        _rows(path)


def test_the_log_names_every_spot_check_record():
    log = _log()
    names = [p.name for p in _records()]
    assert names, "no spot-check record in quality/"
    assert [n for n in names if f"`quality/{n}`" not in log] == []


def test_every_checked_figure_is_still_in_the_data_with_a_known_outcome():
    figure_ids = {row["figure_id"] for row in _rows(ROOT / "data" / "figures.csv")}
    for path in _records():
        rows = _rows(path)
        assert [r["figure_id"] for r in rows if r["figure_id"] not in figure_ids] == []
        assert {r["outcome"] for r in rows} <= OUTCOMES
        assert len({r["figure_id"] for r in rows}) == len(rows)
        # an outcome other than a plain ok says why
        assert [r["figure_id"] for r in rows if r["outcome"] not in ("ok", "not_found") and not r["note"]] == []


def test_no_figure_is_in_two_samples():
    seen = [r["figure_id"] for path in _records() for r in _rows(path)]
    assert len(seen) == len(set(seen))


def test_the_log_counts_match_the_records():
    _assert_log_totals(
        r"Together they list (\d+) figures drawn at random: (\d+) confirmed .*? (\d+) errors?, (\d+) whose page",
        [r for path in _records() for r in _rows(path)],
        "the spot checks in quality/",
    )


def test_the_deal_checks_name_existing_deals_and_match_the_log():
    deal_ids = {row["deal_id"] for row in _rows(ROOT / "data" / "deals.csv")}
    log = _log()
    records = _records("deal-check")
    assert len(records) >= 2
    every = []
    for path in records:
        rows = _rows(path)
        assert f"`quality/{path.name}`" in log, unnamed(path)
        assert [r["deal_id"] for r in rows if r["deal_id"] not in deal_ids] == []
        assert len({r["deal_id"] for r in rows}) == len(rows)
        assert {r["outcome"] for r in rows} <= OUTCOMES
        assert [r["deal_id"] for r in rows if r["outcome"] == "error" and not r["note"]] == []
        _assert_log_totals(
            rf"`quality/{re.escape(path.name)}` lists (\d+) (?:more|deals?) .*?: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
            rows,
            f"quality/{path.name}",
        )
        every += rows
    assert len({r["deal_id"] for r in every}) == len(every), "a deal is in two samples"
    _assert_log_totals(
        r"Together the deal samples list (\d+) deals: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
        every,
        "the deal checks in quality/",
    )


def _checked(kind: str, table: str, outcomes: set[str]) -> tuple[dict[str, dict[str, str]], list[tuple[Path, list[dict[str, str]]]]]:
    """The rows of `table` by id, and each record of `kind` with its rows, once the checks every
    kind shares hold: there is a record, the log names each, outcomes are known, ids exist."""
    data = {row[next(iter(row))]: row for row in _rows(ROOT / "data" / f"{table}.csv")}
    log = _log()
    records = [(path, _rows(path)) for path in _records(kind)]
    assert records, f"no {kind} in quality/"
    for path, rows in records:
        assert f"`quality/{path.name}`" in log, unnamed(path)
        assert {r["outcome"] for r in rows} <= outcomes, path.name
        key = next(iter(rows[0])) if rows else None
        assert [r[key] for r in rows if r[key] not in data] == [], path.name
    return data, records


def test_the_dating_check_records_what_the_data_holds():
    """quality/dating-check-*.csv: every repointed, re-dated, coarsened or undated deal still has the source
    or the date its latest record gives it (a later change must update the record or be a later record
    that corrects it)."""
    deals, records = _checked("dating-check", "deals", {"ok", "repoint", "redate", "coarsen", "undate", "not_found"})
    latest = {r["deal_id"]: r for _, rows in records for r in rows}  # a later record supersedes an earlier
    for _, rows in records:
        for r in rows:
            if latest[r["deal_id"]] is not r:  # a later check read the deal again and corrected it
                assert latest[r["deal_id"]]["outcome"] in ("repoint", "redate", "coarsen", "undate", "not_found"), r["deal_id"]
                continue
            deal = deals[r["deal_id"]]
            if r["new_source_id"]:
                assert deal["source_id"] == r["new_source_id"], r["deal_id"]
            if r["new_announced"]:
                assert (deal["announced"], deal["date_precision"]) == (r["new_announced"], r["new_date_precision"]), r["deal_id"]
            if r["outcome"] == "undate":  # no page read shows the date: the deal stays undated
                assert (deal["announced"], deal["date_precision"]) == ("", ""), r["deal_id"]


def test_the_status_checks_record_what_the_data_holds():
    """quality/status-check-*.csv: every change marked applied is the deal's status now, and every
    change not applied says why."""
    deals, records = _checked("status-check", "deals", {"change", "keep"})
    for _, rows in records:
        for r in rows:
            if r["outcome"] != "change":
                continue
            assert r["url"] and r["quote"], r["deal_id"]
            if r["applied"] == "yes":
                assert deals[r["deal_id"]]["status"] == r["new_status"], r["deal_id"]
            else:
                assert r["applied"].startswith("no: "), r["deal_id"]


def test_the_party_checks_record_the_values_the_data_holds():
    """quality/party-check-*.csv: every value checked is the party's value now (a later change must
    update the record too), a confirmed, wrong or added value (`added`: the package held none, the
    page read shows it, and it is set) has its page and quote, and the log's totals are the
    records'."""
    parties, records = _checked("party-check", "parties", {"ok", "error", "not_found", quality_table.ADDED})
    for path, rows in records:
        assert {r["field"] for r in rows} <= {"ticker", "parent_id", "country"}
        assert len({(r["party_id"], r["field"]) for r in rows}) == len(rows)
        assert [r["party_id"] for r in rows if r["outcome"] != "error" and parties[r["party_id"]][r["field"]] != r["value"]] == []
        assert [r["party_id"] for r in rows if r["outcome"] != "not_found" and not (r["url"] and r["quote"])] == []
        assert [r["party_id"] for r in rows if r["outcome"] == quality_table.ADDED and not r["value"]] == []
        _assert_log_totals(
            rf"`quality/{re.escape(path.name)}` lists (\d+) checks? .*?: (\d+) confirmed, (\d+) with an error, (\d+) whose value"
            r"(?:[^;.]*?, and (\d+) values? the package lacked)?",
            rows,
            f"quality/{path.name}",
        )


SOURCE_FIELDS = ("title", "publisher", "author", "published", "language", "kind")


def test_the_source_checks_name_sources_and_fields_and_match_the_log():
    """quality/source-check-*.csv and source-reread-*.csv: each row names a source of the data, the
    fields it confirmed (ok) or found wrong (error, corrected since), in the schema's order; the
    the log's totals of each source check are the record's (a re-read's, in the re-reads' test)."""
    _, rereads = _checked("source-reread", "sources", {"ok", "error", "not_found"})
    _, records = _checked("source-check", "sources", {"ok", "error", "not_found"})
    for _, rows in records + rereads:
        assert len({r["source_id"] for r in rows}) == len(rows)
        for r in rows:
            fields = r["fields"].split()
            assert fields == [f for f in SOURCE_FIELDS if f in fields], (r["source_id"], fields)
            assert bool(fields) == (r["outcome"] != "not_found"), r["source_id"]
    for path, rows in records:
        _assert_log_totals(
            rf"`quality/{re.escape(path.name)}` lists (\d+) sources? .*?: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
            rows,
            f"quality/{path.name}",
        )


def test_the_flow_reviews_record_what_the_data_holds():
    """quality/flow-review-*.csv: every flow changed is the figure's flow now, every verdict says on
    what basis (README: `equity` is money paid for shares, `cash` any other payment) and why, and a
    flow kept is the one the figure had when it was read."""
    figures, records = _checked("flow-review", "figures", {"keep", "change"})
    bases = {"shares", "debt", "grant", "mixed", "other", "unclear"}
    for _, rows in records:
        for r in rows:
            assert r["reason"] and r["basis"] in bases, r["figure_id"]
            assert r["old_flow"] in ("cash", "equity"), r["figure_id"]
            if r["outcome"] == "change":
                assert r["new_flow"] != r["old_flow"], r["figure_id"]
                assert figures[r["figure_id"]]["flow"] == r["new_flow"], r["figure_id"]
            else:
                assert r["new_flow"] == "", r["figure_id"]
            # paid for shares is equity; debt, grants and mixed totals are cash
            expected = {"shares": "equity", "debt": "cash", "grant": "cash", "mixed": "cash"}.get(r["basis"])
            assert expected in (None, r["new_flow"] or r["old_flow"]), r["figure_id"]


def test_the_qualifier_reviews_record_what_the_data_holds():
    """quality/qualifier-review-*.csv: every qualifier changed is the figure's qualifier now, and every
    verdict gives its reason (the words of the quote that decide it)."""
    figures, records = _checked("qualifier-review", "figures", {"keep", "change"})
    for _, rows in records:
        for r in rows:
            assert r["reason"], r["figure_id"]
            if r["outcome"] == "change":
                assert figures[r["figure_id"]]["qualifier"] == r["new_qualifier"], r["figure_id"]
            else:
                assert r["new_qualifier"] == "", r["figure_id"]


def test_the_rereads_read_again_rows_whose_page_did_not_come_back_and_match_the_log():
    """quality/deal-reread-*.csv, spot-reread-*.csv and source-reread-*.csv: a second, harder try at
    the rows of the deal, figure (random samples and large checks) and source samples whose page did
    not come back. Each re-reads only
    such rows, once; the log gives each record's totals and, with the re-reads, the samples'
    latest outcome per row."""
    log = _log_words()
    for kind, firsts, key, what, read in (
        ("deal-reread", ("deal-check",), "deal_id", "deals", "sampled"),
        ("spot-reread", ("spot-check", "large-check"), "figure_id", "figures", "sampled or large-checked"),
        ("source-reread", ("source-check",), "source_id", "sources", "sampled"),
    ):
        latest = {r[key]: r for first in firsts for path in _records(first) for r in _rows(path)}
        records = _records(kind)
        assert records, f"no {kind} in quality/"
        reread: list[dict[str, str]] = []
        for path in records:
            rows = _rows(path)
            assert f"`quality/{path.name}`" in log, unnamed(path)
            assert {r["outcome"] for r in rows} <= OUTCOMES, path.name
            assert [r[key] for r in rows if latest.get(r[key], {}).get("outcome") != "not_found"] == [], path.name
            assert [r[key] for r in rows if r["outcome"] != "ok" and not r["note"]] == [], path.name
            _assert_log_totals(
                rf"`quality/{re.escape(path.name)}` re-reads (\d+) {what}.*?: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
                rows,
                f"quality/{path.name}",
            )
            reread += rows
            latest.update({r[key]: r for r in rows})
        assert len({r[key] for r in reread}) == len(reread), f"a row is in two {kind} records"
        _assert_log_totals(
            rf"With the re-reads, the {what} {read} end as (\d+) {what}: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
            list(latest.values()),
            f"the {' and '.join(firsts)} records with the re-reads",
        )


def test_the_large_figure_checks_read_figures_no_sample_drew_and_match_the_log():
    """quality/large-check-*.csv: the largest USD amounts, commitments and valuations that no random
    sample had drawn, read against their pages. Each names existing figures, once, none of them in a
    spot check, says why for every outcome but a plain ok, and the log gives its totals."""
    figures, records = _checked("large-check", "figures", {"ok", "ok_seed", "error", "not_found"})
    sampled = {r["figure_id"] for path in _records() for r in _rows(path)}
    seen: list[str] = []
    for path, rows in records:
        ids = [r["figure_id"] for r in rows]
        seen += ids
        assert [i for i in ids if i in sampled] == [], path.name
        assert [i for i in ids if figures[i]["unit"] != "USD"] == [], path.name
        assert [r["figure_id"] for r in rows if r["outcome"] != "ok" and not r["note"]] == [], path.name
        _assert_log_totals(
            rf"`quality/{re.escape(path.name)}` lists (\d+) figures?.*?: (\d+) confirmed, (\d+) with an error, (\d+) whose page",
            rows,
            f"quality/{path.name}",
        )
    assert len(seen) == len(set(seen)), "a figure is in two large-figure checks"


LARGE = 5e9  # README: every USD money figure of this size or more has been read against its page


def test_every_large_usd_money_figure_has_been_read_against_its_page():
    """The largest amounts weigh most in every sum: each USD amount, commitment, backlog or valuation
    of LARGE or more is in a random sample or a large-figure check (a new one needs a check too)."""
    read = {r["figure_id"] for kind in ("spot-check", "spot-reread", "large-check") for path in _records(kind)
            for r in _rows(path)}
    large = [f["figure_id"] for f in _rows(ROOT / "data" / "figures.csv")
             if f["unit"] == "USD" and f["measure"] in ("amount", "commitments_total", "backlog", "valuation")
             and float(f["value_high"] or f["value"]) >= LARGE]
    assert len(large) > 400
    assert [i for i in large if i not in read] == [], (
        "read each against its page and record it in a quality/large-check-*.csv, with its sentence "
        "in quality/LOG.md (quality/README.md, \"What the log says of a record\")"
    )


def test_a_large_figure_keeps_the_value_its_reading_names():
    """A large-figure check's note says what the page shows (`ok`) or what the value was corrected
    to (`error`): the figure still holds that value. A value changed after its reading (a corrected
    figure, a digit slipped in an edit) would otherwise pass as checked."""
    from quote_numbers import numbers_in, states

    figures = {f["figure_id"]: f for f in _rows(ROOT / "data" / "figures.csv")}
    changed = [(path.name, r["figure_id"], figures[r["figure_id"]]["value"])
               for path in _records("large-check") for r in _rows(path)
               if r["outcome"] != "not_found"
               and not states(float(figures[r["figure_id"]]["value"]), figures[r["figure_id"]]["unit"], numbers_in(r["note"]))]
    assert changed == [], (
        "a figure's value is not the one its large-figure check read: read it against its page again and "
        "say in that record's note what the page shows and the value now held")


def test_the_readme_table_of_checks_is_the_records():
    """README's table of checks gives, for every kind of record in quality/, how many records and
    rows it holds and their outcomes (`python tests/quality_table.py --write` rewrites it)."""
    assert quality_table.kinds() == set(quality_table.KINDS)
    shown = quality_table.in_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    assert shown is not None, "README has no table of checks"
    assert shown == quality_table.table(), "README's table of checks is stale: run python tests/quality_table.py --write"
