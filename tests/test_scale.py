"""Behaviour that keeps validate, build and the report bounded on large packages (small data here;
the timings are in benchmarks/)."""

from __future__ import annotations

import ast
import importlib.util
import re
import tempfile
from pathlib import Path

import duckdb
import pytest

from aideals import build, checks, db, package, report
from aideals.schema_sql import Sql
from conftest import CORPUS, FIXTURES
from fixture_packages import make_package

BUILT_AT = "2026-01-01T00:00:00Z"


# Build: the same memory limit and spill directory as validate ------------------------------------


def test_build_database_connection_has_the_memory_limit_and_a_spill_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "256MiB")
    monkeypatch.setenv("AIDEALS_THREADS", "1")
    seen = {}

    def populate(con, pkg):
        seen["settings"] = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchone()
        seen["spill_exists"] = Path(seen["settings"][2]).is_dir()

    pkg = package.load(make_package(tmp_path / "pkg"))
    build.build(pkg, tmp_path / "dist", populate_metrics=populate)
    memory, threads, spill = seen["settings"]
    assert (memory, threads, seen["spill_exists"]) == ("256.0 MiB", 1, True)
    assert Path(spill).parent == Path(tempfile.gettempdir())
    assert Path(spill).name.startswith("aideals-build-")
    # The spill directory is removed with the build and is never inside the release.
    assert not Path(spill).exists()
    assert not (tmp_path / "dist" / Path(spill).name).exists()


def test_resource_config_reads_the_environment(monkeypatch):
    monkeypatch.delenv("AIDEALS_THREADS", raising=False)
    monkeypatch.delenv("AIDEALS_MEMORY_LIMIT", raising=False)
    assert db.resource_config("/x") == {"memory_limit": "1GB", "temp_directory": "/x"}
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "3GB")
    monkeypatch.setenv("AIDEALS_THREADS", "2")
    assert db.resource_config(Path("/y")) == {"memory_limit": "3GB", "temp_directory": "/y", "threads": 2}


def test_no_connection_prints_duckdb_s_progress_bar(tmp_path):
    """DuckDB prints a progress bar on standard output once a query runs over 2 s, even into a
    pipe: before the JSON of `validate --json`, or into the rows of `query --format csv`. Every
    connection is made by db.connect, which turns it off (the sandboxed reader too, before its
    configuration is locked)."""
    import ast

    con = db.connect(":memory:", config=db.resource_config(tmp_path))
    assert con.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
    duckdb.connect(str(tmp_path / "r.duckdb")).close()
    ro = db.connect_readonly(tmp_path / "r.duckdb")
    assert ro.sql("SELECT current_setting('enable_progress_bar'), current_setting('lock_configuration')").fetchall() \
        == [(False, True)]
    src = Path(db.__file__).parent
    direct = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "connect" and isinstance(node.value, ast.Name)
                    and node.value.id == "duckdb"):
                direct.append(f"{path.relative_to(src)}:{node.lineno}")
    assert direct == ["db.py:" + str(_line_of(src / "db.py", "con = duckdb.connect(database"))]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


# Validate: bounded findings ---------------------------------------------------------------------


def test_bounded_query_stops_after_the_row_of_the_limit_th_finding(monkeypatch):
    monkeypatch.setattr(checks, "FETCH_BATCH", 2)
    con = duckdb.connect()
    con.execute("CREATE TABLE f (r BIGINT, k VARCHAR)")
    con.execute("INSERT INTO f VALUES (5, 'e'), (3, 'c1'), (2, 'b1'), (4, 'd'), (3, 'c2'), (2, 'b2'), (3, 'c3')")
    sql = Sql("SELECT r, 'field', 'check', k, NULL FROM f")
    rows = lambda found: sorted((x.row, x.message) for x in found)  # noqa: E731
    # Three asked for: the third is in row 3, so every finding of row 3 comes, and nothing after it.
    assert rows(checks._run(con, sql, "data/x.csv", "table-schema", 3)) == [
        (2, "b1"), (2, "b2"), (3, "c1"), (3, "c2"), (3, "c3")
    ]
    assert len(checks._run(con, sql, "data/x.csv", "table-schema", 6)) == 7
    assert len(checks._run(con, sql, "data/x.csv", "table-schema")) == 7


