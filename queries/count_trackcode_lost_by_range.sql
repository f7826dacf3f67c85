-- Trackcodes created in [from, to) that are lost.
-- @columns lost_trackcodes bigint
SELECT count(*) AS lost_trackcodes
FROM trackcode t
WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND t.created_at >= :from
  AND t.created_at < :to
  AND (:all_clients OR t.client_id = :client_id)
  AND t.status = 'lost'
