"""The data package: it validates, its rows pass the row rules, its ids hold together."""

from __future__ import annotations

import json
import re

import pytest

from aideals import package, rules
from aideals.errors import PackageError
from conftest import FIXTURES, ROOT

ID_COLUMNS = {"parties": "party_id", "sources": "source_id", "deals": "deal_id", "figures": "figure_id"}


def test_frictionless_finds_the_package_valid():
    from frictionless import Package

    report = Package(str(ROOT / "datapackage.json")).validate()
    assert report.flatten(["rowNumber", "fieldName", "type", "note"]) == []
    assert report.valid is True
    assert [t.name for t in report.tasks] == ["parties", "sources", "deals", "figures"]


def test_metadata_carries_the_last_dated_changelog_release():
    """datapackage.json, CITATION.cff and .zenodo.json hold the version and date of the newest dated
    CHANGELOG section, exactly as `aideals release` writes them (no file would change)."""
    import re

    from aideals import metadata
    from aideals.versioning import changelog_release_date

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    dated = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, flags=re.MULTILINE)
    assert dated, "CHANGELOG.md has no dated release section"
    version = dated[0]
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["version"] == version
    day = changelog_release_date(text, version)
    assert [u.relpath for u in metadata.release_updates(ROOT, version, day) if u.changed] == []


def test_citation_files_hold_the_descriptors_metadata():
    """CITATION.cff and .zenodo.json say what datapackage.json says: title, description, licence,
    keywords (README: "holds the same metadata")."""
    import yaml

    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert cff["title"] == zenodo["title"] == desc["title"]
    assert cff["keywords"] == zenodo["keywords"] == desc["keywords"]
    assert cff["license"] == desc["licenses"][0]["name"] and zenodo["license"] == desc["licenses"][0]["name"].lower()
    assert " ".join(cff["abstract"].split()) == zenodo["description"]


def test_descriptor_declares_the_required_metadata():
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert desc["name"] == "aideals"
    assert [lic["name"] for lic in desc["licenses"]] == ["CC-BY-4.0"]
    assert [r["name"] for r in desc["resources"]] == ["parties", "sources", "deals", "figures"]
    for res in desc["resources"]:
        schema = json.loads((ROOT / res["schema"]).read_text(encoding="utf-8"))
        assert schema["missingValues"] == [""], res["name"]
        assert all(f.get("description") for f in schema["fields"]), res["name"]
    figures_schema = json.loads((ROOT / "schemas/figures.schema.json").read_text(encoding="utf-8"))
    assert {fk["reference"]["resource"] for fk in figures_schema["foreignKeys"]} == {"deals", "parties", "sources"}
    parties_schema = json.loads((ROOT / "schemas/parties.schema.json").read_text(encoding="utf-8"))
    assert parties_schema["foreignKeys"] == [
        {"fields": ["parent_id"], "reference": {"resource": "parties", "fields": ["party_id"]}}
    ]


def test_every_row_passes_the_row_rules():
    pkg = package.load(ROOT)
    assert rules.check_package(pkg) == []


