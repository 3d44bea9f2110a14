"""`aideals plugins` and `aideals metrics` (list, run, explain), as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from aideals.cli import main
from conftest import FIXTURES, ROOT

BUILTINS = ["--plugins-dir", str(ROOT / "plugins")]


BUILTIN_NAMES = "circularity,commitments_vs_revenue,cost_per_gigawatt,vendor_financing_ratio"


def run_cli(capsys, monkeypatch, *args: str, plugins: str = BUILTIN_NAMES) -> tuple[int, str, str]:
    monkeypatch.setenv("AIDEALS_PLUGINS", plugins)
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_plugins_lists_each_plugin_with_origin_hooks_and_metrics(capsys, monkeypatch):
    rc, out, _ = run_cli(capsys, monkeypatch, "plugins", "--package", str(ROOT), "--json")
    assert rc == 0
    listed = json.loads(out)
    assert listed[0] == {
        "name": "circularity",
        "version": None,
        "origin": "repository",
        "location": str(ROOT / "plugins" / "circularity.py"),
        "hooks": ["aideals_register_metrics"],
        "metrics": ["circularity"],
    }
    assert [p["name"] for p in listed] == [
        "circularity",
        "commitments_vs_revenue",
        "cost_per_gigawatt",
        "vendor_financing_ratio",
    ]


def test_metrics_lists_the_metrics(capsys, monkeypatch):
    rc, out, _ = run_cli(capsys, monkeypatch, "metrics", "--package", str(ROOT))
    assert rc == 0
    assert out.splitlines()[2].split() == ["circularity", "circularity", "percent", "Circularity", "of", "money", "flows"]
    assert len(out.splitlines()) == 6


def test_metrics_run_prints_csv_of_the_metrics_named(capsys, monkeypatch, metrics_package):
    rc, out, err = run_cli(
        capsys, monkeypatch, "metrics", "run", "vendor_financing_ratio", "--package", str(metrics_package), *BUILTINS,
        "--format", "csv",
    )
    assert (rc, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["subject_id"], r["value"], r["value_high"], r["qualifier"], r["figure_ids"]) for r in rows] == [
        ("a/b", "3.5", "", "at_least", "ab-chips ab-invest-s1 ab-invest-s2"),
        ("c/b", "10.0", "15.0", "range", "bc-cloud bc-equity"),
    ]


def test_metrics_run_json_and_a_failing_metric_exits_1(capsys, monkeypatch, metrics_package, tmp_path):
    (tmp_path / "sloppy.py").write_text(
        "from aideals import hookimpl\nfrom aideals.metrics import Metric\n"
        "@hookimpl\ndef aideals_register_metrics():\n"
        "    return Metric('sloppy', 'T', 'D', 'u', 'F', sql='SELECT 1/0 AS value')\n",
        encoding="utf-8",
    )
    rc, out, err = run_cli(
        capsys, monkeypatch, "metrics", "run", "--package", str(metrics_package), *BUILTINS,
        "--plugins-dir", str(tmp_path), "--format", "json", plugins=BUILTIN_NAMES + ",sloppy",
    )
    assert rc == 1
    assert err.startswith("aideals: warning: plugin sloppy: metric sloppy: ")
    assert len(json.loads(out)) == 14


def test_debug_shows_the_traceback_of_a_metric_that_raises(capsys, monkeypatch, metrics_package, tmp_path):
    """A plugin author needs the file and line of the error: the one-line warning, then, with
    --debug (AIDEALS_DEBUG), the traceback."""
    (tmp_path / "raiser.py").write_text(
        "from aideals import hookimpl\nfrom aideals.metrics import Metric\n"
        "def boom(con):\n    raise RuntimeError('boom on purpose')\n"
        "@hookimpl\ndef aideals_register_metrics():\n"
        "    return Metric('raiser', 'T', 'D', 'u', 'F', function=boom)\n",
        encoding="utf-8",
    )
    args = ("metrics", "run", "raiser", "--package", str(metrics_package), "--plugins-dir", str(tmp_path))
    rc, _, err = run_cli(capsys, monkeypatch, *args, plugins="raiser")
    assert (rc, err) == (1, "aideals: warning: plugin raiser: metric raiser: RuntimeError: boom on purpose (skipped)\n")
    monkeypatch.setenv("AIDEALS_DEBUG", "1")
    rc, _, err = run_cli(capsys, monkeypatch, *args, plugins="raiser")
    lines = err.splitlines()
    assert (rc, lines[0], lines[1]) == (
        1, "aideals: warning: plugin raiser: metric raiser: RuntimeError: boom on purpose (skipped)",
        "Traceback (most recent call last):",
    )
    assert f'File "{tmp_path / "raiser.py"}", line 4, in boom' in err
    assert lines[-1] == "RuntimeError: boom on purpose"


def test_unknown_metric_is_a_one_line_error(capsys, monkeypatch, metrics_package):
    rc, _, err = run_cli(capsys, monkeypatch, "metrics", "run", "nope", "--package", str(metrics_package), *BUILTINS)
    assert rc == 2
    assert err == (
        "aideals: error: no metric named 'nope' (known: circularity, commitments_vs_revenue, "
        "cost_per_gigawatt, vendor_financing_ratio)\n"
    )


def test_explain_shows_value_formula_and_every_input_with_source_url_and_quote(capsys, monkeypatch, metrics_package):
    rc, out, _ = run_cli(
        capsys, monkeypatch, "metrics", "explain", "cost_per_gigawatt", "d-bc", "--package", str(metrics_package), *BUILTINS
    )
    assert rc == 0
    assert out.splitlines() == [
        "cost_per_gigawatt (Cost per gigawatt) for d-bc, from plugin cost_per_gigawatt",
        "  value:   40,000,000,000 to 60,000,000,000 USD_per_GW (range)",
        "  note:    $20B to $30B of capacity purchases for 0.5 GW: $40B to $60B per GW; "
        "0.67x to 1.2x the $50B to $60B per GW stated in a-unit-cost",
        "  formula: sum of the deal's capacity amounts (USD: chips, compute, cloud_services; else flow none) "
        "/ sum of its power figures (GW)",
        "  inputs (2 figures):",
        "  - bc-cloud: amount b -> c (cloud_services) = 20,000,000,000 to 30,000,000,000 USD [range]",
        "    deal:   d-bc (signed)",
        "    source: Second fixture source (Other Press, 2025-11-01)",
        "    url:    (none recorded)",
        "    quote:  \u201c$20B to $30B of cloud services\u201d",
        "  - bc-power: power c -> b (cloud_services) = 0.5 GW [exact]",
        "    deal:   d-bc (signed)",
        "    source: Second fixture source (Other Press, 2025-11-01)",
        "    url:    (none recorded)",
        "    quote:  \u201chalf a gigawatt\u201d",
    ]


def test_explain_json_on_the_real_data_traces_nvidia_ratio_to_its_quotes(capsys, monkeypatch):
    rc, out, _ = run_cli(
        capsys, monkeypatch, "metrics", "explain", "vendor_financing_ratio", "nvidia/openai", "--package", str(ROOT), "--json"
    )
    assert rc == 0
    ex = json.loads(out)
    assert [r["subject_id"] for r in ex["results"]] == ["nvidia/openai"]
    quotes = {f["figure_id"]: f["quote"] for f in ex["figures"]}
    assert quotes["nvidia-openai-2025-gpu-purchases-cafetech"] == "la start-up devra acheter pour environ 350 milliards de GPU"
    assert quotes["nvidia-openai-2025-amount-openai-pr"] == (
        "NVIDIA intends to invest up to $100 billion in OpenAI as the new NVIDIA systems are deployed"
    )
    assert all(f["source_title"] and f["quote"] for f in ex["figures"])
    # each input names its deal's status, so a figure of a rumoured deal can be told apart
    deals = {r["deal_id"]: r["status"] for r in csv.DictReader(open(ROOT / "data" / "deals.csv", encoding="utf-8"))}
    assert {f["figure_id"]: f["deal_status"] for f in ex["figures"] if f["deal_id"]} == {
        f["figure_id"]: deals[f["deal_id"]] for f in ex["figures"] if f["deal_id"]
    }
    assert any(f["deal_id"] for f in ex["figures"])


def test_explain_of_an_unknown_subject_lists_the_known_ones(capsys, monkeypatch, metrics_package):
    rc, _, err = run_cli(
        capsys, monkeypatch, "metrics", "explain", "vendor_financing_ratio", "x/y", "--package", str(metrics_package), *BUILTINS
    )
    assert rc == 2
    assert err == "aideals: error: metric vendor_financing_ratio: no result for subject 'x/y' (subjects: a/b, c/b)\n"


def test_help_stays_free_of_heavy_imports():
    import subprocess
    import sys

    code = "import sys; from aideals.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n" \
        "print(sorted(m for m in ('pluggy', 'duckdb', 'jsonschema', 'frictionless') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_confirmed_only_leaves_out_the_figures_of_rumoured_deals(capsys, monkeypatch, metrics_package):
    """With d-ca rumoured, the cycle a -> b -> c -> a it closes and c's purchase commitments are
    counted by default (as the release's `metrics` table counts them) and not with --confirmed-only
    (c has a revenue figure but no commitments left); the rows that do not read d-ca are unchanged,
    and a run after it counts d-ca again."""
    deals = metrics_package / "data" / "deals.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(",signed,c,a,", ",rumoured,c,a,"), encoding="utf-8")

    def run(*extra: str) -> list[tuple[str, str, str]]:
        rc, out, err = run_cli(
            capsys, monkeypatch, "metrics", "run", "--package", str(metrics_package), *BUILTINS, "--format", "csv", *extra
        )
        assert (rc, err) == (0, "")
        return [(r["metric"], r["subject_id"], r["figure_ids"]) for r in csv.DictReader(io.StringIO(out))]

    everything, confirmed = run(), run("--confirmed-only")
    assert [r for r in everything if r not in confirmed] == [
        r for r in everything if "ca-chips" in r[2].split()
    ]
    assert [r[:2] for r in everything if "ca-chips" in r[2].split()] == [
        ("circularity", "a/b/c"), ("circularity", "b/c/a"), ("circularity", "c/a/b"), ("commitments_vs_revenue", "c"),
    ]
    assert [r for r in confirmed if r not in everything] == []
    assert run() == everything


def test_explain_confirmed_only_has_no_row_resting_on_a_rumoured_deal(capsys, monkeypatch, metrics_package):
    deals = metrics_package / "data" / "deals.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(",signed,c,a,", ",rumoured,c,a,"), encoding="utf-8")
    args = ("metrics", "explain", "circularity", "a/b/c", "--package", str(metrics_package), *BUILTINS)
    rc, out, _ = run_cli(capsys, monkeypatch, *args)
    assert rc == 0 and "    deal:   d-ca (rumoured)" in out.splitlines()
    rc, _, err = run_cli(capsys, monkeypatch, *args, "--confirmed-only")
    assert (rc, err) == (2, "aideals: error: metric circularity: no result for subject 'a/b/c' (subjects: a/b, b/a, b/c, c/b)\n")


def test_options_given_before_run_or_explain_apply_to_it(capsys, monkeypatch, metrics_package, tmp_path):
    """`aideals metrics --package P --plugins-dir D --json run ...` is `aideals metrics run
    --package P --plugins-dir D --format json ...`: the group's options are not dropped."""
    monkeypatch.chdir(tmp_path)  # no package here: --package must reach the sub-command
    after = run_cli(capsys, monkeypatch, "metrics", "run", "vendor_financing_ratio", "--package", str(metrics_package),
                    *BUILTINS, "--format", "json")
    before = run_cli(capsys, monkeypatch, "metrics", "--package", str(metrics_package), *BUILTINS, "--json", "run",
                     "vendor_financing_ratio")
    assert before == after and after[0] == 0
    assert [r["subject_id"] for r in json.loads(after[1])] == ["a/b", "c/b"]
    csv_out = run_cli(capsys, monkeypatch, "metrics", "--package", str(metrics_package), *BUILTINS, "--json", "run",
                      "vendor_financing_ratio", "--format", "csv")
    assert csv_out[1].splitlines()[0].startswith("metric,subject_type,subject_id,")
    explained = run_cli(capsys, monkeypatch, "metrics", "--package", str(metrics_package), "--json", "explain",
                        "cost_per_gigawatt", "d-bc", *BUILTINS)
    assert explained[0] == 0 and json.loads(explained[1])["subject_id"] == "d-bc"


def test_confirmed_only_refuses_a_release_database_without_deals_counted(capsys, monkeypatch, metrics_package, tmp_path):
    """Releases before 0.34.0 have no view deals_counted: --confirmed-only would change nothing
    there, so it is refused in one line rather than ignored."""
    import duckdb

    from aideals import db, package

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    db.load(con, package.load(metrics_package))
    con.execute("DROP VIEW figures_counted; DROP VIEW flows; DROP VIEW deals_counted")
    con.execute("CREATE VIEW figures_counted AS SELECT * FROM figures WHERE component IS NULL")
    con.close()
    args = ("metrics", "run", "--package", str(metrics_package), *BUILTINS, "--database", str(old))
    assert run_cli(capsys, monkeypatch, *args)[0] == 0
    rc, out, err = run_cli(capsys, monkeypatch, *args, "--confirmed-only")
    assert (rc, out) == (2, "")
    assert err == (
        "aideals: error: --confirmed-only: this release database has no view deals_counted (releases before "
        "0.34.0 lack it); rebuild it with this toolkit (`aideals build`) or run without --confirmed-only\n"
    )


@pytest.mark.parametrize("name", ["notes.txt", "data/figures.csv"])
def test_a_database_option_that_is_not_a_duckdb_file_is_a_one_line_error(capsys, monkeypatch, metrics_package, name):
    """A CSV given as the database made DuckDB say "Cannot launch in-memory database in read-only mode!"."""
    not_db = metrics_package / name
    if name == "notes.txt":
        not_db.write_text("not a database\n", encoding="utf-8")
    rc, out, err = run_cli(capsys, monkeypatch, "metrics", "run", "--package", str(metrics_package), *BUILTINS,
                           "--database", str(not_db))
    assert (rc, out, err) == (2, "", f"aideals: error: {not_db}: not a DuckDB database "
                                     "(a release's aideals.duckdb, as `aideals build` writes, is one)\n")


@pytest.mark.parametrize("command", ["run", "explain"])
def test_a_database_that_is_not_a_release_is_refused_in_one_line(capsys, monkeypatch, metrics_package, tmp_path, command):
    """A DuckDB file without the package's tables (another project's database) gave one warning of a
    missing relation per metric and exit 1 (explain: a "CatalogException" as the error): it is
    refused in one line before any metric runs, exit 2, as `report --db` refuses it."""
    import duckdb

    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE parties (party_id VARCHAR); CREATE TABLE sources (source_id VARCHAR)")
    extra = ["cost_per_gigawatt", "d-bc", *BUILTINS] if command == "explain" else list(BUILTINS)
    rc, out, err = run_cli(capsys, monkeypatch, "metrics", command, "--package", str(metrics_package), *extra,
                           "--database", str(other))
    assert (rc, out, err) == (2, "", f"aideals: error: {other}: not an aideals release: it has no table or view "
                                     "named deals; no metric was computed\n")


def test_explain_of_an_unknown_subject_names_at_most_twenty_known_ones(capsys, monkeypatch, tmp_path):
    """A metric of 156 subjects printed all of them in its one-line error; it names the first 20."""
    from fixture_packages import make_package

    root = make_package(tmp_path / "pkg", FIXTURES / "seed")
    plugin = tmp_path / "x" / "pairs.py"
    plugin.parent.mkdir()
    plugin.write_text(
        "from aideals import hookimpl\nfrom aideals.metrics import Metric\n\n@hookimpl\n"
        "def aideals_register_metrics():\n    return [Metric(name='every_pair', title='T', description='D', "
        "unit='ratio', formula='F', sql=\"SELECT 'pair' AS subject_type, a.party_id || '/' || b.party_id AS subject_id, "
        "1.0 AS value, 'ratio' AS unit, [(SELECT min(figure_id) FROM figures)] AS figure_ids "
        "FROM parties a, parties b WHERE a.party_id <> b.party_id\")]\n",
        encoding="utf-8",
    )
    rc, _, err = run_cli(capsys, monkeypatch, "metrics", "explain", "every_pair", "x/y", "--package", str(root),
                         "--plugins-dir", str(tmp_path / "x"), plugins="pairs")
    parties = sorted(line.split(",")[0] for line in (root / "data" / "parties.csv").read_text(encoding="utf-8").splitlines()[1:])
    pairs = sorted(f"{a}/{b}" for a in parties for b in parties if a != b)
    assert len(pairs) == 156
    assert (rc, err) == (2, f"aideals: error: metric every_pair: no result for subject 'x/y' (subjects: "
                            f"{', '.join(pairs[:20])}, and 136 more: aideals metrics run every_pair)\n")


def test_explain_warns_of_another_plugins_problem(capsys, monkeypatch, metrics_package, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "broken.py").write_text("raise ImportError('no such thing')\n", encoding="utf-8")
    rc, out, err = run_cli(capsys, monkeypatch, "metrics", "explain", "circularity", "a/b", "--package",
                           str(metrics_package), "--plugins-dir", str(tmp_path / "x"), *BUILTINS,
                           plugins=BUILTIN_NAMES + ",broken")
    assert rc == 0 and out.startswith("circularity")
    assert err.splitlines()[0].startswith("aideals: warning: plugin broken: cannot import ")
    assert err.splitlines()[0].endswith("broken.py: ImportError: no such thing (skipped)")


@pytest.mark.parametrize("command", [("run", "my_metric"), ("explain", "my_metric", "a/b")])
def test_a_metric_missing_because_its_plugin_failed_is_warned_of_first(capsys, monkeypatch, metrics_package, tmp_path, command):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "mymetric.py").write_text("raise ImportError('no such thing')\n", encoding="utf-8")
    rc, _, err = run_cli(capsys, monkeypatch, "metrics", *command, "--package", str(metrics_package),
                         "--plugins-dir", str(tmp_path / "x"), *BUILTINS, plugins=BUILTIN_NAMES + ",mymetric")
    lines = err.splitlines()
    assert rc == 2
    assert lines[0].startswith("aideals: warning: plugin mymetric: cannot import ")
    assert lines[-1].startswith("aideals: error: no metric named 'my_metric'")


