"""Write a synthetic, valid aideals package with N figure rows (plus matching deals, parties, sources).

    python benchmarks/generate.py OUT_DIR --rows 1000000 [--errors 10] [--seed 1] [--metric-mix]

Rows are written as they are generated (no table is held in memory). With --errors K, K figure
rows get one defect each (a bad date, an unknown party, an inverted range, cycling through them),
at reproducible positions; their expected (row, field, check) are written to OUT_DIR/injected.json.

By default every figure is an exact USD cash amount between a deal's two parties (what validate
and build are measured on). --metric-mix writes figures the built-in metrics use instead: per deal
investments (cash, equity) one way and purchases (chips, compute, cloud_services) the other, power
in GW and MW, stated deal values (flow none), every qualifier including ranges, and a second source
for some figures; per party annual and undated revenue and total commitments; and the industry's
cost per GW (unit_cost). Without --metric-mix the output is byte for byte what it was before.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ["company", "investment_fund", "government", "consortium"]
DEFECTS = [("as_of", "type-error"), ("to_party", "foreign-key"), ("value_high", "range_high_not_below_low")]


# --metric-mix: what a figure is (a deal's flow, or a party-level fact). Deal d's k-th figure is
# MIX[(d + k) % 20], so every deal, and every pair of parties, has figures of every kind.
MIX = (
    ["cash"] * 3 + ["equity"] * 2 + ["chips"] * 3 + ["compute"] * 2 + ["cloud_services"] * 2
    + ["power_gw", "power_mw", "none", "none", "revenue", "revenue_undated", "commitments_total", "unit_cost"]
)
QUALIFIERS = ["exact"] * 5 + ["approximately", "up_to", "at_least", "more_than", "estimate", "range"]


def mixed_figure(i: int, slot: int, deal: int, a: int, b: int, n_parties: int, n_sources: int, rng: random.Random) -> list:
    """Figure row i of --metric-mix (columns as in figures.csv, without the defects)."""
    kind = MIX[slot % len(MIX)]
    if kind == "unit_cost" and deal >= 3:
        kind = "commitments_total"  # a few statements of the industry's cost per GW, not one per deal
    qualifier = QUALIFIERS[rng.randrange(len(QUALIFIERS))]
    # most figures come from the deal's source; one in four from the next source, so that sources disagree
    source = f"source-{(deal + (i % 4 == 3)) % n_sources}"
    party = i % n_parties
    deal_id, party_id, from_party, to_party, flow, period = f"deal-{deal}", "", f"party-{a}", f"party-{b}", kind, ("", "")
    if kind in ("cash", "equity"):
        measure, unit, value = "amount", "USD", rng.randint(1, 10**5) * 10**5
    elif kind in ("chips", "compute", "cloud_services"):
        measure, unit, value = "amount", "USD", rng.randint(1, 10**6) * 10**5
        from_party, to_party = to_party, from_party  # the investee buys from the investor
    elif kind == "power_gw":
        measure, unit, value, flow = "power", "GW", rng.randint(1, 5000) / 1000, "chips"
    elif kind == "power_mw":
        measure, unit, value, flow = "power", "MW", rng.randint(1, 5000) / 10, "chips"
    elif kind == "none":
        measure, unit, value, from_party, to_party = "amount", "USD", rng.randint(1, 10**6) * 10**5, "", ""
    else:  # party-level facts: no deal, no direction
        deal_id, from_party, to_party, flow, party_id = "", "", "", "none", f"party-{party}"
        measure, unit, value = kind.removesuffix("_undated"), "USD", rng.randint(1, 10**6) * 10**5
        if kind == "revenue":
            year = 2022 + i % 3
            period = (f"{year}-01-01", f"{year}-12-31")
        elif kind == "unit_cost":
            unit, value = "USD_per_GW", rng.randint(40, 60) * 10**9
    value_high = ""
    if qualifier == "range":
        value_high = value * 2
    return [f"fig-{i}", deal_id, party_id, from_party, to_party, flow, measure, value, value_high, unit, qualifier,
            "", period[0], period[1], "2024-12-01", source, f"about {value} {unit}", ""]


def generate(out: Path, rows: int, errors: int = 0, seed: int = 1, metric_mix: bool = False) -> dict:
    """Write the package; return {table: row count} and the injected defects."""
    rng = random.Random(seed)
    n_parties = max(10, rows // 200)
    n_deals = max(5, rows // 20)
    n_sources = max(5, rows // 100)
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    shutil.copytree(REPO / "schemas", out / "schemas")
    desc = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    desc["name"] = "aideals-synthetic"
    (out / "datapackage.json").write_text(json.dumps(desc, indent=1), encoding="utf-8")

    def writer(name: str, header: list[str]):
        fh = open(out / "data" / f"{name}.csv", "w", encoding="utf-8", newline="")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        return fh, w

    fh, w = writer("parties", ["party_id", "name", "kind", "country", "ticker", "parent_id", "wikidata", "note"])
    for i in range(n_parties):
        parent = f"party-{i - 1}" if i % 10 == 9 else ""
        w.writerow([f"party-{i}", f"Party {i}", KINDS[i % 4], "US", "", parent, f"Q{i + 1}", ""])
    fh.close()
    fh, w = writer("sources", ["source_id", "title", "publisher", "author", "published", "published_precision", "url", "language", "kind", "retrieved", "note"])
    for i in range(n_sources):
        w.writerow([f"source-{i}", f"Article {i}", "Daily", "", "2025-01-01", "day", f"https://example.org/{i}", "en", "news", "2026-01-01", ""])
    fh.close()
    fh, w = writer("deals", ["deal_id", "title", "kind", "announced", "date_precision", "status", "party_a", "party_b", "part_of", "source_id", "summary"])
    deal_parties = []
    for i in range(n_deals):
        a, b = i % n_parties, (i * 7 + 1) % n_parties
        if a == b:
            b = (b + 1) % n_parties
        deal_parties.append((a, b))
        w.writerow([f"deal-{i}", f"Deal {i}", "cloud_contract", "2024-12-01", "month", "signed", f"party-{a}", f"party-{b}", "", f"source-{i % n_sources}", f"Deal {i}, synthetic."])
    fh.close()
    every = rows // errors if errors else 0
    injected = []
    fh, w = writer("figures", ["figure_id", "deal_id", "party_id", "from_party", "to_party", "flow", "measure", "value", "value_high", "unit", "qualifier", "component", "period_start", "period_end", "as_of", "source_id", "quote", "note"])
    for i in range(rows):
        d = i % n_deals
        a, b = deal_parties[d]
        if (i // n_deals) % 2:
            a, b = b, a
        if metric_mix:
            row = mixed_figure(i, d + i // n_deals, d, a, b, n_parties, n_sources, rng)
            value = row[7]
        else:
            value = rng.randint(1, 10**6) * 1000
            row = [f"fig-{i}", f"deal-{d}", "", f"party-{a}", f"party-{b}", "cash", "amount", value, "", "USD", "exact",
                   "", "", "", "2024-12-01", f"source-{d % n_sources}", f"about {value} dollars", ""]
        if every and i % every == every // 2 and len(injected) < errors:
            field, check = DEFECTS[len(injected) % len(DEFECTS)]
            if field == "as_of":
                row[14] = "2025-02-30"
            elif field == "to_party":
                row[4] = "nobody"
            else:
                row[8], row[10] = value - 1, "range"
            injected.append({"row": i + 2, "field": field, "check": check})
        w.writerow(row)
    fh.close()
    (out / "injected.json").write_text(json.dumps(injected, indent=1), encoding="utf-8")
    return {"parties": n_parties, "sources": n_sources, "deals": n_deals, "figures": rows, "injected": injected}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--errors", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--metric-mix", action="store_true", help="figures of every kind the built-in metrics use")
    args = ap.parse_args()
    info = generate(args.out, args.rows, args.errors, args.seed, args.metric_mix)
    print(json.dumps({k: v for k, v in info.items() if k != "injected"}))


if __name__ == "__main__":
    main()
