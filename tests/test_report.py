"""The HTML report: its data, its escaping, its determinism and its command (no browser here)."""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest

from aideals import db, package, report
from aideals.cli import main
from aideals.versioning import unreleased_changes
from conftest import FIXTURES, ROOT
from fixture_packages import connect_with, make_package

BUILT_AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
HOSTILE_NAME = (
    """SoftBank </script><script>window.__pwned=1</script> "quoted" 'single' & <img src=x onerror="window.__pwned=2">"""
)


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    """The seed articles' data frozen in tests/fixtures/seed: the exact values below depend on it."""
    return make_package(tmp_path_factory.mktemp("seed") / "pkg", FIXTURES / "seed")


@pytest.fixture()
def con(seed_root):
    connection = db.connect_memory(package.load(seed_root))
    yield connection
    connection.close()


class Scripts(HTMLParser):
    """Collects the <script> elements of a page with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def parse(page: str) -> Scripts:
    parser = Scripts()
    parser.feed(page)
    return parser


def payload(page: str) -> dict:
    (data,) = [text for attrs, text in parse(page).scripts if attrs.get("id") == "report-data"]
    return json.loads(data)


def test_values_are_written_in_their_units():
    assert report.format_value(100e9, "USD") == "$100B"
    assert report.format_value(1.4e12, "USD") == "$1.4T"
    assert report.format_value(350e6, "USD") == "$350M"
    assert report.format_value(10, "percent") == "10 %"
    assert report.format_value(4.5, "GW") == "4.5 GW"
    assert report.format_value(1.2e9, "EUR") == "1.2B EUR"
    assert report.format_value(72.5e9, "JPY") == "72.5B JPY"
    assert report.format_stated(500e6, 600e6, "GBP", "range") == "500M–600M GBP"
    assert report.format_stated(50e9, 60e9, "USD_per_GW", "range") == "$50B–$60B per GW"
    assert report.format_stated(100e9, None, "USD", "up_to") == "up to $100B"
    assert report.format_stated(13e9, None, "USD", "exact") == "$13B"
    # an exact figure keeps its stated digits (20.258 % was shown as 20.26 %)
    assert report.format_stated(20.258, None, "percent", "exact") == "20.258 %"
    assert report.format_value(0.004, "percent") == "0.004 %"
    assert report.format_value(1234.5678, "MW") == "1,234.5678 MW"
    assert report.format_value(2e-7, "GW") == "2e-07 GW"
    assert report.format_value(1.23456e9, "USD") == "$1.23B"  # scaled values keep two decimals
    assert report.format_date(date(2025, 10, 1), "month") == "2025-10"
    assert report.format_date(date(2025, 9, 23), "approximate") == "about 2025-09-23"
    assert report.format_date(date(2019, 1, 1), "year") == "2019"
    assert report.format_date(date(2025, 9, 23), "day") == "2025-09-23"
    assert report.format_date(None, "day") == ""


def test_cycles_are_the_nodes_of_strongly_connected_components():
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f"), ("f", "e")]
    assert report.cycle_nodes(["a", "b", "c", "d", "e", "f"], edges) == {"a", "b", "c", "e", "f"}
    assert report.cycle_nodes(["a", "b"], [("a", "b")]) == set()


def test_the_largest_group_of_parties_fills_the_middle_and_the_small_groups_ring_it():
    hub = [("hub", f"leaf{i:02d}") for i in range(12)] + [("leaf00", "leaf01")]
    pairs = [("p1", "q1"), ("q2", "p2"), ("r1", "r2"), ("r2", "r3")]  # groups of 2, 2 and 3
    nodes = sorted({n for edge in hub + pairs for n in edge})
    pos = report.packed_layout(nodes, hub + pairs)
    assert pos == report.packed_layout(list(nodes), list(hub + pairs))  # deterministic
    assert set(pos) == set(nodes)
    radii = [min(0.2, 0.06 * math.sqrt(size / 2), 0.4 * 2 * math.pi / 3) for size in (3, 2, 2)]
    reach = 0.92 - max(radii)
    main = [n for n in nodes if n == "hub" or n.startswith("leaf")]
    # the 13 parties of the large group use the disc inside the ring, out to its edge
    assert max(math.hypot(*pos[n]) for n in main) == pytest.approx(reach, abs=1e-3)
    # the small groups sit on the unit ring, largest first at the top, then clockwise
    centres = [(0.0, 1.0), (math.cos(math.pi / 2 - 2 * math.pi / 3), math.sin(math.pi / 2 - 2 * math.pi / 3)),
               (math.cos(math.pi / 2 - 4 * math.pi / 3), math.sin(math.pi / 2 - 4 * math.pi / 3))]
    for members, (cx, cy), radius in zip((["r1", "r2", "r3"], ["p1", "q1"], ["p2", "q2"]), centres, radii):
        for n in members:
            assert math.hypot(pos[n][0] - cx, pos[n][1] - cy) <= radius * math.sqrt(2) + 1e-3, n
            assert math.hypot(*pos[n]) > reach  # clear of the large group
    # one group alone is laid out as before
    assert report.packed_layout(["a", "b", "c"], [("a", "b"), ("b", "c")]) == report.spring_layout(
        ["a", "b", "c"], [("a", "b"), ("b", "c")]
    )
    assert report.packed_layout([], []) == {}


def test_long_party_names_are_cut_in_the_network_labels_and_whole_in_the_hover(con):
    long_name = "Underwriters of a very long bond sale named in full by the sources"
    con.execute("UPDATE parties SET name = ? WHERE party_id = 'openai'", [long_name])
    data = payload(report.render_html(con, version="0.1.0", built_at=BUILT_AT))
    (nodes,) = [t for t in data["network"]["data"] if t["meta"]["role"] == "nodes"]
    i = nodes["customdata"].index("openai")
    assert nodes["text"][i] == "Underwriters of a very long bon…"
    assert len(nodes["text"][i]) == 32
    assert nodes["hovertext"][i].startswith(f"<b>{long_name}</b> (openai)")


def test_network_draws_one_edge_per_flow_and_one_node_per_party_with_flows(con):
    data = report.collect(con)
    fig = report.network_figure(data)
    edges = [t for t in fig["data"] if t["meta"]["role"] == "edge"]
    flows = con.execute("SELECT from_party, to_party, flow FROM flows ORDER BY ALL").fetchall()
    assert sorted((t["meta"]["from"], t["meta"]["to"], t["meta"]["kind"]) for t in edges) == flows
    (nodes,) = [t for t in fig["data"] if t["meta"]["role"] == "nodes"]
    assert nodes["customdata"] == [
        "amd",
        "aws",
        "coreweave",
        "intel",
        "microsoft",
        "nvidia",
        "openai",
        "oracle",
        "softbank",
    ]
    # A contract's duration (OpenAI-Oracle's term) is not a flow: 13 flows, one edge each.
    assert fig["summary"] == {
        "n_nodes": 9,
        "n_flows": 13,
        "n_edges": 13,
        "aggregated": False,
        "n_cycle_nodes": 4,
        "n_cycle_nodes_drawn": 4,
        "labelled": 9,
    }


def test_the_network_leaves_out_the_flows_of_a_cancelled_deal(tmp_path):
    """A deal called off moved no money: its flow is drawn as no arrow and counts in no total."""
    deals = ("beta-alpha-buyback,Beta's called-off buy-back from Alpha,acquisition,2025-10-01,day,cancelled,"
             "beta,alpha,,one,Beta's offer to buy back Alpha's stake was withdrawn.\n")
    figures = ("buyback-one,beta-alpha-buyback,,beta,alpha,equity,amount,90,,USD,exact,,,,,one,offer of 90,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        data = report.collect(connection)
        assert [f["deal_id"] for f in data["flows"] if f["deal_id"] == "beta-alpha-buyback"] == []
        assert data["totals"]["report_flows"] == connection.execute(
            "SELECT count(*) FROM flows WHERE deal_status <> 'cancelled'").fetchone()[0] == 3
        # Contents counts the release's flows view, the called-off deal's flow with the others
        assert data["totals"]["flows"] == connection.execute("SELECT count(*) FROM flows").fetchone()[0] == 4
        fig = report.network_figure(data)
        assert fig["summary"]["n_flows"] == 3 and fig["summary"]["n_cycle_nodes"] == 2
        # its figure stays in the table, the deal's status beside its title
        assert [r["deal"] for r in report.figure_rows(data) if r["id"] == "buyback-one"] == [
            "Beta's called-off buy-back from Alpha (cancelled)"]


def test_the_network_draws_a_superseded_deal_once_as_the_deal_that_records_it_again(tmp_path):
    """An earlier report recorded again as another deal (`superseded`) is no arrow of its own: its
    flow is the later deal's; its figure stays in the table with its status beside its title."""
    deals = ("beta-alpha-talks,Beta's reported buy-back from Alpha,acquisition,2025-09-01,day,superseded,"
             "beta,alpha,beta-alpha-done,one,Talks reported and later recorded as beta-alpha-done.\n"
             "beta-alpha-done,Beta's buy-back from Alpha,acquisition,2025-10-01,day,closed,"
             "beta,alpha,,one,Beta bought back Alpha's stake.\n")
    figures = ("talks-one,beta-alpha-talks,,beta,alpha,equity,amount,90,,USD,exact,,,,,one,talks of 90,\n"
               "done-one,beta-alpha-done,,beta,alpha,equity,amount,90,,USD,exact,,,,,one,bought for 90,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        data = report.collect(connection)
        drawn = sorted(f["deal_id"] for f in data["flows"] if f["deal_id"].startswith("beta-alpha"))
        assert drawn == ["beta-alpha-done"]
        assert data["totals"]["flows"] - data["totals"]["report_flows"] == 1
        assert [r["deal"] for r in report.figure_rows(data) if r["id"] == "talks-one"] == [
            "Beta's reported buy-back from Alpha (superseded)"]


def test_a_part_counted_in_its_umbrella_is_drawn_but_not_added_to_the_totals(tmp_path):
    """A deal's flow that its umbrella deal states too (counted_in_parent) is drawn, and its hover
    says so, but the parties' totals count that money once, in the umbrella's flow; a flow its
    sources give only as a ceiling reads "up to", one stated only in parts says so."""
    deals = ("alpha-beta-first,Alpha's first tranche in Beta,equity_investment,2025-09-01,day,closed,"
             "alpha,beta,alpha-beta,one,The first tranche.\n"
             "beta-alpha-loan,Beta lends to Alpha,funding_round,2025-09-01,day,signed,"
             "beta,alpha,,one,A loan in two tranches.\n")
    figures = ("first-one,alpha-beta-first,,alpha,beta,equity,amount,50,,USD,exact,,,,,one,a first 50,\n"
               "loan-a,beta-alpha-loan,,beta,alpha,cash,amount,10,,USD,exact,first-tranche,,,,one,first 10,\n"
               "loan-b,beta-alpha-loan,,beta,alpha,cash,amount,30,,USD,up_to,later-tranches,,,,one,then up to 30,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        fig = report.network_figure(report.collect(connection))
        texts = [t["hovertext"][0] for t in fig["data"] if t["meta"]["role"] == "edge"]
        hover = {deal: next(h for h in texts if h.startswith(f"<b>{title}</b>")) for deal, title in (
            ("alpha-beta-first", "Alpha's first tranche in Beta"), ("alpha-beta", "Alpha invests in Beta"),
            ("beta-alpha-loan", "Beta lends to Alpha"))}
        (nodes,) = [t for t in fig["data"] if t["meta"]["role"] == "nodes"]
        alpha = nodes["hovertext"][nodes["customdata"].index("alpha")]
        assert "Pays or gives: at most $100<br>" in alpha  # the umbrella's 100, not 100 + 50
        assert "Part of a larger deal that states this flow too" in hover["alpha-beta-first"]
        assert "Part of a larger deal" not in hover["alpha-beta"]
        assert "Amount: in parts (first-tranche, later-tranches), from $10 to $30<br>" in hover["beta-alpha-loan"]
        rows = {r["id"]: r for r in report.figure_rows(report.collect(connection))}
        assert (rows["loan-a"]["what"], rows["cash-one"]["what"]) == ("cash · amount (first-tranche)", "cash · amount")


def test_an_aggregated_edge_counts_a_part_of_its_umbrella_once(tmp_path, monkeypatch):
    """At scale the flows of one kind between two parties are one edge whose hover adds their
    dollars: a flow its umbrella deal states too is that money again, counted once."""
    deals = ("alpha-beta-first,Alpha's first tranche in Beta,equity_investment,2025-09-01,day,closed,"
             "alpha,beta,alpha-beta,one,The first tranche.\n"
             "alpha-beta-more,Alpha invests again in Beta,equity_investment,2025-10-01,day,closed,"
             "alpha,beta,,one,Another round.\n")
    figures = ("first-one,alpha-beta-first,,alpha,beta,cash,amount,50,,USD,exact,,,,,one,a first 50,\n"
               "more-one,alpha-beta-more,,alpha,beta,cash,amount,7,,USD,up_to,,,,,one,up to 7 more,\n")
    monkeypatch.setattr(report, "EDGE_TRACE_LIMIT", 0)
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        fig = report.network_figure(report.collect(connection))
        assert fig["summary"]["aggregated"] is True
        hovers = [h for t in fig["data"] if t["meta"]["role"] == "arrows" for h in t["hovertext"]]
        (edge,) = [h for h in hovers if h.startswith("<b>Alpha → Beta</b> · cash")]
        # the umbrella's 100 and the other deal's up to 7: not 157 with the umbrella's tranche
        assert edge.split("<br>")[1:3] == [
            "3 flows, at most $107 in all",
            "1 of them part of a larger deal that states them too: counted there once",
        ]
        # the table under the chart gives the same
        (row,) = [e for e in fig["edges"] if (e.source, e.target, e.kind) == ("alpha", "beta", "cash")]
        assert (row.amount, row.usd, row.note) == (
            "3 flows, at most $107 in all", 107, "1 of them part of a larger deal that states them too: counted there once")
        assert row.deals == ("Alpha invests again in Beta", "Alpha invests in Beta", "Alpha's first tranche in Beta")


def test_shares_given_for_a_payment_are_not_value_coming_back(tmp_path):
    """A purchase of shares is money one way and shares the other: one deal's two sides, not a
    cycle. Only money makes a cycle (the halo, the count of parties on a cycle)."""
    deals = ("gamma-ipo,Gamma's listing,funding_round,2025-09-01,day,closed,alpha,gamma,,one,Alpha buys shares.\n")
    figures = ("ipo-money,gamma-ipo,,alpha,gamma,equity,amount,10,,USD,exact,,,,,one,pays 10,\n"
               "ipo-shares,gamma-ipo,,gamma,alpha,equity,shares,5,,shares,exact,,,,,one,5 shares,\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        fig = report.network_figure(report.collect(connection))
        haloed = {(tuple(t["x"]), tuple(t["y"])) for t in fig["data"] if t["meta"]["role"] == "cycle-halo"}
        on_cycle = sorted((t["meta"]["from"], t["meta"]["to"]) for t in fig["data"]
                          if t["meta"]["role"] == "edge" and (tuple(t["x"]), tuple(t["y"])) in haloed)
        assert fig["summary"]["n_cycle_nodes"] == 2  # alpha and beta, whose money goes both ways
        assert ("alpha", "gamma") not in on_cycle and ("gamma", "alpha") not in on_cycle


def test_an_amount_and_its_conversion_are_one_arrow(tmp_path):
    """A page's "€1.3 billion ($1.5 billion)" is two figures, and two rows of `flows` (one per
    unit), but one payment: one arrow, as wide as its dollars, its hover giving both."""
    deals = ("alpha-gamma,Alpha invests in Gamma,equity_investment,2025-09-01,day,closed,alpha,gamma,,one,In euros.\n")
    figures = ("ag-eur,alpha-gamma,,alpha,gamma,equity,amount,1300,,EUR,exact,,,,,one,€1.3k ($1.5k),\n"
               "ag-usd,alpha-gamma,,alpha,gamma,equity,amount,1500,,USD,approximately,,,,,one,€1.3k ($1.5k),\n")
    with connect_with(tmp_path, figures=figures, deals=deals) as connection:
        assert connection.execute("SELECT count(*) FROM flows WHERE deal_id = 'alpha-gamma'").fetchone()[0] == 2
        fig = report.network_figure(report.collect(connection))
        edges = [t for t in fig["data"] if t["meta"]["role"] == "edge" and t["meta"]["to"] == "gamma"]
        assert len(edges) == 1
        hover = edges[0]["hovertext"][0]
        assert "Amount: 1,300 EUR<br>" in hover and "Amount: about $1,500<br>" in hover
        assert fig["summary"]["n_flows"] == fig["summary"]["n_edges"] + 1


def test_flows_that_come_back_are_haloed(con):
    fig = report.network_figure(report.collect(con))
    traces = fig["data"]
    # a halo names its edge's kind (report.js hides it with the kind) and is in no legend group
    by_curve = {(tuple(t["x"]), tuple(t["y"])): t["legendgroup"] for t in traces if t["meta"]["role"] == "edge"}
    halos = [t for t in traces if t["meta"]["role"] == "cycle-halo"]
    assert [t["meta"]["kind"] == by_curve[(tuple(t["x"]), tuple(t["y"]))] for t in halos] == [True] * 6
    assert [t.get("legendgroup") for t in halos] == [None] * 6
    # A halo follows the same curve as the edge it lies under.
    haloed = {(tuple(t["x"]), tuple(t["y"])) for t in traces if t["meta"]["role"] == "cycle-halo"}
    on_cycle = {
        (t["meta"]["from"], t["meta"]["to"])
        for t in traces
        if t["meta"]["role"] == "edge" and (tuple(t["x"]), tuple(t["y"])) in haloed
    }
    assert on_cycle == {
        ("coreweave", "openai"),
        ("openai", "coreweave"),
        ("microsoft", "openai"),
        ("openai", "microsoft"),
        ("nvidia", "openai"),
        ("openai", "nvidia"),
    }


def test_edge_hover_shows_deal_amount_qualifier_and_source(con):
    fig = report.network_figure(report.collect(con))
    (edge,) = [
        t
        for t in fig["data"]
        if t["meta"]["role"] == "edge" and t["meta"]["from"] == "nvidia" and t["meta"]["to"] == "openai"
    ]
    assert edge["hovertext"][0] == (
        "<b>Nvidia–OpenAI strategic partnership and investment</b><br>"
        "Nvidia → OpenAI · cash (amount)<br>"
        "Amount: $100B<br>"
        "• up to $100B (up to) — Cafétech, 2025-10-07<br>"
        "• up to $100B (up to) — HyperAI, about 2025-10-08<br>"
        "• $100B (exact) — nikareklama.com.ua"
    )


def test_many_flows_are_aggregated_by_party_pair_and_kind(con, monkeypatch):
    # A second cash flow from Microsoft to OpenAI, in another deal: two flows, one edge.
    con.execute(
        "INSERT INTO figures (figure_id, deal_id, from_party, to_party, flow, measure, value, unit, qualifier,"
        " source_id, quote) VALUES ('extra-cash', 'microsoft-openai-recapitalization-2025', 'microsoft', 'openai',"
        " 'cash', 'amount', 1e9, 'USD', 'exact', 'hyperai-2025-10-altman-new-deals', 'extra')"
    )
    monkeypatch.setattr(report, "EDGE_TRACE_LIMIT", 5)
    fig = report.network_figure(report.collect(con))
    groups = [t for t in fig["data"] if t["meta"]["role"] == "edge-group"]
    assert sum(t["meta"]["n_flows"] for t in groups) == 14
    pairs = con.execute("SELECT count(*) FROM (SELECT DISTINCT from_party, to_party, flow FROM flows)").fetchone()[0]
    assert sum(t["meta"]["n_edges"] for t in groups) == pairs == 13
    assert fig["summary"]["aggregated"] is True
    assert len(groups) < pairs
    # 13 arrows, fewer than the 300 drawn at most: all shown, none waiting behind the legend
    assert report._summary_text(fig["summary"]).startswith(
        "9 parties and 14 flows drawn; drawn as 13 arrows (flows of one kind between two parties added up), all shown;")
    monkeypatch.setattr(report, "SHOWN_EDGES", 5)
    assert "of which the 5 largest are shown (the legend and the Show boxes show the others)" in report._summary_text(
        report.network_figure(report.collect(con))["summary"])


def test_the_unit_filter_lists_the_units_most_used_first(con):
    units = payload(report.render_html(con, version="0.1.0", built_at=BUILT_AT))["units"]
    expected = con.execute(
        "SELECT coalesce(unit, '') AS u, count(*) AS n FROM figures GROUP BY u ORDER BY n DESC, u").fetchall()
    assert [(u["unit"], u["n"]) for u in units] == expected
    assert units[0]["unit"] == "USD" and sum(u["n"] for u in units) == 32


def test_the_network_as_a_table_lists_the_arrows_largest_first(con, monkeypatch):
    data = report.collect(con)
    fig = report.network_figure(data)
    rows = report.flows_table_rows(fig["edges"], data["names"])
    assert len(rows) == len(fig["edges"]) == 13
    assert [(e.source, e.target, e.kind, e.amount, e.on_cycle) for e in rows[:3]] == [
        ("openai", "nvidia", "chips", "about $350B", True),
        ("openai", "oracle", "compute", "$300B", False),
        ("openai", "microsoft", "cloud_services", "$250B", True),
    ]
    # flows with no dollar amount last
    assert [e.usd is None for e in rows] == sorted(e.usd is None for e in rows)
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    table = page.split('<details class="flows" id="flows-list">')[1].split("</details>")[0]
    assert "<summary>The network as a table: 13 arrows</summary>" in table
    assert table.count("<tr><td>") == 13
    assert ("<tr><td>OpenAI</td><td>Nvidia</td><td>chips</td><td>about $350B</td>"
            "<td>Nvidia–OpenAI strategic partnership and investment</td><td>yes</td></tr>") in table
    monkeypatch.setattr(report, "FLOW_TABLE_LIMIT", 2)
    table = report.render_html(con, version="0.1.0", built_at=BUILT_AT).split('id="flows-list">')[1]
    assert table.split("</details>")[0].count("<tr><td>") == 2
    assert ('<p class="note">The 2 largest of 13 arrows; the flows view of the release has every flow (aideals '
            'query).</p>') in table


def test_the_parties_as_a_table_give_what_the_nodes_hover_texts_give(con):
    data = report.collect(con)
    fig = report.network_figure(data)
    (nodes,) = [t for t in fig["data"] if t["meta"]["role"] == "nodes"]
    hover = dict(zip(nodes["customdata"], nodes["hovertext"]))
    assert len(fig["parties"]) == len(nodes["customdata"]) == 9
    for p in fig["parties"]:
        assert f"Pays or gives: {p['pays_words']}<br>" in hover[p["party"]]
        assert f"Receives: {p['receives_words']}" in hover[p["party"]]
        assert hover[p["party"]].split("<br>")[1] == f"{p['flows']} flows"
    totals = [p["pays"] + p["receives"] for p in fig["parties"]]
    assert totals == sorted(totals, reverse=True)  # the largest first
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    table = page.split('<details class="flows" id="parties-list">')[1].split("</details>")[0]
    # Nvidia pays exact and "up to" amounts (a ceiling); it receives "about $350B" of chips
    assert ("<tr><td>Nvidia</td><td>at most $105B</td><td>about $350B</td><td class=\"num\">3</td>"
            "<td>yes</td></tr>") in table
    # OpenAI's payments include a flow stated as a floor or in parts: their sum is no ceiling, and says so
    assert "<tr><td>OpenAI</td><td>$960B, not a ceiling (a flow is a floor or in parts)</td>" in table
    # a party with no flow in dollars, and one whose dollars include a floor ("more than"), say so
    by_party = {p["party"]: p for p in fig["parties"]}
    assert by_party["amd"]["pays_words"] == by_party["amd"]["receives_words"] == "none in US dollars"
    assert table.count("<tr><td>") == 9


def test_the_timeline_as_a_table_lists_the_dated_deals_latest_first(con):
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    table = page.split('<details class="flows" id="dated-list">')[1].split("</details>")[0]
    assert "<summary>The timeline as a table: 6 deals</summary>" in table
    dated = con.execute(
        "SELECT title FROM deals WHERE announced IS NOT NULL ORDER BY announced DESC, deal_id DESC").fetchall()
    rows = re.findall(r"<tr><td class=\"num\">([^<]*)</td><td>([^<]*)</td>", table)
    assert [html.unescape(title) for _, title in rows] == [t for (t,) in dated]
    assert len(rows) == 6 and (rows[0][0], rows[1][0]) == ("2025-10-06", "2025-10")  # as precise as the source


def test_timeline_of_deals_at_the_ends_of_the_calendar(con):
    """A deal of December 9999 (month precision) or of 1 January of the year 1 failed the page
    (`year 10000 is out of range`, `date value out of range`), from any release: the timeline
    runs from the first day Python holds to the last."""
    con.execute("UPDATE deals SET announced = DATE '9999-12-01', date_precision = 'month' WHERE deal_id = 'amd-openai-2025'")
    con.execute("UPDATE deals SET announced = DATE '0001-01-01', date_precision = 'day' WHERE deal_id = 'nvidia-openai-2025'")
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert payload(page)["timeline"]["layout"]["xaxis"]["range"] == ["0001-01-01", "9999-12-31"]
    assert report._period(date(9999, 12, 1), "month") == (date(9999, 12, 1), date(9999, 12, 31))


def test_dollars_adding_up_beyond_the_largest_number(con):
    """Valid figures of $1.7e308 (the largest double is 1.8e308) failed the page of their build:
    a party's total is then infinite, and its node's size was NaN, which JSON cannot hold. The
    largest totals get the largest nodes, and the total reads `$inf`."""
    con.execute("UPDATE figures SET value = 1.7e308, value_high = NULL WHERE unit = 'USD'")
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    (nodes,) = [t for t in payload(page)["network"]["data"] if t.get("mode") == "markers+text"]
    assert max(nodes["marker"]["size"]) == 44 and all(10 <= size <= 44 for size in nodes["marker"]["size"])
    assert "$inf" in page
    assert report.format_value(math.inf, "USD") == "$inf"
    assert report.format_value(-math.inf, "GW") == "-inf GW"


def test_timeline_places_dated_deals_and_lists_the_others_apart(con):
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    timeline = payload(page)["timeline"]
    points = {t["meta"]["precision"]: len(t["x"]) for t in timeline["data"] if t["meta"]["role"] == "deals"}
    assert points == {"day": 1, "approximate": 1, "month": 1, "year": 3}
    # A year-only date sits mid-year with a bar over the whole year.
    (years,) = [t for t in timeline["data"] if t["meta"].get("precision") == "year"]
    assert "2019-07-02" in years["x"]
    undated = page.split('<ul class="undated" id="undated-deals">')[1].split("</ul>")[0]
    assert undated.count("<li>") == 7
    assert "<strong>OpenAI–Oracle cloud computing contract</strong>" in undated


def test_figures_table_marks_disagreements_and_keeps_sources(con):
    rows = {r["id"]: r for r in payload(report.render_html(con, version="0.1.0", built_at=BUILT_AT))["figures"]}
    assert len(rows) == 32
    # about a trillion against about $600B, both undated facts of OpenAI: whether they disagree
    # cannot be told (`consensus` has NULL), so neither is marked (the synthetic package of
    # test_disagreements_of_the_shown_figures_match_null_keys_as_group_by_does has marked ones)
    assert rows["openai-commitments-total-blognt"]["disagree_with"] == []
    assert rows["openai-commitments-total-developpez"]["disagree_with"] == []
    assert rows["amd-openai-2025-equity-stake-hyperai"]["disagree_with"] == []
    row = rows["nvidia-openai-2025-amount-cafetech"]
    assert row["url"] == "https://cafetech.fr/2025/10/07/comment-lia-est-devenue-un-gigantesque-meccano-capitalistique/"
    assert row["quote"] == "un investissement pouvant aller jusqu’à 100 milliards de dollars"
    assert row["lang"] == "fr"
    assert row["parties"] == ["nvidia", "openai"]


def test_a_figure_of_a_whole_deal_is_found_under_the_deals_parties(con):
    deal, party_a, party_b = con.execute(
        "SELECT deal_id, party_a, party_b FROM deals WHERE deal_id = 'amd-openai-2025'"
    ).fetchone()
    con.execute(
        "UPDATE figures SET party_id = NULL, from_party = NULL, to_party = NULL, flow = 'none' "
        "WHERE figure_id = (SELECT min(figure_id) FROM figures WHERE deal_id = ?)",
        [deal],
    )
    (figure_id,) = con.execute("SELECT min(figure_id) FROM figures WHERE deal_id = ?", [deal]).fetchone()
    data = payload(report.render_html(con, version="0.1.0", built_at=BUILT_AT))
    (row,) = [r for r in data["figures"] if r["id"] == figure_id]
    assert (party_a, party_b) == ("amd", "openai")
    assert row["parties"] == ["amd", "openai"]
    assert row["who"] == "AMD · OpenAI (deal)"
    assert {"amd", "openai"} <= {p["id"] for p in data["parties"]}
    # a figure naming one end of a payment shows that end
    con.execute("UPDATE figures SET to_party = 'openai', flow = 'cash' WHERE figure_id = ?", [figure_id])
    (row,) = [r for r in payload(report.render_html(con, version="0.1.0", built_at=BUILT_AT))["figures"] if r["id"] == figure_id]
    assert row["who"] == "→ OpenAI"


def test_hostile_text_stays_text(con):
    con.execute("UPDATE parties SET name = ? WHERE party_id = 'softbank'", [HOSTILE_NAME])
    con.execute(
        "UPDATE sources SET url = 'javascript:alert(1)', publisher = ? WHERE source_id = 'hyperai-2025-10-altman-new-deals'",
        [HOSTILE_NAME],
    )
    page = report.render_html(con, version="0.1.0</title><script>x()</script>", built_at=BUILT_AT)
    parsed = parse(page)
    assert [attrs for attrs, _ in parsed.scripts] == [{}, {"type": "application/json", "id": "report-data"}, {}]
    assert parsed.tags.count("img") == 0
    assert "</script><script>window.__pwned" not in page
    assert "<title>aideals 0.1.0&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;: the money going round</title>" in page
    data = payload(page)
    (softbank,) = [p for p in data["parties"] if p["id"] == "softbank"]
    assert softbank["name"] == HOSTILE_NAME
    assert all(r["url"] is None for r in data["figures"] if r["source_id"] == "hyperai-2025-10-altman-new-deals")
    (nodes,) = [t for t in data["network"]["data"] if t["meta"]["role"] == "nodes"]
    # plotly reads its labels as HTML-like text: the name must arrive entity-escaped.
    assert nodes["text"][nodes["customdata"].index("softbank")].startswith("SoftBank &lt;/script&gt;&lt;script&gt;")


def test_line_and_paragraph_separators_are_escaped_in_the_page_s_data(con):
    """U+2028 and U+2029 end a line in JavaScript source: in the page's data they are written as
    escapes, whatever text a name holds, and read back as the characters."""
    assert report.json_for_script({"b": "x\u2028y\u2029</script>&"}) == (
        '{"b":"x\\u2028y\\u2029\\u003c/script\\u003e\\u0026"}'
    )
    con.execute("UPDATE parties SET name = ? WHERE party_id = 'softbank'", ["Soft\u2028Bank\u2029Group"])
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    (text,) = [text for attrs, text in parse(page).scripts if attrs.get("id") == "report-data"]
    assert '{"id":"softbank","name":"Soft\\u2028Bank\\u2029Group"}' in text
    assert ("\u2028" in text, "\u2029" in text) == (False, False)
    (softbank,) = [p for p in json.loads(text)["parties"] if p["id"] == "softbank"]
    assert softbank == {"id": "softbank", "name": "Soft\u2028Bank\u2029Group"}


def test_metric_values_link_to_their_input_figures(con):
    con.execute(
        "INSERT INTO metrics VALUES ('cost_per_gigawatt', 'deal', 'amd-openai-2025', 50e9, 60e9, 'USD_per_GW', "
        "['amd-openai-2025-equity-stake-cafetech', 'nvidia-unit-cost-per-gw-hyperai'], 'a <b>note</b>', 'range', "
        "'builtin')"
    )
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert (
        '<a href="#figures" class="figure-link" data-figure-ids="amd-openai-2025-equity-stake-cafetech '
        'nvidia-unit-cost-per-gw-hyperai" title="Show the 2 input figures">$50B–$60B per GW</a>'
    ) in page
    assert "<td>AMD–OpenAI GPU supply agreement with AMD warrants</td>" in page
    assert "<td>a &lt;b&gt;note&lt;/b&gt;</td>" in page


def test_a_metric_that_is_a_bound_says_so(con):
    con.execute(
        "INSERT INTO metrics VALUES ('vendor_financing_ratio', 'pair', 'nvidia/openai', 3.5, NULL, 'ratio', "
        "['nvidia-openai-2025-amount-cafetech', 'nvidia-openai-2025-gpu-purchases-cafetech'], NULL, 'at_least', "
        "'builtin')"
    )
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert 'title="Show the 2 input figures">at least 3.5 ratio</a>' in page
    assert "<td>pair</td><td>Nvidia / OpenAI</td>" in page


def test_a_metric_whose_bounds_push_both_ways_is_not_called_estimated(con):
    """A result's `estimate` is a value its inputs' bounds push both ways, not a number anyone
    estimated (plugins/README.md): the page said "estimated 1 ratio"."""
    con.execute(
        "INSERT INTO metrics VALUES ('vendor_financing_ratio', 'pair', 'nvidia/openai', 1, NULL, 'ratio', "
        "['nvidia-openai-2025-amount-cafetech', 'nvidia-openai-2025-gpu-purchases-cafetech'], NULL, 'estimate', "
        "'builtin')"
    )
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert 'title="Show the 2 input figures">1 ratio (may be lower or higher)</a>' in page
    assert "estimated 1 ratio" not in page


def test_a_cycle_metric_names_its_parties_in_order_back_to_the_first(con):
    con.execute(
        "INSERT INTO metrics VALUES ('circularity', 'cycle', 'openai/amd', 100, NULL, 'percent', "
        "['amd-openai-2025-equity-stake-cafetech'], NULL, 'up_to', 'builtin')"
    )
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert "<td>cycle</td><td>OpenAI → AMD → OpenAI</td>" in page


def test_empty_metrics_table_says_so(con):
    assert "No metrics in this release yet" in report.render_html(con, version="0.1.0", built_at=BUILT_AT)


def test_same_input_and_build_date_give_the_same_bytes(con, tmp_path):
    a = report.write_report(con, tmp_path / "a.html", version="0.1.0", built_at=BUILT_AT)
    b = report.write_report(con, tmp_path / "b.html", version="0.1.0", built_at=BUILT_AT)
    assert a.read_bytes() == b.read_bytes()
    c = report.write_report(
        con, tmp_path / "c.html", version="0.1.0", built_at=datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    assert a.read_bytes() != c.read_bytes()
    assert '<dd id="built-at">2026-11-23T12:00:00Z</dd>' in a.read_text(encoding="utf-8")


def test_contents_counts_the_rows_of_each_table_of_the_release(con):
    # a source cited by a deal and by no figure is one of the release's sources all the same
    con.execute(
        "INSERT INTO sources (source_id, title, publisher, published_precision, url, language, kind, retrieved) "
        "SELECT 'only-a-deal-cites-it', 'T', 'P', NULL, NULL, 'en', 'news', DATE '2026-11-23'"
    )
    con.execute("UPDATE deals SET source_id = 'only-a-deal-cites-it' WHERE deal_id = (SELECT min(deal_id) FROM deals)")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("parties", "deals", "figures", "sources", "metrics")}
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert (
        f"<dt>Contents</dt><dd>{counts['parties']} parties, {counts['deals']} deals, {counts['figures']} figures, "
        f"{counts['sources']} sources, "
    ) in page
    assert con.execute("SELECT count(DISTINCT source_id) FROM figures").fetchone()[0] < counts["sources"]


def test_the_page_cites_the_release_of_its_year_whatever_the_build_date(con):
    """A release made in 2025 and rebuilt in 2027 is still cited as of 2025, as `aideals cite` does."""
    descriptor = {"title": "aideals test", "created": "2025-03-01T00:00:00Z", "contributors": [{"title": "Ada"}]}
    page = report.render_html(con, version="1.0.0", built_at=datetime(2027, 3, 1, tzinfo=timezone.utc),
                              descriptor=descriptor)
    assert "(2025)" in page and "year = {2025}" in page and "(2027)" not in page


def test_page_needs_nothing_from_outside(con):
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert 'src="http' not in page and "<link" not in page
    assert len([s for s in parse(page).scripts if "Plotly" in s[1]]) >= 1
    # plotly's "Share chart" button would upload the chart to Plotly's cloud: the charts have none
    assert "showSendToCloud: false" in page and '"sendDataToCloud"' in page


def test_command_writes_the_report_from_the_package(tmp_path, capsys):
    out = tmp_path / "r.html"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--package", str(ROOT), "--out", str(out), "--built-at", "2026-11-23T00:00:00+00:00"])
    assert exc.value.code == 0
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    # the repository's own version, or X.Y.Z+unreleased when its data changed since tag vX.Y.Z
    # (tests/test_unreleased.py checks that rule on packages of its own)
    version = descriptor["version"] + ("+unreleased" if unreleased_changes(ROOT, descriptor) else "")
    assert f"wrote {out} (release {version}, from the package in {ROOT})" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert f'<dd id="release-version">{version}</dd>' in page
    # the metrics a build would hold, computed by the repository's plugins, not an empty table
    con = db.connect_memory(package.load(ROOT))
    try:
        from aideals import metrics

        expected = len(metrics.populate(con, package.load(ROOT)).results)
    finally:
        con.close()
    assert expected > 50
    assert f", {expected:,} metrics</dd>" in page
    assert page.count('class="figure-link"') == expected


def test_command_reads_a_release_database_with_its_descriptor(tmp_path, capsys):
    dist = tmp_path / "dist"
    dist.mkdir()
    import duckdb

    with duckdb.connect(str(dist / "aideals.duckdb")) as release:
        db.load(release, package.load(ROOT))
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "9.9.9"
    (dist / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(dist / "aideals.duckdb"), "--built-at", "2026-11-23"])
    assert exc.value.code == 0
    assert f"(release 9.9.9, from {dist / 'aideals.duckdb'})" in capsys.readouterr().out
    assert '<dd id="release-version">9.9.9</dd>' in (dist / "report.html").read_text(encoding="utf-8")


def test_command_reads_a_database_within_the_memory_limit_spilling_outside_it(tmp_path, monkeypatch, capsys):
    """`report --db` opened the database with DuckDB's defaults: 80% of the memory, and a spill
    directory beside the database (inside a release: dist/aideals.duckdb.tmp/)."""
    import tempfile

    import duckdb

    dist = tmp_path / "dist"
    dist.mkdir()
    with duckdb.connect(str(dist / "aideals.duckdb")) as release:
        db.load(release, package.load(ROOT))
    seen = []
    original = db.connect_readonly

    def spy(path, limits=None):
        con = original(path, limits)
        seen.append(con.execute("SELECT current_setting('temp_directory'), current_setting('memory_limit')").fetchone())
        return con

    monkeypatch.setattr(db, "connect_readonly", spy)
    monkeypatch.setenv("AIDEALS_MEMORY_LIMIT", "300MB")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(dist / "aideals.duckdb"), "--out", str(tmp_path / "r.html"), "--built-at", "2026-11-23"])
    assert exc.value.code == 0, capsys.readouterr().err
    [(spill, memory)] = seen
    assert memory == "286.1 MiB"
    assert os.path.dirname(spill) == os.path.realpath(tempfile.gettempdir())
    assert os.path.basename(spill).startswith("aideals-report-") and not os.path.exists(spill)
    assert sorted(p.name for p in dist.iterdir()) == ["aideals.duckdb"]


