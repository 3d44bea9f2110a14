"""(Re)write the corpus of broken packages: `python tests/corpus/make.py [--bless]`.

Each case is a small copy of one valid base package with ONE defect (or a valid variant: CRLF,
a byte-order mark, quoted newlines). The files are committed; this script is how they were made.
`expected.json` holds the exact findings (`aideals.checks.validate`, as dicts, sorted). Each case
below names the (file, row, field, check) it must produce; `--bless` writes expected.json from the
engine only when the engine finds exactly those, so a blessed message is always a reviewed one.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

PARTIES = """\
party_id,name,kind,country,ticker,parent_id,wikidata,note
acme,Acme Corp,company,US,NASDAQ:ACME,,Q42,
acme-cloud,Acme Cloud,company,US,,acme,,Cloud arm of Acme.
beta,Beta Labs,company,FR,,,,
gamma-fund,Gamma Fund,investment_fund,GB,,,,
"""

SOURCES = """\
source_id,title,publisher,author,published,published_precision,url,language,kind,retrieved,note
src-one,Acme invests in Beta,Daily News,,2025-10-01,day,https://example.org/acme-beta,en,news,2026-11-23,
src-two,Beta achète du cloud,Le Journal,Jeanne Martin,2025-10-05,day,,fr,news,2026-11-23,
"""

DEALS = """\
deal_id,title,kind,announced,date_precision,status,party_a,party_b,part_of,source_id,summary
acme-beta-2025,Acme invests in Beta,equity_investment,2025-10-01,day,announced,acme,beta,,src-one,"Acme invests in Beta, which buys Acme chips."
beta-acme-cloud-2025,Beta cloud contract,cloud_contract,2025-10-05,day,signed,beta,acme-cloud,,src-two,Beta buys cloud services from Acme Cloud.
"""

FIGURES = """\
figure_id,deal_id,party_id,from_party,to_party,flow,measure,value,value_high,unit,qualifier,component,period_start,period_end,as_of,source_id,quote,note
fig-acme-beta-amount,acme-beta-2025,,acme,beta,cash,amount,1000000000,,USD,up_to,,,,,src-one,Acme will invest up to $1B,
fig-acme-beta-stake,acme-beta-2025,,acme,beta,equity,equity_stake,5,10,percent,range,,,,2025-10-01,src-one,"a stake of 5 to 10%, it said",
fig-beta-cloud,beta-acme-cloud-2025,,beta,acme-cloud,cloud_services,amount,300000000,,USD,exact,,2026-01-01,2030-12-31,,src-two,300 millions de dollars,
fig-beta-revenue,,beta,,,none,revenue,20000000,,USD,approximately,,2025-01-01,2025-12-31,,src-two,un chiffre d'affaires de 20 millions,
"""

BASE = {"parties": PARTIES, "sources": SOURCES, "deals": DEALS, "figures": FIGURES}


@dataclass
class Case:
    """One corpus case: how to break the base package, and what must be found."""

    name: str
    what: str
    expect: list[tuple[str, int | None, str | None, str]]  # (file, row, field, check)
    edit: dict[str, Callable[[str], str]] = field(default_factory=dict)  # table -> text edit
    raw: dict[str, bytes] = field(default_factory=dict)  # relative path -> exact bytes
    descriptor: Callable[[dict], dict] | None = None
    remove: tuple[str, ...] = ()


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    """An edit replacing `old` by `new`, failing loudly when `old` is not in the base text."""

    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


def add(line: str) -> Callable[[str], str]:
    return lambda text: text + line + "\n"


def base_descriptor() -> dict:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "corpus-case",
        "version": "0.0.1",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {"name": n, "type": "table", "path": f"data/{n}.csv", "format": "csv", "mediatype": "text/csv",
             "encoding": "utf-8", "schema": f"schemas/{n}.schema.json"}
            for n in ("parties", "sources", "deals", "figures")
        ],
    }


def write_case(case: Case, dest: Path) -> None:
    """Write the package of one case into `dest` (emptied first)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "data").mkdir(parents=True)
    shutil.copytree(REPO / "schemas", dest / "schemas")
    desc = base_descriptor()
    if case.descriptor:
        desc = case.descriptor(desc)
    (dest / "datapackage.json").write_text(json.dumps(desc, indent=1) + "\n", encoding="utf-8")
    for name, text in BASE.items():
        if name in case.edit:
            text = case.edit[name](text)
        (dest / "data" / f"{name}.csv").write_bytes(text.encode("utf-8"))
    for rel, data in case.raw.items():
        (dest / rel).write_bytes(data)
    for rel in case.remove:
        (dest / rel).unlink()


