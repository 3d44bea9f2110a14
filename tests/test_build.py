"""`aideals build`: validation first, the release layout, atomic replacement, reproducibility."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from cli_runner import run_cli
from conftest import AIDEALS_WITHOUT_INSTALLED_PLUGINS, ROOT, no_metrics_warning
from fixture_packages import make_package

from aideals import build, checks, package
from aideals.errors import AidealsError
from aideals.findings import Finding

SMALL_ROWS = {"parties": 3, "sources": 2, "deals": 1, "figures": 10, "metrics": 0}
RELEASE_FILES = [
    "aideals.duckdb",
    "build-manifest.json",
    "data/deals.csv",
    "data/figures.csv",
    "data/parties.csv",
    "data/sources.csv",
    "datapackage.json",
    "parquet/deals.parquet",
    "parquet/figures.parquet",
    "parquet/metrics.parquet",
    "parquet/parties.parquet",
    "parquet/sources.parquet",
    "report.html",
    "schemas/deals.rules.json",
    "schemas/deals.schema.json",
    "schemas/figures.rules.json",
    "schemas/figures.schema.json",
    "schemas/metric-result.schema.json",
    "schemas/parties.rules.json",
    "schemas/parties.schema.json",
    "schemas/release-manifest.schema.json",
    "schemas/sources.rules.json",
    "schemas/sources.schema.json",
]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def pkg(tmp_path):
    return package.load(make_package(tmp_path / "pkg"))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """One build of the small package, shared by the tests that only read it."""
    pkg = package.load(make_package(tmp_path_factory.mktemp("build") / "pkg"))
    return pkg, build.build(pkg, pkg.root.parent / "dist")


@pytest.fixture(scope="module")
def baseline(release):
    """The bytes of one build of the small package, built once for the module."""
    pkg, result = release
    return result.out


@pytest.fixture
def built(pkg, tmp_path, baseline):
    """A package with a previous release in tmp_path/dist (a copy of the module's build), and its bytes."""
    out = tmp_path / "dist"
    shutil.copytree(baseline, out)
    return pkg, out, snapshot(out)


def test_build_writes_the_release_layout(release):
    pkg, result = release
    assert result.out == pkg.root.parent / "dist"
    assert result.rows == SMALL_ROWS
    assert result.checks_run == checks.validate(pkg).checks_run
    assert result.files == RELEASE_FILES
    assert sorted(snapshot(result.out)) == RELEASE_FILES
    assert result.warnings == []


def test_release_csvs_and_schemas_are_byte_copies(release):
    pkg, result = release
    out = result.out
    for name in package.RESOURCE_NAMES:
        assert (out / "data" / f"{name}.csv").read_bytes() == (pkg.root / "data" / f"{name}.csv").read_bytes()
        schema = f"schemas/{name}.schema.json"
        assert (out / schema).read_bytes() == (pkg.root / schema).read_bytes()


def test_release_descriptor_gives_bytes_and_sha256_of_each_resource(release):
    pkg, result = release
    out = result.out
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    original = json.loads((pkg.root / "datapackage.json").read_text(encoding="utf-8"))
    for res, orig in zip(descriptor["resources"], original["resources"]):
        data = (out / res["path"]).read_bytes()
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert {k: v for k, v in res.items() if k not in ("bytes", "hash")} == orig
    assert {k: v for k, v in descriptor.items() if k != "resources"} == {
        k: v for k, v in original.items() if k != "resources"
    }


def test_the_build_manifest_records_every_other_file_with_its_size_and_sha256(release):
    pkg, result = release
    manifest = json.loads((result.out / "build-manifest.json").read_text(encoding="utf-8"))
    assert list(manifest) == ["version", "files"]
    assert manifest["version"] == json.loads((result.out / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert [f["path"] for f in manifest["files"]] == [f for f in RELEASE_FILES if f != "build-manifest.json"]
    for entry in manifest["files"]:
        data = (result.out / entry["path"]).read_bytes()
        assert entry == {"path": entry["path"], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_release_database_has_typed_tables_primary_keys_views_and_metrics(release):
    pkg, result = release
    out = result.out
    con = duckdb.connect(str(out / "aideals.duckdb"), read_only=True)
    try:
        pks = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints()"
            " WHERE constraint_type = 'PRIMARY KEY' ORDER BY table_name"
        ).fetchall()
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE figures)").fetchall())
        metrics = con.execute("SELECT count(*) FROM metrics").fetchone()
    finally:
        con.close()
    assert pks == [
        ("deals", ["deal_id"]),
        ("figures", ["figure_id"]),
        ("parties", ["party_id"]),
        ("sources", ["source_id"]),
    ]
    assert views == [("consensus",), ("deals_counted",), ("figures_counted",), ("figures_resolved",), ("flows",)]
    assert (types["value"], types["as_of"], types["quote"]) == ("DOUBLE", "DATE", "VARCHAR")
    assert metrics == (0,)


def test_release_database_is_readable_by_duckdb_1_x(release):
    pkg, result = release
    out = result.out
    header = (out / "aideals.duckdb").read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    # storage version 64 is what DuckDB 1.0 writes and every 1.x reads (2.0 writes 69 by default)
    assert int.from_bytes(header[12:20], "little") == 64


def test_parquet_files_hold_each_table_sorted_by_primary_key(release):
    pkg, result = release
    out = result.out
    con = duckdb.connect()
    ids = [r[0] for r in con.execute("SELECT figure_id FROM read_parquet(?)", [str(out / "parquet/figures.parquet")]).fetchall()]
    assert ids == sorted(ids) and len(ids) == 10
    for table, n in SMALL_ROWS.items():
        assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(out / f"parquet/{table}.parquet")]).fetchone() == (n,)


def test_same_input_builds_byte_identical_parquet_and_same_tables(pkg, tmp_path, monkeypatch):
    # the report shows its build date: reproducible builds fix it with SOURCE_DATE_EPOCH
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    a = build.build(pkg, tmp_path / "a").out
    b = build.build(pkg, tmp_path / "b").out
    snap_a, snap_b = snapshot(a), snapshot(b)
    assert "build-manifest.json" in snap_a  # no time or place in it: the same bytes, as the files it records
    for name in snap_a:
        if name != "aideals.duckdb":
            assert snap_a[name] == snap_b[name], name
    con_a = duckdb.connect(str(a / "aideals.duckdb"), read_only=True)
    con_b = duckdb.connect(str(b / "aideals.duckdb"), read_only=True)
    for table in ("parties", "sources", "deals", "figures", "metrics", "flows", "consensus", "figures_resolved"):
        sql = f"SELECT * FROM {table} ORDER BY ALL"
        assert con_a.execute(sql).fetchall() == con_b.execute(sql).fetchall(), table