def test_command_prefers_the_built_release_found_under_the_package(tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(ROOT / "datapackage.json", pkg)
    shutil.copytree(ROOT / "data", pkg / "data")
    shutil.copytree(ROOT / "schemas", pkg / "schemas")
    import duckdb

    (pkg / "dist").mkdir()
    with duckdb.connect(str(pkg / "dist" / "aideals.duckdb")) as release:
        db.load(release, package.load(pkg))
    monkeypatch.chdir(pkg)
    with pytest.raises(SystemExit) as exc:
        main(["report", "--built-at", "2026-11-23"])
    assert exc.value.code == 0
    assert f"from {pkg / 'dist' / 'aideals.duckdb'})" in capsys.readouterr().out
    assert (pkg / "dist" / "report.html").is_file()


def test_command_rejects_a_missing_database_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(tmp_path / "none.duckdb")])
    assert exc.value.code == 2
    assert (
        capsys.readouterr().err
        == f"aideals: error: {tmp_path / 'none.duckdb'}: no such release database (run `aideals build` first)\n"
    )


def test_command_rejects_a_database_that_is_not_a_release(tmp_path, capsys):
    import duckdb

    with duckdb.connect(str(tmp_path / "other.duckdb")) as other:
        other.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(tmp_path / "other.duckdb"), "--out", str(tmp_path / "r.html")])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {tmp_path / 'other.duckdb'}: not an aideals release: it has no table or view named parties; "
        "no report was written\n"
    )
    assert not (tmp_path / "r.html").exists()


