-- A figure's as_of is not after its source was published: a source can state what a number was
-- on a day up to its own publication, not later (a forecast belongs in period_start/period_end).
-- `published` is the first day of its precision's period, so the comparison is against the last
-- day of that period (a source dated "2025-11" may speak of 2025-11-30); approximate dates are skipped.
SELECT
    'figures' AS resource,
    f.figure_id AS id,
    f._row AS _row,
    'as_of' AS field,
    CAST(f.as_of AS VARCHAR) AS value,
    'as_of ' || CAST(f.as_of AS VARCHAR) || ' is after ' || f.source_id || ' was published ('
        || CAST(s.published AS VARCHAR) || ', precision ' || s.published_precision || ')' AS message
FROM figures f
JOIN sources s USING (source_id)
WHERE f.as_of IS NOT NULL
  AND s.published IS NOT NULL
  AND f.as_of > CASE s.published_precision
        WHEN 'day' THEN s.published
        WHEN 'month' THEN CAST(last_day(s.published) AS DATE)
        WHEN 'year' THEN make_date(year(s.published), 12, 31)
      END
ORDER BY f.figure_id;
