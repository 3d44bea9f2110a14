-- No cycle in deals.part_of: following umbrellas from any deal ends at a deal that is part of no
-- other. A deal that is part of itself is the row rule not_part_of_itself; this check finds longer
-- cycles, in which every deal would be counted in another and its figures left out of every sum.
-- The walk keeps (start, reached) pairs with UNION, which ends on a cycle without carrying paths.
WITH RECURSIVE walk(start_id, deal_id) AS (
    SELECT deal_id, part_of
    FROM deals
    WHERE part_of IS NOT NULL AND part_of <> deal_id
    UNION
    SELECT w.start_id, d.part_of
    FROM walk w
    JOIN deals d ON d.deal_id = w.deal_id
    WHERE d.part_of IS NOT NULL AND w.deal_id <> w.start_id
)
SELECT DISTINCT
    'deals' AS resource,
    d.deal_id AS id,
    d._row AS _row,
    'part_of' AS field,
    d.part_of AS value,
    'umbrella ' || d.part_of || ' leads back to ' || d.deal_id || ': part_of forms a cycle' AS message
FROM walk w
JOIN deals d ON d.deal_id = w.start_id
WHERE w.deal_id = w.start_id
ORDER BY d.deal_id;
