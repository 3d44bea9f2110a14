"""`aideals build`: validate the package, then write a SQL-ready release directory atomically.

Layout of the release (the contract other commands rely on):

    <out>/datapackage.json          the descriptor, each resource with `bytes` and `hash` (sha256:<hex>)
    <out>/data/<table>.csv          the CSV files as validated (byte copies)
    <out>/schemas/*.json            the Table Schemas and row rules
    <out>/aideals.duckdb            typed tables with primary keys, the views, the metrics table
    <out>/parquet/<table>.parquet   parties, sources, deals, figures, metrics
    <out>/report.html               the offline report page (aideals.report)
    <out>/build-manifest.json       the version, and the path, size and sha256 of every other file
                                    (what `aideals verify <out>` checks)

Everything is written into a temporary directory beside `out` (same file system) and renamed into
place only when complete, so a failed or interrupted build leaves the previous release untouched.
Release directories inside `out` (`<out>/X.Y.Z/`: made by `aideals release`, with its
release-manifest.json, or a release a user downloaded there) are moved into the new build before it
is renamed in: a build keeps them. Everything else in `out` must be the previous build's (see
not_a_build), and is replaced; a build refuses an `out` holding anything else.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aideals.db import connect as db_connect
from aideals.errors import AidealsError
from aideals.package import DESCRIPTOR, RESOURCE_NAMES, Package
from aideals.verify import BUILD_MANIFEST, file_digest

if TYPE_CHECKING:
    import duckdb

    from aideals.checks import ExtraCheck
    from aideals.versioning import ReleaseComparison

DATABASE = "aideals.duckdb"
REPORT = "report.html"
PARQUET_TABLES = (*RESOURCE_NAMES, "metrics")
SHOWN_FINDINGS = 5
COUNTED_FINDINGS = 1000  # findings counted before a build is refused (`aideals validate` lists them all)
HASH_CHUNK = 1 << 20

# One thread, a fixed compression and row-group size, and rows sorted by primary key: the Parquet
# bytes then depend only on the data (and the DuckDB version), never on scheduling.
# The oldest storage format that holds everything we write: a release built with a new DuckDB
# stays readable by older DuckDB shells and libraries. Measured on 2026-12-06: DuckDB 1.1.3 to
# 1.5 open a release; 1.0.0 does not (a serialization error, even with the tables alone), so the
# README says 1.1 or later, as pyproject.toml requires.
STORAGE_COMPATIBILITY = "v1.0.0"
PARQUET_COPY = "COPY (SELECT * FROM {table} ORDER BY {order}) TO ? (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"

Progress = Callable[[str], None]
PopulateMetrics = Callable[["duckdb.DuckDBPyConnection", Package], None]


@dataclass
class BuildResult:
    """What a build wrote: where, how many rows per table, which checks passed, which files."""

    out: Path
    rows: dict[str, int]
    checks_run: list[str]
    files: list[str]  # paths relative to `out`, sorted
    warnings: list[str] = field(default_factory=list)
    # Set when the package is in a git clone without release tags: the build could not
    # tell whether it is that release (`aideals build` prints it on stderr; a release ignores it,
    # its own tag being made after the build).
    version_warning: str | None = None


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check_out(out: Path, pkg: Package) -> None:
    """Refuse an `out` whose replacement would destroy something that is not a previous release."""
    resolved = out.resolve()
    if resolved == pkg.root or resolved in pkg.root.parents:
        raise AidealsError(f"{out}: refused as --out: it holds the package itself; use a directory such as dist/")
    for res in pkg.resources.values():
        for part in filter(None, (res.path, res.schema_relpath and pkg.root / res.schema_relpath)):
            folder = Path(part).resolve().parent
            if folder != pkg.root and (resolved == folder or folder in resolved.parents):
                raise AidealsError(
                    f"{out}: refused as --out: it is inside {os.path.relpath(folder, pkg.root)}/, which holds the "
                    "package's files; use a directory such as dist/"
                )
    if out.exists() or out.is_symlink():
        if out.is_symlink():
            raise AidealsError(f"{out}: is a symbolic link; a build replaces its --out, so give the directory itself")
        if not out.is_dir():
            raise AidealsError(f"{out}: exists and is not a directory; remove it or choose another --out")


def _check_previous_build(out: Path) -> None:
    """Refuse an existing `out` that is not a previous build (see not_a_build)."""
    problem = not_a_build(out) if out.is_dir() else None
    if problem:
        raise AidealsError(f"{out}: exists and is not an aideals build ({problem}); "
                           "nothing was changed: choose another --out, or move out of it what is not a build's")


# What a build writes into `out` (the same since the first version of aideals): files (None), and
# folders with the names of the files they hold. Anything else in an existing `out` is not a
# build's own, and the build refuses to replace it.
LAYOUT: dict[str, re.Pattern[str] | None] = {
    DATABASE: None,
    DESCRIPTOR: None,
    REPORT: None,
    BUILD_MANIFEST: None,
    "data": re.compile(r"[^/]+\Z"),  # only the files the descriptor lists, checked with their hashes
    "schemas": re.compile(r"[^/]+\Z"),  # the schemas the descriptor names, *.json in this repository
    "parquet": re.compile(r"[^/]+\.parquet\Z"),
}
# The working directory `aideals release` makes in dist/ (tempfile.mkdtemp(prefix=".release-X.Y.Z-")),
# left there only when a release was killed.
RELEASE_WORK_RE = re.compile(r"\.release-[0-9A-Za-z.+-]+-[a-z0-9_]{8}\Z")
OS_CLUTTER = ".DS_Store"  # what a file manager leaves in any folder it shows: never anyone's work
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _plain_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _foreign(out: Path, kept: set[str]) -> list[str]:
    """The entries of `out` a build does not write, named relative to `out` (a directory with `/`)."""
    foreign: list[str] = []
    for entry in sorted(out.iterdir()):
        name = entry.name
        pattern = LAYOUT.get(name, False)
        if name in kept or name == OS_CLUTTER or (pattern is None and _plain_file(entry)):
            continue
        if RELEASE_WORK_RE.match(name) and _plain_dir(entry):
            continue  # an interrupted release's (none is running: the build holds the lock)
        if pattern and _plain_dir(entry):
            foreign += [f"{name}/{p.name}" + ("/" if _plain_dir(p) else "") for p in sorted(entry.iterdir())
                        if p.name != OS_CLUTTER and not (_plain_file(p) and pattern.match(p.name))]
        else:
            foreign.append(name + ("/" if _plain_dir(entry) else ""))
    return foreign


def not_a_build(out: Path) -> str | None:
    """Why the existing directory `out` is not one an aideals build wrote; None when it is one.

    A build is recognised by its content, never by two file names alone: aideals.duckdb is a DuckDB
    database, datapackage.json lists each file of data/ with its size and sha256 (and they match),
    and nothing else is there but the build's own files (LAYOUT), the release directories a build
    keeps and the working directories of a release that was killed. Builds of every earlier
    version of aideals have this layout (build-manifest.json is newer) and are recognised too. An
    empty `out`, or one holding only release directories and a report page (as `aideals report`
    writes it before a first build), has nothing to lose: None as well."""
    from aideals.versioning import SEMVER_RE

    kept = set(release_dirs(out))
    # A link named X.Y.Z (to a release kept elsewhere) is neither carried nor dropped: a build keeps
    # release directories only (`aideals verify` takes a link in a build for a mismatch).
    link = next((p.name for p in sorted(out.iterdir()) if p.is_symlink() and SEMVER_RE.match(p.name)), None)
    if link is not None:
        return (f"{link!r} is a symbolic link, and a build keeps only the release directories in it: "
                "put the release itself there, or move the link away")
    foreign = _foreign(out, kept)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        return f"it holds {foreign[0]!r}{more}, which a build does not write"
    # report.html alone, as `aideals report` writes it into dist/ before a first build, is replaced too
    if all(p.name in kept or p.name == OS_CLUTTER or _report_page(p) for p in out.iterdir()):
        return None
    if not (_plain_file(out / DATABASE) and _plain_file(out / DESCRIPTOR)):
        return f"no {DATABASE} and {DESCRIPTOR}"
    with open(out / DATABASE, "rb") as fh:
        if fh.read(12)[8:] != DUCKDB_MAGIC:
            return f"{DATABASE} is not a DuckDB database"
    try:
        descriptor = json.loads((out / DESCRIPTOR).read_text(encoding="utf-8"))
    except ValueError:  # not UTF-8 (UnicodeDecodeError) or not JSON
        descriptor = None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    listed = set()
    for res in resources if isinstance(resources, list) else []:
        path = res.get("path") if isinstance(res, dict) else None
        digest = res.get("hash") if isinstance(res, dict) else None
        if not (isinstance(path, str) and path.startswith("data/") and LAYOUT["data"].match(path[5:])
                and isinstance(digest, str) and digest.startswith("sha256:") and SHA256_HEX.match(digest[7:])):
            break
        listed.add(path[5:])
        if not _plain_file(out / path):
            return f"{path} is missing"
        if file_digest(out / path) != (res.get("bytes"), digest[7:]):
            return f"{path} does not match the size and sha256 that {DESCRIPTOR} records"
    else:
        unlisted = sorted({p.name for p in (out / "data").iterdir()} - listed - {OS_CLUTTER}) if listed else []
        if unlisted:
            return f"it holds {'data/' + unlisted[0]!r}, which {DESCRIPTOR} does not list"
        if listed:
            return None
    return f"{DESCRIPTOR} does not list each data file with its sha256, as a build's does"


def _report_page(path: Path) -> bool:
    """Whether `path` is a report.html page (a regular file that starts as HTML)."""
    if path.name != REPORT or path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(64).lstrip().lower().startswith(b"<!doctype html")
    except OSError:
        return False


def require_valid(
    pkg: Package,
    extra_checks: Iterable[ExtraCheck] = (),
    on_valid: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    refused: str = "nothing was built",
) -> list[str]:
    """Validate `pkg` and return the checks run; raise AidealsError when it has findings: exit 1, or
    2 when the package cannot be used (a resource file missing or unreadable), as `aideals validate`.

    `on_valid` is called with the validation's connection when the package is valid (see
    `aideals.checks.validate`); `refused` says what was not done."""
    from aideals import checks, validation_report

    # Bounded: a package with a defect in each of millions of rows is refused without holding them all.
    report = checks.validate(pkg, max_errors=COUNTED_FINDINGS, extra_checks=extra_checks, on_valid=on_valid)
    if not report.ok:
        n = len(report.findings)
        shown = [f.line() for f in report.findings[:SHOWN_FINDINGS]]
        more = [f"... and {n - SHOWN_FINDINGS}{'+' if report.truncated else ''} more"] if n > SHOWN_FINDINGS else []
        count = f"more than {n} findings" if report.truncated else f"{n} finding{'s' if n != 1 else ''}"
        raise AidealsError(
            f"the package is invalid ({count}), {refused}; run `aideals validate` for the full report:",
            exit_code=validation_report.exit_code(report),
            details=[*shown, *more],
        )
    return list(report.checks_run)


def load_valid(con: duckdb.DuckDBPyConnection, pkg: Package, refused: str) -> None:
    """Validate `pkg` (refusing it as require_valid does, saying what was not done) and load its
    tables and views into `con`: what query, metrics, report and coverage read when there is no build."""
    from aideals import db

    require_valid(pkg, refused=refused)
    db.load(con, pkg)


def copy_files(pkg: Package, tmp: Path) -> dict:
    """Copy the CSVs and schemas into `tmp`; return the descriptor rewritten to point at the copies."""
    descriptor = json.loads(json.dumps(pkg.descriptor))
    (tmp / "data").mkdir()
    (tmp / "schemas").mkdir()
    schemas_dir = pkg.root / "schemas"
    if schemas_dir.is_dir():
        for path in sorted(schemas_dir.glob("*.json")):
            shutil.copyfile(path, tmp / "schemas" / path.name)
    by_name = {r["name"]: r for r in descriptor["resources"] if isinstance(r, dict)}
    for name, res in pkg.resources.items():
        entry = by_name[name]
        relpath = f"data/{name}{Path(res.relpath).suffix or '.csv'}"
        shutil.copyfile(res.path, tmp / relpath)
        size, hexdigest = _hash_file(tmp / relpath)
        entry["path"] = relpath
        entry["bytes"] = size
        entry["hash"] = f"sha256:{hexdigest}"
        if res.schema_relpath is not None:
            schema_rel = f"schemas/{Path(res.schema_relpath).name}"
            if not (tmp / schema_rel).exists():
                shutil.copyfile(pkg.root / res.schema_relpath, tmp / schema_rel)
            entry["schema"] = schema_rel
    return descriptor


def write_tables(con: duckdb.DuckDBPyConnection, pkg: Package, path: Path, progress: Progress | None) -> None:
    """Write the typed tables of the validation's connection `con` into the database at `path`."""
    from aideals import db

    if progress:
        progress("writing the tables into DuckDB")
    db.write_tables(con, pkg, path, STORAGE_COMPATIBILITY)


