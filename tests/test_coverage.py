"""The README's coverage tables are generated from the data, and sources are well described."""

from __future__ import annotations

import functools
import os
import signal
import subprocess

from aideals import coverage, package
from conftest import AIDEALS_WITHOUT_INSTALLED_PLUGINS, ROOT, read_csv
from fixture_packages import make_package


@functools.cache
def _coverage(min_deals: int = 0) -> str:
    """The coverage text of the repository's package (validating and loading it takes a second,
    so the tests that only read the text share one computation per `min_deals`)."""
    return coverage.markdown(package.load(ROOT), min_deals)


def _rows(text: str, start: str, end: str) -> list[list[str]]:
    """The body rows of the Markdown table between two headings of the coverage text."""
    block = text[text.index(start):text.index(end)]
    lines = [line for line in block.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:]]


def test_readme_coverage_block_is_up_to_date():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert coverage.replace_block(readme, _coverage(coverage.README_MIN_DEALS)) == readme, (
        "run `aideals coverage --write`")


def test_coverage_counts_every_deal_and_figure(tables):
    text = _coverage()
    first_line = text.splitlines()[0]
    assert first_line.startswith(f"{len(tables['deals'])} deals, {len(tables['figures'])} figures from {len(tables['sources'])} sources")


def test_dates_are_shown_no_more_precisely_than_known():
    assert coverage.show_date("2019-01-01", "year") == "2019"
    assert coverage.show_date("2025-09-01", "month") == "2025-09"
    assert coverage.show_date("2025-09-23", "approximate") == "about 2025-09-23"
    assert coverage.show_date("2025-10-06", "day") == "2025-10-06"


def test_every_source_with_a_url_has_a_publisher_and_a_date_or_a_note(tables):
    bad = [
        s["source_id"]
        for s in tables["sources"]
        if s["url"] and not (s["publisher"].strip() and (s["published"] or s["note"].strip()))
    ]
    assert bad == []


def test_every_quote_is_non_empty_and_at_most_300_characters(tables):
    bad = [f["figure_id"] for f in tables["figures"] if not f["quote"].strip() or len(f["quote"]) > 300]
    assert bad == []


def test_coverage_counts_deals_by_the_sources_their_figures_cite(tables):
    """The table of deals by number of sources agrees with a count made here from the CSVs."""
    from collections import Counter

    sources: dict[str, set[str]] = {d["deal_id"]: set() for d in tables["deals"]}
    for f in tables["figures"]:
        if f["deal_id"]:
            sources[f["deal_id"]].add(f["source_id"])
    label = {0: "none (no figure)", 1: "one", 2: "two"}
    expected = Counter(label.get(len(s), "three or more") for s in sources.values())
    rows = {r[0]: int(r[1]) for r in _rows(_coverage(), "Deals by the number of sources", "Sources per kind")}
    assert rows == dict(expected)
    assert sum(rows.values()) == len(tables["deals"])


def test_coverage_counts_deals_per_year(tables):
    """The table of deals per year agrees with a count made here from the CSVs: a deal counts in
    the year of its date (whatever its precision), undated deals last, and the rows add up."""
    from collections import Counter

    year = {d["deal_id"]: d["announced"][:4] or "not dated" for d in tables["deals"]}
    deals = Counter(year.values())
    figures = Counter(year[f["deal_id"]] for f in tables["figures"] if f["deal_id"])
    rows = _rows(_coverage(), "Deals per year announced", "Deals per country")
    assert [r[0] for r in rows] == sorted(y for y in deals if y != "not dated") + ["not dated"]
    assert {r[0]: (int(r[1]), int(r[2])) for r in rows} == {y: (n, figures[y]) for y, n in deals.items()}
    assert sum(int(r[1]) for r in rows) == len(tables["deals"])


def test_coverage_counts_deals_per_country_of_their_parties(tables):
    """The table of deals per country agrees with a count made here from the CSVs: a deal counts
    once for each country its parties have; the deals of no known country are counted apart; the
    README's table stops at 5 deals and counts the other countries."""
    from collections import Counter

    country = {p["party_id"]: p["country"] for p in tables["parties"]}
    per_deal = {d["deal_id"]: {country[d["party_a"]], country[d["party_b"]]} - {""} for d in tables["deals"]}
    expected = Counter(c for cs in per_deal.values() for c in cs)
    countryless = sum(not cs for cs in per_deal.values())
    assert countryless > 0 and len(expected) > 20
    full = _coverage()
    rows = _rows(full, "Deals per country of their parties", "Figures per measure")
    assert {r[0]: int(r[1]) for r in rows} == dict(expected)
    assert [int(r[1]) for r in rows] == sorted((int(r[1]) for r in rows), reverse=True)
    assert f"\n{countryless} deals have no party whose country is known.\n" in full
    short = _coverage(coverage.README_MIN_DEALS)
    rows = _rows(short, "Deals per country of their parties", "Figures per measure")
    assert {r[0]: int(r[1]) for r in rows} == {c: n for c, n in expected.items() if n >= 5}
    others = sum(n < 5 for n in expected.values())
    assert f"\nand {others} other countries, each with fewer than 5 deals (`aideals coverage` prints every country).\n" in short


