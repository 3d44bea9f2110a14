"""`aideals validate`: exact findings on the corpus, parity with frictionless-py and jsonschema, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aideals import checks, package, rules
from aideals.cli import cli
from test_package import UNITS_HINT
from conftest import ROOT, corpus_report
from test_package import BROKEN_ROWS

AIDEALS_ONLY = {"formula-injection", "control-character", "not-finite"}

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/expected.json"))
FINDING_CASES = [c for c in CASES if "findings" in json.loads((CORPUS / c / "expected.json").read_text(encoding="utf-8"))]
DESCRIPTOR_CASES = [c for c in CASES if c not in FINDING_CASES]


def expected(case: str) -> dict:
    return json.loads((CORPUS / case / "expected.json").read_text(encoding="utf-8"))


def findings(root: Path) -> list[dict]:
    if root.parent == CORPUS:
        return [f.to_dict() for f in corpus_report(root).findings]
    return [f.to_dict() for f in checks.validate(package.load(root)).findings]


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert {"valid-crlf", "valid-bom", "valid-quoted-newline"} <= set(CASES)


@pytest.mark.parametrize("case", FINDING_CASES)
def test_corpus_case_gives_exactly_its_findings(case):
    assert findings(CORPUS / case) == expected(case)["findings"]


@pytest.mark.parametrize("case", DESCRIPTOR_CASES)
def test_unusable_descriptor_is_one_error_and_exit_2(case):
    result = CliRunner().invoke(cli, ["validate", str(CORPUS / case)], standalone_mode=False, catch_exceptions=True)
    assert type(result.exception).__name__ == "PackageError"
    assert str(result.exception) == expected(case)["error"]
    assert result.exception.exit_code == 2


@pytest.mark.parametrize("case", FINDING_CASES)
def test_keeping_every_typed_column_gives_the_same_findings(case):
    """A build keeps the typed values of every field (it writes the release from them), a bare
    validate only those its checks read after the scan: the findings are the same."""
    report = checks.validate(package.load(CORPUS / case), on_valid=lambda con: None)
    assert [f.to_dict() for f in report.findings] == expected(case)["findings"]


def test_a_bare_validate_keeps_the_fields_read_after_the_scan():
    needed = checks._needed_fields(package.load(ROOT), checks.builtin_checks())
    assert needed == {
        # keys and the fields the built-in cross-table checks name (by name: undisclosed_party_in_one_deal
        # reads parties.kind, which keeps the other tables' `kind` too)
        "parties": {"party_id", "parent_id", "kind"},
        "sources": {"source_id", "published", "published_precision", "kind"},
        "deals": {"deal_id", "party_a", "party_b", "source_id", "part_of", "kind", "announced", "date_precision"},
        "figures": {"figure_id", "deal_id", "party_id", "from_party", "to_party", "flow", "as_of", "source_id"},
    }


@pytest.mark.parametrize("sql", [
    "SELECT f.* , 'x' AS message FROM figures f WHERE false",
    "SELECT 'x' AS message FROM flows WHERE false",
])
def test_a_check_selecting_star_or_reading_a_view_keeps_every_field(sql):
    check = checks.ExtraCheck("star", "", sql)
    assert checks._needed_fields(package.load(ROOT), [*checks.builtin_checks(), check]) is None
    assert checks._needed_fields(package.load(ROOT), [checks.ExtraCheck("n", "", "SELECT count(*) AS message FROM figures")]) is not None


def test_only_rows_the_quick_test_does_not_clear_get_the_full_checks():
    """The scan keeps the raw cells of a row only when a cheap test does not clear it; a valid
    package (the repository's) has no such row, so the full checks never run."""
    tables = []
    checks.validate(package.load(ROOT), on_valid=lambda con: tables.extend(
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()))
    assert [t for t in tables if t != "metrics"] == ["checked_deals", "checked_figures", "checked_parties", "checked_sources"]


def test_the_repository_package_is_valid():
    report = checks.validate(package.load(ROOT))
    assert report.findings == []
    assert report.checks_run[:3] == ["package", "table-schema", "row-rule"]
    assert "no_cycle_in_party_parents" in report.checks_run


# --- parity with frictionless-py ----------------------------------------------------------------

FRICTIONLESS_SAMPLE = ["blank-row", "duplicate-primary-key", "latin1-bytes", "ragged-long-row", "type-bad-date"]


def our_table_schema_set(case: str) -> list[list]:
    return sorted(
        ([f["file"], f["row"], f["field"], f["check"]] for f in expected(case)["findings"]
         if f["layer"] in ("package", "table-schema") and f["check"] not in AIDEALS_ONLY),
        key=repr,
    )


# Where aideals is stricter than frictionless-py on purpose. A quoted field that is never closed:
# frictionless (Python's lenient csv reader) reads it to the end of the file as one cell and reports
# that row's missing cells; aideals refuses the file as not CSV (RFC 4180), since the row's extent
# cannot be known and DuckDB's single-threaded reader would drop it without a word. Mixed line
# endings: frictionless reads them; DuckDB cannot, and aideals refuses the file saying why.
STRICTER_THAN_FRICTIONLESS = {"unterminated-quote-last-row", "unterminated-quote-after-ragged-row", "mixed-line-endings"}


@pytest.mark.parametrize("case", [c for c in FINDING_CASES if c not in STRICTER_THAN_FRICTIONLESS])
def test_table_schema_findings_equal_frictionless(case):
    """frictionless.json holds what frictionless-py reports on the case (written by make.py)."""
    stored = json.loads((CORPUS / case / "frictionless.json").read_text(encoding="utf-8"))
    assert our_table_schema_set(case) == stored


@pytest.mark.parametrize("case", sorted(STRICTER_THAN_FRICTIONLESS - {"mixed-line-endings"}))
def test_an_unclosed_quote_refuses_the_file_where_frictionless_reads_one_long_cell(case):
    stored = json.loads((CORPUS / case / "frictionless.json").read_text(encoding="utf-8"))
    assert our_table_schema_set(case) == [["data/parties.csv", None, None, "format-error"]]
    assert {(row, check) for _, row, _, check in stored if row == 6} == {(6, "missing-cell"), (6, "constraint-error")}


def test_mixed_line_endings_refuse_the_file_saying_so_where_frictionless_reads_it():
    stored = json.loads((CORPUS / "mixed-line-endings" / "frictionless.json").read_text(encoding="utf-8"))
    assert stored == []
    (finding,) = expected("mixed-line-endings")["findings"]
    assert (finding["file"], finding["check"]) == ("data/deals.csv", "format-error")
    assert finding["message"] == "cannot be read as CSV: the file mixes CR LF and LF line endings: end every line the same way"


@pytest.mark.parametrize("case", FRICTIONLESS_SAMPLE)
def test_stored_frictionless_findings_are_what_frictionless_reports(case):
    """frictionless is slow: a sample of cases is re-run live to keep the stored answers honest."""
    import sys

    sys.path.insert(0, str(CORPUS))
    from make import frictionless_findings

    stored = json.loads((CORPUS / case / "frictionless.json").read_text(encoding="utf-8"))
    assert frictionless_findings(CORPUS / case) == stored


# --- parity with the jsonschema reference of the row rules ----------------------------------------

# The reference reads cells by header name, aideals (like frictionless) by position: they differ only
# when the header is wrong, which the Table Schema layer reports.
HEADER_OR_FILE_DEFECTS = ("latin1-bytes", "missing-file", "empty-file", "renamed-header", "missing-column", "extra-column")


@pytest.mark.parametrize("case", [c for c in FINDING_CASES if c not in HEADER_OR_FILE_DEFECTS])
def test_row_rules_in_sql_equal_jsonschema(case):
    pkg = package.load(CORPUS / case)
    blank = {(f["file"], f["row"]) for f in expected(case)["findings"] if f["check"] == "blank-row"}
    reference = sorted(tuple(f.to_dict().values()) for f in rules.check_package(pkg) if (f.file, f.row) not in blank)
    ours = sorted(tuple(f.values()) for f in expected(case)["findings"] if f["layer"] == "row-rule")
    assert ours == reference


def test_row_rules_in_sql_equal_jsonschema_on_the_rule_fixtures(tmp_path):
    import shutil

    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(ROOT / "tests" / "fixtures" / "rules", tmp_path / "data")
    shutil.copy(ROOT / "datapackage.json", tmp_path / "datapackage.json")
    pkg = package.load(tmp_path)
    ours = sorted(tuple(f.to_dict().values()) for f in checks.validate(pkg).findings if f.layer == "row-rule")
    reference = sorted(tuple(f.to_dict().values()) for f in rules.check_package(pkg))
    assert len(reference) == len(BROKEN_ROWS)  # one finding per deliberately broken row
    assert ours == reference


COMPILER_RULES = [
    {"properties": {"q": {"const": "range"}}, "required": ["q"]},
    {"not": {"properties": {"q": {"const": "range"}}, "required": ["q"]}},
    {"not": {"properties": {"q": {"enum": ["a", "range"]}, "v": {"maximum": 10}}, "required": ["q", "v"]}},
    {"anyOf": [{"properties": {"v": {"minimum": 5}}, "required": ["v"]}, {"required": ["h"]}]},
    {"if": {"properties": {"q": {"const": "range"}}, "required": ["q"]}, "then": {"required": ["h"]},
     "else": {"not": {"required": ["h"]}}},
    {"if": {"properties": {"v": {"const": 3}}, "required": ["v"]}, "then": {"properties": {"h": {"exclusiveMinimum": 3}}}},
    {"oneOf": [{"properties": {"q": {"const": "a"}}, "required": ["q"]}, {"properties": {"v": {"maximum": 1}}}]},
    {"properties": {"q": {"not": {"const": "a"}}, "h": {"maximum": 4}}, "required": ["h"]},
    {"properties": {"h": {"exclusiveMaximum": 4}}},
]
COMPILER_ROWS = [{}, {"q": "range"}, {"q": "a"}, {"v": 3.0}, {"v": 12.0}, {"h": 2.0}, {"q": "range", "h": 5.0},
                 {"q": "a", "v": 0.5}, {"q": "range", "v": 3.0, "h": 3.0}, {"q": "b", "v": 7.0, "h": 4.0}]


@pytest.mark.parametrize("rule", COMPILER_RULES, ids=[json.dumps(r)[:60] for r in COMPILER_RULES])
def test_rule_compiler_equals_jsonschema_on_keywords_the_rule_files_do_not_combine_yet(rule):
    """Each compiled rule is true on exactly the rows jsonschema finds valid (a missing field is SQL NULL)."""
    import duckdb

    from aideals.rules_sql import RuleCompiler

    validator = rules.validator_class()(rule)
    sql = RuleCompiler({"q": "string", "v": "number", "h": "number"}).row(rule)
    con = duckdb.connect()
    rows = [(r.get("q"), r.get("v"), r.get("h")) for r in COMPILER_ROWS]
    con.execute("CREATE TABLE t (n INTEGER, q VARCHAR, v DOUBLE, h DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows)])
    ours = [bool(ok) for (ok,) in con.execute(f"SELECT coalesce({sql.text}, false) FROM t ORDER BY n", sql.params).fetchall()]
    assert ours == [validator.is_valid(r) for r in COMPILER_ROWS]


@pytest.mark.parametrize(("keyword", "passes"), [
    # h = 3.5, 4 (the bound), 4.5, absent
    ("minimum", [False, True, True, True]),
    ("maximum", [True, True, False, True]),
    ("exclusiveMinimum", [False, False, True, True]),
    ("exclusiveMaximum", [True, False, False, True]),
])
def test_a_compiled_bound_includes_its_value_only_when_not_exclusive(keyword, passes):
    import duckdb

    from aideals.rules_sql import RuleCompiler

    rule = {"properties": {"h": {keyword: 4}}}
    sql = RuleCompiler({"h": "number"}).row(rule)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (n INTEGER, h DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(0, 3.5), (1, 4.0), (2, 4.5), (3, None)])
    got = [bool(ok) for (ok,) in con.execute(f"SELECT coalesce({sql.text}, false) FROM t ORDER BY n", sql.params).fetchall()]
    assert got == passes
    assert [rules.validator_class()(rule).is_valid({} if h is None else {"h": h}) for h in (3.5, 4.0, 4.5, None)] == passes


# --- extra checks from plugins -------------------------------------------------------------------

def test_extra_check_rows_become_findings_with_row_numbers():
    check = checks.ExtraCheck(
        "no_fund_parties", "Funds are not parties here",
        "SELECT 'parties' AS resource, party_id AS id, 'kind' AS field, kind AS value, "
        "'funds are not allowed' AS message FROM parties WHERE kind = 'investment_fund'",
        plugin="test",
    )
    report = checks.validate(package.load(CORPUS / "valid-base"), extra_checks=[check])
    assert [f.line() for f in report.findings] == ["data/parties.csv:5: kind: funds are not allowed"]
    assert report.findings[0].check == "no_fund_parties"
    assert "no_fund_parties" in report.checks_run


def test_extra_check_that_fails_to_run_is_one_finding():
    check = checks.ExtraCheck("broken", "", "SELECT nope FROM nowhere")
    report = checks.validate(package.load(CORPUS / "valid-base"), extra_checks=[check])
    assert len(report.findings) == 1
    assert report.findings[0].message.startswith("the check failed to run: Catalog Error")


# Plugin checks cannot change what they check: they run on a read-only, sandboxed copy.

READ_ONLY = 'Invalid Input Error: Cannot execute statement of type "{}" on database "plugin-checks" which is attached in read-only mode!'
HOSTILE = [
    ("drop_figures", "DROP TABLE figures", READ_ONLY.format("DROP")),
    ("insert_party", "INSERT INTO parties (party_id, name, kind, country) VALUES ('x', 'X', 'company', 'US')", READ_ONLY.format("INSERT")),
    ("delete_deals", "DELETE FROM deals", READ_ONLY.format("DELETE")),
    ("update_figures", "UPDATE figures SET value = -1", READ_ONLY.format("UPDATE")),
    ("replace_view", "CREATE OR REPLACE VIEW flows AS SELECT 1 AS x", READ_ONLY.format("CREATE")),
    ("select_then_drop", "SELECT 'x' AS message; DROP VIEW consensus", READ_ONLY.format("DROP")),
    ("copy_out", "COPY figures TO '{tmp}/stolen.csv'",
     'Permission Error: Cannot access file "{tmp}/stolen.csv" - file system operations are disabled by configuration'),
    ("read_passwd", "SELECT line AS message FROM read_csv('/etc/passwd', columns = {{'line': 'VARCHAR'}})",
     'Permission Error: Cannot access file "/etc/passwd" - file system operations are disabled by configuration'),
    ("attach", "ATTACH '{tmp}/other.duckdb' AS other",
     'Permission Error: Cannot access file "{tmp}/other.duckdb" - file system operations are disabled by configuration'),
    ("unlock", "SET enable_external_access = true",
     'Invalid Input Error: Cannot change configuration option ""enable_external_access"" - the configuration has been locked'),
]
# Runs after the hostile checks: sees every table whole.
COUNTS = checks.ExtraCheck(
    "counts", "", "SELECT (SELECT count(*) FROM parties) || ' ' || (SELECT count(*) FROM deals) || ' ' || "
    "(SELECT count(*) FROM figures) || ' ' || (SELECT count(*) FROM flows) || ' ' || (SELECT min(value) FROM figures) AS message",
    plugin="good",
)


def test_plugin_checks_that_write_or_escape_fail_alone_and_change_nothing(tmp_path):
    hostile = [checks.ExtraCheck(name, "", sql.format(tmp=tmp_path), plugin="evil") for name, sql, _ in HOSTILE]
    report = checks.validate(package.load(CORPUS / "range-inverted"), extra_checks=[*hostile, COUNTS])
    # DuckDB 1.x doubles the quotes around an option's name in that message, 2.x does not.
    def same_quotes(message: str) -> str:
        return message.replace('""', '"')

    failed = [(f.file, f.row, f.check, f.layer, same_quotes(f.message)) for f in report.findings
              if f.check in dict((h[0], h) for h in HOSTILE)]
    assert sorted(failed) == sorted(
        ("datapackage.json", None, name, "cross-table", same_quotes(f"plugin evil: the check failed to run: {error.format(tmp=tmp_path)}"))
        for name, _, error in HOSTILE
    )
    # the package's own findings are exactly those found without plugins, and the tables are whole
    rest = [f.to_dict() for f in report.findings if f.layer != "cross-table"]
    assert rest == expected("range-inverted")["findings"]
    assert [f.message for f in report.findings if f.check == "counts"] == ["4 2 4 3 10.0"]  # range-inverted: the stake is 10 to 5
    assert report.checks_run[-len(HOSTILE) - 1:] == [name for name, _, _ in HOSTILE] + ["counts"]
    assert list(tmp_path.iterdir()) == []


def test_a_plugin_check_cannot_shadow_a_table_for_the_next_check():
    shadows = [
        checks.ExtraCheck("temp_table", "", "CREATE TEMP TABLE figures AS SELECT 1 AS message", plugin="evil"),
        checks.ExtraCheck("temp_view", "", "CREATE TEMP VIEW deals AS SELECT 1 AS message", plugin="evil"),
    ]
    report = checks.validate(package.load(CORPUS / "valid-base"), extra_checks=[*shadows, COUNTS])
    assert [f.line() for f in report.findings] == [
        "datapackage.json: 4 2 4 3 5.0",
        "datapackage.json: plugin evil: the check returns no `message` column",
        "datapackage.json: plugin evil: the check returns no `message` column",
    ]


def test_a_hostile_plugin_check_is_reported_by_the_command(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "vandal.py").write_text(
        "from aideals import hookimpl\n"
        "from aideals.checks import ExtraCheck\n\n\n"
        "@hookimpl\n"
        "def aideals_register_checks():\n"
        "    return ExtraCheck('drop_figures', 'Drops a table.', 'DROP TABLE figures')\n",
        encoding="utf-8",
    )
    result = run(str(CORPUS / "valid-base"), "--plugins-dir", str(plugins))
    assert result.exit_code == 1
    assert result.output == (
        "drop_figures (cross-table): 1\n"
        f"  datapackage.json: plugin vandal: the check failed to run: {READ_ONLY.format('DROP')}\n"
        "1 finding in 1 check.\n"
    )


# --- the command ---------------------------------------------------------------------------------

def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def test_clean_package_exits_0():
    result = run(str(CORPUS / "valid-bom"))
    assert result.exit_code == 0
    assert result.output == "valid: 9 checks passed.\n"


def test_findings_are_grouped_by_check_with_counts_and_exit_1():
    result = run("--package", str(CORPUS / "ragged-short-row"))
    assert result.exit_code == 1
    assert result.output == (
        "constraint-error (table-schema): 1\n"
        "  data/deals.csv:3: summary: is required but empty\n"
        "missing-cell (table-schema): 1\n"
        "  data/deals.csv:3: summary: missing cell: the row has fewer cells than the header's 11\n"
        "2 findings in 2 checks.\n"
    )


def test_unreadable_file_exits_2():
    result = run(str(CORPUS / "latin1-bytes"))
    assert result.exit_code == 2
    assert "data/sources.csv: not UTF-8: byte 0xe8" in result.output


def test_json_output_has_counts_and_findings():
    result = run(str(CORPUS / "duplicate-primary-key"), "--json")
    doc = json.loads(result.output)
    assert result.exit_code == 1
    assert (doc["valid"], doc["exit_code"], doc["error"], doc["truncated"]) == (False, 1, None, False)
    assert list(doc) == ["valid", "exit_code", "error", "truncated", "checks_run", "counts", "findings"]
    assert doc["counts"] == {"unique-error": 1, "primary-key": 1}
    assert doc["findings"][0] == {
        "file": "data/parties.csv", "row": 6, "field": "party_id", "check": "unique-error",
        "layer": "table-schema", "message": '"beta" is not unique: first in row 4', "value": "beta",
    }


def _unusable(error: str) -> dict:
    return {"valid": False, "exit_code": 2, "error": error, "truncated": False,
            "checks_run": [], "counts": {}, "findings": []}


@pytest.mark.parametrize("case", DESCRIPTOR_CASES)
def test_json_of_an_unusable_descriptor_is_one_object_holding_the_error(capsys, case):
    """`--json` prints one object whatever the exit code: a datapackage.json that cannot be read
    gives the object with `error` on stdout, and the usual line on stderr."""
    from cli_runner import run_cli

    rc, out, err = run_cli(["validate", str(CORPUS / case), "--json"], capsys)
    message = expected(case)["error"]
    assert (rc, json.loads(out), err) == (2, _unusable(message), f"aideals: error: {message}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/nowhere"], "{tmp}/nowhere: no such package directory or descriptor"),
        (["--max-errors", "0"], "Invalid value for '--max-errors': 0 is not in the range x>=1. (see 'aideals validate --help')"),
        (["--bogus"], "No such option '--bogus'. (see 'aideals validate --help')"),
        (["--plugins-dir", "{tmp}/nowhere"], "--plugins-dir {tmp}/nowhere: no such directory"),
    ],
    ids=["no-package", "bad-max-errors", "unknown-option", "no-plugins-dir"],
)
def test_json_of_any_error_that_stops_validation_is_one_object(capsys, monkeypatch, tmp_path, args, message):
    from cli_runner import run_cli

    monkeypatch.chdir(CORPUS / "valid-base")
    args = [a.format(tmp=tmp_path) for a in args]
    message = message.format(tmp=tmp_path)
    rc, out, err = run_cli(["validate", "--json", *args], capsys)
    assert (rc, json.loads(out), err) == (2, _unusable(message), f"aideals: error: {message}\n")
    rc, out, err = run_cli(["validate", *args], capsys)  # without --json: the line alone
    assert (rc, out, err) == (2, "", f"aideals: error: {message}\n")


