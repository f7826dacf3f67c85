-- Build trackcode_daily for the UTC days [day_from, day_to): per day, client, service, drop city and status,
-- the trackcodes and how many of them were delivered by their promise time. Only rows created within their
-- own dt day count (the layout's contract; check/trackcode_daily.sql finds days that break it).
-- @columns client_id integer, service_id integer, drop_city_id integer, status varchar, trackcodes bigint, delivered_before_promise bigint, dt varchar
SELECT t.client_id, t.service_id, t.drop_city_id, t.status,
       count(*) AS trackcodes,
       count(CASE WHEN t.delivered_at <= t.promise_time THEN 1 END) AS delivered_before_promise,
       t.dt
FROM trackcode t
WHERE t.dt >= CAST(CAST(:day_from AS DATE) AS VARCHAR)
  AND t.dt < CAST(CAST(:day_to AS DATE) AS VARCHAR)
  AND CAST(CAST(t.created_at AS DATE) AS VARCHAR) = t.dt
GROUP BY t.dt, t.client_id, t.service_id, t.drop_city_id, t.status
