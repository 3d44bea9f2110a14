-- A deal's two parties each appear in the flows of its figures, when it has flow figures.
-- (A deal whose figures are all party-level facts or flow = none has nothing to say about this.)
-- A party counts as appearing when it is the from_party or to_party of any flow figure of the deal,
-- even one-sided (a joint venture's owners each receive a stake: only to_party is known).
-- (Written as two anti-joins from the deals' sides rather than a union of the figures' parties:
-- the figures are then only probed, never hashed, which matters at millions of rows.)
WITH deals_with_flows AS (
    SELECT DISTINCT deal_id FROM figures
    WHERE deal_id IS NOT NULL AND flow <> 'none' AND from_party IS NOT NULL AND to_party IS NOT NULL
),
sides AS (
    SELECT deal_id, _row, 'party_a' AS field, party_a AS party_id FROM deals
    UNION ALL
    SELECT deal_id, _row, 'party_b', party_b FROM deals
)
SELECT
    'deals' AS resource,
    s.deal_id AS id,
    s._row AS _row,
    s.field,
    s.party_id AS value,
    s.party_id || ' is not in any flow of the deal''s figures' AS message
FROM sides s
JOIN deals_with_flows d USING (deal_id)
WHERE s.party_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM figures f WHERE f.deal_id = s.deal_id AND f.from_party = s.party_id AND f.flow <> 'none')
  AND NOT EXISTS (SELECT 1 FROM figures f WHERE f.deal_id = s.deal_id AND f.to_party = s.party_id AND f.flow <> 'none')
ORDER BY s.deal_id, s.field;
