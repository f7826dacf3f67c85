-- Every order created in [from, to), oldest first, with its trackcode, service, route and drop city.
-- The trackcode side reads only partitions up to 7 days before `from`: an order is created within
-- 7 days of its trackcode (data contract; the lake has at most 3 attempts about a day apart).
-- @columns order_id bigint, trackcode_id bigint, trackcode varchar, service varchar, route_code varchar, drop_city varchar, status varchar, created_at timestamp, promise_time timestamp, start_time timestamp, end_time timestamp
-- @page created_at, order_id
SELECT o.order_id, o.trackcode_id, t.code AS trackcode, s.name AS service, r.code AS route_code,
       c.name AS drop_city, o.status, o.created_at, o.promise_time, o.start_time, o.end_time
FROM orders o
JOIN trackcode t ON t.trackcode_id = o.trackcode_id
JOIN service s ON s.service_id = t.service_id
JOIN route r ON r.route_id = o.route_id
JOIN city c ON c.city_id = t.drop_city_id
WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND o.created_at >= :from
  AND o.created_at < :to
  AND (:all_clients OR o.client_id = :client_id)
  AND t.dt >= CAST(CAST(:from - INTERVAL '7' DAY AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
ORDER BY o.created_at, o.order_id