S = "data/sources.csv"
P = "data/parties.csv"
D = "data/deals.csv"
F = "data/figures.csv"
FIG3 = "fig-beta-cloud,beta-acme-cloud-2025,,beta,acme-cloud,cloud_services,amount,300000000,"


def lines(fn: Callable[[list[str]], list[str]]) -> Callable[[str], str]:
    """An edit over the lines of a table (header first, no trailing empty line)."""
    return lambda text: "\n".join(fn(text.rstrip("\n").split("\n"))) + "\n"


def drop_column(index: int) -> Callable[[str], str]:
    return lines(lambda ls: [",".join(c for i, c in enumerate(ln.split(",")) if i != index) for ln in ls])


def resource_path(name: str, path: str) -> Callable[[dict], dict]:
    def edit(desc: dict) -> dict:
        next(r for r in desc["resources"] if r["name"] == name)["path"] = path
        return desc

    return edit


CASES: list[Case] = [
    # valid variants
    Case("valid-base", "the base package", []),
    Case("valid-crlf", "CRLF line endings", [], raw={S: SOURCES.replace("\n", "\r\n").encode()}),
    Case("valid-bom", "a UTF-8 byte-order mark", [], raw={P: b"\xef\xbb\xbf" + PARTIES.encode()}),
    Case("valid-quoted-newline", "a quoted field with a newline and a comma", [],
         edit={"figures": sub('"a stake of 5 to 10%, it said",', '"a stake of 5\nto 10%, it said",')}),
    Case("valid-quoted-quote", "doubled quotes inside a quoted field", [],
         edit={"parties": sub("Cloud arm of Acme.", '"The ""cloud"" arm, of Acme."')}),
    # types
    Case("type-number", "a value that is not a number", [(F, 4, "value", "type-error")],
         edit={"figures": sub("300000000", "3e8x")}),
    Case("type-bad-date", "2025-02-30", [(F, 3, "as_of", "type-error")],
         edit={"figures": sub("2025-10-01,src-one", "2025-02-30,src-one")}),
    Case("type-date-format", "a date written 01/10/2025", [(S, 2, "published", "type-error")],
         edit={"sources": sub("2025-10-01,day", "01/10/2025,day")}),
    Case("type-url-without-scheme", "a URL without its scheme", [(S, 2, "url", "type-error")],
         edit={"sources": sub("https://example.org/acme-beta", "example.org/acme-beta")}),
    # constraints
    Case("required-empty", "an empty required field", [(D, 3, "kind", "constraint-error")],
         edit={"deals": sub("cloud_contract,2025", ",2025")}),
    Case("enum-typo", "an enum typo", [(F, 2, "flow", "constraint-error")], edit={"figures": sub("cash,amount", "csh,amount")}),
    Case("pattern-country", "a lowercase country code", [(P, 4, "country", "constraint-error")], edit={"parties": sub("FR", "fr")}),
    Case("pattern-id", "an id with capitals", [(S, 3, "source_id", "constraint-error"), (F, 4, "source_id", "foreign-key"), (F, 5, "source_id", "foreign-key"), (D, 3, "source_id", "foreign-key")],
         edit={"sources": sub("src-two,", "Src-Two,")}),
    Case("minimum-negative", "a negative value", [(F, 4, "value", "constraint-error")], edit={"figures": sub("300000000", "-3")}),
    Case("max-length", "a title of 201 characters", [(D, 3, "title", "constraint-error")], edit={"deals": sub("Beta cloud contract", "B" * 201)}),
    Case("huge-field", "a 100 000 character quote", [(F, 4, "quote", "constraint-error")],
         edit={"figures": sub("300 millions de dollars", "x" * 100_000)}),
    # keys
    Case("duplicate-primary-key", "a party id used twice", [(P, 6, "party_id", "unique-error"), (P, 6, None, "primary-key")],
         edit={"parties": add("beta,Beta again,company,FR,,,,")}),
    Case("missing-primary-key", "a party without id", [(P, 6, "party_id", "constraint-error"), (P, 6, None, "primary-key")],
         edit={"parties": add(",Nobody,company,FR,,,,")}),
    Case("fk-figure-party", "a figure flowing to an unknown party", [(F, 3, "to_party", "foreign-key")],
         edit={"figures": sub("acme,beta,equity", "acme,zeta,equity")}),
    Case("fk-figure-deal", "a figure of an unknown deal", [(F, 4, "deal_id", "foreign-key")],
         edit={"figures": sub(",beta-acme-cloud-2025,,", ",beta-acme-cloud-2052,,")}),
    Case("fk-deal-party", "a deal with an unknown party", [(D, 2, "party_a", "foreign-key"), (D, 2, "party_a", "deal_parties_appear_in_its_flows")],
         edit={"deals": sub("announced,acme,beta", "announced,acne,beta")}),
    Case("fk-parent-dangling", "a parent that is not a party", [(P, 3, "parent_id", "foreign-key")], edit={"parties": sub(",acme,,Cloud", ",acmee,,Cloud")}),
    Case("fk-deal-source", "a deal dated by an unknown source", [(D, 3, "source_id", "foreign-key")],
         edit={"deals": sub("acme-cloud,,src-two", "acme-cloud,,src-three")}),
    Case("fk-deleted-party", "a party removed while still referenced", [(D, 3, "party_b", "foreign-key"), (F, 4, "to_party", "foreign-key")],
         edit={"parties": sub("acme-cloud,Acme Cloud,company,US,,acme,,Cloud arm of Acme.\n", "")}),
    Case("parent-cycle", "two parties each other's parent", [(P, 2, "parent_id", "no_cycle_in_party_parents"), (P, 3, "parent_id", "no_cycle_in_party_parents")],
         edit={"parties": sub("NASDAQ:ACME,,Q42", "NASDAQ:ACME,acme-cloud,Q42")}),
    Case("part-of-cycle", "two deals each other's part", [(D, 2, "part_of", "no_cycle_in_deal_part_of"), (D, 3, "part_of", "no_cycle_in_deal_part_of")],
         edit={"deals": lambda t: sub("signed,beta,acme-cloud,,src-two", "signed,beta,acme-cloud,acme-beta-2025,src-two")(
             sub("announced,acme,beta,,src-one", "announced,acme,beta,beta-acme-cloud-2025,src-one")(t))}),
    Case("superseded-without-part-of", "a deal marked superseded that names no deal recording it again",
         [(D, 3, "part_of", "superseded_names_its_later_record")], edit={"deals": sub("signed,beta,acme-cloud,,src-two", "superseded,beta,acme-cloud,,src-two")}),
    Case("own-parent", "a party that is its own parent", [(P, 5, "parent_id", "not_own_parent")], edit={"parties": sub("GB,,,,", "GB,,gamma-fund,,")}),
    # row rules
    Case("range-inverted", "value_high below value", [(F, 3, "value_high", "range_high_not_below_low")], edit={"figures": sub(",5,10,percent", ",10,5,percent")}),
    Case("range-without-high", "a range without value_high", [(F, 3, "value_high", "range_has_high_value")], edit={"figures": sub(",5,10,percent", ",5,,percent")}),
    Case("percent-over-100", "a stake above 100 %", [(F, 3, "value_high", "percent_high_at_most_100")], edit={"figures": sub(",5,10,percent", ",5,110,percent")}),
    Case("unit-misfit", "a power in USD", [(F, 2, "unit", "unit_fits_measure")], edit={"figures": sub("cash,amount,1000000000,,USD", "cash,power,1000000000,,USD")}),
    Case("period-reversed", "a period ending before it starts", [(F, 5, "period_end", "period_in_order")], edit={"figures": sub("2025-01-01,2025-12-31", "2025-12-31,2025-01-01")}),
    Case("date-without-precision", "announced without date_precision", [(D, 2, "date_precision", "announced_has_precision")], edit={"deals": sub("2025-10-01,day", "2025-10-01,")}),
    Case("undisclosed-identified", "an undisclosed party with a ticker", [(P, 6, "kind", "undisclosed_party_not_identified")],
         edit={"parties": add("unnamed-cloud,A U.S. hyperscaler (not named),undisclosed,US,NASDAQ:HYPR,,,")}),
    # cross-table
    Case("undisclosed-in-two-deals", "an undisclosed party used by a second deal and a party-level figure",
         [(D, 3, "party_a", "undisclosed_party_in_one_deal"), (F, 4, "from_party", "undisclosed_party_in_one_deal"),
          (F, 5, "party_id", "undisclosed_party_in_one_deal")],
         edit={"parties": sub("beta,Beta Labs,company,FR,,,,", "beta,An unnamed AI lab,undisclosed,FR,,,,")}),
    # cross-table
    Case("as-of-after-published", "a figure dated after its source was published", [(F, 3, "as_of", "figure_not_dated_after_its_source")],
         edit={"figures": sub("2025-10-01,src-one", "2025-11-01,src-one")}),
    # cross-table
    Case("announced-after-published", "a deal dated after the source that dates it was published",
         [(D, 2, "announced", "deal_not_dated_after_its_source")],
         edit={"deals": sub("2025-10-01,day,announced", "2025-10-02,day,announced")}),
    # safety
    Case("formula-injection", "=HYPERLINK(...) in a note", [(F, 5, "note", "formula-injection")],
         edit={"figures": sub("20 millions,", '20 millions,"=HYPERLINK(""http://x.invalid"",""click"")"')}),
    Case("control-character", "a note holding terminal escape sequences (set the title, clear the screen, red)",
         [(P, 3, "note", "control-character")],
         edit={"parties": sub("Cloud arm of Acme.", "Cloud \x1b]0;pwned\x07\x1b[2J\x1b[31marm of Acme.")}),
    Case("number-not-finite", "INF as a value (a Table Schema number, but no figure's)", [(F, 2, "value", "not-finite")],
         edit={"figures": sub(",1000000000,,USD,", ",INF,,USD,")}),
    # structure of the files
    Case("ragged-short-row", "a row with too few cells", [(D, 3, "summary", "missing-cell"), (D, 3, "summary", "constraint-error")],
         edit={"deals": sub(",src-two,Beta buys cloud services from Acme Cloud.", ",src-two")}),
    Case("ragged-long-row", "a row with one cell too many", [(P, 4, None, "extra-cell")], edit={"parties": sub("FR,,,,", "FR,,,,,surplus")}),
    Case("ragged-row-and-a-quote-in-text", "a short row in a file whose text holds an inch mark (27\" monitors): the quote is text",
         [(P, 5, "note", "missing-cell")],
         edit={"parties": lambda t: sub("GB,,,,", "GB,,,")(sub("Cloud arm of Acme.", 'Sells 27" monitors')(t))}),
    Case("extra-column", "a column not in the schema", [(S, None, None, "extra-label")],
         edit={"sources": lines(lambda ls: [ln + (",extra" if i == 0 else ",x") for i, ln in enumerate(ls)])}),
    Case("missing-column", "the last column removed", [(P, None, "note", "missing-label")], edit={"parties": drop_column(7)}),
    Case("renamed-header", "a header renamed", [(F, None, "deal_id", "incorrect-label")], edit={"figures": sub("figure_id,deal_id", "figure_id,deal")}),
    Case("blank-row", "an empty line between rows", [(D, 3, None, "blank-row"), (D, 3, None, "primary-key")],
         edit={"deals": lambda t: t.replace("\nbeta-acme", "\n\nbeta-acme")}),
    Case("quoted-newline-error-row", "an error after a quoted newline is numbered by rows, not lines", [(F, 4, "value", "type-error")],
         edit={"figures": lambda t: sub('"a stake of 5 to 10%, it said",', '"a stake of 5\n\nto 10%, it said",')(t).replace("300000000", "3x")}),
    Case("unterminated-quote-last-row", "a last row whose quoted field is never closed (DuckDB's single-threaded reader drops it)",
         [(P, None, None, "format-error")], edit={"parties": lambda t: t + '"gamma-two,Gamma Two\n'}),
    Case("unterminated-quote-after-ragged-row", "a ragged row, then a last row whose quoted field is never closed",
         [(P, None, None, "format-error")],
         edit={"parties": lambda t: sub("FR,,,,", "FR,,,,,surplus")(t) + '"gamma-two,Gamma Two\n'}),
    Case("mixed-line-endings", "deals.csv ends its last line in CR LF, its others in LF (DuckDB cannot read it)",
         [(D, None, None, "format-error")], edit={"deals": lambda t: t[:-1] + "\r\n"}),
    # unusable files
    Case("empty-file", "an empty deals.csv", [(D, None, None, "source-error"), (F, 2, "deal_id", "foreign-key"), (F, 3, "deal_id", "foreign-key"), (F, 4, "deal_id", "foreign-key")],
         raw={D: b""}),
    Case("latin1-bytes", "sources.csv in Latin-1", [(S, None, None, "encoding-error")], raw={S: SOURCES.encode("latin-1")}),
    Case("missing-file", "sources.csv is missing", [(S, None, None, "scheme-error")], remove=(S,)),
]