def test_populate_metrics_fills_the_metrics_table_and_its_parquet(pkg, tmp_path):
    seen = []

    def populate(con, p):
        seen.append(p)
        con.execute(
            "INSERT INTO metrics (metric, subject_type, subject_id, value, value_high, unit, figure_ids, note)"
            " SELECT 'total_cash', 'deal', deal_id, sum(value), NULL, 'USD',"
            " list(figure_id ORDER BY figure_id), NULL FROM figures WHERE flow = 'cash' AND measure = 'amount'"
            " GROUP BY deal_id"
        )

    result = build.build(pkg, tmp_path / "dist", populate_metrics=populate)
    assert seen == [pkg]
    assert result.rows["metrics"] == 1
    row = duckdb.connect().execute(
        "SELECT metric, subject_id, value, figure_ids FROM read_parquet(?)", [str(result.out / "parquet/metrics.parquet")]
    ).fetchall()
    assert row == [("total_cash", "alpha-beta", 200.0, ["cash-one", "cash-two"])]


def test_progress_is_called_once_per_step_in_order(pkg, tmp_path):
    steps = []
    build.build(pkg, tmp_path / "dist", progress=steps.append)
    assert steps == [
        "validating the package",
        "writing the tables into DuckDB",
        "copying the data files and schemas",
        "writing parquet/parties.parquet",
        "writing parquet/sources.parquet",
        "writing parquet/deals.parquet",
        "writing parquet/figures.parquet",
        "writing parquet/metrics.parquet",
        "writing report.html",
        "writing build-manifest.json",
    ]


# Refusing invalid data ---------------------------------------------------------------------


def fake_report(n: int) -> checks.Report:
    findings = [
        Finding("data/figures.csv", i + 2, "value_high", "range_has_high_value", "row-rule", "qualifier=range needs a value_high")
        for i in range(n)
    ]
    return checks.Report(findings=findings, checks_run=["table-schema", "row-rules"])


def test_build_refuses_invalid_data_showing_the_count_and_first_findings(pkg, tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "validate", lambda p, **kw: fake_report(7))
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, tmp_path / "dist")
    assert exc.value.exit_code == 1
    assert str(exc.value) == (
        "the package is invalid (7 findings), nothing was built; run `aideals validate` for the full report:\n"
        "  data/figures.csv:2: value_high: qualifier=range needs a value_high\n"
        "  data/figures.csv:3: value_high: qualifier=range needs a value_high\n"
        "  data/figures.csv:4: value_high: qualifier=range needs a value_high\n"
        "  data/figures.csv:5: value_high: qualifier=range needs a value_high\n"
        "  data/figures.csv:6: value_high: qualifier=range needs a value_high\n"
        "  ... and 2 more"
    )
    assert os.listdir(tmp_path) == ["pkg"]


def test_build_command_refuses_a_package_breaking_a_row_rule(tmp_path, capsys):
    root = make_package(tmp_path / "pkg")
    figures = root / "data" / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace(",250,300,USD,range,", ",250,,USD,range,"), encoding="utf-8")
    rc, out, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "dist")], capsys)
    assert (rc, out) == (1, "")
    assert err == (
        "aideals: error: the package is invalid (1 finding), nothing was built; run `aideals validate` for the full report:\n"
        "  data/figures.csv:6: value_high: qualifier=range needs a value_high\n"
    )
    assert not (tmp_path / "dist").exists()


def test_invalid_data_leaves_the_previous_release_untouched(built, monkeypatch):
    pkg, out, before = built
    monkeypatch.setattr(checks, "validate", lambda p, **kw: fake_report(1))
    with pytest.raises(AidealsError):
        build.build(pkg, out)
    assert snapshot(out) == before


# Atomicity ----------------------------------------------------------------------------------


def boom(*args, **kwargs):
    raise OSError(28, "No space left on device")


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


BUILD_STEPS = ["require_valid", "write_tables", "copy_files", "write_database", "write_parquet", "metrics", "write_report",
               "write_manifest", "write_release", "_hash_file", "swap_in"]


@pytest.fixture
def private_tempdir(tmp_path, monkeypatch):
    """The system temporary directory, redirected to an empty directory of this test."""
    import tempfile

    directory = tmp_path / "systmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


FULL_DISK = "cannot write {}: the disk is full (No space left on device)"


@pytest.mark.parametrize("failure, raised", [(boom, AidealsError), (interrupt, KeyboardInterrupt)], ids=["oserror", "interrupt"])
@pytest.mark.parametrize("step", BUILD_STEPS)
def test_a_failure_in_any_step_leaves_the_previous_release_untouched(built, monkeypatch, private_tempdir, step, failure, raised):
    """A step that fails (here: on a full disk, whose error names no file) or is interrupted: the
    previous release is left whole, and the error names --out (not the temporary directory)."""
    pkg, out, before = built
    populate = None
    if step == "metrics":
        populate = failure
    else:
        monkeypatch.setattr(build, step, failure)
    with pytest.raises(raised) as exc:
        build.build(pkg, out, populate_metrics=populate)
    if raised is AidealsError:
        assert (str(exc.value), exc.value.exit_code) == (FULL_DISK.format(out), 2)
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg", "systmp"]  # no temporary directory left beside it
    assert list(private_tempdir.iterdir()) == []  # nor in the system's temporary directory


def interrupt_on_call(n: int):
    """A function that returns None n - 1 times, then raises KeyboardInterrupt."""
    calls = []

    def f(*args, **kwargs):
        calls.append(args)
        if len(calls) >= n:
            raise KeyboardInterrupt

    return f


