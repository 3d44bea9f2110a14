"""aideals diff: rows added, removed and changed by primary key, between releases or git revisions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from aideals import diff, release, snapshot
from conftest import GIT_ENV, RELEASES, ROOT, fake_build

V1, V2 = str(RELEASES / "v1"), str(RELEASES / "v2")

EXPECTED_TEXT = f"""diff {V1} -> {V2}
parties: 1 added, 0 removed, 1 changed
  + delta
  ~ acme
      name: "Acme Chips" → "Acme Chips Inc."
sources: 0 added, 0 removed, 0 changed
deals: 0 added, 1 removed, 0 changed
  - beta-gamma-2025
figures: 1 added, 1 removed, 1 changed
  + delta-beta-cash
  - beta-gamma-cost
  ~ acme-beta-amount
      value: "100000000000" → "90000000000"
      qualifier: "up_to" → "approximately"
      note: "" → "corrected"
"""

EXPECTED_MARKDOWN = """#### `parties`: 1 added, 0 removed, 1 changed
- Added: `delta`
- Changed `acme`: `name` `Acme Chips` → `Acme Chips Inc.`

#### `deals`: 0 added, 1 removed, 0 changed
- Removed: `beta-gamma-2025`

#### `figures`: 1 added, 1 removed, 1 changed
- Added: `delta-beta-cash`
- Removed: `beta-gamma-cost`
- Changed `acme-beta-amount`: `value` `100000000000` → `90000000000`; `qualifier` `up_to` → `approximately`; `note` (empty) → `corrected`
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aideals", *args], capture_output=True, text=True, cwd=cwd)


def test_text_diff_lists_rows_by_primary_key_with_old_and_new_values():
    proc = run("diff", V1, V2)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == EXPECTED_TEXT


def test_markdown_diff_is_ready_for_the_changelog():
    proc = run("diff", V1, V2, "--format", "markdown")
    assert proc.stdout == EXPECTED_MARKDOWN


def test_json_diff_has_every_change():
    data = json.loads(run("diff", V1, V2, "--format", "json").stdout)
    figures = next(t for t in data["tables"] if t["name"] == "figures")
    assert figures["key_fields"] == ["figure_id"]
    assert figures["added"] == ["delta-beta-cash"]
    assert figures["removed"] == ["beta-gamma-cost"]
    assert figures["changed"] == [{"key": "acme-beta-amount", "changes": [
        {"field": "value", "old": "100000000000", "new": "90000000000"},
        {"field": "qualifier", "old": "up_to", "new": "approximately"},
        {"field": "note", "old": "", "new": "corrected"},
    ]}]


def test_a_package_compared_with_itself_has_no_differences():
    assert run("diff", V1, V1, "--format", "markdown").stdout == "No changes to the data.\n"
    assert run("diff", V1, V1).stdout.endswith("figures: 0 added, 0 removed, 0 changed\nno differences\n")


def test_release_zips_and_release_directories_are_read_through_their_zip(tmp_path: Path):
    for name, version in (("v1", "1.0.0"), ("v2", "1.1.0")):
        build = fake_build(RELEASES / name, tmp_path / f"build-{name}")
        release.assemble(build, tmp_path / version, version=version, day=date(2025, 3, 1),
                         commit="0" * 40, toolkit_version="0.1.0")
    d = diff.diff_packages(snapshot.open_snapshot(str(tmp_path / "1.0.0")),
                           snapshot.open_snapshot(str(tmp_path / "1.1.0" / "aideals-1.1.0.zip")))
    assert diff.format_markdown(d) + "\n" == EXPECTED_MARKDOWN




