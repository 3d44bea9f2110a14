"""`aideals build` on every corpus case: a broken package is refused and the previous release is
left byte-identical; a valid variant (CRLF, BOM, quoted newlines) builds."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli
from conftest import no_metrics_warning

from aideals import build, package
from aideals.findings import Finding

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/expected.json"))


def expected(case: str) -> dict:
    return json.loads((CORPUS / case / "expected.json").read_text(encoding="utf-8"))


VALID = [c for c in CASES if expected(c).get("findings") == []]
BROKEN = [c for c in CASES if expected(c).get("findings")]
UNUSABLE = [c for c in CASES if "error" in expected(c)]
# Broken cases whose data cannot be read as a whole (a file missing, not UTF-8, not CSV): `aideals
# validate` exits 2 on them ("the package cannot be used"), and `build` refuses them with exit 2 too.
UNREADABLE = ["latin1-bytes", "missing-file", "mixed-line-endings", "unterminated-quote-after-ragged-row",
              "unterminated-quote-last-row"]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (names and bytes), and every directory name."""
    return {
        p.relative_to(directory).as_posix() + ("/" if p.is_dir() else ""): b"" if p.is_dir() else p.read_bytes()
        for p in sorted(directory.rglob("*"))
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A release of the corpus' valid base package, built once for the module."""
    out = tmp_path_factory.mktemp("baseline") / "dist"
    build.build(package.load(CORPUS / "valid-base"), out)
    return out


@pytest.fixture
def previous(baseline, tmp_path, shared_corpus_validation) -> tuple[Path, dict[str, bytes]]:
    """A copy of the baseline release in tmp_path/dist, and its snapshot. The validation of each
    case is shared with test_validate (which asserts its findings): it runs once per session."""
    out = tmp_path / "dist"
    shutil.copytree(baseline, out)
    return out, snapshot(out)


def refusal(findings: list[dict]) -> str:
    """What `aideals build` prints on stderr when it refuses a package with these findings."""
    n = len(findings)
    lines = [Finding(**f).line() for f in findings]
    text = (f"aideals: error: the package is invalid ({n} finding{'s' if n != 1 else ''}), nothing was built; "
            "run `aideals validate` for the full report:\n")
    text += "".join(f"  {line}\n" for line in lines[:build.SHOWN_FINDINGS])
    if n > build.SHOWN_FINDINGS:
        text += f"  ... and {n - build.SHOWN_FINDINGS} more\n"
    return text


# What issue 8 asks the corpus to hold, and the cases that hold it.
ISSUE_8 = {
    "wrong types": ["type-number", "type-date-format", "type-url-without-scheme"],
    "bad dates": ["type-bad-date"],
    "out-of-range percent": ["percent-over-100"],
    "enum typos": ["enum-typo"],
    "duplicate and missing primary keys": ["duplicate-primary-key", "missing-primary-key"],
    "dangling foreign keys, each direction": ["fk-figure-party", "fk-figure-deal", "fk-deal-party", "fk-deal-source",
                                              "fk-parent-dangling", "fk-deleted-party"],
    "parent cycles": ["parent-cycle", "own-parent"],
    "inverted ranges": ["range-inverted"],
    "units not fitting measures": ["unit-misfit"],
    "Latin-1 bytes": ["latin1-bytes"],
    "ragged rows": ["ragged-short-row", "ragged-long-row"],
    "extra and missing columns": ["extra-column", "missing-column"],
    "renamed headers": ["renamed-header"],
    "empty files": ["empty-file"],
    "huge fields": ["huge-field"],
    "quotes and newlines inside fields": ["valid-quoted-newline", "valid-quoted-quote", "quoted-newline-error-row"],
    "formula injection": ["formula-injection"],
    "missing resource file": ["missing-file"],
    "descriptor not JSON or breaking the profile": ["descriptor-not-json", "descriptor-not-object", "descriptor-no-resources",
                                                    "descriptor-resources-not-list", "descriptor-resource-without-name",
                                                    "descriptor-schema-missing"],
    "resource path outside the package": ["path-escapes-package", "path-absolute", "path-url"],
    "CRLF and UTF-8 BOM are valid": ["valid-crlf", "valid-bom"],
}


def test_the_corpus_holds_every_case_of_issue_8():
    missing = {what: [c for c in cases if c not in CASES] for what, cases in ISSUE_8.items()}
    assert {what: cases for what, cases in missing.items() if cases} == {}
    assert sorted(VALID + BROKEN + UNUSABLE) == CASES
    assert {"valid-crlf", "valid-bom", "valid-quoted-newline", "valid-quoted-quote"} <= set(VALID)
    assert {"path-escapes-package", "path-absolute", "path-url"} <= set(UNUSABLE)
    injection = expected("formula-injection")["findings"]
    assert [(f["check"], f["value"]) for f in injection] == [("formula-injection", '=HYPERLINK("http://x.invalid","click")')]
    controls = expected("control-character")["findings"]
    assert [(f["check"], f["value"]) for f in controls] == [("control-character", "Cloud \x1b]0;pwned\x07\x1b[2J\x1b[31marm of Acme.")]


def test_every_case_carries_the_repositorys_schemas():
    """Each case is the repository's package with one defect in its data or descriptor: its copies of
    the schemas are the repository's own (after a schema change, `python tests/corpus/make.py --bless`
    rewrites them, and fails if a finding moved)."""
    root = CORPUS.parent.parent / "schemas"
    stale = [
        str(copy.relative_to(CORPUS))
        for copy in sorted(CORPUS.glob("*/schemas/*.json"))
        if copy.read_bytes() != (root / copy.name).read_bytes()
    ]
    assert stale == []


@pytest.mark.parametrize("case", BROKEN)
def test_build_refuses_a_broken_case_and_leaves_the_previous_release(previous, capsys, case):
    out, before = previous
    rc, stdout, stderr = run_cli(["build", "--package", str(CORPUS / case), "--out", str(out)], capsys)
    assert (rc, stdout) == (2 if case in UNREADABLE else 1, ""), stderr
    assert stderr == refusal(expected(case)["findings"])
    assert snapshot(out) == before
    assert os.listdir(out.parent) == ["dist"]


@pytest.mark.parametrize("case", BROKEN)
def test_validate_exits_with_the_code_build_refuses_the_case_with(capsys, shared_corpus_validation, case):
    rc, stdout, _ = run_cli(["validate", "--package", str(CORPUS / case)], capsys)
    assert rc == (2 if case in UNREADABLE else 1), stdout


@pytest.mark.parametrize("case", UNUSABLE)
def test_build_refuses_an_unusable_descriptor_and_leaves_the_previous_release(previous, capsys, case):
    out, before = previous
    rc, stdout, stderr = run_cli(["build", "--package", str(CORPUS / case), "--out", str(out)], capsys)
    assert (rc, stdout) == (2, "")
    assert stderr == f"aideals: error: {expected(case)['error']}\n"
    assert snapshot(out) == before
    assert os.listdir(out.parent) == ["dist"]


@pytest.mark.parametrize("case", VALID)
def test_build_accepts_a_valid_variant_and_replaces_the_release(previous, capsys, case):
    out, before = previous
    rc, stdout, stderr = run_cli(["build", "--package", str(CORPUS / case), "--out", str(out)], capsys)
    assert (rc, stderr) == (0, no_metrics_warning(CORPUS / case))  # a case has no plugins/
    assert stdout.startswith(f"built {out}/\n")
    for name in package.RESOURCE_NAMES:  # the release holds the case's files, byte for byte
        assert (out / "data" / f"{name}.csv").read_bytes() == (CORPUS / case / "data" / f"{name}.csv").read_bytes()
    assert sorted(snapshot(out)) == sorted(before)
    assert os.listdir(out.parent) == ["dist"]