@pytest.mark.parametrize("step", ["loading", "parquet", "report"])
def test_an_interrupt_inside_a_step_leaves_the_previous_release_untouched(built, monkeypatch, private_tempdir, step):
    """Interrupted half-way through a step: some tables loaded, some Parquet files or the page written."""
    from aideals import db, report

    pkg, out, before = built
    if step == "loading":
        real = db.copy_table
        stop = interrupt_on_call(3)
        monkeypatch.setattr(db, "copy_table", lambda *a: (stop(), real(*a)))
    elif step == "parquet":
        real_order = build._order_by
        stop = interrupt_on_call(3)
        monkeypatch.setattr(build, "_order_by", lambda *a: (stop(), real_order(*a))[1])
    else:
        monkeypatch.setattr(report.os, "chmod", interrupt)  # the page is written, not yet renamed
    with pytest.raises(KeyboardInterrupt):
        build.build(pkg, out)
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg", "systmp"]
    assert list(private_tempdir.iterdir()) == []


def build_failing_a_rename(built, monkeypatch, fails, error: BaseException) -> None:
    """Build with os.rename raising `error` when `fails(src)`; the previous release must be as it was."""
    pkg, out, before = built
    real_rename = os.rename

    def rename(src, dst):
        if fails(Path(src)):
            raise error
        real_rename(src, dst)

    monkeypatch.setattr(build.os, "rename", rename)
    with pytest.raises(AidealsError if isinstance(error, OSError) else type(error)) as exc:
        build.build(pkg, out)
    if isinstance(error, OSError):  # one line naming --out, not the temporary directory renamed
        assert str(exc.value) == f"cannot write {out}: {error.strerror}"
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]


@pytest.mark.parametrize("error", [OSError(13, "Permission denied"), KeyboardInterrupt()], ids=["oserror", "interrupt"])
def test_failing_to_rename_the_new_release_in_puts_the_old_one_back(built, monkeypatch, error):
    out = built[1]

    def fails(src: Path) -> bool:
        if src.name.startswith(".dist.tmp-"):
            assert not out.exists()  # the old release is aside at this moment
            return True
        return False

    build_failing_a_rename(built, monkeypatch, fails, error)


def test_a_failed_first_build_removes_the_directory_it_made_for_out(pkg, tmp_path, monkeypatch):
    """--out new/dist where new/ does not exist: the build makes new/ for its temporary directory;
    when the build fails, new/ goes too (it is empty: nothing was built)."""
    monkeypatch.setattr(build, "write_release", boom)
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, tmp_path / "new" / "dist")
    assert str(exc.value) == FULL_DISK.format(tmp_path / "new" / "dist")
    assert os.listdir(tmp_path) == ["pkg"]


def test_a_failed_build_removes_every_directory_it_made_for_out(pkg, tmp_path, monkeypatch):
    """--out a/b/dist with neither a/ nor a/b/: both go when the build fails (a/ was left behind)."""
    monkeypatch.setattr(build, "write_release", boom)
    with pytest.raises(AidealsError, match="the disk is full"):
        build.build(pkg, tmp_path / "a" / "b" / "dist")
    assert os.listdir(tmp_path) == ["pkg"]


def test_a_failed_build_keeps_an_empty_parent_of_out_that_was_there(pkg, tmp_path, monkeypatch):
    (tmp_path / "new").mkdir()
    monkeypatch.setattr(build, "write_release", boom)
    with pytest.raises(AidealsError, match="the disk is full"):
        build.build(pkg, tmp_path / "new" / "dist")
    assert sorted(os.listdir(tmp_path)) == ["new", "pkg"]
    assert os.listdir(tmp_path / "new") == []


def test_failing_to_move_the_old_release_aside_changes_nothing(built, monkeypatch):
    build_failing_a_rename(built, monkeypatch, lambda src: src == built[1], OSError(16, "Device or resource busy"))


def test_failing_to_delete_the_old_release_keeps_the_new_one_and_warns(built, monkeypatch):
    pkg, out, before = built
    (pkg.root / "data" / "parties.csv").write_bytes((pkg.root / "data" / "parties.csv").read_bytes() + b"delta,Delta,company,DE,,,,\n")
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if ".dist.old-" in str(path):
            raise OSError(13, "Permission denied")
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(build.shutil, "rmtree", rmtree)
    result = build.build(pkg, out)
    assert result.rows["parties"] == 4
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("the previous release was replaced but could not be deleted from ")
    assert result.warnings[0].endswith(": Permission denied")
    leftovers = [n for n in os.listdir(out.parent) if n.startswith(".dist.old-")]
    assert len(leftovers) == 1
    assert snapshot(out.parent / leftovers[0]) == before


@pytest.fixture
def built_with_releases(built):
    """`built`, with two release directories that `aideals release` made inside it, and one downloaded
    there (named like a version, no manifest)."""
    pkg, out, _ = built
    for version in ("0.1.0", "0.2.0"):
        (out / version).mkdir()
        (out / version / "release-manifest.json").write_text(f'{{"version": "{version}"}}\n', encoding="utf-8")
        (out / version / f"aideals-{version}.zip").write_bytes(f"zip of {version}".encode())
    (out / "9.9.9").mkdir()
    (out / "9.9.9" / "aideals-9.9.9-figures.parquet").write_bytes(b"downloaded")
    return pkg, out, snapshot(out)


RELEASE_DIR_FILES = ["0.1.0/aideals-0.1.0.zip", "0.1.0/release-manifest.json",
                     "0.2.0/aideals-0.2.0.zip", "0.2.0/release-manifest.json",
                     "9.9.9/aideals-9.9.9-figures.parquet"]


def test_a_build_keeps_the_release_directories_made_inside_it(built_with_releases):
    pkg, out, before = built_with_releases
    (pkg.root / "data" / "parties.csv").write_bytes((pkg.root / "data" / "parties.csv").read_bytes() + b"delta,Delta,company,DE,,,,\n")
    result = build.build(pkg, out)
    assert result.rows["parties"] == 4
    assert result.files == RELEASE_FILES  # what this build wrote; the releases are not in its list
    after = snapshot(out)
    assert sorted(after) == sorted(RELEASE_FILES + RELEASE_DIR_FILES)
    assert {f: after[f] for f in RELEASE_DIR_FILES} == {f: before[f] for f in RELEASE_DIR_FILES}
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]


def test_a_first_build_into_a_directory_holding_only_releases_keeps_them(pkg, tmp_path):
    """`aideals release` on a fresh checkout writes dist/X.Y.Z/ before any build made dist/."""
    out = tmp_path / "dist"
    (out / "0.1.0").mkdir(parents=True)
    (out / "0.1.0" / "release-manifest.json").write_text('{"version": "0.1.0"}\n', encoding="utf-8")
    build.build(pkg, out)
    assert sorted(snapshot(out)) == sorted(RELEASE_FILES + ["0.1.0/release-manifest.json"])
    shutil.rmtree(out / "parquet")
    (out / "aideals.duckdb").unlink()  # no longer a build: its descriptor and data alone are refused
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, out)
    assert str(exc.value) == (f"{out}: exists and is not an aideals build (no aideals.duckdb and datapackage.json); "
                              "nothing was changed: choose another --out, or move out of it what is not a build's")


