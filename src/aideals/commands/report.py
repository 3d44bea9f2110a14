"""`aideals report`: write the release as one offline HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from aideals.options import NonEmptyPath, package_option


@click.command(name="report")
@click.option(
    "--out",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write, never inside a release directory (default: dist/report.html in the package "
    "directory, or report.html beside --db).",
)
@click.option(
    "--db",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    default=None,
    help="Release database to read (default: dist/aideals.duckdb when present, else the package's CSVs).",
)
@click.option(
    "--built-at",
    default=None,
    help="Build date shown on the page, ISO 8601 (default: SOURCE_DATE_EPOCH if set, else now).",
)
@package_option
def command(out: Path | None, db: Path | None, built_at: str | None, package: str | None) -> None:
    """Write one self-contained HTML page of the release: flow network, timeline, metrics, figures.

    The page needs no network to open. It is built from the release database (dist/aideals.duckdb,
    written by `aideals build`) when there is one, otherwise from the package's CSV files. A data
    or schema file changed after that build is warned of on stderr, as `aideals query` does, and
    the page still shows the build: run `aideals build` to report the current data. With
    --package the CSVs of that package are used, and its metrics computed as a build does, by the
    installed plugins and those of its plugins/ directory (a plugin that fails is warned of).
    CSVs are checked with the built-in checks (a plugin's checks run in validate, build and release):
    invalid data is refused with exit 1 and its first findings (a missing or unreadable file, exit
    2). DuckDB runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and AIDEALS_THREADS
    (default: all cores), spilling what does not fit to a temporary directory of its own.

    Example:

        aideals report --out dist/report.html
    """
    from aideals import report

    if out is not None:  # a refused --out is said first, before any work or warning
        report.check_out(out)
    source = report.resolve_source(package=package, db=db)
    for warning in source.warnings:
        click.echo(f"aideals: warning: {warning}", err=True)
    written = report.report_from_source(source, out or source.default_out, built_at=report.parse_built_at(built_at))
    from aideals.errors import visible

    # a version from a file beside the database may hold a line break: the line stays one
    click.echo(visible(f"wrote {written} (release {source.version}, from {source.label})"))
