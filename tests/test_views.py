"""The release views figures_resolved, flows and consensus, row by row on a small fixture package."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT
from fixture_packages import connect_with, make_package

from aideals import db, package


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    pkg = package.load(make_package(tmp_path_factory.mktemp("views") / "pkg"))
    con = db.connect_memory(pkg)
    yield con
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()




def test_flows_has_one_row_per_deal_direction_flow_and_measure(con):
    assert rows(
        con,
        "SELECT deal_id, from_party, to_party, flow, measure, unit, value_low, value_high, n_figures, n_sources,"
        " figure_ids, from_name, to_name, qualifiers FROM flows ORDER BY ALL",
    ) == [
        ("alpha-beta", "alpha", "beta", "cash", "amount", "USD", 100.0, 100.0, 2, 2,
         ["cash-one", "cash-two"], "Alpha", "Beta", ["exact", "up_to"]),
        ("alpha-beta", "beta", "alpha", "chips", "amount", "USD", 250.0, 300.0, 1, 1,
         ["chips-cost-one"], "Beta", "Alpha", ["range"]),
        ("alpha-beta", "beta", "alpha", "chips", "power", "GW", 1.0, 1.0, 2, 2,
         ["chips-one", "chips-two"], "Beta", "Alpha", ["exact"]),
    ]  # fmt: skip


def test_flows_leave_out_durations_and_figures_without_direction(con):
    figure_ids = {f for (ids,) in rows(con, "SELECT figure_ids FROM flows") for f in ids}
    assert "term-one" not in figure_ids  # a 7-year term is not a flow of 7
    assert "valuation-two" not in figure_ids  # flow none, no parties
    assert "revenue-one" not in figure_ids


def test_consensus_flags_values_periods_and_qualifiers_that_differ_between_sources(con):
    P = dt.date
    assert rows(
        con,
        "SELECT deal_id, party_id, measure, flow, from_party, to_party, unit, period_start, period_end,"
        " value_min, value_max, n_figures, n_sources, sources_disagree, source_ids, figure_ids, qualifiers,"
        " qualifiers_differ FROM consensus ORDER BY ALL",
    ) == [
        ("alpha-beta", None, "amount", "cash", "alpha", "beta", "USD", None, None, 100.0, 100.0, 2, 2,
         False, ["one", "two"], ["cash-one", "cash-two"], ["exact", "up_to"], True),
        ("alpha-beta", None, "amount", "chips", "beta", "alpha", "USD", None, None, 250.0, 300.0, 1, 1,
         False, ["one"], ["chips-cost-one"], ["range"], False),
        ("alpha-beta", None, "duration", "cash", "alpha", "beta", "years", None, None, 7.0, 7.0, 1, 1,
         False, ["one"], ["term-one"], ["exact"], False),
        # same 1 GW, but H1 against H2 2026: the sources disagree on the period
        ("alpha-beta", None, "power", "chips", "beta", "alpha", "GW", None, None, 1.0, 1.0, 2, 2,
         True, ["one", "two"], ["chips-one", "chips-two"], ["exact"], False),
        ("alpha-beta", None, "valuation", "none", None, None, "USD", None, None, 1000.0, 1000.0, 1, 1,
         False, ["two"], ["valuation-two"], ["approximately"], False),
        # party-level facts are grouped by period: H1 revenue 10 against 12 disagree...
        (None, "gamma", "revenue", "none", None, None, "USD", P(2025, 1, 1), P(2025, 6, 30), 10.0, 12.0, 2, 2,
         True, ["one", "two"], ["revenue-one", "revenue-two"], ["exact"], False),
        # ...while the annual revenue is a different fact, not a third opinion
        (None, "gamma", "revenue", "none", None, None, "USD", None, None, 30.0, 30.0, 1, 1,
         False, ["two"], ["revenue-year-two"], ["more_than"], False),
    ]  # fmt: skip


PARTS = """\
site-a-one,alpha-beta,,,,none,power,1,,GW,exact,site,,,,one,site A 1 GW,
site-b-one,alpha-beta,,,,none,power,2,,GW,exact,site,,,,one,site B 2 GW,
site-a-two,alpha-beta,,,,none,power,1,,GW,exact,site,,,,two,site A 1 GW,
capex-a-one,alpha-beta,,,,none,amount,10,,USD,exact,capex,,,,one,capex 10 here,
capex-b-one,alpha-beta,,,,none,amount,20,,USD,exact,capex,,,,one,capex 20 there,
tranche-one,alpha-beta,,,,none,amount,5,,USD,exact,tranche,,,,one,a tranche of 5,
tranche-two,alpha-beta,,,,none,amount,6,,USD,exact,tranche,,,,two,une tranche de 6,
"""


def test_consensus_cannot_tell_when_one_of_several_sources_gives_several_parts(tmp_path):
    """A component can name several parts of a deal (two sites): when one source gives two values
    of it, the values of another source are not a second opinion, and sources_disagree is NULL.
    One source alone never disagrees; two sources giving one differing value each do. The report's
    restricted query of disagreements agrees with the view."""
    from aideals import report

    with connect_with(tmp_path, figures=PARTS) as parts_con:
        assert rows(
            parts_con,
            "SELECT component, value_min, value_max, n_sources, sources_disagree FROM consensus"
            " WHERE component IS NOT NULL ORDER BY component",
        ) == [
            ("capex", 10.0, 20.0, 1, False),
            ("site", 1.0, 2.0, 2, None),
            ("tranche", 5.0, 6.0, 2, True),
        ]
        ids = [r[0] for r in rows(parts_con, "SELECT figure_id FROM figures ORDER BY figure_id")]
        restricted = parts_con.execute(report.DISAGREEMENTS_SQL, [ids]).fetchall()
        full = parts_con.execute(
            "SELECT figure_ids FROM consensus WHERE sources_disagree AND list_has_any(figure_ids, ?)"
            " ORDER BY figure_ids",
            [ids],
        ).fetchall()
        assert restricted == full
        assert [["tranche-one", "tranche-two"]] == [r[0] for r in full if r[0][0].startswith("tranche")]


NOTES = """\
notes-2030-one,alpha-beta,,alpha,beta,cash,amount,7,,USD,exact,tranche,,,,one,notes due 2030 of 7,
notes-2032-one,alpha-beta,,alpha,beta,cash,amount,7,,USD,exact,tranche,,,,one,notes due 2032 of 7,
notes-two,alpha-beta,,alpha,beta,cash,amount,10,,USD,exact,tranche,,,,two,notes of 10,
shares-two,alpha-beta,,alpha,beta,equity,amount,4,,USD,exact,tranche,,,,two,shares of 4,
"""


def test_a_source_giving_two_equal_parts_gives_parts_not_an_opinion(tmp_path):
    """Two series of notes of 7 each from one source, against 10 of notes from another: one figure
    per number a source states, so the first source's two figures are two parts, and whether the
    sources disagree cannot be told (NULL), though both of its values are equal."""
    from aideals import report

    with connect_with(tmp_path, figures=NOTES) as notes_con:
        assert rows(
            notes_con,
            "SELECT flow, value_min, value_max, n_figures, n_sources, sources_disagree FROM consensus"
            " WHERE component = 'tranche' ORDER BY flow",
        ) == [("cash", 7.0, 10.0, 3, 2, None), ("equity", 4.0, 4.0, 1, 1, False)]
        ids = [r[0] for r in rows(notes_con, "SELECT figure_id FROM figures ORDER BY figure_id")]
        assert not [r for r in notes_con.execute(report.DISAGREEMENTS_SQL, [ids]).fetchall() if "notes-two" in r[0]]
        # money raised is one whole across cash and equity: alpha's stated 100 in cash (the fixture's
        # whole figures) covers the equity tranche, which does not become a flow of its own
        assert rows(
            notes_con,
            "SELECT flow, value_low, value_high, components FROM flows"
            " WHERE from_party = 'alpha' AND measure = 'amount' ORDER BY flow",
        ) == [("cash", 100.0, 100.0, None)]


def test_an_umbrellas_cash_total_covers_its_parts_equity(tmp_path):
    """A deal that is part of another (`part_of`) is counted in its umbrella when the umbrella states
    the whole of the same flow; money raised is one flow across `cash` and `equity`, so Alpha's
    stated 100 in cash covers the part's 50 in equity, in `flows` (counted_in_parent) and in
    `figures_counted`, while the part's chips, a flow the umbrella does not state as a whole in
    that direction, stay counted."""
    deal = ("alpha-beta-first,Alpha's first tranche in Beta,equity_investment,2025-09-01,day,closed,"
            "alpha,beta,alpha-beta,one,The first tranche of Alpha's investment.\n")
    figures = ("first-equity-one,alpha-beta-first,,alpha,beta,equity,amount,50,,USD,exact,,,,,one,a first 50,\n"
               "first-chips-one,alpha-beta-first,,alpha,beta,chips,amount,20,,USD,exact,,,,,one,chips for 20,\n")
    with connect_with(tmp_path, figures=figures, deals=deal) as part_con:
        assert rows(
            part_con,
            "SELECT flow, value_high, counted_in_parent FROM flows WHERE deal_id = 'alpha-beta-first' ORDER BY flow",
        ) == [("chips", 20.0, False), ("equity", 50.0, True)]
        counted = {r[0] for r in rows(part_con, "SELECT figure_id FROM figures_counted")}
        assert "first-equity-one" not in counted and "first-chips-one" in counted


def test_a_deal_two_levels_down_is_counted_in_the_umbrella_above_its_umbrella(tmp_path):
    """An umbrella's umbrella states the whole too (a national programme, one of its tenders, one
    award of that tender): the award's figure of the same flow is already counted two levels up,
    in `figures_counted` and in `flows`, even when the middle deal states nothing of that flow. A
    cycle of `part_of` (which the data does not have) would not make the views loop."""
    deals = ("alpha-beta-tender,A tender under Alpha's programme,partnership,2025-09-01,day,closed,"
             "alpha,beta,alpha-beta,one,A tender.\n"
             "alpha-beta-award,An award of that tender,equity_investment,2025-09-01,day,closed,"
             "alpha,beta,alpha-beta-tender,one,An award.\n")
    figures = "award-one,alpha-beta-award,,alpha,beta,equity,amount,30,,USD,exact,,,,,one,an award of 30,\n"
    with connect_with(tmp_path, figures=figures, deals=deals) as con:
        counted = {r[0] for r in rows(con, "SELECT figure_id FROM figures_counted")}
        assert "award-one" not in counted
        assert rows(con, "SELECT counted_in_parent FROM flows WHERE deal_id = 'alpha-beta-award'") == [(True,)]
        con.execute("UPDATE deals SET part_of = 'alpha-beta-award' WHERE deal_id = 'alpha-beta'")  # a cycle
        assert rows(con, "SELECT count(*) FROM figures_counted WHERE figure_id = 'award-one'") == [(0,)]


def test_power_stated_whole_in_gw_covers_its_parts_in_mw(tmp_path):
    """Power has two units: a whole in GW is the flow, and a tranche of it in MW no longer stands
    beside it as a flow of its own (which a sum converted to GW would count twice); a part deal's
    MW of the same flow is counted in its umbrella's GW."""
    deal = ("alpha-beta-site,A site of Alpha's deal,partnership,2025-09-01,day,signed,"
            "alpha,beta,alpha-beta,one,A site.\n")
    figures = ("chips-first-mw,alpha-beta,,beta,alpha,chips,power,200,,MW,exact,first-tranche,,,,one,a first 200 MW,\n"
               "site-power-mw,alpha-beta-site,,beta,alpha,chips,power,300,,MW,exact,,,,,one,300 MW at the site,\n")
    with connect_with(tmp_path, figures=figures, deals=deal) as con:
        assert rows(con, "SELECT deal_id, unit, value_low, components, counted_in_parent FROM flows "
                         "WHERE measure = 'power' ORDER BY deal_id") == [
            ("alpha-beta", "GW", 1.0, None, False),
            ("alpha-beta-site", "MW", 300.0, None, True),
        ]
        counted = {r[0] for r in rows(con, "SELECT figure_id FROM figures_counted")}
        assert "site-power-mw" not in counted and "chips-one" in counted


