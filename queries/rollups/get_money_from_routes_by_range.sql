-- get_money_from_routes_by_range over the orders_daily rollup (same answer as queries/get_money_from_routes_by_range.sql).
-- Rollup path: the dt days [rollup_from, rollup_to) (whole UTC days inside [from, to)) from the orders_daily rollup; every
-- other partition of the range from raw orders, with the same created_at filters as the raw query.
-- Revenue is summed in integer cents (exact), then given as the double nearest to cents / 100:
-- the raw round(sum(price), 2) is that same double while prices are whole cents (checked when a
-- day is rolled up; see docs/rollups.md) and the double sum's error stays under half a cent.
-- Rows read raw are converted to cents too, so every day read raw must be known exact (@raw-days exact).
-- @raw-days exact
-- @columns route_id integer, route_code varchar, city varchar, orders bigint, revenue double
SELECT r.route_id, r.code AS route_code, c.name AS city, CAST(sum(x.orders) AS BIGINT) AS orders,
       round(CAST(sum(x.revenue_cents) AS DOUBLE) / 100, 2) AS revenue
FROM (
  SELECT d.route_id, d.orders, d.revenue_cents
  FROM orders_daily d
  WHERE d.dt >= CAST(CAST(:rollup_from AS DATE) AS VARCHAR)
    AND d.dt < CAST(CAST(:rollup_to AS DATE) AS VARCHAR)
    AND (:all_clients OR d.client_id = :client_id)
  UNION ALL
  SELECT o.route_id, 1, CASE WHEN abs(o.price) < 1e13 THEN CAST(round(o.price * 100) AS BIGINT) END
  FROM orders o
  WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
    AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
    AND o.created_at >= :from
    AND o.created_at < :to
    AND (o.dt < CAST(CAST(:rollup_from AS DATE) AS VARCHAR) OR o.dt >= CAST(CAST(:rollup_to AS DATE) AS VARCHAR))
    AND (:all_clients OR o.client_id = :client_id)
) x
JOIN route r ON r.route_id = x.route_id
JOIN city c ON c.city_id = r.city_id
GROUP BY r.route_id, r.code, c.name
ORDER BY revenue DESC, r.route_id