def defective_package(dest: Path) -> Path:
    """The small package plus 40 figure rows, each with one to three findings."""
    root = make_package(dest)
    lines = []
    for i in range(40):
        as_of = "2025-02-30" if i % 2 else ""
        high, qualifier = ("1", "range") if i % 3 == 0 else ("", "exact")
        lines.append(f"bad-{i:02d},alpha-beta,,alpha,nobody,cash,amount,100,{high},USD,{qualifier},,,,{as_of},one,invests 100,\n")
    with open(root / "data" / "figures.csv", "a", encoding="utf-8") as fh:
        fh.writelines(lines)
    return root


@pytest.mark.parametrize("max_errors", [1, 2, 5, 17, 60])
def test_max_errors_gives_exactly_the_first_findings_of_the_full_report(tmp_path, monkeypatch, max_errors):
    monkeypatch.setattr(checks, "FETCH_BATCH", 4)
    pkg = package.load(defective_package(tmp_path / "pkg"))
    full = checks.validate(pkg)
    assert len(full.findings) == 74  # 40 foreign keys, 20 dates, 14 ranges
    bounded = checks.validate(pkg, max_errors=max_errors)
    assert (bounded.findings, bounded.truncated) == (full.findings[:max_errors], True)


def test_build_refusal_counts_at_most_counted_findings(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "COUNTED_FINDINGS", 10)
    pkg = package.load(defective_package(tmp_path / "pkg"))
    with pytest.raises(Exception) as exc:
        build.build(pkg, tmp_path / "dist")
    text = str(exc.value)
    assert text.startswith("the package is invalid (more than 10 findings), nothing was built;")
    assert text.endswith("  ... and 5+ more")


@pytest.mark.parametrize("keep_all", [False, True], ids=["validate", "build"])
def test_row_numbers_are_the_file_order_when_duckdb_reads_in_parallel(tmp_path, monkeypatch, keep_all):
    # 120,000 rows (about 15 MB) are read by several threads, in buffers of 4 MiB; the enum checks
    # once made DuckDB plan a hash join, which did not keep the rows in order, so findings named
    # wrong rows. A build (on_valid) keeps every field and reads with DuckDB's default buffer.
    monkeypatch.setenv("AIDEALS_THREADS", "4")
    root = make_package(tmp_path / "pkg")
    bad = {60_001: ("flow", "cahs"), 100_000: ("as_of", "2025-02-30"), 120_000: ("unit", "usd")}
    with open(root / "data" / "figures.csv", "a", encoding="utf-8") as fh:
        first = sum(1 for _ in open(root / "data" / "figures.csv", encoding="utf-8")) + 1
        for row in range(first, 120_001):
            cells = {"flow": "cash", "as_of": "", "unit": "USD"}
            if row in bad:
                cells[bad[row][0]] = bad[row][1]
            fh.write(f"n-{row},alpha-beta,,alpha,beta,{cells['flow']},amount,{row},,{cells['unit']},exact,,,,"
                     f"{cells['as_of']},one,a quote long enough to make a file read in parallel {row},\n")
    assert checks.csv_buffer_size((root / "data" / "figures.csv").stat().st_size, 4) == 4 * 1024 * 1024
    report = checks.validate(package.load(root), on_valid=(lambda con: None) if keep_all else None)
    assert [(f.row, f.field, f.check, f.value) for f in report.findings] == [
        (60_001, "flow", "constraint-error", "cahs"),
        (100_000, "as_of", "type-error", "2025-02-30"),
        (120_000, "unit", "constraint-error", "usd"),
        (120_000, "unit", "unit_fits_measure", "usd"),  # a row rule: the row-rule layer comes last
    ]


