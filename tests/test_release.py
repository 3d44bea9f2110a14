"""aideals release: each refusal writes nothing; a release commits, tags and writes verifiable artifacts."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from aideals import metadata
from aideals.errors import AidealsError
from conftest import AIDEALS_WITHOUT_INSTALLED_PLUGINS, ROOT, read_csv

PACKAGE_FILES = ("datapackage.json", "data", "schemas", "plugins", "CHANGELOG.md", "CITATION.cff", ".zenodo.json",
                 "README.md", ".gitignore")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Test", "GIT_AUTHOR_EMAIL": "release@example.org",
    "GIT_COMMITTER_NAME": "Release Test", "GIT_COMMITTER_EMAIL": "release@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def aideals(repo: Path, *args: str, toolkit: Path | None = None, env: dict[str, str] | None = None,
            installed_plugins: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m aideals` in `repo` (with the toolkit imported from `toolkit`/src when given,
    and `env` added to the environment); the plugins installed in the environment are hidden from
    it (a release lists those it leaves out), unless `installed_plugins`."""
    env = {**os.environ, **GIT_ENV, **(env or {})}
    if toolkit is not None:
        env["PYTHONPATH"] = str(toolkit / "src")
    command = [sys.executable, "-m", "aideals"] if installed_plugins else AIDEALS_WITHOUT_INSTALLED_PLUGINS
    return subprocess.run([*command, *args], cwd=repo, capture_output=True, text=True, env=env)


def set_changelog_section(repo: Path, heading: str) -> None:
    path = repo / "CHANGELOG.md"
    path.write_text(path.read_text(encoding="utf-8").replace("## [Unreleased]", heading, 1), encoding="utf-8")


def _copy(names: tuple[str, ...], source: Path, path: Path) -> None:
    for name in names:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        else:
            shutil.copyfile(src, path / name)


_snapshot: list[Path] = []  # the module's one copy of the repository's files (package_snapshot)


@pytest.fixture(scope="module", autouse=True)
def package_snapshot(tmp_path_factory):
    """One copy of this repository's package and toolkit, taken when the module starts, from which
    every repository of its tests is made: two releases compared byte for byte come from the same
    files even when the data is edited while the tests run."""
    snapshot = tmp_path_factory.mktemp("package-snapshot")
    _copy(PACKAGE_FILES + ("src", "pyproject.toml"), ROOT, snapshot)
    _snapshot.append(snapshot)
    yield snapshot
    _snapshot.remove(snapshot)


def make_repo(path: Path, changelog_heading: str | None = "## [0.1.0] - 2026-11-23", toolkit: bool = False) -> Path:
    """A git repository holding a copy of this repository's data package (and with `toolkit`, of the
    toolkit's source, at version 0.0.0), committed; copied from the module's snapshot of them."""
    source = _snapshot[-1]
    path.mkdir()
    _copy(PACKAGE_FILES + (("src", "pyproject.toml") if toolkit else ()), source, path)
    # the repository's own CHANGELOG has dated sections of real releases: start from its preamble
    # and an `Unreleased` section only, at line 8 as there
    preamble = (source / "CHANGELOG.md").read_text(encoding="utf-8").split("## [", 1)[0]
    (path / "CHANGELOG.md").write_text(preamble + "## [Unreleased]\n\n### Added\n- The seed data.\n", encoding="utf-8")
    if changelog_heading:
        set_changelog_section(path, changelog_heading)
    # the metadata as release 0.1.0 of 2026-11-23 left it, whatever this repository's last release is
    for update in metadata.release_updates(path, "0.1.0", date(2026, 11, 23)):
        if update.relpath != metadata.TOOLKIT_INIT:
            (path / update.relpath).write_text(update.new, encoding="utf-8")
    if toolkit:
        init = path / metadata.TOOLKIT_INIT
        init.write_text(metadata.set_toolkit_version(init.read_text(encoding="utf-8"), "0.0.0"), encoding="utf-8")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "Seed data")
    return path


