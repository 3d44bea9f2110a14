"""`aideals query`: read-only, sandboxed SQL on a release, in four output formats."""

from __future__ import annotations

import json
import os
import re

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from cli_runner import run_cli
from conftest import AIDEALS_WITHOUT_INSTALLED_PLUGINS, ROOT
from fixture_packages import make_package

from aideals import build, package
from aideals import query as querying

FLOWS_SQL = (
    "SELECT from_party, to_party, flow, measure, value_low, value_high, n_sources, figure_ids"
    " FROM flows ORDER BY value_high DESC, from_party"
)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A package and its built release (shared: queries cannot change it)."""
    base = tmp_path_factory.mktemp("query")
    pkg = package.load(make_package(base / "pkg"))
    build.build(pkg, pkg.root / "dist")
    return pkg.root


def q(capsys, release, sql, *args):
    return run_cli(["query", sql, "--package", str(release), *args], capsys)


def test_table_output_is_aligned_with_numbers_right_aligned(capsys, release):
    rc, out, err = q(capsys, release, FLOWS_SQL)
    assert (rc, err) == (0, "")
    assert out == (
        "from_party  to_party  flow   measure  value_low  value_high  n_sources  figure_ids\n"
        "----------  --------  -----  -------  ---------  ----------  ---------  ----------------------\n"
        "beta        alpha     chips  amount         250         300          1  [chips-cost-one]\n"
        "alpha       beta      cash   amount         100         100          2  [cash-one, cash-two]\n"
        "beta        alpha     chips  power            1           1          2  [chips-one, chips-two]\n"
        "(3 rows)\n"
    )


def test_table_output_shows_null_and_booleans(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT NULL AS nothing, true AS yes, 1.5 AS x, DATE '2025-01-02' AS d")
    assert out == (
        "nothing  yes     x  d\n"
        "-------  ----  ---  ----------\n"
        "NULL     true  1.5  2025-01-02\n"
        "(1 row)\n"
    )


def test_csv_output(capsys, release):
    rc, out, _ = q(capsys, release, FLOWS_SQL, "--format", "csv")
    assert (rc, out) == (
        0,
        "from_party,to_party,flow,measure,value_low,value_high,n_sources,figure_ids\n"
        "beta,alpha,chips,amount,250,300,1,[chips-cost-one]\n"
        'alpha,beta,cash,amount,100,100,2,"[cash-one, cash-two]"\n'
        'beta,alpha,chips,power,1,1,2,"[chips-one, chips-two]"\n',
    )


def test_csv_output_quotes_commas_and_leaves_null_empty(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT party_id, ticker, note FROM parties WHERE party_id = 'gamma'", "--format", "csv")
    assert out == "party_id,ticker,note\ngamma,,\"Alpha's subsidiary, for party-level facts.\"\n"


def test_json_output(capsys, release):
    rc, out, _ = q(
        capsys, release, "SELECT figure_id, value, value_high, period_start FROM figures WHERE figure_id LIKE 'chips-%' ORDER BY 1",
        "--format", "json",
    )  # fmt: skip
    assert rc == 0
    assert json.loads(out) == [
        {"figure_id": "chips-cost-one", "value": 250, "value_high": 300, "period_start": None},
        {"figure_id": "chips-one", "value": 1, "value_high": None, "period_start": "2026-01-01"},
        {"figure_id": "chips-two", "value": 1, "value_high": None, "period_start": "2026-07-01"},
    ]
    assert '"value": 250,' in out  # integral doubles print as integers, not 250.0
    # ... but only below 2**53, where every integer is a double: a larger one keeps its float form
    # (1e20 is not printed as 100000000000000000000, which a JSON reader may round)
    rc, out, _ = q(
        capsys, release, "SELECT 1e20 AS big, -1e20 AS neg, 9007199254740991.0::DOUBLE AS below,"
        " 9007199254740992.0::DOUBLE AS at_limit", "--format", "json",
    )  # fmt: skip
    assert (rc, out) == (0, (
        "[\n"
        "  {\n"
        '    "big": 1e+20,\n'
        '    "neg": -1e+20,\n'
        '    "below": 9007199254740991,\n'
        '    "at_limit": 9007199254740992.0\n'
        "  }\n"
        "]\n"
    ))


def test_markdown_output(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT party_id, name, ticker, 2 AS n FROM parties ORDER BY 1 LIMIT 2", "--format", "markdown")
    assert out == (
        "| party_id | name | ticker | n |\n"
        "|---|---|---|---:|\n"
        "| alpha | Alpha |  | 2 |\n"
        "| beta | Beta |  | 2 |\n"
    )


def test_markdown_escapes_pipes_and_backslashes_and_joins_lines(capsys, release):
    """A `|` in a cell or a column name would end the cell: it is written `\\|`; a backslash is
    doubled (so that a cell ending in one cannot escape the next `|`); a line break is a space."""
    assert querying.render(querying.QueryResult(["x"], [("a|b",)]), "markdown") == "| x |\n|---|\n| a\\|b |"
    rc, out, _ = q(capsys, release, """SELECT 'a|b' AS "x|y", 'c\\' AS z, 'l1' || chr(10) || 'l2' AS w""",
                   "--format", "markdown")
    assert (rc, out) == (0, (
        "| x\\|y | z | w |\n"
        "|---|---|---|\n"
        "| a\\|b | c\\\\ | l1 l2 |\n"
    ))


def test_empty_result_keeps_the_header(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT party_id FROM parties WHERE false")
    assert out == "party_id\n--------\n(0 rows)\n"
    rc, out, _ = q(capsys, release, "SELECT party_id FROM parties WHERE false", "--format", "json")
    assert out == "[]\n"


@pytest.mark.parametrize(("sql", "n"), [("SELECT 1 AS a; SELECT 2 AS b", 2), ("SELECT 1; SELECT 2; PRAGMA version", 3)])
def test_several_statements_are_refused(capsys, release, sql, n):
    """Only the last result was printed, the others dropped without a word."""
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, out, err) == (
        2, "", f"aideals: error: query: {n} statements given; aideals query runs one, and prints its result "
        "(run each with its own aideals query, or a script in the duckdb shell)\n")


@pytest.mark.parametrize("sql", ["SELECT 2 AS b;", "SELECT 2 AS b; -- a comment", " ; SELECT 2 AS b;;"])
def test_one_statement_with_semicolons_and_comments_runs(capsys, release, sql):
    assert q(capsys, release, sql, "--format", "csv") == (0, "b\n2\n", "")


def test_unknown_format_is_refused(capsys, release):
    rc, _, err = q(capsys, release, "SELECT 1", "--format", "xml")
    assert rc == 2
    assert err == (
        "aideals: error: Invalid value for '--format': 'xml' is not one of 'table', 'csv', 'json', 'markdown'."
        " (see 'aideals query --help')\n"
    )


# Read-only and sandboxed --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, kind",
    [
        ("INSERT INTO parties (party_id, name, kind, country) VALUES ('x', 'X', 'company', 'US')", "INSERT"),
        ("DELETE FROM figures", "DELETE"),
        ("UPDATE figures SET value = 0", "UPDATE"),
        ("DROP VIEW flows", "DROP"),
        ("CREATE TEMP TABLE scratch AS SELECT 1", "CREATE"),
        ("SELECT 1; DELETE FROM figures", "DELETE"),
        ("SET threads = 1", "SET"),
    ],
)
def test_writes_are_refused_with_one_line(capsys, release, sql, kind):
    rc, out, err = q(capsys, release, sql)
    assert (rc, out) == (2, "")
    assert err == (
        f"aideals: error: query: refused: {kind} statements are not allowed, the release is read-only "
        "(use SELECT, or build a new release to change the data)\n"
    )


def test_a_refused_write_changes_nothing(capsys, release):
    q(capsys, release, "SELECT 1; DELETE FROM figures")
    rc, out, _ = q(capsys, release, "SELECT count(*) AS n FROM figures", "--format", "csv")
    assert out == "n\n10\n"


def test_the_release_is_opened_read_only(release):
    con = querying.open_release(release / "dist" / "aideals.duckdb")
    try:
        with pytest.raises(Exception, match='attached in read-only mode'):
            con.execute("DELETE FROM figures")
    finally:
        con.close()


@pytest.mark.parametrize(
    "sql",
    [
        "COPY figures TO '{tmp}/stolen.csv'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        "INSTALL httpfs",
    ],
)
def test_file_and_network_access_is_refused(capsys, release, tmp_path, sql):
    rc, out, err = q(capsys, release, sql.format(tmp=tmp_path))
    assert (rc, out) == (2, "")
    assert err.startswith("aideals: error: query: ")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY figures TO '{tmp}/stolen.csv'",
        "ATTACH '{tmp}/other.duckdb' AS other",
    ],
)
def test_the_connection_itself_refuses_file_access_and_stays_locked(release, tmp_path, sql):
    """Below the statement filter, the sandbox alone refuses: defence in depth."""
    con = querying.open_release(release / "dist" / "aideals.duckdb")
    try:
        with pytest.raises(duckdb.PermissionException, match="file system operations are disabled by configuration"):
            con.execute(sql.format(tmp=tmp_path))
        with pytest.raises(duckdb.Error, match="the configuration has been locked"):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    assert list(tmp_path.iterdir()) == []


REFUSED = (
    "aideals: error: query: refused: {} statements are not allowed, the release is read-only "
    "(use SELECT, or build a new release to change the data)\n"
)
NO_FILES = 'aideals: error: query: Permission Error: Cannot access file "{}" - file system operations are disabled by configuration\n'
ESCAPES = [
    ("COPY figures TO '{tmp}/stolen.csv'", REFUSED.format("COPY")),
    ("COPY (SELECT * FROM parties) TO '{tmp}/stolen.parquet' (FORMAT parquet)", REFUSED.format("COPY")),
    ("EXPORT DATABASE '{tmp}/export'", REFUSED.format("EXPORT")),
    ("ATTACH '{tmp}/other.duckdb' AS other", REFUSED.format("ATTACH")),
    ("DETACH aideals", REFUSED.format("DETACH")),
    ("SELECT * FROM read_csv('/etc/passwd')", NO_FILES.format("/etc/passwd")),
    ("SELECT * FROM read_text('/etc/hostname')", NO_FILES.format("/etc/hostname")),
    ("SELECT * FROM '{tmp}/x.parquet'", NO_FILES.format("{tmp}/x.parquet")),
    ("EXPLAIN COPY figures TO '{tmp}/stolen.csv'", NO_FILES.format("{tmp}/stolen.csv")),
    ("INSTALL httpfs", REFUSED.format("INSTALL")),
    ("FORCE INSTALL httpfs", REFUSED.format("FORCE INSTALL")),
    ("LOAD httpfs", REFUSED.format("LOAD")),
    ("SET enable_external_access = true", REFUSED.format("SET")),
    ("SET GLOBAL lock_configuration = false", REFUSED.format("SET")),
    ("RESET enable_external_access", REFUSED.format("RESET")),
    ("PRAGMA enable_external_access = true", REFUSED.format("PRAGMA setting")),
    ("SELECT 1; SET enable_external_access = true", REFUSED.format("SET")),
    ("USE memory", REFUSED.format("USE")),
]


@pytest.mark.parametrize("sql, error", ESCAPES)
def test_escaping_the_release_is_refused_with_one_exact_line(capsys, release, tmp_path, sql, error):
    rc, out, err = q(capsys, release, sql.format(tmp=tmp_path))
    assert (rc, out, err) == (2, "", error.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def unbuilt(tmp_path_factory):
    """A valid package without a release: `aideals query` loads it in memory."""
    return make_package(tmp_path_factory.mktemp("unbuilt") / "pkg")


@pytest.mark.parametrize("sql, error", [e for e in ESCAPES if e[0].split()[0] in ("COPY", "ATTACH", "INSTALL", "SET")]
                         + [ESCAPES[5]])
def test_escaping_the_in_memory_database_is_refused_too(capsys, unbuilt, tmp_path, monkeypatch, sql, error):
    monkeypatch.chdir(unbuilt)
    rc, out, err = run_cli(["query", sql.format(tmp=tmp_path)], capsys)
    assert (rc, out) == (2, "")
    assert err.splitlines(keepends=True)[1:] == [error.format(tmp=tmp_path)]  # after the "no release" notice
    assert list(tmp_path.iterdir()) == []


def test_the_sandbox_settings_cannot_be_read_back_as_changed(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT name, value FROM duckdb_settings() "
                   "WHERE name IN ('enable_external_access', 'lock_configuration') ORDER BY name", "--format", "csv")
    assert (rc, out) == (0, "name,value\nenable_external_access,false\nlock_configuration,true\n")


def test_sql_errors_are_one_line(capsys, release):
    rc, out, err = q(capsys, release, "SELECT * FROM flowz")
    assert (rc, out) == (2, "")
    assert err == 'aideals: error: query: Catalog Error: Table with name flowz does not exist! Did you mean "flows"?\n'
    rc, out, err = q(capsys, release, "SELEC 1")
    assert err == 'aideals: error: query: Parser Error: syntax error at or near "SELEC"\n'


def test_empty_sql_is_refused(capsys, release):
    rc, _, err = q(capsys, release, "  ")
    assert (rc, err) == (2, "aideals: error: query: no SQL statement given\n")


# Where the data comes from ------------------------------------------------------------------


def test_query_with_an_explicit_db(capsys, release, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no package here: --db is enough
    rc, out, err = run_cli(["query", "SELECT count(*) AS n FROM deals", "--db", str(release / "dist/aideals.duckdb"), "--format", "csv"], capsys)
    assert (rc, out, err) == (0, "n\n1\n", "")


def test_query_with_a_missing_db_is_an_error(capsys, tmp_path):
    rc, out, err = run_cli(["query", "SELECT 1", "--db", str(tmp_path / "nope.duckdb")], capsys)
    assert (rc, out) == (2, "")
    assert err == f"aideals: error: {tmp_path / 'nope.duckdb'}: no such database (run `aideals build` first)\n"


NOT_DUCKDB = {"sqlite": "deals.db", "csv": "deals.csv", "md-name": "md:deals", "empty": "empty.duckdb"}


@pytest.mark.parametrize("kind", NOT_DUCKDB)
def test_a_file_that_is_not_a_duckdb_database_is_one_line_and_no_extension_is_fetched(
    capsys, release, tmp_path, monkeypatch, kind
):
    """`query --db`, `report --db` and `metrics run --database` on a SQLite file or an `md:` name
    made DuckDB download an extension (sqlite_scanner, motherduck) into ~/.duckdb; on a CSV file it
    said "Cannot launch in-memory database in read-only mode!". Each is refused, before DuckDB
    opens it, in the same line, and nothing is written."""
    import sqlite3
    import subprocess
    import sys

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    name = NOT_DUCKDB[kind]
    if kind == "sqlite":
        with sqlite3.connect(name) as lite:
            lite.execute("CREATE TABLE deals (deal_id TEXT)")
        lite.close()
    else:
        (work / name).write_text("" if kind == "empty" else "deal_id,title\nx,y\n", encoding="utf-8")
    for args in (
        ["query", "SELECT 1", "--db", name],
        ["report", "--db", name, "--out", "r.html"],
        ["metrics", "run", "--package", str(release), "--plugins-dir", str(ROOT / "plugins"), "--database", name],
    ):
        assert run_cli(args, capsys) == (2, "", f"aideals: error: {name}: not a DuckDB database (a release's aideals.duckdb, as `aideals build` writes, is one)\n"), args
    assert sorted(p.name for p in work.iterdir()) == [name]
    # in a process of its own, as DuckDB reads HOME once: no ~/.duckdb/extensions is made
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run([sys.executable, "-m", "aideals", "query", "SELECT 1", "--db", name], cwd=work,
                          capture_output=True, text=True, env={**os.environ, "HOME": str(home)})
    assert (proc.returncode, proc.stderr) == (2, f"aideals: error: {name}: not a DuckDB database (a release's aideals.duckdb, as `aideals build` writes, is one)\n")
    assert list(home.iterdir()) == []


def test_a_fifo_given_as_the_database_is_refused_not_waited_on(release, tmp_path):
    """`metrics run --database` takes any existing path: DuckDB (and a read of its first bytes)
    waited forever on a named pipe."""
    import subprocess

    fifo = tmp_path / "pipe.duckdb"
    os.mkfifo(fifo)
    proc = subprocess.run([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "metrics", "run", "--package", str(release),
                           "--plugins-dir", str(ROOT / "plugins"), "--database", str(fifo)],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"aideals: error: {fifo}: not a DuckDB database (a release's aideals.duckdb, as `aideals build` writes, is one)\n")


def test_a_release_database_whose_name_reads_as_another_database_s_is_opened_as_a_file(
    capsys, release, tmp_path, monkeypatch
):
    """DuckDB reads `md:NAME` as a MotherDuck database (and tried to download its extension):
    a release copied to a file of that name is queried as the file it is."""
    import shutil

    shutil.copyfile(release / "dist" / "aideals.duckdb", tmp_path / "md:release")
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(["query", "SELECT count(*) AS n FROM deals", "--db", "md:release", "--format", "csv"], capsys)
    assert (rc, out, err) == (0, "n\n1\n", "")


def test_the_release_is_opened_with_extensions_neither_installed_nor_loaded(release):
    con = querying.open_release(release / "dist" / "aideals.duckdb")
    try:
        settings = con.execute(
            "SELECT current_setting('enable_external_access'), current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions'), current_setting('lock_configuration')"
        ).fetchone()
    finally:
        con.close()
    assert settings == (False, False, False, True)


def test_query_without_a_build_loads_the_package_in_memory(capsys, tmp_path, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.chdir(root)
    rc, out, err = run_cli(["query", FLOWS_SQL, "--format", "csv"], capsys)
    assert rc == 0
    assert err == (
        f"aideals: no release at {root / 'dist' / 'aideals.duckdb'}: loading the package in memory "
        "(`aideals build` makes this faster)\n"
    )
    assert out.splitlines()[1] == "beta,alpha,chips,amount,250,300,1,[chips-cost-one]"
    assert not (root / "dist").exists()


def test_query_without_a_build_is_read_only_and_sandboxed_too(capsys, tmp_path, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.chdir(root)
    rc, _, err = run_cli(["query", "DELETE FROM figures"], capsys)
    assert rc == 2 and "refused: DELETE statements are not allowed" in err
    rc, _, err = run_cli(["query", "SELECT * FROM read_csv('data/figures.csv')"], capsys)
    assert rc == 2 and "Permission Error: Cannot access file" in err


def test_query_without_a_build_refuses_an_invalid_package(capsys, tmp_path, monkeypatch):
    root = make_package(tmp_path / "pkg")
    figures = root / "data" / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace(",250,300,USD,range,", ",250,,USD,range,"), encoding="utf-8")
    monkeypatch.chdir(root)
    rc, out, err = run_cli(["query", "SELECT 1"], capsys)
    assert (rc, out) == (1, "")
    assert err.splitlines()[1:] == [
        "aideals: error: the package is invalid (1 finding), the query did not run; run `aideals validate` for the full report:",
        "  data/figures.csv:6: value_high: qualifier=range needs a value_high",
    ]


def test_query_help_has_an_example(capsys):
    rc, out, _ = run_cli(["query", "--help"], capsys)
    assert rc == 0
    assert 'aideals query "SELECT' in out
    for option in ("--db", "--format", "--package"):
        assert option in out
    assert "and so are several statements (separated by `;`: run each with its own aideals query)" in " ".join(out.split())


def test_the_build_and_query_commands_do_not_import_heavy_modules_for_help():
    import subprocess
    import sys

    code = (
        "import sys, aideals.commands.build, aideals.commands.query; "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'frictionless', 'jsonschema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_query_warns_when_the_data_changed_after_the_build(capsys, tmp_path, monkeypatch):
    root = make_package(tmp_path / "pkg")
    build.build(package.load(root), root / "dist")
    monkeypatch.chdir(root)
    rc, _, err = run_cli(["query", "SELECT 1"], capsys)
    assert (rc, err) == (0, "")
    later = (root / "dist" / "datapackage.json").stat().st_mtime + 10
    for name in ("data/figures.csv", "schemas/deals.schema.json"):  # touched, not changed: no warning
        os.utime(root / name, (later, later))
    rc, _, err = run_cli(["query", "SELECT 1"], capsys)
    assert (rc, err) == (0, "")
    with open(root / "data" / "figures.csv", "ab") as fh:
        fh.write(b"\n")  # a blank line at the end: the same rows, other bytes
    schema = root / "schemas" / "deals.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    for name in ("data/figures.csv", "schemas/deals.schema.json"):
        os.utime(root / name, (later, later))
    rc, out, err = run_cli(["query", "SELECT count(*) AS n FROM figures", "--format", "csv"], capsys)
    assert (rc, out) == (0, "n\n10\n")
    assert err == (
        f"aideals: warning: schemas/deals.schema.json, data/figures.csv changed after {root / 'dist'} was built; "
        "run `aideals build` to query the current data\n"
    )


def test_a_changed_file_is_reported_whatever_its_modification_time(capsys, tmp_path, monkeypatch):
    """A copy of the repository gives every file a new time: a data file changed before the build
    of an older dist/ is still compared by its hash, and reported."""
    root = make_package(tmp_path / "pkg")
    build.build(package.load(root), root / "dist")
    with open(root / "data" / "figures.csv", "ab") as fh:
        fh.write(b"\n")
    earlier = (root / "dist" / "datapackage.json").stat().st_mtime - 100
    os.utime(root / "data" / "figures.csv", (earlier, earlier))
    monkeypatch.chdir(root)
    rc, _, err = run_cli(["query", "SELECT 1"], capsys)
    assert rc == 0
    assert err == (f"aideals: warning: data/figures.csv changed after {root / 'dist'} was built; "
                   "run `aideals build` to query the current data\n")


def test_json_keeps_both_columns_of_one_name_and_writes_any_value(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT 1 AS a, 2 AS a, INTERVAL 1 DAY AS i, '2b0d8a6e-3c1e-4f7a-9a8e-2d7c0f1b5e4d'::UUID AS u, "
                   "'a\\xAA'::BLOB AS b", "--format", "json")
    assert rc == 0
    assert json.loads(out) == [{"a": 1, "a_2": 2, "i": "1 day", "u": "2b0d8a6e-3c1e-4f7a-9a8e-2d7c0f1b5e4d", "b": "61aa"}]
    rc, out, _ = q(capsys, release, "SELECT 1 AS a, 2 AS a, 3 AS a_2", "--format", "json")  # a real a_2 keeps its name
    assert json.loads(out) == [{"a": 1, "a_3": 2, "a_2": 3}]


@pytest.mark.parametrize("sql, kind", [
    ("EXPLAIN ANALYZE DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1", "EXPLAIN ANALYZE CREATE"),
    ("explain analyse delete from figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN (ANALYZE) DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN (FORMAT json, ANALYZE) DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN (ANALYZE false) DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("/* a note */ EXPLAIN /* x */ ANALYZE DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN ANALYZE WITH x AS (SELECT 1) DELETE FROM figures", "EXPLAIN ANALYZE DELETE"),
    ("EXPLAIN ANALYZE WITH x AS (SELECT 1) INSERT INTO parties SELECT * FROM parties", "EXPLAIN ANALYZE INSERT"),
])
def test_explain_analyze_of_a_write_is_refused(capsys, release, sql, kind):
    """EXPLAIN ANALYZE runs what it explains."""
    rc, out, err = q(capsys, release, sql)
    assert (rc, out) == (2, "")
    assert err == (f"aideals: error: query: refused: {kind} statements are not allowed, the release is read-only "
                   "(use SELECT, or build a new release to change the data)\n")
    for read in ("EXPLAIN ANALYZE SELECT count(*) FROM figures", "EXPLAIN ANALYZE CALL pragma_version()",
                 "EXPLAIN ANALYZE FROM figures"):
        rc, out, _ = q(capsys, release, read)
        assert rc == 0 and "explain_value" in out, read
    assert q(capsys, release, "SELECT count(*) AS n FROM figures", "--format", "csv")[1] == "n\n10\n"


def test_wide_characters_take_two_columns_in_the_table(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT '삼성전자' AS name, 1 AS n UNION ALL SELECT 'ab', 22 ORDER BY n")
    assert rc == 0
    assert out.splitlines()[:4] == ["name       n", "--------  --", "삼성전자   1", "ab        22"]


@pytest.mark.parametrize("text, width", [
    ("삼성전자", 8), ("ab", 2), ("\u1109\u1161\u11b7", 2),  # 삼 written as three jamo
    ("x\u200by", 2), ("हं", 1), ("e\u0301", 1),  # a zero-width space, an anusvara, a combining accent
])
def test_display_width_of_text(text, width):
    assert querying._width(text) == width


@pytest.mark.parametrize("name", ["data/deals.csv", "datapackage.json", "empty.duckdb"])
def test_db_that_is_not_a_duckdb_database_says_so(capsys, release, tmp_path, name):
    """DuckDB's own words for a CSV opened read-only are "Cannot launch in-memory database in
    read-only mode!": the error says the file is not a DuckDB database."""
    path = release / name
    if name == "empty.duckdb":
        path = tmp_path / name
        path.write_bytes(b"")
    rc, out, err = run_cli(["query", "SELECT 1", "--db", str(path)], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: {path}: not a DuckDB database "
                                     "(a release's aideals.duckdb, as `aideals build` writes, is one)\n")