def test_the_bare_scan_benchmark_reads_with_the_buffers_of_validate():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bare_scan", Path(__file__).resolve().parents[1] / "benchmarks" / "bare_scan.py")
    bare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bare)
    MiB = 1024 * 1024
    for size in (0, 10_000, 12 * MiB, 40 * MiB, 130 * MiB, 1300 * MiB):
        for threads in (1, 2, 4):
            assert bare.buffer_size(size, threads) == checks.csv_buffer_size(size, threads)
    assert [checks.csv_buffer_size(s * MiB, 2) for s in (1, 12, 40, 130)] == [4 * MiB, 4 * MiB, 10 * MiB, 16 * MiB]


# Report: a bounded part of each table, said on the page -------------------------------------------


@pytest.fixture(scope="module")
def seed_con(tmp_path_factory):
    root = make_package(tmp_path_factory.mktemp("seed") / "pkg", FIXTURES / "seed")
    con = db.connect_memory(package.load(root))
    yield con
    con.close()


CAPS = {"max_figures": 3, "max_parties": 2, "max_flows": 2, "max_deals": 2, "max_metrics": 1}


def test_report_reads_at_most_the_caps_chosen_deterministically(seed_con):
    data = report.collect(seed_con, **CAPS)
    assert data["totals"] == {"parties": 13, "deals": 13, "figures": 32, "sources": 5, "flows": 13, "metrics": 0,
                              "report_flows": 13}
    assert [f["figure_id"] for f in data["figures"]] == [
        "amd-openai-2025-equity-stake-cafetech",
        "amd-openai-2025-equity-stake-hyperai",
        "amd-openai-2025-power-additional-cafetech",
    ]
    # The two parties with the most USD in flows, and the flows between them.
    assert data["network_parties"] == ["openai", "nvidia"]
    assert [(f["from_party"], f["to_party"], f["flow"]) for f in data["flows"]] == [
        ("nvidia", "openai", "cash"),
        ("openai", "nvidia", "chips"),
    ]
    assert [d["deal_id"] for d in data["deals"]] == ["microsoft-openai-2019-2023", "coreweave-openai-contracts"]
    assert sorted(data["names"]) == ["amd", "coreweave", "microsoft", "nvidia", "openai"]


def test_report_without_caps_reached_reads_everything_and_says_nothing(seed_con):
    data = report.collect(seed_con)
    assert (len(data["figures"]), len(data["flows"]), len(data["deals"]), data["network_parties"]) == (32, 13, 13, None)
    page = report.render_html(seed_con, version="0.1.0", built_at=BUILT_AT)
    assert re.findall(r'<p class="note" id="(?:figures|deals|metrics)-scope">([^<]*)</p>', page) == ["", "", ""]
    assert "are drawn" not in page


def test_report_page_says_what_part_it_shows(seed_con):
    page = report.render_html(seed_con, version="0.1.0", built_at=BUILT_AT, caps=CAPS)
    assert re.search(r'<p class="note" id="figures-scope">([^<]*)</p>', page).group(1) == (
        "This page shows 3 of 32 figures (the first by figure id); "
        "query the release for all: SELECT * FROM figures_resolved in aideals.duckdb."
    )
    assert re.search(r'<p class="note" id="deals-scope">([^<]*)</p>', page).group(1) == (
        "This page shows 2 of 13 deals (by announcement date, then deal id); "
        "query the release for all: SELECT * FROM deals in aideals.duckdb."
    )
    assert re.search(r'<p class="note" id="network-summary">([^<]*)</p>', page).group(1) == (
        "2 parties and 2 flows drawn; one arrow per flow; 4 parties on a cycle (2 of them drawn). "
        "Only the flows among the 2 parties with the largest flows in US dollars are drawn (of the 9 parties with "
        "flows). 2 of the 13 flows of deals not called off are drawn: the flows view of the release has them all (aideals query)."
    )
    # The header counts the whole release, not the part shown.
    assert "13 parties, 13 deals, 32 figures, 5 sources, 13 flows, 0 metrics" in page


# Metrics: bounded too, and no snapshot of the database when there is nothing to compute ----------