def snapshot_state(repo: Path) -> tuple[str, str, str, list[str]]:
    """Everything a refused release must leave as it was."""
    return (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain", "--untracked-files=all"),
            git(repo, "tag", "--list"), sorted(p.name for p in repo.iterdir()))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def refuse(repo: Path, *args: str, exit_code: int = 2) -> str:
    before = snapshot_state(repo)
    proc = aideals(repo, "release", *args)
    assert proc.returncode == exit_code, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert snapshot_state(repo) == before
    assert proc.stderr.startswith("aideals: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr.removeprefix("aideals: error: ").rstrip("\n")


def test_a_version_that_is_not_semver_is_refused(repo: Path):
    assert refuse(repo, "0.2") == "'0.2' is not a semantic version (expected X.Y.Z, e.g. 0.2.0)"
    assert refuse(repo, "v0.2.0") == "'v0.2.0' is not a semantic version (expected X.Y.Z, e.g. 0.2.0)"


def test_a_dirty_work_tree_is_refused(repo: Path):
    with open(repo / "data" / "parties.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    (repo / "notes.txt").write_text("draft\n")
    assert refuse(repo, "0.1.0") == (
        "the working tree is not clean (data/parties.csv and 1 more): commit or stash first; nothing was written"
    )


def test_a_version_not_greater_than_the_last_tag_is_refused(repo: Path):
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    assert refuse(repo, "0.1.0") == "tag v0.1.0 already exists: a release is never made twice; nothing was written"
    assert refuse(repo, "0.0.9") == (
        "version 0.0.9 is not greater than the last release 0.1.0 (v0.1.0); nothing was written"
    )
    assert refuse(repo, "0.1.0-rc.1") == (
        "version 0.1.0-rc.1 is not greater than the last release 0.1.0 (v0.1.0); nothing was written"
    )


def test_a_release_without_its_changelog_section_is_refused(tmp_path: Path):
    repo = make_repo(tmp_path / "repo", changelog_heading=None)
    assert refuse(repo, "0.1.0") == (
        "CHANGELOG.md has no section `## [0.1.0] - YYYY-MM-DD`: rename `## [Unreleased]` or add one; nothing was written"
    )
    set_changelog_section(repo, "## [0.1.0]")
    git(repo, "commit", "-qam", "undated")
    assert refuse(repo, "0.1.0").startswith("CHANGELOG.md:8: the section of 0.1.0 needs a date")


def test_invalid_data_is_refused_with_its_finding(repo: Path):
    path = repo / "data" / "parties.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("openai,OpenAI,company,US", "openai,OpenAI,company,USA", 1),
                    encoding="utf-8")
    git(repo, "commit", "-qam", "break a country code")
    before = snapshot_state(repo)
    proc = aideals(repo, "release", "0.1.0")
    assert proc.returncode == 1 and proc.stdout == ""
    assert snapshot_state(repo) == before
    lines = proc.stderr.splitlines()
    assert lines[0] == ("aideals: error: the package is invalid (1 finding), nothing was written; "
                        "run `aideals validate` for the full report:")
    assert len(lines) == 2 and lines[1].startswith("  data/parties.csv:2: country: ")


def test_invalid_data_is_refused_with_its_first_findings_one_per_line(repo: Path):
    """As `aideals build` does: the first five findings, one per line, then how many more."""
    path = repo / "data" / "parties.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",US,", ",USA,"), encoding="utf-8")
    n = text.count(",US,")
    assert n > 6
    git(repo, "commit", "-qam", "break every US country code")
    proc = aideals(repo, "release", "0.1.0")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == (f"aideals: error: the package is invalid ({n} findings), nothing was written; "
                        "run `aideals validate` for the full report:")
    assert [line.split(": country: ")[0].split(":")[0] for line in lines[1:6]] == ["  data/parties.csv"] * 5
    assert lines[6:] == [f"  ... and {n - 5} more"]


def drop_person(repo: Path, sections: str) -> dict:
    """Commit an incompatible schema change (the parties' kind `person` removed, the data's persons
    made companies so that the package stays valid) and CHANGELOG `sections` above 0.1.0's; return
    the new parties schema."""
    schema_path = repo / "schemas" / "parties.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "kind")["constraints"]["enum"].remove("person")
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    parties_path = repo / "data" / "parties.csv"
    with parties_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    kind = rows[0].index("kind")
    for row in rows[1:]:
        row[kind] = "company" if row[kind] == "person" else row[kind]
    with parties_path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text(encoding="utf-8").replace(
        "## [0.1.0] - 2026-11-23", f"{sections}\n\n## [0.1.0] - 2026-11-23"), encoding="utf-8")
    git(repo, "commit", "-qam", "drop person")
    return schema


def test_an_incompatible_schema_change_needs_a_major_version(repo: Path):
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    drop_person(repo, "## [1.0.0] - 2026-12-02\n\n## [0.2.0] - 2026-12-01")
    assert refuse(repo, "0.2.0") == (
        "incompatible change since v0.1.0 (parties: kind: enum value removed: person): "
        "a MAJOR version is needed, e.g. 1.0.0; nothing was written"
    )
    proc = aideals(repo, "release", "1.0.0", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    # the schemas changed incompatibly: the plan does not say they are compatible
    assert proc.stdout == dry_run_plan("1.0.0", "release 1.0.0 dated 2026-12-02 (after v0.1.0)", CHECKS_PASSED,
                                       "datapackage.json, CITATION.cff, .zenodo.json")
    assert proc.stderr == ""


CHECKS_PASSED = ("checks passed: clean work tree, package, table-schema, row-rule, deal_not_dated_after_its_source,"
                 " deal_parties_appear_in_its_flows,"
                 " figure_not_dated_after_its_source, no_cycle_in_deal_part_of, no_cycle_in_party_parents,"
                 " undisclosed_party_in_one_deal, CHANGELOG section")


BUILTINS = ("circularity", "commitments_vs_revenue", "cost_per_gigawatt", "vendor_financing_ratio")
# What the dry run and the summary say of the plugins: the repository's four, each with its metric.
PLUGINS_HEADING = "plugins, whose metrics make the metrics table (recorded in release-manifest.json):"
BUILTIN_PLUGINS = "".join(f"  {name}: repository plugins/{name}.py; metrics: {name}\n" for name in BUILTINS)


def dry_run_plan(version: str, line: str, checks: str, updated: str, dist: str = "dist",
                 plugins: str = PLUGINS_HEADING + "\n" + BUILTIN_PLUGINS) -> str:
    """What `aideals release VERSION --dry-run` prints: `line` is the plan's first line, `updated`
    the files whose version and date it sets (empty: none), `plugins` its lines on the plugins."""
    return (
        "dry run: nothing written\n"
        f"{line}\n"
        f"{checks}\n"
        f"set version and date in: {updated or 'nothing (already set)'}\n"
        f"build into: {dist}/{version}/ (aideals-{version}.zip, aideals-{version}.duckdb, "
        f"aideals-{version}-<table>.parquet, release-manifest.json, SHA256SUMS)\n"
        f"{plugins}"
        f"commit: {'Release ' + version if updated else 'none needed'}\n"
        f"tag: v{version} (annotated)\n"
    )


def test_dry_run_shows_the_plan_and_writes_nothing(repo: Path):
    before = snapshot_state(repo)
    proc = aideals(repo, "release", "0.1.0", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "dry run: nothing written\n"
        "release 0.1.0 dated 2026-11-23 (the first release)\n"
        f"{CHECKS_PASSED}\n"
        "set version and date in: nothing (already set)\n"
        "build into: dist/0.1.0/ (aideals-0.1.0.zip, aideals-0.1.0.duckdb, aideals-0.1.0-<table>.parquet, "
        "release-manifest.json, SHA256SUMS)\n"
        "plugins, whose metrics make the metrics table (recorded in release-manifest.json):\n"
        "  circularity: repository plugins/circularity.py; metrics: circularity\n"
        "  commitments_vs_revenue: repository plugins/commitments_vs_revenue.py; metrics: commitments_vs_revenue\n"
        "  cost_per_gigawatt: repository plugins/cost_per_gigawatt.py; metrics: cost_per_gigawatt\n"
        "  vendor_financing_ratio: repository plugins/vendor_financing_ratio.py; metrics: vendor_financing_ratio\n"
        "commit: none needed\n"
        "tag: v0.1.0 (annotated)\n"
    )
    assert snapshot_state(repo) == before


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """Release 0.1.0 made twice, in two repositories holding the same package."""
    base = tmp_path_factory.mktemp("releases")
    first, second = make_repo(base / "first"), make_repo(base / "second")
    proc = aideals(first, "release", "0.1.0")
    assert proc.returncode == 0, proc.stderr
    proc2 = aideals(second, "release", "0.1.0")
    assert proc2.returncode == 0, proc2.stderr
    return first, second, proc


RELEASE_FILES = [
    "SHA256SUMS", "aideals-0.1.0-deals.parquet", "aideals-0.1.0-figures.parquet", "aideals-0.1.0-metrics.parquet",
    "aideals-0.1.0-parties.parquet", "aideals-0.1.0-sources.parquet", "aideals-0.1.0.duckdb", "aideals-0.1.0.zip",
    "release-manifest.json",
]


def test_a_release_of_the_toolkits_own_repository_versions_the_toolkit_too(tmp_path):
    """Data and toolkit share the repository: release X.Y.Z sets the toolkit's version to X.Y.Z in
    its commit, and the manifest names it when that toolkit is the one running."""
    repo = make_repo(tmp_path / "repo", toolkit=True)
    assert aideals(repo, "--version", toolkit=repo).stdout == "aideals, version 0.0.0\n"
    proc = aideals(repo, "release", "0.1.0", toolkit=repo)
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "status", "--porcelain") == ""
    # the data's metadata already names 0.1.0 (make_repo): the toolkit's version alone changes
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["src/aideals/__init__.py"]
    assert '__version__ = "0.1.0"\n' in git(repo, "show", "v0.1.0:src/aideals/__init__.py")
    assert "The toolkit's version (src/aideals/__init__.py) is 0.1.0 too." in git(repo, "log", "-1", "--format=%b")
    manifest = json.loads((repo / "dist" / "0.1.0" / "release-manifest.json").read_text())
    assert manifest["toolkit_version"] == "0.1.0"
    assert aideals(repo, "--version", toolkit=repo).stdout == "aideals, version 0.1.0\n"