def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def test_two_git_revisions_are_compared(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(RELEASES / "v1", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    git(repo, "tag", "v1.0.0")
    shutil.rmtree(repo / "data")
    shutil.copytree(RELEASES / "v2" / "data", repo / "data")
    git(repo, "commit", "-qam", "v2")
    proc = run("diff", "v1.0.0", "HEAD", "--format", "markdown", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == EXPECTED_MARKDOWN
    text = run("diff", "v1.0.0", "HEAD", cwd=repo).stdout
    assert text.splitlines()[0] == "diff git:v1.0.0 -> git:HEAD"


def test_an_unknown_revision_is_a_one_line_error(tmp_path: Path):
    proc = run("diff", "no-such-rev", V2, "--package", V1)
    assert proc.returncode == 2
    assert proc.stderr.startswith("aideals: error: ")
    assert proc.stderr.count("\n") == 1


def test_a_csv_that_is_not_utf8_is_an_error_naming_it(tmp_path):
    import pytest

    from aideals.errors import PackageError

    root = tmp_path / "pkg"
    root.mkdir()
    for name in ("datapackage.json", "data", "schemas"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, root / name)
    with open(root / "data" / "deals.csv", "ab") as fh:
        fh.write(b"caf\xe9\n")
    snap = snapshot.from_directory(root)
    offset = (root / "data" / "deals.csv").stat().st_size - 2
    with pytest.raises(PackageError) as exc:
        snap.rows("deals")
    assert str(exc.value) == f"{root}: data/deals.csv: not UTF-8 (byte 0xe9 at offset {offset})"


def schema_edited(root: Path, edit) -> Path:
    """A copy of release v1 at `root` whose figures Table Schema `edit(fields)` has changed."""
    shutil.copytree(RELEASES / "v1", root)
    path = root / "schemas" / "figures.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    edit(schema["fields"])
    path.write_text(json.dumps(schema), encoding="utf-8")
    return root


def test_schema_changes_are_listed_with_the_incompatible_ones_marked(tmp_path: Path):
    """A schema change is part of what changed between two releases: an enum value added (a new
    component a reader's code may not know), a type widened, a constraint loosened, a description
    reworded; one that needs a MAJOR version (an enum value removed, a pattern added) says so."""
    def package(name: str, edit) -> Path:
        return schema_edited(tmp_path / name, lambda fields: edit({f["name"]: f for f in fields}))

    def old(f):
        f["figure_id"]["constraints"] = {"required": True, "unique": True}
        f["flow"]["constraints"] = {"enum": ["cash", "equity", "chips"]}
        f["value"]["type"] = "integer"
        f["qualifier"]["constraints"] = {"enum": ["exact", "up_to", "approximately", "estimate"]}
        f["source_id"]["constraints"] = {"pattern": "^[a-z0-9-]+$"}
        f["quote"]["constraints"] = {"maxLength": 200}
        f["note"]["description"] = "A note."

    def new(f):
        f["value"]["type"] = "number"
        f["unit"]["constraints"] = {"pattern": "^[A-Z]+$"}
        f["qualifier"]["constraints"] = {"enum": ["exact", "up_to", "approximately", "range"]}
        f["quote"]["constraints"] = {"maxLength": 500}
        f["note"]["description"] = "A free note, in English."

    a, b = package("a", old), package("b", new)
    # A's figures refer to its sources; B drops that foreign key
    schema_path = a / "schemas" / "figures.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["foreignKeys"] = [{"fields": "source_id", "reference": {"resource": "sources", "fields": "source_id"}}]
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    d = diff.diff_packages(snapshot.open_snapshot(str(a)), snapshot.open_snapshot(str(b)))
    figures = next(t for t in d.tables if t.name == "figures")
    assert figures.schema == [
        "unit: pattern changed to '^[A-Z]+$' (incompatible)",
        "qualifier: enum value removed: estimate (incompatible)",
        "figure_id: no longer required",
        "figure_id: no longer unique",
        "flow: enum dropped (any value allowed)",
        "value: type widened from integer to number",
        "qualifier: enum value added: range",
        "source_id: pattern dropped",
        "quote: maxLength 200 → 500",
        "note: description changed",
        "foreign keys changed",
    ]
    assert (figures.added, figures.removed, figures.changed) == ([], [], [])
    assert [t.schema for t in d.tables if t.name != "figures"] == [[], [], []]
    text = diff.format_text(d).splitlines()
    assert text[text.index("figures: 0 added, 0 removed, 0 changed") + 1] == (
        "  schema: unit: pattern changed to '^[A-Z]+$' (incompatible)"
    )
    assert "no differences" not in text
    markdown = diff.format_markdown(d)
    assert markdown.startswith("#### `figures`: 0 added, 0 removed, 0 changed\n- Schema: unit: pattern changed")
    assert json.loads(diff.format_json(d))["tables"][3]["schema"] == figures.schema


def test_schemas_diff_cannot_read_are_one_line_errors_and_odd_bounds_a_change(tmp_path: Path):
    """`aideals diff` reads any two packages' schemas: one aideals could not read (a field without
    a name, a type it does not check, constraints that are not an object) is a one-line error
    naming the package, resource and field (exit 2), not a crash; a bound whose kind changed with
    its field's type (a date, then a number) is a change, marked as needing a MAJOR version."""
    def package(name: str, edit) -> Path:
        return schema_edited(tmp_path / name, edit)

    a = package("a", lambda fields: fields[7].update(type="date", constraints={"maximum": "2030-01-01"}))
    b = package("b", lambda fields: fields[7].update(constraints={"maximum": 100}))
    d = diff.diff_packages(snapshot.open_snapshot(str(a)), snapshot.open_snapshot(str(b)))
    assert next(t for t in d.tables if t.name == "figures").schema == [
        "value: type narrowed from date to number (incompatible)",
        "value: maximum lowered to 100 (incompatible)",
    ]
    for name, edit, message in (
        ("nameless", lambda fields: fields.__setitem__(3, {"type": "string"}),
         "figures: schema: fields: must be a list of objects with a name"),
        ("typed", lambda fields: fields[7].update(type="decimal"),
         "figures: schema: field 'value': type 'decimal' is not one aideals checks"),
        ("odd", lambda fields: fields[3].update(constraints="required"),
         "figures: schema: field 'from_party': constraints: must be an object"),
    ):
        bad = package(name, edit)
        proc = run("diff", str(b), str(bad))
        assert (proc.returncode, proc.stdout, proc.stderr.count("\n")) == (2, "", 1), name
        assert proc.stderr.startswith(f"aideals: error: {bad}: {message}"), proc.stderr


def test_a_field_removed_is_left_to_the_headers_and_a_required_field_added_is_marked():
    """A field gone from the schema is the CSV headers' `- field` line, not a schema line too; a
    new required field is a schema line needing a MAJOR version."""
    old = {"fields": [{"name": "a"}, {"name": "b", "constraints": {"required": True}}]}
    new = {"fields": [{"name": "a"}, {"name": "c", "constraints": {"required": True}}]}
    assert diff.schema_lines("t", old, new) == ["c: required field added (incompatible)"]


def test_a_named_descriptor_is_the_one_compared(tmp_path: Path):
    """`aideals diff A/other.json B` reads other.json, not the datapackage.json beside it."""
    pkg = tmp_path / "pkg"
    shutil.copytree(RELEASES / "v1", pkg)
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] == "parties"]
    (pkg / "parties-only.json").write_text(json.dumps(descriptor))
    proc = run("diff", str(pkg / "parties-only.json"), V2)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1:6] == ["parties: 1 added, 0 removed, 1 changed", "  + delta", "  ~ acme",
                          '      name: "Acme Chips" → "Acme Chips Inc."',
                          "sources (new table): 2 added, 0 removed, 0 changed"]


