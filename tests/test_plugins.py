"""Loading plugins from the three places, limiting them, and what happens when one misbehaves."""

from __future__ import annotations

import json
import importlib.metadata
import textwrap
from pathlib import Path

import pytest

from aideals import metrics, package, plugins
from aideals.errors import AidealsError
from conftest import ROOT

BUILTINS = ["circularity", "commitments_vs_revenue", "cost_per_gigawatt", "vendor_financing_ratio"]
EXAMPLE = ROOT / "plugins" / "examples" / "aideals-example-metric"

ONE_METRIC = """
from aideals import hookimpl
from aideals.metrics import Metric

@hookimpl
def aideals_register_metrics():
    return [Metric(name={name!r}, title="T", description="D", unit="ratio", formula="F", sql={sql!r})]
"""
GOOD_SQL = (
    "SELECT 'party' AS subject_type, party_id AS subject_id, 1.0 AS value, 'ratio' AS unit, "
    "[figure_id] AS figure_ids FROM figures WHERE figure_id = 'c-revenue'"
)


def write_plugin(directory: Path, module: str, metric: str, sql: str = GOOD_SQL) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{module}.py"
    path.write_text(ONE_METRIC.format(name=metric, sql=sql), encoding="utf-8")
    return path


def load(root=None, dirs=(), **kw):
    kw.setdefault("limit", None)
    kw.setdefault("entry_points", [])
    return plugins.load(root, dirs, **kw)


def test_repository_plugins_are_registered_like_any_plugin():
    loaded = load(ROOT)
    assert loaded.names() == BUILTINS
    assert {i.origin for i in loaded.info.values()} == {"repository"}
    assert [m.name for m in loaded.metrics()] == BUILTINS
    assert [m.plugin for m in loaded.metrics()] == BUILTINS
    assert loaded.hooks("circularity") == ["aideals_register_metrics"]


def test_repository_loader_skips_the_example_packages_and_private_modules(tmp_path):
    write_plugin(tmp_path / "plugins", "mine", "mine")
    write_plugin(tmp_path / "plugins", "_private", "private")
    write_plugin(tmp_path / "plugins" / "examples" / "pkg", "nested", "nested")
    assert load(tmp_path).names() == ["mine"]
    assert EXAMPLE.is_dir() and "aideals_example_metric" not in load(ROOT).names()


def test_plugins_dir_adds_its_modules(tmp_path):
    write_plugin(tmp_path / "extra", "extra_plugin", "extra_metric")
    loaded = load(ROOT, [tmp_path / "extra"])
    assert loaded.info["extra_plugin"].origin == "plugins-dir"
    assert [m.name for m in loaded.metrics()] == sorted(BUILTINS + ["extra_metric"])


def test_missing_plugins_dir_is_an_error(tmp_path):
    with pytest.raises(AidealsError, match="--plugins-dir .*nope: no such directory"):
        load(None, [tmp_path / "nope"])


def make_distribution(site: Path, module: str, metric: str) -> None:
    """An installed distribution `aideals-fake` 1.2 with an entry point in group aideals."""
    write_plugin(site, module, metric)
    info = site / "aideals_fake-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aideals-fake\nVersion: 1.2\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[aideals]\nfake = {module}\n", encoding="utf-8")


@pytest.mark.installed_plugins
def test_installed_entry_points_are_loaded_with_their_version(tmp_path, monkeypatch):
    make_distribution(tmp_path, "aideals_fake_plugin", "fake_metric")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = plugins.load(None, [], limit=None)  # discovers the installed entry points
    assert loaded.info["aideals-fake"] == plugins.PluginInfo(
        "aideals-fake", "entry point", "aideals_fake_plugin", "1.2", "aideals-fake"
    )
    assert "fake_metric" in [m.name for m in loaded.metrics()]


def test_the_tests_do_not_see_installed_plugins(tmp_path, monkeypatch):
    """tests/conftest.py hides the plugins installed in the environment from every test not marked
    `installed_plugins`: README's example plugin, installed, changes no test's result."""
    make_distribution(tmp_path, "aideals_fake_hidden", "fake_hidden")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "aideals-fake" in [ep.dist.name for ep in importlib.metadata.entry_points(group="aideals")]
    loaded = plugins.load(ROOT, [], limit=None)  # entry points as a command finds them
    assert loaded.names() == BUILTINS
    assert loaded.left_out == [] and loaded.problems == []


@pytest.mark.installed_plugins
def test_installed_plugins_are_left_out_unless_named_when_asked(tmp_path, monkeypatch):
    """What `aideals release` loads: an installed plugin only when AIDEALS_PLUGINS names it."""
    make_distribution(tmp_path, "aideals_fake_optin", "fake_optin")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = plugins.load(ROOT, [], limit=None, installed_only_if_named=True)
    assert loaded.names() == BUILTINS
    fake = plugins.PluginInfo("aideals-fake", "entry point", "aideals_fake_optin", "1.2", "aideals-fake")
    assert [p for p in loaded.left_out if p.name == "aideals-fake"] == [fake]
    assert "fake_optin" not in [m.name for m in loaded.metrics()]
    loaded = plugins.load(ROOT, [], limit={"aideals-fake", "circularity"}, installed_only_if_named=True)
    assert (loaded.names(), loaded.left_out) == (["aideals-fake", "circularity"], [])
    assert loaded.info["aideals-fake"] == fake