REFUSED_METRICS = (
    "aideals: error: the package is invalid (1 finding), no metric was computed; "
    "run `aideals validate` for the full report:\n"
    '  data/figures.csv:2: flow: "csh" is not one of: cash, equity, compute, cloud_services, chips, none\n'
)


@pytest.mark.parametrize(
    "args",
    [["metrics", "run", "vendor_financing_ratio"], ["metrics", "explain", "vendor_financing_ratio", "a/b"]],
    ids=["run", "explain"],
)
def test_metrics_run_and_explain_refuse_invalid_data_with_exit_1(capsys, monkeypatch, metrics_package, args):
    """Read from the CSVs (no release database), invalid data is refused as `query`, `report` and
    `coverage` refuse it: exit 1, its first findings, nothing on stdout (README and --help say so)."""
    figures = metrics_package / "data" / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    figures.write_text(text.replace("ab-invest-s1,d-ab,,a,b,cash,", "ab-invest-s1,d-ab,,a,b,csh,", 1), encoding="utf-8")
    rc, out, err = run_cli(capsys, monkeypatch, *args, "--package", str(metrics_package), *BUILTINS)
    assert (rc, out, err) == (1, "", REFUSED_METRICS)


@pytest.mark.parametrize(
    "path",
    [["metrics", "run"], ["metrics", "explain"], ["query"], ["report"], ["coverage"]],
    ids=" ".join,
)
def test_help_of_the_commands_that_validate_the_csvs_gives_exit_1(capsys, monkeypatch, path):
    rc, out, _ = run_cli(capsys, monkeypatch, *path, "--help")
    assert rc == 0
    assert "invalid data is refused with exit 1 and its first findings" in " ".join(out.split())