def test_a_first_build_replaces_the_report_that_aideals_report_wrote_into_dist(pkg, capsys):
    """On a fresh clone `aideals report` (from the CSVs) writes dist/report.html; the first build
    then refused dist/ as "not an aideals release". The page is replaced by the build's own."""
    out = pkg.root / "dist"
    rc, _, err = run_cli(["report", "--package", str(pkg.root), "--built-at", "2026-11-23"], capsys)
    assert (rc, sorted(os.listdir(out))) == (0, ["report.html"]), err
    (out / "0.1.0").mkdir()  # and a release made before the first build
    (out / "0.1.0" / "release-manifest.json").write_text('{"version": "0.1.0"}\n', encoding="utf-8")
    rc, _, err = run_cli(["build", "--package", str(pkg.root)], capsys)
    assert (rc, err) == (0, no_metrics_warning(pkg.root))  # the small package has no plugins/
    assert sorted(snapshot(out)) == sorted(RELEASE_FILES + ["0.1.0/release-manifest.json"])


@pytest.mark.parametrize("content, why", [(b"my notes\n", "no aideals.duckdb and datapackage.json"),
                                          (None, "it holds 'report.html', which a build does not write")])
def test_a_report_html_that_is_not_a_page_is_still_refused(pkg, tmp_path, content, why):
    """Only a page (a regular file that starts as HTML) is taken for a report: a file of other
    content, or a symbolic link, named report.html is the user's."""
    out = tmp_path / "dist"
    out.mkdir()
    page = out / "report.html"
    if content is None:
        (tmp_path / "page.html").write_text("<!DOCTYPE html>\n<p>mine</p>\n", encoding="utf-8")
        page.symlink_to(tmp_path / "page.html")
    else:
        page.write_bytes(content)
    assert refused_as_not_a_build(pkg, out) == why
    assert os.listdir(out) == ["report.html"]


def test_a_build_keeps_a_release_directory_without_a_manifest(built):
    """A release a user downloaded into dist/X.Y.Z/ (the README's query examples read it there) has
    no release manifest; a build never writes a directory named like a version, so it keeps it, and
    replaces only what an earlier build wrote."""
    pkg, out, _ = built
    (out / "0.37.1").mkdir()
    (out / "0.37.1" / "aideals-0.37.1-figures.parquet").write_bytes(b"downloaded")
    build.build(pkg, out)
    assert sorted(snapshot(out)) == sorted(RELEASE_FILES + ["0.37.1/aideals-0.37.1-figures.parquet"])
    assert (out / "0.37.1" / "aideals-0.37.1-figures.parquet").read_bytes() == b"downloaded"


@pytest.mark.parametrize("target", ["a release", "nothing"])
def test_a_symbolic_link_named_like_a_release_is_refused_not_dropped(built, tmp_path, target):
    """Finding: dist/0.43.0 -> a release kept elsewhere was deleted with the old build, without a
    word. A build keeps release directories only (a link in a build is a mismatch to `aideals
    verify`), so it refuses, naming the link, and leaves it and what it names as they are."""
    pkg, out, _ = built
    elsewhere = tmp_path / "precious" / "0.43.0"
    if target == "a release":
        elsewhere.mkdir(parents=True)
        (elsewhere / "aideals-0.43.0.zip").write_bytes(b"zip of 0.43.0")
    (out / "0.43.0").symlink_to(elsewhere, target_is_directory=True)
    assert refused_as_not_a_build(pkg, out) == (
        "'0.43.0' is a symbolic link, and a build keeps only the release directories in it: put the release "
        "itself there, or move the link away")
    assert os.readlink(out / "0.43.0") == str(elsewhere)
    if target == "a release":
        assert snapshot(elsewhere) == {"aideals-0.43.0.zip": b"zip of 0.43.0"}
    (out / "0.43.0").unlink()  # the release itself in its place is kept by the build
    if target == "a release":
        shutil.copytree(elsewhere, out / "0.43.0")
    build.build(pkg, out)
    assert sorted(p.name for p in out.iterdir() if p.name[0].isdigit()) == (["0.43.0"] if target == "a release" else [])


@pytest.mark.parametrize("failure, raised", [(boom, AidealsError), (interrupt, KeyboardInterrupt)], ids=["oserror", "interrupt"])
@pytest.mark.parametrize("step", ["write_release", "carry_releases", "swap_in"])
def test_a_failed_build_leaves_the_release_directories_in_place(built_with_releases, monkeypatch, step, failure, raised):
    pkg, out, before = built_with_releases
    monkeypatch.setattr(build, step, failure)
    with pytest.raises(raised):
        build.build(pkg, out)
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]


@pytest.mark.parametrize("error", [OSError(13, "Permission denied"), KeyboardInterrupt()], ids=["oserror", "interrupt"])
@pytest.mark.parametrize("when", ["moving the second release", "renaming the build in"])
def test_an_interrupted_move_puts_every_release_back(built_with_releases, monkeypatch, error, when):
    out = built_with_releases[1]
    if when == "moving the second release":
        fails = lambda src: src == out / "0.2.0"  # noqa: E731
    else:
        fails = lambda src: src.name.startswith(".dist.tmp-")  # noqa: E731
    build_failing_a_rename(built_with_releases, monkeypatch, fails, error)


def test_a_second_build_into_the_same_directory_refuses_while_the_first_runs(built, capsys):
    """Two builds into one dist/ at once could delete the release directories the first is moving:
    the second refuses with one line, changing nothing; once the first is done, building works."""
    pkg, out, before = built
    lock = build.OutLock(out)
    assert sorted(os.listdir(out.parent)) == [".dist.lock", "dist", "pkg"]
    rc, stdout, stderr = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    assert (rc, stdout) == (2, "")
    assert stderr == (f"aideals: error: {out}: another aideals build or release is writing it now (it holds "
                      f"{out.parent / '.dist.lock'}); nothing was written, try again when it has finished\n")
    assert snapshot(out) == before
    lock.release()
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]
    build.build(pkg, out)
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]  # the build's lock is gone with it


