/* aideals report: draws the two plotly figures and runs the figures table.
   Data arrives as JSON and reaches the page through textContent and setAttribute only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  // showSendToCloud off: the page works offline, and plotly's "Share chart" button would upload the chart
  var config = { displaylogo: false, responsive: true, showSendToCloud: false, showEditInChartStudio: false,
                 modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud", "zoomIn2d", "zoomOut2d", "autoScale2d"] };

  var NARROW = 700;  // px: below it, the phone layout of the charts
  var PHONE_LABELS = 6;

  // The charts as the data has them: each drawing starts from a fresh copy, since the phone
  // layout changes sizes and labels in place.
  var pristine = JSON.stringify({ network: data.network, timeline: data.timeline });
  var drawnNarrow = null;

  // Draws the charts, the phone layout below NARROW px; called again on a resize, it redraws
  // only when the width crosses NARROW (a phone turned sideways), keeping what the reader hid.
  function drawPlots() {
    if (!window.Plotly) {
      document.getElementById("network-plot").textContent = "plotly.js did not load: the charts cannot be drawn.";
      return;
    }
    var network = document.getElementById("network-plot");
    var timeline = document.getElementById("timeline-plot");
    // A chart with nothing to draw (no flows, no dated deal) is a sentence in its place.
    if (!data.network) network = emptyChart(network, data.empty.network);
    if (!data.timeline) timeline = emptyChart(timeline, data.empty.timeline);
    if (!network && !timeline) return;
    var width = (network || timeline).clientWidth;
    var narrow = !!(width && width < NARROW);
    if (narrow === drawnNarrow) return;
    var first = drawnNarrow === null;
    drawnNarrow = narrow;
    var fresh = JSON.parse(pristine);
    var networkData = network ? fresh.network.data : [];
    var layout = network ? fresh.network.layout : {};
    var timelineData = timeline ? fresh.timeline.data : [];
    var timelineLayout = timeline ? fresh.timeline.layout : {};
    var plotConfig = config;
    if (!first) {  // the kinds, halos and legend entries the reader hid stay hidden, in both charts
      networkData.forEach(function (t, i) { if (network.data[i]) t.visible = network.data[i].visible; });
      timelineData.forEach(function (t, i) { if (timeline.data[i]) t.visible = timeline.data[i].visible; });
    }
    // On a narrow screen (a phone): the square network needs less height, smaller nodes and
    // fewer, smaller labels; a swipe on a chart scrolls the page (no zoom or pan to get stuck in);
    // no toolbar over the legends; the timeline's labels get less room.
    if (narrow) {
      layout.height = Math.max(380, Math.round(width * 1.15));
      var scale = Math.max(0.45, width / NARROW);
      networkData.forEach(function (t) {
        if (!(t.meta && t.meta.role === "nodes")) return;
        if (t.textfont) t.textfont.size = 9;
        var sizes = t.marker.size;
        t.marker.size = sizes.map(function (v) { return Math.round(v * scale * 10) / 10; });
        // labels on the largest PHONE_LABELS nodes only
        var order = sizes.map(function (v, i) { return i; }).sort(function (a, b) { return sizes[b] - sizes[a] || a - b; });
        var keep = {};
        order.slice(0, PHONE_LABELS).forEach(function (i) { keep[i] = true; });
        t.text = t.text.map(function (label, i) { return keep[i] ? label : ""; });
      });
      [layout, timelineLayout].forEach(function (l) {
        l.dragmode = false;
        l.xaxis = Object.assign({}, l.xaxis, { fixedrange: true });
        l.yaxis = Object.assign({}, l.yaxis, { fixedrange: true });
      });
      timelineLayout.margin = Object.assign({}, timelineLayout.margin, { l: 70, r: 10 });
      plotConfig = Object.assign({}, config, { displayModeBar: false, scrollZoom: false });
    }
    var draw = first ? window.Plotly.newPlot : window.Plotly.react;
    if (network) draw(network, networkData, layout, plotConfig);
    if (network && first) networkControls(network);
    if (timeline) draw(timeline, timelineData, timelineLayout, plotConfig);
    // A screen reader gets each chart's label and description, and the tables that follow it, not
    // the hundreds of unnamed shapes inside plotly's drawing.
    document.querySelectorAll("#network-plot svg, #timeline-plot svg").forEach(function (svg) {
      svg.setAttribute("aria-hidden", "true");
    });
  }

  // Writes `text` in place of a chart that has nothing to draw; returns null (no chart there).
  function emptyChart(element, text) {
    element.textContent = text;
    element.className = "empty";
    element.removeAttribute("role");
    element.removeAttribute("aria-label");
    return null;
  }

  function shown(t) { return t.visible === undefined || t.visible === true; }

  // The legend, its double click and the "Show" checkboxes hide and show the kinds of flow and the
  // halos of flows on a cycle. A halo is in no legend group: it is drawn exactly when its flow's
  // kind and "on a cycle" are both shown, whatever changed them.
  function networkControls(network) {
    function syncHalos() {
      var kindShown = {};
      var cycles = true;
      network.data.forEach(function (t) {
        if (!t.meta) return;
        if (t.meta.role === "legend") kindShown[t.legendgroup] = shown(t);
        if (t.meta.role === "cycle-legend") cycles = shown(t);
      });
      var on = [];
      var off = [];
      network.data.forEach(function (t, i) {
        if (!(t.meta && t.meta.role === "cycle-halo")) return;
        var want = cycles && kindShown[t.meta.kind] !== false;
        if (want !== shown(t)) (want ? on : off).push(i);
      });
      // only what is out of step is restyled: the restyle event this fires then finds nothing to do
      if (on.length) window.Plotly.restyle(network, { visible: true }, on);
      if (off.length) window.Plotly.restyle(network, { visible: false }, off);
    }
    network.on("plotly_legendclick", function (ev) {
      var t = ev.data[ev.curveNumber];
      if (!t.meta || t.meta.role !== "cycle-legend") return true;
      window.Plotly.restyle(network, { visible: shown(t) ? "legendonly" : true }, [ev.curveNumber]);
      return false;
    });
    network.on("plotly_legenddoubleclick", function (ev) {
      var t = ev.data[ev.curveNumber];
      return !(t.meta && t.meta.role === "cycle-legend");
    });
    var box = document.getElementById("flow-kinds");
    var entries = [];
    network.data.forEach(function (t, i) {
      if (t.meta && (t.meta.role === "legend" || t.meta.role === "cycle-legend")) entries.push(i);
      // above 400 flows: the thin grey layer of the smaller arrows, hidden at first
      if (t.meta && t.meta.role === "edge-group" && t.meta.kind === "smaller") entries.push(i);
    });
    var inputs = box ? entries.map(function (i) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "checkbox";
      input.checked = shown(network.data[i]);
      input.setAttribute("data-trace", String(i));
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + network.data[i].name));
      box.appendChild(label);
      input.addEventListener("change", function () {
        var t = network.data[i];
        var targets = [i];
        if (t.meta.role === "legend") {  // the kind's arrows, in its legend group
          network.data.forEach(function (u, j) { if (j !== i && u.legendgroup === t.legendgroup) targets.push(j); });
        }
        window.Plotly.restyle(network, { visible: input.checked ? true : "legendonly" }, targets);
      });
      return input;
    }) : [];
    network.on("plotly_restyle", function () {
      syncHalos();
      inputs.forEach(function (input) {  // the boxes follow clicks on the legend
        input.checked = shown(network.data[Number(input.getAttribute("data-trace"))]);
      });
    });
    if (box) box.hidden = entries.length === 0;
  }

  // ---- figures table ----
  var rows = data.figures;
  var byId = {};
  rows.forEach(function (r, i) { byId[r.id] = r; r._index = i; r._text = [r.id, r.deal, r.who, r.what, r.value, r.period, r.source, r.source_title, r.quote, r.note].join(" ").toLowerCase(); });
  var state = { party: "", unit: "", text: "", disagreeOnly: false, ids: null, key: "id", dir: 1, page: 0 };
  var tbody = document.querySelector("#figures-table tbody");
  var status = document.getElementById("figures-status");
  var pageInfo = document.getElementById("page-info");
  var prev = document.getElementById("page-prev");
  var next = document.getElementById("page-next");
  var partySelect = document.getElementById("party-filter");
  var unitSelect = document.getElementById("unit-filter");
  var unitRank = {};
  data.units.forEach(function (u, i) {
    unitRank[u.unit] = i;
    var opt = document.createElement("option");
    opt.value = u.unit;
    opt.textContent = (u.unit || "no unit") + " (" + u.n + ")";
    unitSelect.appendChild(opt);
  });
  var textInput = document.getElementById("text-filter");
  var disagreeBox = document.getElementById("disagree-filter");
  var idsNote = document.getElementById("ids-filter");

  data.parties.forEach(function (p) {
    var opt = document.createElement("option");
    opt.value = p.id;
    opt.textContent = p.name;
    partySelect.appendChild(opt);
  });

  function matches(r) {
    if (state.party && r.parties.indexOf(state.party) < 0) return false;
    if (state.unit && r.unit !== state.unit) return false;
    if (state.disagreeOnly && !r.disagree_with.length) return false;
    if (state.ids && !state.ids[r.id]) return false;
    if (state.text && r._text.indexOf(state.text) < 0) return false;
    return true;
  }

  function compare(a, b) {
    // values of different units are not comparable: they are grouped by unit (in a fixed order,
    // the most used first) and sorted within it
    if (state.key === "value_sort" && a.unit !== b.unit) return unitRank[a.unit] - unitRank[b.unit];
    var x = a[state.key], y = b[state.key];
    var missingX = x === null || x === undefined || x === "", missingY = y === null || y === undefined || y === "";
    if (missingX || missingY) return missingX === missingY ? a._index - b._index : (missingX ? 1 : -1);
    var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return c ? c * state.dir : a._index - b._index;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function row(r) {
    var tr = el("tr");
    tr.setAttribute("data-figure-id", r.id);
    tr.setAttribute("data-parties", r.parties.join(" "));
    if (r.disagree_with.length) tr.className = "disagree";
    var c1 = el("td");
    c1.appendChild(el("code", r.id));
    if (r.deal) c1.appendChild(el("span", r.deal, "small"));
    tr.appendChild(c1);
    tr.appendChild(el("td", r.who));
    var c3 = el("td", r.what);
    if (r.period) c3.appendChild(el("span", r.period, "small"));
    tr.appendChild(c3);
    var c4 = el("td", r.value, "num");
    if (r.disagree_with.length) {
      var badge = el("span", "sources disagree", "badge disagree");
      badge.title = "Other sources state it differently: " + r.disagree_with.join(", ");
      c4.appendChild(el("br"));
      c4.appendChild(badge);
      // the tooltip is for a mouse: the same words in the cell, for a screen reader
      c4.appendChild(el("span", " Other sources state it differently: " + r.disagree_with.join(", "), "sr-only"));
    }
    tr.appendChild(c4);
    var c5 = el("td");
    if (r.url && /^https?:\/\//i.test(r.url)) {
      var a = el("a", r.source);
      a.href = r.url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.appendChild(el("span", " (opens in a new tab)", "sr-only"));
      a.title = r.source_title;
      c5.appendChild(a);
    } else {
      c5.appendChild(el("span", r.source)).title = r.source_title;
    }
    c5.appendChild(el("span", [r.source_date, r.source_id].filter(Boolean).join(" · "), "small"));
    tr.appendChild(c5);
    var c6 = el("td");
    var q = el("q", r.quote);
    if (r.lang) q.setAttribute("lang", r.lang);
    c6.appendChild(q);
    if (r.note) c6.appendChild(el("span", r.note, "small"));
    tr.appendChild(c6);
    return tr;
  }

  var announceTimer = null;

  // The count of figures is a live region: while someone types in the search box it is updated
  // once they pause, not at every key.
  function announce(text, delay) {
    if (announceTimer) clearTimeout(announceTimer);
    announceTimer = null;
    if (!delay) { status.textContent = text; return; }
    announceTimer = setTimeout(function () { announceTimer = null; status.textContent = text; }, delay);
  }

  function render(typing) {
    var shown = rows.filter(matches).sort(compare);
    var size = data.page_size;
    var pages = Math.max(1, Math.ceil(shown.length / size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * size;
    var frag = document.createDocumentFragment();
    shown.slice(start, start + size).forEach(function (r) { frag.appendChild(row(r)); });
    tbody.replaceChildren(frag);
    announce(shown.length + " of " + rows.length + " figures" + (state.ids ? ", the inputs of a metric" : ""), typing ? 600 : 0);
    status.setAttribute("data-count", String(shown.length));
    pageInfo.textContent = shown.length ? "rows " + (start + 1) + "–" + Math.min(start + size, shown.length) + " of " + shown.length + " (page " + (state.page + 1) + " of " + pages + ")" : "no rows";
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus on it
    prev.setAttribute("aria-disabled", String(state.page === 0));
    next.setAttribute("aria-disabled", String(state.page >= pages - 1));
    idsNote.hidden = !state.ids;
  }

  document.querySelectorAll("#figures-table th[data-key]").forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      state.dir = state.key === key ? -state.dir : 1;
      state.key = key;
      document.querySelectorAll("#figures-table th[data-key]").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      state.page = 0;
      render();
      document.getElementById("table-announce").textContent =
        "sorted by " + th.textContent.trim() + ", " + (state.dir > 0 ? "ascending" : "descending");
    });
  });
  partySelect.addEventListener("change", function () { state.party = partySelect.value; state.page = 0; render(); });
  unitSelect.addEventListener("change", function () { state.unit = unitSelect.value; state.page = 0; render(); });
  textInput.addEventListener("input", function () { state.text = textInput.value.trim().toLowerCase(); state.page = 0; render(true); });
  disagreeBox.addEventListener("change", function () { state.disagreeOnly = disagreeBox.checked; state.page = 0; render(); });
  var tableAnnounce = document.getElementById("table-announce");
  prev.addEventListener("click", function () {
    if (state.page > 0) { state.page -= 1; render(); tableAnnounce.textContent = pageInfo.textContent; }
  });
  next.addEventListener("click", function () {
    if (next.getAttribute("aria-disabled") !== "true") { state.page += 1; render(); tableAnnounce.textContent = pageInfo.textContent; }
  });
  document.getElementById("ids-clear").addEventListener("click", function () {
    state.ids = null;
    state.page = 0;
    render();
    status.focus();  // the button hides itself: the focus goes to what changed, the count of figures
  });
  document.querySelectorAll("a.figure-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();  // the focus goes to the count below instead of the section's top
      var ids = {};
      (a.getAttribute("data-figure-ids") || "").split(" ").forEach(function (id) { if (id) ids[id] = true; });
      state.ids = ids;
      state.party = "";
      partySelect.value = "";
      state.unit = "";
      unitSelect.value = "";
      // every figure of the metric is shown: no search text or checkbox left from before hides one
      state.text = "";
      textInput.value = "";
      state.disagreeOnly = false;
      disagreeBox.checked = false;
      state.page = 0;
      render();
      document.getElementById("figures").scrollIntoView();
      status.focus({ preventScroll: true });  // say what the link did: the count of the metric's input figures
    });
  });

  render();
  drawPlots();
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawPlots, 150);
  });
})();