# Output: streamed, as the data holds it ------------------------------------------------------

HOSTILE = "'a' || chr(27) || '[2J' || chr(27) || '[31mred' || chr(27) || ']0;pwned' || chr(7) || chr(9) || 'b' || chr(155) || 'c'"


def test_csv_and_json_write_escape_sequences_as_the_data_holds_them(capsys, release):
    """click.echo stripped the CSI sequences (`ESC[2J`, `ESC[31m`) of a value when the output was
    not a terminal, and kept the OSC one: `--format csv > file` exported another value."""
    rc, out, err = q(capsys, release, f"SELECT {HOSTILE} AS s", "--format", "csv")
    assert (rc, out, err) == (0, "s\na\x1b[2J\x1b[31mred\x1b]0;pwned\x07\tb\x9bc\n", "")
    rc, out, err = q(capsys, release, f"SELECT {HOSTILE} AS s", "--format", "json")
    assert (rc, err) == (0, "")
    assert out == '[\n  {\n    "s": "a\\u001b[2J\\u001b[31mred\\u001b]0;pwned\\u0007\\tb\\u009bc"\n  }\n]\n'
    assert json.loads(out) == [{"s": "a\x1b[2J\x1b[31mred\x1b]0;pwned\x07\tb\x9bc"}]


def test_table_and_markdown_show_control_characters_escaped(capsys, release):
    """A terminal obeys the ESC sequences of a value (clear the screen, set the window title ...):
    the formats meant to be read show them."""
    rc, out, err = q(capsys, release, f"SELECT {HOSTILE} AS s, 1 AS n")
    shown = "a\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07\\tb\\x9bc"
    assert (rc, err) == (0, "")
    assert out == f"s{' ' * (len(shown) - 1)}  n\n{'-' * len(shown)}  -\n{shown}  1\n(1 row)\n"
    rc, out, err = q(capsys, release, f'SELECT {HOSTILE} AS "x{chr(27)}y"', "--format", "markdown")
    assert (rc, out, err) == (0, f"| x\\x1by |\n|---|\n| {shown} |\n", "")


