-- A deal is not dated after the source that dates it was published: deals.source_id names the page
-- that shows the announcement, and a page cannot show what happened after it appeared. Both dates
-- stand for a period at their precision: the check fails only when the deal's period starts after
-- the source's period ends (a deal of "2025-11" against a source of 2025-10-20 fails; against one
-- of "2025-11" it does not). Approximate dates, and dates without a precision (a row rule), are skipped.
SELECT
    'deals' AS resource,
    d.deal_id AS id,
    d._row AS _row,
    'announced' AS field,
    CAST(d.announced AS VARCHAR) AS value,
    'announced ' || CAST(d.announced AS VARCHAR) || ' (' || d.date_precision || ') is after '
        || d.source_id || ', the source that dates it, was published ('
        || CAST(s.published AS VARCHAR) || ', precision ' || s.published_precision || ')' AS message
FROM deals d
JOIN sources s ON s.source_id = d.source_id
WHERE d.announced IS NOT NULL
  AND s.published IS NOT NULL
  AND d.date_precision IN ('day', 'month', 'year')
  AND CAST(date_trunc(d.date_precision, d.announced) AS DATE) > CASE s.published_precision
        WHEN 'day' THEN s.published
        WHEN 'month' THEN CAST(last_day(s.published) AS DATE)
        WHEN 'year' THEN make_date(year(s.published), 12, 31)
      END
ORDER BY d.deal_id;
