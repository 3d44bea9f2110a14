"""The `aideals` command's entry point (and `python -m aideals`'s): cheap to import.

Its first act is to install the handler of Ctrl-C and SIGTERM (errors.install_signal_handlers);
only then does it import the command line (click, and a command's modules). An interrupt during
those imports, or anywhere outside the command line's own handling, says `aideals: aborted` and
exits 130, as one during a command does: never a traceback.
"""


def main() -> None:
    try:
        from aideals import errors

        errors.install_signal_handlers()
        from aideals.cli import main as run

        run()
    except KeyboardInterrupt:
        from aideals.errors import exit_aborted

        exit_aborted()


if __name__ == "__main__":
    main()