@pytest.mark.installed_plugins
def test_a_distribution_with_two_entry_points_is_two_plugins(tmp_path, monkeypatch):
    """Both entry points of one distribution took its name, and every command stopped on "plugin
    name used twice"; each is now `distribution:entry point`, and AIDEALS_PLUGINS may name either."""
    write_plugin(tmp_path, "twoep_metrics", "twoep_metric")
    write_plugin(tmp_path, "twoep_more", "twoep_other_metric")
    info = tmp_path / "aideals_twoep-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aideals-twoep\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[aideals]\nmetrics = twoep_metrics\nmore = twoep_more\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = plugins.load(None, [], limit=None)
    assert [n for n in loaded.names() if "twoep" in n] == ["aideals-twoep:metrics", "aideals-twoep:more"]
    assert sorted((m.name, m.plugin) for m in loaded.metrics() if "twoep" in m.name) == [
        ("twoep_metric", "aideals-twoep:metrics"), ("twoep_other_metric", "aideals-twoep:more")]
    assert [n for n in plugins.load(None, [], limit={"aideals-twoep:more"}).names()] == ["aideals-twoep:more"]
    assert plugins.load(None, [], limit={"aideals-twoep"}).names() == ["aideals-twoep:metrics", "aideals-twoep:more"]


def test_an_entry_point_naming_the_hook_function_is_reported(tmp_path):
    """An entry point `pkg.module:aideals_register_metrics` registers the function itself, which
    pluggy finds no hook in: it loaded without a word and brought nothing."""
    write_plugin(tmp_path, "fn_entry", "fn_metric")
    import sys as _sys

    _sys.path.insert(0, str(tmp_path))
    try:
        ep = importlib.metadata.EntryPoint("fn", "fn_entry:aideals_register_metrics", "aideals")
        loaded = load(None, entry_points=[ep])
    finally:
        _sys.path.remove(str(tmp_path))
        _sys.modules.pop("fn_entry", None)
    assert [p.line() for p in loaded.problems] == [
        "plugin fn: fn_entry:aideals_register_metrics implements no aideals hook (an entry point names the "
        "module that defines the @aideals.hookimpl functions, not a function)"
    ]
    assert [p.checks_missing for p in loaded.problems] == [True]
    assert loaded.metrics() == []