def test_metrics_readonly_connection_takes_the_memory_limit_and_stays_locked(tmp_path):
    from aideals import metrics

    duckdb.connect(str(tmp_path / "r.duckdb")).close()
    con = metrics.connect_readonly(tmp_path / "r.duckdb", {"memory_limit": "256MiB", "threads": 1})
    try:
        assert con.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone() == ("256.0 MiB", 1)
        with pytest.raises(duckdb.Error):
            con.execute("SET memory_limit = '8GB'")
    finally:
        con.close()


def test_populate_without_metrics_takes_no_snapshot(tmp_path, monkeypatch):
    from aideals import metrics, plugins

    def no_snapshot(con, path):
        raise AssertionError("snapshot taken")

    monkeypatch.setattr(metrics, "snapshot", no_snapshot)
    pkg = package.load(make_package(tmp_path / "pkg"))
    con = db.connect_memory(pkg)
    empty = plugins.load(None, [], limit=None, entry_points=[])
    run = metrics.populate(con, pkg, plugins=empty, report=lambda p: None)
    assert (run.results, run.problems, con.execute("SELECT count(*) FROM metrics").fetchone()[0]) == ([], [], 0)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("at", [4093, 4094, 4095, 4096, 4097, 8191])
def test_a_blank_line_across_two_windows_of_the_search_is_found(tmp_path, monkeypatch, newline, at):
    """Blank lines are searched in windows of BLANK_WINDOW bytes overlapping by two: one whose bytes
    lie across the edge of two windows (4096 bytes here) is found and numbered."""
    monkeypatch.setattr(checks, "BLANK_WINDOW", 4096)
    header = b"x,y" + newline
    # The filler row's line ends at byte `at` - 1 + len(newline) - 1, the blank line right after it.
    filler = b"a," + b"b" * (at - len(header) - len(newline) - 2)
    data = header + filler + newline + newline + (b"c,d" + newline) * 2000
    assert data.index(b"\n" + newline) == at - 1
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert checks._blank_lines_and_controls(path) == ([3], False)


def test_a_file_without_blank_lines_has_none(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "BLANK_WINDOW", 4096)
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,y\n" + b"a,b\r\n" * 3000)
    assert checks._blank_lines_and_controls(path) == ([], False)
    path.write_bytes(b"\xef\xbb\xbf\r\nx,y\n")
    assert checks._blank_lines_and_controls(path) == ([1], False)


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x7f", "\x9b", "\x80", "\x9f"])
@pytest.mark.parametrize("at", [4094, 4095, 4096, 4097, 8191, 8192])
def test_a_control_character_anywhere_in_a_file_is_seen_by_the_byte_search(tmp_path, monkeypatch, char, at):
    """The scan tests text cells for control characters only when the byte search found one in the
    file: it must see one at any place, a C1 character's two bytes across two windows too."""
    monkeypatch.setattr(checks, "BLANK_WINDOW", 4096)
    data = b"x,y\n" + b"a,b\n" * 3000
    encoded = char.encode("utf-8")
    data = data[:at] + encoded + data[at:]
    assert data.index(encoded) == at
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert checks._blank_lines_and_controls(path) == ([], True)


@pytest.mark.parametrize("text", ["a\tb", "a\r\nb", "\xa0\xab\xbb\xbf\xc2\xc3", "\u2028\u0100\ufeff\U0001f4b0", "\xc2" * 5000])
def test_text_without_control_characters_is_not_taken_for_one(tmp_path, monkeypatch, text):
    """Tab, line breaks and the characters that share a C1 character's first byte (C2: a no-break
    space, guillemets, Â) are no control characters, at a window's edge either."""
    monkeypatch.setattr(checks, "BLANK_WINDOW", 4096)
    path = tmp_path / "t.csv"
    path.write_bytes(("x,y\n" + f'"{text}",b\n' * 3000).encode("utf-8"))
    assert checks._blank_lines_and_controls(path) == ([], False)