def test_a_damaged_release_zip_is_a_one_line_error(tmp_path: Path):
    from test_verify import corrupt_zip_entry

    build = fake_build(RELEASES / "v1", tmp_path / "build")
    release.assemble(build, tmp_path / "1.0.0", version="1.0.0", day=date(2025, 3, 1), commit="0" * 40,
                     toolkit_version="0.1.0")
    zpath = tmp_path / "1.0.0" / "aideals-1.0.0.zip"
    corrupt_zip_entry(zpath, "data/parties.csv")
    proc = run("diff", str(zpath), V2)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"aideals: error: {zpath}: data/parties.csv: cannot be read (a damaged zip?): "), proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_a_release_file_names_its_release_and_other_json_is_refused(tmp_path: Path):
    """`diff X/release-manifest.json Y/SHA256SUMS` compares the two releases (as verify reads
    them); a JSON file that is no package descriptor is a one-line error, not an empty package."""
    for name, version in (("v1", "1.0.0"), ("v2", "1.1.0")):
        build = fake_build(RELEASES / name, tmp_path / f"build-{name}")
        release.assemble(build, tmp_path / version, version=version, day=date(2025, 3, 1),
                         commit="0" * 40, toolkit_version="0.1.0")
    proc = run("diff", str(tmp_path / "1.0.0" / "release-manifest.json"), str(tmp_path / "1.1.0" / "SHA256SUMS"),
               "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == EXPECTED_MARKDOWN
    schema = ROOT / "schemas" / "deals.schema.json"
    proc = run("diff", str(schema), V2)
    assert proc.returncode == 2
    assert proc.stderr == f"aideals: error: {schema}: not a data package descriptor (no `resources` list)\n"


def with_parties(root: Path, extra: str) -> Path:
    """A copy of release v1 at `root` with `extra` appended to its parties.csv."""
    shutil.copytree(RELEASES / "v1", root)
    with open(root / "data" / "parties.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write(extra)
    return root


def test_a_duplicate_primary_key_is_refused_naming_its_line(tmp_path: Path):
    """Rows are matched by primary key: two rows with one key cannot be, whichever side has them."""
    import pytest

    from aideals.errors import PackageError

    dup = with_parties(tmp_path / "dup", "acme,Acme Again,company\n")
    for a, b in ((str(dup), V1), (V1, str(dup))):
        with pytest.raises(PackageError) as exc:
            diff.diff_packages(snapshot.open_snapshot(a), snapshot.open_snapshot(b))
        assert str(exc.value) == f"{dup}: parties:5: party_id: duplicate key 'acme'"


def test_a_descriptor_path_leaving_the_package_is_refused(tmp_path: Path):
    """A resource path `../outside.csv` would read a file beside the package: refused, never read."""
    import pytest

    from aideals.errors import PackageError

    pkg = tmp_path / "pkg"
    shutil.copytree(RELEASES / "v1", pkg)
    shutil.copyfile(pkg / "data" / "parties.csv", tmp_path / "outside.csv")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "parties")["path"] = "../outside.csv"
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(PackageError) as exc:
        snapshot.open_snapshot(str(pkg)).rows("parties")
    assert str(exc.value) == f"{pkg}: path '../outside.csv' is refused: it leaves the package directory"
    proc = run("diff", str(pkg), V1)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"aideals: error: {pkg}: path '../outside.csv' is refused: it leaves the package directory\n"


def test_a_zip_holding_the_package_in_one_top_folder_is_read(tmp_path: Path):
    """A release zipped with its folder (`aideals-1.0.0/datapackage.json`, as many zip tools make
    it) is the same package as the folder."""
    import zipfile

    zpath = tmp_path / "aideals-1.0.0.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for path in sorted((RELEASES / "v1").rglob("*")):
            if path.is_file():
                zf.write(path, "aideals-1.0.0/" + path.relative_to(RELEASES / "v1").as_posix())
    proc = run("diff", str(zpath), V1)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"diff {zpath} -> {V1}\n"
        "parties: 0 added, 0 removed, 0 changed\n"
        "sources: 0 added, 0 removed, 0 changed\n"
        "deals: 0 added, 0 removed, 0 changed\n"
        "figures: 0 added, 0 removed, 0 changed\n"
        "no differences\n"
    )
    assert diff.format_markdown(diff.diff_packages(snapshot.open_snapshot(str(zpath)),
                                                   snapshot.open_snapshot(V2))) + "\n" == EXPECTED_MARKDOWN