def test_the_table_shows_bidirectional_controls_escaped(capsys, release):
    """U+202E (right-to-left override) and its kin reorder what a terminal shows: `abc` then
    U+202E then `fed` reads as `abcdef`. The table shows them escaped; csv to a pipe keeps them."""
    rc, out, err = q(capsys, release, "SELECT 'abc' || chr(8238) || 'fed' || chr(8294) || 'x' AS s")
    assert (rc, out, err) == (0, "s\n" + "-" * 19 + "\nabc\\u202efed\\u2066x\n(1 row)\n", "")
    rc, out, err = q(capsys, release, "SELECT 'abc' || chr(8238) || 'fed' AS s", "--format", "csv")
    assert (rc, out, err) == (0, "s\nabc\u202efed\n", "")


def test_csv_to_a_terminal_shows_control_characters_escaped(release):
    """On a terminal csv is read, not saved: its values' control characters are escaped (not a
    line break within a quoted value)."""
    import pty
    import subprocess

    leader, follower = pty.openpty()
    proc = subprocess.Popen([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "query", f"SELECT {HOSTILE} || chr(10) || 'z' AS s",
                             "--format", "csv", "--package", str(release)],
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    assert (proc.wait(timeout=60), proc.stderr.read()) == (0, b"")
    assert received == b's\r\n"a\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07\\tb\\x9bc\r\nz"\r\n'


def test_a_csv_line_break_and_the_table_s_space_are_kept(capsys, release):
    rc, out, _ = q(capsys, release, "SELECT 'l1' || chr(10) || 'l2' AS w, 'l1' || chr(13) || chr(10) || 'l2' AS crlf",
                   "--format", "csv")
    assert (rc, out) == (0, 'w,crlf\n"l1\nl2","l1\r\nl2"\n')
    rc, out, _ = q(capsys, release, "SELECT 'l1' || chr(10) || 'l2' AS w, 'l1' || chr(13) || chr(10) || 'l2' AS crlf")
    assert (rc, out) == (0, "w      crlf\n-----  -------\nl1 l2  l1\\r l2\n(1 row)\n")


def _rows_then_failure(n):
    """Rows 0 .. n-1, then an error: what has been formatted before it shows what is streamed."""
    for i in range(n):
        yield (i, "x" * i)
    raise AssertionError("read too far")


@pytest.mark.parametrize("fmt, first", [
    ("csv", ["n,s\n0,\n1,x"]),
    ("json", ["[", '  {\n    "n": 0,\n    "s": ""\n  },', '  {\n    "n": 1,\n    "s": "x"\n  },']),
])
def test_csv_and_json_are_written_as_the_rows_are_read(monkeypatch, fmt, first):
    """The whole result was read (fetchall) and formatted before the first line was printed: 3
    million rows took 940 MB; 30 million, 10 GB. Now at most a batch of rows is held."""
    monkeypatch.setattr(querying, "FETCH_ROWS", 2)
    lines = querying.lines(querying.Rows(["n", "s"], _rows_then_failure(3)), fmt)
    assert [next(lines) for _ in first] == first


def test_the_table_is_sized_on_its_first_rows_then_streamed(monkeypatch):
    """The table and markdown formats size and align their columns on the first SAMPLE_ROWS rows;
    a longer value further down widens its own line only."""
    monkeypatch.setattr(querying, "SAMPLE_ROWS", 2)
    lines = querying.lines(querying.Rows(["n", "s"], _rows_then_failure(4)), "table")
    assert [next(lines) for _ in range(5)] == ["n  s", "-  -", "0", "1  x", "2  xx"]
    lines = querying.lines(querying.Rows(["n", "s"], iter([(1, "x"), (22, "y"), (333, "zzz")])), "table")
    assert list(lines) == [" n  s", "--  -", " 1  x", "22  y", "333  zzz", "(3 rows)"]
    lines = querying.lines(querying.Rows(["n", "s"], iter([(1, "x"), (None, "y"), ("a|b", "z")])), "markdown")
    assert list(lines) == ["| n | s |", "|---:|---|", "| 1 | x |", "|  | y |", "| a\\|b | z |"]


def test_rows_before_an_error_further_down_are_printed_then_the_error(capsys, release, monkeypatch):
    """With one thread DuckDB reaches the failing row only as the rows before it are read. With two,
    a second thread can reach it first and the error comes before any row (2 runs in 200 on this
    machine, once in CI), so the test runs on one thread."""
    monkeypatch.setenv("AIDEALS_THREADS", "1")
    rc, out, err = q(capsys, release, "SELECT CASE WHEN i < 1000000 THEN i ELSE error('boom') END AS x FROM range(2000000) t(i)",
                     "--format", "csv")
    assert (rc, err) == (2, "aideals: error: query: Invalid Input Error: boom\n")
    printed = out.splitlines()
    assert printed[0] == "x" and len(printed) > 2
    assert printed[1:] == [str(i) for i in range(len(printed) - 1)]


def test_decimals_are_printed_exactly(capsys, release):
    """A DECIMAL went through a float: 123456789012345678901234567890.123 printed as
    1.2345678901234568e+29."""
    sql = ("SELECT 123456789012345678901234567890.123::DECIMAL(38,3) AS d, 1.50::DECIMAL(4,2) AS trailing, "
           "13.000::DECIMAL(6,3) AS whole, 0.00001 AS small, [2.25::DECIMAL(4,2)] AS l, {'a': -0.5::DECIMAL(2,1)} AS st")
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, out, err) == (0, 'd,trailing,whole,small,l,st\n123456789012345678901234567890.123,1.5,13,0.00001,[2.25],"{""a"": -0.5}"\n', "")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    assert out == ('[\n  {\n    "d": 123456789012345678901234567890.123,\n    "trailing": 1.5,\n    "whole": 13,\n'
                   '    "small": 0.00001,\n    "l": [\n      2.25\n    ],\n    "st": {\n      "a": -0.5\n    }\n  }\n]\n')
    import decimal

    assert json.loads(out, parse_float=decimal.Decimal)[0]["d"] == decimal.Decimal("123456789012345678901234567890.123")
    rc, out, _ = q(capsys, release, sql)
    assert out.splitlines()[2] == "123456789012345678901234567890.123       1.5     13  0.00001  [2.25]  {\"a\": -0.5}"