def _release_db(path, seed_root, *statements):
    """A release database of the seed package at `path` (tables, views, a metric row), then `statements` run on it."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        db.load(con, package.load(seed_root))
        con.execute("INSERT INTO metrics VALUES ('circularity', 'party', 'openai', 0.5, NULL, 'ratio', "
                    "['amd-openai-2025-equity-stake-hyperai'], NULL, NULL, 'test')")
        for statement in statements:
            con.execute(statement)
    return path


def _report_db(path, out):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(path), "--out", str(out), "--built-at", "2026-11-23"])
    return exc.value.code


@pytest.mark.parametrize(
    "statements, problem",
    [
        (["DROP TABLE metrics", "CREATE TABLE metrics (x INTEGER)"], "metrics has no column metric (and 8 more)"),
        (["CREATE OR REPLACE VIEW flows AS SELECT 1 AS x"], "flows has no column deal_id (and 14 more)"),
        (["DROP VIEW figures_resolved"], "it has no table or view named figures_resolved"),
        (["ALTER TABLE figures ALTER value TYPE VARCHAR"], "figures.value is VARCHAR, where a release has DOUBLE"),
        (["ALTER TABLE metrics RENAME TO metric_rows", "CREATE VIEW metrics AS SELECT * FROM metric_rows"],
         "metrics is a view, where a release has a table"),
    ],
    ids=["metrics-table", "flows-view", "no-view", "column-type", "metrics-view"],
)
def test_command_refuses_a_database_without_what_the_page_reads(tmp_path, seed_root, capsys, statements, problem):
    """A database whose tables or views lack a column the page reads, or have it with another type,
    was an internal error (exit 3) of several lines (DuckDB's binder error and its caret). Checked
    before the page is made: one line naming what is missing, exit 2."""
    path = _release_db(tmp_path / "alt.duckdb", seed_root, *statements)
    assert _report_db(path, tmp_path / "r.html") == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {path}: not an aideals release: {problem}; no report was written\n"
    )
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "statement, problem",
    [
        ("UPDATE figures SET value = 'NaN' WHERE figure_id LIKE 'amd-openai-2025-%'",
         "figures: figure_id 'amd-openai-2025-equity-stake-cafetech': value is nan, not a finite number (and 3 more rows)"),
        ("UPDATE metrics SET value_high = '-inf'", "metrics: metric 'circularity': value_high is -inf, not a finite number"),
        ("UPDATE metrics SET figure_ids = [NULL]", "metrics: metric 'circularity': figure_ids holds an empty item"),
        ("UPDATE parties SET name = NULL WHERE party_id = 'amd'", "parties: party_id 'amd': name is empty"),
        ("UPDATE deals SET announced = 'infinity' WHERE deal_id = 'amd-openai-2025'",
         "deals: deal_id 'amd-openai-2025': announced is infinity, not a date of the years 1 to 9999"),
        ("CREATE OR REPLACE VIEW flows AS SELECT * REPLACE (NULL::VARCHAR AS to_party) FROM figures_counted_flows",
         "flows: deal_id 'amd-openai-2025': to_party is empty (and 12 more rows)"),
    ],
    ids=["figure-nan", "metric-infinite", "metric-input", "party-name", "date", "flows-view"],
)
def test_command_refuses_a_database_whose_values_no_valid_release_holds(tmp_path, seed_root, capsys, statement, problem):
    """NaN values in a release database's figures were an internal error (exit 3): "cannot convert
    float NaN to integer". What the page cannot show (a number that is not finite, a date beyond
    the year 9999, no name) is refused as invalid data (exit 1), naming the table, row and column."""
    setup = ["ALTER VIEW flows RENAME TO figures_counted_flows"] if "figures_counted_flows" in statement else []
    path = _release_db(tmp_path / "alt.duckdb", seed_root, *setup, statement)
    assert _report_db(path, tmp_path / "r.html") == 1
    assert capsys.readouterr().err == (
        f"aideals: error: {path}: {problem}; a valid release holds no such value, no report was written\n"
    )
    assert not (tmp_path / "r.html").exists()


def test_command_says_in_one_line_that_a_database_fails_as_it_is_read(tmp_path, seed_root, capsys):
    """A view that fails on its rows (as a damaged block of the file does when it is read) was an
    internal error, on several lines: the database's fault, exit 2, one line."""
    path = _release_db(tmp_path / "alt.duckdb", seed_root, "ALTER TABLE parties RENAME TO parties_real",
                       "CREATE VIEW parties AS SELECT * REPLACE (CAST(name AS INTEGER)::VARCHAR AS name) FROM parties_real")
    assert _report_db(path, tmp_path / "r.html") == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {path}: cannot be reported: Conversion Error: Could not convert string 'OpenAI' to INT32 when casting "
        "from source column name; "
        "no report was written\n"
    )
    assert not (tmp_path / "r.html").exists()