def test_rule_documents_are_valid_draft_2020_12():
    from jsonschema import Draft202012Validator

    for name in ID_COLUMNS:
        doc = json.loads((ROOT / "schemas" / f"{name}.rules.json").read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(doc)
        assert all(r.get("title") and r.get("x-field") and r.get("x-message") for r in doc["allOf"]), name


# (resource, row number, rule, field, message) for each deliberately broken row of tests/fixtures/rules/.
UNITS_HINT = (" (money is a currency code, power MW or GW, a duration years, a stake percent, shares shares, a chip count chips, a unit cost USD_per_GW)")
BROKEN_ROWS = [
    ("figures", 3, "range_has_high_value", "value_high", "qualifier=range needs a value_high"),
    ("figures", 4, "high_value_only_for_ranges", "value_high", "value_high 20 is given but qualifier is not range"),
    ("figures", 5, "range_high_not_below_low", "value_high", "12 is below value 20 (qualifier=range)"),
    ("figures", 6, "percent_at_most_100", "value", "120 is above 100 (unit=percent)"),
    ("figures", 7, "percent_high_at_most_100", "value_high", "101 is above 100 (unit=percent)"),
    ("figures", 8, "unit_fits_measure", "unit", "GW does not fit measure amount" + UNITS_HINT),
    ("figures", 9, "unit_fits_measure", "unit", "USD does not fit measure power" + UNITS_HINT),
    ("figures", 10, "flow_parties_differ", "to_party", "a is also from_party: a flow needs two different parties"),
    ("figures", 11, "figure_has_deal_or_party", "deal_id", "a figure needs a deal_id or a party_id"),
    ("figures", 12, "period_in_order", "period_end", "2025-01-01 is before period_start 2025-06-30"),
    ("figures", 14, "unit_fits_measure", "unit", "EUR does not fit measure power" + UNITS_HINT),  # row 13, EUR amount: fine
    ("deals", 3, "announced_has_precision", "date_precision", "announced is set but date_precision is empty"),
    ("deals", 4, "precision_needs_date", "date_precision", "day is set but announced is empty"),
    ("deals", 5, "deal_parties_differ", "party_b", "a is also party_a: a deal needs two different parties"),
    ("deals", 6, "not_part_of_itself", "part_of", "own-umbrella is the deal itself: a deal cannot be part of itself"),
    ("deals", 7, "announced_is_written_at_its_precision", "announced",
     "2025-03-15 is not written at its precision month: a month is written YYYY-MM-01, a year YYYY-01-01"),
    ("deals", 8, "announced_is_written_at_its_precision", "announced",
     "2025-03-01 is not written at its precision year: a month is written YYYY-MM-01, a year YYYY-01-01"),
    # row 10 (superseded, naming the deal that records it again) is fine
    ("deals", 9, "superseded_names_its_later_record", "part_of",
     "status superseded needs part_of: the deal that records the same transaction again"),
    ("sources", 3, "published_has_precision", "published_precision", "published is set but published_precision is empty"),
    ("sources", 4, "precision_needs_date", "published_precision", "month is set but published is empty"),
    ("sources", 5, "published_not_after_retrieved", "published", "2027-01-01 is after retrieved 2026-11-23"),
    ("sources", 6, "published_is_written_at_its_precision", "published",
     "2025-03-15 is not written at its precision month: a month is written YYYY-MM-01, a year YYYY-01-01"),
    ("parties", 3, "not_own_parent", "parent_id", "own-parent is the party itself: a party cannot be its own parent"),
    ("parties", 4, "undisclosed_party_not_identified", "kind", "undisclosed: a party the sources do not name has no ticker, wikidata or parent_id"),
    ("parties", 5, "undisclosed_party_not_identified", "kind", "undisclosed: a party the sources do not name has no ticker, wikidata or parent_id"),
    ("parties", 6, "undisclosed_party_not_identified", "kind", "undisclosed: a party the sources do not name has no ticker, wikidata or parent_id"),
]


def _fixture_findings(resource: str):
    pkg = package.load(ROOT)
    res = pkg.resource(resource)
    fields = {f["name"]: f.get("type", "string") for f in res.schema["fields"]}
    path = FIXTURES / "rules" / f"{resource}.csv"
    doc = rules.load_rules(pkg, resource)
    return list(rules.check_rows(doc, rules.read_rows(path), fields, f"{resource}.csv"))


@pytest.mark.parametrize("resource,row,rule,field,message", BROKEN_ROWS, ids=[f"{b[0]}-{b[2]}-{b[1]}" for b in BROKEN_ROWS])
def test_broken_row_is_reported_with_its_row_and_field(resource, row, rule, field, message):
    findings = [f for f in _fixture_findings(resource) if f.row == row]
    assert [(f.check, f.field, f.message) for f in findings] == [(rule, field, message)]
    assert findings[0].line() == f"{resource}.csv:{row}: {field}: {message}"


@pytest.mark.parametrize("resource", list(ID_COLUMNS))
def test_the_valid_fixture_rows_raise_nothing(resource):
    assert [f for f in _fixture_findings(resource) if f.row == 2] == []


def test_every_rule_has_a_broken_fixture_row():
    pkg = package.load(ROOT)
    titles = {(name, r["title"]) for name in ID_COLUMNS for r in rules.rule_list(rules.load_rules(pkg, name))}
    assert titles == {(b[0], b[2]) for b in BROKEN_ROWS}


@pytest.mark.parametrize("name,column", list(ID_COLUMNS.items()))
def test_ids_are_unique_slugs(tables, name, column):
    ids = [row[column] for row in tables[name]]
    assert len(ids) == len(set(ids))
    assert all(package_id_ok(i) for i in ids), [i for i in ids if not package_id_ok(i)]


def package_id_ok(value: str) -> bool:
    import re

    return re.fullmatch(r"[a-z0-9][a-z0-9-]*", value) is not None


def test_no_id_is_used_by_two_tables(tables):
    seen: dict[str, str] = {}
    clashes = []
    for name, column in ID_COLUMNS.items():
        for row in tables[name]:
            if row[column] in seen:
                clashes.append((row[column], seen[row[column]], name))
            seen[row[column]] = name
    assert clashes == []


def test_every_figure_names_a_source_that_exists(tables):
    sources = {s["source_id"] for s in tables["sources"]}
    missing = [(f["figure_id"], f["source_id"]) for f in tables["figures"] if f["source_id"] not in sources]
    assert missing == []
    assert all(f["quote"].strip() for f in tables["figures"])


NO_LONGER_CITED = "No longer cited:"


def test_every_source_is_cited_by_a_figure_or_a_deal(tables):
    """A source nothing cites was read for nothing, unless a correction left it behind: a published id
    is never removed, so such a source stays, and its note says why (starting NO_LONGER_CITED)."""
    used = {f["source_id"] for f in tables["figures"]} | {d["source_id"] for d in tables["deals"] if d["source_id"]}
    unused = {s["source_id"]: s["note"] for s in tables["sources"] if s["source_id"] not in used}
    assert sorted(k for k, note in unused.items() if not note.startswith(NO_LONGER_CITED)) == []
    # and a source that says so is really not cited any more
    still = [s["source_id"] for s in tables["sources"] if s["note"].startswith(NO_LONGER_CITED) and s["source_id"] in used]
    assert still == []


def same_page(url: str) -> str:
    """A URL as the page it names: scheme and host in lower case, no `www.`, no fragment, no
    trailing slash, and no tracking parameters (`utm_*`, `fbclid`, `gclid`), so that one page
    copied with a tracking link or a final slash is still seen as one page."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in ("fbclid", "gclid")]
    return urlunsplit((parts.scheme.lower(), host, parts.path.rstrip("/"), urlencode(query), ""))


@pytest.mark.parametrize(("a", "b"), [
    ("https://example.com/news/a", "https://www.example.com/news/a/"),
    ("https://example.com/news/a?id=1", "https://example.com/news/a?id=1&utm_source=x&fbclid=y"),
    ("HTTPS://Example.com/news/a", "https://example.com/news/a#top"),
])
def test_same_page_sees_one_page_in_two_forms(a, b):
    assert same_page(a) == same_page(b)
    assert same_page(a) != same_page(a.replace("/a", "/b"))


def test_one_page_is_one_source(tables):
    """Two sources with one URL would split one page's figures and dates between two ids; a page
    recorded twice keeps one cited row, the other marked NO_LONGER_CITED (the Jang page on xAI's
    servers was recorded twice until 2026-12-06). The same page in two forms (a final slash, a
    tracking parameter) is one page too."""
    seen: dict[str, str] = {}
    twice = []
    for s in tables["sources"]:
        if s["url"] and not s["note"].startswith(NO_LONGER_CITED):
            page = same_page(s["url"])
            if page in seen:
                twice.append((seen[page], s["source_id"]))
            seen[page] = s["source_id"]
    assert twice == [], ("one page recorded as two sources: keep one, repoint the other's rows to it and start "
                         f"its note with {NO_LONGER_CITED!r} (a published id is never removed)")


# A note saying the title was built from the page's URL (or paraphrased): "Title supplied from the URL
# slug", "title reconstructed from URL", "Title as in the URL slug", "title paraphrased from lead".
# A note telling what the title *had been* ("it had been supplied from the URL slug") is not one.
SUPPLIED_TITLE_NOTE = re.compile(
    r"\btitle (?:is |was )?(?:reconstructed |taken |inferred |paraphrased |supplied |built |derived )?"
    r"\(?(?:from|as in) (?:the )?(?:url|slug)|\btitle (?:paraphrased|inferred)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(("note", "supplied"), [
    ("Title supplied from the URL slug; date from the URL.", True),
    ("title reconstructed from URL slug", True),
    ("Title as in the URL slug.", True),
    ("undated in the text read; title paraphrased from lead", True),
    ("Title inferred from URL.", True),
    ("Title supplied (from the URL slug and the opening sentence).", True),
    ("Title as the page shows it (re-read 2026-12-06; it had been supplied from the URL slug).", False),
    ("Date from the URL path; relays a Bloomberg report.", False),
])
def test_supplied_title_note_reads_what_a_note_says_of_its_title(note, supplied):
    assert bool(SUPPLIED_TITLE_NOTE.search(note)) is supplied


def test_a_title_built_from_the_url_is_in_square_brackets(tables):
    """The schema: a title in square brackets is one we supplied because the text read did not show
    the title, often the words of the URL slug. A slug's words carry no capitals or punctuation, so a
    title rebuilt from them is ours, not the page's: 253 such titles were written as headlines until
    2026-12-07. A reading that shows the headline replaces the title and the note says so."""
    unbracketed = [s["source_id"] for s in tables["sources"]
                   if SUPPLIED_TITLE_NOTE.search(s["note"]) and not s["title"].startswith("[")]
    assert unbracketed == []


NOT_IN_ANY_ROW = "Not in any row:"


def test_every_party_is_in_a_deal_a_figure_or_a_group(tables):
    """A party no deal, figure or other party (as parent) names is an orphan, unless its note says
    why it is kept (starting NOT_IN_ANY_ROW: a published id is never removed)."""
    used = {d[k] for d in tables["deals"] for k in ("party_a", "party_b")}
    used |= {f[k] for f in tables["figures"] for k in ("party_id", "from_party", "to_party")}
    used |= {p["parent_id"] for p in tables["parties"]}
    orphans = [p["party_id"] for p in tables["parties"] if p["party_id"] not in used]
    noted = {p["party_id"] for p in tables["parties"] if p["note"].startswith(NOT_IN_ANY_ROW)}
    assert [p for p in orphans if p not in noted] == [], (
        f"a party no deal, figure or parent_id names: use it, drop it if it was never released, or start its note "
        f"with {NOT_IN_ANY_ROW!r} and say why it is kept (a published id is never removed)")
    assert sorted(noted - set(orphans)) == [], "a party noted as unused is used again: drop the mark"


def test_the_readme_and_the_schema_explain_every_deal_status():
    """README's paragraph on statuses and the schema's description of the field name every value of
    its enum: a status added to the schema must be explained to users too."""
    schema = json.loads((ROOT / "schemas" / "deals.schema.json").read_text(encoding="utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "status")
    statuses = field["constraints"]["enum"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("A deal's `status` says"):readme.index("How to read a figure")]
    assert [s for s in statuses if f"`{s}` (" not in paragraph] == []
    assert [s for s in statuses if f"{s} (" not in field["description"]] == []


def test_the_readme_names_every_deal_kind_of_the_schema():
    """README's paragraph on deal kinds lists the schema's enum: a kind added to the schema must be
    explained to users too."""
    schema = json.loads((ROOT / "schemas" / "deals.schema.json").read_text(encoding="utf-8"))
    kinds = next(f for f in schema["fields"] if f["name"] == "kind")["constraints"]["enum"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("A deal's `kind` is one of"):readme.index("How to read a figure")]
    named = set(re.findall(r"`([a-z_]+)`", paragraph))
    assert [kind for kind in kinds if kind not in named] == []


@pytest.fixture(scope="module")
def money() -> set[str]:
    """The measures stated in money (those the `unit_fits_measure` rule lets take a currency)."""
    return set(rules.money_measures(package.load(ROOT)))


SELLS = {"cloud_contract", "compute_purchase", "chip_supply"}
INVESTS = {"funding_round", "equity_investment", "acquisition", "warrant"}


def test_party_a_is_the_seller_or_the_investor(tables, money):
    """README: in a deal that sells compute, cloud or chips, `party_a` is the vendor or provider and
    `party_b` the customer; in a round, an investment, an acquisition or a warrant, `party_a` is the
    investor, lead or buyer and `party_b` the company. The money figures between the two parties
    say who pays whom, so a payment for compute, cloud or chips from party_a to party_b, or for
    shares from party_b to party_a, is a deal whose parties are the wrong way round."""
    deals = {d["deal_id"]: d for d in tables["deals"]}
    wrong = []
    for f in tables["figures"]:
        deal = deals.get(f["deal_id"])
        if deal is None or f["measure"] not in money:
            continue
        a_pays_b = (f["from_party"], f["to_party"]) == (deal["party_a"], deal["party_b"])
        b_pays_a = (f["from_party"], f["to_party"]) == (deal["party_b"], deal["party_a"])
        if deal["kind"] in SELLS and f["flow"] in ("compute", "cloud_services", "chips") and a_pays_b:
            wrong.append((deal["deal_id"], f["figure_id"]))
        if deal["kind"] in INVESTS and f["flow"] == "equity" and b_pays_a:
            wrong.append((deal["deal_id"], f["figure_id"]))
    assert wrong == [], (
        "the figure's from_party and to_party, or the deal's party_a and party_b, are the wrong way "
        "round: check which the figure's page says pays, before swapping the deal's parties"
    )


DEBT_WORDS = re.compile(
    r"\b(notes?|loans?|debt|credit|bonds?|borrow\w*|lend\w*|debentures?|grants?|subsid\w*)\b", re.I)
SHARE_WORDS = re.compile(
    r"\b(series [a-k]|shares?|stake|preferred|stock|equity|IPO|placement|round|valuation|valued|valuing)\b", re.I)
# money for shares the sources word as debt, or debt they word as shares, each read on its pages
FLOW_WORDING_EXCEPTIONS = {
    "amazon-anthropic-2023-09-amount-axios-2": "a convertible note (Amazon's 10-Q) the page calls a stake",
    "amazon-anthropic-2024-11-amount-wallstreetpit-2": "convertible notes the page calls a stake",
    "xai-nvidia-20b-2025-amount-telecomlive": "a total of debt and equity the page calls a round",
}


def test_money_for_shares_is_equity_and_other_money_is_cash(tables, money):
    """README: in rounds and investments, money paid for shares is `equity` and any other payment
    (a loan, notes, a grant, a total of debt and equity) is `cash`. A figure whose quote speaks only
    of debt but says `equity`, or only of shares (neither its quote nor its note naming debt) but
    says `cash`, has the wrong flow; the few whose pages word them otherwise are listed with why."""
    kinds = {d["deal_id"]: d["kind"] for d in tables["deals"]}
    wrong = []
    for f in tables["figures"]:
        if f["measure"] not in money or kinds.get(f["deal_id"]) not in ("funding_round", "equity_investment"):
            continue
        if f["flow"] == "equity" and DEBT_WORDS.search(f["quote"]) and not SHARE_WORDS.search(f["quote"]):
            wrong.append(f["figure_id"])
        if f["flow"] == "cash" and SHARE_WORDS.search(f["quote"]) and not DEBT_WORDS.search(f["quote"] + " " + f["note"]):
            wrong.append(f["figure_id"])
    assert sorted(set(wrong) - set(FLOW_WORDING_EXCEPTIONS)) == []
    assert sorted(set(FLOW_WORDING_EXCEPTIONS) - set(wrong)) == [], "an exception no longer needed: drop it"


# "Not dated here: " and the reason, in words (what the pages read show, or do not): one form to search for.
UNDATED_SAYS_WHY = re.compile(r"\bNot dated here: \S.{10,}")


def test_an_undated_deal_says_why(tables):
    """README "Contributing": a deal no page read dates keeps `announced` empty, and its summary says
    so and why, in one form ("Not dated here: the pages read show no date ..."), so that a reader
    does not take the gap for an omission and can find the deals left undated."""
    silent = [d["deal_id"] for d in tables["deals"] if not d["announced"] and not UNDATED_SAYS_WHY.search(d["summary"])]
    assert silent == [], ("an undated deal's summary says so and why, in a sentence that starts 'Not dated here: ' "
                          "(what the pages read show, and when the deal was reported): " + ", ".join(silent))


# What an undated deal's summary says of itself; a deal dated later must drop it.
SAYS_IT_IS_UNDATED = re.compile(r"\bnot dated here\b|\bthe deal is not dated\b|\bstays undated\b|\bso it is not dated\b", re.I)


def test_a_dated_deal_does_not_say_it_is_undated(tables):
    """The converse: when a later search finds a page that dates a deal (`quality/dating-check-*.csv`),
    its summary no longer says "Not dated here: ..." beside the date it now has."""
    stale = [d["deal_id"] for d in tables["deals"] if d["announced"] and SAYS_IT_IS_UNDATED.search(d["summary"])]
    assert stale == [], "a dated deal's summary still says it is undated: drop that sentence"


# Whole figures one page states twice for the same flow, and why each pair is not a mistake.
SAME_PAGE_TWICE = {
    ("moore-threads-b-plus-2023", "valuation", "cnyes-2023-11-16-moore-threads-funding"):
        "one post-money valuation as two people put it (about 25 and about 24.8 billion yuan)",
    ("rebellions-sapeon-merger-2024", "valuation", "economyac-2024-08-20-rebellions-sapeon-contract"):
        "the valuations of the two merging companies, behind the merger ratio",
    ("rebellions-sapeon-merger-2024", "valuation", "thebell-2024-06-14-rebellions-sapeon-ratio"):
        "the valuations of the two merging companies, behind the provisional merger ratio",
}


def test_a_page_states_one_whole_figure_per_flow(tables):
    """Within one source, figures of one flow add up as parts (`aideals.quantities`): a page's two
    whole figures (no `component`) of the same deal or party, measure, flow, unit, direction,
    period and date would be added up, so a second size of the same thing needs its component
    (EdgeConneX's "more than 30 MW" across Chicago and Atlanta beside the 23 MW Chicago deal is
    `cumulative`; QTS's $6.7B for its shares beside the $10B including debt, `excluding-debt`).
    The pairs that are neither stay listed, with why."""
    groups: dict[tuple, list[str]] = {}
    for f in tables["figures"]:
        if not f["component"]:
            key = (f["deal_id"] or f["party_id"], f["measure"], f["source_id"], f["flow"], f["unit"],
                   f["from_party"], f["to_party"], f["period_start"], f["period_end"], f["as_of"])
            groups.setdefault(key, []).append(f["figure_id"])
    twice = {key[:3] for key, ids in groups.items() if len(ids) > 1}
    assert sorted(twice - set(SAME_PAGE_TWICE)) == []
    assert sorted(set(SAME_PAGE_TWICE) - twice) == [], "a pair is gone: drop it from SAME_PAGE_TWICE"


def test_a_contract_s_duration_runs_from_the_party_that_pays(tables):
    """README "Contributing": a contract's duration runs from the party that pays under it to the
    party paid, as its money does (a lease's from the tenant, a purchase's from the buyer), its
    flow saying what is bought. In a cloud contract, compute purchase or chip supply, `party_a` is
    the provider and `party_b` the customer, so no duration runs from `party_a` to `party_b`
    (Nscale's lease at WhiteFiber had no direction, HUMAIN's five years of Nvidia and AMD chips
    ran from the suppliers)."""
    deals = {d["deal_id"]: d for d in tables["deals"]}
    reversed_ = [
        f["figure_id"] for f in tables["figures"]
        if f["measure"] == "duration" and f["deal_id"] in deals
        and deals[f["deal_id"]]["kind"] in ("cloud_contract", "compute_purchase", "chip_supply")
        and (f["from_party"], f["to_party"]) == (deals[f["deal_id"]]["party_a"], deals[f["deal_id"]]["party_b"])
    ]
    assert reversed_ == []


def test_an_acquisition_s_money_goes_to_someone(tables):
    """README: an acquisition's price is `equity` to the company bought (`cash` to the seller of a
    plant or other assets); only what a buyer spends afterwards (`capex`) has no flow. CPP
    Investments' and Equinix's US$4B for atNorth had none on five pages."""
    kinds = {d["deal_id"]: d["kind"] for d in tables["deals"]}
    no_flow = [f["figure_id"] for f in tables["figures"]
               if kinds.get(f["deal_id"]) == "acquisition" and f["measure"] == "amount"
               and f["flow"] not in ("equity", "cash") and f["component"] != "capex"]
    assert no_flow == []


# US dollars per unit of each currency a page converts from (or into), wide enough for the years the
# data covers (2015-2026) and the rounding of a conversion in parentheses ("HK$8 billion (US$1
# billion)"), narrow enough that a slipped digit (a factor of ten) falls outside.
DOLLARS_PER_UNIT = {
    "AUD": (0.60, 0.80), "BRL": (0.15, 0.32), "CAD": (0.68, 0.82), "CHF": (0.95, 1.30),
    "CNY": (0.13, 0.16), "DKK": (0.13, 0.17), "EUR": (0.95, 1.25), "GBP": (1.05, 1.45),
    "HKD": (0.12, 0.135), "INR": (0.011, 0.0155), "JPY": (0.0060, 0.0095), "KRW": (0.00065, 0.00090),
    "MYR": (0.20, 0.26), "NZD": (0.55, 0.72), "PLN": (0.20, 0.30), "QAR": (0.26, 0.29), "SEK": (0.085, 0.12),
    "SGD": (0.70, 0.80), "THB": (0.026, 0.035), "TWD": (0.028, 0.036), "ZAR": (0.05, 0.08),
}


def _money_of_one_sentence(tables) -> list[list[dict[str, str]]]:
    """Money figures of one flow that share a quote: an amount and its conversion into another
    currency ("7 trillion won ($5.1 billion)"), in groups of two or more."""
    rules_doc = json.loads((ROOT / "schemas" / "figures.rules.json").read_text(encoding="utf-8"))
    money = set(rules.units_by_measure(rules_doc)["amount"])
    groups: dict[tuple, list[dict[str, str]]] = {}
    for f in tables["figures"]:
        if f["unit"] in money:
            key = (f["source_id"], f["deal_id"], f["party_id"], f["measure"], f["component"], f["flow"],
                   f["from_party"], f["to_party"], f["quote"])
            groups.setdefault(key, []).append(f)
    return [group for group in groups.values() if len(group) > 1]


def test_a_conversion_between_currencies_is_at_a_plausible_rate(tables):
    """A page that gives an amount in two currencies in one sentence is two figures of one flow
    with one quote; the rate between them shows a value entered with a digit too many or too few.
    Every such pair with a dollar amount is at a rate within the currency's band above (a
    currency no band lists fails, so that a new one gets its band)."""
    off, checked = [], 0
    for group in _money_of_one_sentence(tables):
        for usd in (f for f in group if f["unit"] == "USD"):
            for other in (f for f in group if f["unit"] != "USD"):
                checked += 1
                rate = float(usd["value"]) / float(other["value"])
                if other["unit"] not in DOLLARS_PER_UNIT:
                    off.append(f"{usd['figure_id']} / {other['figure_id']}: no band for {other['unit']} in "
                               f"DOLLARS_PER_UNIT ({rate:.5g} dollars per {other['unit']} here): add one")
                    continue
                low, high = DOLLARS_PER_UNIT[other["unit"]]
                if not low <= rate <= high:
                    off.append(f"{usd['figure_id']} / {other['figure_id']}: {rate:.5g} dollars per {other['unit']}, "
                               f"outside {low:g} to {high:g}: a digit too many or too few?")
    assert checked > 90
    assert off == []


# A page's amount in two currencies where neither figure is `approximately`: the company's own
# statement of a sum it received in both (not a publisher's conversion).
BOTH_STATED = {("ardian-verne-2023-initial-usd-d9-rns", "ardian-verne-2023-initial-gbp-d9-rns")}


def test_one_of_an_amount_and_its_conversion_is_approximately(tables):
    """README: a publisher's conversion of an amount into another currency ("€1.2bn ($1.4bn)") is
    `approximately`, whatever the original's qualifier; so of a dollar amount and another
    currency's in one sentence, one is approximate (the four conversions the samples found marked
    `exact` or `more_than` were corrected). The one pair a page states as two exact sums stays listed."""
    exact = {
        (usd["figure_id"], other["figure_id"])
        for group in _money_of_one_sentence(tables)
        for usd in group if usd["unit"] == "USD"
        for other in group if other["unit"] != "USD"
        if "approximately" not in (usd["qualifier"], other["qualifier"])
    }
    assert sorted(exact - BOTH_STATED) == [], "mark the publisher's conversion `approximately`"
    assert sorted(BOTH_STATED - exact) == [], "a listed pair is gone: drop it from BOTH_STATED"


# Conversions out of dollars recorded before README's rule that they are not: their ids are published.
CONVERSIONS_OUT_OF_DOLLARS = {
    "ardian-verne-2023-amount-gbp-d9-rns", "ardian-verne-2023-deferred-gbp-d9-rns",
    "ardian-verne-2023-earnout-gbp-d9-rns", "kt-microsoft-infrastructure-2024-amount-krw-newspim",
    "tencent-moonshot-2024-amount-cny-verdict",
}


def test_a_publisher_s_conversion_out_of_dollars_is_not_recorded(tables):
    """README: a publisher's own conversion into dollars is a second figure, `approximately`; its
    conversion of a dollar amount into another currency is not recorded. Such a conversion shows as
    an `approximately` amount in another currency beside a dollar amount of the same flow, in the
    same quote, that is not approximate ("a $300m-plus (2.14bn yuan) financing round"). The rows of
    that kind recorded before the rule stay, listed, and their notes say why."""
    converted = {
        other["figure_id"]
        for group in _money_of_one_sentence(tables)
        if any(f["unit"] == "USD" and f["qualifier"] != "approximately" for f in group)
        for other in group
        if other["unit"] != "USD" and other["qualifier"] == "approximately"
    }
    assert sorted(converted - CONVERSIONS_OUT_OF_DOLLARS) == []
    assert sorted(CONVERSIONS_OUT_OF_DOLLARS - converted) == [], "a listed row is gone: drop it from the list"
    by_id = {f["figure_id"]: f for f in tables["figures"]}
    assert [i for i in sorted(CONVERSIONS_OUT_OF_DOLLARS) if "published" not in by_id[i]["note"]] == []


@pytest.mark.parametrize("component", ["launch", "excluding-debt", "recorded"])
def test_a_size_beside_the_whole_stands_beside_a_whole_of_its_deal(tables, component):
    """Three components are another size of the whole, not a part of it, and need the whole beside
    them: `launch` is the size an offering, loan or round was first sought at, before it was
    upsized, cut or priced; `excluding-debt` the price of an acquired company's shares alone, where
    the value including debt is the whole; `recorded` an acquirer's booked purchase consideration
    beside the headline price. Their deal states the whole too, as a figure of the same measure,
    unit and flow (else the number is the only size, and no part of anything). Money counts as one
    unit here: Nvidia's Cambridge-1 plan was announced as £40 million and its final size ("at
    least $100 million") only in dollars."""
    rules_doc = json.loads((ROOT / "schemas" / "figures.rules.json").read_text(encoding="utf-8"))
    money = set(rules.units_by_measure(rules_doc)["amount"])

    def unit(f):
        return "money" if f["unit"] in money else f["unit"]

    whole = {(f["deal_id"], f["measure"], unit(f), f["flow"]) for f in tables["figures"] if not f["component"]}
    sizes = [f for f in tables["figures"] if f["component"] == component]
    assert sizes, f"no {component} figure in the data"
    assert [f["figure_id"] for f in sizes if (f["deal_id"], f["measure"], unit(f), f["flow"]) not in whole] == []


