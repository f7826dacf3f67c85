-- Services by number of trackcodes created in [from, to), most required first.
-- @columns service varchar, trackcodes bigint
SELECT s.name AS service, count(*) AS trackcodes
FROM trackcode t
JOIN service s ON s.service_id = t.service_id
WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND t.created_at >= :from
  AND t.created_at < :to
  AND (:all_clients OR t.client_id = :client_id)
GROUP BY s.name
ORDER BY trackcodes DESC, service