@pytest.mark.parametrize("sql", [
    "SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS t, DATE '9999-12-31' AS last, 'infinity'::TIMESTAMPTZ AS tz",
    "SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS t, DATE '9999-12-31' AS last, 'infinity'::TIMESTAMPTZ AS tz; -- note",
    "FROM (SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS t, DATE '9999-12-31' AS last, 'infinity'::TIMESTAMPTZ AS tz) ;;",
])
def test_infinite_dates_are_not_printed_as_the_last_date(capsys, release, sql):
    """DuckDB gives Python 9999-12-31 for 'infinity'::DATE (and 0001-01-01 for -infinity)."""
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, out, err) == (0, "d,t,last,tz\ninfinity,-infinity,9999-12-31,infinity\n", "")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert json.loads(out) == [{"d": "infinity", "t": "-infinity", "last": "9999-12-31", "tz": "infinity"}]


def test_a_list_of_dates_is_a_list_of_dates(capsys, release):
    """0.45.0 refused any query with a column of type DATE[] (`list(published)`, `list(announced)`):
    the companion column of the infinite dates called isfinite() on the list."""
    sql = "SELECT count(*) AS n, list(published ORDER BY source_id) AS dates FROM sources"
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    [row] = json.loads(out)
    con = duckdb.connect(str(release / "dist" / "aideals.duckdb"), read_only=True)
    n, dates = con.execute(sql).fetchone()
    con.close()
    assert row == {"n": n, "dates": [d.isoformat() for d in dates]}
    assert n > 1


