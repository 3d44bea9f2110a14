"""Errors meant for users: one line each, never a traceback unless --debug."""

# Set by `aideals --debug` (or by the user): show tracebacks, of errors and of skipped plugins.
DEBUG_ENV = "AIDEALS_DEBUG"


class AidealsError(Exception):
    """An error whose message is shown to the user as one line, with exit code `exit_code`."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class PackageError(AidealsError):
    """The data package cannot be found or read (missing file, broken JSON, unsafe path)."""


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB stopping a query for Ctrl-C or SIGTERM (a RuntimeError "Query
    interrupted") or for `interrupt()` (duckdb.InterruptException): the run must stop, not treat
    it as the failure of one step."""
    return type(exc).__name__ == "InterruptException" or (
        isinstance(exc, RuntimeError) and "Query interrupted" in str(exc))