def test_a_database_with_only_the_columns_the_page_reads_is_reported(tmp_path, seed_root, capsys):
    """report.REPORT_READS lists every column the page reads: a database holding those alone, as
    tables, makes the page (a column the page reads but the list lacks would fail here)."""
    import duckdb

    source = _release_db(tmp_path / "full.duckdb", seed_root)
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "datapackage.json").write_text('{"version": "1.2.3"}', encoding="utf-8")
    path = tmp_path / "bare" / "bare.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"ATTACH {db.quote_literal(str(source))} AS src (READ_ONLY)")
        for relation, columns in report.REPORT_READS.items():
            names = ", ".join(db.quote_ident(c.rstrip("!")) for c in columns) or "1 AS one"
            con.execute(f"CREATE TABLE {db.quote_ident(relation)} AS SELECT {names} FROM src.{db.quote_ident(relation)}")
    assert _report_db(path, tmp_path / "r.html") == 0
    assert capsys.readouterr() == (f"wrote {tmp_path / 'r.html'} (release 1.2.3, from {path})\n", "")
    assert 'OpenAI' in (tmp_path / "r.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "content, problem",
    [(b"{broken", ":1: not valid JSON: Expecting property name enclosed in double quotes"),
     (b"[1, 2]", ": must hold a JSON object, not list"),
     (b"\xff{}", ": not UTF-8 (byte 0)")],
    ids=["json", "list", "utf-8"],
)
def test_command_says_what_is_wrong_with_the_descriptor_beside_the_database(tmp_path, seed_root, capsys, content, problem):
    """A broken datapackage.json beside --db was an internal error (JSONDecodeError,
    AttributeError, UnicodeDecodeError): one line naming the file, exit 2."""
    path = _release_db(tmp_path / "aideals.duckdb", seed_root)
    (tmp_path / "datapackage.json").write_bytes(content)
    assert _report_db(path, tmp_path / "r.html") == 2
    assert capsys.readouterr().err == f"aideals: error: {tmp_path / 'datapackage.json'}{problem}\n"