def test_a_release_writes_its_files_tags_and_verifies(two_releases):
    repo, _, proc = two_releases
    out = repo / "dist" / "0.1.0"
    assert sorted(p.name for p in out.iterdir()) == RELEASE_FILES
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "tag", "--list") == "v0.1.0\n"
    assert git(repo, "cat-file", "-t", "v0.1.0") == "tag\n"  # annotated
    assert git(repo, "rev-parse", "v0.1.0^{commit}") == git(repo, "rev-parse", "HEAD")
    assert git(repo, "tag", "-l", "--format=%(contents)", "v0.1.0") == "aideals 0.1.0 (2026-11-23)\n\n"
    manifest = json.loads((out / "release-manifest.json").read_text())
    rows = manifest["row_counts"]
    assert proc.stdout == "\n".join([
        f"released 0.1.0 (2026-11-23), commit {git(repo, 'rev-parse', 'HEAD')[:12]}, tag v0.1.0",
        *[f"  {('dist/0.1.0/' + f['path']).ljust(40)}  {f['bytes']:>12,} bytes  sha256:{f['sha256'][:16]}…"
          for f in manifest["files"]],
        (f"rows: deals {rows['deals']:,}, figures {rows['figures']:,}, metrics {rows['metrics']:,}, "
         f"parties {rows['parties']:,}, sources {rows['sources']:,}"),
        PLUGINS_HEADING,  # each plugin with its metric's rows
        *[f"  {p['name']}: repository plugins/{p['name']}.py; metrics: {p['name']} ({p['metrics'][p['name']]:,} rows)"
          for p in manifest["plugins"]],
        "check it: aideals verify dist/0.1.0",
        "publish: git push origin v0.1.0 (and the commit), then upload dist/0.1.0/*",
    ]) + "\n"
    assert [f["path"] for f in manifest["files"]] == [n for n in RELEASE_FILES if n not in ("SHA256SUMS", "release-manifest.json")]
    assert proc.stderr == ""
    verified = aideals(repo, "verify", "dist/0.1.0")
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout == "dist/0.1.0: OK, 12 files match their recorded hashes and sizes\n"