def write_database(
    pkg: Package,
    path: Path,
    populate_metrics: PopulateMetrics | None,
    progress: Progress | None,
    limits: dict | None = None,
) -> dict[str, int]:
    """Write the DuckDB database and return the row count of each table.

    When `path` already holds the four tables (written by `write_tables` during validation), only
    the views and metrics are added; otherwise the tables are loaded from the CSVs.
    `limits`: DuckDB settings bounding memory (aideals.db.resource_config), as for validate.
    """

    from aideals import db

    tables_written = path.exists()
    con = db_connect(str(path), config={**(limits or {}), "storage_compatibility_version": STORAGE_COMPATIBILITY})
    try:
        if tables_written:
            db.create_views(con)
        else:
            if progress:
                progress("loading the tables into DuckDB")
            db.load(con, pkg)
        if populate_metrics is not None:
            if progress:
                progress("computing the metrics")
            populate_metrics(con, pkg)
        return {t: con.execute(f"SELECT count(*) FROM {db.quote_ident(t)}").fetchone()[0] for t in PARQUET_TABLES}
    finally:
        con.close()


def _order_by(pkg: Package, table: str) -> str:
    from aideals.db import quote_ident

    if table in pkg.resources:
        pk = pkg.resources[table].schema.get("primaryKey")
        if pk:
            return ", ".join(quote_ident(c) for c in ([pk] if isinstance(pk, str) else pk))
    return "ALL"


