"""aideals verify: every recorded hash and size is recomputed; each mismatch is reported."""

from __future__ import annotations

import os

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from aideals import release, verify
from aideals.errors import PackageError
from conftest import RELEASES, fake_build

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture()
def release_dir(tmp_path: Path) -> Path:
    build = fake_build(RELEASES / "v1", tmp_path / "build")
    out = tmp_path / "dist" / "1.0.0"
    release.assemble(build, out, version="1.0.0", day=date(2025, 3, 1), commit=COMMIT, toolkit_version="0.1.0")
    return out


def run_verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aideals", "verify", str(path)], capture_output=True, text=True)


def test_an_untouched_release_verifies(release_dir: Path):
    report = verify.verify(release_dir)
    assert report.mismatches == []
    # the 2 files SHA256SUMS lists, and the 4 resources inside the zip
    assert sorted(p.name for p in release_dir.iterdir()) == ["SHA256SUMS", "aideals-1.0.0.zip", "release-manifest.json"]
    assert report.files_checked == 2 + 4
    proc = run_verify(release_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{release_dir}: OK, 6 files match their recorded hashes and sizes\n"


def test_sha256sums_is_compatible_with_sha256sum(release_dir: Path):
    lines = (release_dir / "SHA256SUMS").read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == ["aideals-1.0.0.zip", "release-manifest.json"]
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((release_dir / name).read_bytes()).hexdigest() == digest


def tamper_zip_member(zpath: Path, member: str) -> None:
    with zipfile.ZipFile(zpath) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[member] = files[member].replace(b"Acme Chips", b"Acme Chipz")
    release.write_zip(zpath, files, date(2025, 3, 1))


def test_a_tampered_csv_in_the_zip_is_reported_with_its_hash(release_dir: Path):
    zpath = release_dir / "aideals-1.0.0.zip"
    old_zip_hash = hashlib.sha256(zpath.read_bytes()).hexdigest()
    with zipfile.ZipFile(zpath) as zf:
        old = hashlib.sha256(zf.read("data/parties.csv")).hexdigest()
    tamper_zip_member(zpath, "data/parties.csv")
    with zipfile.ZipFile(zpath) as zf:
        new = hashlib.sha256(zf.read("data/parties.csv")).hexdigest()
    new_zip_hash = hashlib.sha256(zpath.read_bytes()).hexdigest()
    proc = run_verify(release_dir)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"aideals-1.0.0.zip: sha256: expected {old_zip_hash}, got {new_zip_hash}",
        f"aideals-1.0.0.zip!data/parties.csv: sha256: expected {old}, got {new}",
    ]
    assert proc.stderr == f"{release_dir}: 2 mismatches in 6 files checked\n"


def test_a_zip_alone_is_checked_against_its_descriptor(release_dir: Path):
    zpath = release_dir / "aideals-1.0.0.zip"
    assert verify.verify(zpath).ok
    tamper_zip_member(zpath, "data/parties.csv")
    lines = [m.line() for m in verify.verify(zpath).mismatches]
    assert len(lines) == 1 and lines[0].startswith("data/parties.csv: sha256: expected ")


def test_a_changed_byte_count_and_a_missing_file_are_each_reported(tmp_path: Path):
    build = fake_build(RELEASES / "v1", tmp_path / "pkg")
    with open(build / "data" / "deals.csv", "a", encoding="utf-8") as fh:
        fh.write("extra-deal,Extra,acme,beta\n")
    (build / "data" / "sources.csv").unlink()
    report = verify.verify(build / "datapackage.json")
    checks = [(m.file, m.check) for m in report.mismatches]
    assert checks == [("data/sources.csv", "missing"), ("data/deals.csv", "sha256"), ("data/deals.csv", "bytes")]
    deals = [m for m in report.mismatches if m.check == "bytes"][0]
    assert int(deals.actual) - int(deals.expected) == len("extra-deal,Extra,acme,beta\n")
    assert report.mismatches[0].line() == "data/sources.csv: missing (listed in datapackage.json)"


def test_a_package_without_hashes_is_not_a_verifiable_release():
    report = verify.verify(RELEASES / "v1")
    assert [m.line() for m in report.mismatches][0] == "data/parties.csv: no hash or byte count recorded for it"
    assert len(report.mismatches) == 4


def sums_digest(release_dir: Path, name: str) -> str:
    """The sha256 SHA256SUMS records for `name`."""
    return next(line.split("  ")[0] for line in (release_dir / "SHA256SUMS").read_text().splitlines()
                if line.split("  ")[1] == name)