def test_readme_exit_codes_name_every_command_that_refuses_invalid_data_with_exit_1():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split("## The resources")[0].split())
    assert ("`build` and `release` refuse invalid data with exit 1 and its first findings, one per line, as do "
            "`query`, `report`, `coverage`, `metrics run` and `metrics explain` when they read the CSVs themselves") in text


NO_METRIC_PLUGIN = ("aideals: warning: no metric plugin found, so there are no metrics: the built-in ones are not part "
                    "of the installed toolkit but modules of the aideals repository's plugins/ directory, and {where}: "
                    "run in a clone of the repository, or give --plugins-dir with a clone's plugins/\n")


def test_without_the_repositorys_plugins_every_metrics_command_says_where_the_built_ins_are(capsys, monkeypatch, tmp_path):
    """An unzipped release holds the package but not plugins/: the built-in metrics are not found,
    and `metrics`, `metrics run`, `metrics explain` and `plugins` say why instead of listing nothing."""
    from cli_runner import run_cli as run
    from fixture_packages import make_package

    make_package(tmp_path / "release")  # datapackage.json, data/ and schemas/, as in a release's zip
    monkeypatch.chdir(tmp_path)
    warning = NO_METRIC_PLUGIN.format(where="the package in release has no plugins/ (an unzipped release has none)")
    rc, out, err = run(["metrics", "--package", "release"], capsys)
    assert (rc, out, err) == (0, "metric  plugin  unit  title\n------  ------  ----  -----\n", warning)
    rc, out, err = run(["metrics", "run", "circularity", "--package", "release"], capsys)
    assert (rc, out, err) == (2, "", warning + "aideals: error: no metric named 'circularity' (known: none)\n")
    rc, out, err = run(["metrics", "explain", "circularity", "a/b", "--package", "release"], capsys)
    assert (rc, out, err) == (2, "", warning + "aideals: error: no metric named 'circularity' (known: none)\n")
    rc, out, err = run(["plugins", "--package", "release"], capsys)
    assert (rc, err) == (0, warning)
    # given the repository's plugins/, they are there
    rc, out, err = run(["metrics", "--package", "release", "--plugins-dir", str(ROOT / "plugins")], capsys)
    assert (rc, err, len(out.splitlines())) == (0, "", 6)

    (tmp_path / "release" / "plugins").mkdir()
    rc, _, err = run(["metrics", "--package", "release"], capsys)
    assert (rc, err) == (0, NO_METRIC_PLUGIN.format(where="release/plugins/ defines none"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    rc, _, err = run(["metrics"], capsys)
    assert (rc, err) == (0, NO_METRIC_PLUGIN.format(where="no package was found here"))


def test_aideals_plugins_naming_no_metric_plugin_is_said_so(capsys, monkeypatch):
    rc, out, err = run_cli(capsys, monkeypatch, "metrics", "--package", str(ROOT), plugins="")
    assert (rc, err) == (0, "aideals: warning: no metric plugin is loaded, so there are no metrics: AIDEALS_PLUGINS "
                            "names none that defines a metric (the built-in ones are the modules of the repository's "
                            "plugins/ directory)\n")


def test_metrics_read_a_database_within_the_memory_limit_spilling_outside_it(tmp_path, monkeypatch):
    """`aideals metrics` opened the database with DuckDB's defaults: 80% of the memory, and a
    spill directory beside the database (inside a release: dist/aideals.duckdb.tmp/)."""
    import os
    import tempfile

    import duckdb

    from aideals import db, metrics, package

    dist = tmp_path / "dist"
    dist.mkdir()
    pkg = package.load(ROOT)
    with duckdb.connect(str(dist / "aideals.duckdb")) as release:
        db.load(release, pkg)
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "300MB")
    with metrics.readonly_database(pkg, dist / "aideals.duckdb") as con:
        spill, memory = con.execute("SELECT current_setting('temp_directory'), current_setting('memory_limit')").fetchone()
    assert memory == "286.1 MiB"
    assert os.path.dirname(os.path.dirname(spill)) == os.path.realpath(tempfile.gettempdir())
    assert os.path.basename(os.path.dirname(spill)).startswith("aideals-metrics-") and not os.path.exists(spill)
    assert sorted(p.name for p in dist.iterdir()) == ["aideals.duckdb"]