def write_parquet(
    pkg: Package, database: Path, parquet_dir: Path, progress: Progress | None, limits: dict | None = None
) -> None:
    """Export each table of the database to `<parquet_dir>/<table>.parquet`, reproducibly."""

    from aideals.db import quote_ident

    parquet_dir.mkdir()
    con = db_connect(str(database), read_only=True, config=dict(limits or {}))
    try:
        con.execute("SET threads = 1")
        for table in PARQUET_TABLES:
            if progress:
                progress(f"writing parquet/{table}.parquet")
            sql = PARQUET_COPY.format(table=quote_ident(table), order=_order_by(pkg, table))
            con.execute(sql, [str(parquet_dir / f"{table}.parquet")])
    finally:
        con.close()


def write_report(
    pkg: Package, database: Path, out: Path, descriptor: dict, progress: Progress | None, limits: dict | None = None
) -> None:
    """Write the report page from the finished database (its date from SOURCE_DATE_EPOCH, else now)."""

    from aideals import report

    if progress:
        progress("writing report.html")
    con = db_connect(str(database), read_only=True, config=dict(limits or {}))
    try:
        version = str(descriptor.get("version", pkg.version))
        report.write_report(con, out, version=version, built_at=report.parse_built_at(None), descriptor=descriptor)
    finally:
        con.close()


