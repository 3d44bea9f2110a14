-- An undisclosed party (parties.kind = 'undisclosed') belongs to one deal: its side and its figures.
-- Two deals' unnamed counterparties may or may not be the same company, so each deal gets its own
-- row; a row used by a second deal, or by a figure of another deal or of no deal, would merge them.
-- The deal it belongs to is the first deal (by id) that has it as party_a or party_b.
WITH undisclosed AS (
    SELECT party_id FROM parties WHERE kind = 'undisclosed'
),
uses AS (
    SELECT 'deals' AS resource, deal_id AS id, _row, deal_id, 'party_a' AS field, party_a AS party_id
    FROM deals WHERE party_a IN (SELECT party_id FROM undisclosed)
    UNION ALL
    SELECT 'deals', deal_id, _row, deal_id, 'party_b', party_b
    FROM deals WHERE party_b IN (SELECT party_id FROM undisclosed)
    UNION ALL
    SELECT 'figures', figure_id, _row, deal_id, 'party_id', party_id
    FROM figures WHERE party_id IN (SELECT party_id FROM undisclosed)
    UNION ALL
    SELECT 'figures', figure_id, _row, deal_id, 'from_party', from_party
    FROM figures WHERE from_party IN (SELECT party_id FROM undisclosed)
    UNION ALL
    SELECT 'figures', figure_id, _row, deal_id, 'to_party', to_party
    FROM figures WHERE to_party IN (SELECT party_id FROM undisclosed)
),
home AS (
    SELECT party_id, min(deal_id) AS deal_id FROM uses WHERE resource = 'deals' GROUP BY party_id
)
SELECT
    u.resource,
    u.id,
    u._row AS _row,
    u.field,
    u.party_id AS value,
    CASE
        WHEN h.deal_id IS NULL THEN u.party_id || ' is an undisclosed party and no deal has it as party_a or party_b'
        WHEN u.deal_id IS NULL THEN u.party_id || ' is the undisclosed party of ' || h.deal_id
             || ', and this figure is of no deal'
        ELSE u.party_id || ' is the undisclosed party of ' || h.deal_id
             || ', not of this deal: each deal''s unnamed party needs its own row'
    END AS message
FROM uses u
LEFT JOIN home h USING (party_id)
WHERE u.deal_id IS DISTINCT FROM h.deal_id
ORDER BY u.resource, u.id, u.field;
