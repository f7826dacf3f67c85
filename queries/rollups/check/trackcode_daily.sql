-- Days of [day_from, day_to) that trackcode_daily cannot serve exactly: a row created outside its dt day.
-- @columns dt varchar, problem varchar
SELECT t.dt, 'created_at outside its dt day' AS problem
FROM trackcode t
WHERE t.dt >= CAST(CAST(:day_from AS DATE) AS VARCHAR)
  AND t.dt < CAST(CAST(:day_to AS DATE) AS VARCHAR)
  AND CAST(CAST(t.created_at AS DATE) AS VARCHAR) <> t.dt
GROUP BY t.dt
