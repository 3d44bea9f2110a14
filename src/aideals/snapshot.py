"""A data package as it is in one place: a directory, a release zip, or a git revision.

diff, cite --version and the versioning guard read descriptors, schemas and CSV rows the same way
whatever holds them; this module hides where the bytes come from.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aideals import gitrepo
from aideals.errors import PackageError
from aideals.verify import ZIP_READ_ERRORS

DESCRIPTOR = "datapackage.json"
RELEASE_FILES = ("SHA256SUMS", "release-manifest.json")


def _clean_relpath(relpath: str, label: str) -> str:
    """Normalise a descriptor path, refusing URLs, absolute paths and escapes (as package.safe_relpath does)."""
    if not isinstance(relpath, str) or not relpath or "://" in relpath or relpath.startswith(("/", "\\")):
        raise PackageError(f"{label}: path {relpath!r} is refused: only relative paths inside the package")
    norm = posixpath.normpath(relpath.replace("\\", "/"))
    if norm == ".." or norm.startswith("../"):
        raise PackageError(f"{label}: path {relpath!r} is refused: it leaves the package directory")
    return norm


@dataclass
class Snapshot:
    """The files of one data package, read through `reader(relpath) -> bytes | None`."""

    label: str  # how messages name it: a path, or `git:<rev>`
    kind: str  # "directory", "zip" or "git"
    reader: Callable[[str], bytes | None] = field(repr=False)
    _descriptor: dict | None = field(default=None, repr=False)
    _schemas: dict[str, dict] = field(default_factory=dict, repr=False)

    def read(self, relpath: str) -> bytes:
        """The bytes of a file of the package, by its path relative to the package root."""
        data = self.reader(_clean_relpath(relpath, self.label))
        if data is None:
            raise PackageError(f"{self.label}: {relpath}: file not found")
        return data

    def exists(self, relpath: str) -> bool:
        """True when the package holds a file at `relpath`."""
        return self.reader(_clean_relpath(relpath, self.label)) is not None

    def read_json(self, relpath: str) -> dict:
        """A JSON object file of the package."""
        raw = self.read(relpath)
        try:  # the words of every command that reads a package (aideals.package)
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise PackageError(f"{self.label}: {relpath}: not UTF-8 (byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise PackageError(f"{self.label}: {relpath}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise PackageError(f"{self.label}: {relpath}: must hold a JSON object")
        return data

    @property
    def descriptor(self) -> dict:
        """The datapackage.json descriptor."""
        if self._descriptor is None:
            self._descriptor = self.read_json(DESCRIPTOR)
        return self._descriptor

    def resource_names(self) -> list[str]:
        """Names of the resources, in the descriptor's order."""
        return [r["name"] for r in self.descriptor.get("resources", []) if isinstance(r, dict) and "name" in r]

    def resource(self, name: str) -> dict:
        """The descriptor entry of resource `name`."""
        for res in self.descriptor.get("resources", []):
            if isinstance(res, dict) and res.get("name") == name:
                return res
        raise PackageError(f"{self.label}: {DESCRIPTOR}: no resource named {name!r}")

    def schema(self, name: str) -> dict:
        """The Table Schema of resource `name` (inline or from its file), read once."""
        if name not in self._schemas:
            schema = self.resource(name).get("schema")
            if isinstance(schema, str):
                schema = self.read_json(schema)
            if not isinstance(schema, dict):
                raise PackageError(f"{self.label}: resource {name}: schema: missing or not a Table Schema")
            self._schemas[name] = schema
        return self._schemas[name]

    def primary_key(self, name: str) -> list[str]:
        """The primary-key fields of resource `name` (empty when it declares none)."""
        pk = self.schema(name).get("primaryKey") or []
        return [pk] if isinstance(pk, str) else list(pk)

    def rows(self, name: str) -> tuple[list[str], Iterator[dict[str, str]]]:
        """The header and the rows (as strings, as written) of resource `name`'s CSV file."""
        relpath = self.resource(name).get("path")
        if not isinstance(relpath, str):
            raise PackageError(f"{self.label}: resource {name}: path must be one relative path")
        try:
            text = self.read(relpath).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PackageError(f"{self.label}: {relpath}: not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start})") from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = list(reader.fieldnames or [])
        return header, iter(reader)


def from_directory(root: Path, label: str | None = None, descriptor: str = DESCRIPTOR) -> Snapshot:
    """The package whose descriptor is in directory `root` (datapackage.json, or the file named
    `descriptor` there)."""
    label = label or str(root)
    root = root.resolve()

    def reader(relpath: str) -> bytes | None:
        path = root / (descriptor if relpath == DESCRIPTOR else relpath)
        return path.read_bytes() if path.is_file() else None

    return Snapshot(label, "directory", reader)


