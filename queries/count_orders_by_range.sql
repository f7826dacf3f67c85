-- Number of orders (delivery attempts) created in [from, to).
-- @columns orders bigint
SELECT count(*) AS orders
FROM orders o
WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND o.created_at >= :from
  AND o.created_at < :to
  AND (:all_clients OR o.client_id = :client_id)