def test_readme_lists_the_parties_of_five_deals_or_more_and_counts_the_others(tables):
    """The README's table of parties stops at 5 deals and says how many parties it leaves out;
    the printed tables list every party of a deal, each once, with its number of deals."""
    from collections import Counter

    name = {p["party_id"]: p["name"] for p in tables["parties"]}
    per_party = Counter(p for d in tables["deals"] for p in {d["party_a"], d["party_b"]})
    assert coverage.README_MIN_DEALS == 5
    short = _coverage(coverage.README_MIN_DEALS)
    rows = _rows(short, "Deals and figures per party", "Deals per year announced")
    many = sorted((n, name[p]) for p, n in per_party.items() if n >= 5)
    assert sorted((int(r[1]), r[0]) for r in rows) == many
    assert f"\nand {len(per_party) - len(many)} other parties, each in fewer than 5 deals " in short
    assert "the parties of 5 deals or more):" in short
    full = _coverage()
    rows = _rows(full, "Deals and figures per party", "Deals per year announced")
    assert sorted((int(r[1]), r[0]) for r in rows) == sorted((n, name[p]) for p, n in per_party.items())
    assert "other parties" not in full and "deals or more" not in full


def test_coverage_counts_money_figures_per_currency(tables):
    """The table of money figures per currency agrees with a count made here from the CSVs."""
    from collections import Counter

    from aideals.rules import money_measures

    money = set(money_measures(package.load(ROOT)))
    assert money == {"amount", "revenue", "net_loss", "valuation", "commitments_total", "backlog"}
    expected = Counter(f["unit"] for f in tables["figures"] if f["measure"] in money)
    rows = _rows(_coverage(), "Money figures per currency", "Deals per kind and status")
    assert {cells[0]: int(cells[1]) for cells in rows} == dict(expected)
    assert rows[0][0] == "USD" and len(rows) > 1, "dollars first, then the other currencies"


def test_coverage_counts_deals_per_kind_and_status(tables):
    """The table of deals per kind and status agrees with a count made here from the CSVs, its
    columns are the schema's statuses, and its rows add up to every deal."""
    import json
    from collections import Counter

    schema = json.loads((ROOT / "schemas" / "deals.schema.json").read_text(encoding="utf-8"))
    (status_field,) = [f for f in schema["fields"] if f["name"] == "status"]
    assert sorted(coverage.STATUSES) == sorted(status_field["constraints"]["enum"])
    expected = Counter((d["kind"], d["status"]) for d in tables["deals"])
    text = _coverage()
    block = text[text.index("Deals per kind and status"):text.index("Deals by the number of sources")]
    lines = [line for line in block.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["kind", *coverage.STATUSES, "deals"]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:]]
    got = Counter({(r[0], s): int(n) for r in rows for s, n in zip(coverage.STATUSES, r[1:-1]) if int(n)})
    assert got == expected
    assert [int(r[-1]) for r in rows] == [sum(int(n) for n in r[1:-1]) for r in rows]
    assert sum(int(r[-1]) for r in rows) == len(tables["deals"])


def test_a_readme_without_the_markers_is_a_one_line_error():
    import pytest

    from aideals.errors import AidealsError

    with pytest.raises(AidealsError) as exc:
        coverage.replace_block("# A README\n", "tables")
    assert str(exc.value) == (
        f"README.md has no coverage markers ({coverage.BEGIN} ... {coverage.END}) to write the tables between"
    )


def test_coverage_of_a_package_with_no_dated_deal_and_two_parties_of_one_name(tmp_path):
    """No deal dated: said so, not a crash; two parties sharing a name are two rows."""
    import shutil


    root = tmp_path / "pkg"
    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", root)
    deals = root / "data" / "deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    i, j = header.index("announced"), header.index("date_precision")
    rows = [line.split(",") for line in lines[1:]]
    for r in rows:
        r[i] = r[j] = ""
    deals.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    parties = root / "data" / "parties.csv"
    text = parties.read_text(encoding="utf-8")
    assert "acme-cloud,Acme Cloud," in text
    parties.write_text(text.replace("acme-cloud,Acme Cloud,", "acme-cloud,Acme Corp,"), encoding="utf-8")
    body = coverage.markdown(package.load(root))
    assert "No deal is dated." in body
    table = [line for line in body.splitlines() if line.startswith("| Acme Corp |")]
    assert len(table) == 2


