"""Shared test helpers: the repository's package and the seed articles beside it."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis (tests/test_properties.py): reproducible in CI. `derandomize` draws the same examples
# on every run and no example database is read or written. What Hypothesis still caches whatever
# the settings (the constants it collects from the source files, a Unicode table) goes to a
# temporary directory removed at exit: a test run writes no .hypothesis/ in the repository.
# HYPOTHESIS_PROFILE=thorough explores ten times as many examples, randomly, for a local hunt.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="aideals-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
settings.register_profile(
    "aideals", max_examples=30, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, derandomize=False, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "aideals"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# git as a fresh machine has it: no user's or system's configuration (commit.gpgsign, hooks, a
# default branch) can change or break the commits the tests make.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "installed_plugins: the test sees the aideals plugins installed in the environment "
        "(entry points), as it tests how they are found",
    )


# `python -m aideals` in a subprocess, which does not see the plugins installed in the environment
# either (the `aideals` command line follows, as after `-m aideals`).
AIDEALS_WITHOUT_INSTALLED_PLUGINS = [
    sys.executable, "-c",
    "from aideals import plugins; plugins.discover_entry_points = lambda: []; from aideals.__main__ import main; main()",
]


@pytest.fixture(autouse=True)
def no_installed_plugins(request, monkeypatch) -> None:
    """The suite does not see the plugins installed in the environment (README's example plugin, a
    plugin of one's own): their metrics and checks would change what a build, a report or a
    validation gives here, and the tests expect the repository's plugins and their own alone.
    Installed plugins are hidden, rather than AIDEALS_PLUGINS set to the repository's plugins,
    since that would also hide the plugins a test writes and warn of the built-ins in every
    package without a plugins/ directory. A test of entry points is marked `installed_plugins`
    (and makes the distributions it finds itself). A command run in a subprocess sees them unless
    run as AIDEALS_WITHOUT_INSTALLED_PLUGINS (or with AIDEALS_PLUGINS set)."""
    monkeypatch.delenv("AIDEALS_PLUGINS", raising=False)  # nor does a limit set in the shell apply
    if request.node.get_closest_marker("installed_plugins") is None:
        from aideals import plugins

        monkeypatch.setattr(plugins, "discover_entry_points", lambda: [])


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tables() -> dict[str, list[dict[str, str]]]:
    return {name: read_csv(ROOT / "data" / f"{name}.csv") for name in ("parties", "sources", "deals", "figures")}


@pytest.fixture(scope="session")
def seeds() -> Path:
    if not (SEEDS / "SOURCES.md").is_file():
        pytest.skip(f"the seed articles are not here ({SEEDS}): they are copyrighted and live outside the repository")
    return SEEDS


RELEASES = FIXTURES / "releases"


def no_metrics_warning(root: Path, *, plugins_dir_option: bool = True) -> str:
    """The line a command that computes metrics (build; report, without --plugins-dir) writes on
    stderr for a package without plugins/, as tests/test_metrics_cli.py spells it out."""
    from aideals.plugins import no_metrics_warning as warning

    return f"aideals: warning: {warning(root, plugins_dir_option=plugins_dir_option)}\n"


def fake_build(package_dir: Path, out: Path) -> Path:
    """A build-layout copy of a small package (descriptor with `bytes` and `hash`, data/, schemas/),
    without DuckDB or Parquet: enough to assemble and verify a release without running a build."""
    import hashlib
    import json
    import shutil

    shutil.copytree(package_dir, out)
    shutil.copyfile(ROOT / "schemas" / "release-manifest.schema.json", out / "schemas" / "release-manifest.schema.json")
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        data = (out / res["path"]).read_bytes()
        res["bytes"] = len(data)
        res["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    (out / "datapackage.json").write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def make_package(directory: Path, data_dir: Path) -> Path:
    """A package in `directory`: the repository's descriptor and schemas, with data_dir's CSV files."""
    import shutil

    shutil.copy(ROOT / "datapackage.json", directory / "datapackage.json")
    shutil.copytree(ROOT / "schemas", directory / "schemas")
    (directory / "data").mkdir()
    for name in ("parties", "sources", "deals", "figures"):
        shutil.copy(data_dir / f"{name}.csv", directory / "data" / f"{name}.csv")
    return directory


@pytest.fixture
def metrics_package(tmp_path: Path) -> Path:
    """The small package of tests/fixtures/metrics, whose metric values are worked out by hand."""
    directory = tmp_path / "pkg"
    directory.mkdir()
    return make_package(directory, FIXTURES / "metrics")


CORPUS = Path(__file__).resolve().parent / "corpus"
_CORPUS_REPORTS: dict[Path, object] = {}


def corpus_report(root: Path, validate=None):
    """checks.validate of a corpus case, run once per session (the cases are committed files).

    test_validate asserts each report's findings; test_corpus_build asserts what `aideals build`
    does with the same report, without validating every case a second time."""
    from aideals import checks, package

    root = Path(root).resolve()
    if root not in _CORPUS_REPORTS:
        _CORPUS_REPORTS[root] = (validate or checks.validate)(package.load(root))
    return _CORPUS_REPORTS[root]


@pytest.fixture
def shared_corpus_validation(monkeypatch):
    """checks.validate answering from corpus_report for a corpus case without plugin checks."""
    from aideals import checks

    real = checks.validate

    def validate(pkg, *, max_errors=None, extra_checks=(), on_valid=None):
        extra_checks = list(extra_checks)
        if pkg.root.parent == CORPUS and max_errors is None and not extra_checks and on_valid is None:
            return corpus_report(pkg.root, real)
        return real(pkg, max_errors=max_errors, extra_checks=extra_checks, on_valid=on_valid)

    monkeypatch.setattr(checks, "validate", validate)
