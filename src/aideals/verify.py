"""`aideals verify`: recompute the hashes and byte counts of a release and report each mismatch.

A release directory is checked three ways: every line of SHA256SUMS, every file of
release-manifest.json (which must also be valid against its schema, and whose plugins' metric
rows, when it records them, add up to its metrics rows), and every resource of the
datapackage.json inside the zip. A build directory (`aideals build`'s dist/) is checked against
its build-manifest.json, which lists every file of it. A zip or a datapackage.json is checked
against its descriptor; so is a directory with no manifest (a build made before build-manifest.json,
an unzipped package), whose other files are then named as not checked.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import string
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aideals.errors import PackageError, not_a_file, visible

DESCRIPTOR = "datapackage.json"
SUMS = "SHA256SUMS"
MANIFEST = "release-manifest.json"
MANIFEST_SCHEMA = "schemas/release-manifest.schema.json"
BUILD_MANIFEST = "build-manifest.json"  # written by `aideals build` (aideals.build.write_manifest)
BUILD_DATABASE = "aideals.duckdb"  # aideals.build.DATABASE: with datapackage.json, what makes a directory a build
CHUNK = 1 << 20
# Frictionless: a hash without an `algorithm:` prefix is MD5.
HASH_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
# What reading a damaged zip entry raises: a bad CRC, a broken deflate stream, a cut-off file.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


@dataclass(frozen=True)
class Mismatch:
    """One file whose bytes do not match what the release recorded for it."""

    file: str
    check: str  # "sha256", "bytes", "missing", "unlisted", "no-hash", "hash-algorithm", "manifest-schema", "manifest", "unreadable", "outside", "link", "special"
    expected: str | None
    actual: str | None

    def line(self) -> str:
        """The one-line form shown to users (a name with a newline or an escape sequence escaped)."""
        return visible(self._text())

    def _text(self) -> str:
        if self.check == "missing":
            return f"{self.file}: missing (listed in {self.expected})"
        if self.check == "unlisted":
            return f"{self.file}: not listed in {self.expected}"
        if self.check == "no-hash":
            return f"{self.file}: no {self.expected} recorded for it"
        if self.check == "hash-algorithm":
            return (f"{self.file}: hash {self.actual} in {self.expected}: unknown algorithm, so not checked "
                    f"({', '.join(HASH_ALGORITHMS)} are known)")
        if self.check in ("manifest-schema", "manifest"):
            return f"{self.file}: {self.actual}"
        if self.check == "unreadable":
            return f"{self.file}: cannot be read: {self.actual}"
        if self.check == "outside":
            return f"{self.file}: listed in {self.expected} but not a path inside the release directory (not read)"
        if self.check == "link":
            return f"{self.file}: a symbolic link, where a release or build holds only files (not followed)"
        if self.check == "special":
            return f"{self.file}: {self.actual}, where a release or build holds only files (not opened)"
        return f"{self.file}: {self.check}: expected {self.expected}, got {self.actual}"


@dataclass
class VerifyReport:
    """What verify checked and what did not match."""

    path: str
    files_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    # Files of a directory verified without a manifest that no record covers, so not checked
    # (a build made before build-manifest.json: its database, Parquet files, schemas, page ...).
    unrecorded: list[str] = field(default_factory=list)
    older_build: bool = False  # the directory is a build without build-manifest.json

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def add(self, mismatch: Mismatch) -> None:
        """Record a mismatch once, even when SHA256SUMS and the manifest both catch it."""
        if not any(m.file == mismatch.file and m.check == mismatch.check for m in self.mismatches):
            self.mismatches.append(mismatch)


def digest_stream(chunks: Iterable[bytes], algorithm: str = "sha256") -> tuple[int, str]:
    """(byte count, hex digest) of a stream of byte chunks."""
    h = hashlib.new(algorithm)
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


def _file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def file_digest(path: Path, algorithm: str = "sha256") -> tuple[int, str]:
    """(byte count, hex digest) of a file, read in chunks so that large files stay out of memory."""
    return digest_stream(_file_chunks(path), algorithm)


def _recorded(value: object) -> str:
    """A recorded byte count or hash as a message shows it: a number as is, anything else quoted
    (a byte count written as the text "3" is not the number 3)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def inside(name: str) -> bool:
    """Whether a file name listed by a release is a relative path that stays in its directory (no
    URL, drive, absolute path or `..`: what `package.safe_relpath` refuses, told from the name
    alone, since a zip's entries are names, not files)."""
    if not name or "\\" in name or "://" in name or (len(name) > 1 and name[1] == ":") or name.startswith("/"):
        return False
    norm = posixpath.normpath(name)  # data/../data/t.csv stays inside
    return norm != ".." and not norm.startswith("../")


