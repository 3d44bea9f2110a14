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