def test_json_after_a_double_dash_is_a_path_not_the_option(capsys, monkeypatch, tmp_path):
    from cli_runner import run_cli

    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(["validate", "--max-errors", "0", "--", "--json"], capsys)
    assert (rc, out) == (2, "")


def test_json_of_a_missing_resource_file_is_a_finding_with_no_error(capsys):
    from cli_runner import run_cli

    rc, out, err = run_cli(["validate", str(CORPUS / "missing-file"), "--json"], capsys)
    doc = json.loads(out)
    assert (rc, err, doc["exit_code"], doc["error"], doc["counts"]) == (2, "", 2, None, {"scheme-error": 1})


def test_max_errors_truncates_the_report():
    result = run(str(CORPUS / "ragged-short-row"), "--max-errors", "1", "--json")
    doc = json.loads(result.output)
    assert (len(doc["findings"]), doc["truncated"]) == (1, True)


def test_row_rules_compare_dates_written_without_leading_zeros_as_dates(tmp_path):
    """2019-6-5 is a date (frictionless reads %Y-%m-%d like strptime): the rules compare it as
    2019-06-05, not as text (found by tests/test_properties.py; "2019-6-5" > "2019-06-05" as text)."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    sources = tmp_path / "pkg" / "data" / "sources.csv"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("2025-10-01,day", "2026-11-3,day"), encoding="utf-8")
    figures = tmp_path / "pkg" / "data" / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    figures.write_text(text.replace("2025-01-01,2025-12-31", "2025-9-1,2025-10-01"), encoding="utf-8")
    pkg = package.load(tmp_path / "pkg")
    assert checks.validate(pkg).findings == []
    assert rules.check_package(pkg) == []
    # ... and a date written so that really is after `retrieved` is still found, shown as ISO.
    sources.write_text(sources.read_text(encoding="utf-8").replace("2026-11-3,day", "2026-11-24,day"), encoding="utf-8")
    figures.write_text(figures.read_text(encoding="utf-8").replace("2025-9-1,2025-10-01", "2025-10-2,2025-9-30"), encoding="utf-8")
    pkg = package.load(tmp_path / "pkg")
    lines = [f.line() for f in checks.validate(pkg).findings]
    assert lines == [
        "data/sources.csv:2: published: 2026-11-24 is after retrieved 2026-11-23",
        "data/figures.csv:5: period_end: 2025-09-30 is before period_start 2025-10-02",
    ]
    assert [f.line() for f in rules.check_package(pkg)] == lines


def test_rows_failing_different_fields_and_rules_each_get_their_findings(tmp_path):
    """The full checks run only for the fields and rules the scan's quick test did not clear on
    some kept row: a field failing on one row and another field and a rule on the next are all found."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    figures = tmp_path / "pkg" / "data" / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    text = text.replace("cash,amount,1000000000,,USD", "cash,amount,1e9x,,USD")
    figures.write_text(text.replace("equity_stake,5,10,percent,range", "equity_stake,5,10,percnt,range"), encoding="utf-8")
    assert [f.line() for f in checks.validate(package.load(tmp_path / "pkg")).findings] == [
        'data/figures.csv:2: value: "1e9x" is not a number',
        'data/figures.csv:3: unit: "percnt" is not one of: USD, EUR, GBP, JPY, CNY, KRW, INR, AUD, CAD, SGD, HKD, TWD, CHF,'
        ' SEK, NOK, DKK, SAR, AED, QAR, BRL, MYR, MXN, ZAR, CLP, COP, ILS, IDR, THB, PLN, CZK, TRY, NZD, GW, MW, percent,'
        ' shares, years, chips, USD_per_GW',
        "data/figures.csv:3: unit: percnt does not fit measure equity_stake" + UNITS_HINT,
    ]