def test_a_version_with_a_line_break_beside_the_database_stays_on_its_line(tmp_path, seed_root, capsys):
    """A datapackage.json beside --db whose version held a line break split the `wrote` line."""
    path = _release_db(tmp_path / "aideals.duckdb", seed_root)
    (tmp_path / "datapackage.json").write_text('{"version": "1.0.0\\nx"}', encoding="utf-8")
    assert _report_db(path, tmp_path / "r.html") == 0
    assert capsys.readouterr() == (f"wrote {tmp_path / 'r.html'} (release 1.0.0\\nx, from {path})\n", "")


def test_command_rejects_a_csv_given_as_the_database_saying_it_is_not_one(tmp_path, capsys):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal_id\nx\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(csv_file), "--out", str(tmp_path / "r.html")])
    assert (exc.value.code, capsys.readouterr().err) == (
        2, f"aideals: error: {csv_file}: not a DuckDB database (a release's aideals.duckdb, as `aideals build` writes, is one)\n")
    assert not (tmp_path / "r.html").exists()


def test_command_refuses_a_database_whose_view_reads_a_file_outside_it(tmp_path, seed_root, capsys):
    """A downloaded database whose `parties` view read a local file put the file into the page
    (report opened it with file access on, where query and metrics do not): refused, in one line,
    and nothing is written."""
    import duckdb

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN-abc123\n", encoding="utf-8")
    crafted = tmp_path / "crafted.duckdb"
    with duckdb.connect(str(crafted)) as con:
        db.load(con, package.load(seed_root))
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall()
        for (view,) in views:
            con.execute(f"DROP VIEW IF EXISTS {db.quote_ident(view)} CASCADE")
        con.execute("ALTER TABLE parties RENAME TO parties_real")
        con.execute(
            "CREATE VIEW parties AS SELECT * REPLACE ((SELECT content FROM read_text("
            f"{db.quote_literal(str(secret))})) AS name) FROM parties_real"
        )
        con.execute(db.views_sql())
    out = tmp_path / "out" / "r.html"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(crafted), "--out", str(out)])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {crafted}: refused: the database reads outside itself (Permission Error: Cannot access "
        f'file "{secret}" - file system operations are disabled by configuration); no report was written\n'
    )
    assert not out.parent.exists()


