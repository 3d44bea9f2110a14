"""Errors meant for users: one line each, never a traceback unless --debug.

Imports nothing at its top: the command's entry point (aideals.__main__) imports it before anything
else, to install the handler of Ctrl-C before the heavy imports.
"""

# Set by `aideals --debug` (or by the user): show tracebacks, of errors and of skipped plugins.
DEBUG_ENV = "AIDEALS_DEBUG"
# Values of AIDEALS_DEBUG that leave it off (any other value turns it on): "false" is no "yes".
DEBUG_OFF = ("", "0", "false", "no", "off")


def debug_on() -> bool:
    """Whether AIDEALS_DEBUG asks for tracebacks (1, true, yes...; not 0, false, no, off or empty)."""
    import os

    return os.environ.get(DEBUG_ENV, "").strip().lower() not in DEBUG_OFF


# The bidirectional controls (U+202E right-to-left override and its kin), as a character class's
# ranges: they reorder what a terminal shows. Error lines and query's table escape them.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"


def visible(text: str) -> str:
    """`text` with the characters a terminal does not show, or shows as a line break, written as
    escapes (\\n, \\r, \\t, \\u001b...; C1 characters too, U+009B being a terminal's one-character
    CSI, and the bidirectional controls, U+202E and kin, which reorder what is shown): a value
    with a newline or an escape sequence (a path, a revision, a cell) then stays on its line of a
    message, and shows what it holds."""
    import re

    return re.sub(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}\u2028\u2029\ufeff]",
                  lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


class AidealsError(Exception):
    """An error whose message is shown to the user as one line, with exit code `exit_code`.

    The line is shown through visible(): a value in it with a newline or another control character
    is escaped, not broken over lines. `details` are more lines shown after it, each indented by
    two spaces (the first findings of a package refused as invalid)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None, details: tuple[str, ...] | list[str] = ()) -> None:
        self.message = message
        self.details = tuple(details)
        super().__init__("\n".join([message, *(f"  {d}" for d in self.details)]))
        if exit_code is not None:
            self.exit_code = exit_code


class PackageError(AidealsError):
    """The data package cannot be found or read (missing file, broken JSON, unsafe path)."""


def user_error(exc: BaseException) -> tuple[int, str] | None:
    """The exit code and one-line message of an error about the user's input, not a bug: an
    AidealsError; an OSError (a file that cannot be read or written, a full disk); DuckDB's
    IOException (a file it cannot write). None for anything else (a bug: exit 3)."""
    if isinstance(exc, AidealsError):
        return exc.exit_code, "\n".join([visible(exc.message), *(f"  {visible(d)}" for d in exc.details)])
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return 2, visible(f"{where}{exc.strerror or exc}")
    if type(exc).__name__ == "IOException":  # DuckDB's: not an OSError
        return 2, visible((str(exc).strip().splitlines() or [type(exc).__name__])[0])
    if type(exc).__name__ == "OutOfMemoryException":  # DuckDB's, within AIDEALS_MEMORY_LIMIT
        import os

        limit = os.environ.get("AIDEALS_MEMORY_LIMIT", "").strip() or "1GB (the default)"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return 2, visible(f"out of memory within AIDEALS_MEMORY_LIMIT={limit}: {first} (raise the limit)")
    return None


def one_line(text: object) -> str:
    """A library's message (DuckDB's, an exception's) on one line: up to its first blank line, which
    drops DuckDB's `LINE 1: ... ^` caret and its "Possible solutions", the lines joined."""
    head = str(text).strip().split("\n\n", 1)[0]
    return " ".join(part.strip() for part in head.splitlines() if part.strip())


_signalled = False  # set by the command line's handler of SIGINT and SIGTERM (note_signal)


def note_signal() -> None:
    """Remember that Ctrl-C or SIGTERM arrived: code that a plugin may have made swallow the
    KeyboardInterrupt (a metric's `except BaseException`) still learns it from signalled()."""
    global _signalled
    _signalled = True


def signalled() -> bool:
    """Whether Ctrl-C or SIGTERM arrived in this process (see note_signal)."""
    return _signalled


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB stopping a query for Ctrl-C or SIGTERM (a RuntimeError "Query
    interrupted") or for `interrupt()` (duckdb.InterruptException), or an error raised while
    handling one (a plugin that wraps it in its own): the run must stop, not treat it as the
    failure of one step."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ == "InterruptException" or (
            isinstance(current, RuntimeError) and "Query interrupted" in str(current)
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def not_a_file(path: object) -> str | None:
    """What `path` is when something is there but it is no regular file, as a message says it
    (`a directory`, `a named pipe (FIFO)`, `a character device (a symbolic link to /dev/zero)`,
    `a symbolic link to x.csv, which does not exist`...); None for a regular file (or a link to
    one) and for nothing at all. Only stats the path: opening a FIFO would block."""
    import os
    import stat

    link = os.path.islink(path)  # type: ignore[arg-type]
    try:
        mode = os.stat(path).st_mode  # type: ignore[arg-type]
    except OSError as exc:
        if not link:
            return None
        import errno

        if exc.errno == errno.ELOOP:
            return "a symbolic link that loops"
        return f"a symbolic link to {os.readlink(path)}, which does not exist"  # type: ignore[arg-type]
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    return f"{kind} (a symbolic link to {os.readlink(path)})" if link else kind  # type: ignore[arg-type]


def _interrupt(signum, frame) -> None:
    note_signal()
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    """Make SIGINT and SIGTERM raise KeyboardInterrupt, noted (see signalled).

    SIGTERM (`timeout`, a stopped CI job) interrupts like Ctrl-C: a build or release being made
    then removes its temporary files and restores what it changed, instead of dying mid-way. Both
    are noted, so that a plugin that swallows the KeyboardInterrupt cannot make a run go on and
    publish. A signal the parent process told us to ignore (a background job's SIGINT) stays
    ignored."""
    import signal

    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _interrupt)


def exit_aborted() -> None:
    """Say `aideals: aborted` on stderr, one line, and exit 130: the end of an interrupted command.

    A terminal shows the `^C` it was typed as without a line break: there the line starts on a new
    line. Once this is said, another Ctrl-C or SIGTERM (handled by install_signal_handlers) is
    ignored: the command is ending, and says so once."""
    import signal
    import sys

    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) is _interrupt:
            signal.signal(signum, signal.SIG_IGN)
    try:
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + "aideals: aborted\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # stderr closed or gone: the exit code says it
        pass
    sys.exit(130)
