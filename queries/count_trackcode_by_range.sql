-- Trackcodes created per UTC day in [from, to); days without trackcodes are absent.
-- @columns day varchar, trackcodes bigint
SELECT t.dt AS day, count(*) AS trackcodes
FROM trackcode t
WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND t.created_at >= :from
  AND t.created_at < :to
  AND (:all_clients OR t.client_id = :client_id)
GROUP BY t.dt
ORDER BY day