def test_a_blank_row_is_found_in_a_table_without_a_required_field(tmp_path):
    """The scan keeps the raw cells of a blank row for the cells view to see it is blank: a required
    field (empty in it) normally makes sure of that; without one, a test of its own does."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.csv").write_text("a,b\nx,y\n,\nz,w\n", encoding="utf-8")
    schema = {"fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(
        {"name": "notes", "resources": [{"name": "notes", "path": "data/notes.csv", "schema": schema}]}), encoding="utf-8")
    table = [f.line() for f in checks.validate(package.load(tmp_path)).findings if f.layer == "table-schema"]
    assert table == ["data/notes.csv:3: the row is blank"]


def test_a_cell_holding_only_a_control_character_is_not_read_as_empty(tmp_path):
    """DuckDB's null string was "\\x01": a name of just that character was "required but empty"
    (frictionless reads it as text). Found while writing tests/test_properties.py. The character
    is a control character: that, and only that, is reported."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    parties = tmp_path / "pkg" / "data" / "parties.csv"
    parties.write_text(parties.read_text(encoding="utf-8").replace("Acme Corp", "\x01"), encoding="utf-8")
    assert [(f.line(), f.check) for f in checks.validate(package.load(tmp_path / "pkg")).findings] == [
        ('data/parties.csv:2: name: "\\u0001" holds the control character "\\u0001" (character 1): '
         "a terminal would act on it rather than show it", "control-character"),
    ]


