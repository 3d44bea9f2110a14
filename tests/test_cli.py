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


def _traceback_then(err: str, last: list[str]) -> None:
    """`err` is a Python traceback followed by exactly the lines `last`."""
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):", err
    assert lines[-len(last):] == last, err


def _coverage_denied(capsys, monkeypatch, filename: str) -> tuple[int, str]:
    """Exit code and stderr of `aideals coverage` when its command meets a PermissionError on
    `filename` (the command left in place for the caller's further runs)."""
    from aideals.commands import coverage

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", filename)

    monkeypatch.setattr(coverage.command, "callback", denied)
    monkeypatch.delenv("AIDEALS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    return exc.value.code, capsys.readouterr().err


def test_a_file_that_cannot_be_read_or_written_is_one_line_not_an_internal_error(capsys, monkeypatch):
    """An OSError (permission denied, a full disk...) is about the user's files, not a bug: one
    line naming the file, exit 2; --debug adds the traceback, with the same line and exit code."""
    assert _coverage_denied(capsys, monkeypatch, "/srv/pkg/README.md") == (
        2, "aideals: error: /srv/pkg/README.md: Permission denied\n")
    for args in (["--debug", "coverage"], ["coverage", "--debug"]):  # after the command too, as the hint reads
        with pytest.raises(SystemExit) as exc:
            main(args)
        out, err = capsys.readouterr()
        assert (exc.value.code, out) == (2, ""), args
        _traceback_then(err, ["PermissionError: [Errno 13] Permission denied: '/srv/pkg/README.md'",
                              "aideals: error: /srv/pkg/README.md: Permission denied"])


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (ValueError("Binder Error: column m.metric not found\n\nLINE 4: ...\n   ^"),
         "aideals: internal error: ValueError: Binder Error: column m.metric not found"
         " (run with --debug for the traceback)\n"),
        (type("OutOfMemoryException", (Exception,), {})(
            "Out of Memory Error: could not allocate block of size 256.0 KiB (60.9 MiB/61.0 MiB used)\n\n"
            "Possible solutions:\n* Reducing the number of threads"),
         "aideals: error: out of memory within AIDEALS_MEMORY_LIMIT=128MB: Out of Memory Error: could not allocate"
         " block of size 256.0 KiB (60.9 MiB/61.0 MiB used) (raise the limit)\n"),
    ],
)
def test_an_error_of_several_lines_is_said_on_one(capsys, monkeypatch, raised, line):
    """A library's message of several lines does not split the error line (DuckDB's caret and
    "Possible solutions", after a blank line, are left out); running out of memory
    within AIDEALS_MEMORY_LIMIT is the user's setting (exit 2), not a bug."""
    from aideals.commands import coverage

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(coverage.command, "callback", fail)
    monkeypatch.delenv("AIDEALS_DEBUG", raising=False)
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "128MB")
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr()) == (3 if "internal" in line else 2, ("", line))


def test_a_bug_is_one_line_with_exit_3_and_debug_shows_the_traceback(capsys, monkeypatch):
    """An exception that is not about the user's data or files is an internal error: one line
    naming it and the --debug hint, exit 3; --debug (or AIDEALS_DEBUG set) prints its traceback
    first, and still exits 3."""
    from aideals.commands import coverage

    def bug(*args, **kwargs):
        raise ValueError("oops")

    monkeypatch.setattr(coverage.command, "callback", bug)
    monkeypatch.delenv("AIDEALS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    assert (exc.value.code, capsys.readouterr()) == (
        3, ("", "aideals: internal error: ValueError: oops (run with --debug for the traceback)\n"))
    with pytest.raises(SystemExit) as exc:
        main(["--debug", "coverage"])
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (3, "")
    _traceback_then(err, ["ValueError: oops", "aideals: internal error: ValueError: oops"])
    assert 'in bug\n    raise ValueError("oops")' in err
    for off in ("0", "false", "No", "off", " "):  # values that leave it off
        monkeypatch.setenv("AIDEALS_DEBUG", off)
        with pytest.raises(SystemExit) as exc:
            main(["coverage"])
        assert (exc.value.code, capsys.readouterr()) == (
            3, ("", "aideals: internal error: ValueError: oops (run with --debug for the traceback)\n")), off
    monkeypatch.setenv("AIDEALS_DEBUG", "1")
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (3, "")
    _traceback_then(err, ["ValueError: oops", "aideals: internal error: ValueError: oops"])