# Packages whose descriptor cannot be used at all: `aideals validate` exits 2 with this error.
def without_name(desc: dict) -> dict:
    del desc["resources"][0]["name"]
    return desc


def resources_as_object(desc: dict) -> dict:
    desc["resources"] = {r["name"]: r for r in desc["resources"]}
    return desc


def missing_schema(desc: dict) -> dict:
    desc["resources"][1]["schema"] = "schemas/nope.schema.json"
    return desc


BROKEN_DESCRIPTORS = {
    "descriptor-not-json": ("{\"name\": \"x\",\n",
                            "datapackage.json:2: not valid JSON: Expecting property name enclosed in double quotes"),
    "descriptor-not-object": ("[]\n", "datapackage.json: must hold a JSON object, not list"),
    "descriptor-no-resources": ('{"name": "x", "resources": []}\n', "datapackage.json: resources: must be a non-empty list"),
    "descriptor-resources-not-list": (resources_as_object, "datapackage.json: resources: must be a non-empty list"),
    "descriptor-resource-without-name": (without_name, "datapackage.json: resources[0]: must be an object with a name"),
    "descriptor-schema-missing": (missing_schema,
                                  "datapackage.json: resources[1] (sources): schema 'schemas/nope.schema.json': file not found"),
    "path-escapes-package": (resource_path("parties", "../../etc/passwd"),
                             "datapackage.json: resources[0] (parties): path '../../etc/passwd' is refused: "
                             "it leaves the package directory"),
    "path-absolute": (resource_path("parties", "/etc/passwd"),
                      "datapackage.json: resources[0] (parties): path '/etc/passwd' is refused: "
                      "only relative paths inside the package"),
    "path-url": (resource_path("parties", "https://example.org/parties.csv"),
                 "datapackage.json: resources[0] (parties): path 'https://example.org/parties.csv' is refused: "
                 "only relative paths inside the package"),
}


