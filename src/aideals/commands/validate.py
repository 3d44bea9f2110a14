"""`aideals validate`: check a data package, all three layers, one report."""

from __future__ import annotations

import click

from aideals.options import NonEmptyPath, package_option, plugins_dir_option


class JsonErrorsCommand(click.Command):
    """A command whose --json prints its one JSON object for an error too (a package that cannot be
    found or read, a wrong option or setting: exit 2), before the usual line on stderr."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click consumes the list it parses
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if "--json" in (given[: given.index("--")] if "--" in given else given):
                from aideals.cli import click_message
                from aideals.validation_report import error_as_json

                click.echo(error_as_json(click_message(exc), exc.exit_code))
            raise

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from aideals.errors import user_error

            known = user_error(exc)
            if known is not None and ctx.params.get("as_json"):
                from aideals.validation_report import error_as_json

                code, message = known
                click.echo(error_as_json(message, code))
            raise


@click.command(cls=JsonErrorsCommand)
@click.argument("path", required=False, type=NonEmptyPath())
@package_option
@click.option(
    "--json", "as_json", is_flag=True,
    help="Print the report as one JSON object (for machines); when the package cannot be read, "
    "the object holds the error.",
)
@click.option("--max-errors", type=click.IntRange(min=1), default=None, help="Stop reporting after N findings.")
@plugins_dir_option
def command(
    path: str | None, package: str | None, as_json: bool, max_errors: int | None, plugins_dirs: tuple[str, ...]
) -> None:
    """Check the package: Table Schema, row rules and cross-table checks.

    Prints each finding as `file:row: field: what is wrong`, grouped by check with counts.
    Exit code: 0 clean, 1 findings, 2 the package cannot be read. With --json, stdout is one JSON
    object with exit code 0, 1 or 2 alike: its `error` is null when the checks ran, else the
    message of the error line printed on stderr. Checks added by metric plugins (installed, in plugins/, or
    --plugins-dir) run with the built-in cross-table checks.
    DuckDB runs within AIDEALS_MEMORY_LIMIT (default 1GB, at least 128MB) and AIDEALS_THREADS
    (default: all cores), spilling what does not fit to a temporary directory of its own.

    Example:

        aideals validate --max-errors 50

        aideals validate path/to/package --json | jq '.counts'
    """
    from aideals import package as pkgmod
    from aideals import validation_report as report
    from aideals import plugins
    from aideals.checks import validate

    pkg = pkgmod.load(pkgmod.resolve_root(path or package, given_as="PATH" if path else "--package"))
    loaded = plugins.load(pkg.root, plugins_dirs)
    extra_checks = loaded.checks_to_run()  # before the warnings: a check hook that fails is one of them
    for problem in loaded.problems:
        click.echo(problem.warning(), err=True)
    result = validate(pkg, max_errors=max_errors, extra_checks=extra_checks)
    click.echo(report.as_json(result) if as_json else report.as_text(result))
    raise click.exceptions.Exit(report.exit_code(result))