def write_release(
    pkg: Package,
    tmp: Path,
    populate_metrics: PopulateMetrics | None,
    progress: Progress | None,
    comparison: ReleaseComparison | None = None,
) -> dict[str, int]:
    """Write every file of a release into the empty directory `tmp`; return rows per table.

    `comparison`: the package compared with the release its descriptor names (made here if None)."""
    if progress:
        progress("copying the data files and schemas")
    import tempfile

    from aideals.db import resource_config
    from aideals.versioning import compare_with_release

    descriptor = copy_files(pkg, tmp)
    if comparison is None:
        comparison = compare_with_release(pkg.root, pkg.descriptor)
    if comparison.changed:  # the data differ from the release the descriptor names: the build must not pass for it
        descriptor["version"] = comparison.shown
    # DuckDB spills outside the release directory, so nothing of it can end up in the release.
    with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX) as spill:
        limits = resource_config(spill)
        rows = write_database(pkg, tmp / DATABASE, populate_metrics, progress, limits)
        write_parquet(pkg, tmp / DATABASE, tmp / "parquet", progress, limits)
        write_report(pkg, tmp / DATABASE, tmp / REPORT, descriptor, progress, limits)
    # The descriptor goes last but for the manifest: a directory holding it and the database is a
    # complete release; the manifest records every file above, so it is written once they are.
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    (tmp / DESCRIPTOR).write_text(text, encoding="utf-8")
    if progress:
        progress(f"writing {BUILD_MANIFEST}")
    write_manifest(tmp, str(descriptor.get("version", "")))
    return rows


