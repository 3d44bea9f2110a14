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


def test_a_file_that_cannot_be_read_or_written_is_one_line_not_an_internal_error(capsys, monkeypatch):
    """An OSError (permission denied, a full disk...) is about the user's files, not a bug: one
    line naming the file, exit 2; --debug shows the traceback."""
    from aideals.commands import coverage

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/srv/pkg/README.md")

    monkeypatch.setattr(coverage.command, "callback", denied)
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr().err) == (2, "aideals: error: /srv/pkg/README.md: Permission denied\n")
    with pytest.raises(PermissionError):
        main(["--debug", "coverage"])
    with pytest.raises(PermissionError):  # after the command too, as the hint of an internal error reads
        main(["coverage", "--debug"])


def test_a_bug_is_one_line_with_exit_3_and_debug_shows_the_traceback(capsys, monkeypatch):
    """An exception that is not about the user's data or files is an internal error: one line
    naming it and the --debug hint, exit 3; --debug (or AIDEALS_DEBUG set) raises it instead."""
    from aideals.commands import coverage

    def bug(*args, **kwargs):
        raise ValueError("oops")

    monkeypatch.setattr(coverage.command, "callback", bug)
    monkeypatch.delenv("AIDEALS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr()) == (
        3, ("", "aideals: internal error: ValueError: oops (run with --debug for the traceback)\n"))
    with pytest.raises(ValueError, match="^oops$"):
        main(["--debug", "coverage"])
    monkeypatch.setenv("AIDEALS_DEBUG", "0")  # "0" is off
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr()) == (
        3, ("", "aideals: internal error: ValueError: oops (run with --debug for the traceback)\n"))
    monkeypatch.setenv("AIDEALS_DEBUG", "1")
    with pytest.raises(ValueError, match="^oops$"):
        main(["coverage"])
    assert capsys.readouterr() == ("", "")


def test_aideals_debug_in_the_environment_shows_the_traceback_of_a_file_error(capsys, monkeypatch):
    from aideals.commands import coverage

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/srv/pkg/README.md")

    monkeypatch.setattr(coverage.command, "callback", denied)
    monkeypatch.setenv("AIDEALS_DEBUG", "1")
    with pytest.raises(PermissionError):
        main(["coverage"])
    assert capsys.readouterr() == ("", "")


def test_debug_after_a_double_dash_is_a_value_not_the_option():
    from aideals.cli import _debug_first

    assert _debug_first(["query", "SELECT 1", "--debug"]) == ["--debug", "query", "SELECT 1"]
    assert _debug_first(["query", "--", "--debug"]) == ["query", "--", "--debug"]
    assert _debug_first(["--debug", "build"]) == ["--debug", "build"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AIDEALS_THREADS", "0", "AIDEALS_THREADS='0': not a number of threads (1 to 256)"),
        ("AIDEALS_THREADS", "two", "AIDEALS_THREADS='two': not a number of threads (1 to 256)"),
        ("AIDEALS_THREADS", "99999", "AIDEALS_THREADS='99999': not a number of threads (1 to 256)"),
        ("AIDEALS_MEMORY_LIMIT", "abc", "AIDEALS_MEMORY_LIMIT='abc': not a size such as 1GB, 512MB or 1.5GiB"),
        ("AIDEALS_THREADS", "\u00b2", "AIDEALS_THREADS='\u00b2': not a number of threads (1 to 256)"),
        ("AIDEALS_THREADS", "\u0663", "AIDEALS_THREADS='\u0663': not a number of threads (1 to 256)"),
        ("AIDEALS_MEMORY_LIMIT", "\u0663GB", "AIDEALS_MEMORY_LIMIT='\u0663GB': not a size such as 1GB, 512MB or 1.5GiB"),
        ("AIDEALS_MEMORY_LIMIT", "10KB", "AIDEALS_MEMORY_LIMIT='10KB': too small to read the package (at least 128MB)"),
        ("AIDEALS_MEMORY_LIMIT", "64MB", "AIDEALS_MEMORY_LIMIT='64MB': too small to read the package (at least 128MB)"),
        ("AIDEALS_MEMORY_LIMIT", "99999999999TB", "AIDEALS_MEMORY_LIMIT='99999999999TB': too large (at most 1000TB)"),
    ],
)
def test_a_bad_resource_setting_names_the_variable(capsys, monkeypatch, name, value, message):
    from conftest import ROOT

    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--package", str(ROOT)])
    assert (exc.value.code, capsys.readouterr().err) == (2, f"aideals: error: {message}\n")


def test_duckdb_failing_to_write_is_one_line_not_an_internal_error(capsys, monkeypatch):
    """DuckDB's IOException (a full disk under --out) is not an OSError, and not a bug either."""
    import duckdb

    from aideals.commands import coverage

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "/out/x.duckdb": No space left on device\nmore')

    monkeypatch.setattr(coverage.command, "callback", full)
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr().err) == (
        2, 'aideals: error: IO Error: Could not write file "/out/x.duckdb": No space left on device\n')


def test_aideals_alone_prints_its_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2  # as click exits when a command is missing
    out, err = capsys.readouterr()
    assert out.startswith("Usage: aideals [OPTIONS] COMMAND [ARGS]...\n") and "\nCommands:\n" in out
    assert err == ""


def test_the_command_the_build_prints_is_quoted_for_the_shell(tmp_path):
    import shlex

    from aideals import build

    out = tmp_path / "bq(1)&x"
    result = build.BuildResult(out=out, rows={"deals": 1}, checks_run=["package"], files=[])
    line = build.summary(result).splitlines()[-1]
    assert shlex.split(line)[:2] == ["duckdb", f"{out}/aideals.duckdb"]