def test_intervals_and_nested_dates_are_printed_as_duckdb_writes_them(capsys, release):
    """Python has an INTERVAL as a timedelta (no months: `1 month` was `30 days, 0:00:00`) and an
    infinite date in a list as 9999-12-31."""
    sql = ("SELECT INTERVAL '1 month 3 days' AS m, INTERVAL '90 minutes' AS h, NULL::INTERVAL AS n, "
           "[DATE '2025-01-01', 'infinity'::DATE, NULL] AS l, "
           "{'a b': INTERVAL 2 DAY, 'c': ['-infinity'::TIMESTAMP], 'k': 1} AS s, "
           "MAP([DATE '2025-01-01'], [INTERVAL 1 DAY]) AS mp, ['infinity'::DATE]::DATE[1] AS arr, [1, 2] AS ints")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == [{
        "m": "1 month 3 days", "h": "01:30:00", "n": None, "l": ["2025-01-01", "infinity", None],
        "s": {"a b": "2 days", "c": ["-infinity"], "k": 1}, "mp": {"2025-01-01": "1 day"},
        "arr": ["infinity"], "ints": [1, 2],
    }]
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, err) == (0, "")
    assert out.splitlines()[1] == ('1 month 3 days,01:30:00,,"[2025-01-01, infinity, NULL]",'
                                   '"{""a b"": ""2 days"", ""c"": [""-infinity""], ""k"": 1}",'
                                   '"{""2025-01-01"": ""1 day""}",[infinity],"[1, 2]"')