def manifest_entry(root: Path, relpath: str) -> dict:
    """The manifest's record of one file: its path relative to `root`, its size and its sha256."""
    size, hexdigest = _hash_file(root / relpath)
    return {"path": relpath, "bytes": size, "sha256": hexdigest}


def write_manifest(build_dir: Path, version: str) -> None:
    """Write <build_dir>/build-manifest.json: the version and every file of the build but itself,
    sorted by path, each with its size and sha256 (as a release's release-manifest.json records
    its files). Nothing in it depends on when or where the build ran: two builds of the same data
    write the same manifest, but for the entries of files whose bytes already differ."""
    paths = sorted(p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file())
    files = [manifest_entry(build_dir, rel) for rel in paths if rel != BUILD_MANIFEST]
    text = json.dumps({"version": version, "files": files}, indent=2, ensure_ascii=False) + "\n"
    (build_dir / BUILD_MANIFEST).write_text(text, encoding="utf-8")


def record_rewritten(build_dir: Path, relpath: str) -> bool:
    """Update the entry of `relpath` in the build manifest of `build_dir`, after a file the build
    wrote was written again from the build's own data (`aideals report` rewriting report.html with
    another date); return whether it was. A build without a manifest, an unreadable manifest or one
    that does not list `relpath` is left as it is (`aideals verify` reports what does not match).
    The manifest is written to a temporary file beside it and renamed: never half-written."""
    path = build_dir / BUILD_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["files"]
        index = next(i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("path") == relpath)
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return False
    entries[index] = manifest_entry(build_dir, relpath)
    from aideals.atomic import replace_text

    replace_text(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return True


NAME_MAX = 255  # bytes in a file name, on Linux, macOS and Windows file systems alike


def hidden_name(name: str, suffix: str) -> str:
    """`.<name><suffix>`: the name of a file a build makes beside `name` (its lock, its temporary
    directory), within NAME_MAX bytes: for a long `name`, its start and a digest of the whole
    (the same for the same `name`, so that every build of it finds the same lock)."""
    full = f".{name}{suffix}"
    if len(os.fsencode(full)) <= NAME_MAX:
        return full
    digest = "." + hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    room = NAME_MAX - len(os.fsencode(f".{digest}{suffix}"))
    start, size = "", 0
    for char in name:  # whole characters: a cut inside é's two bytes is no UTF-8, which DuckDB refuses
        size += len(os.fsencode(char))
        if size > room:
            break
        start += char
    return f".{start}{digest}{suffix}"


def lock_path(out: Path) -> Path:
    """The lock file of `out` (a build's --out, the dist/ of a release): `.<name>.lock` beside it."""
    return out.parent / hidden_name(out.name, ".lock")


class OutLock:
    """An exclusive lock on writing `out`, held from creation to release(): a second build or
    release into the same directory refuses (one line) instead of racing the first, which could
    delete the release directories the first one is moving (dist/X.Y.Z/).

    The lock is flock(2) on lock_path(out), which is removed on release. The kernel drops the lock
    of a killed process, so a lock file left behind blocks nothing. Where flock is missing (not
    POSIX) or refused by the file system, the lock is not taken."""

    def __init__(self, out: Path) -> None:
        self.path = lock_path(out)
        self.fd: int | None = None
        try:
            import fcntl
        except ImportError:
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except BlockingIOError:
                os.close(fd)
                raise AidealsError(f"{out}: another aideals build or release is writing it now (it holds "
                                   f"{self.path}); nothing was written, try again when it has finished") from None
            except FileNotFoundError:
                same = False
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):  # no locks on this file system
                    self.path.unlink(missing_ok=True)
                    return
                raise
            except BaseException:
                os.close(fd)
                raise
            if same:
                self.fd = fd
                return
            os.close(fd)  # the holder removed the file as we locked it: lock the one there now

    def release(self) -> None:
        """Remove the lock file, then unlock (whoever opened the file meanwhile sees it is gone)."""
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(self.fd)
            self.fd = None


