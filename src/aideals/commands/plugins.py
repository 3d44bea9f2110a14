"""`aideals plugins`: the plugins that load here, where from, their hooks and metrics."""

from __future__ import annotations

import click

from aideals.options import package_option, plugins_dir_option


@click.command(name="plugins")
@package_option
@plugins_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def command(package: str | None, plugins_dirs: tuple[str, ...], as_json: bool) -> None:
    """List the plugins that load: name, version, origin, hooks and metrics.

    Plugins come from installed packages (entry points of group `aideals`), the repository's
    plugins/ directory and --plugins-dir; AIDEALS_PLUGINS=name,name limits which load.
    Plugins that fail to load are listed on stderr.

    Example:

        AIDEALS_PLUGINS=circularity aideals plugins --json
    """
    from aideals import plugins

    root = plugins.root_or_none(package)
    loaded = plugins.load(root, plugins_dirs)
    descriptions = plugins.describe(loaded)
    loaded.checks()  # a check hook that fails or returns something else is reported below too
    for problem in loaded.problems:
        click.echo(problem.warning(), err=True)
    if not any(d["metrics"] for d in descriptions):
        click.echo(f"aideals: warning: {plugins.no_metrics_warning(root)}", err=True)
    click.echo(plugins.render(descriptions, as_json=as_json))