@pytest.mark.parametrize("ragged", [False, True])
def test_an_unclosed_quote_at_the_end_of_a_file_read_in_parallel_is_found(tmp_path, ragged):
    """A parties.csv of several DuckDB buffers (read by every thread), ending in a quoted field
    that is never closed: one format-error naming its line, whether or not a ragged row sends the
    file to the single-threaded reader first."""
    import shutil

    root = tmp_path / "pkg"
    shutil.copytree(CORPUS / "valid-base", root, ignore=shutil.ignore_patterns("expected.json", "frictionless.json"))
    parties = root / "data" / "parties.csv"
    rows = "".join(f"filler-{i:06d},Filler {i},company,US,,,,{'x' * 40}\n" for i in range(80_000))
    text = parties.read_text(encoding="utf-8") + rows
    if ragged:
        text = text.replace("filler-000010,Filler 10,company,US,,,,", "filler-000010,Filler 10,company,US,,,,,", 1)
    parties.write_text(text + '"gamma-two,Gamma Two\n', encoding="utf-8")
    assert parties.stat().st_size > checks.CSV_BUFFER_MIN
    line = text.count("\n") + 1
    findings = [(f.file, f.row, f.check, f.message) for f in checks.validate(package.load(root)).findings]
    assert findings == [
        ("data/parties.csv", None, "format-error", f"cannot be read as CSV: line {line}: a quoted field is never closed")
    ]


def test_a_csv_that_cannot_be_read_is_one_finding_on_that_file(monkeypatch):
    """A resource file this user may not read (here: its header read raises as an unreadable file
    does) is one finding, as README says, not an internal error."""
    real = checks._read_header

    def header(path):
        if path.name == "deals.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(checks, "_read_header", header)
    report = checks.validate(package.load(CORPUS / "valid-base"))
    assert [(f.file, f.row, f.check, f.message) for f in report.findings if f.file == "data/deals.csv"] == [
        ("data/deals.csv", None, "scheme-error", "cannot be read: Permission denied")
    ]