def write_broken_descriptor(name: str, dest: Path) -> str:
    """Write a case whose datapackage.json is unusable; return the error text it must give."""
    how, error = BROKEN_DESCRIPTORS[name]
    write_case(Case(name, name, []), dest)
    if callable(how):
        (dest / "datapackage.json").write_text(json.dumps(how(base_descriptor()), indent=1) + "\n", encoding="utf-8")
    else:
        (dest / "datapackage.json").write_text(how, encoding="utf-8")
    (dest / "expected.json").write_text(json.dumps({"error": error}, indent=1) + "\n", encoding="utf-8")
    return error


def findings_of(dest: Path) -> list[dict]:
    """The engine's findings for a case, as sorted dicts."""
    sys.path.insert(0, str(REPO / "src"))
    from aideals import checks, package

    return [f.to_dict() for f in checks.validate(package.load(dest)).findings]


FILE_LEVEL = {"encoding-error", "scheme-error", "source-error"}


def frictionless_findings(dest: Path) -> list[list]:
    """[file, row, field, type] of what frictionless-py reports, in aideals' conventions: a
    foreign-key error names its field; extra cells and labels have no field; an unreadable file is
    reported once, on that file (frictionless repeats the error on each resource referring to it)."""
    import re

    from frictionless import Package

    desc = json.loads((dest / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["name"]: r["path"] for r in desc["resources"]}
    report = Package(str(dest / "datapackage.json")).validate()
    out, seen = [], set()
    for task in report.tasks:
        for err in task.errors:
            field = getattr(err, "field_name", None) or None
            if err.type == "foreign-key":
                field = re.match(r'for "([^"]+)"', err.note).group(1)
            if err.type in FILE_LEVEL and err.type != "source-error":
                if (err.type, err.note) in seen:
                    continue
                seen.add((err.type, err.note))
            item = [paths[task.name], getattr(err, "row_number", None), field, err.type]
            if item not in out:
                out.append(item)
    return sorted(out, key=repr)


def main(argv: list[str]) -> int:
    bless = "--bless" in argv
    wrong = 0
    for case in CASES:
        dest = HERE / case.name
        write_case(case, dest)
        found = findings_of(dest)
        got = [(f["file"], f["row"], f["field"], f["check"]) for f in found]
        want = sorted(case.expect, key=lambda x: (x[0], x[1] or 0, x[2] or "", x[3]))
        if sorted(got, key=lambda x: (x[0], x[1] or 0, x[2] or "", x[3])) != want:
            wrong += 1
            print(f"{case.name}: expected {want}\n  got {got}")
            for f in found:
                print("   ", f)
        elif bless:
            doc = {"what": case.what, "findings": found}
            (dest / "expected.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            fl = frictionless_findings(dest)
            (dest / "frictionless.json").write_text(json.dumps(fl) + "\n", encoding="utf-8")
    for name in BROKEN_DESCRIPTORS:
        write_broken_descriptor(name, HERE / name)
    print(f"{len(CASES) + len(BROKEN_DESCRIPTORS)} cases, {wrong} not as expected")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