GATED_METRIC = """import pathlib, time
from aideals import hookimpl
from aideals.metrics import Metric
HERE = pathlib.Path(__file__).parent


def wait(con):
    (HERE / "started").touch()
    deadline = time.monotonic() + 120
    while not (HERE / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return []


@hookimpl
def aideals_register_metrics():
    return [Metric(name="gated", title="T", description="D", unit="count", formula="F", function=wait)]
"""


def test_two_builds_at_once_keep_the_releases_in_dist(built, tmp_path):
    """Finding: a build started while another was replacing dist/ could delete dist/X.Y.Z/ (both
    exiting 0). Now the second one refuses while the first holds dist/, and the release is kept."""
    import subprocess
    import time

    pkg, out, _ = built
    (out / "0.1.0").mkdir()
    (out / "0.1.0" / "aideals-0.1.0.zip").write_bytes(b"a published release")
    gated = tmp_path / "gated"
    gated.mkdir()
    (gated / "gated_metric.py").write_text(GATED_METRIC)
    command = [*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "build", "--package", str(pkg.root), "--out", str(out)]
    first = subprocess.Popen([*command, "--plugins-dir", str(gated)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (gated / "started").exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (gated / "started").exists(), first.communicate()
        second = subprocess.run(command, capture_output=True, text=True)
    finally:
        (gated / "go").touch()
        stdout, stderr = first.communicate(timeout=120)
    assert (second.returncode, second.stdout) == (2, "")
    assert second.stderr == (f"aideals: error: {out}: another aideals build or release is writing it now (it holds "
                             f"{out.parent / '.dist.lock'}); nothing was written, try again when it has finished\n")
    assert first.returncode == 0, stderr
    assert (out / "0.1.0" / "aideals-0.1.0.zip").read_bytes() == b"a published release"
    assert sorted(os.listdir(out.parent)) == ["dist", "gated", "pkg"]


def test_a_lock_file_left_by_a_killed_build_blocks_nothing(built, tmp_path):
    """The kernel drops the lock of a process that died; its file is taken over, then removed."""
    pkg, out, _ = built
    (tmp_path / ".dist.lock").write_text("")
    build.build(pkg, out)
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]


def test_a_build_removes_what_a_killed_release_left_in_dist(built):
    """`aideals release` works in dist/.release-X.Y.Z-<random>/; killed, it leaves that behind. A
    build holds the lock (no release is running), so it replaces that directory with the old build."""
    pkg, out, _ = built
    (out / ".release-0.2.0-ab_c1234" / "build").mkdir(parents=True)
    build.build(pkg, out)
    assert sorted(snapshot(out)) == RELEASE_FILES
    assert sorted(os.listdir(out)) == sorted({f.split("/")[0] for f in RELEASE_FILES})


def test_a_successful_build_replaces_the_previous_release_completely(built):
    """Files of the build's own layout that this build does not write (a table or a schema the
    package no longer has) go with the previous build."""
    pkg, out, before = built
    (out / "parquet" / "retired.parquet").write_bytes(b"PAR1 of a table no longer built")
    (out / "schemas" / "retired.schema.json").write_text("{}\n")
    (pkg.root / "data" / "parties.csv").write_bytes((pkg.root / "data" / "parties.csv").read_bytes() + b"delta,Delta,company,DE,,,,\n")
    result = build.build(pkg, out)
    assert result.rows["parties"] == 4
    assert sorted(snapshot(out)) == RELEASE_FILES
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg"]


def test_build_refuses_to_replace_the_package_itself(pkg):
    with pytest.raises(AidealsError, match=r"refused as --out: it holds the package itself"):
        build.build(pkg, pkg.root)
    with pytest.raises(AidealsError, match=r"refused as --out: it holds the package itself"):
        build.build(pkg, pkg.root.parent)


@pytest.mark.parametrize("inside", ["data", "data/release", "schemas/x"])
def test_build_refuses_an_out_inside_the_folders_of_the_package_s_files(pkg, inside):
    """A build into data/ or schemas/ would write a release among the files it describes."""
    folder = inside.split("/")[0]
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, pkg.root / inside)
    assert str(exc.value) == (
        f"{pkg.root / inside}: refused as --out: it is inside {folder}/, which holds the package's files; "
        "use a directory such as dist/"
    )
    assert not (pkg.root / inside).exists() or inside == folder


def test_build_refuses_to_replace_a_directory_that_is_not_a_release(pkg, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, other)
    assert str(exc.value) == (
        f"{other}: exists and is not an aideals build (it holds 'keep.txt', which a build does not write); "
        "nothing was changed: choose another --out, or move out of it what is not a build's"
    )
    assert (other / "keep.txt").read_text() == "precious"


def refused_as_not_a_build(pkg, out: Path) -> str:
    """Build into `out`, which must be refused with nothing changed in or beside it; return why."""
    before = snapshot(out)
    beside = sorted(os.listdir(out.parent))
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, out)
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == beside
    message = str(exc.value)
    prefix, suffix = f"{out}: exists and is not an aideals build (", "); nothing was changed: choose another --out, or move out of it what is not a build's"
    assert message.startswith(prefix) and message.endswith(suffix), message
    return message.removeprefix(prefix).removesuffix(suffix)


def test_two_file_names_do_not_make_a_build(pkg, tmp_path):
    """A project folder holding files named aideals.duckdb and datapackage.json (empty, `{}`, or a
    build's own copied there) is not a build: the build refuses, naming what it would have deleted."""
    project = tmp_path / "myproject"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "thesis.md").write_text("my thesis\n")
    (project / "analysis.py").write_text("important\n")
    (project / "datapackage.json").write_text("{}\n")
    (project / "aideals.duckdb").touch()
    assert refused_as_not_a_build(pkg, project) == "it holds 'analysis.py' and 1 more, which a build does not write"
    shutil.rmtree(project / "notes")
    assert refused_as_not_a_build(pkg, project) == "it holds 'analysis.py', which a build does not write"
    (project / "analysis.py").unlink()
    assert refused_as_not_a_build(pkg, project) == "aideals.duckdb is not a DuckDB database"
    (project / "aideals.duckdb").unlink()
    duckdb.connect(str(project / "aideals.duckdb")).close()  # an empty DuckDB database
    assert refused_as_not_a_build(pkg, project) == (
        "datapackage.json does not list each data file with its sha256, as a build's does")