def test_a_rule_naming_a_field_the_table_schema_lacks_names_the_rules_file(tmp_path):
    import shutil

    from aideals.errors import AidealsError

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    schema = tmp_path / "pkg" / "schemas" / "deals.schema.json"
    desc = json.loads(schema.read_text(encoding="utf-8"))
    desc["fields"] = [f for f in desc["fields"] if f["name"] != "announced"]
    schema.write_text(json.dumps(desc), encoding="utf-8")
    with pytest.raises(AidealsError) as exc:
        checks.validate(package.load(tmp_path / "pkg"))
    assert str(exc.value) == "schemas/deals.rules.json: field 'announced' is not in the Table Schema"


def test_a_plugin_checks_odd_rows_still_make_one_line_findings():
    """A check's message with a line break is joined into one line, a NULL message says so, a
    resource the package does not have is named in the message, and so is an id no row has."""
    extra = checks.ExtraCheck(
        "odd_rows", "Rows a sloppy plugin check returns.",
        "SELECT 'parties' AS resource, 'acme' AS id, 'two\nlines' AS message "
        "UNION ALL SELECT 'parties', 'beta', NULL "
        "UNION ALL SELECT 'planets', 'mars', 'not here' "
        "UNION ALL SELECT 'parties', 'nobody', 'bad id' "
        "UNION ALL SELECT NULL, 'zed', 'no resource' ORDER BY 2",
    )
    report = checks.validate(package.load(CORPUS / "valid-base"), extra_checks=[extra])
    assert [(f.file, f.row, f.check, f.message) for f in report.findings] == [
        ("data/parties.csv", None, "odd_rows", "bad id (id 'nobody': no row of 'parties' has it)"),
        ("data/parties.csv", 2, "odd_rows", "two lines"),
        ("data/parties.csv", 4, "odd_rows", "(the check gave no message)"),
        ("datapackage.json", None, "odd_rows", "no resource (id 'zed': the check names no resource)"),
        ("datapackage.json", None, "odd_rows", "not here (in 'planets', which is not a resource of the package)"),
    ]


def test_a_line_longer_than_the_read_limit_is_refused_by_validate_as_by_build(tmp_path):
    """A bare validate reads with buffers of its own size (4 to 16 MiB), which bound a line's length;
    a build read with DuckDB's default limit (2,000,000 bytes): a 2 MB note validated, then the build
    refused it. A line the bare validate's buffer cannot hold is read again with the build's limit,
    MAX_LINE_SIZE: a 5 MB line passes both, a line longer than the limit fails both."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    parties = tmp_path / "pkg" / "data" / "parties.csv"
    original = parties.read_text(encoding="utf-8")
    for length, ok in ((5_000_000, True), (checks.MAX_LINE_SIZE + 1, False)):
        parties.write_text(original.replace("Cloud arm of Acme.", "y" * length), encoding="utf-8")
        built = []
        for on_valid in (None, built.append):  # a bare validate, and the validation of a build
            findings = checks.validate(package.load(tmp_path / "pkg"), on_valid=on_valid).findings
            if ok:
                assert findings == []
            else:
                assert [(f.file, f.check, f.message[:63]) for f in findings] == [
                    ("data/parties.csv", "format-error", "cannot be read as CSV: line 3: maximum line size of 16777215 by")
                ]
        assert len(built) == (1 if ok else 0)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"if": 3}, "a rule: if: must be a rule (an object, true or false)"),
        ({"properties": {"title": {"type": "bogus"}}},
         "the rule on 'title': type: must be a JSON type (array, boolean, integer, null, number, object, string)"),
        ({"properties": {"title": {"enum": "abc"}}}, "the rule on 'title': enum: must be a list of values"),
        ({"properties": {"title": {"pattern": "("}}},
         "the rule on 'title': pattern: must be a regular expression DuckDB can run (no lookaround or backreferences)"),
        ({"properties": {"title": {"pattern": "(a)\\1"}}},
         "the rule on 'title': pattern: must be a regular expression DuckDB can run (no lookaround or backreferences)"),
        ({"properties": {"title": {"minLength": "x"}}}, "the rule on 'title': minLength: must be a whole number"),
        ({"properties": {"title": {"minLength": -1}}}, "the rule on 'title': minLength: must be a whole number"),
        ({"properties": {"title": {"maxLength": 2.5}}}, "the rule on 'title': maxLength: must be a whole number"),
        ({"properties": {"title": {"maxLength": True}}}, "the rule on 'title': maxLength: must be a whole number"),
    ],
)
def test_a_rule_whose_keyword_is_malformed_is_an_error_naming_it(tmp_path, rule, message):
    """A malformed keyword crashed the compiler (`"if": 3`), validated clean (`"type": "bogus"`) or
    failed every row (an `enum` string read as its letters): one error naming the file and keyword."""
    import shutil

    from aideals.errors import AidealsError

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    (tmp_path / "pkg" / "schemas" / "deals.rules.json").write_text(json.dumps({"allOf": [rule]}), encoding="utf-8")
    with pytest.raises(AidealsError) as exc:
        checks.validate(package.load(tmp_path / "pkg"))
    assert str(exc.value) == f"schemas/deals.rules.json: {message}"


def test_the_one_line_form_of_a_finding_shows_invisible_characters_as_escapes():
    """A BOM before an id, a NUL or a line break in a cell would hide a finding's cause or break its
    line, an ESC or a C1 character (U+009B: CSI) would drive the terminal: the text form writes
    them as escapes; the JSON form keeps the message as it is."""
    from aideals.findings import Finding

    f = Finding("data/figures.csv", 3, "source_id", "foreign-key", "table-schema",
                '"\ufeffsrc-one" is not a source_id of sources; "a\nb\tc\x00\x1b[2J\x7f\x80\x9b\x9f\xa0"')
    assert f.line() == ('data/figures.csv:3: source_id: "\\ufeffsrc-one" is not a source_id of sources; '
                        '"a\\nb\\tc\\u0000\\u001b[2J\\u007f\\u0080\\u009b\\u009f\xa0"')
    assert f.to_dict()["message"] == '"\ufeffsrc-one" is not a source_id of sources; "a\nb\tc\x00\x1b[2J\x7f\x80\x9b\x9f\xa0"'


def test_a_quoted_line_break_in_a_crlf_file_does_not_hide_its_real_error(tmp_path):
    """Python's csv module ends rows with CR LF and keeps a bare LF inside a quoted field (valid):
    a row with 40 cells too many is then reported as itself, with no word of mixed line endings
    (a line break inside quotes is not a line ending)."""
    import csv as csvmod
    import io

    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg")
    path = root / "data" / "deals.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csvmod.reader(fh))
    rows[1][1] += "\nsecond line"
    rows[1] += ["x"] * 40
    buf = io.StringIO()
    csvmod.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode())
    result = run(str(root), "--json")
    (finding,) = json.loads(result.output)["findings"]
    assert finding["check"] == "format-error" and finding["file"] == "data/deals.csv"
    # DuckDB's own words on the row (how many cells it counts when it stops may vary)
    assert re.fullmatch(
        r"cannot be read as CSV: line 2: expected Number of Columns: 27 Found: \d+", finding["message"]
    ), finding["message"]
    # the same file with LF row ends added to it: now its endings are mixed, and the note says so
    path.write_bytes(path.read_bytes() + b"extra,row\n")
    (finding,) = json.loads(run(str(root), "--json").output)["findings"]
    assert re.fullmatch(
        r"cannot be read as CSV: line 2: expected Number of Columns: 27 Found: \d+ "
        r"\(the file mixes CR LF and LF line endings: end every line the same way\)",
        finding["message"],
    ), finding["message"]


def test_a_cross_table_finding_names_the_row_at_fault_when_its_id_is_duplicated(tmp_path):
    """Two rows share an id (a primary-key finding of its own): the deal dated after its source is
    the second, and the finding names that row, not the first row of the id."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    deals = tmp_path / "pkg" / "data" / "deals.csv"
    text = deals.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    assert first.startswith("acme-beta-2025,") and ",2025-10-01,day," in first
    deals.write_text(text + first.replace(",2025-10-01,day,", ",2026-12-01,day,") + "\n", encoding="utf-8")
    findings = [(f.row, f.check) for f in checks.validate(package.load(tmp_path / "pkg")).findings]
    assert (4, "deal_not_dated_after_its_source") in findings
    assert (2, "deal_not_dated_after_its_source") not in findings


