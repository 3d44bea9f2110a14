"""`aideals build`: argument parsing only; the work is in aideals.build."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from aideals.options import NonEmptyPath, package_option, plugins_dir_option


class TerminalProgress:
    """Shows the current build step on one rewritten line of stderr (only made for a terminal)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, step: str) -> None:
        click.echo(f"\r\x1b[K[{time.monotonic() - self.started:5.1f}s] {step}…", err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", err=True, nl=False)
            self.shown = False


@click.command(name="build")
@click.option(
    "--out",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    default=None,
    help="Release directory to write, replaced atomically when the build succeeds; an existing one "
    "must be an earlier build, else the build refuses (default: dist/ in the package root, where "
    "`aideals query` looks).",
)
@package_option
@plugins_dir_option
def command(out: Path | None, package: str | None, plugins_dirs: tuple[str, ...]) -> None:
    """Validate the package, then write a SQL-ready release into OUT.

    OUT receives aideals.duckdb (typed tables, views figures_resolved, flows, deals_counted,
    figures_counted, consensus, and the metrics table computed by every loaded metric plugin),
    parquet/<table>.parquet, data/*.csv, schemas/, report.html (the offline report page),
    datapackage.json with the size and sha256 hash of every resource, and build-manifest.json
    with the size and sha256 of every other file (`aideals verify OUT` checks them all). The
    plugins' checks run with the validation. Invalid data is refused (exit 1; a missing or
    unreadable file, exit 2) and the previous release is left untouched. Set SOURCE_DATE_EPOCH
    for a reproducible report date.
    When a data, schema or descriptor file differs from git tag vX.Y.Z of the version the package
    names, OUT's datapackage.json and report say X.Y.Z+unreleased: it is not that release. In a
    git clone without release tags a warning on stderr says the comparison could not be made
    (run `git fetch --tags`).
    DuckDB runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and AIDEALS_THREADS
    (default: all cores), spilling what does not fit to a temporary directory of its own.

    Example:

    \b
        aideals build --out dist
        duckdb dist/aideals.duckdb -c "SELECT * FROM consensus WHERE sources_disagree"
    """
    from functools import partial

    from aideals import build as building
    from aideals import metrics
    from aideals import package as packages
    from aideals import plugins

    pkg = packages.load(packages.resolve_root(package))
    loaded = plugins.load(pkg.root, plugins_dirs)
    if out is None:
        out = pkg.root / "dist"
    progress = TerminalProgress() if sys.stderr.isatty() else None

    def to_stderr(line: str) -> None:  # a warning on a line of its own, not after the step shown
        if progress is not None:
            progress.clear()
        click.echo(line, err=True)

    try:
        result = building.build(
            pkg,
            out,
            progress=progress,
            populate_metrics=partial(metrics.populate, plugins=loaded, progress=progress,
                                     report=lambda problem: to_stderr(problem.warning()),
                                     warn=lambda message: to_stderr(f"aideals: warning: {message}")),
            extra_checks=loaded.checks_to_run(),
        )
    finally:
        if progress is not None:
            progress.clear()
    if result.version_warning:
        click.echo(f"aideals: warning: {result.version_warning}", err=True)
    click.echo(building.summary(result))
