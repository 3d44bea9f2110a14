"""`aideals cite`: cite a release, or one figure with its original source."""

from __future__ import annotations

import click

from aideals.options import package_option


@click.command(name="cite")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["apa", "bibtex", "cff", "csl-json"]),
    default="apa",
    show_default=True,
    help="Citation format.",
)
@click.option("--version", "version", default=None, metavar="X.Y.Z",
              help="Cite this tagged release (tag vX.Y.Z) instead of the package as it is.")
@click.option("--figure", "figure_id", default=None, metavar="ID",
              help="Cite one number: its value, the release, and its original source with URL, date and quote.")
@package_option
def command(fmt: str, version: str | None, figure_id: str | None, package: str | None) -> None:
    """Print how to cite the data: title, authors, version, date, URL (if the package has one), licence.

    Without --version, cites the package in this repository as it is now; with it, the release
    tagged vX.Y.Z, read from git. When the package as it is differs from the release its
    datapackage.json names (a data, schema or descriptor file changed since tag vX.Y.Z), the
    citation says version X.Y.Z+unreleased and a note on stderr lists the changed files: only a
    release can be cited exactly. In a git clone without release tags that cannot be told: a
    warning on stderr says so (run `git fetch --tags`).

    Example:

    \b
        aideals cite --format bibtex --figure nvidia-openai-2025-amount-cafetech
    """
    from aideals import cite, gitrepo, snapshot
    from aideals.errors import AidealsError
    from aideals.package import resolve_root
    from aideals.versioning import Version, compare_with_release, fetch_tags_hint

    root = resolve_root(package)
    shown = None
    if version is None:
        snap = snapshot.from_directory(root)
        comparison = compare_with_release(root, snap.descriptor)
        if comparison.changed:
            current = Version.parse(str(snap.descriptor["version"]))
            shown = comparison.shown
            click.echo(f"aideals: note: {', '.join(comparison.changed)} changed since release {current} "
                       f"(tag {current.tag}): the citation says version {shown}; cite a release with --version", err=True)
        elif comparison.tags_missing:
            click.echo(f"aideals: warning: {comparison.warning()}", err=True)
    else:
        wanted = Version.parse(version)
        top = gitrepo.toplevel(root)
        if top is None or wanted.tag not in gitrepo.tags(top):
            hint = "" if top is None else fetch_tags_hint(root, top)
            raise AidealsError(f"--version {version}: no release {version}: tag {wanted.tag} not found{hint}")
        snap = snapshot.from_git(root, wanted.tag)
    click.echo(cite.render(snap, fmt, figure_id, version=shown))
