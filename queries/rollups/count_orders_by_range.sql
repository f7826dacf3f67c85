-- count_orders_by_range over the orders_daily rollup (same answer as queries/count_orders_by_range.sql).
-- Rollup path: the dt days [rollup_from, rollup_to) (whole UTC days inside [from, to)) from the orders_daily rollup; every
-- other partition of the range from raw orders, with the same created_at filters as the raw query.
-- @columns orders bigint
SELECT CAST(coalesce(sum(x.orders), 0) AS BIGINT) AS orders
FROM (
  SELECT d.orders
  FROM orders_daily d
  WHERE d.dt >= CAST(CAST(:rollup_from AS DATE) AS VARCHAR)
    AND d.dt < CAST(CAST(:rollup_to AS DATE) AS VARCHAR)
    AND (:all_clients OR d.client_id = :client_id)
  UNION ALL
  SELECT 1
  FROM orders o
  WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
    AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
    AND o.created_at >= :from
    AND o.created_at < :to
    AND (o.dt < CAST(CAST(:rollup_from AS DATE) AS VARCHAR) OR o.dt >= CAST(CAST(:rollup_to AS DATE) AS VARCHAR))
    AND (:all_clients OR o.client_id = :client_id)
) x