def test_a_timestamp_inside_a_list_struct_or_map_is_written_as_a_timestamp_column_is(capsys, release):
    """A timestamp inside a nested value reached the output as DuckDB's text (`2025-01-01 10:00:00`)
    where a timestamp column is written in ISO 8601 (`2025-01-01T10:00:00`); both are ISO now, with
    the same fraction and offset, and what Python cannot hold (`infinity`, a year past 9999) stays
    as DuckDB writes it."""
    sql = ("SELECT TIMESTAMP '2025-01-01 10:00:00.5' AS t, [TIMESTAMP '2025-01-01 10:00:00.5', 'infinity'::TIMESTAMP, NULL] AS l, "
           "{'d': DATE '2025-01-01', 'ts': [TIMESTAMP_S '2025-01-01 10:00:00']} AS s, "
           "MAP([TIMESTAMP '2025-01-01 10:00:00'], [1]) AS m, [TIMESTAMP '10000-01-01 00:00:00'] AS big")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == [{
        "t": "2025-01-01T10:00:00.500000", "l": ["2025-01-01T10:00:00.500000", "infinity", None],
        "s": {"d": "2025-01-01", "ts": ["2025-01-01T10:00:00"]}, "m": {"2025-01-01T10:00:00": 1},
        "big": ["10000-01-01 00:00:00"],
    }]
    rc, out, err = q(capsys, release, "SELECT [TIMESTAMP '2025-01-01 10:00:00'] AS l, TIMESTAMP '2025-01-01 10:00:00' AS t",
                     "--format", "csv")
    assert (rc, out, err) == (0, "l,t\n[2025-01-01T10:00:00],2025-01-01T10:00:00\n", "")


