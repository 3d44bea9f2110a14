"""Semantic versions, CHANGELOG release sections, metadata kept in step, and the versioning guard."""

from __future__ import annotations

import copy
import json
import re
from datetime import date

import pytest
import yaml

from aideals import compat, metadata, snapshot
from aideals.errors import AidealsError
from aideals.versioning import Version, changelog_release_date, versions_from_tags
from conftest import RELEASES, ROOT


@pytest.mark.parametrize("text", ["0.1.0", "1.0.0-rc.1", "2.3.4+build.5", "10.20.30"])
def test_semantic_versions_round_trip(text):
    assert str(Version.parse(text)) == text


@pytest.mark.parametrize("text", ["v0.1.0", "0.1", "01.0.0", "1.0.0.0", "1.0.0-", "", "latest"])
def test_what_is_not_a_semantic_version_is_refused(text):
    with pytest.raises(AidealsError, match="is not a semantic version"):
        Version.parse(text)


def test_versions_are_ordered_by_semver_precedence():
    order = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.1",
             "1.10.0"]
    parsed = [Version.parse(v) for v in order]
    assert sorted(reversed(parsed)) == parsed
    assert Version.parse("1.0.0+a").same_precedence(Version.parse("1.0.0+b"))


def test_release_tags_are_read_and_other_tags_ignored():
    assert [str(v) for v in versions_from_tags(["v0.10.0", "v0.2.0", "draft", "0.3.0", "v1.0"])] == ["0.2.0", "0.10.0"]


CHANGELOG = """# Changelog
## [Unreleased]
## [0.2.0] - 2026-12-01
### Added
## [0.1.0]
## [0.0.9] - 2026-02-30
"""


def test_changelog_release_sections_give_their_dates():
    assert changelog_release_date(CHANGELOG, "0.2.0") == date(2026, 12, 1)
    assert changelog_release_date(CHANGELOG, "0.3.0") is None
    with pytest.raises(AidealsError, match=r"CHANGELOG.md:5: the section of 0.1.0 needs a date"):
        changelog_release_date(CHANGELOG, "0.1.0")
    with pytest.raises(AidealsError, match="CHANGELOG.md:6: 2026-02-30 is not a valid date"):
        changelog_release_date(CHANGELOG, "0.0.9")


def test_release_sets_version_and_date_and_changes_nothing_else_in_the_descriptor():
    text = (ROOT / "datapackage.json").read_text("utf-8")
    current = json.loads(text)
    new = metadata.set_descriptor_release(text, "99.0.0", date(2099, 12, 1))
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines()) if a != b]
    assert changed == [
        (f'  "version": "{current["version"]}",', '  "version": "99.0.0",'),
        (f'  "created": "{current["created"]}",', '  "created": "2099-12-01T00:00:00Z",'),
    ]


def test_release_sets_version_and_date_in_citation_cff():
    text = (ROOT / "CITATION.cff").read_text("utf-8")
    current = yaml.safe_load(text)
    new = metadata.set_citation_release(text, "99.0.0", date(2099, 12, 1))
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines()) if a != b]
    assert changed == [
        (f'version: "{current["version"]}"', 'version: "99.0.0"'),
        (f'date-released: "{current["date-released"]}"', 'date-released: "2099-12-01"'),
    ]


def test_release_sets_the_toolkit_version_and_nothing_else():
    text = (ROOT / metadata.TOOLKIT_INIT).read_text("utf-8")
    current = re.search(r'^__version__ = "([^"]*)"$', text, flags=re.MULTILINE).group(1)
    new = metadata.set_toolkit_version(text, "99.0.0")
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines()) if a != b]
    assert changed == [(f'__version__ = "{current}"', '__version__ = "99.0.0"')]
    with pytest.raises(AidealsError, match=r"src/aideals/__init__.py: __version__: cannot find where to set it"):
        metadata.set_toolkit_version(text.replace("__version__ =", "VERSION ="), "99.0.0")


def test_zenodo_json_is_in_step_with_citation_cff_and_the_descriptor():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text("utf-8"))
    assert (ROOT / ".zenodo.json").read_text("utf-8") == metadata.zenodo_text((ROOT / "CITATION.cff").read_text("utf-8"))
    desc = json.loads((ROOT / "datapackage.json").read_text("utf-8"))
    assert zenodo["title"] == cff["title"] == desc["title"]
    assert zenodo["version"] == cff["version"] == desc["version"]
    assert zenodo["publication_date"] == cff["date-released"] == desc["created"][:10]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in cff["authors"]]
    assert zenodo["license"] == cff["license"].lower() == desc["licenses"][0]["name"].lower()
    assert zenodo["upload_type"] == "dataset"