def test_an_acquisition_s_price_without_debt_is_not_a_source_disagreeing(tables):
    """A page that states an acquisition both ways (QTS: "$6.7 billion", and "about $10 billion"
    including the assumed debt) gives two sizes of one deal, not two opinions: the price of the
    shares alone is `excluding-debt`, so that `consensus` compares like with like and
    `aideals.quantities.totals` does not add the two up within the page."""
    by_id = {f["figure_id"]: f for f in tables["figures"]}
    pairs = {
        "blackstone-qts-2021-amount-equity-investing": "blackstone-qts-2021-amount-investing",
        "kkr-gip-cyrusone-2021-amount-equity-metro-us": "kkr-gip-cyrusone-2021-amount-metro-us",
        "digitalbridge-ifm-switch-2022-amount-equity-financierworldwide": "digitalbridge-ifm-switch-2022-amount-financierworldwide",
    }
    got = {
        (by_id[a]["component"], by_id[a]["value"], by_id[b]["component"], by_id[b]["value"])
        for a, b in pairs.items()
        if by_id[a]["source_id"] == by_id[b]["source_id"]
    }
    assert got == {
        ("excluding-debt", "6700000000", "", "10000000000"),
        ("excluding-debt", "11490000000", "", "15000000000"),
        ("excluding-debt", "8380000000", "", "11000000000"),
    }


