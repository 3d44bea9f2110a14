"""`aideals coverage`: what the data covers, as the Markdown tables of the README."""

from __future__ import annotations

import click

from aideals.options import package_option


@click.command()
@package_option
@click.option("--write", is_flag=True, help="Replace the generated block in README.md instead of printing.")
def command(package: str | None, write: bool) -> None:
    """Print the coverage tables (deals per party, per year and per country, figures per measure,
    money figures per currency, deals per kind and status, deals by number of sources, sources per
    kind, date range). With --write, README.md's tables of parties and countries list those of
    five deals or more and count the others in one line.
    The package is validated first, with the built-in checks: invalid data is refused with
    exit 1 and its first findings (a missing or unreadable file, exit 2).
    DuckDB runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and AIDEALS_THREADS
    (default: all cores), spilling what does not fit to a temporary directory of its own.

    Example (after adding data, to refresh the README):

    \b
        aideals coverage --write
    """
    from aideals import coverage
    from aideals import package as pkgmod

    pkg = pkgmod.load(pkgmod.resolve_root(package))
    if write:
        changed = coverage.write_readme(pkg, pkg.root / "README.md")
        click.echo("README.md updated" if changed else "README.md already up to date")
    else:
        click.echo(coverage.markdown(pkg))
