"""The `aideals` command: parses arguments and calls the modules that do the work.

Each sub-command lives in `aideals/commands/<name>.py` as a click command named `command`; they
are found and imported lazily, so `aideals --help` never imports DuckDB, frictionless or pyarrow.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import NoReturn

import click

from aideals import __version__
from aideals.errors import DEBUG_ENV, debug_on
from aideals.options import DEBUG_HELP, add_debug_option


class LazyGroup(click.Group):
    """A click group whose sub-commands are the modules of `aideals.commands`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        import aideals.commands

        names = [m.name for m in pkgutil.iter_modules(aideals.commands.__path__) if not m.name.startswith("_")]
        return sorted(n.replace("_", "-") for n in names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        module = importlib.import_module(f"aideals.commands.{cmd_name.replace('-', '_')}")
        return add_debug_option(module.command)

    # Ctrl-C: click's main() would echo an empty line before its Abort (two lines on stderr); an
    # Abort raised here passes through it, and main() below says `aideals: aborted`, one line.
    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:
            raise click.exceptions.Abort() from exc

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise click.exceptions.Abort() from exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aideals")
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """aideals: check, build, query and cite the AI compute deals data package.

    Run a command with --help for its options and an example, e.g. `aideals validate --help`.
    The package is found from the current directory upwards, or given with --package.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _options(argv: list[str]) -> list[str]:
    """The arguments before `--` (after it, every argument is a value, even one spelled --debug)."""
    return argv[: argv.index("--")] if "--" in argv else argv


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in _options(argv) or debug_on()


def _debug_first(argv: list[str]) -> list[str]:
    """`--debug` anywhere among the options, as the group's option: `aideals query SQL --debug`
    works as `aideals --debug query SQL` (the hint of an internal error says "run with --debug")."""
    options = _options(argv)
    if "--debug" not in options:
        return argv
    return ["--debug", *(a for a in options if a != "--debug"), *argv[len(options):]]


def click_message(exc: click.ClickException) -> str:
    """Click's error as one line, as every other error: a usage error names the help to read."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError):
        message += f" (see '{ctx.command_path} --help')" if ctx is not None else " (see the command's --help)"
    return message


STDOUT_ERRORS = "aideals-stdout"  # the codec error handler of standard output (see _strict_stdout)


def _stdout_cannot_encode(exc: UnicodeError) -> NoReturn:
    """A character that standard output's encoding cannot hold: one line saying so and what to
    set, exit 2, rather than a traceback, or the data written altered (`?`, `\\u4e2d`)."""
    import unicodedata

    from aideals.errors import AidealsError

    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    char = exc.object[exc.start]
    # the character by its code and name: stderr, in the same encoding, could not show it either
    name = unicodedata.name(char, "")
    encoding = getattr(sys.stdout, "encoding", None) or exc.encoding  # a codec's own name may be "charmap"
    raise AidealsError(f"standard output is encoded as {encoding} (PYTHONIOENCODING or the locale), which cannot "
                       f"write U+{ord(char):04X}{f' ({name})' if name else ''}: set PYTHONIOENCODING=utf-8")


def _strict_stdout() -> None:
    """Make a character that standard output cannot encode an AidealsError (_stdout_cannot_encode)."""
    import codecs

    codecs.register_error(STDOUT_ERRORS, _stdout_cannot_encode)
    if sys.stdout is not None and hasattr(sys.stdout, "reconfigure") and sys.stdout.errors == "strict":
        sys.stdout.reconfigure(errors=STDOUT_ERRORS)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI, turning errors into one line on stderr and an exit code.

    The `aideals` command is aideals.__main__.main, which installs the signal handlers before
    importing this module; `argv` None (the process's own arguments) installs them too."""
    import traceback

    from aideals.errors import exit_aborted, install_signal_handlers, interrupted, one_line, user_error

    args = sys.argv[1:] if argv is None else argv
    debug = _debug_requested(args)
    if debug and argv is None:  # the commands' warnings (a skipped plugin's traceback) read it too
        os.environ[DEBUG_ENV] = "1"
    if argv is None:  # SIGTERM as Ctrl-C, both noted (see errors.install_signal_handlers)
        if sys.stdout is None:  # started with it closed (`>&-`): what a command prints would be lost
            click.echo("aideals: error: standard output is closed: every command prints its result or summary "
                       "there (send it to a file, a pipe or /dev/null)", err=True)
            sys.exit(2)
        _strict_stdout()
        install_signal_handlers()
    try:
        rc = cli.main(args=_debug_first(args), prog_name="aideals", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        # `aideals` alone (or a group without its command): the help, as `--help` prints it
        click.echo(exc.ctx.get_help())
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"aideals: error: {click_message(exc)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        exit_aborted()
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        known = user_error(exc)  # bad input, a file that cannot be read or written: not a bug
        if known is None and interrupted(exc):  # DuckDB's answer to Ctrl-C or SIGTERM during a query
            exit_aborted()
        # --debug adds the traceback: the line and the exit code stay those of a run without it
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        if known is not None:
            code, line = known
            # an AidealsError may list the first findings on indented lines after its own
            click.echo(f"aideals: error: {line}", err=True)
            sys.exit(code)
        hint = "" if debug else " (run with --debug for the traceback)"
        click.echo(f"aideals: internal error: {type(exc).__name__}: {one_line(exc)}{hint}", err=True)
        sys.exit(3)
    sys.exit(rc if isinstance(rc, int) else 0)
