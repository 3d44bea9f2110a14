-- Views of a release. They are part of the public interface: metric plugins and users query them.

-- Every figure with its deal, parties and source spelled out.
CREATE OR REPLACE VIEW figures_resolved AS
SELECT
    f.figure_id,
    f.deal_id,
    d.title            AS deal_title,
    d.kind             AS deal_kind,
    d.announced        AS deal_announced,
    d.date_precision   AS deal_date_precision,
    d.status           AS deal_status,
    d.part_of          AS deal_part_of,
    f.party_id,
    p.name             AS party_name,
    f.from_party,
    pf.name            AS from_name,
    f.to_party,
    pt.name            AS to_name,
    f.flow,
    f.measure,
    f.value,
    f.value_high,
    f.unit,
    f.qualifier,
    f.component,
    f.period_start,
    f.period_end,
    f.as_of,
    f.source_id,
    s.title            AS source_title,
    s.publisher        AS source_publisher,
    s.published        AS source_published,
    s.published_precision AS source_published_precision,
    s.url              AS source_url,
    s.language         AS source_language,
    f.quote,
    f.note,
    d.party_a          AS deal_party_a,
    d.party_b          AS deal_party_b,
    s.kind             AS source_kind
FROM figures f
LEFT JOIN deals d    ON d.deal_id = f.deal_id
LEFT JOIN parties p  ON p.party_id = f.party_id
LEFT JOIN parties pf ON pf.party_id = f.from_party
LEFT JOIN parties pt ON pt.party_id = f.to_party
LEFT JOIN sources s  ON s.source_id = f.source_id;

