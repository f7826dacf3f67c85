-- Build orders_daily for the UTC days [day_from, day_to): per day, client and route, the orders and their
-- revenue in integer cents. Only rows created within their own dt day count (the layout's contract).
-- @columns client_id integer, route_id integer, orders bigint, revenue_cents bigint, dt varchar
SELECT o.client_id, o.route_id,
       count(*) AS orders,
       sum(CASE WHEN abs(o.price) < 1e13 THEN CAST(round(o.price * 100) AS BIGINT) END) AS revenue_cents,
       o.dt
FROM orders o
WHERE o.dt >= CAST(CAST(:day_from AS DATE) AS VARCHAR)
  AND o.dt < CAST(CAST(:day_to AS DATE) AS VARCHAR)
  AND CAST(CAST(o.created_at AS DATE) AS VARCHAR) = o.dt
GROUP BY o.dt, o.client_id, o.route_id