def test_example_plugin_package_entry_point_loads_its_metric(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    pyproject = (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.aideals]\nexample = "aideals_example_metric"' in pyproject
    ep = importlib.metadata.EntryPoint("example", "aideals_example_metric", "aideals")
    loaded = load(None, entry_points=[ep])
    assert [(m.name, m.plugin) for m in loaded.metrics()] == [("deals_per_party", "example")]


@pytest.mark.installed_plugins
def test_env_limit_loads_only_the_plugins_named(tmp_path, monkeypatch):
    make_distribution(tmp_path, "aideals_fake_limited", "fake_limited")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AIDEALS_PLUGINS", "circularity, aideals_fake")
    loaded = plugins.load(ROOT)
    assert loaded.names() == ["aideals-fake", "circularity"]
    monkeypatch.setenv("AIDEALS_PLUGINS", "")
    assert plugins.load(ROOT).names() == []


def test_a_metric_defined_twice_is_an_error_naming_both_plugins(tmp_path):
    write_plugin(tmp_path / "extra", "copycat", "circularity")
    loaded = load(ROOT, [tmp_path / "extra"])
    with pytest.raises(AidealsError) as exc:
        loaded.metrics()
    assert str(exc.value) == (
        "metric 'circularity' is defined twice: by plugin 'circularity' and by plugin 'copycat' "
        "(rename one, or limit plugins with AIDEALS_PLUGINS)"
    )


def test_a_plugin_name_used_twice_is_an_error(tmp_path):
    write_plugin(tmp_path / "extra", "circularity", "other")
    with pytest.raises(AidealsError, match="plugin name 'circularity' is used twice"):
        load(ROOT, [tmp_path / "extra"])


def test_a_plugin_that_cannot_load_is_reported_and_skipped(tmp_path):
    d = tmp_path / "extra"
    write_plugin(d, "fine", "fine_metric")
    (d / "broken.py").write_text("import nonexistent_module_xyz\n", encoding="utf-8")
    (d / "typo.py").write_text(
        "from aideals import hookimpl\n@hookimpl\ndef aideals_register_metric():\n    return []\n", encoding="utf-8"
    )
    (d / "raises.py").write_text(
        "from aideals import hookimpl\n@hookimpl\ndef aideals_register_metrics():\n    raise RuntimeError('boom')\n",
        encoding="utf-8",
    )
    loaded = load(None, [d])
    assert [m.name for m in loaded.metrics()] == ["fine_metric"]
    lines = [p.line() for p in loaded.problems]
    assert lines[0] == f"plugin broken: cannot import {d / 'broken.py'}: ModuleNotFoundError: No module named 'nonexistent_module_xyz'"
    assert lines[1].startswith("plugin typo: cannot register: PluginValidationError: unknown hook 'aideals_register_metric'")
    assert lines[2] == "plugin raises: aideals_register_metrics() raised RuntimeError: boom"


def test_a_plugin_that_exits_is_reported_and_skipped(tmp_path):
    """sys.exit() in a plugin, at import or in a hook, must not end the run (with exit code 0 and
    nothing done): it is a plugin problem like any other."""
    d = tmp_path / "extra"
    write_plugin(d, "fine", "fine_metric")
    (d / "quits.py").write_text("import sys\nsys.exit(0)\n", encoding="utf-8")
    (d / "exits.py").write_text(
        "import sys\nfrom aideals import hookimpl\n@hookimpl\ndef aideals_register_metrics():\n    sys.exit(0)\n",
        encoding="utf-8",
    )
    loaded = load(None, [d])
    assert [m.name for m in loaded.metrics()] == ["fine_metric"]
    assert [p.line() for p in loaded.problems] == [
        f"plugin quits: cannot import {d / 'quits.py'}: SystemExit: 0",
        "plugin exits: aideals_register_metrics() raised SystemExit: 0",
    ]


UNKNOWN_PLUGIN = ("AIDEALS_PLUGINS names 'circularty', but no plugin of that name was found; the plugins found: "
                  "circularity, commitments_vs_revenue, cost_per_gigawatt, vendor_financing_ratio")


def test_a_plugin_limit_naming_no_plugin_is_an_error_naming_the_plugins_found(monkeypatch):
    """A typo loaded nothing of that plugin, with one warning: a build without its metrics, exit 0."""
    monkeypatch.setenv("AIDEALS_PLUGINS", "circularty,circularity")
    with pytest.raises(AidealsError) as exc:
        plugins.load(ROOT)
    assert (str(exc.value), exc.value.exit_code) == (UNKNOWN_PLUGIN, 2)


def test_names_not_found_are_shown_as_written(monkeypatch):
    """They were shown as compared: `../../etc/passwd` as `--/--/etc/passwd`."""
    monkeypatch.setenv("AIDEALS_PLUGINS", " Circularity , ../../etc/passwd,Cost.Per_Gigawatt,x\ny")
    with pytest.raises(AidealsError) as exc:
        plugins.load(ROOT)
    assert str(exc.value) == (
        "AIDEALS_PLUGINS names '../../etc/passwd', 'x\\ny', but no plugin of those names was found; the plugins "
        "found: circularity, commitments_vs_revenue, cost_per_gigawatt, vendor_financing_ratio"
    )
    monkeypatch.setenv("AIDEALS_PLUGINS", " Circularity ,Cost.Per_Gigawatt")
    assert plugins.load(ROOT).names() == ["circularity", "cost_per_gigawatt"]


def test_a_limit_naming_a_plugin_when_there_is_none_says_so(monkeypatch):
    with pytest.raises(AidealsError) as exc:
        plugins.load(None, limit={"circularity"})
    assert str(exc.value) == "AIDEALS_PLUGINS names 'circularity', but no plugin of that name was found; the plugins found: none"


def test_extra_checks_hook_returns_checks_with_their_plugin(tmp_path):
    d = tmp_path / "extra"
    d.mkdir()
    (d / "checker.py").write_text(
        textwrap.dedent(
            """
            from aideals import hookimpl
            from aideals.checks import ExtraCheck

            @hookimpl
            def aideals_register_checks():
                return ExtraCheck("no_negative_amounts", "Amounts are not negative.",
                                  "SELECT figure_id FROM figures WHERE value < 0")
            """
        ),
        encoding="utf-8",
    )
    checks = load(None, [d]).checks()
    assert [(c.name, c.plugin) for c in checks] == [("no_negative_amounts", "checker")]


def write_checks(directory: Path, module: str, *names: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    made = ", ".join(f"ExtraCheck({n!r}, 'D', 'SELECT 1 WHERE false')" for n in names)
    (directory / f"{module}.py").write_text(
        f"from aideals import hookimpl\nfrom aideals.checks import ExtraCheck\n\n"
        f"@hookimpl\ndef aideals_register_checks():\n    return [{made}]\n",
        encoding="utf-8",
    )


def test_a_check_name_is_one_check_s_as_a_metric_name_is_one_metric_s(tmp_path):
    """A check's findings and its line in `checks_run` go by its name: a plugin's check named like a
    built-in one, or like another plugin's, is an error naming both; a name that is not a name is
    reported and the check skipped."""
    write_checks(tmp_path / "a", "shadow", "no_cycle_in_party_parents")
    with pytest.raises(AidealsError) as exc:
        load(None, [tmp_path / "a"]).checks()
    assert str(exc.value) == (
        "check 'no_cycle_in_party_parents' is defined twice: by aideals (built in) and by plugin 'shadow' "
        "(rename one, or limit plugins with AIDEALS_PLUGINS)"
    )
    write_checks(tmp_path / "b", "first", "amounts_positive")
    write_checks(tmp_path / "b", "second", "amounts_positive")
    with pytest.raises(AidealsError, match="^check 'amounts_positive' is defined twice: by plugin 'first' and by plugin 'second'"):
        load(None, [tmp_path / "b"]).checks()
    write_checks(tmp_path / "c", "sloppy", "Bad Name!", "fine_name")
    loaded = load(None, [tmp_path / "c"])
    assert [c.name for c in loaded.checks()] == ["fine_name"]
    assert [p.line() for p in loaded.problems] == [
        "plugin sloppy: check name 'Bad Name!' is not a name like no_cycle_in_party_parents"
    ]


# -- running metrics ---------------------------------------------------------------------------


def run_dir(root: Path, directory: Path):
    pkg = package.load(root)
    loaded = load(None, [directory])
    with metrics.readonly_database(pkg) as con:
        return metrics.compute(con, loaded.metrics())


def test_a_metric_whose_sql_fails_is_reported_and_the_others_still_run(metrics_package, tmp_path):
    write_plugin(tmp_path / "x", "good", "good_metric")
    write_plugin(tmp_path / "x", "bad_sql", "bad_sql_metric", sql="SELECT * FROM no_such_table")
    run = run_dir(metrics_package, tmp_path / "x")
    assert [r.metric for r in run.results] == ["good_metric"]
    assert len(run.problems) == 1
    assert run.problems[0].plugin == "bad_sql" and run.problems[0].metric == "bad_sql_metric"
    assert run.problems[0].error.startswith("CatalogException: Catalog Error: Table with name no_such_table does not exist")


SLOW_METRIC = """
from pathlib import Path
from aideals import hookimpl
from aideals.metrics import Metric

def started(i):  # a UDF that DuckDB calls once, on the first row of the slow query: the query runs
    Path({marker!r}).write_text("running")
    return i

def slow(con):
    con.create_function("started", started, ["BIGINT"], "BIGINT", side_effects=True)
    con.execute("SELECT count(*) FROM range(100000000000) t(i)"
                " WHERE CASE WHEN i = 0 THEN started(i) ELSE i END * i = -1").fetchall()
    return []

@hookimpl
def aideals_register_metrics():
    return [Metric(name="slow_metric", title="T", description="D", unit="ratio", formula="F", function=slow)]
"""


def test_sigterm_during_a_metric_query_stops_the_build_with_exit_130(metrics_package, tmp_path):
    """SIGTERM (or Ctrl-C) while a metric's query runs reaches DuckDB, which stops the query: the
    build must stop with exit 130 and leave no release, not skip the metric and publish one."""
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "running"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "slow.py").write_text(SLOW_METRIC.format(marker=str(marker)), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "aideals", "build", "--package", str(metrics_package),
                             "--out", str(out), "--plugins-dir", str(tmp_path / "x")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()  # DuckDB runs the query: it has called the UDF
    time.sleep(0.1)  # past the UDF's return: the signal lands in DuckDB's scan, not in the UDF's Python
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert stderr.splitlines()[-1] == "aideals: aborted"
    assert not out.exists()


SWALLOWING_METRIC = """
import os
import signal
from aideals import hookimpl
from aideals.metrics import Metric

def swallows(con):
    try:
        os.kill(os.getpid(), signal.{signal})
        for _ in range(1000):  # the handler runs between two bytecodes of this loop
            sum(range(1000))
    except BaseException as exc:  # a plugin that hides the interrupt, {how}
        {then}
    return []

@hookimpl
def aideals_register_metrics():
    return [Metric(name="swallowing_metric", title="T", description="D", unit="ratio", formula="F", function=swallows)]
"""


@pytest.mark.parametrize(
    ("sig", "how", "then"),
    [("SIGTERM", "and returns no rows", "pass"),
     ("SIGINT", "wrapped in its own error", "raise ValueError('plugin wrapped: ' + repr(exc))"),
     ("SIGTERM", "and returns a bad row", "return [1]")],
)
def test_a_metric_that_swallows_the_interrupt_still_stops_the_build(metrics_package, tmp_path, sig, how, then):
    """Ctrl-C or SIGTERM that a metric catches (and hides, or turns into its own error) is noted by
    the command's signal handler: the build stops with exit 130 and publishes nothing."""
    import subprocess
    import sys

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "swallows.py").write_text(SWALLOWING_METRIC.format(signal=sig, how=how, then=then), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "aideals", "build", "--package", str(metrics_package),
                           "--out", str(out), "--plugins-dir", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 130, (proc.stdout, proc.stderr)
    assert proc.stderr.splitlines()[-1] == "aideals: aborted"
    assert not out.exists()


def test_a_metric_that_calls_sys_exit_is_skipped_and_the_others_run(metrics_package, tmp_path):
    """sys.exit() in a metric (SystemExit is no Exception) is that metric's failure, not the command's end."""
    write_plugin(tmp_path / "x", "good", "good_metric")
    (tmp_path / "x" / "exits.py").write_text(
        "import sys\nfrom aideals import hookimpl\nfrom aideals.metrics import Metric\n\n"
        "def leaves(con):\n    sys.exit(0)\n\n@hookimpl\ndef aideals_register_metrics():\n"
        "    return [Metric(name='leaving_metric', title='T', description='D', unit='ratio', formula='F', function=leaves)]\n",
        encoding="utf-8",
    )
    run = run_dir(metrics_package, tmp_path / "x")
    assert [r.metric for r in run.results] == ["good_metric"]
    assert [(p.plugin, p.metric, p.error) for p in run.problems] == [("exits", "leaving_metric", "SystemExit: 0")]


def test_an_interrupt_of_a_metric_query_stops_the_run_instead_of_skipping_the_metric(metrics_package):
    """duckdb.InterruptException (a connection's interrupt()) stops the metrics too."""
    import duckdb

    def interrupted(con):
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    metric = metrics.Metric("stopped", "Stopped", "d", "ratio", "f", function=interrupted, plugin="p")
    pkg = package.load(metrics_package)
    with metrics.readonly_database(pkg) as con, pytest.raises(duckdb.InterruptException):
        metrics.compute(con, [metric])


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, [] AS figure_ids",
            "row 1: figure_ids: [] should be non-empty",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['made-up'] AS figure_ids",
            "row 1: figure_ids: no figure 'made-up' in figures",
        ),
        (
            "SELECT 'party' AS subject_type, 'zz' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: subject_id: no 'zz' in parties",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 2.0 AS value, 1.0 AS value_high, 'ratio' AS unit, "
            "['c-revenue'] AS figure_ids",
            "row 1: row: value_high 1.0 is not >= value 2.0",
        ),
        (
            "SELECT 'planet' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: subject_type: 'planet' is not one of ['deal', 'party', 'pair', 'cycle']",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: value: is missing, and every result row needs it",
        ),
        (  # an aggregate over no rows: the column is there, its value NULL
            "SELECT 'party' AS subject_type, 'c' AS subject_id, NULL::DOUBLE AS value, 'ratio' AS unit, "
            "['c-revenue'] AS figure_ids",
            "row 1: value: is null, and every result row needs it",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 'nan'::DOUBLE AS value, 'ratio' AS unit, "
            "['c-revenue'] AS figure_ids",
            "row 1: value: nan is not a finite number",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 1.0 / 0.0 AS value_high, 'ratio' AS unit, "
            "['c-revenue'] AS figure_ids",
            "row 1: value_high: inf is not a finite number",
        ),
        (
            "SELECT 'pair' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: subject_id: 'c' is not a pair (two party ids, a/b)",
        ),
        (
            "SELECT 'cycle' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: subject_id: 'c' is not a cycle (two or more party ids, a/b/c)",
        ),
        (  # an empty party id: the result schema's pattern refuses it first
            "SELECT 'pair' AS subject_type, 'c/' AS subject_id, 1.0 AS value, 'ratio' AS unit, ['c-revenue'] AS figure_ids",
            "row 1: subject_id: 'c/' does not match '^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$'",
        ),
        (  # a row may name its metric, but only this one
            "SELECT 'other' AS metric, 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, "
            "['c-revenue'] AS figure_ids",
            "row 1: metric: 'other' is not this metric's name 'sloppy_metric'",
        ),
        # figure ids are checked without jsonschema when they are fine: when not, jsonschema says why
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, "
            "['c-revenue', 'c-revenue'] AS figure_ids",
            "row 1: figure_ids: ['c-revenue', 'c-revenue'] has non-unique elements",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, "
            "['c-revenue', 'C-Revenue'] AS figure_ids",
            "row 1: figure_ids.1: 'C-Revenue' does not match '^[a-z0-9][a-z0-9-]*$'",
        ),
        (
            "SELECT 'party' AS subject_type, 'c' AS subject_id, 1.0 AS value, 'ratio' AS unit, [7] AS figure_ids",
            "row 1: figure_ids.0: 7 is not of type 'string'",
        ),
        (
            "SELECT * FROM (VALUES ('party', 'c', 1.0, 'ratio', ['c-revenue']), "
            "('party', 'c', 2.0, 'ratio', ['c-revenue', 'made-up', 'also-made-up'])) "
            "t(subject_type, subject_id, value, unit, figure_ids) ORDER BY value",
            "row 2: figure_ids: no figure 'made-up' in figures",
        ),
    ],
)
def test_bad_metric_rows_are_a_clear_error_naming_plugin_and_metric(metrics_package, tmp_path, sql, error):
    write_plugin(tmp_path / "x", "sloppy", "sloppy_metric", sql=sql)
    run = run_dir(metrics_package, tmp_path / "x")
    assert run.results == []
    assert [p.line() for p in run.problems] == [f"plugin sloppy: metric sloppy_metric: {error}"]


