"""A package that differs from the release its datapackage.json names is built and reported as X.Y.Z+unreleased."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from aideals.versioning import compare_with_release, shown_version, unreleased_changes
from cli_runner import run_cli
from conftest import GIT_ENV, no_metrics_warning
from fixture_packages import make_package



def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def descriptor(root: Path) -> dict:
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def released(tmp_path: Path) -> tuple[Path, str]:
    """A package committed in its own git repository and tagged with the version it names."""
    root = make_package(tmp_path / "pkg")
    version = descriptor(root)["version"]
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "release")
    git(root, "tag", f"v{version}")
    return root, version


def test_the_files_changed_since_the_tag_are_named(tmp_path: Path):
    root, version = released(tmp_path)
    assert unreleased_changes(root, descriptor(root)) is None
    assert shown_version(root, descriptor(root)) == (version, [])
    with open(root / "data" / "sources.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    (root / "schemas" / "deals.schema.json").write_text(
        (root / "schemas" / "deals.schema.json").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (root / "notes.txt").write_text("not part of the package\n", encoding="utf-8")
    assert unreleased_changes(root, descriptor(root)) == (
        f"v{version}", ["data/sources.csv", "schemas/deals.schema.json"])
    assert shown_version(root, descriptor(root)) == (
        f"{version}+unreleased", ["data/sources.csv", "schemas/deals.schema.json"])


def test_nothing_is_compared_outside_git_or_without_the_tag(tmp_path: Path):
    root = make_package(tmp_path / "pkg")
    assert unreleased_changes(root, descriptor(root)) is None  # not in a git work tree
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "not a release")
    with open(root / "data" / "sources.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert unreleased_changes(root, descriptor(root)) is None  # no tag of that version


def test_a_build_of_changed_data_is_labelled_unreleased(tmp_path: Path, capsys):
    root, version = released(tmp_path)
    rc, _, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "as-released")], capsys)
    assert (rc, err) == (0, no_metrics_warning(root))  # the package has no plugins/
    assert descriptor(tmp_path / "as-released")["version"] == version
    page = (tmp_path / "as-released" / "report.html").read_text(encoding="utf-8")
    assert f'<dd id="release-version">{version}</dd>' in page

    desc = descriptor(root)
    desc["description"] += " Changed."
    (root / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    rc, _, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "changed")], capsys)
    assert (rc, err) == (0, no_metrics_warning(root))
    assert descriptor(tmp_path / "changed")["version"] == f"{version}+unreleased"
    page = (tmp_path / "changed" / "report.html").read_text(encoding="utf-8")
    assert f'<dd id="release-version">{version}+unreleased</dd>' in page
    assert f"(Version {version}+unreleased) [Data set]" in page  # the citation, as `aideals cite` gives it
    rc, out, err = run_cli(["report", "--package", str(root), "--out", str(tmp_path / "r.html"), "--built-at", "2026-12-05"],
                           capsys)
    assert (rc, out, err) == (0, f"wrote {tmp_path / 'r.html'} (release {version}+unreleased, from the package in {root})\n",
                              no_metrics_warning(root, plugins_dir_option=False))


def untagged(tmp_path: Path) -> tuple[Path, str]:
    """The package committed in a git repository without tags (a clone made with --no-tags), its
    descriptor changed since: whether it is that release cannot be told."""
    root = make_package(tmp_path / "pkg")
    version = descriptor(root)["version"]
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the release, its tag not fetched")
    desc = descriptor(root)
    desc["description"] += " Changed."
    (root / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    return root, version


def untagged_warning(version: str) -> str:
    return (f"aideals: warning: this git repository has no release tags (a clone made without tags?), so changes "
            f"since release {version} (tag v{version}) cannot be detected and the version is shown as {version}; "
            "run `git fetch --tags`\n")


def test_a_clone_without_tags_is_told_apart_from_no_git_another_tag_and_no_change(tmp_path: Path):
    root, version = untagged(tmp_path)
    found = compare_with_release(root, descriptor(root))
    assert (found.tag, found.changed, found.tags_missing, found.shown) == (f"v{version}", [], True, version)
    assert found.warning() == untagged_warning(version)[len("aideals: warning: "):-1]
    outside = make_package(tmp_path / "outside")  # not in a git work tree: nothing to fetch, no warning
    assert compare_with_release(outside, descriptor(outside)).warning() is None
    # a package below the top of that tagless work tree (a fixture, an unzipped release): its
    # releases are not the repository's tags, nothing is said
    inner = make_package(root / "fixtures" / "pkg")
    git(root, "add", "fixtures")
    git(root, "commit", "-qm", "a fixture")
    found = compare_with_release(inner, descriptor(inner))
    assert (found.tag, found.changed, found.tags_missing, found.warning()) == (f"v{version}", [], False, None)
    assert compare_with_release(root, descriptor(root)).tags_missing is True
    # another release's tag but not this one (a version never tagged, a package inside another
    # project's repository): fetching tags would not help, nothing is said
    git(root, "tag", "v0.0.1")
    found = compare_with_release(root, descriptor(root))
    assert (found.changed, found.tags_missing, found.warning()) == ([], False, None)
    git(root, "tag", f"v{version}")
    found = compare_with_release(root, descriptor(root))
    assert (found.changed, found.tags_missing, found.warning()) == (["datapackage.json"], False, None)


def test_cite_in_a_clone_without_the_tag_warns_on_stderr_and_keeps_stdout(tmp_path: Path, capsys):
    root, version = untagged(tmp_path)
    outside = make_package(tmp_path / "outside")
    rc, expected, err = run_cli(["cite", "--package", str(outside)], capsys)
    assert (rc, err) == (0, "")
    rc, out, err = run_cli(["cite", "--package", str(root)], capsys)
    assert (rc, out, err) == (0, expected, untagged_warning(version))
    assert f"(Version {version}) [Data set]" in out


def test_a_release_looked_for_by_its_tag_in_a_clone_without_tags_says_to_fetch_them(tmp_path: Path, capsys):
    """`cite --version` and `diff vX.Y.Z` in a clone made without tags said only that the tag was
    not found, where build, cite and report say `git fetch --tags`: they say it too, and only
    there (a work tree with release tags, a package below the top, or a revision that is not a
    release's tag, get the plain message)."""
    root, version = untagged(tmp_path)
    hint = " (this clone has no release tags: run `git fetch --tags`)"
    rc, out, err = run_cli(["cite", "--package", str(root), "--version", version], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: --version {version}: no release {version}: tag v{version} not found{hint}\n")
    rc, out, err = run_cli(["diff", "--package", str(root), f"v{version}", "HEAD"], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: v{version}: no such release path or git revision{hint}\n")
    rc, out, err = run_cli(["diff", "--package", str(root), "mian", "HEAD"], capsys)  # a typo, not a tag
    assert (rc, out, err) == (2, "", "aideals: error: mian: no such release path or git revision\n")
    git(root, "tag", "v0.0.1")  # other release tags: fetching would not help
    rc, out, err = run_cli(["cite", "--package", str(root), "--version", version], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: --version {version}: no release {version}: tag v{version} not found\n")
    rc, out, err = run_cli(["diff", "--package", str(root), f"v{version}", "HEAD"], capsys)
    assert (rc, out, err) == (2, "", f"aideals: error: v{version}: no such release path or git revision\n")


def test_build_and_report_in_a_clone_without_the_tag_warn_on_stderr(tmp_path: Path, capsys):
    root, version = untagged(tmp_path)
    rc, out, err = run_cli(["build", "--package", str(root), "--out", str(tmp_path / "dist")], capsys)
    assert (rc, err) == (0, no_metrics_warning(root) + untagged_warning(version))
    assert out.startswith("built ") and "warning" not in out
    assert descriptor(tmp_path / "dist")["version"] == version
    rc, out, err = run_cli(["report", "--package", str(root), "--out", str(tmp_path / "r.html"), "--built-at", "2026-12-05"],
                           capsys)
    assert (rc, out) == (0, f"wrote {tmp_path / 'r.html'} (release {version}, from the package in {root})\n")
    assert err == untagged_warning(version) + no_metrics_warning(root, plugins_dir_option=False)