@pytest.mark.parametrize("row", ["'line 99'", "99"])
def test_a_plugin_check_s_row_is_not_taken_on_trust(row):
    """Only the built-in checks give the row of a finding; a plugin's `_row` (text, or a whole
    number naming no row) is ignored, and its finding gets the first row of the id it names."""
    check = checks.ExtraCheck(
        "rowful", "", f"SELECT 'deals' AS resource, deal_id AS id, {row} AS _row, 'x' AS message FROM deals",
        plugin="someone")
    report = checks.validate(package.load(CORPUS / "valid-base"), extra_checks=[check])
    assert [(f.file, f.row) for f in report.findings] == [("data/deals.csv", 2), ("data/deals.csv", 3)]


def _valid_base_with(tmp_path, table: str, old: str, new: str) -> Path:
    """A copy of the valid-base corpus case with `old` (found once) replaced by `new` in data/TABLE.csv."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "data" / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path / "pkg"


@pytest.mark.parametrize(("cell", "shown"), [
    ("9" * 59 + "x", "9" * 59 + "x"),  # 60 characters: shown whole
    ("9" * 60 + "x", "9" * 57 + "..."),  # 61: cut to 57 and an ellipsis
    ("9" * 70 + "x", "9" * 57 + "..."),
])
def test_a_long_cell_is_cut_at_60_characters_in_its_message_not_in_its_value(tmp_path, cell, shown):
    root = _valid_base_with(tmp_path, "figures", ",amount,1000000000,,USD,up_to", f",amount,{cell},,USD,up_to")
    assert [(f.line(), f.value) for f in checks.validate(package.load(root)).findings] == [
        (f'data/figures.csv:2: value: "{shown}" is not a number', cell)
    ]


@pytest.mark.parametrize(("table", "field", "constraints", "expected"), [
    # figures.value: 5 (row 3) and 1000000000 (row 2) are the smallest and largest values
    ("figures", "value", {"required": True, "exclusiveMinimum": 5},
     ['data/figures.csv:3: value: "5" is not above the exclusive minimum 5']),
    ("figures", "value", {"required": True, "minimum": 5}, []),
    ("figures", "value", {"required": True, "exclusiveMinimum": 4.5}, []),
    ("figures", "value", {"required": True, "exclusiveMaximum": 1000000000},
     ['data/figures.csv:2: value: "1000000000" is not below the exclusive maximum 1000000000']),
    ("figures", "value", {"required": True, "maximum": 1000000000}, []),
    ("figures", "value", {"required": True, "exclusiveMaximum": 1000000000.5}, []),
    # sources.published: 2025-10-01 (row 2) and 2025-10-05 (row 3)
    ("sources", "published", {"exclusiveMinimum": "2025-10-01"},
     ['data/sources.csv:2: published: "2025-10-01" is not above the exclusive minimum 2025-10-01']),
    ("sources", "published", {"minimum": "2025-10-01"}, []),
    ("sources", "published", {"exclusiveMaximum": "2025-10-05"},
     ['data/sources.csv:3: published: "2025-10-05" is not below the exclusive maximum 2025-10-05']),
    ("sources", "published", {"maximum": "2025-10-05"}, []),
])
def test_a_value_at_an_exclusive_bound_of_the_table_schema_is_refused(tmp_path, table, field, constraints, expected):
    """No schema of the repository has an exclusive bound: a value exactly at one is refused, at an
    inclusive one accepted (as frictionless-py 5 reports them)."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "schemas" / f"{table}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == field)["constraints"] = constraints
    path.write_text(json.dumps(schema), encoding="utf-8")
    assert [f.line() for f in checks.validate(package.load(tmp_path / "pkg")).findings] == expected


@pytest.mark.parametrize(("start", "shown"), [
    ("=", "="), ("+", "+"), ("-", "-"), ("@", "@"), ("\t", "\\t"), ("\r", "\\r"),
    # other characters below 'A' (the quick range test lets them through to the full one) start no formula
    ("#", None), (">", None), ("?", None), ("<", None), (" ", None), ("/", None), ("A", None),
])
def test_a_text_cell_starting_as_a_spreadsheet_formula_is_found(tmp_path, start, shown):
    """A formula starts with =, +, -, @, a tab or a carriage return (even `-5 kept`, a number in
    words to a reader); no other first character is one."""
    cell = start + "5 kept"
    root = _valid_base_with(tmp_path, "parties", "Cloud arm of Acme.", f'"{cell}"')
    found = [(f.line(), f.check, f.value) for f in checks.validate(package.load(root)).findings]
    if shown is None:
        assert found == []
    else:
        line = f'data/parties.csv:3: note: "{shown}5 kept" starts with "{shown}": a spreadsheet would run it as a formula'
        assert found == [(line, "formula-injection", cell)]


PARTY_KINDS = next(f for f in json.loads((ROOT / "schemas" / "parties.schema.json").read_text(encoding="utf-8"))["fields"]
                   if f["name"] == "kind")["constraints"]["enum"]
CONTROL_MESSAGE = "holds the control character \"{}\" (character {}): a terminal would act on it rather than show it"


@pytest.mark.parametrize(("char", "escape"), [
    ("\x00", "\\u0000"), ("\x01", "\\u0001"), ("\x07", "\\u0007"), ("\x08", "\\u0008"), ("\x0b", "\\u000b"),
    ("\x0c", "\\u000c"), ("\x0e", "\\u000e"), ("\x1b", "\\u001b"), ("\x1f", "\\u001f"), ("\x7f", "\\u007f"),
    # C1 (two bytes in UTF-8, C2 80 to C2 9F); U+009B is a one-character CSI
    ("\x80", "\\u0080"), ("\x85", "\\u0085"), ("\x9b", "\\u009b"), ("\x9f", "\\u009f"),
    # allowed: tab and line feed (a quoted cell may span lines), and the characters around C1 that
    # share its first byte (no-break space, guillemets), U+2028, a BOM inside the text
    ("\t", None), ("\n", None), ("\xa0", None), ("\xab", None), ("\xbb", None), ("\xbf", None), ("\u2028", None), ("\ufeff", None),
])
def test_a_text_cell_holding_a_control_character_is_found(tmp_path, char, escape):
    """C0 controls other than tab, line feed and carriage return, DEL and C1 (U+0080-U+009F) in a
    text cell are reported, escaped in the one-line form; a terminal would act on them."""
    cell = f"Cloud arm{char} of Acme."
    root = _valid_base_with(tmp_path, "parties", "Cloud arm of Acme.", f'"{cell}"')
    found = [(f.line(), f.check, f.value) for f in checks.validate(package.load(root)).findings]
    if escape is None:
        assert found == []
    else:
        line = f'data/parties.csv:3: note: "Cloud arm{escape} of Acme." ' + CONTROL_MESSAGE.format(escape, 10)
        assert found == [(line, "control-character", cell)]