def test_figure_ids_go_through_jsonschema_when_the_schema_asks_more_of_them(metrics_package):
    import copy

    schema = metrics.result_schema(ROOT)
    assert metrics._plain_figure_ids_pattern(schema).pattern == "^[a-z0-9][a-z0-9-]*$"
    stricter = copy.deepcopy(schema)
    stricter["properties"]["figure_ids"]["maxItems"] = 1
    assert metrics._plain_figure_ids_pattern(stricter) is None
    metric = metrics.Metric(name="m", title="M", description="", unit="ratio", formula="", sql="SELECT 1")
    row = {"subject_type": "party", "subject_id": "c", "value": 1.0, "unit": "ratio", "figure_ids": ["c-revenue", "ca-chips"]}
    with metrics.readonly_database(package.load(metrics_package)) as con:
        assert [r.figure_ids for r in metrics.check_rows(con, metric, [row], schema)] == [("c-revenue", "ca-chips")]
        with pytest.raises(metrics.BadMetricRows, match=r"^row 1: figure_ids: \['c-revenue', 'ca-chips'\] is too long$"):
            metrics.check_rows(con, metric, [row], stricter)


@pytest.mark.parametrize(("subject_type", "subject_id", "error"), [
    ("pair", "c/", "row 1: subject_id: 'c/' is not a pair (two party ids, a/b)"),
    ("pair", "/c", "row 1: subject_id: '/c' is not a pair (two party ids, a/b)"),
    ("cycle", "a//c", "row 1: subject_id: 'a//c' is not a cycle (two or more party ids, a/b/c)"),
    ("pair", "a/b/c", "row 1: subject_id: 'a/b/c' is not a pair (two party ids, a/b)"),
])
def test_a_subject_with_an_empty_party_id_is_refused_even_when_the_schema_lets_it_pass(
        metrics_package, subject_type, subject_id, error):
    """The result schema's pattern refuses `c/` first; a schema without it still does not get an
    empty party id looked up in parties: the subject is named as no pair (or cycle)."""
    import copy

    schema = copy.deepcopy(metrics.result_schema(ROOT))
    del schema["properties"]["subject_id"]["pattern"]
    metric = metrics.Metric(name="m", title="M", description="", unit="ratio", formula="", sql="SELECT 1")
    row = {"subject_type": subject_type, "subject_id": subject_id, "value": 1.0, "unit": "ratio", "figure_ids": ["c-revenue"]}
    with metrics.readonly_database(package.load(metrics_package)) as con, pytest.raises(metrics.BadMetricRows) as exc:
        metrics.check_rows(con, metric, [row], schema)
    assert str(exc.value) == error