def test_an_extra_file_and_a_broken_manifest_are_reported(release_dir: Path):
    (release_dir / "notes.txt").write_text("not part of the release\n")
    recorded = sums_digest(release_dir, "release-manifest.json")
    manifest = json.loads((release_dir / "release-manifest.json").read_text())
    manifest["files"][0]["bytes"] += 1
    manifest["version"] = "one"
    (release_dir / "release-manifest.json").write_text(json.dumps(manifest))
    actual = hashlib.sha256((release_dir / "release-manifest.json").read_bytes()).hexdigest()
    size = (release_dir / "aideals-1.0.0.zip").stat().st_size
    # SHA256SUMS first (in its order, then the files it does not list), then the manifest: its
    # schema, then its files; notes.txt, unlisted in both, is said once
    assert [m.line() for m in verify.verify(release_dir).mismatches] == [
        f"release-manifest.json: sha256: expected {recorded}, got {actual}",
        "notes.txt: not listed in SHA256SUMS",
        ("release-manifest.json: version: 'one' does not match "
         "'^(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\\\+[0-9A-Za-z.-]+)?$'"),
        f"aideals-1.0.0.zip: bytes: expected {size + 1}, got {size}",
    ]


def test_a_wrong_sha256_in_the_manifest_alone_is_reported(release_dir: Path):
    """SHA256SUMS and the manifest are each checked: a manifest recording a wrong hash for a file
    whose SHA256SUMS line is right (the manifest's own line re-hashed) is one mismatch."""
    zpath = release_dir / "aideals-1.0.0.zip"
    manifest = json.loads((release_dir / "release-manifest.json").read_text())
    assert manifest["files"][0]["path"] == "aideals-1.0.0.zip"
    manifest["files"][0]["sha256"] = "0" * 64
    (release_dir / "release-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    new = hashlib.sha256((release_dir / "release-manifest.json").read_bytes()).hexdigest()
    sums = release_dir / "SHA256SUMS"
    sums.write_text(sums.read_text().replace(sums_digest(release_dir, "release-manifest.json"), new))
    report = verify.verify(release_dir)
    assert [m.line() for m in report.mismatches] == [
        f"aideals-1.0.0.zip: sha256: expected '{'0' * 64}', got {hashlib.sha256(zpath.read_bytes()).hexdigest()}"]
    assert report.files_checked == 6


def test_verify_of_a_path_that_is_not_a_release_is_a_one_line_error(tmp_path: Path):
    proc = run_verify(tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"aideals: error: {tmp_path}: not a release: no SHA256SUMS, release-manifest.json, build-manifest.json or datapackage.json in it\n"


def corrupt_zip_entry(zpath: Path, member: str) -> None:
    """Flip one byte of a member's compressed data in place (its stored CRC no longer matches)."""
    with zipfile.ZipFile(zpath) as zf:
        info = zf.getinfo(member)
    raw = bytearray(zpath.read_bytes())
    # local header: 30 bytes, then the name and the extra field, then the compressed data
    start = info.header_offset + 30 + int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little") \
        + int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    raw[start + info.compress_size // 2] ^= 0x01
    zpath.write_bytes(bytes(raw))


def test_a_damaged_zip_entry_is_a_mismatch_not_a_crash(release_dir: Path):
    zpath = release_dir / "aideals-1.0.0.zip"
    old_zip_hash = hashlib.sha256(zpath.read_bytes()).hexdigest()
    corrupt_zip_entry(zpath, "data/parties.csv")
    proc = run_verify(release_dir)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"aideals-1.0.0.zip: sha256: expected {old_zip_hash}, got {hashlib.sha256(zpath.read_bytes()).hexdigest()}"
    # a flipped bit in deflated data is either a bad CRC or a broken deflate stream
    assert len(lines) == 2 and lines[1].startswith("aideals-1.0.0.zip!data/parties.csv: cannot be read: "), lines
    assert ("Bad CRC-32 for file 'data/parties.csv'" in lines[1]) or ("Error -3 while decompressing data" in lines[1])
    assert proc.stderr == f"{release_dir}: 2 mismatches in 6 files checked\n"


def test_verify_of_a_named_descriptor_checks_that_descriptor(tmp_path: Path):
    build = fake_build(RELEASES / "v1", tmp_path / "pkg")
    descriptor = json.loads((build / "datapackage.json").read_text())
    descriptor["resources"][0]["bytes"] = 999
    (build / "release-2.json").write_text(json.dumps(descriptor))
    size = (build / descriptor["resources"][0]["path"]).stat().st_size
    assert [m.line() for m in verify.verify(build / "release-2.json").mismatches] == [
        f"{descriptor['resources'][0]['path']}: bytes: expected 999, got {size}"]
    assert verify.verify(build / "datapackage.json").ok


def test_verify_of_a_release_file_checks_its_release_directory(release_dir: Path):
    for name in ("release-manifest.json", "SHA256SUMS"):
        report = verify.verify(release_dir / name)
        assert report.ok and report.files_checked == 6, name
    (release_dir / "aideals-1.0.0.zip").write_bytes(b"")
    proc = run_verify(release_dir / "release-manifest.json")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"aideals: error: {release_dir / 'aideals-1.0.0.zip'}: not a readable zip file: ")


def test_a_file_missing_from_the_manifest_and_names_outside_the_release_are_reported(release_dir: Path):
    sums = release_dir / "SHA256SUMS"
    extra = release_dir / "extra.bin"
    extra.write_bytes(b"x")
    digest = hashlib.sha256(b"x").hexdigest()
    sums.write_text(sums.read_text() + f"{digest}  extra.bin\n{digest}  ../../etc/hostname\n{digest}  /etc/hostname\n")
    lines = [m.line() for m in verify.verify(release_dir).mismatches]
    assert lines == [
        "../../etc/hostname: listed in SHA256SUMS but not a path inside the release directory (not read)",
        "/etc/hostname: listed in SHA256SUMS but not a path inside the release directory (not read)",
        "extra.bin: not listed in release-manifest.json",
    ]


@pytest.mark.parametrize("text, message", [
    ("[]", "datapackage.json: must be a JSON object, not list"),
    ('{"resources": ["x"]}', "datapackage.json: resources[0] None: path must be one relative path"),
    ('{"resources": [{"name": "a", "path": "../a.csv", "bytes": 1}]}', None),
])
def test_malformed_descriptors_are_one_line_errors(tmp_path: Path, text: str, message: str | None):
    (tmp_path / "datapackage.json").write_text(text)
    proc = run_verify(tmp_path / "datapackage.json")
    if message is None:  # a path leaving the package is a mismatch, never read
        assert proc.returncode == 1
        assert proc.stdout == "../a.csv: listed in datapackage.json but not a path inside the release directory (not read)\n"
    else:
        assert proc.returncode == 2
        assert proc.stderr == f"aideals: error: {message}\n"


def test_a_byte_count_recorded_as_text_is_shown_quoted(tmp_path: Path):
    (tmp_path / "a.csv").write_text("x\n")
    (tmp_path / "datapackage.json").write_text('{"resources": [{"name": "a", "path": "a.csv", "bytes": "2"}]}')
    assert [m.line() for m in verify.verify(tmp_path).mismatches] == ["a.csv: bytes: expected '2', got 2"]


def test_sha256sums_that_is_not_utf8_is_a_one_line_error(release_dir: Path):
    sums = release_dir / "SHA256SUMS"
    sums.write_bytes(sums.read_bytes() + b"\xe9\n")
    proc = run_verify(release_dir)
    assert proc.returncode == 2
    assert proc.stderr == "aideals: error: SHA256SUMS:3: not UTF-8 text: b'\\xe9'\n"


def test_a_damaged_manifest_schema_in_the_zip_is_a_mismatch_not_a_crash(release_dir: Path):
    zpath = release_dir / "aideals-1.0.0.zip"
    with zipfile.ZipFile(zpath) as zf:
        assert "schemas/release-manifest.schema.json" in zf.namelist()
    corrupt_zip_entry(zpath, "schemas/release-manifest.schema.json")
    proc = run_verify(release_dir)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("aideals-1.0.0.zip: sha256: expected ")
    assert lines[1].startswith("aideals-1.0.0.zip!schemas/release-manifest.schema.json: cannot be read: ")
    assert len(lines) == 2


def test_a_manifest_schema_that_is_not_a_schema_is_a_mismatch(release_dir: Path):
    zpath = release_dir / "aideals-1.0.0.zip"
    with zipfile.ZipFile(zpath) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["schemas/release-manifest.schema.json"] = b'{"type": "objekt"}'
    release.write_zip(zpath, files, date(2025, 3, 1))
    lines = [m.line() for m in verify.verify(release_dir).mismatches]
    # the rewritten zip no longer matches SHA256SUMS and the manifest; the manifest is not checked
    schema_line = ("release-manifest.json: cannot be checked: schemas/release-manifest.schema.json in the zip "
                   "is not a JSON Schema: 'objekt' is not valid under any of the given schemas")
    assert schema_line in lines
    assert sorted(line.split(":")[1] for line in lines if line != schema_line) == [" bytes", " sha256"]
    assert all(line.startswith("aideals-1.0.0.zip: ") for line in lines if line != schema_line)


@pytest.mark.parametrize("form", ["bare md5", "upper-case hex", "upper-case algorithm"])
def test_hashes_verify_in_each_form_a_descriptor_may_write_them(tmp_path: Path, form: str):
    """Frictionless: a hash without an `algorithm:` prefix is MD5; the algorithm and the hex
    digits are read whatever their case."""
    data = b"party_id\nacme\n"
    (tmp_path / "a.csv").write_bytes(data)
    value = {
        "bare md5": hashlib.md5(data).hexdigest(),
        "upper-case hex": "sha256:" + hashlib.sha256(data).hexdigest().upper(),
        "upper-case algorithm": "SHA256:" + hashlib.sha256(data).hexdigest(),
    }[form]
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "a", "path": "a.csv", "bytes": len(data), "hash": value}]}))
    report = verify.verify(tmp_path)
    assert (report.mismatches, report.files_checked) == ([], 1)
    # and a wrong digest in the same form is still caught
    (tmp_path / "a.csv").write_bytes(data.replace(b"acme", b"acmf"))
    assert [m.check for m in verify.verify(tmp_path).mismatches] == ["md5" if form == "bare md5" else "sha256"]