def test_the_manifest_records_commit_files_rows_and_toolkit(two_releases, package_snapshot):
    import hashlib

    import jsonschema

    from aideals import __version__

    repo, _, _ = two_releases
    out = repo / "dist" / "0.1.0"
    manifest = json.loads((out / "release-manifest.json").read_text())
    schema = json.loads((ROOT / "schemas" / "release-manifest.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(manifest)
    assert (manifest["version"], manifest["date"], manifest["tag"]) == ("0.1.0", "2026-11-23", "v0.1.0")
    assert manifest["git_commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert manifest["toolkit_version"] == __version__
    expected_rows = {name: len(read_csv(package_snapshot / "data" / f"{name}.csv")) for name in ("deals", "figures", "parties", "sources")}
    import duckdb

    with duckdb.connect(str(out / "aideals-0.1.0.duckdb"), read_only=True) as con:
        metrics = con.execute("SELECT count(*) FROM metrics").fetchone()[0]
        by_plugin = con.execute("SELECT plugin, metric, count(*) FROM metrics GROUP BY ALL ORDER BY ALL").fetchall()
    assert metrics > 0
    assert manifest["row_counts"] == {**expected_rows, "metrics": metrics}
    # the plugins that made the metrics table: the repository's four, each with its metric's rows
    assert [(p, m) for p, m, _ in by_plugin] == [(name, name) for name in BUILTINS]
    assert manifest["plugins"] == [
        {"name": name, "origin": "repository", "location": f"plugins/{name}.py", "distribution": None, "version": None,
         "metrics": {name: n}, "checks": []}
        for name, _, n in by_plugin
    ]
    assert [f["path"] for f in manifest["files"]] == [n for n in RELEASE_FILES if n not in ("SHA256SUMS", "release-manifest.json")]
    for f in manifest["files"]:
        data = (out / f["path"]).read_bytes()
        assert (f["bytes"], f["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())


def test_the_zip_holds_the_hashed_package_with_fixed_timestamps(two_releases, package_snapshot):
    import zipfile

    repo, _, _ = two_releases
    with zipfile.ZipFile(repo / "dist" / "0.1.0" / "aideals-0.1.0.zip") as zf:
        names = zf.namelist()
        # the package, and beside it the repository's files that explain the archive
        assert names == [
            "CHANGELOG.md", "CITATION.cff", "README.md",
            "data/deals.csv", "data/figures.csv", "data/parties.csv", "data/sources.csv",
            "datapackage.json",
            "schemas/deals.rules.json", "schemas/deals.schema.json", "schemas/figures.rules.json",
            "schemas/figures.schema.json", "schemas/metric-result.schema.json", "schemas/parties.rules.json",
            "schemas/parties.schema.json", "schemas/release-manifest.schema.json", "schemas/sources.rules.json",
            "schemas/sources.schema.json",
        ]
        assert zf.read("CHANGELOG.md") == (repo / "CHANGELOG.md").read_bytes()
        assert {i.date_time for i in zf.infolist()} == {(2026, 11, 23, 0, 0, 0)}
        desc = json.loads(zf.read("datapackage.json"))
        assert desc["version"] == "0.1.0"
        assert all(r["hash"].startswith("sha256:") and r["bytes"] > 0 for r in desc["resources"])
        assert zf.read("data/figures.csv") == (package_snapshot / "data" / "figures.csv").read_bytes()


def test_two_builds_of_the_same_release_are_byte_identical(two_releases):
    first, second, _ = two_releases
    for name in RELEASE_FILES:
        if name.endswith((".zip", ".parquet")):
            assert (first / "dist/0.1.0" / name).read_bytes() == (second / "dist/0.1.0" / name).read_bytes(), name


def test_a_release_sets_version_and_date_commits_and_tags(tmp_path: Path):
    import yaml

    repo = make_repo(tmp_path / "repo")
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [0.1.0] - 2026-11-23",
                                                       "## [0.2.0] - 2026-12-01\n\n## [0.1.0] - 2026-11-23"))
    git(repo, "commit", "-qam", "Notes for 0.2.0")
    proc = aideals(repo, "release", "0.2.0", "--dist", str(tmp_path / "out"), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    # no schema changed since v0.1.0: the plan says they are compatible
    assert proc.stdout == dry_run_plan("0.2.0", "release 0.2.0 dated 2026-12-01 (after v0.1.0)",
                                       CHECKS_PASSED + ", schemas compatible",
                                       "datapackage.json, CITATION.cff, .zenodo.json", dist=str(tmp_path / "out"))
    proc = aideals(repo, "release", "0.2.0", "--dist", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((repo / "datapackage.json").read_text())["version"] == "0.2.0"
    assert json.loads((repo / "datapackage.json").read_text())["created"] == "2026-12-01T00:00:00Z"
    cff = yaml.safe_load((repo / "CITATION.cff").read_text())
    assert (cff["version"], cff["date-released"]) == ("0.2.0", "2026-12-01")
    zenodo = json.loads((repo / ".zenodo.json").read_text())
    assert (zenodo["version"], zenodo["publication_date"]) == ("0.2.0", "2026-12-01")
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 0.2.0"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [".zenodo.json", "CITATION.cff",
                                                                            "datapackage.json"]
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "tag", "--list").split() == ["v0.1.0", "v0.2.0"]
    assert (tmp_path / "out" / "0.2.0" / "aideals-0.2.0.zip").is_file()
    cited = aideals(repo, "cite", "--version", "0.2.0")
    title = json.loads((repo / "datapackage.json").read_text())["title"]
    assert (cited.stdout, cited.stderr) == (
        f"aideals contributors. (2026). {title} (Version 0.2.0) [Data set]. Licence: CC-BY-4.0.\n", "")
    # APA gives the year alone: the release's date is in the CFF citation of the tagged release
    cited = yaml.safe_load(aideals(repo, "cite", "--version", "0.2.0", "--format", "cff").stdout)
    assert (cited["version"], cited["date-released"]) == ("0.2.0", "2026-12-01")


def test_a_dist_directory_that_cannot_be_made_changes_nothing(repo: Path):
    """--dist under a file: the release's working directory cannot be made, which is found before
    any metadata file is written; one line, exit 2, the work tree as it was."""
    message = refuse(repo, "0.1.0", "--dist", str(repo / "README.md" / "sub"))
    # the release directory, and the file in the way
    assert message == f"cannot write {repo / 'README.md' / 'sub' / '0.1.0'}: {repo / 'README.md'}: File exists"


def test_a_major_release_after_its_prerelease_may_still_change_the_schemas(repo: Path):
    """MAJOR is counted from the last release that is not a pre-release: 0.1.0, then 1.0.0-rc.1,
    then an incompatible change: 1.0.0 is still the MAJOR step (not 2.0.0); 1.1.0 after 1.0.0 is not."""
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    git(repo, "tag", "-a", "v1.0.0-rc.1", "-m", "candidate")
    schema = drop_person(repo, "## [1.1.0] - 2026-12-03\n\n## [1.0.0] - 2026-12-02")
    schema_path = repo / "schemas" / "parties.schema.json"
    proc = aideals(repo, "release", "1.0.0", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == dry_run_plan("1.0.0", "release 1.0.0 dated 2026-12-02 (after v1.0.0-rc.1)", CHECKS_PASSED,
                                       "datapackage.json, CITATION.cff, .zenodo.json")
    git(repo, "tag", "-a", "v1.0.0", "-m", "one")
    schema["fields"][0]["constraints"]["maxLength"] = 60
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    git(repo, "commit", "-qam", "shorter ids")
    assert refuse(repo, "1.1.0") == (
        "incompatible change since v1.0.0 (parties: party_id: maxLength lowered to 60): "
        "a MAJOR version is needed, e.g. 2.0.0; nothing was written"
    )


def test_a_package_without_the_manifest_schema_is_refused_before_anything_is_written(repo: Path):
    git(repo, "rm", "-q", "schemas/release-manifest.schema.json")
    git(repo, "commit", "-qm", "no manifest schema")
    assert refuse(repo, "0.1.0") == ("schemas/release-manifest.schema.json: not found: a release checks its "
                                     "release-manifest.json against it; nothing was written")


def test_a_version_with_other_digits_than_ascii_is_not_a_version(repo: Path):
    assert refuse(repo, "1\u0660.0.0") == "'1\u0660.0.0' is not a semantic version (expected X.Y.Z, e.g. 0.2.0)"


def test_a_version_too_long_to_name_a_release_is_refused_in_one_line(repo: Path):
    """A version of 5,000 digits was an internal error (Python reads at most 4,300 digits): one
    line, showing its start. 200 characters is the most a release's file names and tag can hold."""
    assert refuse(repo, "0.1." + "9" * 5000, "--dry-run") == (
        f"{'0.1.' + '9' * 36!r}… (5,004 characters): too long for a version "
        "(at most 200 characters: it names the release's files and git tag)"
    )
    longest = "0.1.0-" + "a" * 194
    assert refuse(repo, longest, "--dry-run") == (
        f"CHANGELOG.md has no section `## [{longest}] - YYYY-MM-DD`: rename `## [Unreleased]` or add one; "
        "nothing was written"
    )


def test_git_not_installed_is_said_so(repo: Path, tmp_path: Path):
    env = {**os.environ, **GIT_ENV, "PATH": str(tmp_path / "empty")}
    proc = subprocess.run([sys.executable, "-m", "aideals", "release", "0.1.0", "--dry-run"], cwd=repo,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr == "aideals: error: git is not installed (it is needed to read revisions and tag releases)\n"


def test_a_release_output_not_ignored_by_git_does_not_block_the_next_release(tmp_path: Path):
    """dist/ is what releases write: the clean-tree check leaves it out, ignored or not; other
    untracked paths are named as they are (no git quoting of spaces or accents)."""
    repo = make_repo(tmp_path / "my repo")
    (repo / ".gitignore").write_text("__pycache__/\n")
    git(repo, "commit", "-qam", "dist/ not ignored")
    proc = aideals(repo, "release", "0.1.0")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "dist" / "0.1.0" / "SHA256SUMS").is_file()
    proc = aideals(repo, "release", "0.1.1", "--dry-run")
    assert proc.returncode == 2
    assert proc.stderr == ("aideals: error: CHANGELOG.md has no section `## [0.1.1] - YYYY-MM-DD`: rename "
                           "`## [Unreleased]` or add one; nothing was written\n")
    (repo / "note é.txt").write_text("x")
    assert refuse(repo, "0.1.1") == (
        "the working tree is not clean (note é.txt): commit or stash first; nothing was written")


def test_a_dist_that_holds_the_package_leaves_nothing_out_of_the_clean_tree_check(repo: Path):
    """`--dist ..` or `--dist .` would hold the package itself: an uncommitted change is refused,
    not left out as release output (the zip would hold a row the tagged commit does not)."""
    with open(repo / "data" / "parties.csv", "a", encoding="utf-8") as fh:
        fh.write("uncommitted,Uncommitted,company,US,,,,\n")
    for dist in ("..", "."):
        assert refuse(repo, "0.1.0", "--dist", dist) == (
            "the working tree is not clean (data/parties.csv): commit or stash first; nothing was written")


def test_a_release_refuses_while_a_build_or_release_writes_its_dist(repo: Path):
    """A build replacing dist/ moves dist/X.Y.Z/ around: a release into the same dist/ meanwhile
    refuses, with one line, before it changes any file (the lock file is left out of the clean-tree
    check, ignored by git or not)."""
    from aideals.build import OutLock

    (repo / ".gitignore").write_text("__pycache__/\n")
    git(repo, "commit", "-qam", "the lock file not ignored")
    lock = OutLock(repo / "dist")
    try:
        assert refuse(repo, "0.1.0") == (
            f"{repo / 'dist'}: another aideals build or release is writing it now (it holds {repo / '.dist.lock'}); "
            "nothing was written, try again when it has finished")
    finally:
        lock.release()
    proc = aideals(repo, "release", "0.1.0")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".dist")) == []


UNTRACKED_METRIC = """from aideals import hookimpl
from aideals.metrics import Metric


@hookimpl
def aideals_register_metrics():
    return [Metric(name="untracked", title="T", description="D", unit="count", formula="F",
                   sql="SELECT 'party' AS subject_type, party_id AS subject_id, 1.0 AS value, 'count' AS unit, "
                       "[]::VARCHAR[] AS figure_ids FROM parties")]
"""


@pytest.mark.parametrize("dist, folder", [("plugins", "plugins"), ("plugins/releases", "plugins"), ("data", "data"),
                                          ("schemas/x", "schemas")])
def test_a_dist_inside_what_the_release_reads_is_refused(repo: Path, dist: str, folder: str):
    """Finding: `release --dist plugins` left plugins/ out of the clean-tree check, so an untracked
    plugin computed part of the tagged release. A --dist inside the folders of the package's data,
    schemas or plugins (or the toolkit's code) is refused, dry run or not, before any other check."""
    (repo / "plugins" / "untracked_metric.py").write_text(UNTRACKED_METRIC, encoding="utf-8")
    message = (f"{dist}: refused as --dist: it is inside {folder}/, which holds files the release reads or runs; "
               "use a directory such as dist/; nothing was written")
    assert refuse(repo, "0.1.0", "--dist", dist) == message
    assert refuse(repo, "0.1.0", "--dist", dist, "--dry-run") == message
    assert refuse(repo, "0.1.0", "--dist", str(repo / dist)) == message.replace(dist, str(repo / dist), 1)
    assert not (repo / dist / "0.1.0").exists()


def test_a_dist_holding_the_toolkit_s_code_leaves_that_code_in_the_clean_tree_check(tmp_path: Path):
    """`--dist src` in the toolkit's own repository: what the release writes there (src/X.Y.Z/) is
    left out of the clean-tree check, the code the release runs (src/aideals/) is not; a --dist
    inside src/aideals/ is refused."""
    repo = make_repo(tmp_path / "repo", toolkit=True)
    (repo / "src" / "0.0.9").mkdir()
    (repo / "src" / "0.0.9" / "SHA256SUMS").write_text("an earlier release's\n")
    proc = aideals(repo, "release", "0.1.0", "--dist", "src", "--dry-run", toolkit=repo)
    assert proc.returncode == 0, proc.stderr
    (repo / "src" / "aideals" / "evil.py").write_text("print('not committed')\n")
    before = snapshot_state(repo)
    proc = aideals(repo, "release", "0.1.0", "--dist", "src", toolkit=repo)
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr == ("aideals: error: the working tree is not clean (src/aideals/evil.py): commit or stash first; "
                           "nothing was written\n")
    assert snapshot_state(repo) == before
    proc = aideals(repo, "release", "0.1.0", "--dist", "src/aideals", "--dry-run", toolkit=repo)
    assert (proc.returncode, proc.stderr) == (2, (
        "aideals: error: src/aideals: refused as --dist: it is inside src/aideals/, which holds files the release "
        "reads or runs; use a directory such as dist/; nothing was written\n"))


def repo_for_0_2_0(path: Path) -> Path:
    """A repository released as v0.1.0 whose CHANGELOG has a 0.2.0 section: releasing 0.2.0 commits."""
    repo = make_repo(path)
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [0.1.0] - 2026-11-23",
                                                       "## [0.2.0] - 2026-12-01\n\n## [0.1.0] - 2026-11-23"))
    git(repo, "commit", "-qam", "Notes for 0.2.0")
    return repo