def test_result_rows_are_inserted_as_they_are_in_their_order():
    import duckdb

    from aideals import db

    con = duckdb.connect(":memory:")
    con.execute(db.METRICS_DDL)
    results = [
        metrics.MetricResult("m", "pair", "b/a", 2.5, None, "ratio", ("f-2", "f-1"), None, None, "p"),
        metrics.MetricResult("m", "deal", "d", 1.0, 3.0, "USD", ("f-1",), "a note", "range", "p"),
    ]
    metrics.insert_results(con, results)
    assert con.execute("SELECT * FROM metrics").fetchall() == [
        ("m", "pair", "b/a", 2.5, None, "ratio", ["f-2", "f-1"], None, None, "p"),
        ("m", "deal", "d", 1.0, 3.0, "USD", ["f-1"], "a note", "range", "p"),
    ]
    con.close()


FUNCTION_METRICS = """
from aideals import hookimpl
from aideals.metrics import Metric

{functions}

@hookimpl
def aideals_register_metrics():
    return [{metrics}]
"""


def write_function_metrics(directory: Path, module: str, functions: str, metrics: str) -> Path:
    """A plugin module of function metrics: `functions` defines them, `metrics` lists their Metric()s."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{module}.py").write_text(
        FUNCTION_METRICS.format(functions=textwrap.dedent(functions), metrics=metrics), encoding="utf-8"
    )
    return directory


def test_metric_functions_get_a_read_only_connection_without_file_access(metrics_package, tmp_path):
    d = write_function_metrics(
        tmp_path / "x", "snoop",
        """
        def writes(con):
            con.execute("CREATE TABLE evil (a INTEGER)")

        def reads_files(con):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")
        """,
        'Metric("writes", "T", "D", "u", "F", function=writes), Metric("reads_files", "T", "D", "u", "F", function=reads_files)',
    )
    run = run_dir(metrics_package, d)
    errors = {p.metric: p.error for p in run.problems}
    assert "read-only" in errors["writes"]
    assert errors["reads_files"].startswith("PermissionException")


def test_a_function_returning_one_row_mapping_is_told_to_return_a_list(metrics_package, tmp_path):
    d = write_function_metrics(
        tmp_path / "x", "single",
        """
        def one(con):
            return {"subject_type": "party", "subject_id": "c", "value": 1.0, "unit": "ratio", "figure_ids": ["c-revenue"]}
        """,
        'Metric("one", "T", "D", "ratio", "F", function=one)',
    )
    run = run_dir(metrics_package, d)
    assert [p.line() for p in run.problems] == [
        "plugin single: metric one: returned one mapping; return an iterable of row mappings (a list of dicts)"
    ]


def test_a_hook_with_a_wrong_signature_is_reported_with_pluggy_s_reason(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    (d / "wrongargs.py").write_text(
        "from aideals import hookimpl\n\n@hookimpl\ndef aideals_register_metrics(con):\n    return []\n",
        encoding="utf-8",
    )
    loaded = load(None, [d])
    [problem] = loaded.problems
    assert problem.error.startswith("cannot register: PluginValidationError: Plugin 'wrongargs' for hook")
    assert "Argument(s) {'con'} are declared in the hookimpl but can not be found in the hookspec" in problem.error


def test_a_hook_without_its_decorator_is_reported(tmp_path):
    """pluggy calls only functions marked with @hookimpl: an unmarked aideals_register_metrics would
    load without a word and never run."""
    d = tmp_path / "x"
    d.mkdir()
    (d / "nodeco.py").write_text("def aideals_register_metrics():\n    return []\n", encoding="utf-8")
    loaded = load(None, [d])
    assert [p.line() for p in loaded.problems] == [
        "plugin nodeco: aideals_register_metrics() is not decorated with @aideals.hookimpl, so it is never called"
    ]
    assert "nodeco" in loaded.info


def test_the_toolkit_ships_the_repository_s_metric_result_schema():
    """A plugin's tests run metrics without a package: the toolkit's own copy of the result schema
    (package data, so that a non-editable install has it) is the repository's, byte for byte."""
    shipped = metrics.TOOLKIT_RESULT_SCHEMA
    assert shipped.parent.parent.name == "aideals"
    assert shipped.read_bytes() == (ROOT / metrics.RESULT_SCHEMA).read_bytes()
    assert metrics.result_schema(None) == metrics.result_schema(ROOT)


