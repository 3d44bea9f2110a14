"""`aideals query`: argument parsing only; the work is in aideals.query."""

from __future__ import annotations

from pathlib import Path

import click

from aideals.options import NonEmptyPath, package_option


@click.command(name="query")
@click.argument("sql")
@click.option(
    "--db",
    "db_path",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    default=None,
    help="Release database to query (default: dist/aideals.duckdb of the package; "
    "without one, the package is validated and loaded in memory).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "markdown"]),
    default="table",
    show_default=True,
    help="Output format: csv and json write each row as it is read and each value as the data holds it; "
    "table and markdown size their columns on the first 10,000 rows and show control characters "
    "escaped (\\x1b), as csv does on a terminal.",
)
@package_option
def command(sql: str, db_path: Path | None, fmt: str, package: str | None) -> None:
    """Run one read-only SQL statement on the release and print its result.

    Tables: parties, sources, deals, figures, metrics. Views: figures_resolved, flows, deals_counted,
    figures_counted, consensus.
    Statements that write, and any access to files, URLs or other databases, are refused, and so
    are several statements (separated by `;`: run each with its own aideals query).
    Without a release database, the package is validated first, with the built-in checks:
    invalid data is refused with exit 1 and its first findings (a missing or unreadable file,
    exit 2).
    The result is printed as it is read (a longer value past the first 10,000 rows of a table
    widens its own line only). The query runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least
    128MB) and AIDEALS_THREADS (default: all cores), spilling what does not fit to a temporary
    directory of its own, never into the release: one that cannot spill stops, saying so.

    Example:

    \b
        aideals query "SELECT from_party, flow, value_low, value_high FROM flows
                       WHERE to_party = 'openai' AND unit = 'USD' ORDER BY value_high DESC"
        aideals query "SELECT * FROM consensus WHERE sources_disagree" --format csv
    """

    from aideals import build
    from aideals import package as packages
    from aideals import query as querying

    pkg = None
    if db_path is None:
        pkg = packages.load(packages.resolve_root(package))
        default = pkg.root / "dist" / build.DATABASE
        if default.is_file():
            db_path = default
            warning = querying.stale_warning(pkg, default.parent, "query")
            if warning:
                click.echo(f"aideals: warning: {warning}", err=True)
        else:
            click.echo(
                f"aideals: no release at {default}: loading the package in memory (`aideals build` makes this faster)",
                err=True,
            )
    out = querying.stdout()
    try:
        with querying.opened(db_path=db_path, pkg=pkg) as con:
            result = querying.execute(con, sql)
            querying.write(querying.lines(result, fmt, terminal=out.isatty()), out)
    except BrokenPipeError:  # the reader took what it wanted (`| head`): not an error (click says 1)
        raise click.exceptions.Exit(0) from None
