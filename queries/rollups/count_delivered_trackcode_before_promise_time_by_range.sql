-- count_delivered_trackcode_before_promise_time_by_range over the trackcode_daily rollup (same answer as the raw query).
-- Rollup path: the dt days [rollup_from, rollup_to) (whole UTC days inside [from, to)) from the trackcode_daily rollup; every
-- other partition of the range from raw trackcode, with the same created_at filters as the raw query.
-- The ratio divides the same two integers as the raw query, so it is the same double.
-- @columns delivered bigint, delivered_before_promise bigint, ratio double
SELECT
  CAST(coalesce(sum(x.trackcodes), 0) AS BIGINT) AS delivered,
  CAST(coalesce(sum(x.delivered_before_promise), 0) AS BIGINT) AS delivered_before_promise,
  round(CAST(coalesce(sum(x.delivered_before_promise), 0) AS DOUBLE) / nullif(coalesce(sum(x.trackcodes), 0), 0), 4) AS ratio
FROM (
  SELECT r.dt, r.client_id, r.service_id, r.drop_city_id, r.status, r.trackcodes, r.delivered_before_promise
  FROM trackcode_daily r
  WHERE r.dt >= CAST(CAST(:rollup_from AS DATE) AS VARCHAR)
    AND r.dt < CAST(CAST(:rollup_to AS DATE) AS VARCHAR)
    AND (:all_clients OR r.client_id = :client_id)
  UNION ALL
  SELECT t.dt, t.client_id, t.service_id, t.drop_city_id, t.status, 1, CASE WHEN t.delivered_at <= t.promise_time THEN 1 ELSE 0 END
  FROM trackcode t
  WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
    AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
    AND t.created_at >= :from
    AND t.created_at < :to
    AND (t.dt < CAST(CAST(:rollup_from AS DATE) AS VARCHAR) OR t.dt >= CAST(CAST(:rollup_to AS DATE) AS VARCHAR))
    AND (:all_clients OR t.client_id = :client_id)
) x
WHERE x.status = 'delivered'