def test_populate_inserts_checked_rows_into_the_metrics_table(metrics_package):
    from aideals import db

    pkg = package.load(metrics_package)
    con = db.connect_memory(pkg)
    problems = []
    run = metrics.populate(
        con, pkg, plugins=load(None, [ROOT / "plugins"]), report=problems.append
    )
    assert problems == []
    rows = con.execute(
        "SELECT metric, subject_id, value, value_high, figure_ids, qualifier, plugin FROM metrics "
        "WHERE metric = 'vendor_financing_ratio' ORDER BY subject_id"
    ).fetchall()
    assert rows == [
        ("vendor_financing_ratio", "a/b", 3.5, None, ["ab-chips", "ab-invest-s1", "ab-invest-s2"], "at_least", "vendor_financing_ratio"),
        ("vendor_financing_ratio", "c/b", 10.0, 15.0, ["bc-cloud", "bc-equity"], "range", "vendor_financing_ratio"),
    ]
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == len(run.results) == 14


def test_populate_reports_failures_and_strict_makes_them_an_error(metrics_package, tmp_path):
    from aideals import db

    write_plugin(tmp_path / "x", "bad_sql", "bad_sql_metric", sql="SELECT nonsense")
    pkg = package.load(metrics_package)
    con = db.connect_memory(pkg)
    seen = []
    metrics.populate(con, pkg, plugins=load(None, [tmp_path / "x"]), report=seen.append)
    assert [(p.plugin, p.metric) for p in seen] == [("bad_sql", "bad_sql_metric")]
    with pytest.raises(AidealsError, match="1 plugin problem"):
        metrics.populate(con, pkg, plugins=load(None, [tmp_path / "x"]), report=seen.append, strict=True)


