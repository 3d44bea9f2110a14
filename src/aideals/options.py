"""Options shared by several commands."""

from __future__ import annotations

import click


class NonEmptyPath(click.Path):
    """click.Path refusing an empty value, which a path would otherwise read as `.`: `aideals verify ''`
    verified the current directory."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value:
            self.fail("an empty path (write . for the current directory)", param, ctx)
        return super().convert(value, param, ctx)


package_option = click.option(
    "--package",
    "package",
    type=NonEmptyPath(),
    default=None,
    help="Package directory or its datapackage.json (default: found from the current directory upwards).",
)

plugins_dir_option = click.option(
    "--plugins-dir",
    "plugins_dirs",
    type=NonEmptyPath(file_okay=False),
    multiple=True,
    help="Also load the plugin modules (*.py) of this directory; may be repeated.",
)

DEBUG_HELP = (
    "Print the full traceback of an error before its one-line message; the exit code is unchanged "
    "(also AIDEALS_DEBUG=1)."
)


def add_debug_option(command: click.Command) -> click.Command:
    """Give `command` (and, for a group, each of its sub-commands) a `--debug` option, so that its
    --help lists it. cli.main moves `--debug` before the command whatever its place, so this
    option only documents that one (it takes no value and sets nothing)."""
    if not any(param.name == "debug" for param in command.params):
        command.params.append(click.Option(["--debug"], is_flag=True, expose_value=False, help=DEBUG_HELP))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_debug_option(sub)
    return command
