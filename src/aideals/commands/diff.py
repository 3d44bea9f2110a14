"""`aideals diff A B`: what changed between two releases or git revisions."""

from __future__ import annotations

import click

from aideals.options import package_option


@click.command(name="diff")
@click.argument("a")
@click.argument("b")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown is a list of the changes, for a CHANGELOG section to summarise.",
)
@package_option
def command(a: str, b: str, fmt: str, package: str | None) -> None:
    """List rows added, removed and changed (by primary key, old → new) between A and B.

    A and B are each a release directory, a release zip, a package directory or its
    datapackage.json, or a git revision of this repository (a tag, a branch, a commit).
    Each table's schema changes are listed too (enum values, types, constraints,
    descriptions; `(incompatible)` when one needs a MAJOR version). Exit 0 whether or not
    they differ.

    Example: aideals diff v0.1.0 HEAD --format markdown
    """
    from aideals import diff, snapshot
    from aideals.errors import PackageError
    from aideals.package import resolve_root

    try:
        root = resolve_root(package)
    except PackageError:
        if package is not None:
            raise
        root = None  # outside a package, A and B can still be release paths
    result = diff.diff_packages(snapshot.open_snapshot(a, root), snapshot.open_snapshot(b, root))
    click.echo(diff.FORMATTERS[fmt](result))