# Ctrl-C to aideals (only: its pid is in the file), then git goes on for a while.
INTERRUPTING_HOOK = """#!/bin/sh
kill -INT "$(cat "$AIDEALS_PID_FILE")"
sleep 1
"""


@pytest.mark.parametrize("hook", ["pre-commit", "post-commit"])
def test_ctrl_c_during_the_release_commit_stops_with_the_commit_made_and_a_rerun_finishes(tmp_path: Path, hook: str):
    """Finding: Ctrl-C while `git commit` ran left the "Release X" commit with the work tree reverted
    to the old version (or, killed half-way, git's index.lock), so running the release again refused.
    Now git finishes its commit, the release stops there with the files as committed (exit 130), and
    running the same command again builds dist/0.2.0 and tags that commit."""
    repo = repo_for_0_2_0(tmp_path / "repo")
    hook_path = repo / ".git" / "hooks" / hook
    hook_path.write_text(INTERRUPTING_HOOK)
    hook_path.chmod(0o755)
    before = git(repo, "rev-parse", "HEAD").strip()
    pid_file = tmp_path / "pid"
    env = {**os.environ, **GIT_ENV, "AIDEALS_PID_FILE": str(pid_file)}
    proc = subprocess.run(["sh", "-c", f'echo $$ > "{pid_file}"; exec "$@" release 0.2.0', "sh",
                           *AIDEALS_WITHOUT_INSTALLED_PLUGINS], cwd=repo, capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "aideals: aborted\n")
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 0.2.0"
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert json.loads((repo / "datapackage.json").read_text())["version"] == "0.2.0"
    assert git(repo, "tag", "--list").split() == ["v0.1.0"]
    assert not (repo / ".git" / "index.lock").exists()
    assert not (repo / "dist").exists() and not (repo / ".dist.lock").exists()
    hook_path.unlink()
    commit = git(repo, "rev-parse", "HEAD").strip()
    proc = aideals(repo, "release", "0.2.0")
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == commit  # no second commit: the one made is tagged
    assert git(repo, "rev-parse", "v0.2.0^{commit}").strip() == commit
    assert aideals(repo, "verify", "dist/0.2.0").returncode == 0


