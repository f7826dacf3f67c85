-- Routes with orders created in [from, to): order count and revenue, highest revenue first.
-- @columns route_id integer, route_code varchar, city varchar, orders bigint, revenue double
SELECT r.route_id, r.code AS route_code, c.name AS city, count(*) AS orders, round(sum(o.price), 2) AS revenue
FROM orders o
JOIN route r ON r.route_id = o.route_id
JOIN city c ON c.city_id = r.city_id
WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND o.created_at >= :from
  AND o.created_at < :to
  AND (:all_clients OR o.client_id = :client_id)
GROUP BY r.route_id, r.code, c.name
ORDER BY revenue DESC, r.route_id