def test_the_scan_tests_for_control_characters_only_in_a_file_holding_one(tmp_path, monkeypatch):
    """Testing every text cell for a control character costs more than the byte search (1M figure
    rows: about 0.5 s of CPU against 0.1 s), so a file without one is scanned once, without that
    test, and a file with one twice, the second time with it."""
    import shutil

    calls = []
    create = checks._create_checked

    def counted(con, t, source, params, controls=True):
        calls.append((t.name, controls))
        create(con, t, source, params, controls)

    monkeypatch.setattr(checks, "_create_checked", counted)
    shutil.copytree(CORPUS / "valid-base", tmp_path / "pkg")
    parties = tmp_path / "pkg" / "data" / "parties.csv"
    parties.write_text(parties.read_text(encoding="utf-8").replace("Cloud arm", "Cloud\x1b[31m arm"), encoding="utf-8")
    found = checks.validate(package.load(tmp_path / "pkg")).findings
    assert [(f.row, f.field, f.check) for f in found] == [(3, "note", "control-character")]
    assert sorted(calls) == sorted([("parties", False), ("parties", True), ("sources", False), ("deals", False), ("figures", False)])


def test_the_lower_bound_benchmark_counts_the_defects_validate_finds(tmp_path):
    """benchmarks/lower_bound.py times a query that must do the work of validate's checks: on a
    generated package with injected defects its counts are exactly those defects."""
    import os
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "2000", "--errors", "9"],
                   check=True, capture_output=True)
    spill = tmp_path / "tmp"
    spill.mkdir()
    env = {**os.environ, "TMPDIR": str(spill)}
    out = subprocess.run([sys.executable, str(bench / "lower_bound.py"), str(pkg), "--repeat", "1"],
                         check=True, capture_output=True, text=True, env=env).stdout.splitlines()
    assert list(spill.iterdir()) == []  # its DuckDB spill directories are removed, not left in /tmp
    assert len(out) == 3
    assert out[1] == "rows scanned 2,000; rows failing a cell test or row rule 6; distinct figure ids 2,000; dangling foreign keys [0, 0, 0, 3, 0]"
    assert re.fullmatch(r"least: bare scan \d+\.\d\d s, figures bound \d+\.\d\d s, ratio \d+\.\d\dx", out[2])


def test_the_compiled_bound_finds_the_defects_the_lower_bound_finds(tmp_path):
    """benchmarks/compiled_bound.py times a compiled (numba) quick test of figures.csv: on a
    generated package with injected defects it must send exactly the rows with cell or row-rule
    defects to the full checks and find the dangling keys, as the SQL lower bound does."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "2000", "--errors", "9"],
                   check=True, capture_output=True)
    out = subprocess.run([sys.executable, str(bench / "compiled_bound.py"), str(pkg), "--repeat", "1"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(out) == 2
    assert out[0] == "rows scanned 2,000; rows not cleared 6; duplicate figure ids 0; dangling foreign keys [0, 0, 0, 3, 0]"
    assert re.fullmatch(r"least: bare scan \d+\.\d\d s, compiled bound \d+\.\d\d s \(\d+ MiB\), ratio \d+\.\d\dx", out[1])


def test_the_compiled_bound_says_which_schema_it_was_not_written_for_in_one_line(tmp_path):
    """A package whose `unit` enum differs from the prototype's options (a currency added to the
    schemas, say) stops the benchmark with the prototype's own one-line message, not a traceback
    of the warm-up run it starts."""
    import json
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "200"],
                   check=True, capture_output=True)
    schema_path = pkg / "schemas" / "figures.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    unit = next(f for f in schema["fields"] if f["name"] == "unit")
    unit["constraints"]["enum"].remove("CZK")
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    out = subprocess.run([sys.executable, str(bench / "compiled_bound.py"), str(pkg), "--repeat", "1"],
                         capture_output=True, text=True)
    assert (out.returncode, out.stdout, out.stderr) == (
        1, "", "figures.schema.json does not have the enum options this prototype is written for\n")


@pytest.mark.parametrize("defect, counts", [
    # a duplicated figure id: the copy of row 1 is cleared (its cells are fine) but its id is seen twice
    ("duplicate", "rows not cleared 0; duplicate figure ids 1; dangling foreign keys [0, 0, 0, 0, 0]"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,+5,,USD,exact,,,,2024-12-01,source-1,q,", "rows not cleared 1"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,5,,USD,exact,,,,2024-12-01,source-1,\"=HYPERLINK(1)\",", "rows not cleared 1"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,5,,USD,exact,,,,2024-12-01,source-1,\"a \"\"b\"\", c\",", "rows not cleared 0"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,5,,USD,exact,,,,2024-12-01,source-1,caf\u00e9,", "rows not cleared 1"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,5,,USD,exact,,,", "rows not cleared 1"),
    ("fig-x,deal-1,,party-1,party-1,cash,amount,5,,USD,exact,,,,2024-12-01,source-1,q,", "rows not cleared 1"),
    ("fig-x,deal-1,,party-1,party-8,cash,amount,5,,percent,exact,,,,2024-12-01,source-1,q,", "rows not cleared 1"),
])
def test_the_compiled_bound_sends_doubtful_rows_to_the_full_checks(tmp_path, defect, counts):
    """The prototype's quick test must never clear a row a validator would report (a row it does
    not clear costs a full check, never a finding): one appended row of each kind, the last line
    without its line end."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "200"],
                   check=True, capture_output=True)
    figures = pkg / "data" / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    row = text.splitlines()[1] if defect == "duplicate" else defect
    figures.write_text(text + row, encoding="utf-8")  # no line end after the last row
    out = subprocess.run([sys.executable, str(bench / "compiled_bound.py"), str(pkg), "--once"],
                         check=True, capture_output=True, text=True).stdout
    assert out.startswith(f"rows scanned 201; {counts}"), out