def test_a_package_with_only_some_of_the_four_tables_is_refused(tmp_path):
    """The cross-table checks read parties, sources, deals and figures: a descriptor that drops
    some of them is one error naming them (exit 2), not checks failing on missing tables."""
    import shutil

    from aideals.cli import main

    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", tmp_path / "pkg")
    descriptor = tmp_path / "pkg" / "datapackage.json"
    desc = json.loads(descriptor.read_text(encoding="utf-8"))
    desc["resources"] = [r for r in desc["resources"] if r["name"] == "parties"]
    descriptor.write_text(json.dumps(desc), encoding="utf-8")
    with pytest.raises(PackageError) as exc:
        package.load(tmp_path / "pkg")
    assert str(exc.value) == (
        "datapackage.json: resources: no resource named 'sources', 'deals', 'figures' "
        "(an aideals package has parties, sources, deals, figures)"
    )
    with pytest.raises(SystemExit) as code:
        main(["validate", "--package", str(tmp_path / "pkg")])
    assert code.value.code == 2


def _deals_field(name):
    def edit(schema):
        return next(f for f in schema["fields"] if f["name"] == name)
    return edit


SCHEMA_EDITS = [
    (lambda s: _deals_field("title")(s).update(type="bogus"),
     "schemas/deals.schema.json: field 'title': type 'bogus' is not one aideals checks (string, number, integer, date, boolean)"),
    (lambda s: _deals_field("announced")(s).update(format="%d/%m/%Y"),
     "schemas/deals.schema.json: field 'announced': format '%d/%m/%Y' of a date is not one aideals reads (default)"),
    (lambda s: _deals_field("title")(s)["constraints"].update(pattern="("),
     "schemas/deals.schema.json: field 'title': constraints.pattern: not a regular expression "
     "(missing ), unterminated subpattern at position 0)"),
    (lambda s: _deals_field("title")(s)["constraints"].update(pattern="(?!x).*"),
     "schemas/deals.schema.json: field 'title': constraints.pattern: a regular expression aideals cannot run "
     "(DuckDB's RE2 has no lookaround or backreferences): Invalid Input Error: invalid perl operator: (?!"),
    (lambda s: _deals_field("title")(s)["constraints"].update(minimum=3),
     "schemas/deals.schema.json: field 'title': constraints.minimum: 3 is not a bound for a string field"),
    (lambda s: _deals_field("status")(s)["constraints"].update(enum="closed"),
     "schemas/deals.schema.json: field 'status': constraints.enum: must be a list of values"),
    (lambda s: s.update(primaryKey=["nofield"]), "schemas/deals.schema.json: primaryKey: 'nofield' is not a field"),
]