def test_a_sha256sums_line_marking_binary_mode_verifies(release_dir: Path):
    """`sha256sum -b` writes `<hash> *<name>`: the `*` (binary mode) takes the second space's
    place and is not part of the file's name."""
    import subprocess

    sums = release_dir / "SHA256SUMS"
    names = [line[66:] for line in sums.read_text().splitlines()]
    binary = subprocess.run(["sha256sum", "-b", *names], cwd=release_dir, capture_output=True, text=True, check=True).stdout
    assert [line[64:66] for line in binary.splitlines()] == [" *"] * len(names)
    sums.write_text(binary)
    report = verify.verify(release_dir)
    assert (report.mismatches, report.files_checked) == ([], 6)


@pytest.mark.parametrize(
    "line",
    ["a" * 64 + " a.csv", "a" * 64 + "  ", "g" * 64 + "  a.csv", "a" * 63 + "  a.csv", "a" * 64 + "\ta.csv"],
)
def test_a_sha256sums_line_not_in_sha256sum_form_is_refused(release_dir: Path, line: str):
    (release_dir / "SHA256SUMS").write_text(line + "\n")
    with pytest.raises(PackageError) as exc:
        verify.verify(release_dir)
    assert str(exc.value) == f"SHA256SUMS:1: expected `<sha256>  <file>`, got {line!r}"