def test_aideals_debug_in_the_environment_shows_the_traceback_of_a_file_error(capsys, monkeypatch):
    from aideals.commands import coverage

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/srv/pkg/README.md")

    monkeypatch.setattr(coverage.command, "callback", denied)
    monkeypatch.setenv("AIDEALS_DEBUG", "1")
    with pytest.raises(SystemExit) as exc:
        main(["coverage"])
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (2, "")
    _traceback_then(err, ["PermissionError: [Errno 13] Permission denied: '/srv/pkg/README.md'",
                          "aideals: error: /srv/pkg/README.md: Permission denied"])


def test_debug_keeps_the_exit_code_of_duckdb_failing_to_write(capsys, monkeypatch):
    import duckdb

    from aideals.commands import coverage

    def full(*args, **kwargs):
        raise duckdb.IOException("IO Error: No space left on device")

    monkeypatch.setattr(coverage.command, "callback", full)
    with pytest.raises(SystemExit) as exc:
        main(["coverage", "--debug"])
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (2, "")
    _traceback_then(err, ["_duckdb.IOException: IO Error: No space left on device",
                          "aideals: error: IO Error: No space left on device"])


@pytest.mark.parametrize("debug", [[], ["--debug"], ["--debug", "env"]], ids=["plain", "--debug", "AIDEALS_DEBUG"])
@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["validate", "tests/corpus/descriptor-not-json"], 2,
         "aideals: error: datapackage.json:2: not valid JSON: Expecting property name enclosed in double quotes"),
        (["query", "SELEC 1", "--db", "{tmp}/empty.duckdb"], 2,
         'aideals: error: query: Parser Error: syntax error at or near "SELEC"'),
        (["cite", "--version", "0.99.0"], 2,
         "aideals: error: --version 0.99.0: no release 0.99.0: tag v0.99.0 not found"),
    ],
    ids=["validate", "query", "cite"],
)
def test_debug_changes_no_exit_code_of_the_real_command(tmp_path, debug, args, code, line):
    """Run as a user does (a new process, `python -m aideals`): --debug or AIDEALS_DEBUG=1 prints
    the traceback, then the same line and the same exit code as without it (Python's own exit
    code for an uncaught exception, 1, would read as `validate`'s "findings")."""
    import os
    import subprocess
    import sys

    import duckdb
    from conftest import ROOT

    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    tags = subprocess.run(["git", "-C", str(ROOT), "tag", "--list", "v*.*.*"], capture_output=True, text=True)
    if args[0] == "cite" and tags.returncode == 0 and not tags.stdout.strip():
        line += " (this clone has no release tags: run `git fetch --tags`)"  # a clone made without tags: CI's checkout
    env = {k: v for k, v in os.environ.items() if k != "AIDEALS_DEBUG"}
    argv = [a.format(tmp=tmp_path) for a in args]
    if debug == ["--debug", "env"]:
        env["AIDEALS_DEBUG"] = "1"
    elif debug:
        argv = [*argv, "--debug"] if args[0] == "query" else ["--debug", *argv]
    proc = subprocess.run([sys.executable, "-m", "aideals", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (code, "")
    expected = line.format(tmp=tmp_path)
    if debug:
        _traceback_then(proc.stderr, [expected])
        assert proc.stderr.splitlines()[-2].startswith("aideals.errors.")
    else:
        assert proc.stderr == expected + "\n"


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
        ("AIDEALS_MEMORY_LIMIT", "10KB", "AIDEALS_MEMORY_LIMIT='10KB': too small (at least 128MB)"),
        ("AIDEALS_MEMORY_LIMIT", "64MB", "AIDEALS_MEMORY_LIMIT='64MB': too small (at least 128MB)"),
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


def _all_commands() -> list[list[str]]:
    """The path of every sub-command of `aideals` (`metrics run` as ["metrics", "run"])."""
    import click

    from aideals.cli import cli

    ctx = click.Context(cli)
    paths = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in command.list_commands(ctx)]
    return paths


def test_the_commands_listed_include_the_sub_commands():
    assert ["validate"] in _all_commands()
    assert ["metrics", "run"] in _all_commands() and ["metrics", "explain"] in _all_commands()


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_help_lists_debug(capsys, path):
    """`--debug` works after the command: each command's --help says so, as `aideals --help` does."""
    with pytest.raises(SystemExit) as exc:
        main([*path, "--help"])
    out, err = capsys.readouterr()
    assert (exc.value.code, err) == (0, "")
    text = " ".join(out.split())
    assert ("--debug Print the full traceback of an error before its one-line message; the exit code is "
            "unchanged (also AIDEALS_DEBUG=1).") in text, out


@pytest.mark.parametrize("place", ["before", "after", "between"])
def test_debug_is_accepted_before_after_and_between_commands(capsys, monkeypatch, place):
    from aideals.commands import metrics

    def bug(*args, **kwargs):
        raise ValueError("oops")

    monkeypatch.setattr(metrics.command.commands["run"], "callback", bug)
    monkeypatch.delenv("AIDEALS_DEBUG", raising=False)
    args = {"before": ["--debug", "metrics", "run"], "after": ["metrics", "run", "--debug"],
            "between": ["metrics", "--debug", "run"]}[place]
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (3, "")
    _traceback_then(err, ["ValueError: oops", "aideals: internal error: ValueError: oops"])


# A test-only sitecustomize (on PYTHONPATH): Ctrl-C to the process itself as Python starts to
# import the module named by AIDEALS_TEST_INTERRUPT_AT, once. raise_signal() runs the handler
# before it returns: the interrupt lands at that point whatever the machine's speed.
INTERRUPTING_SITECUSTOMIZE = """
import os
import signal
import sys


class InterruptAt:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("AIDEALS_TEST_INTERRUPT_AT"):
            sys.meta_path.remove(self)
            signal.raise_signal(signal.SIGINT)
        return None


sys.meta_path.insert(0, InterruptAt())
"""


def _empty_database(tmp_path) -> str:
    """A DuckDB file to query: the same in every checkout (a clone has no dist/aideals.duckdb, and
    query would first say it loads the package in memory)."""
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    return str(path)


def _console_script() -> list[str]:
    """The `aideals` command as pip's launcher runs the entry point pyproject.toml declares."""
    import sys
    import tomllib

    from conftest import ROOT

    entry = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["aideals"]
    module, function = entry.split(":")
    return [sys.executable, "-c", f"import re, sys\nfrom {module} import {function}\nsys.exit({function}())"]


@pytest.mark.parametrize("entry", ["console-script", "python -m"])
@pytest.mark.parametrize(
    "module",
    ["click", "aideals.cli", "aideals.commands.query", "duckdb"],
    ids=["importing-click", "importing-the-cli", "importing-the-command", "in-the-command"],
)
def test_ctrl_c_at_any_point_is_one_line_and_exit_130(tmp_path, entry, module):
    """Finding: Ctrl-C during start-up printed a Python traceback (the handler was installed in
    cli.main, after click and the command line were imported), and a later one printed an empty
    line before `aideals: aborted` (click's Abort). Now the entry point installs it first: an
    interrupt while click or the command is imported, or while the command runs, is exactly one
    line and exit 130, with `aideals` as with `python -m aideals`."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "sitecustomize.py").write_text(INTERRUPTING_SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AIDEALS_TEST_INTERRUPT_AT": module}
    env.pop("AIDEALS_DEBUG", None)
    command = _console_script() if entry == "console-script" else [sys.executable, "-m", "aideals"]
    proc = subprocess.run([*command, "query", "--db", _empty_database(tmp_path), "SELECT 1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "aideals: aborted\n")


def test_the_interrupt_hook_of_these_tests_is_used(tmp_path):
    """The test above is not vacuous: without an interrupt the same command answers."""
    import os
    import subprocess

    from conftest import ROOT

    (tmp_path / "sitecustomize.py").write_text(INTERRUPTING_SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AIDEALS_TEST_INTERRUPT_AT": "no.such.module"}
    proc = subprocess.run([*_console_script(), "query", "--db", _empty_database(tmp_path), "SELECT 1 AS one", "--format",
                           "csv"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "one\n1\n", "")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["diff", "HEAD\nfoo", "HEAD"], "HEAD\\nfoo: no such release path or git revision"),
        (["verify", "dist/x\ny"], "dist/x\\ny: no such file or directory"),
        (["validate", "--package", "/nonexistent/a\x1b[31mred"],
         "/nonexistent/a\\u001b[31mred: no such package directory or descriptor"),
        (["build", "--package", "/nonexistent/p\rq\tr"], "/nonexistent/p\\rq\\tr: no such package directory or descriptor"),
        (["validate", "--package", "/nonexistent/cod\u202eexe.csv"],
         "/nonexistent/cod\\u202eexe.csv: no such package directory or descriptor"),
    ],
    ids=["diff", "verify", "validate-escape", "build-cr-tab", "validate-bidi"],
)
def test_a_control_character_in_an_argument_stays_on_the_error_line(capsys, monkeypatch, args, line):
    """Finding: a newline in an argument split the error line in two (`aideals: error: HEAD` /
    `foo: no such ...`), and an escape sequence reached the terminal raw. Every error line shows
    such characters escaped, as a finding's line does."""
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert (exc.value.code, capsys.readouterr()) == (2, ("", f"aideals: error: {line}\n"))


def test_an_os_error_on_a_file_whose_name_has_a_newline_is_one_line(capsys, monkeypatch):
    assert _coverage_denied(capsys, monkeypatch, "/srv/pkg\nx/README.md") == (
        2, "aideals: error: /srv/pkg\\nx/README.md: Permission denied\n")


def test_an_error_s_detail_lines_are_kept_and_escaped():
    """The lines an error lists after its own (a refused package's first findings) stay lines of
    their own, indented; a newline inside one of them, or in the message, is escaped."""
    from aideals.errors import AidealsError, user_error

    error = AidealsError("refused a\nb:", exit_code=1, details=["data/x.csv:2: id: bad", "c\nd"])
    assert user_error(error) == (1, "refused a\\nb:\n  data/x.csv:2: id: bad\n  c\\nd")
    assert str(error) == "refused a\nb:\n  data/x.csv:2: id: bad\n  c\nd"  # the text as given, for code that reads it


def test_verify_shows_names_with_control_characters_escaped(tmp_path, capsys):
    """verify's lines (OK, each mismatch, the count) name a path or file with a newline on one line."""
    import hashlib
    import json

    from aideals.verify import Mismatch

    assert Mismatch("evil\nname", "unlisted", "build-manifest.json", None).line() == \
        "evil\\nname: not listed in build-manifest.json"
    folder = tmp_path / "pkg\nx"
    folder.mkdir()
    data = b"id\n1\n"
    (folder / "a.csv").write_bytes(data)
    (folder / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "a", "path": "a.csv", "bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}]}))
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(folder)])
    shown = str(folder).replace("\n", "\\n")
    warning = f"aideals: warning: {shown}: 1 file not checked, as nothing records its size and hash (datapackage.json)\n"
    assert (exc.value.code, capsys.readouterr()) == (
        0, (f"{shown}: OK, 1 files match their recorded hashes and sizes\n", warning))
    (folder / "a.csv").write_bytes(b"id\n2\n")
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(folder)])
    out, err = capsys.readouterr()
    assert (exc.value.code, err) == (1, f"{warning}{shown}: 1 mismatch in 1 files checked\n")
    assert "\n" not in out.rstrip("\n") and out.startswith("a.csv: sha256: expected ")