def _sibling(out: Path, role: str) -> Path:
    """A fresh hidden name beside `out`, on the same file system so that rename is atomic."""
    return out.parent / hidden_name(out.name, f".{role}-{os.getpid()}-{secrets.token_hex(4)}")


def release_dirs(out: Path) -> list[str]:
    """The names of the release directories in `out`, which a build of `out` keeps: X.Y.Z/, written
    by `aideals release` into dist/ by default (with its release manifest), or downloaded there (a
    build never writes a directory named like a version, so it is never a stale part of one)."""
    from aideals.versioning import SEMVER_RE

    if not out.is_dir() or out.is_symlink():
        return []
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink() and SEMVER_RE.match(p.name))


def move_back(names: list[str], src: Path, dst: Path) -> None:
    """Rename each of `names` from `src` to `dst` where it is still in `src` (undoing carry_releases)."""
    for name in names:
        if (src / name).exists() and not (dst / name).exists():
            os.rename(src / name, dst / name)


def carry_releases(out: Path, tmp: Path) -> list[str]:
    """Move the release directories of `out` into the new build `tmp` (renames on one file system),
    so that replacing `out` keeps them; return their names. On failure, every one is put back."""
    names = release_dirs(out)
    moved: list[str] = []
    try:
        for name in names:
            os.rename(out / name, tmp / name)
            moved.append(name)
    except BaseException:
        move_back(moved, tmp, out)
        raise
    return moved


def swap_in(tmp: Path, out: Path) -> str | None:
    """Put the complete release `tmp` in place of `out`; return a warning if the old one stays aside.

    The old release is renamed aside before the new one is renamed in, and renamed back if that
    fails, so at every moment `out` is either the old complete release or the new one.
    """
    old = _sibling(out, "old") if out.exists() else None
    try:
        if old is not None:
            os.rename(out, old)
        os.rename(tmp, out)
    except BaseException:
        # Interrupted or failed between the two renames: put the old release back.
        if old is not None and old.exists() and not out.exists():
            os.rename(old, out)
        raise
    if old is not None:
        try:
            shutil.rmtree(old)
        except OSError as exc:
            return f"the previous release was replaced but could not be deleted from {old}: {exc.strerror}"
    return None