-- The deals whose figures count in sums across deals: every deal but those called off (a
-- `cancelled` deal's money never changed hands, its chips were never delivered) and those
-- `superseded` (an earlier report of a transaction recorded again as the deal in its `part_of`,
-- which counts it).
-- `aideals metrics run --confirmed-only` replaces this view, for its connection alone, by one that
-- also leaves out `rumoured` deals; `figures_counted` and `flows.counted_in_parent` follow it.
CREATE OR REPLACE VIEW deals_counted AS
SELECT * FROM deals WHERE status NOT IN ('cancelled', 'superseded');

-- Directed flows between two parties: one row per deal, direction, flow kind, measure and unit,
-- summarising every figure (from any source) that states it. Only measures that size a flow
-- (money, power, stakes, shares, chips) count: a contract's duration is not a flow.
CREATE OR REPLACE VIEW flows AS
WITH RECURSIVE above(deal_id, umbrella) AS (
    -- every deal above a deal: its umbrella, the umbrella's umbrella ... (UNION ends a cycle)
    SELECT deal_id, part_of FROM deals WHERE part_of IS NOT NULL
    UNION
    SELECT a.deal_id, d.part_of FROM above a JOIN deals d ON d.deal_id = a.umbrella WHERE d.part_of IS NOT NULL
),
sized AS (
    -- A flow is sized by the figures that state the whole of it; only when no source states the
    -- whole do its parts (tranches, shares, ...) stand in, and `components` then says which. Money
    -- raised is one whole across `cash` and `equity`: a stated total that mixes debt and equity is
    -- `cash`, and it covers the deal's equity parts too (an empty component is the whole deal).
    SELECT
        f.*,
        bool_or(f.component IS NULL) OVER (
            PARTITION BY f.deal_id, f.from_party, f.to_party,
                         CASE WHEN f.flow IN ('cash', 'equity') THEN 'cash' ELSE f.flow END, f.measure,
                         -- a whole in GW covers parts in MW (power has two units; currencies stay apart)
                         CASE WHEN f.unit IN ('MW', 'GW') THEN 'power' ELSE f.unit END
        ) AS has_whole
    FROM figures f
    WHERE f.from_party IS NOT NULL AND f.to_party IS NOT NULL AND f.flow <> 'none'
      AND f.measure IN ('amount', 'power', 'equity_stake', 'shares', 'chip_count')
)
SELECT
    f.deal_id,
    f.from_party,
    f.to_party,
    f.flow,
    f.measure,
    f.unit,
    min(f.value)                          AS value_low,
    max(coalesce(f.value_high, f.value))  AS value_high,
    count(*)                              AS n_figures,
    count(DISTINCT f.source_id)           AS n_sources,
    list(f.figure_id ORDER BY f.figure_id) AS figure_ids,
    any_value(pf.name)                    AS from_name,
    any_value(pt.name)                    AS to_name,
    list(DISTINCT f.qualifier ORDER BY f.qualifier) AS qualifiers,
    list(DISTINCT f.component ORDER BY f.component) FILTER (WHERE f.component IS NOT NULL) AS components,
    any_value(d.part_of)                  AS part_of,
    -- true when a deal above it (its umbrella, the umbrella's umbrella ...), itself in deals_counted,
    -- states the same flow: leave it out of sums across deals (money raised counts as one flow
    -- across `cash` and `equity`, as above)
    bool_or(EXISTS (
        SELECT 1 FROM above a
        JOIN figures p ON p.deal_id = a.umbrella
        JOIN deals_counted u ON u.deal_id = p.deal_id
        WHERE a.deal_id = f.deal_id AND a.umbrella <> f.deal_id AND p.component IS NULL
          AND p.measure = f.measure
          AND (p.unit = f.unit OR (p.unit IN ('MW', 'GW') AND f.unit IN ('MW', 'GW')))
          AND (p.flow = f.flow OR (p.flow IN ('cash', 'equity') AND f.flow IN ('cash', 'equity')))
          AND p.from_party = f.from_party AND p.to_party = f.to_party
    ))                                    AS counted_in_parent,
    -- the deal's status: a `cancelled` deal's flow never took place, a `superseded` deal's is the
    -- flow of the deal in its part_of (figures_counted leaves both out)
    any_value(d.status)                   AS deal_status
FROM sized f
LEFT JOIN deals d ON d.deal_id = f.deal_id
LEFT JOIN parties pf ON pf.party_id = f.from_party
LEFT JOIN parties pt ON pt.party_id = f.to_party
WHERE f.component IS NULL OR NOT f.has_whole
GROUP BY f.deal_id, f.from_party, f.to_party, f.flow, f.measure, f.unit;

-- One row per subject (a deal, or a party for party-level facts) × measure × flow × direction ×
-- unit × component (a first tranche is not compared with the whole), and for party-level facts ×
-- period × as_of (H1 revenue and annual revenue, or two dates' stakes, are different facts):
-- the range of what the sources say, and whether two sources disagree on the value or the period
-- (`sources_disagree`), and whether they qualify it differently, e.g. "up to" against "exactly"
-- (`qualifiers_differ`; without `sources_disagree`, that is all they differ on). A period missing from one source is not a disagreement. A component can
-- name several parts of one deal (two sites, two tranches): when one of several sources gives
-- several figures of a component (one figure per number a source states, so even two equal
-- numbers, such as two series of notes of the same size, are two parts), the group holds several
-- parts and `sources_disagree` is NULL (whether the sources disagree cannot be told). So it is
-- for a party-level fact that none of its sources dates (no period, no as_of): an annualized
-- revenue of $0.875B and one of $14B, each undated, may be one company a year apart.
CREATE OR REPLACE VIEW consensus AS
SELECT
    f.deal_id,
    f.party_id,
    f.measure,
    f.flow,
    f.from_party,
    f.to_party,
    f.unit,
    f.component,
    CASE WHEN f.deal_id IS NULL THEN f.period_start END AS period_start,
    CASE WHEN f.deal_id IS NULL THEN f.period_end END   AS period_end,
    CASE WHEN f.deal_id IS NULL THEN f.as_of END        AS as_of,
    min(f.value)                          AS value_min,
    max(coalesce(f.value_high, f.value))  AS value_max,
    count(*)                              AS n_figures,
    count(DISTINCT f.source_id)           AS n_sources,
    CASE WHEN any_value(f.component) IS NOT NULL AND count(DISTINCT f.source_id) > 1
              AND count(*) > count(DISTINCT f.source_id)
         THEN NULL  -- one source gives several figures of this component: several parts, not opinions
         WHEN any_value(f.deal_id) IS NULL AND count(DISTINCT f.source_id) > 1
              AND any_value(f.period_start) IS NULL AND any_value(f.period_end) IS NULL
              AND any_value(f.as_of) IS NULL
         THEN NULL  -- a party's fact that no source dates: two values may be two dates' facts
         ELSE count(DISTINCT f.source_id) > 1 AND (
            count(DISTINCT f.value) > 1
            OR count(DISTINCT coalesce(f.value_high, f.value)) > 1
            OR count(DISTINCT f.period_start) > 1
            OR count(DISTINCT f.period_end) > 1
         )
    END                                   AS sources_disagree,
    list(DISTINCT f.source_id ORDER BY f.source_id) AS source_ids,
    list(f.figure_id ORDER BY f.figure_id) AS figure_ids,
    list(DISTINCT f.qualifier ORDER BY f.qualifier) AS qualifiers,
    count(DISTINCT f.source_id) > 1 AND count(DISTINCT f.qualifier) > 1 AS qualifiers_differ
FROM figures f
GROUP BY ALL;

-- The figures that can be added up across deals: whole figures (no `component`) of the deals in
-- `deals_counted`, not already counted by a deal above theirs (`deals.part_of`: the umbrella, or
-- the umbrella's umbrella ...), i.e. a part's flow is left out when such a deal, itself in
-- `deals_counted`, states a whole
-- figure for the same measure, unit, flow and direction (money raised counts as one flow across
-- `cash` and `equity`: an umbrella's total that mixes debt and equity is `cash` and covers its
-- parts' equity). Party-level facts (revenue, net loss) have no deal and stay. Metrics that sum
-- over deals read this view, not `figures`.
CREATE OR REPLACE VIEW figures_counted AS
WITH RECURSIVE above(deal_id, umbrella) AS (
    -- every deal above a deal: its umbrella, the umbrella's umbrella ... (UNION ends a cycle)
    SELECT deal_id, part_of FROM deals WHERE part_of IS NOT NULL
    UNION
    SELECT a.deal_id, d.part_of FROM above a JOIN deals d ON d.deal_id = a.umbrella WHERE d.part_of IS NOT NULL
)
SELECT f.*
FROM figures f
WHERE f.component IS NULL
  AND (f.deal_id IS NULL OR f.deal_id IN (SELECT deal_id FROM deals_counted))
  AND NOT EXISTS (
        SELECT 1 FROM above a
        JOIN figures p ON p.deal_id = a.umbrella
        JOIN deals_counted u ON u.deal_id = p.deal_id
        WHERE a.deal_id = f.deal_id
          AND a.umbrella <> f.deal_id  -- a cycle of part_of (refused by validation) hides nothing
          AND p.component IS NULL
          AND p.measure = f.measure
          AND (p.unit = f.unit OR (p.unit IN ('MW', 'GW') AND f.unit IN ('MW', 'GW')))
          AND (p.flow = f.flow OR (p.flow IN ('cash', 'equity') AND f.flow IN ('cash', 'equity')))
          AND p.from_party IS NOT DISTINCT FROM f.from_party
          AND p.to_party IS NOT DISTINCT FROM f.to_party
  );