@pytest.fixture()
def release_dir(tmp_path, seed_root):
    """dist/9.8.7/ as `aideals release` writes it (zip, database, Parquet files, manifest,
    SHA256SUMS), for release 9.8.7 of 2031-05-04 of the seed package: no checkout is at that version."""
    from aideals import build, release

    root = tmp_path / "pkg"
    shutil.copytree(seed_root, root)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor.update(version="9.8.7", created="2031-05-04T00:00:00Z")
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    build.build(package.load(root), tmp_path / "build")
    out = tmp_path / "dist" / "9.8.7"
    release.assemble(tmp_path / "build", out, version="9.8.7", day=date(2031, 5, 4), commit="0" * 40,
                     toolkit_version="0.0.0")
    return out


def _files(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))}


@pytest.mark.parametrize("where", ["default", "in it", "below it"])
def test_command_never_writes_into_a_release_directory(release_dir, capsys, where):
    """`report --db dist/X.Y.Z/aideals-X.Y.Z.duckdb` wrote report.html beside the database, into the
    published release, which `aideals verify` then failed. Refused, by default and by --out."""
    from aideals import verify

    before = _files(release_dir)
    out = {"default": release_dir / "report.html", "in it": release_dir / "r.html",
           "below it": release_dir / "sub" / "r.html"}[where]
    args = ["report", "--db", str(release_dir / "aideals-9.8.7.duckdb"), "--built-at", "2026-12-07"]
    with pytest.raises(SystemExit) as exc:
        main(args if where == "default" else [*args, "--out", str(out)])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {out}: inside the release directory {release_dir} (it has release-manifest.json), "
        "which is never changed: write the report elsewhere with --out\n"
    )
    assert _files(release_dir) == before
    assert verify.verify(release_dir).ok


