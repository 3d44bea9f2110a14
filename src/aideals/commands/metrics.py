"""`aideals metrics`: list, run and explain the metrics of the loaded plugins."""

from __future__ import annotations

import click

from aideals.options import NonEmptyPath, package_option, plugins_dir_option

database_option = click.option(
    "--database",
    type=NonEmptyPath(dir_okay=False, exists=True),
    default=None,
    help="Compute on this DuckDB file (default: dist/aideals.duckdb if it is newer than the data, "
    "else the package loaded afresh).",
)
confirmed_option = click.option(
    "--confirmed-only",
    is_flag=True,
    help="Leave out rumoured deals (reported by the press, confirmed by no party), as cancelled and "
    "superseded ones always are: count only deals announced, signed, in progress or closed.",
)


def _context(package: str | None, plugins_dirs: tuple[str, ...]):
    from aideals import package as package_module
    from aideals import plugins

    root = package_module.resolve_root(package)
    pkg = package_module.load(root)
    loaded = plugins.load(root, plugins_dirs)
    return pkg, loaded


def _group_options(package: str | None, plugins_dirs: tuple[str, ...]) -> tuple[str | None, tuple[str, ...], bool]:
    """The sub-command's --package and --plugins-dir, completed by those given to `aideals metrics`
    before it (its own --package wins; directories add up), and the group's --json."""
    given = (click.get_current_context().find_object(dict) or {}).get("metrics", {})
    return (
        package if package is not None else given.get("package"),
        tuple(given.get("plugins_dirs", ())) + tuple(plugins_dirs),
        bool(given.get("json")),
    )


def _warn(problems, found=None, root=None) -> None:
    """Warn of each plugin problem, then, when `found` (the metrics loaded) is empty, of that."""
    for problem in problems:
        click.echo(problem.warning(), err=True)
    if found is not None and not found:
        from aideals.plugins import no_metrics_warning

        click.echo(f"aideals: warning: {no_metrics_warning(root)}", err=True)


@click.group(name="metrics", invoke_without_command=True)
@package_option
@plugins_dir_option
@click.option("--json", "as_json", is_flag=True, help="List as JSON.")
@click.pass_context
def command(ctx: click.Context, package: str | None, plugins_dirs: tuple[str, ...], as_json: bool) -> None:
    """List the metrics of the loaded plugins, or run or explain them.

    Examples:

    \b
        aideals metrics
        aideals metrics run vendor_financing_ratio --format csv
        aideals metrics explain vendor_financing_ratio nvidia/openai
    """
    if ctx.invoked_subcommand is not None:
        # Options given before `run` or `explain` apply to it, as if given after it.
        ctx.ensure_object(dict)["metrics"] = {"package": package, "plugins_dirs": plugins_dirs, "json": as_json}
        return
    from aideals import metrics, plugins

    root = plugins.root_or_none(package)
    loaded = plugins.load(root, plugins_dirs)
    found = loaded.metrics()
    _warn(loaded.problems, found, root)
    click.echo(metrics.render_metrics(found, as_json=as_json))


@command.command(name="run")
@click.argument("names", nargs=-1)
@package_option
@plugins_dir_option
@database_option
@confirmed_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
    help="Output format.",
)
def run_command(
    names: tuple[str, ...],
    package: str | None,
    plugins_dirs: tuple[str, ...],
    database: str | None,
    confirmed_only: bool,
    fmt: str,
) -> None:
    """Compute metrics (all, or those NAMEd) and print their rows.

    A metric that fails is reported on stderr and skipped; the exit code is then 1.
    Without a release database to read (--database, or a dist/aideals.duckdb newer than the
    data), the package is validated first, with the built-in checks: invalid data is refused
    with exit 1 and its first findings (a missing or unreadable file, exit 2), and no metric is
    computed. DuckDB runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and
    AIDEALS_THREADS (default: all cores), spilling what does not fit to a temporary directory of
    its own.
    With --confirmed-only, the figures of rumoured deals are not counted (the release's
    `metrics` table counts them, as this command does by default).

    Examples:

    \b
        aideals metrics run circularity cost_per_gigawatt --format json
        aideals metrics run --confirmed-only vendor_financing_ratio
    """
    from pathlib import Path

    from aideals import metrics

    package, plugins_dirs, group_json = _group_options(package, plugins_dirs)
    source = click.get_current_context().get_parameter_source("fmt")
    if group_json and source is click.core.ParameterSource.DEFAULT:
        fmt = "json"
    pkg, loaded = _context(package, plugins_dirs)
    found = loaded.metrics()
    _warn(loaded.problems, found, pkg.root)  # first: a metric asked for may be missing because its plugin failed
    chosen = metrics.select(found, names)
    with metrics.readonly_database(pkg, Path(database) if database else None) as con:
        run = metrics.compute(con, chosen, schema=metrics.result_schema(pkg.root), confirmed_only=confirmed_only)
    _warn(run.problems)
    click.echo(metrics.render_results(run.results, fmt))
    if loaded.problems or run.problems:
        raise click.exceptions.Exit(1)


@command.command(name="explain")
@click.argument("name")
@click.argument("subject")
@package_option
@plugins_dir_option
@database_option
@confirmed_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain_command(
    name: str,
    subject: str,
    package: str | None,
    plugins_dirs: tuple[str, ...],
    database: str | None,
    confirmed_only: bool,
    as_json: bool,
) -> None:
    """Explain one metric value: the value, its formula, and every input figure with its source.

    SUBJECT is the row's subject_id: a deal or party id, or party ids joined by `/`.
    Without a release database to read (--database, or a dist/aideals.duckdb newer than the
    data), the package is validated first, with the built-in checks: invalid data is refused
    with exit 1 and its first findings (a missing or unreadable file, exit 2). DuckDB runs within
    AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and AIDEALS_THREADS (default: all cores).

    Example:

        aideals metrics explain vendor_financing_ratio nvidia/openai
    """
    import json
    from pathlib import Path

    from aideals import metrics

    package, plugins_dirs, group_json = _group_options(package, plugins_dirs)
    as_json = as_json or group_json
    pkg, loaded = _context(package, plugins_dirs)
    found = loaded.metrics()
    _warn(loaded.problems, found, pkg.root)  # first: the metric asked for may be missing because its plugin failed
    (metric,) = metrics.select(found, [name])
    with metrics.readonly_database(pkg, Path(database) if database else None) as con:
        explanation = metrics.explain(
            con, metric, subject, schema=metrics.result_schema(pkg.root), confirmed_only=confirmed_only
        )
    if as_json:
        click.echo(json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(metrics.render_explanation(explanation))
