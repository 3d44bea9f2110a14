"""The `aideals` entry point: how mistakes on the command line are reported."""

from __future__ import annotations

import pytest

from aideals.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frob"], "No such command 'frob'. (see 'aideals --help')"),
        (["validate", "--bogus"], "No such option '--bogus'. (see 'aideals validate --help')"),
        (["query"], "Missing argument 'SQL'. (see 'aideals query --help')"),
        (
            ["cite", "--format", "xml"],
            "Invalid value for '--format': 'xml' is not one of 'apa', 'bibtex', 'cff', 'csl-json'. "
            "(see 'aideals cite --help')",
        ),
        (["metrics", "run", "--format"], "Option '--format' requires an argument. (see the command's --help)"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help_to_read(capsys, args, message):
    """Click's own usage message is three lines (usage, a hint, the error); aideals prints its
    errors as one line, `aideals: error: ...`, exit code 2, and names the help of the command."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    assert (exc.value.code, out, err) == (2, "", f"aideals: error: {message}\n")