@pytest.mark.parametrize("point", ["lock", "summary"], ids=["releasing-the-lock", "saying-the-summary"])
def test_ctrl_c_after_the_tag_is_dropped_and_the_release_is_said(tmp_path: Path, capsys, monkeypatch, point: str):
    """Finding: a Ctrl-C that landed after the tag (while the lock was released, or the summary
    made) exited 130 with no word of the tag and dist/X.Y.Z made, and a rerun then refused (the
    tag exists). The release is complete: the interrupt is dropped, the summary is printed, exit 0,
    and nothing is left behind (the lock, the working directory)."""
    import signal

    from cli_runner import run_cli

    from aideals import build, errors, release

    repo = repo_for_0_2_0(tmp_path / "repo")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo)
    target, name = (build.OutLock, "release") if point == "lock" else (release, "summary")
    real = getattr(target, name)

    def interrupted_then_real(*args, **kwargs):
        if git(repo, "tag", "--list", "v0.2.0").strip():  # Ctrl-C once the tag is made
            signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, interrupted_then_real)
    rc, out, err = run_cli(["release", "0.2.0"], capsys)
    assert (rc, err) == (0, "")
    assert out.startswith("released 0.2.0 (") and out.splitlines()[-1].startswith("publish: git push origin v0.2.0")
    assert not errors.signalled()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sorted(p.name for p in (repo / "dist").iterdir()) == ["0.2.0"]  # no .dist.lock, no .release-*
    assert aideals(repo, "verify", "dist/0.2.0").returncode == 0


def test_ctrl_c_during_the_tag_lets_the_release_complete(tmp_path: Path, monkeypatch):
    """Once git has made the tag the release is complete: an interrupt that arrived meanwhile waits
    for git and then ends nothing (an exit 130 would make a rerun fail: the tag exists)."""
    import signal

    from aideals import errors, gitrepo, release

    repo = repo_for_0_2_0(tmp_path / "repo")
    plan = release.check(repo, "0.2.0")
    real_run = gitrepo.run

    def run(root, *args, **kwargs):
        if args[:2] == ("tag", "-a"):
            signal.raise_signal(signal.SIGINT)  # Ctrl-C as git starts tagging
        return real_run(root, *args, **kwargs)

    monkeypatch.setattr(gitrepo, "run", run)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    try:
        result = release.make(plan)
    except KeyboardInterrupt:
        pytest.fail("the interrupt stopped a release whose tag git was making")
    assert not errors.signalled()  # dropped: later code (a test's metrics) is not told to stop
    assert git(repo, "rev-parse", "v0.2.0^{commit}").strip() == result.commit
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    assert (repo / "dist" / "0.2.0" / "SHA256SUMS").is_file()