def rewrite_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("change, why", [
    (lambda out: (out / "analysis.py").write_text("x"), "it holds 'analysis.py', which a build does not write"),
    (lambda out: (out / "notes").mkdir(), "it holds 'notes/', which a build does not write"),
    (lambda out: (out / "parquet" / "notes.txt").write_text("x"), "it holds 'parquet/notes.txt', which a build does not write"),
    (lambda out: (out / "schemas" / "drafts").mkdir(), "it holds 'schemas/drafts/', which a build does not write"),
    (lambda out: (out / "data" / "mine.csv").write_text("a\n1\n"), "it holds 'data/mine.csv', which datapackage.json does not list"),
    (lambda out: (out / "report.html").unlink() or (out / "report.html").symlink_to(out.parent / "pkg" / "datapackage.json"),
     "it holds 'report.html', which a build does not write"),
    (lambda out: open(out / "data" / "deals.csv", "a").write("\n"),
     "data/deals.csv does not match the size and sha256 that datapackage.json records"),
    (lambda out: (out / "data" / "deals.csv").unlink(), "data/deals.csv is missing"),
    (lambda out: (out / "aideals.duckdb").write_text("my own notes"), "aideals.duckdb is not a DuckDB database"),
    (lambda out: rewrite_json(out / "datapackage.json", lambda d: d["resources"][0].pop("hash")),
     "datapackage.json does not list each data file with its sha256, as a build's does"),
    (lambda out: rewrite_json(out / "datapackage.json", lambda d: d["resources"][0].update(path="../pkg/data/deals.csv")),
     "datapackage.json does not list each data file with its sha256, as a build's does"),
    (lambda out: (out / "datapackage.json").write_text("{"),
     "datapackage.json does not list each data file with its sha256, as a build's does"),
], ids=["file", "folder", "file-in-parquet", "folder-in-schemas", "csv-in-data", "symlink", "edited-csv", "missing-csv",
        "not-duckdb", "no-hash", "path-outside", "broken-json"])
def test_a_build_with_anything_of_someone_else_in_it_is_refused(built, change, why):
    """A previous build is replaced only when it holds nothing but a build's files, as a build wrote them."""
    pkg, out, _ = built
    change(out)
    assert refused_as_not_a_build(pkg, out) == why


def test_a_file_manager_s_ds_store_does_not_stop_a_build(built):
    pkg, out, _ = built
    (out / ".DS_Store").write_bytes(b"Bud1")
    (out / "data" / ".DS_Store").write_bytes(b"Bud1")
    assert build.build(pkg, out).files == RELEASE_FILES
    assert sorted(snapshot(out)) == RELEASE_FILES


@pytest.mark.parametrize("target", ["a directory", "nothing"])
def test_build_refuses_an_out_that_is_a_symbolic_link(pkg, tmp_path, target):
    """A build replaces its --out: through a symbolic link it would replace the link, not the
    directory it names (a dangling link is refused too)."""
    real = tmp_path / "real"
    if target == "a directory":
        real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, link)
    assert str(exc.value) == f"{link}: is a symbolic link; a build replaces its --out, so give the directory itself"
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert sorted(os.listdir(tmp_path)) == (["link", "pkg", "real"] if target == "a directory" else ["link", "pkg"])
    assert not real.exists() or os.listdir(real) == []


def test_build_refuses_an_out_that_is_a_file(pkg, tmp_path):
    out = tmp_path / "dist"
    out.write_text("not a directory\n")
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, out)
    assert str(exc.value) == f"{out}: exists and is not a directory; remove it or choose another --out"
    assert out.read_text() == "not a directory\n"
    assert sorted(os.listdir(tmp_path)) == ["dist", "pkg"]


def test_build_summary_shows_each_warning_on_its_own_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = build.BuildResult(tmp_path / "dist", {"parties": 3, "figures": 1200}, ["package", "table-schema"], [],
                               warnings=["w1", "w2"])
    assert build.summary(result) == (
        "built dist/\n"
        "rows:\n"
        "  parties          3\n"
        "  figures      1,200\n"
        "checks passed: package, table-schema\n"
        "files: dist/aideals.duckdb, dist/parquet/*.parquet, dist/data/*.csv, dist/schemas/*.json, dist/datapackage.json, "
        "dist/report.html, dist/build-manifest.json\n"
        "warning: w1\n"
        "warning: w2\n"
        "query it:\n"
        "  duckdb dist/aideals.duckdb -c \"SELECT * FROM flows WHERE to_party = 'openai' ORDER BY value_high DESC\""
    )


def test_build_into_an_empty_existing_directory(pkg, tmp_path):
    (tmp_path / "dist").mkdir()
    assert build.build(pkg, tmp_path / "dist").files == RELEASE_FILES


# The command ----------------------------------------------------------------------------------


NO_METRICS_HERE = (
    "aideals: warning: no metric plugin found, so there are no metrics: the built-in ones are not part of "
    "the installed toolkit but modules of the aideals repository's plugins/ directory, and the package in . "
    "has no plugins/ (an unzipped release has none): run in a clone of the repository, or give --plugins-dir "
    "with a clone's plugins/\n"
)


