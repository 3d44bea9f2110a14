"""Options shared by several commands."""

from __future__ import annotations

import click

package_option = click.option(
    "--package",
    "package",
    type=click.Path(),
    default=None,
    help="Package directory or its datapackage.json (default: found from the current directory upwards).",
)

plugins_dir_option = click.option(
    "--plugins-dir",
    "plugins_dirs",
    type=click.Path(file_okay=False),
    multiple=True,
    help="Also load the plugin modules (*.py) of this directory; may be repeated.",
)

DEBUG_HELP = (
    "Print the full traceback of an error before its one-line message; the exit code is unchanged "
    "(also AIDEALS_DEBUG=1)."
)