# ---- the versioning guard


def field(name, type_="string", **constraints):
    f = {"name": name, "type": type_}
    if constraints:
        f["constraints"] = constraints
    return f


OLD = {"fields": [field("id", required=True), field("kind", enum=["a", "b"]), field("n", "integer"),
                  field("v", "number", minimum=0), field("note")], "primaryKey": ["id"]}


def lines(old, new):
    return [c.line() for c in compat.schema_changes("t", old, new)]


def test_widening_and_optional_additions_are_compatible():
    new = copy.deepcopy(OLD)
    new["fields"][1]["constraints"]["enum"].append("c")
    new["fields"][2]["type"] = "number"
    new["fields"][3]["constraints"]["minimum"] = -1
    new["fields"].append(field("extra"))
    assert lines(OLD, new) == []


def test_each_incompatible_schema_change_is_named():
    new = copy.deepcopy(OLD)
    new["fields"][1]["constraints"]["enum"] = ["a"]
    new["fields"][2]["type"] = "string"  # widening to string is fine
    new["fields"][3]["type"] = "integer"
    new["fields"][3]["constraints"]["minimum"] = 1
    del new["fields"][4]
    new["fields"].append(field("source", required=True))
    new["fields"].append(field("label", maxLength=10))
    assert lines(OLD, new) == [
        "t: kind: enum value removed: b",
        "t: v: type narrowed from number to integer",
        "t: v: minimum raised to 1",
        "t: note: field removed or renamed",
        "t: source: required field added",
    ]
    new2 = copy.deepcopy(OLD)
    new2["primaryKey"] = ["id", "kind"]
    new2["fields"][4]["constraints"] = {"required": True, "pattern": "[a-z]+"}
    assert lines(OLD, new2) == [
        "t: note: now required",
        "t: note: pattern changed to '[a-z]+'",
        "t: primary key changed from ['id'] to ['id', 'kind']",
    ]


def test_a_foreign_key_added_is_incompatible_and_one_removed_is_not():
    """An added foreign key refuses rows the old schema accepted (a dangling id): MAJOR. Pointed at
    another resource it is a new key too; removing one only loosens."""
    with_fk = copy.deepcopy(OLD)
    with_fk["foreignKeys"] = [{"fields": "kind", "reference": {"resource": "kinds", "fields": "kind_id"}}]
    assert lines(OLD, with_fk) == ["t: kind: foreign key added: references kinds(kind_id)"]
    assert lines(with_fk, OLD) == []
    assert lines(with_fk, copy.deepcopy(with_fk)) == []
    moved = copy.deepcopy(with_fk)
    moved["foreignKeys"] = [{"fields": ["kind"], "reference": {"resource": "", "fields": ["id"]}}]
    assert lines(with_fk, moved) == ["t: kind: foreign key added: references t(id)"]
    # on a field the old schema did not have, it refuses no row the old one accepted
    new_field = copy.deepcopy(OLD)
    new_field["fields"].append(field("lead"))
    new_field["foreignKeys"] = [{"fields": ["lead"], "reference": {"resource": "parties", "fields": ["party_id"]}}]
    assert lines(OLD, new_field) == []


def test_removed_ids_and_removed_resources_need_a_major_version(tmp_path):
    import shutil

    old = snapshot.from_directory(RELEASES / "v1")
    assert [c.line() for c in compat.incompatible_changes(old, snapshot.from_directory(RELEASES / "v2"))] == [
        "deals: deal_id: 1 published id removed: beta-gamma-2025",
        "figures: figure_id: 1 published id removed: beta-gamma-cost",
    ]
    pkg = tmp_path / "pkg"
    shutil.copytree(RELEASES / "v1", pkg)
    desc = json.loads((pkg / "datapackage.json").read_text())
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "deals"]
    (pkg / "datapackage.json").write_text(json.dumps(desc))
    assert [c.line() for c in compat.incompatible_changes(old, snapshot.from_directory(pkg))] == ["deals: resource removed"]
    assert compat.incompatible_changes(old, old) == []
