"""Running the `aideals` command in-process, through cli.main as a user would."""

from __future__ import annotations

import pytest

from aideals.cli import main


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run `aideals ARGS`; return its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err