@pytest.mark.parametrize("path", ["https://x/a.csv", "C:/a.csv", "a\\b.csv", "/a.csv"])
def test_urls_drives_and_backslashes_are_outside_the_release(tmp_path: Path, path: str):
    """What package.safe_relpath refuses is never read: a URL, a Windows drive, a backslash."""
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [{"name": "a", "path": path, "bytes": 1}]}))
    report = verify.verify(tmp_path)
    assert [m.line() for m in report.mismatches] == [
        f"{path}: listed in datapackage.json but not a path inside the release directory (not read)"]
    assert report.files_checked == 1


def test_a_path_that_goes_up_and_back_in_stays_inside(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("x\n")
    digest = hashlib.sha256(b"x\n").hexdigest()
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "t", "path": "data/../data/t.csv", "bytes": 2, "hash": f"sha256:{digest}"}]}))
    report = verify.verify(tmp_path)
    assert report.ok and report.files_checked == 1


# Builds (`aideals build`'s dist/): build-manifest.json records every file -------------------------

BUILD_FILES = 22  # every file of a build of the small package but build-manifest.json (tests/test_build.py)


@pytest.fixture(scope="module")
def one_build(tmp_path_factory) -> Path:
    from aideals import build, package
    from fixture_packages import make_package

    root = make_package(tmp_path_factory.mktemp("verify-build") / "pkg")
    return build.build(package.load(root), root.parent / "dist").out