def test_build_command_prints_the_summary(tmp_path, capsys, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.chdir(root)
    rc, out, err = run_cli(["build"], capsys)
    # a package without plugins/ (an unzipped release) has no metric: said, not left to `metrics 0`
    assert (rc, err) == (0, NO_METRICS_HERE)
    checks_run = ", ".join(checks.validate(package.load(root)).checks_run)
    assert out == (
        "built dist/\n"
        "rows:\n"
        "  parties          3\n"
        "  sources          2\n"
        "  deals            1\n"
        "  figures         10\n"
        "  metrics          0\n"
        f"checks passed: {checks_run}\n"
        "files: dist/aideals.duckdb, dist/parquet/*.parquet, dist/data/*.csv, dist/schemas/*.json, dist/datapackage.json, "
        "dist/report.html, dist/build-manifest.json\n"
        "query it:\n"
        "  duckdb dist/aideals.duckdb -c \"SELECT * FROM flows WHERE to_party = 'openai' ORDER BY value_high DESC\"\n"
    )
    assert sorted(snapshot(root / "dist")) == RELEASE_FILES


def test_build_command_writes_dist_in_the_package_root_from_a_subdirectory(tmp_path, capsys, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.chdir(root / "data")
    rc, out, _ = run_cli(["build"], capsys)
    assert (rc, out.splitlines()[0]) == (0, f"built {root / 'dist'}/")
    assert sorted(snapshot(root / "dist")) == RELEASE_FILES
    assert not (root / "data" / "dist").exists()


def test_build_command_shows_progress_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rc, out, err = run_cli(["build", "--package", str(root)], capsys)
    assert rc == 0
    assert "writing the tables into DuckDB…" in err
    assert "writing parquet/figures.parquet…" in err
    assert err.endswith("\r\x1b[K")  # the progress line is cleared before the summary
    # the one warning (the package has no metric plugin) is on a line of its own, the step's line cleared
    assert err.count("\n") == 1
    assert "computing the metrics…\r\x1b[K" + no_metrics_warning(root) + "\r\x1b[K[" in err


def test_build_command_takes_out_and_package(tmp_path, capsys, monkeypatch):
    make_package(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_cli(["build", "--package", "pkg/datapackage.json", "--out", "rel"], capsys)
    assert (rc, out.splitlines()[0]) == (0, "built rel/")
    assert sorted(snapshot(tmp_path / "rel")) == RELEASE_FILES


def test_build_summary_shows_an_out_outside_the_current_directory_as_absolute(tmp_path, capsys, monkeypatch):
    root = make_package(tmp_path / "pkg")
    monkeypatch.chdir(root)
    rc, out, _ = run_cli(["build", "--out", str(tmp_path / "rel")], capsys)
    assert (rc, out.splitlines()[0]) == (0, f"built {tmp_path / 'rel'}/")


def test_a_build_from_a_deleted_current_directory_succeeds_and_says_so(tmp_path, capsys, monkeypatch):
    """Finding: run from a directory deleted meanwhile, a build given absolute paths was made but
    reported as failed (`aideals: error: No such file or directory`, exit 2): its summary asked for
    the current directory. It names the paths in full; a command that needs the current
    directory to find the package says so."""
    root = make_package(tmp_path / "pkg")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(["build", "--package", str(root), "--out", str(out)], capsys)
    assert (rc, stdout.splitlines()[0], stdout.splitlines()[-1]) == (
        0, f"built {out}/",
        f"  duckdb {out}/aideals.duckdb -c \"SELECT * FROM flows WHERE to_party = 'openai' ORDER BY value_high DESC\"")
    assert f"the package in {root} has no plugins/" in stderr and stderr.count("\n") == 1
    assert sorted(snapshot(out)) == RELEASE_FILES
    assert run_cli(["validate"], capsys) == (
        2, "", "aideals: error: no datapackage.json found: the current directory no longer exists (use --package)\n")
    assert run_cli(["diff", "HEAD", "HEAD"], capsys) == (
        2, "", "aideals: error: HEAD: no such release path, and no datapackage.json in the current directory "
        "(which no longer exists) or a parent directory to read it as a git revision from (run inside the "
        "repository, or give --package DIR)\n")
    from aideals import release

    assert release._shown(out / "0.1.0") == f"{out}/0.1.0"


def test_build_help_has_an_example(capsys):
    rc, out, _ = run_cli(["build", "--help"], capsys)
    assert rc == 0
    assert "aideals build --out dist" in out
    assert "--package" in out and "--out" in out


def test_the_repository_package_builds(tmp_path):
    result = build.build(package.load(ROOT), tmp_path / "dist")
    # CSV records, not lines: a quote may span lines (a table's cells copied from a filing).
    with open(ROOT / "data/figures.csv", encoding="utf-8", newline="") as fh:
        records = sum(1 for _ in csv.reader(fh)) - 1
    assert result.rows["figures"] == records


def test_a_package_outside_git_builds_reports_and_cites_without_git_installed(tmp_path):
    """git only tells whether the package differs from the release its version names: with no
    git at all (an unzipped release on a bare machine), build, report and cite still work."""
    import subprocess

    from fixture_packages import make_package

    pkg = make_package(tmp_path / "pkg")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    version, year, title = descriptor["version"], descriptor["created"][:4], descriptor["title"]
    (tmp_path / "bin").mkdir()
    # AIDEALS_PLUGINS: no installed plugin joins in (a subprocess would see them), and none is found
    env = {**os.environ, "PATH": str(tmp_path / "bin"), "AIDEALS_PLUGINS": ""}
    none_loaded = ("aideals: warning: no metric plugin is loaded, so there are no metrics: AIDEALS_PLUGINS names "
                   "none that defines a metric (the built-in ones are the modules of the repository's plugins/ "
                   "directory)\n")

    def run(*args: str) -> tuple[str, str]:
        proc = subprocess.run([sys.executable, "-m", "aideals", *args, "--package", str(pkg)], capture_output=True,
                              text=True, env=env, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        return proc.stdout, proc.stderr

    out, err = run("build", "--out", str(tmp_path / "out"))
    assert (out.splitlines()[0], err) == ("built out/", none_loaded)  # --out, as seen from the current directory
    # the version as the descriptor names it: without git nothing says the data differ from it
    assert json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))["version"] == version
    assert run("report", "--out", str(tmp_path / "r.html")) == (
        f"wrote {tmp_path / 'r.html'} (release {version}, from the package in {pkg})\n", none_loaded)
    assert run("cite") == (
        f"aideals contributors. ({year}). {title} (Version {version}) [Data set]. Licence: CC-BY-4.0.\n", "")
    assert (tmp_path / "out" / "aideals.duckdb").is_file() and (tmp_path / "r.html").is_file()


def test_a_build_whose_out_cannot_be_made_leaves_no_level_it_made(pkg, tmp_path):
    """`--out a/b/<a name too long>/dist`: a/ and a/b/ are made, the next level fails; both go."""
    out = tmp_path / "a" / "b" / ("x" * 300) / "dist"
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, out)
    assert str(exc.value) == f"cannot write {out}: {out.parent}: File name too long"
    assert os.listdir(tmp_path) == ["pkg"]


def test_make_dirs_returns_only_the_levels_it_made_deepest_first(tmp_path):
    (tmp_path / "a").mkdir()
    assert build.make_dirs(tmp_path / "a" / "b" / "c") == [tmp_path / "a" / "b" / "c", tmp_path / "a" / "b"]
    assert build.make_dirs(tmp_path / "a" / "b") == []


@pytest.mark.parametrize("blocker", ["file", "dangling link"])
def test_a_file_where_outs_parent_should_be_is_named_in_the_error(pkg, tmp_path, blocker):
    """`--out f/dist` where f is a file: the error names f, not a hidden temporary directory under it."""
    if blocker == "file":
        (tmp_path / "f").write_text("x")
    else:
        (tmp_path / "f").symlink_to(tmp_path / "nowhere")
    with pytest.raises(AidealsError) as exc:
        build.build(pkg, tmp_path / "f" / "dist")
    assert str(exc.value) == f"cannot write {tmp_path / 'f' / 'dist'}: {tmp_path / 'f'}: File exists"


def _duckdb_disk_full(path: Path) -> duckdb.IOException:
    """DuckDB's error when a full disk stops the checkpoint of the release database it writes."""
    return duckdb.IOException(
        "IO Error: Detached database 'aideals_release', but CHECKPOINT during DETACH failed. \n"
        'Checkpoint failed for database "aideals_release". The database has been invalidated. Original error: '
        f'Could not write file "{path}": No space left on device')


@pytest.mark.parametrize("where", ["out", "spill"])
def test_a_full_disk_during_duckdb_s_writes_names_out_or_tmpdir(built, monkeypatch, capsys, private_tempdir, where):
    """A build on a full disk said `IO Error: Detached database 'aideals_release', but CHECKPOINT
    during DETACH failed.`, naming neither the disk nor --out. It names --out and the cause; when
    DuckDB's spill directory is what fills up, TMPDIR."""
    from aideals import db

    pkg, out, before = built
    if where == "out":
        def fail(con, pkg, path, storage_version):  # as DuckDB fails writing the hidden build directory
            raise _duckdb_disk_full(path)
        monkeypatch.setattr(db, "write_tables", fail)
        expected = f"cannot write {out}: the disk is full (No space left on device)"
    else:
        def fail(pkg, path, populate_metrics, progress, limits):
            raise _duckdb_disk_full(Path(limits["temp_directory"]) / "duckdb_temp_storage-0.tmp")
        monkeypatch.setattr(build, "write_database", fail)
        expected = f"cannot write the temporary directory {private_tempdir} (TMPDIR): the disk is full (No space left on device)"
    rc, stdout, err = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    assert (rc, stdout, err) == (2, "", f"aideals: error: {expected}\n")
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == ["dist", "pkg", "systmp"]


def test_a_duckdb_write_error_of_another_cause_names_out_not_the_hidden_directory(built, monkeypatch, capsys):
    from aideals import db

    pkg, out, before = built

    def fail(con, pkg, path, storage_version):
        raise duckdb.IOException(f'IO Error: Could not write file "{path}": Input/output error')

    monkeypatch.setattr(db, "write_tables", fail)
    rc, _, err = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    assert (rc, err) == (2, f'aideals: error: cannot write {out}: IO Error: Could not write file "{out}/aideals.duckdb": '
                            "Input/output error\n")
    assert snapshot(out) == before


def test_no_permission_to_write_beside_out_is_said_of_that_directory(pkg, tmp_path, monkeypatch, capsys):
    """As another user, `--out /tmp/ro/out` said `/tmp/ro/.out.tmp-24689-bfbd8ad2: Permission
    denied`, naming a hidden name. Here the refusal is injected where the build first writes beside
    --out (its lock file), as it is for any user."""
    out = tmp_path / "ro" / "out"
    out.parent.mkdir()
    real_open = os.open

    def no_permission(path, *args, **kwargs):
        if Path(path).parent == out.parent:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build.os, "open", no_permission)
    rc, _, err = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    assert (rc, err) == (2, f"aideals: error: cannot write {out}: no permission to write in {out.parent} (Permission denied)\n")
    assert os.listdir(out.parent) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root, whom a read-only directory does not stop from writing")
