"""The seed articles: every quote taken from them occurs in them, and their main facts are present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def seed_table(seeds: Path) -> dict[str, dict[str, str]]:
    """url -> {file, published} from the table in SOURCES.md."""
    out = {}
    for line in (seeds / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith(".txt"):
            out[cells[3]] = {"file": cells[0], "published": cells[2]}
    return out


@pytest.fixture(scope="module")
def seed_sources(tables, seeds):
    by_url = seed_table(seeds)
    return {s["source_id"]: by_url[s["url"]] for s in tables["sources"] if s["url"] in by_url}


def test_all_five_seed_articles_are_sources(seed_sources):
    assert len(seed_sources) == 5


def test_seed_sources_carry_the_dates_of_sources_md(tables, seed_sources):
    got = {s["source_id"]: (s["published"], s["published_precision"]) for s in tables["sources"] if s["source_id"] in seed_sources}
    assert got == {
        "hyperai-2025-10-altman-new-deals": ("2025-10-08", "approximate"),
        "cafetech-2025-10-07-meccano-capitalistique": ("2025-10-07", "day"),
        "nikareklama-2025-openai-financial-tightrope": ("", ""),
        "blognt-2025-11-04-openai-revenue-bg2": ("2025-11-04", "day"),
        "developpez-2025-11-05-openai-aws-contract": ("2025-11-05", "day"),
    }


def test_every_quote_from_a_seed_occurs_verbatim_in_it(tables, seeds, seed_sources):
    texts = {sid: normalize((seeds / info["file"]).read_text(encoding="utf-8")) for sid, info in seed_sources.items()}
    seed_figures = [f for f in tables["figures"] if f["source_id"] in texts]
    assert len(seed_figures) >= 30
    missing = [f["figure_id"] for f in seed_figures if normalize(f["quote"]) not in texts[f["source_id"]]]
    assert missing == []


def test_seed_sources_are_french(tables, seed_sources):
    assert {s["language"] for s in tables["sources"] if s["source_id"] in seed_sources} == {"fr"}


# The main facts of the seed articles: (deal or party, measure, from, to, value, value_high, unit, qualifier).
SEED_FACTS = [
    ("amd-openai-2025", "equity_stake", "amd", "openai", 10, None, "percent", "up_to"),
    ("amd-openai-2025", "power", "amd", "openai", 1, None, "GW", "exact"),
    ("amd-openai-2025", "power", "amd", "openai", 5, None, "GW", "exact"),
    ("nvidia-openai-2025", "amount", "nvidia", "openai", 100e9, None, "USD", "up_to"),
    ("nvidia-openai-2025", "amount", "openai", "nvidia", 350e9, None, "USD", "approximately"),
    ("microsoft-openai-2019-2023", "amount", "microsoft", "openai", 13e9, None, "USD", "approximately"),
    ("coreweave-openai-contracts", "amount", "openai", "coreweave", 22e9, None, "USD", "more_than"),
    ("coreweave-openai-contracts", "amount", "coreweave", "openai", 350e6, None, "USD", "exact"),
    ("softbank-openai-2025", "amount", "", "openai", 40e9, None, "USD", "exact"),  # the round SoftBank led, co-investors included
    ("g42-uae-datacenter", "amount", "", "", 20e9, None, "USD", "exact"),
    ("oracle-openai-2025", "amount", "openai", "oracle", 300e9, None, "USD", "exact"),
    ("aws-openai-2025", "amount", "openai", "aws", 38e9, None, "USD", "exact"),
    ("aws-openai-2025", "duration", "openai", "aws", 7, None, "years", "exact"),
    ("microsoft-openai-recapitalization-2025", "amount", "openai", "microsoft", 250e9, None, "USD", "exact"),
    ("microsoft-openai-recapitalization-2025", "equity_stake", "openai", "microsoft", 27, None, "percent", "approximately"),
    ("microsoft-openai-recapitalization-2025", "valuation", "", "", 135e9, None, "USD", "approximately"),
    ("nvidia-intel-2025", "amount", "nvidia", "intel", 5e9, None, "USD", "exact"),
    ("openai", "revenue", "", "", 4.3e9, None, "USD", "exact"),
    ("openai", "net_loss", "", "", 13.5e9, None, "USD", "exact"),
    ("openai", "commitments_total", "", "", 1e12, None, "USD", "more_than"),
    ("nvidia", "unit_cost", "", "", 50e9, 60e9, "USD_per_GW", "range"),
]


def _as_fact(f: dict[str, str]):
    return (
        f["deal_id"] or f["party_id"],
        f["measure"],
        f["from_party"],
        f["to_party"],
        float(f["value"]),
        float(f["value_high"]) if f["value_high"] else None,
        f["unit"],
        f["qualifier"],
    )


@pytest.mark.parametrize("fact", SEED_FACTS, ids=[f"{f[0]}-{f[1]}-{f[4]:g}" for f in SEED_FACTS])
def test_main_seed_fact_is_a_figure(tables, seed_sources, fact):
    facts = {_as_fact(f) for f in tables["figures"] if f["source_id"] in seed_sources}
    assert tuple(float(x) if isinstance(x, (int, float)) and x is not None else x for x in fact) in facts


def test_the_first_amd_gigawatt_is_dated_to_h1_2026_by_cafetech(tables):
    row = next(f for f in tables["figures"] if f["figure_id"] == "amd-openai-2025-power-first-tranche-cafetech")
    assert (row["period_start"], row["period_end"], row["value"]) == ("2026-01-01", "2026-06-30", "1")
