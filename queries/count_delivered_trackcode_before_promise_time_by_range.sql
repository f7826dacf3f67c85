-- Of the trackcodes created in [from, to) and delivered: how many, how many on time, and the on-time ratio.
-- count(CASE …) rather than count_if: DuckDB's count_if is NULL over no rows, Trino's is 0.
-- @columns delivered bigint, delivered_before_promise bigint, ratio double
SELECT
  count(*) AS delivered,
  count(CASE WHEN t.delivered_at <= t.promise_time THEN 1 END) AS delivered_before_promise,
  round(CAST(count(CASE WHEN t.delivered_at <= t.promise_time THEN 1 END) AS DOUBLE) / nullif(count(*), 0), 4) AS ratio
FROM trackcode t
WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND t.created_at >= :from
  AND t.created_at < :to
  AND (:all_clients OR t.client_id = :client_id)
  AND t.status = 'delivered'