def test_terminal_escape_sequences_are_one_finding_naming_their_first_character(tmp_path, capsys):
    """The review's case: a note that sets the window title, clears the screen and turns red. The
    command's output holds none of those characters, only their escapes; exit 1."""
    from cli_runner import run_cli

    cell = "Developer \x1b]0;pwned\x07\x1b[2J\x1b[31mof ChatGPT" + "; recapitalized" * 4
    root = _valid_base_with(tmp_path, "parties", "Cloud arm of Acme.", cell)
    rc, out, err = run_cli(["validate", str(root)], capsys)
    shown = "Developer \\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mof ChatGPT; recapitalized; r..."
    assert (rc, out, err) == (1, (
        "control-character (table-schema): 1\n"
        f'  data/parties.csv:3: note: "{shown}" ' + CONTROL_MESSAGE.format("\\u001b", 11) + "\n"
        "1 finding in 1 check.\n"), "")


def test_a_control_character_past_the_60_characters_shown_is_named_with_its_place(tmp_path):
    cell = "x" * 70 + "\x1b[0m"
    root = _valid_base_with(tmp_path, "parties", "Cloud arm of Acme.", cell)
    assert [f.line() for f in checks.validate(package.load(root)).findings] == [
        f'data/parties.csv:3: note: "{"x" * 57}..." ' + CONTROL_MESSAGE.format("\\u001b", 71)
    ]


@pytest.mark.parametrize(("table", "old", "new", "expected"), [
    # an enum cell: not one of the options, and a control character
    ("parties", "acme,Acme Corp,company,", "acme,Acme Corp,company\x1b,", [
        'data/parties.csv:2: kind: "company\\u001b" is not one of: ' + ", ".join(PARTY_KINDS),
        'data/parties.csv:2: kind: "company\\u001b" ' + CONTROL_MESSAGE.format("\\u001b", 8)]),
    # a key: the foreign key and a cross-table check fail too
    ("deals", ",acme,beta,,src-one,", ",acme,beta\x7f,,src-one,", [
        'data/deals.csv:2: party_b: "beta\\u007f" ' + CONTROL_MESSAGE.format("\\u007f", 5),
        'data/deals.csv:2: party_b: "beta\\u007f" is not a party_id of parties',
        "data/deals.csv:2: party_b: beta\\u007f is not in any flow of the deal's figures"]),
    # a number cell: a type error, no control-character finding (the check is on text cells)
    ("figures", ",1000000000,,USD,", ",1000000000\x1b,,USD,", [
        'data/figures.csv:2: value: "1000000000\\u001b" is not a number']),
    # a ragged file: the padded read checks its text cells too
    ("parties", "Cloud arm of Acme.", "Cloud arm\x9b of Acme.,surplus", [
        'data/parties.csv:3: extra cell at position 9: "surplus"',
        'data/parties.csv:3: note: "Cloud arm\\u009b of Acme." ' + CONTROL_MESSAGE.format("\\u009b", 10)]),
])
def test_control_characters_in_other_cells(tmp_path, table, old, new, expected):
    root = _valid_base_with(tmp_path, table, old, new)
    assert sorted(f.line() for f in checks.validate(package.load(root)).findings) == sorted(expected)


@pytest.mark.parametrize("published", ["0000-10-05", "0000-1-5"])
def test_year_0000_is_no_date(tmp_path, published):
    """strptime("%Y-%m-%d") has no year 0 (frictionless refuses it); DuckDB's cast would read it."""
    root = _valid_base_with(tmp_path, "sources", "Jeanne Martin,2025-10-05,", f"Jeanne Martin,{published},")
    assert [f.line() for f in checks.validate(package.load(root)).findings] == [
        f'data/sources.csv:3: published: "{published}" is not a date (YYYY-MM-DD)'
    ]


def test_a_quoted_field_open_to_the_end_is_found_however_long(tmp_path):
    """Python's csv module stops at 131,072 characters in a field unless told otherwise: a last
    row whose quoted field runs 200,000 characters to the end of the file is still refused."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    with open(tmp_path / "pkg" / "data" / "parties.csv", "a", encoding="utf-8") as fh:
        fh.write('gamma-two,Gamma Two,company,US,,,,"' + "x" * 200_000 + "\n")
    findings = [(f.file, f.check, f.message) for f in checks.validate(package.load(tmp_path / "pkg")).findings]
    assert findings[0] == ("data/parties.csv", "format-error", "cannot be read as CSV: line 6: a quoted field is never closed")


def test_loading_a_package_leaves_duckdb_s_default_connection_alone():
    """Checking that DuckDB can run a schema's patterns uses a connection of its own."""
    import duckdb

    duckdb.execute("SELECT 42")
    package.load(ROOT)
    assert duckdb.fetchall() == [(42,)]


def test_a_pattern_frictionless_cannot_compile_is_refused(tmp_path):
    """frictionless compiles `^pattern$`: a global flag (`(?i)`) is then not at the start."""
    import json
    import shutil

    from aideals.errors import PackageError

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "schemas" / "parties.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "note").setdefault("constraints", {})["pattern"] = "(?i)cloud"
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(PackageError) as exc:
        package.load(tmp_path / "pkg")
    assert str(exc.value).startswith("schemas/parties.schema.json: field 'note': constraints.pattern: not a regular expression (global flags not at the start")


def test_every_built_in_check_gives_the_row_of_its_findings():
    """A finding's row comes from the check itself (the typed tables' `_row`), so that with a
    duplicated id it is the row at fault: each built-in check returns a `_row` column."""
    import shutil

    for check in checks.builtin_checks():
        con, spill = checks.connect()
        try:
            tables = ("parties", "sources", "deals", "figures")
            for t in tables:  # empty typed tables with every column the checks read
                cols = ", ".join(f"NULL::VARCHAR AS {c}" for c in (
                    "party_id", "parent_id", "kind", "source_id", "deal_id", "part_of", "party_a", "party_b",
                    "date_precision", "published_precision", "figure_id", "from_party", "to_party", "flow"))
                con.execute(f"CREATE TABLE {t} AS SELECT NULL::BIGINT AS _row, NULL::DATE AS announced, "
                            f"NULL::DATE AS published, NULL::DATE AS as_of, {cols} WHERE false")
            names = [d[0] for d in con.execute(check.sql).description]
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)
        assert "_row" in names, check.name


def test_a_missing_value_other_than_empty_is_no_value_to_the_row_rules(tmp_path):
    """With `missingValues: ["", "NA"]`, `NA` is null (Table Schema): the rules see no value,
    in the SQL engine and in the jsonschema reference alike."""
    import json
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "schemas" / "deals.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["missingValues"] = ["", "NA"]
    path.write_text(json.dumps(schema), encoding="utf-8")
    deals = tmp_path / "pkg" / "data" / "deals.csv"
    text = deals.read_text(encoding="utf-8")
    assert ",2025-10-05,day," in text
    deals.write_text(text.replace(",2025-10-05,day,", ",NA,,"), encoding="utf-8")  # no date, no precision
    pkg = package.load(tmp_path / "pkg")
    assert [f.line() for f in checks.validate(pkg).findings] == []
    assert rules.check_package(pkg) == []