def test_a_cycle_of_part_of_does_not_hide_a_deals_own_flows(tmp_path):
    """Validation refuses a cycle of part_of (no_cycle_in_deal_part_of); the views still never
    take a deal for its own umbrella: a flow only one deal of the cycle states stays counted."""
    deals = ("gamma-one,Gamma's first deal,partnership,2025-09-01,day,signed,alpha,beta,gamma-two,one,One.\n"
             "gamma-two,Gamma's second deal,partnership,2025-09-01,day,signed,alpha,beta,gamma-one,one,Two.\n")
    figures = "gamma-chips,gamma-one,,beta,alpha,chips,amount,7,,USD,exact,,,,,one,chips for 7,\n"
    with connect_with(tmp_path, figures=figures, deals=deals) as con:
        assert rows(con, "SELECT count(*) FROM figures_counted WHERE figure_id = 'gamma-chips'") == [(1,)]
        assert rows(con, "SELECT counted_in_parent FROM flows WHERE deal_id = 'gamma-one'") == [(False,)]


def test_a_cancelled_deal_is_not_counted_and_its_parts_count_alone(tmp_path):
    """Money of a deal that was called off never changed hands: `figures_counted` leaves its
    figures out, and `flows` says the deal's status. A cancelled umbrella no longer covers its
    parts, so a part that went ahead counts on its own."""
    deals = ("gamma-beta,Gamma's called-off offer for Beta,acquisition,2025-09-01,day,cancelled,"
             "gamma,beta,,one,Gamma's offer for Beta was rejected.\n"
             "gamma-beta-first,A first tranche that went ahead,equity_investment,2025-09-01,day,closed,"
             "gamma,beta,gamma-beta,one,The part of Gamma's plan that was carried out.\n")
    figures = ("offer-one,gamma-beta,,gamma,beta,equity,amount,800,,USD,exact,,,,,one,an 800 offer,\n"
               "first-one,gamma-beta-first,,gamma,beta,equity,amount,50,,USD,exact,,,,,one,a first 50,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as con:
        counted = {r[0] for r in rows(con, "SELECT figure_id FROM figures_counted")}
        assert "offer-one" not in counted and "first-one" in counted
        assert rows(
            con,
            "SELECT deal_id, value_high, counted_in_parent, deal_status FROM flows"
            " WHERE from_party = 'gamma' ORDER BY deal_id",
        ) == [("gamma-beta", 800.0, False, "cancelled"), ("gamma-beta-first", 50.0, False, "closed")]


def test_a_superseded_deal_is_not_counted_beside_the_deal_that_records_it_again(tmp_path):
    """An earlier report of a transaction the package records again as another deal (`superseded`,
    naming that deal in part_of) is counted once: its figures leave `figures_counted`, even those
    stating the flow with another payer than the later record's, and `deals_counted` leaves it out;
    `flows` keeps it, with its status. `--confirmed-only` leaves it out as well."""
    from aideals import metrics

    deals = ("gamma-beta-talks,Gamma's reported round in Beta,funding_round,2025-09-01,day,superseded,"
             "gamma,beta,gamma-beta-round,one,Talks reported and later closed as gamma-beta-round.\n"
             "gamma-beta-round,Beta's round led by Gamma,funding_round,2026-01-01,day,closed,"
             "gamma,beta,,one,The round closed.\n")
    figures = ("talks-one,gamma-beta-talks,,gamma,beta,equity,amount,20,,USD,exact,,,,,one,talks of 20,\n"
               "talks-unnamed,gamma-beta-talks,,,beta,cash,amount,20,,USD,exact,,,,,one,a round of 20,\n"
               "round-one,gamma-beta-round,,gamma,beta,equity,amount,20,,USD,exact,,,,,one,a round of 20,\n")
    counted_sql = "SELECT figure_id FROM figures_counted WHERE figure_id IN ('talks-one', 'talks-unnamed', 'round-one')"
    with connect_with(tmp_path, figures=figures, deals=deals) as con:
        assert "gamma-beta-talks" not in {r[0] for r in rows(con, "SELECT deal_id FROM deals_counted")}
        assert rows(con, counted_sql) == [("round-one",)]
        assert rows(
            con,
            "SELECT deal_id, value_high, counted_in_parent, deal_status FROM flows"
            " WHERE from_party = 'gamma' ORDER BY deal_id",
        ) == [("gamma-beta-round", 20.0, False, "closed"), ("gamma-beta-talks", 20.0, True, "superseded")]
        metrics.count_confirmed_only(con)
        assert rows(con, counted_sql) == [("round-one",)]
        assert "gamma-beta-talks" not in {r[0] for r in rows(con, "SELECT deal_id FROM deals_counted")}


def test_confirmed_only_leaves_out_rumoured_deals_and_a_rumoured_umbrella_covers_no_part(tmp_path):
    """`deals_counted` is every deal but the cancelled ones. metrics.count_confirmed_only replaces
    it for one connection by the deals neither cancelled nor rumoured: the rumoured umbrella's
    figure leaves `figures_counted`, and its part, which it covered, then counts on its own (in
    `flows` too); another connection to the same database still counts the rumoured deal."""
    from aideals import metrics

    deals = ("delta-beta,Delta's reported plan for Beta,equity_investment,2025-09-01,day,rumoured,"
             "delta,beta,,one,The press reported Delta's plan.\n"
             "delta-beta-first,A first tranche that Delta announced,equity_investment,2025-09-01,day,announced,"
             "delta,beta,delta-beta,one,Delta announced a first tranche.\n")
    figures = ("plan-one,delta-beta,,delta,beta,equity,amount,800,,USD,exact,,,,,one,an 800 plan,\n"
               "tranche-one,delta-beta-first,,delta,beta,equity,amount,50,,USD,exact,,,,,one,a first 50,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as con:
        everything = {r[0] for r in rows(con, "SELECT deal_id FROM deals")}
        cancelled = {r[0] for r in rows(con, "SELECT deal_id FROM deals WHERE status = 'cancelled'")}
        assert {r[0] for r in rows(con, "SELECT deal_id FROM deals_counted")} == everything - cancelled
        counted_sql = "SELECT figure_id FROM figures_counted WHERE figure_id IN ('plan-one', 'tranche-one')"
        flows_sql = "SELECT deal_id, counted_in_parent FROM flows WHERE from_party = 'delta' ORDER BY deal_id"
        assert rows(con, counted_sql) == [("plan-one",)]
        assert rows(con, flows_sql) == [("delta-beta", False), ("delta-beta-first", True)]
        other = con.cursor()
        metrics.count_confirmed_only(con)
        assert {r[0] for r in rows(con, "SELECT deal_id FROM deals_counted")} == everything - cancelled - {"delta-beta"}
        assert rows(con, counted_sql) == [("tranche-one",)]
        assert rows(con, flows_sql) == [("delta-beta", False), ("delta-beta-first", False)]
        assert rows(other, counted_sql) == [("plan-one",)]


def test_figures_resolved_spells_out_deal_parties_and_source(con):
    assert rows(
        con,
        "SELECT figure_id, deal_title, deal_party_a, deal_party_b, party_name, from_name, to_name,"
        " source_title, source_publisher, source_published, source_language, source_kind, quote"
        " FROM figures_resolved ORDER BY figure_id",
    ) == [
        ("cash-one", "Alpha invests in Beta", "alpha", "beta", None, "Alpha", "Beta",
         "First report", "Daily", dt.date(2025, 10, 1), "en", "news", "invests 100"),
        ("cash-two", "Alpha invests in Beta", "alpha", "beta", None, "Alpha", "Beta",
         "Second report", "Weekly", dt.date(2025, 10, 1), "fr", "news", "jusqu'à 100"),
        ("chips-cost-one", "Alpha invests in Beta", "alpha", "beta", None, "Beta", "Alpha",
         "First report", "Daily", dt.date(2025, 10, 1), "en", "news", "250 to 300 of chips"),
        ("chips-one", "Alpha invests in Beta", "alpha", "beta", None, "Beta", "Alpha",
         "First report", "Daily", dt.date(2025, 10, 1), "en", "news", "1 GW in H1 2026"),
        ("chips-two", "Alpha invests in Beta", "alpha", "beta", None, "Beta", "Alpha",
         "Second report", "Weekly", dt.date(2025, 10, 1), "fr", "news", "1 GW au S2 2026"),
        ("revenue-one", None, None, None, "Gamma", None, None,
         "First report", "Daily", dt.date(2025, 10, 1), "en", "news", "revenue of 10"),
        ("revenue-two", None, None, None, "Gamma", None, None,
         "Second report", "Weekly", dt.date(2025, 10, 1), "fr", "news", "revenus de 12"),
        ("revenue-year-two", None, None, None, "Gamma", None, None,
         "Second report", "Weekly", dt.date(2025, 10, 1), "fr", "news", "plus de 30 par an"),
        ("term-one", "Alpha invests in Beta", "alpha", "beta", None, "Alpha", "Beta",
         "First report", "Daily", dt.date(2025, 10, 1), "en", "news", "over seven years"),
        ("valuation-two", "Alpha invests in Beta", "alpha", "beta", None, None, None,
         "Second report", "Weekly", dt.date(2025, 10, 1), "fr", "news", "valorisée 1000"),
    ]  # fmt: skip


def test_figures_resolved_keeps_every_figure_and_every_column(con):
    figures = [c for (c,) in rows(con, "SELECT column_name FROM (DESCRIBE figures)")]
    resolved = [c for (c,) in rows(con, "SELECT column_name FROM (DESCRIBE figures_resolved)")]
    assert set(figures) <= set(resolved)
    assert rows(con, "SELECT count(*) FROM figures_resolved") == rows(con, "SELECT count(*) FROM figures")


def test_repository_consensus_finds_the_known_disagreements():
    con = db.connect_memory(package.load(ROOT))
    found = dict(
        ((subject, measure), (disagree, differ))
        for subject, measure, disagree, differ in rows(
            con,
            "SELECT coalesce(deal_id, party_id), measure, bool_or(sources_disagree), bool_or(qualifiers_differ)"
            " FROM consensus GROUP BY ALL",
        )
    )
    # Rows may be added to the data; these disagreements must stay visible. Whether the sources
    # disagree on Nvidia's $100B is left open: its first $10B tranche still sits beside the total.
    assert found["nvidia-openai-2025", "amount"][1] is True  # "up to $100B" against "$100B"
    assert found["microsoft-openai-2019-2023", "amount"][1] is True  # "$13B", "about $13B", "more than $13B"
    assert found["google-anthropic-investment", "amount"][0] is True  # a first $300M against $550M
    # OpenAI's commitments to three cloud providers (about $600B) are a sum of its deals, not a
    # second opinion on its total commitments (about a trillion, on the same days)
    assert found["openai", "commitments_total"][0] is False
    # Anthropic's annualized revenue of about $875M and of $14B, neither dated by its page: two
    # values that may be two dates' facts, so whether they disagree cannot be told
    assert rows(
        con,
        "SELECT value_min, value_max, n_sources, sources_disagree FROM consensus WHERE party_id = 'anthropic'"
        " AND measure = 'revenue' AND component = 'run-rate' AND as_of IS NULL AND period_end IS NULL",
    ) == [(875000000.0, 14000000000.0, 2, None)]


# The columns each view's row of README's table names in plain words (its grain), not in backticks.
GRAIN_COLUMNS = {
    "flows": {"deal_id", "flow", "measure", "unit"},
    "consensus": {"deal_id", "party_id", "measure", "flow", "unit", "component", "as_of"},
}


@pytest.mark.parametrize("view", sorted(GRAIN_COLUMNS))
def test_readme_names_every_column_of_the_view(con, view):
    """README's table of views names every column of `flows` and `consensus`, so that a column
    added to a view cannot go undocumented."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith(f"| `{view}` |")]
    columns = [r[0] for r in rows(con, f"DESCRIBE {view}")]
    assert [c for c in columns if c not in GRAIN_COLUMNS[view] and f"`{c}`" not in row] == []
    assert GRAIN_COLUMNS[view] <= set(columns)
