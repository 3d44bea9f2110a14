"""`aideals verify PATH`: check a release against its recorded hashes and sizes."""

from __future__ import annotations

from pathlib import Path

import click

from aideals.options import NonEmptyPath


@click.command(name="verify")
@click.argument("path", type=NonEmptyPath(path_type=Path))
def command(path: Path) -> None:
    """Recompute every hash and byte count of a release or build and report each mismatch.

    PATH is a release directory (dist/X.Y.Z, or its SHA256SUMS or release-manifest.json), a
    build directory (dist, or its build-manifest.json, which records every file the build
    wrote), a release zip, or a package directory or descriptor (datapackage.json, or another
    name) whose resources carry `bytes` and `hash`. Besides a wrong hash or size, a mismatch is
    a missing file, a file the release or build does not list, a damaged zip entry, or a listed
    name outside the directory (never read). Exit 1 on any mismatch. A directory without a
    manifest (a build made before build-manifest.json) is checked by its datapackage.json, and a
    warning on stderr names the files that nothing records, which were not checked.

    Example: aideals verify dist/0.1.0
    """
    from aideals.errors import visible
    from aideals.verify import unrecorded_warning, verify

    report = verify(path)
    shown = visible(str(path))
    for mismatch in report.mismatches:
        click.echo(mismatch.line())
    warning = unrecorded_warning(report)
    if warning:
        click.echo(f"aideals: warning: {warning}", err=True)
    if report.ok:
        click.echo(f"{shown}: OK, {report.files_checked} files match their recorded hashes and sizes")
        return
    n = len(report.mismatches)
    click.echo(f"{shown}: {n} mismatch{'es' if n != 1 else ''} in {report.files_checked} files checked", err=True)
    raise click.exceptions.Exit(1)