def test_the_native_types_benchmark_lists_what_duckdb_types_leniently_and_finds_the_defects(tmp_path):
    """benchmarks/native_types.py: DuckDB's typed CSV reader accepts cells the Table Schema
    refuses (the reason validate does not type with it), and its quick test on a package with
    injected defects sets aside the 3 impossible dates and does not clear the 3 inverted ranges."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "2000", "--errors", "9"],
                   check=True, capture_output=True)
    out = subprocess.run([sys.executable, str(bench / "native_types.py"), str(pkg), "--repeat", "2"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    # Which cells DuckDB types leniently depends on its version (duckdb 2.0.1: '+-92' as -92, and
    # ' 2025-02-03', '2025-02-03 ', '0000-01-01' as dates): each listed cell must be one the
    # Table Schema refuses.
    spec = importlib.util.spec_from_file_location("native_types", bench / "native_types.py")
    native = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(native)
    for line, kind, cells, accepts in [(out[0], "number", native.NUMBERS, native.schema_number),
                                       (out[1], "date", native.DATES, native.schema_date)]:
        head, _, listed = line.partition(": typed by DuckDB, refused by the Table Schema: ")
        assert head == kind, line
        lenient = [] if listed == "none" else [ast.literal_eval(c) for c in listed.split(", ")]
        assert lenient and all(c in cells and not accepts(c) for c in lenient), line
    assert out[2] == "rows typed 1,997; rows set aside by the reader 3; rows not cleared 3"
    assert len(out) == 4
    assert re.fullmatch(r"least: bare scan \d+\.\d\d s, typed quick test \d+\.\d\d s, ratio \d+\.\d\dx", out[3])


def test_the_parser_benchmark_reads_every_row_with_each_reader(tmp_path):
    """benchmarks/parsers.py compares CSV readers on figures.csv: each must count every row."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    pkg = tmp_path / "pkg"
    subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "2000"],
                   check=True, capture_output=True)
    out = subprocess.run([sys.executable, str(bench / "parsers.py"), str(pkg), "--repeat", "1"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    try:
        import polars  # noqa: F401
        readers = ["duckdb", "pyarrow-stream", "pyarrow-table", "polars"]
    except ImportError:
        readers = ["duckdb", "pyarrow-stream", "pyarrow-table"]
        assert out.pop(0) == "polars: not installed, skipped"
    assert [line.split()[0] for line in out] == readers
    for line in out:
        assert re.fullmatch(r"\S+ +\d+\.\d\d s +\d+ MiB  2000 rows", line), line


def test_the_generated_packages_validate_clean_and_their_defects_are_found_exactly(tmp_path):
    """benchmarks/generate.py writes the packages every benchmark times: a clean one must pass every
    check of aideals validate (a build of it must not be refused), and one with 9 injected defects
    must give exactly 9 findings."""
    import subprocess
    import sys

    from aideals import checks, package

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    for errors, expected in ((0, 0), (9, 9)):
        pkg = tmp_path / f"pkg-{errors}"
        subprocess.run([sys.executable, str(bench / "generate.py"), str(pkg), "--rows", "2000", "--errors", str(errors)],
                       check=True, capture_output=True)
        findings = checks.validate(package.load(pkg)).findings
        assert len(findings) == expected, [f.line() for f in findings][:5]
        assert {f.layer for f in findings} <= {"row-rule", "table-schema"}


def test_capped_network_counts_each_drawn_partys_flows_and_dollars_over_all_flows(seed_con):
    """Only 2 of the 9 parties with flows are drawn, but what the page says of each of them (hover,
    table of the parties) counts all its flows, and the cycles pass through parties not drawn."""
    fig = report.network_figure(report.collect(seed_con, **CAPS))
    expected = {
        party: (flows, pays, receives)
        for party, flows, pays, receives in seed_con.execute(
            """
            WITH ends AS (
                SELECT from_party AS party, 1 AS out, measure, unit, value_high, counted_in_parent FROM flows
                UNION ALL
                SELECT to_party, 0, measure, unit, value_high, counted_in_parent FROM flows
            )
            SELECT party, count(*),
                   coalesce(sum(value_high) FILTER (out = 1 AND measure = 'amount' AND unit = 'USD'
                                                    AND NOT coalesce(counted_in_parent, false)), 0),
                   coalesce(sum(value_high) FILTER (out = 0 AND measure = 'amount' AND unit = 'USD'
                                                    AND NOT coalesce(counted_in_parent, false)), 0)
            FROM ends WHERE party IN ('openai', 'nvidia') GROUP BY party
            """
        ).fetchall()
    }
    got = {p["party"]: (p["flows"], p["pays"], p["receives"]) for p in fig["parties"]}
    assert got == expected
    assert got["openai"][0] == 12  # of which two are drawn (with nvidia)
    (nodes,) = [t for t in fig["data"] if t["meta"]["role"] == "nodes"]
    assert nodes["hovertext"][nodes["customdata"].index("openai")].split("<br>")[1] == "12 flows"
    assert (fig["summary"]["n_cycle_nodes"], fig["summary"]["n_cycle_nodes_drawn"]) == (4, 2)


def test_each_metric_keeps_its_share_of_the_page(tmp_path):
    """One plugin's many rows filled the page's metric rows (first by name) and left no row of the
    others; the cap is per metric."""
    root = make_package(tmp_path / "pkg", FIXTURES / "seed")
    con = db.connect_memory(package.load(root))
    try:
        for metric, n in (("aaa_many", 3), ("circularity", 1)):
            for i in range(n):
                con.execute(
                    "INSERT INTO metrics VALUES (?, 'deal', ?, ?, NULL, 'ratio', [], NULL, 'exact', NULL)",
                    [metric, f"subject-{i}", float(i)],
                )
        data = report.collect(con, max_metrics=2)
        assert [(m["metric"], m["subject_id"]) for m in data["metrics"]] == [
            ("aaa_many", "subject-0"), ("aaa_many", "subject-1"), ("circularity", "subject-0")]
        page = report.render_html(con, version="0.1.0", built_at=BUILT_AT, caps={"max_metrics": 2})
        assert re.search(r'<p class="note" id="metrics-scope">([^<]*)</p>', page).group(1) == (
            "This page shows 3 of 4 metric rows (at most 2 of each metric, in table order); "
            "query the release for all: SELECT * FROM metrics in aideals.duckdb."
        )
    finally:
        con.close()