def _refused_in_a_download_folder(tmp_path, capsys, package_root) -> None:
    """`report --out` into a folder holding SHA256SUMS (a downloaded release) is refused in one
    line, before anything else is said, and the folder is left as it was."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "SHA256SUMS").write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--package", str(package_root), "--out", str(folder / "r.html")])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"aideals: error: {folder / 'r.html'}: inside the release directory {folder} (it has SHA256SUMS), "
        "which is never changed: write the report elsewhere with --out\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["SHA256SUMS"]


def test_a_folder_with_sha256sums_is_a_release_directory_too(tmp_path, capsys):
    _refused_in_a_download_folder(tmp_path, capsys, ROOT)


def test_a_refused_out_is_said_before_any_work_or_warning(tmp_path, capsys):
    """A package in a clone without tags is warned of (its changes cannot be detected); a refused
    --out was said after that warning and the work of reading the package (CI's tagless checkout
    saw the warning before the error)."""
    import os
    import subprocess

    from conftest import GIT_ENV

    root = make_package(tmp_path / "pkg")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "the release, its tag not fetched"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})
    _refused_in_a_download_folder(tmp_path, capsys, root)


@pytest.mark.parametrize("zipped", [True, False])
def test_the_report_of_a_release_names_its_version_not_the_checkout_s(release_dir, tmp_path, monkeypatch, capsys, zipped):
    """Run from a checkout of another version (this repository), the report of release 9.8.7 said
    the checkout's version. The version and year are the release's own: its manifest's, and the
    title and authors those of the datapackage.json in its zip (the manifest alone without it)."""
    monkeypatch.chdir(ROOT)
    if not zipped:
        (release_dir / "aideals-9.8.7.zip").unlink()
    db_path = release_dir / "aideals-9.8.7.duckdb"
    out = tmp_path / "r.html"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(db_path), "--out", str(out), "--built-at", "2026-12-07"])
    assert exc.value.code == 0
    assert capsys.readouterr() == (f"wrote {out} (release 9.8.7, from {db_path})\n", "")
    page = out.read_text(encoding="utf-8")
    assert '<dd id="release-version">9.8.7</dd>' in page
    checkout = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    title = checkout["title"] if zipped else "aideals"
    assert f"(2031). {html.escape(title, quote=False)} (Version 9.8.7) [Data set]." in page
    assert f"Version {checkout['version']}" not in page


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [('{"name": "aideals"}', "version: missing, so the release cannot be named; give the report another --db"),
     ("[1]", "must hold a JSON object, not list")],
)
def test_a_release_manifest_without_a_version_is_one_line(release_dir, tmp_path, capsys, manifest, problem):
    (release_dir / "release-manifest.json").write_text(manifest, encoding="utf-8")
    out = tmp_path / "r.html"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(release_dir / "aideals-9.8.7.duckdb"), "--out", str(out)])
    assert exc.value.code == 2
    assert capsys.readouterr().err == f"aideals: error: {release_dir / 'release-manifest.json'}: {problem}\n"
    assert not out.exists()


# Disagreements: only the consensus groups of the figures shown are computed ------------------------

FULL_VIEW_DISAGREEMENTS_SQL = (
    "SELECT figure_ids FROM consensus WHERE sources_disagree AND list_has_any(figure_ids, ?) ORDER BY figure_ids"
)


def both_answers(con, shown):
    return (
        con.execute(report.DISAGREEMENTS_SQL, [shown]).fetchall(),
        con.execute(FULL_VIEW_DISAGREEMENTS_SQL, [shown]).fetchall(),
    )


def test_disagreements_of_the_shown_figures_equal_the_consensus_views_on_the_repository_data():
    connection = db.connect_memory(package.load(ROOT))
    ids = [r[0] for r in connection.execute("SELECT figure_id FROM figures ORDER BY figure_id").fetchall()]
    restricted, full = both_answers(connection, ids)
    assert restricted == full
    assert len(full) >= 10  # the data has disagreements to find
    # each figure of a disagreement shown alone, a sample of the others, the first hundred (the page
    # shows the first N by id) and every third figure
    disagreeing = sorted({i for (group,) in full for i in group})
    for shown in [[i] for i in disagreeing + ids[::40]] + [ids[:100], ids[::3]]:
        restricted, full = both_answers(connection, shown)
        assert restricted == full, shown
    connection.close()


def test_disagreements_of_the_shown_figures_match_null_keys_as_group_by_does(tmp_path):
    pkg = make_package(tmp_path / "pkg")
    with open(pkg / "data" / "figures.csv", "a", encoding="utf-8") as fh:
        # a deal's total value without parties (from_party, to_party NULL): 900 against 1000
        fh.write("valuation-one,alpha-beta,,,,none,valuation,900,,USD,exact,,,,,one,valued 900,\n")
        # a party-level fact with no deal, no period and no as_of: 35 against 30, which may be
        # two years' revenue: whether the sources disagree cannot be told, so no group is listed
        fh.write("revenue-year-one,,gamma,,,none,revenue,35,,USD,exact,,,,,one,35 a year,\n")
    connection = db.connect_memory(package.load(pkg))
    ids = [r[0] for r in connection.execute("SELECT figure_id FROM figures ORDER BY figure_id").fetchall()]
    assert both_answers(connection, ids) == (
        [(["chips-one", "chips-two"],), (["revenue-one", "revenue-two"],), (["valuation-one", "valuation-two"],)],
    ) * 2  # fmt: skip
    assert connection.execute(
        "SELECT n_sources, sources_disagree FROM consensus WHERE party_id = 'gamma' AND period_start IS NULL"
    ).fetchall() == [(2, None)]
    # one figure shown brings its whole group; a figure without a disagreement brings nothing
    assert both_answers(connection, ["valuation-two"]) == ([(["valuation-one", "valuation-two"],)],) * 2
    assert both_answers(connection, ["revenue-year-one"]) == ([],) * 2
    assert both_answers(connection, ["cash-one"]) == ([],) * 2
    for shown in [[i] for i in ids]:
        restricted, full = both_answers(connection, shown)
        assert restricted == full, shown
    # the page: each shown figure lists the others of its group
    data = report.collect(connection)
    assert data["disagree_with"] == {
        "chips-one": ["chips-two"], "chips-two": ["chips-one"],
        "revenue-one": ["revenue-two"], "revenue-two": ["revenue-one"],
        "valuation-one": ["valuation-two"], "valuation-two": ["valuation-one"],
    }  # fmt: skip
    connection.close()


@pytest.mark.parametrize("target", ["dist/aideals.duckdb", "datapackage.json", "link"])
def test_command_refuses_to_replace_anything_but_an_html_page(tmp_path, capsys, target):
    """`--out` naming the database it reads, a package file, a directory or a symbolic link is
    refused, and the target is left as it was (a directory is refused by the option's type)."""
    import shutil

    root = tmp_path / "pkg"
    root.mkdir()
    for name in ("datapackage.json", "data", "schemas"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, root / name)
    (root / "dist").mkdir()
    (root / "dist" / "aideals.duckdb").write_bytes(b"not really a database")
    (root / "link").symlink_to(root / "datapackage.json")
    out = root / target
    before = out.read_bytes() if out.is_file() else None
    with pytest.raises(SystemExit) as exc:
        main(["report", "--package", str(root), "--out", str(out)])
    what = "is not a regular file" if target == "link" else "is not an HTML page"
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith(f"aideals: error: {out}: exists and {what}: refusing to replace it")
    assert (out.read_bytes() if out.is_file() else None) == before


def test_command_replaces_an_earlier_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    out.write_text("<!DOCTYPE html>\n<p>an old report</p>\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--package", str(ROOT), "--out", str(out), "--built-at", "2026-12-06"])
    assert exc.value.code == 0
    assert "an old report" not in out.read_text(encoding="utf-8")


def test_a_metric_resting_on_a_rumoured_deal_says_so(con):
    """The deal of an input figure turned `rumoured`: the row's note names it; the other row does not."""
    con.execute("UPDATE deals SET status = 'rumoured' WHERE deal_id = 'amd-openai-2025'")
    con.execute(
        "INSERT INTO metrics VALUES ('circularity', 'cycle', 'openai/amd', 100, NULL, 'percent', "
        "['amd-openai-2025-equity-stake-cafetech'], NULL, 'up_to', 'builtin'), "
        "('vendor_financing_ratio', 'pair', 'nvidia/openai', 3.5, NULL, 'ratio', "
        "['nvidia-openai-2025-amount-cafetech'], 'a note', 'at_least', 'builtin')"
    )
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT)
    assert page.count('<span class="rumoured">') == 1
    assert (
        '<td> <span class="rumoured">Rests on a deal reported but not confirmed: '
        "AMD–OpenAI GPU supply agreement with AMD warrants.</span></td>"
    ) in page
    assert "<td>a note</td></tr>" in page