def test_foreign_keys_compare_as_compat_reads_them():
    """`"x"` and `["x"]` are one key (no change said); a key added that needs a MAJOR version is said
    once, as incompatible; one removed is a change."""
    from aideals.diff import schema_lines

    fields = [{"name": "id", "type": "string"}, {"name": "x", "type": "string"}]
    ref = {"resource": "parties", "fields": "party_id"}
    as_text = {"fields": fields, "foreignKeys": [{"fields": "x", "reference": ref}]}
    as_list = {"fields": fields, "foreignKeys": [{"fields": ["x"], "reference": {"resource": "parties", "fields": ["party_id"]}}]}
    bare = {"fields": fields}
    assert schema_lines("t", as_text, as_list) == []
    assert schema_lines("t", bare, as_text) == ["x: foreign key added: references parties(party_id) (incompatible)"]
    assert schema_lines("t", as_text, bare) == ["foreign keys changed"]


def test_two_keys_added_to_one_target_are_said_once_each():
    from aideals.diff import schema_lines

    fields = [{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]
    keys = [{"fields": [f], "reference": {"resource": "parties", "fields": ["id"]}} for f in ("a", "b")]
    assert schema_lines("t", {"fields": fields}, {"fields": fields, "foreignKeys": keys}) == [
        "a: foreign key added: references parties(id) (incompatible)",
        "b: foreign key added: references parties(id) (incompatible)",
    ]
    # a key on a field the old schema did not have is a change, not an incompatible one
    more = [*fields, {"name": "c", "type": "string"}]
    on_new = [{"fields": ["c"], "reference": {"resource": "parties", "fields": ["id"]}}]
    assert schema_lines("t", {"fields": fields}, {"fields": more, "foreignKeys": on_new}) == ["foreign keys changed"]


def test_a_revision_outside_any_package_says_how_to_name_the_repository(tmp_path: Path):
    """Outside a package (and its repository), `aideals diff v1.0.0 HEAD` cannot read git
    revisions: the error says so and names --package, not "no such file or directory"."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    proc = run("diff", "v0.43.0", "HEAD", cwd=outside)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"aideals: error: v0.43.0: no such release path, and no datapackage.json in {outside} or a parent "
        "directory to read it as a git revision from (run inside the repository, or give --package DIR)\n"
    )


def test_a_zip_entry_that_unpacks_past_the_limit_is_refused_unread(tmp_path: Path, monkeypatch):
    """A "zip bomb" (3 MB unpacking to gigabytes) made diff use 4 GB and fail with MemoryError: an
    entry larger than aideals reads is a one-line error, from its recorded size, before unpacking."""
    import zipfile

    from aideals import snapshot
    from aideals.errors import PackageError

    zpath = tmp_path / "big.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", '{"resources": []}')
        zf.writestr("data/deals.csv", "deal_id\n" + "x\n" * 5000)
    monkeypatch.setattr(snapshot, "MAX_ZIP_ENTRY_BYTES", 1000)
    snap = snapshot.from_zip(zpath)
    assert snap.read("datapackage.json") == b'{"resources": []}'
    with pytest.raises(PackageError) as exc:
        snap.read("data/deals.csv")
    assert str(exc.value) == f"{zpath}: data/deals.csv: unpacks to 10,008 bytes, more than aideals reads (1,000): not a release zip"