@pytest.fixture()
def dist(one_build: Path, tmp_path: Path) -> Path:
    """A copy of one build of the small package, for a test to damage."""
    import shutil

    return Path(shutil.copytree(one_build, tmp_path / "dist"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_verifies_every_file_it_wrote(dist: Path):
    manifest = json.loads((dist / "build-manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == BUILD_FILES
    proc = run_verify(dist)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"{dist}: OK, {BUILD_FILES} files match their recorded hashes and sizes\n"
    proc = run_verify(dist / "build-manifest.json")  # the manifest itself names its build
    assert (proc.returncode, proc.stdout) == (0, f"{dist / 'build-manifest.json'}: OK, {BUILD_FILES} files match "
                                                 "their recorded hashes and sizes\n")


def test_a_corrupted_database_parquet_file_or_page_of_a_build_is_reported(dist: Path):
    """The review's case: only the CSVs that datapackage.json hashes used to be checked."""
    recorded = {name: sha(dist / name) for name in ("aideals.duckdb", "parquet/figures.parquet", "report.html")}
    sizes = {name: (dist / name).stat().st_size for name in recorded}
    for name in recorded:
        with open(dist / name, "ab") as fh:
            fh.write(b"junk\n")
    (dist / "notes.txt").write_text("mine\n", encoding="utf-8")
    (dist / "schemas" / "parties.rules.json").unlink()
    proc = run_verify(dist)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"aideals.duckdb: sha256: expected {recorded['aideals.duckdb']}, got {sha(dist / 'aideals.duckdb')}",
        f"aideals.duckdb: bytes: expected {sizes['aideals.duckdb']}, got {sizes['aideals.duckdb'] + 5}",
        f"parquet/figures.parquet: sha256: expected {recorded['parquet/figures.parquet']}, "
        f"got {sha(dist / 'parquet/figures.parquet')}",
        f"parquet/figures.parquet: bytes: expected {sizes['parquet/figures.parquet']}, "
        f"got {sizes['parquet/figures.parquet'] + 5}",
        f"report.html: sha256: expected {recorded['report.html']}, got {sha(dist / 'report.html')}",
        f"report.html: bytes: expected {sizes['report.html']}, got {sizes['report.html'] + 5}",
        "schemas/parties.rules.json: missing (listed in build-manifest.json)",
        "notes.txt: not listed in build-manifest.json",
    ]
    assert proc.stderr == f"{dist}: 8 mismatches in {BUILD_FILES} files checked\n"


def test_the_releases_kept_in_a_build_are_not_part_of_it(dist: Path, tmp_path: Path):
    # `aideals build` keeps the release directories dist/X.Y.Z/ in it: each is verified on its own
    release.assemble(fake_build(RELEASES / "v1", tmp_path / "v1-build"), dist / "1.0.0", version="1.0.0",
                     day=date(2025, 3, 1), commit=COMMIT, toolkit_version="0.1.0")
    assert run_verify(dist / "1.0.0").returncode == 0
    proc = run_verify(dist)
    assert (proc.returncode, proc.stdout) == (0, f"{dist}: OK, {BUILD_FILES} files match their recorded hashes and sizes\n")


@pytest.mark.parametrize("text, message", [
    ("{", "cannot read: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ('{"version": "1.0.0"}', "files: must be a list of {path, bytes, sha256}"),
    ('{"files": [{"bytes": 3}]}', "files[0]: must be an object with a path, bytes and sha256"),
])
def test_a_broken_build_manifest_is_a_one_line_error(dist: Path, text: str, message: str):
    (dist / "build-manifest.json").write_text(text, encoding="utf-8")
    proc = run_verify(dist)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"aideals: error: {dist / 'build-manifest.json'}: {message}\n"


def test_an_older_build_without_a_manifest_is_checked_by_its_descriptor_saying_what_was_not(dist: Path):
    (dist / "build-manifest.json").unlink()
    proc = run_verify(dist)
    assert (proc.returncode, proc.stdout) == (0, f"{dist}: OK, 4 files match their recorded hashes and sizes\n")
    assert proc.stderr == (
        f"aideals: warning: {dist}: 18 files not checked, as nothing records their size and hash (aideals.duckdb, "
        "datapackage.json, parquet/deals.parquet and 15 more): a build made before build-manifest.json; "
        "run `aideals build` to record every file\n"
    )
    with open(dist / "aideals.duckdb", "ab") as fh:  # not seen: what the warning is for
        fh.write(b"junk\n")
    assert run_verify(dist).returncode == 0


def test_a_package_directory_names_the_files_its_descriptor_does_not_record(tmp_path: Path):
    pkg = fake_build(RELEASES / "v1", tmp_path / "pkg")
    (pkg / ".hidden").write_text("not named\n", encoding="utf-8")
    report = verify.verify(pkg)
    assert report.ok and report.files_checked == 4 and not report.older_build
    assert report.unrecorded == ["datapackage.json", *sorted(
        f"schemas/{p.name}" for p in (pkg / "schemas").iterdir())]
    n = len(report.unrecorded)
    assert verify.unrecorded_warning(report) == (
        f"{pkg}: {n} files not checked, as nothing records their size and hash ({', '.join(report.unrecorded[:3])} "
        f"and {n - 3} more)")
    assert verify.verify(pkg / "datapackage.json").unrecorded == []  # a descriptor is checked for its resources only


def run_report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aideals", "report", *args], capture_output=True, text=True)


def test_a_page_made_again_from_the_build_s_database_is_recorded(dist: Path, one_build: Path):
    before = json.loads((dist / "build-manifest.json").read_text(encoding="utf-8"))
    proc = run_report("--db", str(dist / "aideals.duckdb"), "--built-at", "2030-01-02")  # into dist/report.html
    assert proc.returncode == 0, proc.stderr
    after = json.loads((dist / "build-manifest.json").read_text(encoding="utf-8"))
    page = dist / "report.html"
    assert after["files"] == [
        {"path": "report.html", "bytes": page.stat().st_size, "sha256": sha(page)} if f["path"] == "report.html" else f
        for f in before["files"]]
    assert after["files"] != before["files"]
    assert run_verify(dist).stdout == f"{dist}: OK, {BUILD_FILES} files match their recorded hashes and sizes\n"
    assert sorted(p.name for p in dist.iterdir() if p.name.startswith(".")) == []  # no temporary file left
    # a page of the CSVs written over the build's is not the build's: it is not recorded, and verify says so
    recorded = sha(page)
    proc = run_report("--package", str(one_build.parent / "pkg"), "--out", str(page), "--built-at", "2030-01-03")
    assert proc.returncode == 0, proc.stderr
    proc = run_verify(dist)
    assert (proc.returncode, proc.stdout) == (1, f"report.html: sha256: expected {recorded}, got {sha(page)}\n")


def test_a_failure_recording_the_page_leaves_the_manifest_as_it_was(dist: Path, monkeypatch):
    from aideals import build

    before = (dist / "build-manifest.json").read_bytes()
    with open(dist / "report.html", "ab") as fh:
        fh.write(b"\n")
    monkeypatch.setattr(build.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        build.record_rewritten(dist, "report.html")
    assert (dist / "build-manifest.json").read_bytes() == before
    assert sorted(p.name for p in dist.iterdir() if p.name.startswith(".")) == []
    monkeypatch.undo()
    assert build.record_rewritten(dist, "report.html") is True
    assert build.record_rewritten(dist, "notes.txt") is False  # not a file of the build: nothing is added
    assert run_verify(dist).returncode == 0


def test_a_symbolic_link_in_a_release_is_reported_and_not_followed(release_dir: Path, tmp_path: Path):
    """`root -> /` and a SHA256SUMS line `root/etc/passwd` made verify read a file outside the
    release and say OK: a link is a mismatch, and no name is read through it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("not the release's\n", encoding="utf-8")
    (release_dir / "root").symlink_to(outside, target_is_directory=True)
    with (release_dir / "SHA256SUMS").open("a", encoding="utf-8") as fh:
        fh.write(f"{sha(secret)}  root/secret.txt\n")
    (release_dir / "notes.txt").symlink_to(secret)
    report = verify.verify(release_dir)
    assert [m.line() for m in report.mismatches] == [
        "notes.txt: a symbolic link, where a release or build holds only files (not followed)",
        "root: a symbolic link, where a release or build holds only files (not followed)",
    ]
    proc = run_verify(release_dir)
    assert proc.returncode == 1


def test_a_symbolic_link_in_a_build_is_reported(dist: Path, tmp_path: Path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("x\n", encoding="utf-8")
    (dist / "parquet" / "extra.parquet").symlink_to(target)
    report = verify.verify(dist)
    assert [m.line() for m in report.mismatches] == [
        "parquet/extra.parquet: a symbolic link, where a release or build holds only files (not followed)"]


def test_a_fifo_in_a_release_is_reported_and_never_opened(release_dir: Path):
    """A FIFO (or a device, a socket) that no listing names was not seen: only regular files were
    compared with SHA256SUMS and the manifests. It is a mismatch, by what it is; opening it would
    block, and it is not opened."""
    os.mkfifo(release_dir / "pipe")
    assert [m.line() for m in verify.verify(release_dir).mismatches] == [
        "pipe: a named pipe (FIFO), where a release or build holds only files (not opened)"]


def test_a_fifo_in_a_build_is_reported_and_never_opened(dist: Path):
    os.mkfifo(dist / "parquet" / "pipe")
    assert [m.line() for m in verify.verify(dist).mismatches] == [
        "parquet/pipe: a named pipe (FIFO), where a release or build holds only files (not opened)"]


def test_a_manifest_without_plugins_is_checked_as_before(release_dir: Path):
    """A release made before the manifest recorded its plugins has none: the schema, which has the
    field, does not require it, and verify has nothing to add up."""
    import jsonschema

    from conftest import ROOT

    manifest = json.loads((release_dir / "release-manifest.json").read_text())
    schema = json.loads((ROOT / "schemas" / "release-manifest.schema.json").read_text())
    assert "plugins" not in manifest and "plugins" in schema["properties"] and "plugins" not in schema["required"]
    jsonschema.Draft202012Validator(schema).validate(manifest)
    assert verify.verify(release_dir).mismatches == []


def plugin(name: str, metrics: dict) -> dict:
    return {"name": name, "origin": "repository", "location": f"plugins/{name}.py", "distribution": None,
            "version": None, "metrics": metrics, "checks": []}


@pytest.mark.parametrize("recorded, mismatch", [
    ({"circularity": 2, "cost_per_gigawatt": 1}, None),
    ({"circularity": 3, "cost_per_gigawatt": 1},
     "release-manifest.json: plugins: their metrics have 4 rows, but row_counts.metrics is 3"),
])
def test_the_plugins_metric_rows_add_up_to_the_metrics_rows(tmp_path: Path, recorded, mismatch):
    build = fake_build(RELEASES / "v1", tmp_path / "build")
    rows = {"deals": 2, "figures": 4, "parties": 4, "sources": 2, "metrics": 3}
    plugins = [plugin(name, {name: n}) for name, n in recorded.items()]
    out = tmp_path / "dist" / "1.0.0"
    manifest = release.assemble(build, out, version="1.0.0", day=date(2025, 3, 1), commit=COMMIT,
                                toolkit_version="0.1.0", rows=rows, plugins=plugins)
    assert manifest["plugins"] == plugins
    lines = [m.line() for m in verify.verify(out).mismatches]
    assert lines == ([mismatch] if mismatch else [])
    proc = run_verify(out)
    assert proc.returncode == (1 if mismatch else 0)
    assert proc.stdout == (f"{mismatch}\n" if mismatch else f"{out}: OK, 6 files match their recorded hashes and sizes\n")


def test_a_manifest_whose_plugins_do_not_fit_the_schema_is_a_mismatch(tmp_path: Path):
    build = fake_build(RELEASES / "v1", tmp_path / "build")
    out = tmp_path / "dist" / "1.0.0"
    release.assemble(build, out, version="1.0.0", day=date(2025, 3, 1), commit=COMMIT, toolkit_version="0.1.0",
                     plugins=[plugin("circularity", {"circularity": 1})])
    manifest = json.loads((out / "release-manifest.json").read_text())
    manifest["plugins"][0]["origin"] = "somewhere"
    del manifest["plugins"][0]["version"]
    text = json.dumps(manifest, indent=2) + "\n"
    (out / "release-manifest.json").write_text(text)
    sums = (out / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256(text.encode()).hexdigest()
    (out / "SHA256SUMS").write_text("".join(f"{digest}  release-manifest.json\n" if s.endswith("release-manifest.json")
                                            else f"{s}\n" for s in sums))
    assert [m.line() for m in verify.verify(out).mismatches] == [
        "release-manifest.json: plugins/0: 'version' is a required property",
        "release-manifest.json: plugins/0/origin: 'somewhere' is not one of ['repository', 'entry point', 'plugins-dir']",
    ]


def test_a_zip_whose_descriptor_names_an_unknown_hash_algorithm_reports_that_resource(release_dir: Path):
    """It stopped the whole verify with `aideals: error: hash 'sha1024:abc': unknown algorithm
    'sha1024'`, naming neither the zip nor the resource; the other resources are still checked, and
    the byte count of that one."""
    zpath = release_dir / "aideals-1.0.0.zip"
    with zipfile.ZipFile(zpath) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    descriptor = json.loads(files["datapackage.json"])
    descriptor["resources"][1]["hash"] = "sha1024:abc"
    descriptor["resources"][1]["bytes"] += 1
    files["datapackage.json"] = json.dumps(descriptor).encode()
    release.write_zip(zpath, files, date(2025, 3, 1))
    path = descriptor["resources"][1]["path"]
    proc = run_verify(zpath)
    assert (proc.returncode, proc.stderr) == (1, f"{zpath}: 2 mismatches in 4 files checked\n")
    assert proc.stdout == (
        f"{path}: hash 'sha1024:abc' in datapackage.json: unknown algorithm, so not checked (md5, sha1, sha256, "
        "sha512 are known)\n"
        f"{path}: bytes: expected {descriptor['resources'][1]['bytes']}, got {descriptor['resources'][1]['bytes'] - 1}\n"
    )
    lines = [m.line() for m in verify.verify(release_dir).mismatches]  # and the zip's own hash and size
    assert (f"aideals-1.0.0.zip!{path}: hash 'sha1024:abc' in aideals-1.0.0.zip!datapackage.json: unknown "
            "algorithm, so not checked (md5, sha1, sha256, sha512 are known)") in lines


def special_files(tmp_path: Path) -> dict[str, Path]:
    """A FIFO, a character device, a broken symbolic link and an empty directory, by what they are."""
    import os

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "folder").mkdir()
    return {"fifo": tmp_path / "fifo", "device": Path("/dev/null"), "zero": tmp_path / "zero",
            "dangling": tmp_path / "dangling"}


NOT_READ = "which verify does not read: it takes a release or build directory, a release zip, or a manifest or descriptor file"


def test_verify_of_a_fifo_a_device_or_a_dangling_link_says_what_it_is(tmp_path: Path, capsys):
    """Each was `no such file or directory`; a FIFO is never opened (that would block)."""
    from cli_runner import run_cli

    paths = special_files(tmp_path)
    expected = {
        "fifo": f"{paths['fifo']}: a named pipe (FIFO), {NOT_READ}",
        "device": f"/dev/null: a character device, {NOT_READ}",
        "zero": f"{paths['zero']}: a character device (a symbolic link to /dev/zero), {NOT_READ}",
        "dangling": f"{paths['dangling']}: a symbolic link to {tmp_path / 'nowhere'}, which does not exist",
    }
    for what, path in paths.items():
        assert run_cli(["verify", str(path)], capsys) == (2, "", f"aideals: error: {expected[what]}\n"), what


def test_verify_of_an_empty_path_is_refused(capsys, tmp_path: Path, monkeypatch):
    """`aideals verify ''` verified the current directory."""
    from cli_runner import run_cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "datapackage.json").write_text('{"resources": []}')
    assert run_cli(["verify", ""], capsys) == (
        2, "", "aideals: error: Invalid value for 'PATH': an empty path (write . for the current directory) "
               "(see 'aideals verify --help')\n")


def test_a_descriptor_that_is_a_fifo_or_a_directory_is_named_as_such(tmp_path: Path, capsys):
    import os

    from cli_runner import run_cli

    os.mkfifo(tmp_path / "datapackage.json")
    assert run_cli(["verify", str(tmp_path)], capsys) == (
        2, "", f"aideals: error: {tmp_path / 'datapackage.json'}: a named pipe (FIFO), not a file\n")


def test_a_resource_or_a_release_zip_that_is_a_fifo_is_reported_not_read(tmp_path: Path, release_dir: Path):
    import os

    build = fake_build(RELEASES / "v1", tmp_path / "pkg")
    (build / "data" / "deals.csv").unlink()
    os.mkfifo(build / "data" / "deals.csv")
    (build / "data" / "sources.csv").unlink()
    (build / "data" / "sources.csv").mkdir()
    lines = [m.line() for m in verify.verify(build / "datapackage.json").mismatches]
    assert lines == ["data/sources.csv: cannot be read: a directory, not a file",
                     "data/deals.csv: cannot be read: a named pipe (FIFO), not a file"]
    zpath = release_dir / "aideals-1.0.0.zip"
    zpath.unlink()
    os.mkfifo(zpath)
    assert [m.line() for m in verify.verify(release_dir).mismatches] == [
        "aideals-1.0.0.zip: cannot be read: a named pipe (FIFO), not a file"]
