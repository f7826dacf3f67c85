-- Days of [day_from, day_to) that orders_daily cannot serve exactly: a row created outside its dt day, or a
-- price that is not whole cents (or not finite, or too large for exact cents) (then a sum of cents would not be the raw round(sum(price), 2)).
-- @columns dt varchar, problem varchar
SELECT o.dt, 'created_at outside its dt day or price not in whole cents' AS problem
FROM orders o
WHERE o.dt >= CAST(CAST(:day_from AS DATE) AS VARCHAR)
  AND o.dt < CAST(CAST(:day_to AS DATE) AS VARCHAR)
  AND (CAST(CAST(o.created_at AS DATE) AS VARCHAR) <> o.dt OR o.price <> round(o.price, 2) OR NOT (abs(o.price) < 1e13))
GROUP BY o.dt