def test_a_full_disk_after_the_release_commit_names_the_release_and_how_to_finish_it(tmp_path: Path, monkeypatch):
    """Writing dist/0.2.0 on a full disk, after the "Release 0.2.0" commit, said only
    `<dist>/.release-0.2.0-xxxx/build/aideals.duckdb: No space left on device`: one line naming the
    release directory, the disk, and the commit a rerun finishes from (as it then does)."""
    from aideals import release

    repo = repo_for_0_2_0(tmp_path / "repo")
    real_assemble = release.assemble

    def full_disk(build_dir, dest, **kwargs):
        raise OSError(28, "No space left on device", str(build_dir / "aideals.duckdb"))

    monkeypatch.setattr(release, "assemble", full_disk)
    with pytest.raises(AidealsError) as exc:
        release.make(release.check(repo, "0.2.0"))
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 0.2.0"
    assert str(exc.value) == (
        f"cannot write {repo / 'dist' / '0.2.0'}: the disk is full (No space left on device); the release commit "
        f"{commit[:12]} is made: run `aideals release 0.2.0` again to finish the release"
    )
    assert not (repo / "dist").exists()  # the directories it made for the release go with it
    monkeypatch.setattr(release, "assemble", real_assemble)
    result = release.make(release.check(repo, "0.2.0"))
    assert result.commit == commit and git(repo, "rev-parse", "v0.2.0^{commit}").strip() == commit


def test_a_version_file_that_cannot_be_written_whole_is_left_as_it_was(tmp_path: Path):
    """The release rewrites datapackage.json, CITATION.cff and .zenodo.json through a temporary
    file renamed over each: a write that fails half-way (here: the file size limit, as a full disk
    would) leaves the old file whole, where an in-place rewrite left it truncated."""
    import resource
    import signal

    import time

    repo = repo_for_0_2_0(tmp_path / "repo")
    time.sleep(1.1)  # git's index then holds no entry as new as itself: `git status` need not rewrite it
    before = snapshot_state(repo)
    files = {name: (repo / name).read_bytes() for name in ("datapackage.json", "CITATION.cff", ".zenodo.json")}
    limit = len(files["datapackage.json"]) - 100

    def small_files():  # in the child: files stop growing past the limit, with EFBIG rather than a signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "release", "0.2.0"], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}, preexec_fn=small_files)
    assert {name: (repo / name).read_bytes() for name in files} == files
    assert snapshot_state(repo) == before
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", f"aideals: error: {repo / 'datapackage.json'}: File too large\n")


def test_a_manifest_schema_that_is_not_a_json_schema_is_refused_before_the_commit(repo: Path):
    (repo / "schemas" / "release-manifest.schema.json").write_text('{"type": "objekt"}\n', encoding="utf-8")
    git(repo, "commit", "-qam", "a broken manifest schema")
    assert refuse(repo, "0.1.0").startswith(
        "schemas/release-manifest.schema.json: not a JSON Schema: type: 'objekt' is not valid under any of the given schemas")


