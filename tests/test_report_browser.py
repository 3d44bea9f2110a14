"""The report opened in a real browser: headless Chromium (Debian's) driven by playwright.

Skipped only where no Chromium is found; `.ci/run` installs Debian's `chromium` first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from aideals import db, package, report
from conftest import FIXTURES
from fixture_packages import connect_with, make_package

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_NAME = (
    """SoftBank </script><script>window.__pwned=1</script> "quoted" 'single' & <img src=x onerror="window.__pwned=2">"""
)


def find_chromium() -> str | None:
    """Debian's chromium (or AIDEALS_CHROMIUM), never a browser downloaded by playwright."""
    for candidate in (os.environ.get("AIDEALS_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The seed package (tests/fixtures/seed) with one hostile party name and one metric row, and its report."""
    root = make_package(tmp_path_factory.mktemp("seed") / "pkg", FIXTURES / "seed")
    con = db.connect_memory(package.load(root))
    con.execute("UPDATE parties SET name = ? WHERE party_id = 'softbank'", [HOSTILE_NAME])
    con.execute(
        "INSERT INTO metrics VALUES ('vendor_financing_ratio', 'deal', 'nvidia-openai-2025', 3.5, NULL, NULL, "
        "['nvidia-openai-2025-amount-cafetech', 'nvidia-openai-2025-gpu-purchases-cafetech'], NULL, 'at_least', NULL)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    out = report.write_report(
        con, ARTIFACTS / "report.html", version="0.1.0", built_at=datetime(2026, 11, 23, tzinfo=timezone.utc)
    )
    yield con, out
    con.close()


@pytest.fixture(scope="module")
def page(release):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(
            "no Chromium found: install Debian's chromium (apt-get install -y chromium chromium-driver) to run this test"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    _, out = release
    problems: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1300, "height": 900})
        tab.on(
            "console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        )
        tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

        def only_the_file(route):
            if route.request.url.startswith("file://") and route.request.url.endswith("report.html"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        tab.route("**/*", only_the_file)
        tab.goto(out.as_uri())
        tab.wait_for_selector("#network-plot .main-svg")
        tab.wait_for_selector("#timeline-plot .main-svg")
        tab.wait_for_selector("#figures-table tbody tr")
        tab.locator("#network").screenshot(path=str(ARTIFACTS / "report-network.png"))
        tab.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        yield tab, problems, outside
        browser.close()


def test_page_opens_without_errors_or_requests(page):
    tab, problems, outside = page
    assert problems == []
    assert outside == []
    assert tab.evaluate("window.__pwned") is None
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_network_shows_one_node_per_party_and_one_edge_per_flow(page, release):
    tab, _, _ = page
    con, _ = release
    n_flows = con.execute("SELECT count(*) FROM flows").fetchone()[0]
    n_parties = con.execute(
        "SELECT count(*) FROM (SELECT from_party FROM flows UNION SELECT to_party FROM flows)"
    ).fetchone()[0]
    drawn = tab.evaluate(
        """() => {
          const gd = document.getElementById('network-plot');
          const edges = gd.querySelectorAll('.scatterlayer .trace[class*="traceedge-"] path.js-line');
          const nodes = gd.querySelectorAll('.scatterlayer .tracenodes path.point');
          return {
            edges: [...edges].filter(p => (p.getAttribute('d') || '').length > 0).length,
            nodes: nodes.length,
            labels: [...gd.querySelectorAll('.tracenodes .textpoint text')].map(t => t.textContent),
          };
        }"""
    )
    assert (drawn["edges"], drawn["nodes"]) == (n_flows, n_parties) == (13, 9)
    # drawn as text, cut to the label length like any long name, with its markup intact
    assert report._shorten(HOSTILE_NAME, 32) in drawn["labels"]
    assert report._shorten(HOSTILE_NAME, 32).startswith("SoftBank </script><script>")


def test_hovering_an_edge_shows_deal_amount_qualifier_and_source(page):
    tab, _, _ = page
    text = tab.evaluate(
        """() => {
          const gd = document.getElementById('network-plot');
          const i = gd.data.findIndex(t => t.meta && t.meta.role === 'edge' && t.meta.from === 'softbank');
          Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 6}]);
          return gd.querySelector('.hoverlayer .hovertext').textContent;
        }"""
    )
    assert text.startswith(
        "SoftBank-led funding round of OpenAI" + HOSTILE_NAME + " → OpenAI · cash (amount)Amount: $40B"
    )
    assert "(exact) — " in text


def test_filtering_the_figures_by_a_party_shows_only_its_figures(page, release):
    tab, _, _ = page
    con, _ = release
    for party in ("nvidia", "softbank"):
        expected = [
            r[0]
            for r in con.execute(
                "SELECT f.figure_id FROM figures f LEFT JOIN deals d USING (deal_id) "
                "WHERE ? IN (f.party_id, f.from_party, f.to_party, d.party_a, d.party_b) ORDER BY f.figure_id",
                [party],
            ).fetchall()
        ]
        tab.select_option("#party-filter", party)
        shown = tab.eval_on_selector_all(
            "#figures-table tbody tr", "rows => rows.map(r => [r.dataset.figureId, r.dataset.parties])"
        )
        assert [figure_id for figure_id, _ in shown] == expected
        assert all(party in parties.split() for _, parties in shown)
        assert tab.inner_text("#figures-status") == f"{len(expected)} of 32 figures"
    assert HOSTILE_NAME + " → OpenAI" in tab.inner_text("#figures-table tbody")
    tab.select_option("#party-filter", "")
    assert tab.inner_text("#figures-status") == "32 of 32 figures"


def test_sorting_the_figures_by_value(page, release):
    tab, _, _ = page
    con, _ = release
    tab.click("#figures-table th[data-key=value_sort] button")
    tab.click("#figures-table th[data-key=value_sort] button")
    # values are compared within a unit: the most used unit first (USD here), its largest value first
    units = [u for u, _ in con.execute(
        "SELECT coalesce(unit, '') AS u, count(*) AS n FROM figures GROUP BY u ORDER BY n DESC, u").fetchall()]
    assert units[0] == "USD"
    largest = con.execute(
        "SELECT figure_id FROM figures WHERE unit = 'USD' ORDER BY value DESC, figure_id LIMIT 1").fetchone()[0]
    assert tab.get_attribute("#figures-table tbody tr", "data-figure-id") == largest
    assert tab.get_attribute("#figures-table th[data-key=value_sort]", "aria-sort") == "descending"
    shown = tab.eval_on_selector_all("#figures-table tbody tr", "rows => rows.map(r => r.dataset.figureId)")
    unit_of = dict(con.execute("SELECT figure_id, coalesce(unit, '') FROM figures").fetchall())
    ranks = [units.index(unit_of[f]) for f in shown]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1  # grouped by unit, in the units' order
    value_of = dict(con.execute("SELECT figure_id, value FROM figures").fetchall())
    usd = [value_of[f] for f in shown if unit_of[f] == "USD"]
    assert usd == sorted(usd, reverse=True)
    # the unit filter
    n_gw = con.execute("SELECT count(*) FROM figures WHERE unit = 'GW'").fetchone()[0]
    tab.select_option("#unit-filter", "GW")
    shown = tab.eval_on_selector_all("#figures-table tbody tr", "rows => rows.map(r => r.dataset.figureId)")
    assert len(shown) == n_gw > 0 and {unit_of[f] for f in shown} == {"GW"}
    assert tab.inner_text("#figures-status") == f"{n_gw} of 32 figures"
    tab.select_option("#unit-filter", "")
    tab.click("#figures-table th[data-key=id] button")


def test_a_metric_value_shows_its_input_figures(page):
    tab, _, _ = page
    tab.click("a.figure-link")
    shown = tab.eval_on_selector_all("#figures-table tbody tr", "rows => rows.map(r => r.dataset.figureId)")
    assert shown == ["nvidia-openai-2025-amount-cafetech", "nvidia-openai-2025-gpu-purchases-cafetech"]
    tab.click("#ids-clear")
    assert tab.inner_text("#figures-status") == "32 of 32 figures"


def test_the_cycle_legend_entry_hides_and_shows_the_halos(page):
    tab, problems, _ = page

    def halos():
        return tab.evaluate(
            """() => {
              const gd = document.getElementById('network-plot');
              const halo = gd.data.filter(t => t.meta && t.meta.role === 'cycle-halo');
              const drawn = gd.querySelectorAll('.scatterlayer .trace[class*="tracecycle-halo"]').length;
              return [halo.length, halo.filter(t => t.visible === false).length, drawn];
            }"""
        )

    n, hidden, drawn = halos()
    assert n == drawn == 6 and hidden == 0  # one halo under each of the six money flows on a cycle
    entry = tab.locator("#network-plot .legend .traces").filter(has_text="on a cycle")
    entry.locator(".legendtoggle").click()
    assert halos() == [6, 6, 0]
    # the kinds' entries are untouched: every edge is still drawn
    assert tab.evaluate(
        "() => document.getElementById('network-plot').data.filter(t => t.meta && t.meta.role === 'edge'"
        " && t.visible !== undefined && t.visible !== true).length"
    ) == 0
    entry.locator(".legendtoggle").click()
    assert halos() == [6, 0, 6]
    assert problems == []


def test_the_network_as_a_table_opens_from_the_keyboard(page, release):
    tab, _, _ = page
    con, _ = release
    assert not tab.is_visible("#flows-table")
    tab.focus("#flows-list summary")
    tab.keyboard.press("Enter")
    assert tab.is_visible("#flows-table")
    rows = tab.eval_on_selector_all(
        "#flows-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
    )
    # the seed's 13 flows are 13 arrows, the largest in dollars first
    assert len(rows) == con.execute("SELECT count(*) FROM flows").fetchone()[0] == 13
    assert rows[0][:4] == ["OpenAI", "Nvidia", "chips", "about $350B"]
    assert [HOSTILE_NAME, "OpenAI", "cash", "$40B"] in [r[:4] for r in rows]
    tab.keyboard.press("Enter")
    assert not tab.is_visible("#flows-table")


@contextlib.contextmanager
def opened_at(page, release, width: int, height: int):
    """The report in a second tab of the same browser, at another screen size."""
    tab, _, _ = page
    _, out = release
    other = tab.context.browser.new_page(viewport={"width": width, "height": height})
    try:
        other.goto(out.as_uri())
        other.wait_for_selector("#network-plot .main-svg")
        other.wait_for_selector("#figures-table tbody tr")
        yield other
    finally:
        other.close()


def test_on_a_phone_the_network_fits_the_screen(page, release):
    tab, _, _ = page
    with opened_at(page, release, 390, 844) as phone:
        height = phone.evaluate("() => document.getElementById('network-plot')._fullLayout.height")
        width = phone.evaluate("() => document.getElementById('network-plot').clientWidth")
        assert width < 390 and height == max(380, round(width * 1.15))  # not the 640 of a wide screen
        sizes = phone.evaluate(
            "() => document.getElementById('network-plot').data.filter(t => t.meta.role === 'nodes')"
            ".map(t => t.textfont.size)"
        )
        assert sizes == [9]
        # the charts neither zoom nor pan (nothing to get stuck in), no toolbar over the legends
        state = phone.evaluate(
            """() => ['network-plot', 'timeline-plot'].map(id => {
                 const gd = document.getElementById(id);
                 return [gd._fullLayout.dragmode, gd._fullLayout.xaxis.fixedrange, gd._fullLayout.yaxis.fixedrange,
                         gd.querySelectorAll('.modebar-btn').length];
               })"""
        )
        assert state == [[False, True, True, 0], [False, True, True, 0]]
        phone.locator("#timeline-plot").scroll_into_view_if_needed()
        box = phone.locator("#timeline-plot .nsewdrag").first.bounding_box()
        before = phone.evaluate("() => window.scrollY")
        phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # over the chart
        phone.mouse.wheel(0, 300)  # the wheel over a chart scrolls the page, not the chart
        phone.wait_for_function(f"() => window.scrollY > {before}", timeout=5000)
        # the nodes shrink with the width; labels on the 6 largest only (of the seed's 9 parties)
        labels = phone.evaluate(
            "() => document.getElementById('network-plot').data.find(t => t.meta.role === 'nodes').text"
            ".filter(Boolean).length"
        )
        assert labels == 6 and box is not None
    assert tab.evaluate("() => document.getElementById('network-plot')._fullLayout.height") == 640


def test_the_figures_header_stays_in_view_while_the_table_scrolls(page):
    tab, _, _ = page
    tab.set_viewport_size({"width": 1300, "height": 500})
    try:
        box = tab.evaluate(
            """() => {
              const wrap = document.querySelector('#figures .table-wrap');
              wrap.scrollTop = 600;
              const th = document.querySelector('#figures-table thead th').getBoundingClientRect();
              return [wrap.scrollTop, Math.round(th.top - wrap.getBoundingClientRect().top)];
            }"""
        )
        assert box[0] == 600 and box[1] == 0  # scrolled, and the header row sits at the box's top
    finally:
        tab.set_viewport_size({"width": 1300, "height": 900})


def test_turning_a_phone_sideways_redraws_the_charts_and_keeps_what_was_hidden(page, release):
    """The layout follows the width across the phone limit (700 px) both ways, after load too; a
    kind of flow hidden before stays hidden, its box unticked."""
    def layout_of(tab):
        return tab.evaluate(
            """() => ['network-plot', 'timeline-plot'].map(id => {
                 const gd = document.getElementById(id);
                 return [gd._fullLayout.dragmode, gd.querySelectorAll('.modebar-btn').length > 0];
               }).concat([document.getElementById('network-plot').data
                 .filter(t => t.meta && t.meta.role === 'edge' && t.legendgroup === 'cash')
                 .map(t => t.visible === undefined ? true : t.visible)
                 .filter((v, i, all) => all.indexOf(v) === i)])"""  # the cash arrows' states, once each
        )

    tab, _, _ = page
    wide = layout_of(tab)[:2]
    assert wide[0][0] is not False and wide[1][0] is not False and wide[0][1] and wide[1][1]
    with opened_at(page, release, 390, 844) as phone:
        cash = phone.locator("#flow-kinds label", has_text="cash").locator("input")
        cash.uncheck()
        assert layout_of(phone) == [[False, False], [False, False], ["legendonly"]]
        # a timeline entry hidden from its legend stays hidden too
        phone.evaluate("() => Plotly.restyle('timeline-plot', {visible: 'legendonly'}, [0])")
        phone.set_viewport_size({"width": 844, "height": 390})  # turned sideways: the wide layout
        phone.wait_for_function("() => document.getElementById('network-plot')._fullLayout.dragmode !== false",
                                timeout=5000)
        assert layout_of(phone) == wide + [["legendonly"]]
        assert not cash.is_checked()
        assert phone.evaluate("() => document.getElementById('timeline-plot').data[0].visible") == "legendonly"
        phone.set_viewport_size({"width": 390, "height": 844})  # and back
        phone.wait_for_function("() => document.getElementById('network-plot')._fullLayout.dragmode === false",
                                timeout=5000)
        assert layout_of(phone) == [[False, False], [False, False], ["legendonly"]]
        labels = phone.evaluate(
            "() => document.getElementById('network-plot').data.find(t => t.meta.role === 'nodes').text"
            ".filter(Boolean).length"
        )
        assert labels == 6
        cash.check()  # the box still drives the redrawn chart
        assert layout_of(phone)[2] == [True]


def test_the_flow_kinds_can_be_hidden_from_the_keyboard(page):
    tab, problems, _ = page

    def visible(role, kind=None):
        return tab.evaluate(
            """([role, kind]) => document.getElementById('network-plot').data
                 .filter(t => t.meta && t.meta.role === role && (kind === null || t.legendgroup === kind))
                 .map(t => t.visible === undefined ? true : t.visible)""",
            [role, kind],
        )

    def halos_of(kind):
        return tab.evaluate(
            """kind => document.getElementById('network-plot').data
                 .filter(t => t.meta && t.meta.role === 'cycle-halo' && t.meta.kind === kind)
                 .map(t => t.visible === undefined ? true : t.visible)""",
            kind,
        )

    labels = tab.eval_on_selector_all("#flow-kinds label", "ls => ls.map(l => l.textContent.trim())")
    assert labels == ["cash", "equity", "compute", "cloud services", "chips", "on a cycle (value comes back)"]
    cash = tab.locator("#flow-kinds label", has_text="cash").locator("input")
    cycle = tab.locator("#flow-kinds label", has_text="on a cycle").locator("input")
    cash.focus()
    tab.keyboard.press("Space")
    assert not cash.is_checked()
    assert set(visible("edge", "cash")) == {"legendonly"} and True in visible("edge", "equity")
    assert set(halos_of("cash")) == {False}
    cycle.focus()
    tab.keyboard.press("Space")
    assert set(visible("cycle-halo")) == {False}
    cash.focus()
    tab.keyboard.press("Space")  # cash back, its halos stay hidden while "on a cycle" is off
    assert set(visible("edge", "cash")) == {True}
    assert set(halos_of("cash")) == {False}
    cycle.focus()
    tab.keyboard.press("Space")
    assert set(visible("cycle-halo")) == {True}
    # a click on the legend (acted on after plotly's double-click delay) unticks and ticks the box too
    equity = """checked => [...document.querySelectorAll('#flow-kinds label')]
                  .find(l => l.textContent.trim() === 'equity').querySelector('input').checked === checked"""
    tab.locator("#network-plot .legend .traces").filter(has_text="equity").locator(".legendtoggle").click()
    tab.wait_for_function(equity, arg=False, timeout=5000)
    assert set(visible("edge", "equity")) == {"legendonly"}
    tab.locator("#network-plot .legend .traces").filter(has_text="equity").locator(".legendtoggle").click()
    tab.wait_for_function(equity, arg=True, timeout=5000)
    assert problems == []


def test_the_pager_and_the_metric_links_keep_the_keyboard_focus(page):
    """A pager button at the end of its range stays focusable (aria-disabled, not disabled); a link
    or button that filters the table moves the focus to the count it changed."""
    tab, _, _ = page
    state = tab.evaluate(
        "() => ['page-prev', 'page-next'].map(id => [document.getElementById(id).disabled,"
        " document.getElementById(id).getAttribute('aria-disabled')])"
    )
    assert state == [[False, "true"], [False, "true"]]  # 32 figures: one page
    tab.focus("#page-next")
    tab.keyboard.press("Enter")
    assert tab.evaluate("() => document.activeElement.id") == "page-next"
    assert tab.inner_text("#page-info") == "rows 1–32 of 32 (page 1 of 1)"
    tab.click("a.figure-link")
    assert tab.evaluate("() => document.activeElement.id") == "figures-status"
    assert tab.inner_text("#figures-status") == "2 of 32 figures, the inputs of a metric"
    tab.focus("#ids-clear")
    tab.keyboard.press("Enter")
    assert tab.evaluate("() => document.activeElement.id") == "figures-status"
    assert tab.inner_text("#figures-status") == "32 of 32 figures"


def test_scroll_boxes_are_named_regions_the_keyboard_reaches(page):
    tab, _, _ = page
    boxes = tab.eval_on_selector_all(
        ".table-wrap, pre.bibtex",
        "els => els.map(e => [e.getAttribute('role'), e.tabIndex, e.getAttribute('aria-label')])",
    )
    assert boxes == [
        ["region", 0, "The network as a table (scrolls)"],
        ["region", 0, "The parties as a table (scrolls)"],
        ["region", 0, "The timeline as a table (scrolls)"],
        ["region", 0, "Metrics table (scrolls)"],
        ["region", 0, "Figures table (scrolls)"],
        ["region", 0, "BibTeX entry"],
    ]
    # every table has a caption; a sort button's name is its word only (the arrow is decoration)
    assert tab.eval_on_selector_all("table.data", "ts => ts.map(t => !!t.caption)") == [True] * 5
    # the charts' drawings are hidden from screen readers, who get the label, description and tables
    hidden = tab.eval_on_selector_all(
        "#network-plot svg, #timeline-plot svg", "ss => ss.map(s => s.getAttribute('aria-hidden'))"
    )
    assert len(hidden) >= 2 and set(hidden) == {"true"}
    tab.click("#figures-table th[data-key=id] button")
    assert tab.evaluate(
        "() => getComputedStyle(document.querySelector('#figures-table th[data-key=id] button'), '::after').content"
    ) in ('" ▼" / ""', '" ▲" / ""')
    tab.click("#figures-table th[data-key=id] button")


def test_sorting_and_typing_are_announced_once(page):
    tab, _, _ = page
    tab.click("#figures-table th[data-key=source] button")
    assert tab.inner_text("#table-announce") == "sorted by source, ascending"
    tab.click("#figures-table th[data-key=id] button")
    assert tab.inner_text("#table-announce") == "sorted by figure, ascending"
    # the live count waits for a pause in typing
    # the same task as the key press: the table is filtered, the count not yet announced
    right_after = tab.evaluate(
        """() => {
          const box = document.getElementById('text-filter');
          box.value = 'nvid';
          box.dispatchEvent(new Event('input'));
          return [document.getElementById('figures-status').textContent,
                  document.querySelectorAll('#figures-table tbody tr').length];
        }"""
    )
    assert right_after[0] == "32 of 32 figures" and right_after[1] < 32
    tab.wait_for_function(
        "document.getElementById('figures-status').textContent !== '32 of 32 figures'", timeout=5000
    )
    n = tab.evaluate("() => document.querySelectorAll('#figures-table tbody tr').length")
    assert tab.inner_text("#figures-status") == f"{n} of 32 figures" and 0 < n < 32
    tab.fill("#text-filter", "")
    tab.wait_for_function("document.getElementById('figures-status').textContent === '32 of 32 figures'")
    assert tab.evaluate("() => document.querySelectorAll('#figures-table a[target=_blank] .sr-only').length") == 32


def test_the_chart_toolbar_keeps_few_buttons(page):
    """Each button is a tab stop: the toolbar keeps download, zoom, pan and reset (a drag zooms too)."""
    tab, _, _ = page
    titles = tab.evaluate(
        "() => [...document.querySelectorAll('#network-plot .modebar-btn')].map(b => b.getAttribute('data-title'))"
    )
    assert titles == ["Download plot as a PNG", "Zoom", "Pan", "Reset axes"]


# For each halo, [its kind, drawn], and which kinds and whether cycles the legend shows.
HALO_STATE_JS = """() => {
  const data = document.getElementById('network-plot').data;
  const on = t => t.visible === undefined || t.visible === true;
  const kinds = {};
  let cycles = true;
  data.forEach(t => {
    if (t.meta && t.meta.role === 'legend') kinds[t.legendgroup] = on(t);
    if (t.meta && t.meta.role === 'cycle-legend') cycles = on(t);
  });
  const halos = data.filter(t => t.meta && t.meta.role === 'cycle-halo').map(t => [t.meta.kind, on(t)]);
  return {kinds, cycles, halos};
}"""


def _halo_state(tab):
    return tab.evaluate(HALO_STATE_JS)


def _consistent(state):
    return all(drawn == (state["cycles"] and state["kinds"][kind]) for kind, drawn in state["halos"])


@pytest.mark.parametrize(
    "steps",
    [
        # hide a kind in the legend, then the cycles off and on: that kind's halos stay hidden
        ["legend:cloud services", "legend:on a cycle", "legend:on a cycle"],
        # cycles off and a kind off by the boxes, the kind back from the legend: its halos stay hidden
        ["box:on a cycle", "box:cash", "legend:cash"],
        # a double click isolates a kind: only its halos can be drawn
        ["legend:on a cycle", "dblclick:cash", "legend:on a cycle"],
    ],
)
def test_halos_follow_their_kind_and_the_cycle_entry_whatever_the_order(page, steps):
    tab, problems, _ = page
    def entry(name):
        return tab.locator("#network-plot .legend .traces").filter(has_text=name).first.locator(".legendtoggle")

    for step in steps:
        how, name = step.split(":")
        before = _halo_state(tab)
        if how == "legend":
            entry(name).click()
        elif how == "dblclick":
            entry(name).dblclick()
        else:
            tab.locator("#flow-kinds label", has_text=name).first.locator("input").click()
        # plotly acts on a legend click after its double-click delay: wait for the change
        tab.wait_for_function(
            f"before => JSON.stringify(before) !== JSON.stringify(({HALO_STATE_JS})())", arg=before, timeout=5000
        )
        tab.wait_for_timeout(400)  # the halos follow on the restyle event
        state = _halo_state(tab)
        assert _consistent(state), (step, state)
    # back to everything shown, by the legend's double click on a shown kind then the boxes
    tab.evaluate(
        "() => { const gd = document.getElementById('network-plot');"
        " Plotly.restyle(gd, {visible: true}, gd.data.map((t, i) => i).filter(i => gd.data[i].meta &&"
        " ['legend', 'cycle-legend', 'edge'].includes(gd.data[i].meta.role))); }"
    )
    tab.wait_for_function(
        "() => document.getElementById('network-plot').data.filter(t => t.meta && t.meta.role === 'cycle-halo')"
        ".every(t => t.visible === undefined || t.visible === true)",
        timeout=5000,
    )
    assert [i.is_checked() for i in tab.locator("#flow-kinds input").all()] == [True] * 6
    assert problems == []


def test_the_page_is_no_wider_than_a_small_phone(page, release):
    with opened_at(page, release, 320, 640) as phone:
        assert phone.evaluate("() => document.documentElement.scrollWidth") == 320


@contextlib.contextmanager
def other_report(page, path: Path, con, width: int = 1300):
    """The report of another release (`con`) in a new tab of the same browser, with its errors."""
    tab, _, _ = page
    out = report.write_report(con, path, version="0.1.0", built_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    other = tab.context.browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    other.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    other.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        other.goto(out.as_uri())
        yield other, problems
    finally:
        other.close()


def test_a_release_without_flows_or_dates_says_so_in_place_of_its_charts(page, tmp_path):
    root = make_package(tmp_path / "pkg")
    for table in ("deals", "figures"):
        path = root / "data" / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    con = db.connect_memory(package.load(root))
    try:
        with other_report(page, tmp_path / "empty.html", con) as (tab, problems):
            tab.wait_for_function("() => document.getElementById('timeline-plot').textContent !== ''")
            assert tab.locator("#network-plot").text_content() == report.EMPTY_NETWORK
            assert tab.locator("#timeline-plot").text_content() == report.EMPTY_TIMELINE
            assert tab.locator("#network-plot svg, #timeline-plot svg").count() == 0
            assert problems == []
    finally:
        con.close()


def test_a_long_unbroken_note_does_not_widen_the_figures_table(page, tmp_path):
    with connect_with(tmp_path) as con:
        con.execute("UPDATE figures SET note = ? WHERE figure_id = 'cash-one'", ["https://a.example/" + "x" * 5000])
        with other_report(page, tmp_path / "long.html", con) as (tab, problems):
            tab.wait_for_selector("#figures-table tbody tr")
            wrap = tab.evaluate(
                "() => { const w = document.querySelector('#figures-table').closest('.table-wrap');"
                " return [w.scrollWidth, w.clientWidth]; }"
            )
            assert wrap[0] == wrap[1]
            assert problems == []
