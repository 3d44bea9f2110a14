"""`aideals release X.Y.Z`: check, build, commit and tag a release."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aideals.options import NonEmptyPath, package_option


@click.command(name="release")
@click.argument("version")
@click.option("--dry-run", is_flag=True, help="Run every check and show what would be done; write nothing.")
@click.option(
    "--dist",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    default=None,
    help="Directory that receives X.Y.Z/ (default: dist/ beside datapackage.json); not inside data/, "
    "schemas/, plugins/ or the toolkit's code, which the release reads or runs.",
)
@package_option
def command(version: str, dry_run: bool, dist: Path | None, package: str | None) -> None:
    """Make release VERSION (X.Y.Z): a commit, an annotated tag vX.Y.Z and dist/X.Y.Z/.

    Refuses, writing nothing, unless the work tree is clean, the data validates, VERSION is a
    semantic version greater than the last tag, CHANGELOG.md has a `## [X.Y.Z] - YYYY-MM-DD`
    section, and no schema changed incompatibly since the last release (else MAJOR is needed).
    Then it sets the version and date in datapackage.json, CITATION.cff and .zenodo.json (and,
    in the toolkit's own repository, the toolkit's version in src/aideals/__init__.py), builds
    the zip, the DuckDB database, the Parquet files, release-manifest.json and SHA256SUMS, commits
    and tags. Push the tag yourself.

    The metrics table is computed by the repository's plugins/ and by an installed plugin only
    when AIDEALS_PLUGINS names it (name the built-ins too); --dry-run and the summary list the
    plugins, those left out too, and release-manifest.json records them.

    Example:

    \b
        aideals release 0.2.0 --dry-run
        aideals release 0.2.0 && aideals verify dist/0.2.0
        AIDEALS_PLUGINS=circularity,commitments_vs_revenue,cost_per_gigawatt,vendor_financing_ratio,my-plugin \\
            aideals release 0.2.0
    """
    from aideals import release
    from aideals.package import resolve_root

    root = resolve_root(package)
    plan = release.check(root, version, dist=dist, plugins=release.ReleasePlugins.load(root))
    if dry_run:
        click.echo("\n".join(["dry run: nothing written", *plan.describe()]))
        return

    def progress(step: str) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r\x1b[K{step}…", err=True, nl=False)

    def say(result: release.ReleaseResult) -> None:  # Ctrl-C meanwhile is dropped: the release is made
        if sys.stderr.isatty():
            click.echo("\r\x1b[K", err=True, nl=False)
        click.echo(release.summary(result))

    release.make(plan, progress=progress, on_released=say)
