"""`aideals release X.Y.Z`: a tagged, citable, verifiable release.

A release is checked first (clean tree, valid data, a version greater than the last tag, a
CHANGELOG section with its date, no incompatible schema change under a MINOR or PATCH version);
nothing is written unless every check passes. Then the version and date are set in
datapackage.json, CITATION.cff and .zenodo.json, the package is built, and dist/X.Y.Z/ receives:

    aideals-X.Y.Z.zip             the data package (datapackage.json with hashed resources, data/, schemas/)
    aideals-X.Y.Z.duckdb          the typed tables and views
    aideals-X.Y.Z-<table>.parquet one per table
    release-manifest.json         version, date, commit, files (bytes, sha256), row counts, toolkit version,
                                  and the plugins whose metrics and checks made it
    SHA256SUMS                    `sha256sum -c` compatible

The zip and the Parquet files are byte-identical for two builds of the same commit: zip entries
are sorted and carry the release date as their timestamp. So that the commit decides the
`metrics` table, a release loads the repository's `plugins/` and an installed plugin only when
AIDEALS_PLUGINS names it (`ReleasePlugins`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from aideals import metadata
from aideals.db import connect as db_connect
from aideals.errors import AidealsError
from aideals.metadata import FileUpdate
from aideals.verify import file_digest
from aideals.versioning import Version

if TYPE_CHECKING:
    from aideals.metrics import MetricsRun
    from aideals.plugins import PluginInfo, PluginProblem, Plugins

SUMS = "SHA256SUMS"
MANIFEST = "release-manifest.json"
MANIFEST_SCHEMA = "schemas/release-manifest.schema.json"
# Files of the repository that travel in the zip beside the package, so that the archive
# explains itself: how to cite it and what changed.
ZIP_EXTRAS = ("README.md", "CHANGELOG.md", "CITATION.cff")
ZIP_MODE = 0o644 << 16
ZIP_SYSTEM_UNIX = 3
ZIP_LEVEL = 9


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release directory."""

    path: str
    bytes: int
    sha256: str


def zip_members(build_dir: Path) -> list[str]:
    """The files of a build that make up the data package in the zip: descriptor, data, schemas."""
    members = ["datapackage.json"]
    for sub in ("data", "schemas"):
        members += [p.relative_to(build_dir).as_posix() for p in (build_dir / sub).rglob("*") if p.is_file()]
    return sorted(members)