def test_the_page_cites_the_release_as_aideals_cite_does(con):
    from aideals import cite

    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    page = report.render_html(con, version="0.39.0", built_at=BUILT_AT, descriptor=descriptor)
    release = cite.release_citation(dict(descriptor, version="0.39.0"))
    apa, bibtex = cite.apa_release(release), cite.bibtex_release(release)
    assert apa.startswith("aideals contributors. (") and "(Version 0.39.0) [Data set]." in apa
    assert f'<blockquote id="citation">{report._e(apa)}</blockquote>' in page
    assert f"{report._e(bibtex)}</pre>" in page and "@misc{aideals-0_39_0," in bibtex
    # a descriptor that cannot be cited so (no created date, no contributors) gets a plain citation
    # of what it says, nothing made up (no author, no licence)
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT, descriptor={"title": "T"})
    assert '<blockquote id="citation">(2026). T (Version 0.1.0) [Data set].</blockquote>' in page
    assert "@misc{aideals-0_1_0,\n  title = {T},\n  year = {2026},\n  version = {0.1.0}," in page
    # a title with BibTeX's special characters is escaped in the fallback entry
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT, descriptor={"title": "R&D 50% {x"})
    assert "title = {R\\&amp;D 50\\% \\{x}" in page
    # a descriptor whose fields have unexpected types falls back instead of failing
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT,
                              descriptor=dict(descriptor, title=5, licenses=[{"name": 5}]))
    assert ('<blockquote id="citation">aideals contributors. (2026). 5 (Version 0.1.0) [Data set]. '
            "Licence: 5.</blockquote>") in page
    # the fallback writes its authors as `aideals cite` does: a full stop after them, & before the last
    page = report.render_html(con, version="0.1.0", built_at=BUILT_AT,
                              descriptor={"title": "T", "contributors": [{"title": "Ann"}, {"title": "Bob Inc."}]})
    assert '<blockquote id="citation">Ann, &amp; Bob Inc. (2026). T (Version 0.1.0) [Data set].</blockquote>' in page
    # contributors of an unexpected shape ("roles": null) do not break the page
    odd = dict(descriptor, contributors=[{"title": "Ann", "roles": None}])
    page = report.render_html(con, version="0.39.0", built_at=BUILT_AT, descriptor=odd)
    assert ('<blockquote id="citation">Ann. (2026). aideals: the deals that finance the AI compute build-out '
            "(Version 0.39.0) [Data set]. Licence: CC-BY-4.0.</blockquote>") in page


def test_a_metric_note_names_its_parties():
    names = {"openai": "OpenAI", "nvidia": "Nvidia", "open": "Open Co"}
    note = "openai -> nvidia -> openai: openai pays about $350B to nvidia; openai-like and reopenai stay"
    assert report.readable_note(note, ["openai", "nvidia", "open"], names) == (
        "OpenAI → Nvidia → OpenAI: OpenAI pays about $350B to Nvidia; openai-like and reopenai stay")
    # ids of other parties, or of none, are left as they are
    assert report.readable_note("amd -> openai", ["amd"], names) == "amd → openai"


def test_a_sum_of_largest_amounts_says_how_far_it_bounds():
    words = report.usd_total_words
    assert words(100e9, report._loosest(["ceiling", "ceiling"]), 2) == "at most $100B"
    assert words(100e9, report._loosest(["ceiling", "about"]), 2) == "about $100B"
    assert words(100e9, report._loosest(["about", "open", "ceiling"]), 3) == (
        "$100B, not a ceiling (a flow is a floor or in parts)")
    assert words(None, "ceiling", 0) == "none in US dollars"
    # every dollar flow of it counted in the larger deal that states it too
    assert words(None, "ceiling", 0, elsewhere=True) == "counted in the larger deals that state it"
    flows = [
        {"qualifiers": ["exact"], "components": None},
        {"qualifiers": ["up_to", "exact"], "components": []},
        {"qualifiers": ["approximately"], "components": None},
        {"qualifiers": ["exact"], "components": ["tranche"]},
        {"qualifiers": ["exact", "more_than"], "components": None},
    ]
    assert [report._bound(f) for f in flows] == ["ceiling", "ceiling", "about", "open", "open"]


def test_only_http_links_with_nothing_after_them_are_safe():
    assert report.safe_url("https://a.example/x") == "https://a.example/x"
    assert report.safe_url("https://a.example/\n") is None  # `$` let a final newline through
    assert report.safe_url("javascript:alert(1)") is None


def test_names_written_right_to_left_are_isolated_around_the_arrow(tmp_path):
    """"A → B" with two Arabic names is one right-to-left run that reads "B → A" unless each name is
    isolated (U+2068 ... U+2069); a name written left to right is left as it is."""
    with connect_with(tmp_path) as connection:
        connection.execute("UPDATE parties SET name = 'إنفيديا' WHERE party_id = 'alpha'")
        connection.execute("UPDATE parties SET name = 'أوبن إيه آي' WHERE party_id = 'beta'")
        data = report.collect(connection)
        rows = {r["id"]: r for r in report.figure_rows(data)}
        assert rows["cash-one"]["who"] == "\u2068إنفيديا\u2069 → \u2068أوبن إيه آي\u2069"
        assert rows["chips-one"]["who"] == "\u2068أوبن إيه آي\u2069 → \u2068إنفيديا\u2069"
        hovers = [e.hover for e in report.network_figure(data)["edges"] if (e.source, e.target) == ("alpha", "beta")]
        assert hovers and all("\u2068إنفيديا\u2069 → \u2068أوبن إيه آي\u2069" in h for h in hovers)
        timeline = [h for t in report.timeline_figure(data)["data"] for h in t.get("hovertext") or []]
        assert timeline and all("\u2068إنفيديا\u2069 – \u2068أوبن إيه آي\u2069" in h for h in timeline)
    assert report._isolated("OpenAI") == "OpenAI"
    assert report._isolated("SoftBank — ソフトバンク") == "SoftBank — ソフトバンク"


def test_contents_counts_one_row_in_the_singular(tmp_path):
    root = make_package(tmp_path / "pkg")
    for table in ("deals", "figures", "sources"):
        path = root / "data" / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    parties = root / "data" / "parties.csv"
    lines = parties.read_text(encoding="utf-8").splitlines()
    parties.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    connection = db.connect_memory(package.load(root))
    try:
        page = report.render_html(connection, version="0.1.0", built_at=BUILT_AT)
    finally:
        connection.close()
    assert "<dt>Contents</dt><dd>1 party, 0 deals, 0 figures, 0 sources, 0 flows, 0 metrics</dd>" in page
    data = payload(page)
    # nothing to draw: each chart is a sentence (report.js writes it in the chart's place)
    assert (data["network"], data["timeline"]) == (None, None)
    assert data["empty"] == {"network": report.EMPTY_NETWORK, "timeline": report.EMPTY_TIMELINE}
    assert re.search(r'<p class="note" id="network-summary">([^<]*)</p>', page).group(1) == "No flows to draw."
    assert "<p>0 deals by announcement date," in page
    assert '<p class="empty">No deals.</p>' in page


def test_command_warns_as_query_does_when_the_data_changed_after_the_build(tmp_path, capsys, monkeypatch):
    """The report of a stale dist/ is still the page of its database, with query's warning."""
    from aideals import build

    root = make_package(tmp_path / "pkg")
    build.build(package.load(root), root / "dist")
    monkeypatch.chdir(root)
    written = f"wrote {root / 'dist' / 'report.html'} (release {package.load(root).version}, from {root / 'dist' / 'aideals.duckdb'})\n"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--built-at", "2026-11-23"])
    assert (exc.value.code, *capsys.readouterr()) == (0, written, "")
    parties = root / "data" / "parties.csv"
    parties.write_text(parties.read_text(encoding="utf-8").replace("alpha,Alpha,", "alpha,Alphabet,"), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--built-at", "2026-11-23"])
    warning = (f"aideals: warning: data/parties.csv changed after {root / 'dist'} was built; "
               "run `aideals build` to report the current data\n")
    assert (exc.value.code, *capsys.readouterr()) == (0, written, warning)
    page = (root / "dist" / "report.html").read_text(encoding="utf-8")
    assert "Alphabet" not in page and "Alpha" in page  # the build's data, as the warning says
    with pytest.raises(SystemExit) as exc:  # the same words as `aideals query`, but for its verb
        main(["query", "SELECT 1"])
    assert capsys.readouterr().err == warning.replace("to report the", "to query the")
    with pytest.raises(SystemExit) as exc:  # an explicit --db is read as given, as query does
        main(["report", "--db", str(root / "dist" / "aideals.duckdb"), "--built-at", "2026-11-23"])
    assert (exc.value.code, *capsys.readouterr()) == (0, written, "")


def test_a_page_that_cannot_be_written_is_named(tmp_path, seed_root, monkeypatch, capsys):
    """A full disk while writing the page said `aideals: error: No space left on device`, naming no
    file: the page is named, in the words of a build (`cannot write OUT: the disk is full (...)`),
    and no temporary file is left beside it."""
    (tmp_path / "db").mkdir()
    path = _release_db(tmp_path / "db" / "aideals.duckdb", seed_root)

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report.os, "chmod", full_disk)  # the page is written, not yet renamed into place
    assert _report_db(path, tmp_path / "out" / "r.html") == 2
    assert capsys.readouterr().err == (
        f"aideals: error: cannot write {tmp_path / 'out' / 'r.html'}: the disk is full (No space left on device)\n")
    assert os.listdir(tmp_path / "out") == []