def odd_entries(root: Path) -> list[tuple[str, str]]:
    """The entries of a release or build directory that are neither folders nor regular files, as
    (relative path, what it is): a symbolic link (files or folders, not followed: a link can make a
    listed name read a file outside it, `root -> /`), and a FIFO, device or socket (never opened:
    a FIFO would block the read), which no listing compares."""
    import os

    found = []
    for folder, dirs, files in os.walk(root):  # os.walk does not descend into a linked folder
        here = Path(folder)
        for n in (*dirs, *files):
            path = here / n
            if path.is_symlink():
                found.append((path.relative_to(root).as_posix(), "link"))
            elif not path.is_dir():
                kind = not_a_file(path)
                if kind is not None:
                    found.append((path.relative_to(root).as_posix(), kind))
    return sorted(found)


def _report_odd_entries(root: Path, report: VerifyReport, skip: set[str] | frozenset[str] = frozenset()) -> None:
    """Each odd entry (odd_entries) is a mismatch; those under a top folder named in `skip` (the
    release directories a build keeps, verified on their own) are left to that verify, and a
    listed file already reported (`cannot be read: a named pipe`) is not reported twice."""
    reported = {m.file for m in report.mismatches}
    for name, kind in odd_entries(root):
        if name.split("/", 1)[0] in skip or (kind != "link" and name in reported):
            continue
        report.add(Mismatch(name, "link", None, None) if kind == "link" else Mismatch(name, "special", None, kind))


def _through_link(root: Path, name: str) -> bool:
    """Whether reading `root/name` would follow a symbolic link (of the file or of a folder above it)."""
    path = root
    for part in Path(name).parts:
        path = path / part
        if path.is_symlink():
            return True
    return False


def _listed_file(root: Path, name: str, listed_in: str, report: VerifyReport) -> tuple[int, str] | None:
    """The size and sha256 of a file that `listed_in` (SHA256SUMS, a manifest) lists, or None after
    reporting why it is not read: a name outside the directory, one through a symbolic link (the
    link itself is reported as such), a file missing."""
    if not inside(name):
        report.add(Mismatch(name, "outside", listed_in, None))
        return None
    if _through_link(root, name):
        return None
    if not (root / name).is_file():
        kind = not_a_file(root / name)  # a directory, a FIFO (never opened: reading it would block)...
        report.add(Mismatch(name, "unreadable", None, f"{kind}, not a file") if kind else Mismatch(name, "missing", listed_in, None))
        return None
    return file_digest(root / name)


def split_hash(value: str) -> tuple[str, str]:
    """`sha256:abc…` -> ("sha256", "abc…"); a bare hex digest is MD5, as in Frictionless. The
    algorithm is not checked: see HASH_ALGORITHMS."""
    algorithm, _, digest = value.rpartition(":")
    return algorithm.lower() or "md5", digest.lower()


def _check_resources(
    descriptor: dict,
    label: str,
    opener: Callable[[str], Iterable[bytes] | str | None],
    report: VerifyReport,
    descriptor_name: str = DESCRIPTOR,
) -> None:
    """Check each resource of `descriptor` against the bytes `opener(relpath)` yields (None: no such
    file; a str: why it cannot be read)."""
    if not isinstance(descriptor, dict):
        raise PackageError(f"{label}{descriptor_name}: must be a JSON object, not {type(descriptor).__name__}")
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        raise PackageError(f"{label}{descriptor_name}: resources: must be a list")
    for n, res in enumerate(resources):
        relpath = res.get("path") if isinstance(res, dict) else None
        if not isinstance(relpath, str):
            name = res.get("name") if isinstance(res, dict) else None
            raise PackageError(f"{label}{descriptor_name}: resources[{n}] {name!r}: path must be one relative path")
        shown = label + relpath
        report.files_checked += 1
        if not inside(relpath):
            report.add(Mismatch(shown, "outside", label + descriptor_name, None))
            continue
        chunks = opener(relpath)
        if chunks is None:
            report.add(Mismatch(shown, "missing", label + descriptor_name, None))
            continue
        if isinstance(chunks, str):
            report.add(Mismatch(shown, "unreadable", None, chunks))
            continue
        if "hash" not in res and "bytes" not in res:
            report.add(Mismatch(shown, "no-hash", "hash or byte count", None))
            continue
        algorithm, expected = split_hash(str(res["hash"])) if "hash" in res else ("sha256", None)
        if algorithm not in HASH_ALGORITHMS:  # the bytes, if recorded, are still checked
            report.add(Mismatch(shown, "hash-algorithm", label + descriptor_name, repr(res["hash"])))
            algorithm, expected = "sha256", None
        try:
            size, actual = digest_stream(chunks, algorithm)
        except ZIP_READ_ERRORS as exc:
            report.add(Mismatch(shown, "unreadable", None, str(exc)))
            continue
        if expected is not None and actual != expected:
            report.add(Mismatch(shown, algorithm, expected, actual))
        if "bytes" in res and res["bytes"] != size:
            report.add(Mismatch(shown, "bytes", _recorded(res["bytes"]), str(size)))