def write_zip(dest: Path, files: dict[str, bytes], day: date) -> None:
    """Write a zip whose bytes depend only on `files` and `day`: sorted entries, fixed times and modes."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(dest, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ZIP_MODE
            info.create_system = ZIP_SYSTEM_UNIX
            zf.writestr(info, files[name], compresslevel=ZIP_LEVEL)


def list_files(release_dir: Path) -> list[ReleaseFile]:
    """Every file of a release directory but the manifest and SHA256SUMS, sorted by path."""
    out = []
    for path in sorted(release_dir.rglob("*")):
        rel = path.relative_to(release_dir).as_posix()
        if path.is_file() and rel not in (MANIFEST, SUMS):
            size, digest = file_digest(path)
            out.append(ReleaseFile(rel, size, digest))
    return out


def _csv_row_count(data: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))) - 1


def row_counts(build_dir: Path) -> dict[str, int]:
    """Rows of each table: from the build's DuckDB database (metrics included), else from its CSVs."""
    db_path = build_dir / "aideals.duckdb"
    if db_path.is_file():

        with db_connect(str(db_path), read_only=True) as con:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY table_name"
            ).fetchall()]
            # Table names come from the database itself, quoted as identifiers.
            return {n: con.execute(f'SELECT count(*) FROM "{n.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
                    for n in names}
    descriptor = json.loads((build_dir / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: _csv_row_count((build_dir / r["path"]).read_bytes()) for r in descriptor["resources"]}


def make_manifest(
    version: str,
    day: date,
    commit: str,
    files: list[ReleaseFile],
    rows: dict[str, int],
    toolkit_version: str,
    plugins: list[dict] | None = None,
) -> dict:
    """The release-manifest.json document; `plugins` (ReleasePlugins.entries) when known."""
    manifest = {
        "name": "aideals",
        "version": version,
        "date": day.isoformat(),
        "git_commit": commit,
        "tag": f"v{version}",
        "toolkit_version": toolkit_version,
        "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in files],
        "row_counts": dict(sorted(rows.items())),
    }
    if plugins is not None:
        manifest["plugins"] = plugins
    return manifest


def validate_manifest(manifest: dict, schema: dict) -> None:
    """Raise AidealsError naming the first problem when `manifest` does not fit its schema."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise AidealsError(f"{MANIFEST}: {where}: {errors[0].message}")


def assemble(
    build_dir: Path,
    out_dir: Path,
    *,
    version: str,
    day: date,
    commit: str,
    toolkit_version: str,
    repo_root: Path | None = None,
    rows: dict[str, int] | None = None,
    plugins: list[dict] | None = None,
) -> dict:
    """Turn a build (the `aideals build` layout) into the release directory `out_dir`; return the manifest.

    `plugins`: the manifest's record of the plugins that made the build (ReleasePlugins.entries).

    `out_dir` must not exist yet: callers assemble into a temporary directory and rename it.
    """
    out_dir.mkdir(parents=True)
    files = {name: (build_dir / name).read_bytes() for name in zip_members(build_dir)}
    for extra in ZIP_EXTRAS if repo_root is not None else ():
        if (repo_root / extra).is_file():
            files[extra] = (repo_root / extra).read_bytes()
    write_zip(out_dir / f"aideals-{version}.zip", files, day)
    if (build_dir / "aideals.duckdb").is_file():
        shutil.copyfile(build_dir / "aideals.duckdb", out_dir / f"aideals-{version}.duckdb")
    for parquet in sorted((build_dir / "parquet").glob("*.parquet")):
        shutil.copyfile(parquet, out_dir / f"aideals-{version}-{parquet.name}")
    manifest = make_manifest(version, day, commit, list_files(out_dir), rows if rows is not None else row_counts(build_dir),
                             toolkit_version, plugins)
    schema_path = build_dir / MANIFEST_SCHEMA
    if not schema_path.is_file():
        raise AidealsError(f"{MANIFEST_SCHEMA}: not found in the build: the manifest cannot be validated")
    validate_manifest(manifest, json.loads(schema_path.read_text(encoding="utf-8")))
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    listed = sorted([*list_files(out_dir), _entry(out_dir, MANIFEST)], key=lambda f: f.path)
    sums = "".join(f"{f.sha256}  {f.path}\n" for f in listed)
    (out_dir / SUMS).write_text(sums, encoding="utf-8")
    return manifest


def _entry(root: Path, rel: str) -> ReleaseFile:
    size, digest = file_digest(root / rel)
    return ReleaseFile(rel, size, digest)


# ------------------------------------------------------------------------- checks, then release


@dataclass
class ReleasePlan:
    """Everything `aideals release` checked and will do; nothing is written to make one."""

    version: Version
    day: date
    previous: Version | None
    root: Path  # the package root
    repo: Path  # the git work tree top
    out: Path  # dist/X.Y.Z
    updates: list[FileUpdate]
    checks_run: list[str]
    compatible_since_previous: bool
    plugins: ReleasePlugins | None = None  # None: no plugin, no metric

    def describe(self) -> list[str]:
        """What the release will do, one step a line (printed by --dry-run)."""
        since = f"after {self.previous.tag}" if self.previous else "the first release"
        changed = [u.relpath for u in self.updates if u.changed]
        lines = [f"release {self.version} dated {self.day.isoformat()} ({since})"]
        lines.append(f"checks passed: clean work tree, {', '.join(self.checks_run)}, CHANGELOG section"
                     + (", schemas compatible" if self.previous and self.compatible_since_previous else ""))
        lines.append("set version and date in: " + (", ".join(changed) if changed else "nothing (already set)"))
        lines.append(f"build into: {_shown(self.out)}/ (aideals-{self.version}.zip, aideals-{self.version}.duckdb, "
                     f"aideals-{self.version}-<table>.parquet, {MANIFEST}, {SUMS})")
        lines += self.plugins.lines() if self.plugins is not None else [NO_PLUGINS]
        lines.append(f"commit: {'Release ' + str(self.version) if changed else 'none needed'}")
        lines.append(f"tag: {self.version.tag} (annotated)")
        return lines


@dataclass
class ReleaseResult:
    """What a release made."""

    plan: ReleasePlan
    commit: str
    manifest: dict
    warnings: list[str]


def _shown(path: Path) -> str:
    from aideals.package import working_dir

    cwd = working_dir()
    try:
        return path.relative_to(cwd).as_posix() if cwd is not None else str(path)
    except ValueError:
        return str(path)


def check(root: Path, version_text: str, *, dist: Path | None = None, plugins: ReleasePlugins | None = None) -> ReleasePlan:
    """Run every check a release needs and return the plan; raise AidealsError (one line) at the first that fails.

    `plugins` (ReleasePlugins.load): their checks run with the validation, and a plugin problem
    known before any metric is computed refuses the release; without them, no plugin takes part."""
    from aideals import compat, gitrepo, package, snapshot
    from aideals.build import lock_path, require_valid
    from aideals.versioning import changelog_release_date, versions_from_tags

    version = Version.parse(version_text)
    repo = gitrepo.toplevel(root)
    if repo is None:
        raise AidealsError(f"{root}: not in a git repository: a release is a git tag")
    out = (dist if dist is not None else root / "dist") / str(version)
    reads = _read_dirs(root)
    for folder in reads or ():
        if _is_within(out.parent, folder):
            shown = os.path.relpath(folder, root) if _is_within(folder, root) else str(folder)
            raise AidealsError(f"{dist if dist is not None else out.parent}: refused as --dist: it is inside "
                               f"{shown}/, which holds files the release reads or runs; use a directory such as "
                               "dist/; nothing was written")
    # What releases write (dist/) is not part of the work tree a release checks, tracked or not;
    # unless it holds the package or the repository itself (`--dist ..`), or the package cannot be
    # read: then nothing is left out. Nor is anything of what the release reads or runs (`--dist src`
    # holds the toolkit's code in src/aideals/).
    holds_package = reads is None or _is_within(root, out.parent) or _is_within(repo, out.parent)
    lock = lock_path(out.parent).resolve()  # there while a build or release writes dist/ (it then refuses)

    def left_out(path: Path) -> bool:
        if path.resolve() == lock:
            return True
        return _is_within(path, out.parent) and not any(_is_within(path, folder) for folder in reads)

    dirty = [p for p in gitrepo.dirty_paths(repo) if holds_package or not left_out(repo / p)]
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        first = dirty[0] if dirty[0].isprintable() else repr(dirty[0])
        raise AidealsError(f"the working tree is not clean ({first}{more}): commit or stash first; nothing was written")
    tags = gitrepo.tags(repo)
    if version.tag in tags:
        raise AidealsError(f"tag {version.tag} already exists: a release is never made twice; nothing was written")
    released = versions_from_tags(tags)
    previous = released[-1] if released else None
    if previous is not None and not version > previous:
        raise AidealsError(
            f"version {version} is not greater than the last release {previous} ({previous.tag}); nothing was written"
        )
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        raise AidealsError("CHANGELOG.md: not found next to datapackage.json; nothing was written")
    day = changelog_release_date(package.read_text(changelog, "CHANGELOG.md"), version)
    if day is None:
        raise AidealsError(
            f"CHANGELOG.md has no section `## [{version}] - YYYY-MM-DD`: rename `## [Unreleased]` or add one; "
            "nothing was written"
        )
    compatible = True
    if previous is not None:
        changes = compat.incompatible_changes(snapshot.from_git(root, previous.tag), snapshot.from_directory(root))
        compatible = not changes
        # MAJOR is counted from the last release that is not a pre-release: after 0.9.0 and
        # 1.0.0-rc.1, 1.0.0 may still change the schemas incompatibly (it is the MAJOR step).
        final = next((v for v in reversed(released) if not v.prerelease), None)
        if changes and final is not None and not version.is_major_bump_from(final):
            more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
            raise AidealsError(
                f"incompatible change since {previous.tag} ({changes[0].line()}{more}): "
                f"a MAJOR version is needed, e.g. {final.major + 1}.0.0; nothing was written"
            )
    _check_manifest_schema(root / MANIFEST_SCHEMA)
    pkg = package.load(root)
    checks_run = require_valid(pkg, extra_checks=plugins.checks if plugins is not None else (),
                               refused="nothing was written")
    if plugins is not None:
        plugins.refuse_problems()
    updates = metadata.release_updates(root, str(version), day)
    return ReleasePlan(version, day, previous, root, repo, out, updates, checks_run, compatible, plugins)


def _read_dirs(root: Path) -> list[Path] | None:
    """The folders of files a release of the package at `root` reads or runs: its data and schema
    folders (not the root itself), plugins/ and the toolkit's code (src/aideals/, and the code
    running, wherever it is); None when the package cannot be read (the release then refuses it)."""
    import aideals
    from aideals import package, plugins

    try:
        pkg = package.load(root)
    except (AidealsError, OSError):
        return None
    folders = {root / plugins.REPOSITORY_DIR, (root / metadata.TOOLKIT_INIT).parent, Path(aideals.__file__).parent}
    for res in pkg.resources.values():
        for part in filter(None, (res.path, res.schema_relpath and root / res.schema_relpath)):
            folders.add(Path(part).parent)
    return sorted(f.resolve() for f in folders if f.resolve() != root.resolve())


def _check_manifest_schema(schema_path: Path) -> None:
    """Refuse, before anything is written, a manifest schema the release could not check its
    manifest against: missing, not JSON, or not a JSON Schema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except OSError:
        raise AidealsError(f"{MANIFEST_SCHEMA}: not found: a release checks its {MANIFEST} against it; "
                           "nothing was written") from None
    except ValueError as exc:
        raise AidealsError(f"{MANIFEST_SCHEMA}: not valid JSON: {exc}; nothing was written") from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise AidealsError(f"{MANIFEST_SCHEMA}: not a JSON Schema: {where}: {exc.message}; "
                           "nothing was written") from None


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _commit_message(plan: ReleasePlan) -> tuple[str, str]:
    since = f"since {plan.previous.tag}" if plan.previous else ""
    body = (f"Set version {plan.version} and date {plan.day.isoformat()} in datapackage.json, CITATION.cff "
            f"and .zenodo.json for the release tagged {plan.version.tag}{' ' if since else ''}{since}.")
    if any(u.relpath == metadata.TOOLKIT_INIT for u in plan.updates if u.changed):
        body += f" The toolkit's version ({metadata.TOOLKIT_INIT}) is {plan.version} too."
    return f"Release {plan.version}", body


def _runs_from(root: Path) -> bool:
    """Whether the toolkit running this release is the source in the package's repository (an
    editable install of it): then the release's commit is the toolkit's code too."""
    import aideals

    own = root / metadata.TOOLKIT_INIT
    return own.is_file() and Path(aideals.__file__).resolve() == own.resolve()


def make(plan: ReleasePlan, *, progress=None, on_released=None) -> ReleaseResult:
    """Carry out a checked plan: set the metadata, build (with the plan's plugins), commit, write
    dist/X.Y.Z, tag; then call `on_released(result)` (the command prints the summary).

    Metadata files are restored if the build fails, and a failed release removes the dist/
    directories it made while they are empty. If writing the release directory fails after
    the commit, running the same command again finishes the release (it tags the commit made).
    Ctrl-C or SIGTERM during the commit or the tag waits for git to finish (see _uninterrupted):
    after the commit the release stops with the commit made and its files kept, so that running
    the same command again finishes it; once tagged, the release is complete: an interrupt from
    then on, while its temporary files and lock are removed and `on_released` says what was made,
    is dropped, and the release returns.
    """
    import aideals
    from aideals import gitrepo, package
    from aideals.atomic import replace_text
    from aideals.build import OutLock, build, make_dirs, remove_empty, write_error

    commit = None

    def said(exc: BaseException) -> BaseException:
        """A failure to write dist/ (a full disk), as one line naming the release directory."""
        error = write_error(exc, plan.out, plan.out) if isinstance(exc, Exception) else None
        if error is None:
            return exc
        if commit is not None:
            error = AidealsError(f"{error}; the release commit {commit[:12]} is made: run `aideals release "
                                 f"{plan.version}` again to finish the release")
        return error

    # The working directory first: if it cannot be made, nothing has been changed yet.
    lock = None
    made: list[Path] = []
    try:
        made = make_dirs(plan.out.parent)
        # No build or other release into dist/ meanwhile: a build moves dist/X.Y.Z/ directories.
        lock = OutLock(plan.out.parent)
        work = Path(tempfile.mkdtemp(prefix=f".release-{plan.version}-", dir=plan.out.parent))
    except BaseException as exc:
        if lock is not None:
            lock.release()
        remove_empty(made)
        error = said(exc)
        if error is exc:
            raise
        raise error from exc
    changed = [u for u in plan.updates if u.changed]
    running = aideals.__version__
    head = gitrepo.resolve_commit(plan.repo, "HEAD")
    try:
        try:
            for u in changed:
                replace_text(plan.root / u.relpath, u.new)
            if _runs_from(plan.root):
                # The toolkit running is the one being released: the report and the manifest name its new version.
                aideals.__version__ = str(plan.version)
            plugins = plan.plugins
            result = build(package.load(plan.root), work / "build", progress=progress,
                           populate_metrics=plugins.populate if plugins is not None else None,
                           extra_checks=plugins.checks if plugins is not None else (), shown_as=plan.out)
            if changed:
                paths = [str((plan.root / u.relpath).relative_to(plan.repo)) for u in changed]
                subject, body = _commit_message(plan)
                with _uninterrupted():
                    gitrepo.run(plan.repo, "add", "--", *paths)
                    gitrepo.run(plan.repo, "commit", "-q", "-m", subject, "-m", body, "--", *paths)
        except BaseException:
            aideals.__version__ = running
            with _uninterrupted(stop_after=False):  # the files are put back whole, or not at all
                # Whether git made the commit (a hook may fail, or git be interrupted, after it):
                # if it did, its files stay as committed, and running the release again finishes it.
                if not (changed and gitrepo.resolve_commit(plan.repo, "HEAD") != head):
                    for u in changed:
                        if u.old or u.relpath != ".zenodo.json":
                            replace_text(plan.root / u.relpath, u.old)
                        else:  # it did not exist before this release
                            (plan.root / u.relpath).unlink(missing_ok=True)
                    if changed:
                        gitrepo.run(plan.repo, "reset", "-q", "--", *[str((plan.root / u.relpath).relative_to(plan.repo))
                                                                      for u in changed], check=False)
            raise
        commit = gitrepo.head_commit(plan.repo)
        if progress:
            progress(f"writing {_shown(plan.out)}")
        staging = work / str(plan.version)
        manifest = assemble(result.out, staging, version=str(plan.version), day=plan.day, commit=commit,
                            toolkit_version=aideals.__version__, repo_root=plan.root, rows=result.rows,
                            plugins=plugins.entries() if plugins is not None else [])
        warnings = list(result.warnings)
        if plan.out.exists():
            aside = plan.out.parent / f".{plan.out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(plan.out, aside)
            os.rename(staging, plan.out)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(staging, plan.out)
        # Once tagged, the release is complete: nothing is left to stop, and a Ctrl-C meanwhile
        # (an exit 130 with no word, and a rerun refused as the tag exists) is dropped until the
        # lock is released and the release is said.
        with _uninterrupted(stop_after=False):
            gitrepo.run(plan.repo, "tag", "-a", plan.version.tag, "-m", f"aideals {plan.version} ({plan.day.isoformat()})",
                        commit)
            shutil.rmtree(work, ignore_errors=True)
            lock.release()
            result = ReleaseResult(plan, commit, manifest, warnings)
            if on_released is not None:
                on_released(result)
    except BaseException as exc:
        # A failed release leaves no dist/ it made behind: the directories it created, if empty.
        shutil.rmtree(work, ignore_errors=True)
        lock.release()
        remove_empty(made)
        error = said(exc)
        if error is exc:
            raise
        raise error from exc
    return result


@contextlib.contextmanager
def _uninterrupted(stop_after: bool = True) -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then act on them: KeyboardInterrupt if the
    block failed, or if it succeeded and `stop_after`.

    A git step interrupted half-way (subprocess kills git on KeyboardInterrupt) may or may not
    have made its commit or tag and leaves git's lock files behind; held, the step finishes, and
    the release knows where it stands. Only signals with a Python handler (the command line's, or
    Python's own for SIGINT) are held; an ignored or default one stays as it is. A signal that
    ends nothing (the block succeeded, not `stop_after`) is dropped: not even noted."""
    import signal
    import threading

    from aideals.errors import note_signal

    received: list[int] = []
    saved = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(signum)
            if callable(handler):
                saved[signum] = handler
                signal.signal(signum, lambda signum, frame: received.append(signum))

    def restore() -> None:
        for signum, handler in saved.items():
            signal.signal(signum, handler)

    try:
        yield
    except BaseException:
        restore()
        if received:
            note_signal()  # as the command line's own handler does (errors.signalled)
            raise KeyboardInterrupt from None
        raise
    restore()
    if received and stop_after:
        note_signal()
        raise KeyboardInterrupt


def summary(result: ReleaseResult) -> str:
    """The lines printed after a release."""
    plan = result.plan
    lines = [f"released {plan.version} ({plan.day.isoformat()}), commit {result.commit[:12]}, tag {plan.version.tag}"]
    paths = [f"{_shown(plan.out)}/{f['path']}" for f in result.manifest["files"]]
    width = max(len(p) for p in paths)
    for path, f in zip(paths, result.manifest["files"]):
        lines.append(f"  {path.ljust(width)}  {f['bytes']:>12,} bytes  sha256:{f['sha256'][:16]}…")
    lines.append("rows: " + ", ".join(f"{t} {n:,}" for t, n in result.manifest["row_counts"].items()))
    lines += plan.plugins.lines() if plan.plugins is not None else [NO_PLUGINS]
    lines += [f"warning: {w}" for w in result.warnings]
    lines.append(f"check it: aideals verify {_shown(plan.out)}")
    lines.append(f"publish: git push origin {plan.version.tag} (and the commit), then upload {_shown(plan.out)}/*")
    return "\n".join(lines)


NO_PLUGINS = "plugins: none, so the metrics table is empty"
INSTALLED_OPT_IN = "a release loads an installed plugin only when AIDEALS_PLUGINS names it"


@dataclass
class ReleasePlugins:
    """The plugins a release runs, and what it records of them.

    The repository's `plugins/` is part of the commit released; an installed plugin (an entry
    point) is part of the machine the release is made on, so a release loads one only when
    AIDEALS_PLUGINS names it, and lists the others as left out: the same commit then releases the
    same `metrics` table wherever it is made. Metrics run strictly: a metric that fails stops the
    release rather than publishing a `metrics` table with a hole in it.
    """

    root: Path
    loaded: Plugins
    checks: list  # the ExtraChecks the validation runs (Plugins.checks_to_run)
    run: MetricsRun | None = None  # the metrics computed, once the release is built

    @classmethod
    def load(cls, root: Path) -> ReleasePlugins:
        from aideals import plugins

        loaded = plugins.load(root, installed_only_if_named=True)
        return cls(root, loaded, loaded.checks_to_run())

    def _stops(self, problem: PluginProblem) -> None:  # nothing is skipped: the release stops on it
        print(problem.warning("the release stops"), file=sys.stderr)

    def refuse_problems(self) -> None:
        """Refuse, before anything is written, a plugin problem the metrics would stop the release on
        (a metrics hook that fails), warning of each. (A name in AIDEALS_PLUGINS that no plugin has
        stopped it before: `plugins.load` refuses it.)"""
        self.loaded.metrics()  # its hooks' problems are recorded
        if self.loaded.problems:
            for problem in self.loaded.problems:
                self._stops(problem)
            raise AidealsError(f"{len(self.loaded.problems)} plugin problem(s), first: {self.loaded.problems[0].line()}; "
                               "nothing was written", exit_code=1)

    def populate(self, con, pkg) -> MetricsRun:
        """Fill the release's `metrics` table (the build's populate_metrics), strictly."""
        from aideals import metrics

        self.run = metrics.populate(con, pkg, plugins=self.loaded, strict=True, report=self._stops,
                                    plugins_dir_option=False)
        return self.run

    def entries(self) -> list[dict]:
        """One record per plugin loaded, in loading order, as release-manifest.json has them: name,
        origin, location (a repository module relative to the package), distribution and version
        (installed plugins), its metrics with their rows (None before the release is built) and its checks."""
        from collections import Counter

        computed = self.run.metrics if self.run is not None else self.loaded.metrics()
        rows = Counter((r.plugin, r.metric) for r in self.run.results) if self.run is not None else None
        checks: dict[str, list[str]] = {}
        for check in self.checks:
            checks.setdefault(check.plugin, []).append(check.name)
        return [
            {
                "name": info.name,
                "origin": info.origin,
                "location": self._location(info),
                "distribution": info.distribution,
                "version": info.version,
                "metrics": {m.name: rows[(info.name, m.name)] if rows is not None else None
                            for m in sorted(computed, key=lambda m: m.name) if m.plugin == info.name},
                "checks": sorted(checks.get(info.name, [])),
            }
            for info in self.loaded.info.values()
        ]

    def _location(self, info: PluginInfo) -> str:
        from aideals.plugins import ORIGIN_ENTRY_POINT

        if info.origin == ORIGIN_ENTRY_POINT:
            return info.location
        try:
            return Path(info.location).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return info.location

    def lines(self) -> list[str]:
        """What --dry-run and the release's summary say of the plugins: each with its metrics (and
        their rows, once built) and checks, then the installed plugins left out."""
        entries = self.entries()
        lines = ["plugins, whose metrics make the metrics table (recorded in release-manifest.json):"] if entries else [NO_PLUGINS]
        lines += [f"  {plugin_line(e)}" for e in entries]
        for info in self.loaded.left_out:
            version = f" {info.version}" if info.version else ""
            lines.append(f"left out: {info.name}{version}, installed (entry point {info.location}): {INSTALLED_OPT_IN}")
        return lines


def plugin_line(entry: dict) -> str:
    """One plugin of a manifest's `plugins` on one line: where it is from, its metrics and checks."""
    if entry["origin"] == "entry point":
        dist = " ".join(x for x in (entry.get("distribution"), entry.get("version")) if x)
        where = f"installed {dist} (entry point {entry['location']})" if dist else f"installed (entry point {entry['location']})"
    else:
        where = f"{entry['origin']} {entry['location']}"
    metrics = [m if n is None else f"{m} ({n:,} rows)" for m, n in entry["metrics"].items()]
    text = f"{entry['name']}: {where}; " + (f"metrics: {', '.join(metrics)}" if metrics else "no metrics")
    return text + (f"; checks: {', '.join(entry['checks'])}" if entry.get("checks") else "")
