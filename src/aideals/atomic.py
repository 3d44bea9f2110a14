"""Rewriting a file of the repository whole (README.md, the release's version files): never in place."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def replace_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file beside it, renamed over it once it is
    complete: a full disk or an interrupt leaves the old file whole, never a truncated one.

    The file keeps its permissions (a new one gets the umask's); a symbolic link is written
    through, as `Path.write_text` does: its target is replaced, the link stays."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # a write the disk cannot hold fails here, before the rename
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno and not exc.filename:  # a write's error names no file
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