def verify_directory_package(root: Path, report: VerifyReport, descriptor_path: Path | None = None) -> None:
    """Check the resources of a descriptor (by default the datapackage.json in `root`) against
    the files beside it."""
    descriptor_path = descriptor_path if descriptor_path is not None else root / DESCRIPTOR
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"{descriptor_path}: cannot read: {exc}") from None

    def opener(relpath: str) -> Iterable[bytes] | str | None:
        path = root / relpath
        if path.is_file():
            return _file_chunks(path)
        kind = not_a_file(path)  # a directory, a FIFO (never opened: reading it would block)...
        return f"{kind}, not a file" if kind else None

    _check_resources(descriptor, "", opener, report, descriptor_path.name)


def verify_zip(path: Path, report: VerifyReport, label: str = "") -> zipfile.ZipFile:
    """Check the resources of the datapackage.json inside a release zip against the zip's entries."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: not a readable zip file: {exc}") from None
    names = set(zf.namelist())
    if DESCRIPTOR not in names:
        raise PackageError(f"{path}: no {DESCRIPTOR} at the root of this zip")
    try:
        descriptor = json.loads(zf.read(DESCRIPTOR).decode("utf-8"))
    except ZIP_READ_ERRORS as exc:
        raise PackageError(f"{path}: {DESCRIPTOR}: cannot be read: {exc}") from None
    except ValueError as exc:
        raise PackageError(f"{path}: {DESCRIPTOR}: not valid JSON: {exc}") from None
    # Every entry is read to its end, so that its stored CRC is checked (zipfile compares it then).
    for info in zf.infolist():
        try:
            for _ in _entry_chunks(zf, info.filename):
                pass
        except ZIP_READ_ERRORS as exc:
            report.add(Mismatch(f"{label}{info.filename}", "unreadable", None, str(exc)))

    def opener(relpath: str) -> Iterable[bytes] | None:
        return _entry_chunks(zf, relpath) if relpath in names else None

    _check_resources(descriptor, label, opener, report)
    return zf


def _entry_chunks(zf: zipfile.ZipFile, name: str) -> Iterable[bytes]:
    with zf.open(name) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _read_sums(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for lineno, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PackageError(f"{path.name}:{lineno}: not UTF-8 text: {raw[:80]!r}") from None
        if not line.strip():
            continue
        # sha256sum's form: the hash, a space, then a space (text mode) or `*` (binary mode), the name
        digest, mode, name = line[:64], line[64:66], line[66:]
        if len(digest) != 64 or any(c not in string.hexdigits for c in digest) or mode not in ("  ", " *") or not name:
            raise PackageError(f"{path.name}:{lineno}: expected `<sha256>  <file>`, got {line!r}")
        pairs.append((digest.lower(), name))
    return pairs


def _check_manifest_schema(manifest: dict, zf: zipfile.ZipFile | None, report: VerifyReport) -> None:
    """Validate the manifest against the schema the release itself ships (in its zip)."""
    if zf is None or MANIFEST_SCHEMA not in zf.namelist():
        return
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        schema = json.loads(zf.read(MANIFEST_SCHEMA).decode("utf-8"))
        Draft202012Validator.check_schema(schema)
    except ZIP_READ_ERRORS:  # the entry is reported as unreadable already
        return
    except (ValueError, SchemaError) as exc:
        message = exc.message if isinstance(exc, SchemaError) else str(exc)
        report.add(Mismatch(MANIFEST, "manifest-schema", None,
                            f"cannot be checked: {MANIFEST_SCHEMA} in the zip is not a JSON Schema: {message}"))
        return
    for err in sorted(Draft202012Validator(schema).iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        report.mismatches.append(Mismatch(MANIFEST, "manifest-schema", None, f"{where}: {err.message}"))


def _check_plugin_rows(manifest: dict, report: VerifyReport) -> None:
    """The metric rows the manifest's plugins put in the release add up to its `metrics` rows (a
    manifest without `plugins`, from before they were recorded, has nothing to add up)."""
    plugins = manifest.get("plugins")
    total = manifest.get("row_counts", {}).get("metrics") if isinstance(manifest.get("row_counts"), dict) else None
    if not isinstance(plugins, list) or not isinstance(total, int):
        return
    counts = [n for p in plugins if isinstance(p, dict) and isinstance(p.get("metrics"), dict)
              for n in p["metrics"].values()]
    if not all(isinstance(n, int) for n in counts):  # the schema check reports it
        return
    if sum(counts) != total:
        report.add(Mismatch(MANIFEST, "manifest", None,
                            f"plugins: their metrics have {sum(counts):,} rows, but row_counts.metrics is {total:,}"))


def verify_release_dir(root: Path, report: VerifyReport) -> None:
    """Check a release directory: SHA256SUMS, release-manifest.json and the zip's own hashes."""
    listed: set[str] = set()
    if (root / SUMS).is_file():
        for expected, name in _read_sums(root / SUMS):
            listed.add(name)
            report.files_checked += 1
            found = _listed_file(root, name, SUMS, report)
            if found is None:
                continue
            _, actual = found
            if actual != expected:
                report.add(Mismatch(name, "sha256", expected, actual))
        present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
        for name in sorted(present - listed - {SUMS}):
            report.add(Mismatch(name, "unlisted", SUMS, None))
    else:
        report.add(Mismatch(SUMS, "missing", "a release directory", None))

    zpath = next(iter(sorted(root.glob("aideals-*.zip"))), None)
    zf = None
    if zpath is not None and not zpath.is_file():  # a directory, a FIFO (never opened: it would block)...
        report.add(Mismatch(zpath.name, "unreadable", None, f"{not_a_file(zpath)}, not a file"))
    elif zpath is not None:
        zf = verify_zip(zpath, report, label=f"{zpath.name}!")

    if not (root / MANIFEST).is_file():
        report.add(Mismatch(MANIFEST, "missing", "a release directory", None))
        return
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PackageError(f"{root / MANIFEST}: not valid JSON: {exc}") from None
    _check_manifest_schema(manifest, zf, report)
    if isinstance(manifest, dict):
        _check_plugin_rows(manifest, report)
    entries = manifest.get("files", []) if isinstance(manifest, dict) else []
    in_manifest: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        name = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        in_manifest.add(name)
        if name not in listed:
            report.files_checked += 1
        found = _listed_file(root, name, MANIFEST, report)
        if found is None:
            continue
        size, actual = found
        if entry.get("sha256") != actual:
            report.add(Mismatch(name, "sha256", _recorded(entry.get("sha256")), actual))
        if entry.get("bytes") != size:
            report.add(Mismatch(name, "bytes", _recorded(entry.get("bytes")), str(size)))
    # The manifest lists every file of the directory but itself and SHA256SUMS.
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    for name in sorted(present - in_manifest - {MANIFEST, SUMS}):
        report.add(Mismatch(name, "unlisted", MANIFEST, None))
    _report_odd_entries(root, report)