def build(
    pkg: Package,
    out: Path,
    *,
    progress: Progress | None = None,
    populate_metrics: PopulateMetrics | None = None,
    extra_checks: Iterable[ExtraCheck] = (),
    shown_as: Path | None = None,
) -> BuildResult:
    """Validate `pkg`, refusing invalid data, then write its release to `out` atomically.

    `progress` is called with the name of each step as it starts. `populate_metrics` is called
    with the open database after the tables and views are loaded, to fill the `metrics` table;
    without it that table stays empty. `extra_checks` (e.g. from plugins) run with the validation.
    A file that cannot be written (a full disk, no permission) is an AidealsError naming `out`, or
    `shown_as` (what the user named: a release's directory, not the build's working one).
    """
    out = Path(out)
    shown = shown_as if shown_as is not None else out
    try:
        str(out).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are no UTF-8 in a name (os.fsdecode's surrogates)
        raise AidealsError(f"{os.fsencode(shown).decode('utf-8', 'backslashreplace')}: not a valid UTF-8 path, which "
                           "DuckDB cannot write a database to: choose another directory; nothing was written") from None
    _check_out(out, pkg)
    tmp = _sibling(out, "tmp")
    try:
        return _build(pkg, out, tmp, progress, populate_metrics, extra_checks)
    except Exception as exc:
        error = write_error(exc, out, tmp, shown_as)
        if error is None:
            raise
        raise error from exc


# What an error writing a file means for the user, by errno (the strerror follows in brackets).
WRITE_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file is larger than this system allows",
    errno.EROFS: "its file system is read-only",
}
SPILL_PREFIX = "aideals-build-"  # the directory DuckDB spills to, in TMPDIR (write_release)


def write_error(exc: BaseException, out: Path, tmp: Path, shown_as: Path | None = None) -> AidealsError | None:
    """The one-line error (exit 2) of a build of `out` that failed to write a file: `cannot write
    OUT: the disk is full (No space left on device)`, naming OUT (`shown_as`, else `out`) rather
    than `tmp`, the hidden directory beside it the build writes first, or TMPDIR when DuckDB
    failed to spill there. None when `exc` is no failure to write those (an unreadable data file
    keeps its own message; a bug stays one)."""
    import tempfile

    from aideals.errors import one_line

    spill = os.path.join(tempfile.gettempdir(), SPILL_PREFIX)
    def hidden(path: Path) -> bool:  # tmp, the lock, the old build set aside, or a file in them
        return any(p.parent == out.parent and p.name.startswith(".") for p in (path, *path.parents))

    named = None
    if isinstance(exc, OSError):
        code, reason = exc.errno, exc.strerror or str(exc)
        paths = [Path(os.fsdecode(n)) for n in (exc.filename, exc.filename2) if n is not None]
        spilled = any(spill in str(path) for path in paths)
        # out, the folders above it that the build makes, and the hidden names beside it; a write
        # error (a full disk) names no file. Any other file (a release's version file) is not ours.
        ours = not paths or spilled or any(
            path == out or path in out.parents or out in path.parents or hidden(path) for path in paths)
        named = next((path for path in paths if path != out and not hidden(path)), None)
    elif type(exc).__name__ == "IOException":  # DuckDB's: its text names the file and the OS's reason
        text = str(exc)
        code = next((c for c in (*WRITE_CAUSES, errno.EACCES, errno.ENAMETOOLONG) if os.strerror(c) in text), None)
        # the file as it will be named once the build is renamed into place, not its hidden name
        reason = os.strerror(code) if code is not None else one_line(exc).replace(str(tmp), str(shown_as or out))
        spilled = spill in text
        ours = code in WRITE_CAUSES or spilled or str(tmp) in text or str(tmp.resolve()) in text
        paths = []
    else:
        return None
    if not ours:
        return None
    where = f"the temporary directory {tempfile.gettempdir()} (TMPDIR)" if spilled else str(shown_as or out)
    if code in WRITE_CAUSES:
        return AidealsError(f"cannot write {where}: {WRITE_CAUSES[code]} ({reason})")
    if code in (errno.EACCES, errno.EPERM) and paths:
        return AidealsError(f"cannot write {where}: no permission to write in {paths[0].parent} ({reason})")
    # a folder above out that is a file, a name too long: named, as the temporary ones are not
    return AidealsError(f"cannot write {where}: {f'{named}: ' if named and not spilled else ''}{reason}")


