-- Every order created in [from, to), oldest first, with its trackcode, service, route, drop city and recipient.
-- One page at a time: the page's orders are picked first (after the keyset of the last row served, oldest
-- first, page_rows of them), then only those are joined to their trackcodes and dimensions; no page
-- sorts or joins the whole range. Every order has its trackcode, route, service and city (the lake's keys);
-- its recipient is the trackcode's drop location (a missing one leaves the recipient columns null, never
-- the order out). The recipient's contact is personal data: each caller gets it in its privacy mode.
-- The trackcode side reads only partitions up to 7 days before `from`: an order is created within
-- 7 days of its trackcode (data contract; the lake has at most 3 attempts about a day apart).
-- @columns order_id bigint, trackcode_id bigint, trackcode varchar, service varchar, route_code varchar, drop_city varchar, status varchar, created_at timestamp, promise_time timestamp, start_time timestamp, end_time timestamp, recipient_name varchar, recipient_email varchar, recipient_phone varchar, drop_address varchar, drop_latitude double, drop_longitude double
-- @page created_at, order_id
-- @pii recipient_name name, recipient_email email, recipient_phone phone, drop_address address, drop_latitude coordinate, drop_longitude coordinate
WITH page AS (
  SELECT o.order_id, o.trackcode_id, o.route_id, o.status, o.created_at, o.promise_time, o.start_time, o.end_time
  FROM orders o
  WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
    AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
    AND o.created_at >= :from
    AND o.created_at < :to
    AND (:all_clients OR o.client_id = :client_id)
    AND (o.created_at > :after_created_at OR (o.created_at = :after_created_at AND o.order_id > :after_order_id))
  ORDER BY o.created_at, o.order_id
  LIMIT :page_rows
)
SELECT p.order_id, p.trackcode_id, t.code AS trackcode, s.name AS service, r.code AS route_code,
       c.name AS drop_city, p.status, p.created_at, p.promise_time, p.start_time, p.end_time,
       NULLIF(concat_ws(' ', l.contact_first_name, l.contact_last_name), '') AS recipient_name,
       l.contact_email AS recipient_email, l.contact_phone AS recipient_phone,
       l.address AS drop_address, l.latitude AS drop_latitude, l.longitude AS drop_longitude
FROM page p
JOIN trackcode t ON t.trackcode_id = p.trackcode_id
JOIN service s ON s.service_id = t.service_id
JOIN route r ON r.route_id = p.route_id
JOIN city c ON c.city_id = t.drop_city_id
LEFT JOIN location l ON l.location_id = t.drop_location_id
WHERE t.dt >= CAST(CAST(:from - INTERVAL '7' DAY AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
ORDER BY p.created_at, p.order_id