# The largest file a zip may unpack into memory: a release's files are megabytes, and a "zip bomb"
# (a few MB that unpack to gigabytes) must be refused, not read until memory runs out.
MAX_ZIP_ENTRY_BYTES = 512 * 1024 * 1024


def from_zip(path: Path, label: str | None = None) -> Snapshot:
    """The package inside a release zip (datapackage.json at its root or in its one top folder)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: not a readable zip file: {exc}") from None
    names = set(zf.namelist())
    prefix = ""
    if DESCRIPTOR not in names:
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and f"{next(iter(tops))}/{DESCRIPTOR}" in names:
            prefix = next(iter(tops)) + "/"
        else:
            raise PackageError(f"{path}: no {DESCRIPTOR} in this zip")

    def reader(relpath: str) -> bytes | None:
        name = prefix + relpath
        if name not in names:
            return None
        size = zf.getinfo(name).file_size  # zipfile reads no more than this, and checks the CRC
        if size > MAX_ZIP_ENTRY_BYTES:
            raise PackageError(f"{path}: {name}: unpacks to {size:,} bytes, more than aideals reads "
                               f"({MAX_ZIP_ENTRY_BYTES:,}): not a release zip")
        try:
            return zf.read(name)
        except ZIP_READ_ERRORS as exc:
            raise PackageError(f"{path}: {name}: cannot be read (a damaged zip?): {exc}") from None

    return Snapshot(label or str(path), "zip", reader)


def from_git(package_root: Path, rev: str) -> Snapshot:
    """The package as committed at revision `rev` of the repository holding `package_root`."""
    top = gitrepo.toplevel(package_root)
    if top is None:
        raise PackageError(f"{rev}: not a release path, and {package_root} is not in a git repository")
    commit = gitrepo.resolve_commit(top, rev)
    if commit is None:
        from aideals.versioning import fetch_tags_hint, versions_from_tags

        # a release's tag (v1.2.0) in a clone made without tags: say how to get them
        hint = fetch_tags_hint(package_root, top) if versions_from_tags([rev]) else ""
        raise PackageError(f"{rev}: no such release path or git revision{hint}")
    prefix = package_root.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"

    def reader(relpath: str) -> bytes | None:
        return gitrepo.show(top, commit, prefix + relpath)

    return Snapshot(f"git:{rev}", "git", reader)


def release_zip_in(directory: Path) -> Path | None:
    """The `aideals-*.zip` of a release directory, or None when there is not exactly one."""
    zips = sorted(directory.glob("aideals-*.zip"))
    return zips[0] if len(zips) == 1 else None


def open_snapshot(spec: str, package_root: Path | None = None) -> Snapshot:
    """Open a package given as a directory, a datapackage.json, a zip, a release directory or a git revision.

    A path that exists wins over a git revision of the same name; git revisions are read from the
    repository holding `package_root`.
    """
    path = Path(spec)
    if path.is_file():
        if zipfile.is_zipfile(path):
            return from_zip(path, spec)
        if path.name in RELEASE_FILES:  # a release's SHA256SUMS or manifest names its directory
            zpath = release_zip_in(path.parent)
            if zpath is None:
                raise PackageError(f"{spec}: no single aideals-*.zip beside it")
            return from_zip(zpath, spec)
        if path.name.endswith(".json"):
            snap = from_directory(path.parent, spec, path.name)
            if not isinstance(snap.descriptor.get("resources"), list):
                raise PackageError(f"{spec}: not a data package descriptor (no `resources` list)")
            return snap
        raise PackageError(f"{spec}: not a datapackage.json, a zip or a release directory")
    if path.is_dir():
        if (path / DESCRIPTOR).is_file():
            return from_directory(path, spec)
        zpath = release_zip_in(path)
        if zpath is not None:
            return from_zip(zpath, spec)
        raise PackageError(f"{spec}: no {DESCRIPTOR} and no single aideals-*.zip in this directory")
    if package_root is None:  # outside any package: a revision has no repository to be read from
        from aideals.package import working_dir

        cwd = working_dir()
        where = str(cwd) if cwd is not None else "the current directory (which no longer exists)"
        raise PackageError(
            f"{spec}: no such release path, and no {DESCRIPTOR} in {where} or a parent directory "
            "to read it as a git revision from (run inside the repository, or give --package DIR)"
        )
    return from_git(package_root, spec)