@pytest.mark.parametrize(("text", "iso"), [
    ("2025-01-01 10:00:00", "2025-01-01T10:00:00"),
    ("2025-01-01 10:00:00.5+05:30", "2025-01-01T10:00:00.500000+05:30"),  # a TIMESTAMPTZ's offset
    ("2025-01-01 10:00:00+00", "2025-01-01T10:00:00+00:00"),
    ("2025-01-01 10:00:00.123456789", "2025-01-01T10:00:00.123456"),  # a TIMESTAMP_NS, as a column's
    ("-infinity", "-infinity"),
    ("0044-03-15 00:00:00 (BC)", "0044-03-15 00:00:00 (BC)"),
    (None, None),
])
def test_iso_timestamp_writes_duckdb_text_as_a_column_s_timestamp(text, iso):
    assert querying._iso_timestamp(text) == iso


def test_a_float_is_printed_with_the_digits_duckdb_shows(capsys, release):
    """A FLOAT (single precision) reached Python widened to a double: 0.1 printed as
    0.10000000149011612, in a column and in a list or struct."""
    sql = ("SELECT 0.1::FLOAT AS f, [0.1::FLOAT, 'inf'::FLOAT, NULL] AS l, {'a': 1.3::FLOAT, 'd': DATE '2025-01-01'} AS s, "
           "NULL::FLOAT AS n, 0.1::DOUBLE AS d")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == [{"f": 0.1, "l": [0.1, "inf", None], "s": {"a": 1.3, "d": "2025-01-01"}, "n": None, "d": 0.1}]
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, out, err) == (0, 'f,l,s,n,d\n0.1,"[0.1, inf, NULL]","{""a"": 1.3, ""d"": ""2025-01-01""}",,0.1\n', "")


def test_a_json_column_is_written_as_the_json_it_holds(capsys, release):
    """DuckDB's JSON values (`json_object`, `json_group_array`) reached `--format json` as strings
    of JSON ("{\\"k\\":2}"); they are written as the JSON they hold, at any depth, and as text in
    the other formats."""
    sql = ("SELECT json_object('k', 2) AS o, [json_object('k', 3), NULL] AS l, {'x': '\"s\"'::JSON, 'n': 1} AS s, "
           "NULL::JSON AS n, '[1.0, 0.1000000000000000055]'::JSON AS exact, "
           "(SELECT json_group_array(source_id) FROM (SELECT source_id FROM sources ORDER BY source_id)) AS ids")
    rc, out, err = q(capsys, release, sql, "--format", "json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == [{"o": {"k": 2}, "l": [{"k": 3}, None], "s": {"x": "s", "n": 1}, "n": None,
                                "exact": [1.0, 0.1], "ids": ["one", "two"]}]
    assert '"exact": [1.0, 0.1000000000000000055]' in out  # the JSON's own digits
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    assert (rc, out, err) == (0, 'o,l,s,n,exact,ids\n"{""k"":2}","[{""k"":3}, NULL]","{""x"": ""s"", ""n"": 1}",,'
                                 '"[1.0, 0.1000000000000000055]","[""one"",""two""]"\n', "")


def test_a_json_value_python_cannot_read_is_written_as_a_string():
    """JSON with NaN is no JSON a reader takes: it stays a string of its text."""
    result = querying.QueryResult(["j"], [(querying._RawJSON("[NaN]"),), (querying._RawJSON(' {"a": 1} '),)])
    assert json.loads(querying.render(result, "json")) == [{"j": "[NaN]"}, {"j": {"a": 1}}]