def test_a_read_only_directory_holding_out_is_named(pkg, tmp_path, capsys):
    out = tmp_path / "ro" / "out"
    out.parent.mkdir()
    out.parent.chmod(0o555)
    try:
        rc, _, err = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    finally:
        out.parent.chmod(0o755)
    assert (rc, err) == (2, f"aideals: error: cannot write {out}: no permission to write in {out.parent} (Permission denied)\n")
    assert os.listdir(out.parent) == []


@pytest.mark.parametrize("name", ["x" * 250, "é" * 127, "y" * 255], ids=["250", "254-bytes", "255"])
def test_an_out_whose_name_is_long_but_valid_is_built(pkg, tmp_path, name):
    """A valid name of 250 characters failed (`File name too long`) for the hidden names made
    beside it (its temporary directory, its lock), which are shortened to fit."""
    out = tmp_path / name
    result = build.build(pkg, out)
    assert result.files == sorted(RELEASE_FILES)
    assert sorted(os.listdir(tmp_path)) == sorted(["pkg", name])


def test_the_hidden_names_beside_a_long_out_fit_and_stay_apart():
    assert build.hidden_name("dist", ".lock") == ".dist.lock"
    long = build.hidden_name("a" * 300, ".lock")
    assert len(long.encode()) == 255 and long.startswith(".aaaa") and long.endswith(".lock")
    assert build.hidden_name("a" * 300, ".lock") == long  # every build of it takes the same lock
    assert build.hidden_name("a" * 299 + "b", ".lock") != long
    for suffix in (".tmp-1234-abcdef12", ".tmp-12345-abcdef12"):  # a pid of 4 or 5 digits: cut after é, never in it
        name = build.hidden_name("é" * 200, suffix)
        assert len(name.encode("utf-8")) in (254, 255) and name.startswith(".éé") and name.endswith(suffix)


def test_an_out_whose_path_is_not_utf8_is_refused_in_one_line(pkg, tmp_path, capsys):
    """A path with bytes that are not UTF-8 (`/tmp/bad\\xff\\xfename/dist2`) was an internal error
    (DuckDB's `cannot encode str as UTF-8`): one line showing the bytes, nothing made."""
    out = tmp_path / os.fsdecode(b"bad\xff\xfename") / "dist2"
    rc, _, err = run_cli(["build", "--package", str(pkg.root), "--out", str(out)], capsys)
    assert (rc, err) == (2, f"aideals: error: {tmp_path}/bad\\xff\\xfename/dist2: not a valid UTF-8 path, which DuckDB "
                            "cannot write a database to: choose another directory; nothing was written\n")
    assert os.listdir(tmp_path) == ["pkg"]
