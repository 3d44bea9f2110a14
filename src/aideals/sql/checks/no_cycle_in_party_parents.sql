-- No cycle in parties.parent_id: following parents from any party ends at a party without one.
-- A party that is its own parent is the row rule not_own_parent; this check finds longer cycles.
-- The walk keeps (start, reached) pairs with UNION, which ends on a cycle without carrying paths.
WITH RECURSIVE walk(start_id, party_id) AS (
    SELECT party_id, parent_id
    FROM parties
    WHERE parent_id IS NOT NULL AND parent_id <> party_id
    UNION
    SELECT w.start_id, p.parent_id
    FROM walk w
    JOIN parties p ON p.party_id = w.party_id
    WHERE p.parent_id IS NOT NULL AND w.party_id <> w.start_id
)
SELECT DISTINCT
    'parties' AS resource,
    p.party_id AS id,
    p._row AS _row,
    'parent_id' AS field,
    p.parent_id AS value,
    'parent ' || p.parent_id || ' leads back to ' || p.party_id || ': parents form a cycle' AS message
FROM walk w
JOIN parties p ON p.party_id = w.start_id
WHERE w.party_id = w.start_id
ORDER BY p.party_id;