def test_a_rename_inside_the_release_directory_does_not_block_the_release(tmp_path: Path):
    """git reports a rename as two entries (`R new`, then `old`): both are read as paths, so a
    rename within dist/ is release output and a rename elsewhere is named by its new path."""
    repo = make_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / "dist" / "old").mkdir(parents=True)
    (repo / "dist" / "old" / "NOTES.txt").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "dist tracked")
    (repo / "dist" / "old" / "NOTES.txt").rename(repo / "dist" / "old" / "README.txt")
    git(repo, "add", "-N", "dist/old/README.txt")
    proc = aideals(repo, "release", "0.1.0", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    git(repo, "mv", "CITATION.cff", "CITATION2.cff")
    assert refuse(repo, "0.1.0") == (
        "the working tree is not clean (CITATION2.cff): commit or stash first; nothing was written")


BROKEN_METRIC = '''from aideals import hookimpl
from aideals.metrics import Metric


@hookimpl
def aideals_register_metrics():
    return [Metric(name="broken", title="Broken", description="A metric whose SQL fails.", unit="count",
                   formula="none", sql="SELECT nope")]
'''


def test_a_failing_metric_stops_the_release_and_changes_nothing(tmp_path: Path):
    """Metrics run strictly in a release: a metric that fails is an error (exit 1), not a warning
    and a `metrics` table with a hole in it; the metadata files the release had set are restored,
    nothing is committed or tagged, and no dist/ is left behind."""
    repo = make_repo(tmp_path / "repo")
    git(repo, "tag", "-a", "v0.1.0", "-m", "first")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [0.1.0] - 2026-11-23",
                                                       "## [0.2.0] - 2026-12-01\n\n## [0.1.0] - 2026-11-23"))
    (repo / "plugins" / "broken_metric.py").write_text(BROKEN_METRIC, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Notes for 0.2.0 and a broken metric")
    assert not (repo / "dist").exists()
    before = snapshot_state(repo)
    metadata_files = {name: (repo / name).read_bytes() for name in ("datapackage.json", "CITATION.cff", ".zenodo.json")}
    proc = aideals(repo, "release", "0.2.0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == ""
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("aideals: error: 1 plugin problem(s), first: plugin broken_metric: metric broken: "), last
    # the problem is not called skipped: the release stops on it
    assert [line for line in proc.stderr.splitlines() if line.startswith("aideals: warning:")] == [
        "aideals: warning: " + last.split("first: ", 1)[1] + " (the release stops)"]
    assert '"nope"' in last  # DuckDB's own words follow: the column it could not find
    assert snapshot_state(repo) == before
    assert {name: (repo / name).read_bytes() for name in metadata_files} == metadata_files
    assert not (repo / "dist").exists()
    # a --dist two levels down that did not exist: neither level is left behind
    proc = aideals(repo, "release", "0.2.0", "--dist", str(tmp_path / "out" / "releases"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[-1] == last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    assert snapshot_state(repo) == before


def test_a_release_whose_working_directory_cannot_be_made_leaves_no_dist(repo: Path, tmp_path: Path, monkeypatch):
    """dist/ is made, then the working directory in it: if that fails, the dist/ made goes too."""
    import tempfile

    from aideals import release

    plan = release.check(repo, "0.1.0", dist=tmp_path / "out" / "releases")
    before = snapshot_state(repo)

    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        if not str(kwargs.get("prefix", "")).startswith(".release-"):
            return real_mkdtemp(*args, **kwargs)  # the validation's own temporary directories
        assert Path(kwargs["dir"]).is_dir()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(AidealsError) as exc:
        release.make(plan)
    assert str(exc.value) == f"cannot write {plan.out}: the disk is full (No space left on device)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    assert snapshot_state(repo) == before
    # an empty dist/ that was there before the release is not the release's to remove
    (tmp_path / "kept").mkdir()
    plan = release.check(repo, "0.1.0", dist=tmp_path / "kept")
    with pytest.raises(AidealsError, match="the disk is full"):
        release.make(plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "repo"]


EXAMPLE = ROOT / "plugins" / "examples" / "aideals-example-metric"
LEFT_OUT = ("left out: aideals-example-metric 0.1.0, installed (entry point aideals_example_metric): "
            "a release loads an installed plugin only when AIDEALS_PLUGINS names it\n")


def installed_example(site: Path) -> dict[str, str]:
    """README's example plugin as `pip install` leaves it, in `site`; the environment that sees it."""
    site.mkdir()
    shutil.copyfile(EXAMPLE / "aideals_example_metric.py", site / "aideals_example_metric.py")
    info = site / "aideals_example_metric-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aideals-example-metric\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[aideals]\nexample = aideals_example_metric\n")
    assert 'example = "aideals_example_metric"' in (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8")
    return {"PYTHONPATH": str(site)}


def test_an_installed_plugin_is_left_out_of_a_release_unless_named(tmp_path: Path, two_releases):
    """Installed where the release is made, README's example plugin does not change what the commit
    releases: the dry run and the summary say it is left out, and the metrics are byte for byte
    those of a release made where nothing is installed."""
    env = installed_example(tmp_path / "site")
    repo = make_repo(tmp_path / "repo")
    proc = aideals(repo, "release", "0.1.0", "--dry-run", env=env, installed_plugins=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == dry_run_plan("0.1.0", "release 0.1.0 dated 2026-11-23 (the first release)", CHECKS_PASSED, "",
                                       plugins=PLUGINS_HEADING + "\n" + BUILTIN_PLUGINS + LEFT_OUT)
    proc = aideals(repo, "release", "0.1.0", env=env, installed_plugins=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert LEFT_OUT + "check it: aideals verify dist/0.1.0\n" in proc.stdout
    manifest = json.loads((repo / "dist" / "0.1.0" / "release-manifest.json").read_text())
    assert [p["name"] for p in manifest["plugins"]] == list(BUILTINS)
    elsewhere = two_releases[0] / "dist" / "0.1.0"
    for name in ("aideals-0.1.0-metrics.parquet", "aideals-0.1.0.zip"):
        assert (repo / "dist" / "0.1.0" / name).read_bytes() == (elsewhere / name).read_bytes(), name


def test_an_installed_plugin_named_in_aideals_plugins_is_released_and_recorded(tmp_path: Path):
    import duckdb

    env = {**installed_example(tmp_path / "site"), "AIDEALS_PLUGINS": ",".join(BUILTINS) + ",aideals-example-metric"}
    repo = make_repo(tmp_path / "repo")
    installed = ("  aideals-example-metric: installed aideals-example-metric 0.1.0 (entry point aideals_example_metric); "
                 "metrics: deals_per_party")
    proc = aideals(repo, "release", "0.1.0", "--dry-run", env=env, installed_plugins=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == dry_run_plan("0.1.0", "release 0.1.0 dated 2026-11-23 (the first release)", CHECKS_PASSED, "",
                                       plugins=PLUGINS_HEADING + "\n" + installed + "\n" + BUILTIN_PLUGINS)
    proc = aideals(repo, "release", "0.1.0", env=env, installed_plugins=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    out = repo / "dist" / "0.1.0"
    with duckdb.connect(str(out / "aideals-0.1.0.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM metrics WHERE plugin = 'aideals-example-metric'").fetchone()[0]
    assert rows > 0
    manifest = json.loads((out / "release-manifest.json").read_text())
    assert manifest["plugins"][0] == {
        "name": "aideals-example-metric", "origin": "entry point", "location": "aideals_example_metric",
        "distribution": "aideals-example-metric", "version": "0.1.0", "metrics": {"deals_per_party": rows}, "checks": [],
    }
    assert [p["name"] for p in manifest["plugins"][1:]] == list(BUILTINS)
    assert sum(n for p in manifest["plugins"] for n in p["metrics"].values()) == manifest["row_counts"]["metrics"]
    assert f"{installed} ({rows:,} rows)\n" in proc.stdout
    verified = aideals(repo, "verify", "dist/0.1.0")
    assert (verified.returncode, verified.stdout) == (0, "dist/0.1.0: OK, 12 files match their recorded hashes and sizes\n")


def test_a_name_in_aideals_plugins_that_no_plugin_has_refuses_the_release_before_anything_is_written(repo: Path):
    before = snapshot_state(repo)
    proc = aideals(repo, "release", "0.1.0", env={"AIDEALS_PLUGINS": "circularity,circularty"})
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("aideals: error: AIDEALS_PLUGINS names 'circularty', but no plugin of that name was found; "
                           f"the plugins found: {', '.join(BUILTINS)}\n")
    assert snapshot_state(repo) == before


def test_a_release_that_runs_no_plugin_says_its_metrics_table_is_empty(repo: Path):
    env = {"AIDEALS_PLUGINS": ""}
    proc = aideals(repo, "release", "0.1.0", "--dry-run", env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == dry_run_plan("0.1.0", "release 0.1.0 dated 2026-11-23 (the first release)", CHECKS_PASSED, "",
                                       plugins="plugins: none, so the metrics table is empty\n")
    proc = aideals(repo, "release", "0.1.0", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ("aideals: warning: no metric plugin is loaded, so there are no metrics: AIDEALS_PLUGINS names "
                           "none that defines a metric (the built-in ones are the modules of the repository's plugins/ "
                           "directory)\n")
    assert "\nplugins: none, so the metrics table is empty\ncheck it: " in proc.stdout
    manifest = json.loads((repo / "dist" / "0.1.0" / "release-manifest.json").read_text())
    assert (manifest["plugins"], manifest["row_counts"]["metrics"]) == ([], 0)