@pytest.mark.parametrize("command", [["validate"], ["plugins"]])
def test_a_check_hook_that_fails_is_warned_of_by_validate_and_plugins(tmp_path, capsys, command):
    """`aideals plugins` lists it and exits 0; `aideals validate` does not find the package valid
    without the checks that did not run: one finding per failure, exit 1."""
    from cli_runner import run_cli

    d = tmp_path / "extra"
    d.mkdir()
    (d / "badcheck.py").write_text(
        "from aideals import hookimpl\n@hookimpl\ndef aideals_register_checks():\n    return ['x', 3]\n",
        encoding="utf-8",
    )
    code, out, err = run_cli([*command, "--package", str(ROOT), "--plugins-dir", str(d)], capsys)
    assert err.splitlines() == [
        "aideals: warning: plugin badcheck: aideals_register_checks() returned 'x', not an ExtraCheck (skipped)",
        "aideals: warning: plugin badcheck: aideals_register_checks() returned 3, not an ExtraCheck (skipped)",
    ]
    if command == ["plugins"]:
        assert code == 0
        return
    assert code == 1
    assert out.splitlines() == [
        "every_plugin_loaded (cross-table): 2",
        "  datapackage.json: plugin badcheck: aideals_register_checks() returned 'x', not an ExtraCheck: any check it "
        "has did not run (fix the plugin or remove it; AIDEALS_PLUGINS=name,... loads only the plugins named)",
        "  datapackage.json: plugin badcheck: aideals_register_checks() returned 3, not an ExtraCheck: any check it "
        "has did not run (fix the plugin or remove it; AIDEALS_PLUGINS=name,... loads only the plugins named)",
        "2 findings in 1 check.",
    ]


def test_a_plugin_that_cannot_be_imported_stops_a_build(tmp_path, capsys, monkeypatch):
    """Its checks, if it has any, did not run: the data is not known to be valid, nothing is built.
    Leaving the plugin out (AIDEALS_PLUGINS) builds."""
    from cli_runner import run_cli
    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg")
    (root / "plugins").mkdir()
    (root / "plugins" / "broken.py").write_text("import nonexistent_module_xyz\n", encoding="utf-8")
    code, out, err = run_cli(["build", "--package", str(root)], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "aideals: error: the package is invalid (1 finding), nothing was built; run `aideals validate` for the full "
        "report:",
        f"  datapackage.json: plugin broken: cannot import {root / 'plugins' / 'broken.py'}: ModuleNotFoundError: No "
        "module named 'nonexistent_module_xyz': any check it has did not run (fix the plugin or remove it; "
        "AIDEALS_PLUGINS=name,... loads only the plugins named)",
    ]
    assert not (root / "dist").exists()
    monkeypatch.setenv("AIDEALS_PLUGINS", "")  # none
    code, out, err = run_cli(["build", "--package", str(root)], capsys)
    assert code == 0 and (root / "dist" / "aideals.duckdb").is_file()


@pytest.mark.parametrize("command", [["validate"], ["plugins"], ["metrics"]])
def test_every_command_warns_of_a_broken_plugin_in_the_same_line(tmp_path, capsys, command):
    from cli_runner import run_cli

    d = tmp_path / "extra"
    d.mkdir()
    (d / "broken.py").write_text("import nonexistent_module_xyz\n", encoding="utf-8")
    code, _, err = run_cli([*command, "--package", str(ROOT), "--plugins-dir", str(d)], capsys)
    # validate does not call the package valid without the checks the plugin may have had
    assert code == (1 if command == ["validate"] else 0)
    assert err.splitlines() == [
        f"aideals: warning: plugin broken: cannot import {d / 'broken.py'}: "
        "ModuleNotFoundError: No module named 'nonexistent_module_xyz' (skipped)"
    ]