def test_coverage_write_that_fails_half_way_leaves_the_readme_whole(tmp_path):
    """Finding: on a full disk `coverage --write` truncated README.md (it was rewritten in place).
    A write that fails half-way (here: the file size limit, as a full disk would) leaves the README
    byte for byte as it was, and no temporary file beside it; the error is one line naming it."""
    import resource

    root = make_package(tmp_path / "pkg")
    readme = root / "README.md"
    text = f"# A package\n\n{coverage.BEGIN}\nold tables\n{coverage.END}\n\n" + "Text after the tables.\n" * 5000
    readme.write_text(text, encoding="utf-8")
    readme.chmod(0o640)

    def small_files():  # in the child: files stop growing past 50 kB, with EFBIG rather than a signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    proc = subprocess.run([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "coverage", "--write"], cwd=root, capture_output=True,
                          text=True, preexec_fn=small_files)
    assert readme.read_text(encoding="utf-8") == text
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"aideals: error: {readme}: File too large\n")
    assert sorted(os.listdir(root)) == ["README.md", "data", "datapackage.json", "schemas"]
    proc = subprocess.run([*AIDEALS_WITHOUT_INSTALLED_PLUGINS, "coverage", "--write"], cwd=root, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "README.md updated\n", "")
    assert readme.read_text(encoding="utf-8") == coverage.replace_block(text, coverage.markdown(package.load(root), coverage.README_MIN_DEALS))
    assert oct(readme.stat().st_mode & 0o777) == oct(0o640)  # its permissions kept
    assert sorted(os.listdir(root)) == ["README.md", "data", "datapackage.json", "schemas"]


def test_coverage_write_through_a_symbolic_link_replaces_its_target(tmp_path):
    root = make_package(tmp_path / "pkg")
    real = tmp_path / "docs" / "README.md"
    real.parent.mkdir()
    empty = f"{coverage.BEGIN}\n{coverage.END}\n"
    real.write_text(empty, encoding="utf-8")
    (root / "README.md").symlink_to(real)
    pkg = package.load(root)
    assert coverage.write_readme(pkg, root / "README.md") is True
    assert (root / "README.md").is_symlink() and os.readlink(root / "README.md") == str(real)
    assert real.read_text(encoding="utf-8") == coverage.replace_block(empty, coverage.markdown(pkg, coverage.README_MIN_DEALS))
    assert sorted(os.listdir(real.parent)) == ["README.md"]


def test_coverage_write_of_a_readme_that_is_not_utf8_is_one_line(tmp_path, monkeypatch, capsys):
    """Bytes that are not UTF-8 in README.md made `coverage --write` an internal error
    (UnicodeDecodeError, exit 3): one line naming the file, its line and the byte, exit 2, and the
    README left as it was."""
    import pytest

    from aideals.cli import main

    root = make_package(tmp_path / "pkg")
    readme = root / "README.md"
    data = f"# A package\n\n{coverage.BEGIN}\n{coverage.END}\nAfter \xe9\n".encode("utf-8") + b"caf\xe9\xff\n"
    readme.write_bytes(data)
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as exc:
        main(["coverage", "--write"])
    offset = data.index(b"\xe9\xff")
    assert (exc.value.code, capsys.readouterr().err) == (
        2, f"aideals: error: {readme}:6: not UTF-8 (byte 0xe9 at offset {offset})\n")
    assert readme.read_bytes() == data


def test_coverage_runs_within_the_memory_limit_spilling_to_a_directory_of_its_own(monkeypatch, tmp_path):
    """coverage loaded the package with DuckDB's defaults: 80% of the memory, spilling to `.tmp`
    in the current directory."""
    import tempfile

    from aideals import db

    seen = []
    original = db.connect

    def spy(database=":memory:", **kwargs):
        con = original(database, **kwargs)
        seen.append(con.execute("SELECT current_setting('temp_directory'), current_setting('memory_limit')").fetchone())
        return con

    monkeypatch.setattr(coverage, "db_connect", spy)
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "300MB")
    monkeypatch.chdir(tmp_path)
    assert coverage.markdown(package.load(ROOT)).startswith(f"{len(read_csv(ROOT / 'data' / 'deals.csv'))} deals, ")
    [(spill, memory)] = seen
    assert memory == "286.1 MiB"
    assert os.path.dirname(spill) == os.path.realpath(tempfile.gettempdir())
    assert os.path.basename(spill).startswith("aideals-coverage-") and not os.path.exists(spill)
    assert list(tmp_path.iterdir()) == []