def _release_dir_names(root: Path) -> set[str]:
    """The release directories (X.Y.Z/) a build directory holds: `aideals build` keeps them in it,
    and they are verified on their own (`aideals verify dist/X.Y.Z`)."""
    from aideals.versioning import SEMVER_RE

    return {p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink() and SEMVER_RE.match(p.name)}


def _own_files(root: Path, hidden: bool = True) -> set[str]:
    """The files of a build directory, relative paths, but those of the release directories in it
    (and, unless `hidden`, those whose name or a folder's starts with a dot: .git/, .venv/ ...)."""
    import os

    releases = _release_dir_names(root)
    found = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if (hidden or not d.startswith(".")) and not (here == root and d in releases)]
        found.update((here / f).relative_to(root).as_posix() for f in files
                     if (hidden or not f.startswith(".")) and (here / f).is_file() and not (here / f).is_symlink())
    return found


def _read_build_manifest(path: Path) -> list[dict]:
    """The `files` of a build-manifest.json; PackageError (one line) when it is not one."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"{path}: cannot read: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        raise PackageError(f"{path}: files: must be a list of {{path, bytes, sha256}}")
    for n, entry in enumerate(files):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)):
            raise PackageError(f"{path}: files[{n}]: must be an object with a path, bytes and sha256")
    return files


def verify_build_dir(root: Path, report: VerifyReport) -> None:
    """Check a build directory against its build-manifest.json: every file it lists (size and
    sha256), and no file it does not list (but the release directories kept in the build)."""
    listed: set[str] = set()
    for entry in _read_build_manifest(root / BUILD_MANIFEST):
        name = entry["path"]
        listed.add(name)
        report.files_checked += 1
        found = _listed_file(root, name, BUILD_MANIFEST, report)
        if found is None:
            continue
        size, actual = found
        recorded = entry.get("sha256")
        if recorded != actual:
            shown = recorded if isinstance(recorded, str) and recorded.isalnum() else _recorded(recorded)
            report.add(Mismatch(name, "sha256", shown, actual))
        if entry.get("bytes") != size:
            report.add(Mismatch(name, "bytes", _recorded(entry.get("bytes")), str(size)))
    for name in sorted(_own_files(root) - listed - {BUILD_MANIFEST}):
        report.add(Mismatch(name, "unlisted", BUILD_MANIFEST, None))
    releases = _release_dir_names(root)
    _report_odd_entries(root, report, skip=releases)  # a kept release is verified on its own


def verify_unrecorded_dir(root: Path, report: VerifyReport) -> None:
    """Check a directory without a manifest by its datapackage.json (the resources' sizes and
    hashes), and name its other files, which nothing records, in `report.unrecorded`."""
    verify_directory_package(root, report)
    try:
        resources = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))["resources"]
        checked = {r["path"] for r in resources if isinstance(r, dict) and isinstance(r.get("path"), str)}
    except (OSError, ValueError, KeyError, TypeError):  # reported by verify_directory_package already
        checked = set()
    report.older_build = (root / BUILD_DATABASE).is_file()
    report.unrecorded = sorted(_own_files(root, hidden=False) - checked)


SHOWN_UNRECORDED = 3


def unrecorded_warning(report: VerifyReport) -> str | None:
    """The one-line warning (without the `aideals: warning: ` prefix) naming the files a verify did
    not check, as nothing records their size or hash; None when it checked every file."""
    names = report.unrecorded
    if not names:
        return None
    shown = ", ".join(names[:SHOWN_UNRECORDED])
    more = f" and {len(names) - SHOWN_UNRECORDED} more" if len(names) > SHOWN_UNRECORDED else ""
    n = len(names)
    text = (f"{report.path}: {n} file{'s' if n != 1 else ''} not checked, as nothing records {'their' if n != 1 else 'its'} "
            f"size and hash ({shown}{more})")
    if report.older_build:
        text += f": a build made before {BUILD_MANIFEST}; run `aideals build` to record every file"
    return visible(text)


def verify(path: Path) -> VerifyReport:
    """Verify a release directory (or its SHA256SUMS or release-manifest.json), a build directory
    (or its build-manifest.json), a release zip, a package directory or a package descriptor
    (datapackage.json, or another name)."""
    report = VerifyReport(str(path))
    if path.is_file() and path.name in (SUMS, MANIFEST):
        verify_release_dir(path.resolve().parent, report)
    elif path.is_file() and path.name == BUILD_MANIFEST:
        verify_build_dir(path.resolve().parent, report)
    elif path.is_file() and path.name.endswith(".json"):
        verify_directory_package(path.resolve().parent, report, path.resolve())
    elif path.is_file():
        verify_zip(path, report)
    elif path.is_dir() and ((path / SUMS).is_file() or (path / MANIFEST).is_file()):
        verify_release_dir(path, report)
    elif path.is_dir() and (path / BUILD_MANIFEST).is_file():
        verify_build_dir(path, report)
    elif path.is_dir() and (path / DESCRIPTOR).is_file():
        verify_unrecorded_dir(path, report)
    elif path.is_dir():
        kind = not_a_file(path / DESCRIPTOR)
        if kind:
            raise PackageError(f"{path / DESCRIPTOR}: {kind}, not a file")
        raise PackageError(f"{path}: not a release: no {SUMS}, {MANIFEST}, {BUILD_MANIFEST} or {DESCRIPTOR} in it")
    elif (kind := not_a_file(path)) and kind.startswith("a symbolic link"):  # to nothing
        raise PackageError(f"{path}: {kind}")
    elif kind:
        raise PackageError(f"{path}: {kind}, which verify does not read: it takes a release or build directory, "
                           "a release zip, or a manifest or descriptor file")
    else:
        raise PackageError(f"{path}: no such file or directory")
    return report