def test_a_file_whose_first_line_is_blank_is_not_called_empty(tmp_path):
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "data" / "sources.csv"
    path.write_text("\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    findings = [f.line() for f in checks.validate(package.load(tmp_path / "pkg")).findings if f.check == "source-error"]
    assert findings == ["data/sources.csv: no header row: the first line is empty (the header must be the first line)"]


def test_a_missing_cell_under_a_blank_header_label_names_no_field(tmp_path):
    """README: a finding on no field has `field` null; a blank label (a trailing comma on the
    header line) is no field's name."""
    import shutil

    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "data" / "sources.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] += ","
    lines[1] += ",x"
    path.write_text("\n".join(lines), encoding="utf-8")
    findings = [(f.row, f.field, f.check) for f in checks.validate(package.load(tmp_path / "pkg")).findings]
    assert findings == [(None, None, "extra-label"), (3, None, "missing-cell")]


@pytest.mark.parametrize(("args", "named"), [(["README.md"], "PATH"), (["--package", "README.md"], "--package")],
                         ids=["path", "package"])
def test_a_file_other_than_the_descriptor_is_refused_naming_how_it_was_given(capsys, monkeypatch, args, named):
    """`aideals validate README.md` blamed --package, an option the user did not use."""
    from cli_runner import run_cli

    monkeypatch.chdir(ROOT)
    rc, out, err = run_cli(["validate", *args], capsys)
    assert (rc, out, err) == (
        2, "", f"aideals: error: README.md: {named} takes a package directory or its datapackage.json, not another file\n")


def test_a_package_whose_path_is_not_utf8_is_one_error_naming_the_path(tmp_path):
    """DuckDB cannot take a path with bytes that are no UTF-8: the four valid CSVs were each
    reported as "not UTF-8" data; it is the folder's name, said once."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    bad = os.path.join(os.fsencode(tmp_path), b"bad\xff\xfename")
    os.mkdir(bad)
    for name in ("datapackage.json", "data", "schemas"):
        src = ROOT / name
        dst = os.fsdecode(os.path.join(bad, name.encode()))
        shutil.copytree(src, dst) if src.is_dir() else shutil.copy(src, dst)
    proc = subprocess.run([sys.executable, "-m", "aideals", "validate", os.fsdecode(bad)], capture_output=True)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr == (b"aideals: error: " + os.fsencode(tmp_path) + b"/bad\\xff\\xfename: the package's path is not "
                           b"valid UTF-8, which DuckDB cannot open: rename or move the folder\n")


def _descriptor_in_place(root: Path, what: str) -> None:
    """Put a directory, a FIFO or a link to /dev/zero where the package's datapackage.json is."""
    import os

    (root / "datapackage.json").unlink()
    if what == "directory":
        (root / "datapackage.json").mkdir()
    elif what == "fifo":
        os.mkfifo(root / "datapackage.json")
    else:
        (root / "datapackage.json").symlink_to("/dev/zero")


@pytest.mark.parametrize(("what", "kind"), [("directory", "a directory"), ("fifo", "a named pipe (FIFO)"),
                                            ("zero", "a character device (a symbolic link to /dev/zero)")])
def test_a_descriptor_that_is_no_file_is_named_as_what_it_is(capsys, tmp_path, what, kind):
    """Each was `no datapackage.json in this directory` (and the link given itself, `no such package
    directory or descriptor`); a FIFO is never opened (reading it would block)."""
    from cli_runner import run_cli
    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg")
    _descriptor_in_place(root, what)
    rc, out, err = run_cli(["validate", "--package", str(root)], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: {root / 'datapackage.json'}: {kind}, not a file\n")
    if what != "directory":
        rc, out, err = run_cli(["validate", "--package", str(root / "datapackage.json")], capsys)
        assert (rc, out, err) == (2, "", f"aideals: error: {root / 'datapackage.json'}: --package takes a package "
                                         f"directory or its datapackage.json, not {kind}\n")


def test_a_package_path_that_is_a_dangling_link_says_so(capsys, tmp_path):
    from cli_runner import run_cli

    (tmp_path / "pkg").symlink_to(tmp_path / "gone")
    rc, out, err = run_cli(["validate", str(tmp_path / "pkg")], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: {tmp_path / 'pkg'}: a symbolic link to {tmp_path / 'gone'}, "
                                     "which does not exist\n")


@pytest.mark.parametrize(("what", "kind"), [("directory", "a directory"), ("fifo", "a named pipe (FIFO)")])
def test_a_resource_file_that_is_no_file_is_a_finding_saying_what_it_is(capsys, tmp_path, what, kind):
    """It was `data/deals.csv: file not found`."""
    import os

    from cli_runner import run_cli
    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg")
    (root / "data" / "deals.csv").unlink()
    if what == "directory":
        (root / "data" / "deals.csv").mkdir()
    else:
        os.mkfifo(root / "data" / "deals.csv")
    rc, out, err = run_cli(["validate", "--package", str(root)], capsys)
    assert (rc, err) == (2, "")
    assert out == f"scheme-error (package): 1\n  data/deals.csv: {kind}, not a file\n1 finding in 1 check.\n"
    rc, out, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "dist")], capsys)
    assert (rc, out) == (2, "")
    assert err == ("aideals: error: the package is invalid (1 finding), nothing was built; run `aideals validate` for "
                   f"the full report:\n  data/deals.csv: {kind}, not a file\n")
    assert not (tmp_path / "dist").exists()


def test_a_schema_file_that_is_a_fifo_is_named_as_such(capsys, tmp_path):
    import os

    from cli_runner import run_cli
    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg")
    (root / "schemas" / "deals.schema.json").unlink()
    os.mkfifo(root / "schemas" / "deals.schema.json")
    rc, out, err = run_cli(["validate", "--package", str(root)], capsys)
    assert (rc, out, err) == (2, "", "aideals: error: datapackage.json: resources[2] (deals): schema "
                                     "'schemas/deals.schema.json': a named pipe (FIFO), not a file\n")


@pytest.mark.parametrize("args", [["validate", ""], ["validate", "--package", ""], ["build", "--out", ""],
                                  ["build", "--plugins-dir", ""]])
def test_an_empty_path_is_refused_not_read_as_the_current_directory(capsys, monkeypatch, args):
    from cli_runner import run_cli

    monkeypatch.chdir(CORPUS / "valid-base")
    name = {"validate": "'[PATH]'"}.get(args[0]) if len(args) == 2 else repr(args[1])
    rc, out, err = run_cli(args, capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: Invalid value for {name}: an empty path (write . for the "
                                     f"current directory) (see 'aideals {args[0]} --help')\n")


def test_a_datapackage_json_that_is_a_directory_is_named_when_the_package_is_found_from_here(capsys, tmp_path,
                                                                                             monkeypatch):
    """Without --package, a datapackage.json that is a directory (or a FIFO) was passed over and
    the search went on upwards, to a package the user did not mean: it is named, exit 2."""
    from cli_runner import run_cli
    from fixture_packages import make_package

    outer = make_package(tmp_path / "outer")
    inner = outer / "inner"
    (inner / "datapackage.json").mkdir(parents=True)
    monkeypatch.chdir(inner)
    rc, out, err = run_cli(["validate"], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: {inner / 'datapackage.json'}: a directory, not a file (use "
                                     "--package)\n")