@pytest.mark.parametrize(
    "name, source, blocks",
    [
        # its checks did not run: validation is incomplete
        ("undecorated_checks", "def aideals_register_checks():\n    return []\n", True),
        ("raising_checks", "from aideals import hookimpl\n@hookimpl\ndef aideals_register_checks():\n"
         "    raise RuntimeError('boom')\n", True),
        # a metrics hook that fails leaves the checks whole: a warning, not a finding
        ("undecorated_metrics", "def aideals_register_metrics():\n    return []\n", False),
        ("raising_metrics", "from aideals import hookimpl\n@hookimpl\ndef aideals_register_metrics():\n"
         "    raise RuntimeError('boom')\n", False),
    ],
)
def test_only_a_plugin_whose_checks_did_not_run_fails_validation(tmp_path, capsys, name, source, blocks):
    from cli_runner import run_cli

    d = tmp_path / "extra"
    d.mkdir()
    (d / f"{name}.py").write_text(source, encoding="utf-8")
    code, out, err = run_cli(["validate", "--package", str(ROOT), "--plugins-dir", str(d), "--json"], capsys)
    report = json.loads(out)
    if blocks:
        assert code == 1 and report["counts"] == {"every_plugin_loaded": 1}
        assert report["findings"][0]["message"].startswith(f"plugin {name}: ")
        assert err.startswith(f"aideals: warning: plugin {name}: ")
    else:
        assert code == 0 and report["counts"] == {} and "every_plugin_loaded" not in report["checks_run"]
        # validate calls no metrics hook: a raising one is not even reached; an undecorated one is warned of
        assert err == ("" if name == "raising_metrics" else
                       f"aideals: warning: plugin {name}: aideals_register_metrics() is not decorated with "
                       "@aideals.hookimpl, so it is never called (skipped)\n")


@pytest.mark.parametrize("command", [["validate"], ["build", "--out", "{tmp}/dist"], ["plugins"], ["metrics"],
                                     ["metrics", "run", "circularity"]])
def test_a_name_in_aideals_plugins_that_is_not_found_stops_every_command_loading_plugins(capsys, monkeypatch, tmp_path,
                                                                                        command):
    """It was a warning: `validate` said valid without that plugin's checks, `build` wrote a release
    without its metrics, both with exit 0."""
    from cli_runner import run_cli

    monkeypatch.setenv("AIDEALS_PLUGINS", "circularty,circularity")
    code, out, err = run_cli([*(a.format(tmp=tmp_path) for a in command), "--package", str(ROOT)], capsys)
    assert (code, out, err) == (2, "", f"aideals: error: {UNKNOWN_PLUGIN}\n")
    assert list(tmp_path.iterdir()) == []


def test_an_error_a_plugin_raises_while_handling_an_interrupt_is_an_interrupt():
    from aideals.errors import interrupted

    try:
        try:
            raise RuntimeError("Query interrupted")
        except RuntimeError as exc:
            raise ValueError("plugin wrapped it") from exc
    except ValueError as wrapped:
        assert interrupted(wrapped)
    try:
        try:
            raise RuntimeError("Query interrupted")
        except RuntimeError:
            raise KeyError("raised while handling it")  # noqa: B904 (implicit __context__)
    except KeyError as chained:
        assert interrupted(chained)
    assert not interrupted(ValueError("plugin's own bug"))


def test_compute_names_each_metric_as_it_starts(metrics_package, tmp_path):
    """A build on a terminal shows which metric runs (a hung plugin can then be named)."""
    write_plugin(tmp_path / "x", "first", "first_metric")
    write_plugin(tmp_path / "x", "second", "second_metric")
    pkg = package.load(metrics_package)
    loaded = load(None, [tmp_path / "x"])
    steps: list[str] = []
    with metrics.readonly_database(pkg) as con:
        metrics.compute(con, loaded.metrics(), progress=steps.append)
    assert steps == ["computing metric first_metric (plugin first)", "computing metric second_metric (plugin second)"]


def test_a_module_of_a_plugins_dir_without_hooks_is_no_problem(tmp_path):
    """A helper module the other plugins import (no hook) is registered without a word: only an
    entry point with nothing to call is reported."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "shared_rates.py").write_text("RATE = 1.0\n", encoding="utf-8")
    loaded = load(None, [tmp_path / "x"])
    assert loaded.names() == ["shared_rates"] and loaded.problems == []


def test_signals_the_parent_ignores_stay_ignored():
    """A background job (`aideals build &` in a script) inherits SIGINT ignored: the command keeps it so."""
    import subprocess
    import sys

    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "sys.argv = ['aideals', '--version']\n"
        "from aideals.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "True False"  # SIGINT still ignored; SIGTERM now handled


def test_a_misspelt_hook_without_its_decorator_is_reported(tmp_path):
    """pluggy checks only decorated functions against the hook specs: an undecorated
    `aideals_register_metric` (no s) was ignored without a word."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "typo.py").write_text(
        "def aideals_register_metric():\n    return []\n\ndef aideals_register_chekcs():\n    return []\n",
        encoding="utf-8",
    )
    loaded = load(None, [tmp_path / "x"])
    assert [(p.line(), p.checks_missing) for p in loaded.problems] == [
        ("plugin typo: aideals_register_chekcs() is no aideals hook, so it is never called "
         "(did you mean aideals_register_checks?)", True),  # its checks did not run: validate fails
        ("plugin typo: aideals_register_metric() is no aideals hook, so it is never called "
         "(did you mean aideals_register_metrics?)", False),
    ]


def test_the_no_metrics_warning_suggests_plugins_dir_only_to_commands_that_take_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    start = ("no metric plugin found, so there are no metrics: the built-in ones are not part of the installed toolkit "
             "but modules of the aideals repository's plugins/ directory, and the package in pkg has no plugins/ (an "
             "unzipped release has none): run in a clone of the repository")
    assert plugins.no_metrics_warning(tmp_path / "pkg") == start + ", or give --plugins-dir with a clone's plugins/"
    assert plugins.no_metrics_warning(tmp_path / "pkg", plugins_dir_option=False) == start  # report, release
    assert plugins.no_metrics_warning(Path("/elsewhere/pkg"), plugins_dir_option=False) == start.replace(
        "in pkg", "in /elsewhere/pkg")