@pytest.mark.parametrize(("edit", "message"), SCHEMA_EDITS)
def test_a_table_schema_aideals_cannot_check_as_written_is_refused_naming_the_keyword(tmp_path, edit, message):
    """Ignoring a type, format or constraint would check the data against another schema than the
    one written (a bogus type or a primary key naming no field validated clean; a string enum was
    read as its letters): each is one error naming the file, the field and the keyword."""
    import shutil

    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "schemas" / "deals.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    edit(schema)
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(PackageError) as exc:
        package.load(tmp_path / "pkg")
    assert str(exc.value) == message


DESCRIPTOR_EDITS = [
    (lambda r: r.update(dialect={"delimiter": ";"}),
     "datapackage.json: resources[1] (sources): dialect.delimiter ';': aideals reads RFC 4180 CSV "
     "(comma, double quote, one header row)"),
    (lambda r: r.update(format="xlsx"), "datapackage.json: resources[1] (sources): format 'xlsx': aideals reads CSV files only"),
    (lambda r: r.update(name="parties"), "datapackage.json: resources[1]: name 'parties' is used by another resource"),
]


@pytest.mark.parametrize(("edit", "message"), DESCRIPTOR_EDITS)
def test_a_resource_aideals_cannot_read_as_described_is_refused(tmp_path, edit, message):
    import shutil

    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    edit(desc["resources"][1])
    path.write_text(json.dumps(desc), encoding="utf-8")
    with pytest.raises(PackageError) as exc:
        package.load(tmp_path / "pkg")
    assert str(exc.value) == message