def _build(
    pkg: Package,
    out: Path,
    tmp: Path,
    progress: Progress | None,
    populate_metrics: PopulateMetrics | None,
    extra_checks: Iterable[ExtraCheck],
) -> BuildResult:
    from aideals.versioning import compare_with_release

    made = make_dirs(out.parent)
    lock = None
    try:
        lock = OutLock(out)  # one build or release into `out` at a time: a second one refuses
        _check_previous_build(out)  # under the lock: no other build or release changes it meanwhile
        tmp.mkdir()  # unlike mkdtemp, honours the umask: the release gets ordinary permissions
    except BaseException:
        if lock is not None:
            lock.release()
        remove_empty(made)
        raise
    try:
        if progress:
            progress("validating the package")
        # The validated typed rows go straight into the release's database: the CSVs are parsed once.
        checks_run = require_valid(pkg, extra_checks, on_valid=lambda con: write_tables(con, pkg, tmp / DATABASE, progress))
        comparison = compare_with_release(pkg.root, pkg.descriptor)
        rows = write_release(pkg, tmp, populate_metrics, progress, comparison)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        # Releases made into out (dist/X.Y.Z/) are not this build's to replace: they move into it.
        carried = carry_releases(out, tmp)
        try:
            warning = swap_in(tmp, out)
        except BaseException:
            move_back(carried, tmp, out)  # out is the old build again: its releases go back in it
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        remove_empty(made)  # the directories made for out, if empty: nothing was built
        raise
    lock.release()
    return BuildResult(out, rows, checks_run, files, [warning] if warning else [], comparison.warning())


def make_dirs(directory: Path) -> list[Path]:
    """Make `directory` and its missing parents, a level at a time, and return the levels this call
    made, deepest first (for remove_empty after a failure): a level another process makes in the
    meantime is not counted, and a failure part-way removes the levels made before raising."""
    made: list[Path] = []
    try:
        for level in reversed((directory, *directory.parents)):  # the root first
            if level.is_dir():
                continue
            try:
                level.mkdir()
            except FileExistsError:
                if not level.is_dir():  # a file or a dangling link in the way: say so, by its name
                    raise
                continue  # made by someone else meanwhile
            made.append(level)
    except BaseException:  # a name too long, no permission: nothing of this call is left
        remove_empty(made[::-1])
        raise
    return made[::-1]


def remove_empty(directories: list[Path]) -> None:
    """Remove each of `directories` (deepest first) that is empty; stop at the first that is not."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def _display_path(path: Path) -> str:
    from aideals.package import working_dir

    cwd = working_dir()
    if cwd is None:  # deleted meanwhile: the build is made all the same, and named in full
        return str(path)
    try:
        rel = os.path.relpath(path.resolve(), cwd)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path.resolve())


def summary(result: BuildResult) -> str:
    """The short text printed after a build: rows, checks, files, and a DuckDB command to paste."""
    out = _display_path(result.out)
    width = max(len(t) for t in result.rows)
    lines = [f"built {out}/"]
    lines.append("rows:")
    lines += [f"  {t.ljust(width)}  {n:>9,}" for t, n in result.rows.items()]
    lines.append(f"checks passed: {', '.join(result.checks_run)}")
    lines.append(f"files: {out}/{DATABASE}, {out}/parquet/*.parquet, {out}/data/*.csv, {out}/schemas/*.json, {out}/{DESCRIPTOR}, "
                 f"{out}/{REPORT}, {out}/{BUILD_MANIFEST}")
    lines += [f"warning: {w}" for w in result.warnings]
    import shlex

    db_path = shlex.quote(f"{out}/{DATABASE}")
    lines.append("query it:")
    lines.append(f'  duckdb {db_path} -c "SELECT * FROM flows WHERE to_party = \'openai\' ORDER BY value_high DESC"')
    return "\n".join(lines)