def test_dates_of_a_query_keep_their_order_and_names(capsys, release):
    """A SELECT with a date or timestamp column runs as a subquery (for the infinite dates): it
    keeps its rows' order and its columns' names, one name twice included."""
    rc, out, err = q(capsys, release, "SELECT d AS x, d AS x, n FROM (SELECT DATE '2020-01-01' + i::INT AS d, i AS n FROM range(5) t(i)) "
                     "ORDER BY n DESC", "--format", "json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == [{"x": f"2020-01-0{i + 1}", "x_2": f"2020-01-0{i + 1}", "n": i} for i in range(4, -1, -1)]


def test_an_expression_too_deep_is_said_in_our_words(capsys, release):
    """DuckDB's advice, `Use "SET max_expression_depth TO x"`, is refused by the sandbox."""
    rc, out, err = q(capsys, release, "SELECT 1" + "+1" * 2000)
    assert (rc, out, err) == (2, "", (
        "aideals: error: query: the statement nests expressions more than 1000 levels deep, which DuckDB refuses "
        "(aideals query cannot raise that limit): a sum of thousands of terms nests that deep, "
        "write it as list_sum([...]) or over a table instead\n"))
    rc, out, _ = q(capsys, release, "SELECT list_sum([" + ", ".join(["1"] * 2001) + "]) AS n", "--format", "csv")
    assert (rc, out) == (0, "n\n2001\n")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@given(rows=st.lists(st.tuples(JSON_VALUES, JSON_VALUES), max_size=3))
def test_json_is_written_as_json_dumps_writes_it(rows):
    """The JSON writer, which writes a row at a time and Decimals exactly, writes what
    json.dumps(records, indent=2, ensure_ascii=False) wrote for the other values."""
    records = [{"a": querying._plain(a), "b": querying._plain(b)} for a, b in rows]
    expected = json.dumps(records, indent=2, ensure_ascii=False)
    expected = re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m[0]):04x}", expected)
    assert querying.render(querying.QueryResult(["a", "b"], rows), "json") == expected


# Standard output ----------------------------------------------------------------------------


def _aideals(release, *args):
    return [*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "query", *args, "--package", str(release)]


def test_a_closed_standard_output_is_an_error(release):
    """`aideals query "SELECT 1" >&-` printed nothing and exited 0."""
    import subprocess

    proc = subprocess.run(_aideals(release, "SELECT 1"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=60, preexec_fn=lambda: os.close(1))
    assert (proc.returncode, proc.stderr) == (
        2, "aideals: error: standard output is closed: every command prints its result or summary there (send it to a "
        "file, a pipe or /dev/null)\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_standard_output_is_an_error_saying_so(release):
    import subprocess

    with open("/dev/full", "w") as full:
        proc = subprocess.run(_aideals(release, "SELECT 1"), stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        2, "aideals: error: query: cannot write the result to standard output: No space left on device\n")


def test_a_reader_that_stops_early_ends_the_query_quietly(release):
    """`aideals query ... | head -1`: the rows no one reads are not computed, and nothing is said."""
    import subprocess

    proc = subprocess.Popen(_aideals(release, "SELECT * FROM range(10000000)", "--format", "csv"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"range\n"
    proc.stdout.close()
    assert (proc.wait(timeout=120), proc.stderr.read()) == (0, b"")


# Memory, threads and temporary files --------------------------------------------------------


def test_query_runs_within_the_memory_and_threads_of_the_environment(capsys, release, monkeypatch):
    """AIDEALS_MEMORY_LIMIT and AIDEALS_THREADS bounded build and validate, not query (which took
    80% of the memory), and a query of a release spilled into it (dist/aideals.duckdb.tmp/) or, later,
    nowhere; it spills into a temporary directory of its own, removed afterwards."""
    import tempfile

    sql = ("SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, "
           "current_setting('temp_directory') AS spill")
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "200MB")
    monkeypatch.setenv("AIDEALS_THREADS", "1")
    rc, out, err = q(capsys, release, sql, "--format", "csv")
    m, t, spill = out.splitlines()[1].split(",")
    assert (rc, err, m, t) == (0, "", "190.7 MiB", "1")
    assert os.path.dirname(spill) == os.path.realpath(tempfile.gettempdir())
    assert os.path.basename(spill).startswith("aideals-query-") and not os.path.exists(spill)
    monkeypatch.setenv("AIDEALS_THREADS", "many")
    assert q(capsys, release, "SELECT 1") == (2, "", "aideals: error: AIDEALS_THREADS='many': not a number of threads (1 to 256)\n")


def test_a_query_of_a_release_that_needs_more_memory_spills_outside_the_release(capsys, release, monkeypatch, tmp_path):
    """A query of a release could not spill (it stopped with an out-of-memory error): it spills to a
    temporary directory of its own, removed afterwards, and writes nothing into the release."""
    import tempfile

    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "128MB")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = sorted(p.name for p in (release / "dist").iterdir())
    sql = "SELECT count(*) AS n FROM (SELECT i, md5(i::VARCHAR) AS m FROM range(5000000) t(i) ORDER BY m)"
    assert q(capsys, release, sql, "--format", "csv") == (0, "n\n5000000\n", "")
    assert sorted(p.name for p in (release / "dist").iterdir()) == before
    assert list(tmp_path.iterdir()) == []


def test_a_query_that_needs_more_memory_than_it_can_spill_stops_and_writes_nothing(capsys, release, monkeypatch):
    """A string aggregate cannot spill: the error names the limit and how to raise it."""
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "128MB")
    before = sorted(p.name for p in (release / "dist").iterdir())
    rc, out, err = q(capsys, release, "SELECT length(string_agg(md5(i::VARCHAR), ',')) FROM range(10000000) t(i)")
    assert (rc, out, err) == (2, "", "aideals: error: query: out of memory within AIDEALS_MEMORY_LIMIT=128MB: "
                                     "raise the limit (AIDEALS_MEMORY_LIMIT=4GB, say)\n")
    assert sorted(p.name for p in (release / "dist").iterdir()) == before


def test_a_query_in_memory_spills_to_a_temporary_directory_removed_after(capsys, unbuilt, monkeypatch):
    """Without a build, DuckDB spilled to `.tmp` in the current directory."""
    import tempfile

    monkeypatch.chdir(unbuilt)
    rc, out, _ = run_cli(["query", "SELECT current_setting('temp_directory') AS t", "--format", "csv"], capsys)
    spill = out.splitlines()[1]
    assert (rc, os.path.dirname(spill)) == (0, os.path.realpath(tempfile.gettempdir()))
    assert os.path.basename(spill).startswith("aideals-query-")
    assert not os.path.exists(spill)
    assert sorted(p.name for p in unbuilt.iterdir()) == ["data", "datapackage.json", "schemas"]


def test_the_documented_table_sample_is_the_one_used(capsys):
    rc, out, _ = run_cli(["query", "--help"], capsys)
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert querying.SAMPLE_ROWS == 10_000
    assert "first 10,000 rows" in " ".join(out.split())
    assert "align their columns on the first 10,000 rows" in readme