@pytest.mark.parametrize("cell, found", [
    ("xb", True), ("b", False), ("axx", False), ("xa", True),
    # Python's `$` also matches before a final line break, and only there (cells quoted in the CSV)
    ('"b\n"', False), ('"b\n\n"', True), ('"xb\n"', True),
])
def test_a_pattern_with_alternatives_is_anchored_as_frictionless_anchors_it(tmp_path, cell, found):
    """frictionless runs `re.match("^" + pattern + "$")`: with `a|b` a cell must start with `a`
    or be `b` (or `b` and a final line break); `xb` fails (aideals searched anywhere and let it pass)."""
    import shutil

    from aideals import checks

    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", tmp_path / "pkg")
    path = tmp_path / "pkg" / "schemas" / "parties.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    note = next(f for f in schema["fields"] if f["name"] == "note")
    note.setdefault("constraints", {})["pattern"] = "a|b"
    path.write_text(json.dumps(schema), encoding="utf-8")
    data = tmp_path / "pkg" / "data" / "parties.csv"
    text = data.read_text(encoding="utf-8")
    assert "Cloud arm of Acme." in text
    data.write_text(text.replace("Cloud arm of Acme.", cell), encoding="utf-8")
    findings = [(f.row, f.field, f.check) for f in checks.validate(package.load(tmp_path / "pkg")).findings]
    assert findings == ([(3, "note", "constraint-error")] if found else [])
