-- Drop cities of the trackcodes created in [from, to), most visited first (top `limit`).
-- @columns city varchar, country varchar, trackcodes bigint
-- @limit default 10 max 100
SELECT c.name AS city, co.name AS country, count(*) AS trackcodes
FROM trackcode t
JOIN city c ON c.city_id = t.drop_city_id
JOIN country co ON co.country_id = c.country_id
WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND t.created_at >= :from
  AND t.created_at < :to
  AND (:all_clients OR t.client_id = :client_id)
GROUP BY c.name, co.name
ORDER BY trackcodes DESC, city
LIMIT :limit