@pytest.mark.parametrize("encoding, named", [("latin-1", "iso8859-1"), ("cp1252", "cp1252")])
def test_output_that_its_encoding_cannot_hold_stops_in_one_line(tmp_path, encoding, named):
    """PYTHONIOENCODING=latin-1 and data in Chinese was an internal error (UnicodeEncodeError, exit
    3): one line naming the character and what to set, exit 2. What the encoding holds is
    written as it is (é in latin-1), never altered."""
    import os
    import subprocess
    import sys

    import duckdb

    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    env.pop("AIDEALS_DEBUG", None)

    def query(sql):
        return subprocess.run([sys.executable, "-m", "aideals", "query", "--db", str(tmp_path / "empty.duckdb"),
                               "--format", "csv", sql], env=env, capture_output=True, timeout=120)

    proc = query("SELECT '中文' AS name")
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.decode(encoding) == (
        f"aideals: error: standard output is encoded as {named} (PYTHONIOENCODING or the locale), which cannot "
        "write U+4E2D (CJK UNIFIED IDEOGRAPH-4E2D): set PYTHONIOENCODING=utf-8\n")
    proc = query("SELECT 'café' AS name")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "name\ncafé\n".encode(encoding), b"")


@pytest.mark.parametrize("args", [["cite"], ["validate", "--json"], ["build", "--out", "out"]], ids=["cite", "validate-json", "build"])
def test_a_closed_standard_output_is_refused_before_any_work(tmp_path, args):
    """`aideals cite >&-` (or validate --json) printed nothing and exited 0: its result was lost.
    Every command prints its result or summary on standard output, so a closed one is refused
    before any work, in one line, exit 2 (a build is not made and then reported as failed)."""
    import os
    import subprocess

    from conftest import AIDEALS_WITHOUT_INSTALLED_PLUGINS
    from fixture_packages import make_package

    package = make_package(tmp_path / "pkg")
    env = {k: v for k, v in os.environ.items() if k != "AIDEALS_DEBUG"}
    proc = subprocess.run([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, *args, "--package", str(package)], cwd=tmp_path, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))
    assert (proc.returncode, proc.stderr) == (2, "aideals: error: standard output is closed: every command prints its "
                                              "result or summary there (send it to a file, a pipe or /dev/null)\n")
    assert not (tmp_path / "out").exists()
