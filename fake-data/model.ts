/**
 * The fake logistics business, as set-based SQL run inside DuckDB.
 *
 * Every random draw is `u(key, salt)`: a hash of (seed, key, salt) mapped to [0, 1). Unlike
 * `random()`, it does not depend on thread scheduling, so the same seed and scale give the same
 * rows whatever the machine. Weighted choices use cumulative-distribution tables (`*_cdf`,
 * columns grp, lo, value) joined with ASOF JOIN, so even tens of millions of rows stay one
 * vectorised pass — there is no per-row JavaScript.
 *
 * The business being modelled:
 * - 5 countries, 23 cities, ~120 delivery routes (each in one city), 5 services, 5 product sizes;
 * - 50 shipping clients of Zipf-like sizes; each contracts a few services and only ships with them;
 * - trackcodes (parcels) arrive with a weekly rhythm (quiet Sundays), a seasonal wave, a
 *   Black-Friday / Christmas peak and slow growth over the year, mostly in business hours;
 * - each trackcode has 1–3 orders (delivery attempts): failed attempts create extra orders a
 *   day apart; ~1.8 % of trackcodes are lost, ~1.2 % returned after three failed attempts;
 *   some deliveries land after the promise time;
 * - order prices derive from the route's base price, the parcel size and ±15 % variation;
 * - the data is a snapshot taken at the end of the window: what has not happened yet is
 *   absent (orders) or unfinished (status in_transit / created, pending / in_progress, NULL
 *   start/end/delivered times).
 */

export interface LakeModel {
  /** Integer seed of every draw. */
  readonly seed: number;
  /** Number of trackcodes to create over the window (≈ 1.13 orders each). */
  readonly trackcodes: number;
  /** First day of data (inclusive), `YYYY-MM-DD`. */
  readonly start: string;
  /** Day the snapshot is taken (exclusive end of data), `YYYY-MM-DD`. */
  readonly end: string;
}

/** Trackcodes at scale 1: one calendar year, about half a million parcels. */
export const TRACKCODES_PER_SCALE = 500_000;
export const DEFAULT_WINDOW = { start: '2024-01-01', end: '2025-01-01' } as const;

/** Days after its trackcode within which every order is created (max 3 attempts, ~1 day apart). */
export const MAX_ORDER_LAG_DAYS = 3;

/** Statements that build the model's tables in the current DuckDB database, in order. */
export function modelStatements(m: LakeModel): { label: string; sql: string }[] {
  // The model only ever interpolates these validated numbers/dates, never user text.
  if (!Number.isSafeInteger(m.seed) || !Number.isSafeInteger(m.trackcodes) || m.trackcodes < 1) {
    throw new Error('invalid lake model');
  }
  for (const d of [m.start, m.end]) if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error('invalid lake window');
  const seed = m.seed;
  const start = `DATE '${m.start}'`;
  const end = `TIMESTAMP '${m.end} 00:00:00'`;

  return [
    {
      label: 'helpers',
      sql: `
-- hash() of several values mixes poorly (draws with nearby salts correlate), so each draw
-- hashes the key alone and re-hashes it XOR a (seed, salt) mask: independent streams.
CREATE OR REPLACE MACRO u(k, salt) AS ((hash(xor(hash(k), hash(${seed}, salt))) >> 11)::DOUBLE / 9007199254740992.0);
CREATE OR REPLACE MACRO normal(k, salt) AS (sqrt(-2 * ln(1 - u(k, salt))) * cos(2 * pi() * u(k, salt + 1)));
CREATE OR REPLACE MACRO plus_hours(ts, h) AS (ts + to_seconds(CAST(round(h * 3600) AS BIGINT)));
`,
    },
    {
      label: 'dimensions',
      sql: `
CREATE TABLE country AS SELECT * FROM (VALUES
  (1, 'Chile', 'CL', 'CLP'), (2, 'Peru', 'PE', 'PEN'), (3, 'Colombia', 'CO', 'COP'),
  (4, 'Mexico', 'MX', 'MXN'), (5, 'Argentina', 'AR', 'ARS')
) t(country_id, name, iso_code, currency);

CREATE TABLE city_seed AS SELECT * FROM (VALUES
  (1, 1, 'Santiago', 'America/Santiago', 'SCL', 10.0), (2, 1, 'Valparaíso', 'America/Santiago', 'VAP', 2.0),
  (3, 1, 'Concepción', 'America/Santiago', 'CCP', 2.0), (4, 1, 'Antofagasta', 'America/Santiago', 'ANF', 1.0),
  (5, 1, 'La Serena', 'America/Santiago', 'LSC', 1.0), (6, 1, 'Temuco', 'America/Santiago', 'ZCO', 1.0),
  (7, 2, 'Lima', 'America/Lima', 'LIM', 8.0), (8, 2, 'Arequipa', 'America/Lima', 'AQP', 1.5),
  (9, 2, 'Trujillo', 'America/Lima', 'TRU', 1.0), (10, 2, 'Cusco', 'America/Lima', 'CUZ', 0.8),
  (11, 3, 'Bogotá', 'America/Bogota', 'BOG', 7.0), (12, 3, 'Medellín', 'America/Bogota', 'MDE', 3.0),
  (13, 3, 'Cali', 'America/Bogota', 'CLO', 2.0), (14, 3, 'Barranquilla', 'America/Bogota', 'BAQ', 1.5),
  (15, 4, 'Ciudad de México', 'America/Mexico_City', 'MEX', 9.0), (16, 4, 'Guadalajara', 'America/Mexico_City', 'GDL', 3.0),
  (17, 4, 'Monterrey', 'America/Monterrey', 'MTY', 3.0), (18, 4, 'Puebla', 'America/Mexico_City', 'PBC', 1.5),
  (19, 4, 'Tijuana', 'America/Tijuana', 'TIJ', 1.2),
  (20, 5, 'Buenos Aires', 'America/Argentina/Buenos_Aires', 'BUE', 8.0),
  (21, 5, 'Córdoba', 'America/Argentina/Cordoba', 'COR', 2.0),
  (22, 5, 'Rosario', 'America/Argentina/Cordoba', 'ROS', 1.5),
  (23, 5, 'Mendoza', 'America/Argentina/Mendoza', 'MDZ', 1.2)
) t(city_id, country_id, name, timezone, short_code, weight);
CREATE TABLE city AS SELECT city_id, country_id, name, timezone FROM city_seed;

-- service: popularity among parcels, probability a client contracts it, promise in hours.
CREATE TABLE service_seed AS SELECT * FROM (VALUES
  (1, 'standard', 5.0, 0.90, 96), (2, 'express', 2.0, 0.50, 36), (3, 'next_day', 3.0, 0.60, 30),
  (4, 'same_day', 1.5, 0.30, 12), (5, 'international', 0.5, 0.15, 240)
) t(service_id, name, popularity, contract_p, sla_hours);
CREATE TABLE service AS SELECT service_id, name FROM service_seed;

CREATE TABLE product_size_seed AS SELECT * FROM (VALUES
  (1, 'XS', 10.0, 10.0, 5.0, 0.15, 0.05, 0.5, 0.8), (2, 'S', 20.0, 15.0, 10.0, 0.35, 0.3, 2.0, 1.0),
  (3, 'M', 40.0, 30.0, 20.0, 0.30, 1.0, 6.0, 1.3), (4, 'L', 60.0, 40.0, 40.0, 0.15, 4.0, 15.0, 1.8),
  (5, 'XL', 100.0, 60.0, 60.0, 0.05, 10.0, 40.0, 2.8)
) t(product_size_id, name, dim_x_cm, dim_y_cm, dim_z_cm, weight, min_kg, max_kg, price_factor);
CREATE TABLE product_size AS SELECT product_size_id, name, dim_x_cm, dim_y_cm, dim_z_cm FROM product_size_seed;

-- routes: 2 + round(city weight) per city, numbered within the city.
CREATE TABLE route AS
SELECT CAST(row_number() OVER (ORDER BY c.city_id, n) AS INTEGER) AS route_id,
       co.iso_code || '-' || c.short_code || '-' || lpad(CAST(n + 1 AS VARCHAR), 3, '0') AS code,
       c.city_id,
       round(3 + 45 * u(c.city_id * 1000 + n, 1), 1) AS distance_km,
       round(1.5 + 0.12 * (3 + 45 * u(c.city_id * 1000 + n, 1)) * (0.9 + 0.2 * u(c.city_id * 1000 + n, 2)), 2) AS base_price
FROM city_seed c JOIN country co USING (country_id), range(CAST(2 + round(c.weight) AS BIGINT)) r(n);

CREATE TABLE client_seed AS
WITH ids AS (SELECT CAST(range AS INTEGER) AS client_id FROM range(1, 51)),
words AS (
  SELECT ['Andes', 'Pacífico', 'Cóndor', 'Austral', 'Sol', 'Luna', 'Rápido', 'Verde', 'Norte', 'Sur',
          'Mercado', 'Tienda', 'Casa', 'Nova', 'Prisma', 'Vértice'] AS a,
         ['Retail', 'Market', 'Store', 'Express', 'Moda', 'Hogar', 'Tech', 'Farma', 'Libros',
          'Deportes', 'Mascotas', 'Gourmet'] AS b
),
placed AS (
  SELECT i.client_id, cc.value AS city_id,
         (i.client_id * 7 + ${seed}) % 192 AS name_ix,
         -- Zipf-like size: a handful of big shippers, a long tail of small ones.
         1.0 / pow(row_number() OVER (ORDER BY u(i.client_id, 3)), 0.9) AS volume
  FROM ids i ASOF JOIN (
    SELECT 0 AS grp, sum(weight) OVER (ORDER BY city_id) / sum(weight) OVER () - weight / sum(weight) OVER () AS lo,
           city_id AS value FROM city_seed
  ) cc ON u(i.client_id, 2) >= cc.lo
)
SELECT p.client_id, p.city_id, p.volume,
       words.a[1 + p.name_ix // 12] || ' ' || words.b[1 + p.name_ix % 12] AS commercial_name,
       co.country_id
FROM placed p, words JOIN city_seed c ON c.city_id = p.city_id JOIN country co ON co.country_id = c.country_id;

CREATE TABLE client AS
SELECT c.client_id,
       regexp_replace(md5('${seed}-client-' || c.client_id),
                      '^(.{8})(.{4}).(.{3})(.{4})(.{12})$', '\\1-\\2-4\\3-\\4-\\5') AS enterprise_key,
       c.commercial_name || CASE c.country_id WHEN 1 THEN ' SpA' WHEN 2 THEN ' S.A.C.' WHEN 3 THEN ' S.A.S.'
                                         WHEN 4 THEN ' S.A. de C.V.' ELSE ' S.R.L.' END AS business_name,
       c.commercial_name, c.city_id
FROM client_seed c;

-- Every client contracts each service with that service's probability, and at least 'standard'.
CREATE TABLE client_service AS
SELECT c.client_id, s.service_id
FROM client_seed c, service_seed s
WHERE u(c.client_id * 100 + s.service_id, 4) < s.contract_p
   OR (s.service_id = 1 AND NOT EXISTS (
        SELECT 1 FROM service_seed s2 WHERE u(c.client_id * 100 + s2.service_id, 4) < s2.contract_p));
`,
    },
    {
      label: 'distributions',
      sql: `
CREATE MACRO cdf(grp, w, ord) AS (sum(w) OVER (PARTITION BY grp ORDER BY ord) / sum(w) OVER (PARTITION BY grp)
                                  - w / sum(w) OVER (PARTITION BY grp));
CREATE TABLE client_cdf AS SELECT 0 AS grp, cdf(0, volume, client_id) AS lo, client_id AS value FROM client_seed;
CREATE TABLE client_service_cdf AS
  SELECT cs.client_id AS grp, cdf(cs.client_id, s.popularity, s.service_id) AS lo, cs.service_id AS value
  FROM client_service cs JOIN service_seed s USING (service_id);
-- drop cities: within a country (grp = country_id) or anywhere (grp = 0).
CREATE TABLE drop_city_cdf AS
  SELECT country_id AS grp, cdf(country_id, weight, city_id) AS lo, city_id AS value FROM city_seed
  UNION ALL SELECT 0, cdf(0, weight, city_id), city_id FROM city_seed;
CREATE TABLE size_cdf AS SELECT 0 AS grp, cdf(0, weight, product_size_id) AS lo, product_size_id AS value FROM product_size_seed;
CREATE TABLE route_cdf AS SELECT city_id AS grp, cdf(city_id, 1.0, route_id) AS lo, route_id AS value FROM route;

-- Parcels per day: weekly rhythm x seasonal wave x November/December peaks x growth x noise.
CREATE TABLE day_plan AS
WITH d AS (
  SELECT CAST(range AS DATE) AS day, row_number() OVER (ORDER BY range) AS i, count(*) OVER () AS days
  FROM range(${start}, CAST(${end} AS DATE), INTERVAL 1 DAY)
), w AS (
  SELECT day,
    (CASE dayofweek(day) WHEN 0 THEN 0.35 WHEN 6 THEN 0.6 WHEN 1 THEN 1.1 ELSE 1.0 END)
    * (1 + 0.12 * sin(2 * pi() * (dayofyear(day) - 100) / 365.25)
         + 0.9 * exp(-pow((dayofyear(day) - 333) / 3.0, 2))
         + 0.35 * exp(-pow((dayofyear(day) - 350) / 9.0, 2)))
    * (0.9 + 0.2 * i / days)
    * (0.93 + 0.14 * u(i, 5)) AS w
  FROM d
), n AS (
  SELECT day, CAST(round(${m.trackcodes} * w / sum(w) OVER ()) AS BIGINT) AS n FROM w
)
SELECT day, n, sum(n) OVER (ORDER BY day) - n AS first_id FROM n;
`,
    },
    {
      label: 'trackcodes',
      sql: `
-- Attempt k of a trackcode: when it is created, starts and ends (hours after a base time).
CREATE MACRO attempt_created(created_at, id, k) AS
  plus_hours(created_at, CASE WHEN k = 0 THEN 0.75 * u(id, 20) ELSE 22 * k + 4 * u(id, 20 + k) END);
CREATE MACRO attempt_start(created_k, id, k, sla_hours, late) AS
  plus_hours(created_k, CASE WHEN k > 0 THEN 1 + 6 * u(id, 30 + k)
                             WHEN late THEN sla_hours * (1.0 + 0.4 * u(id, 30))
                             ELSE sla_hours * (0.05 + 0.8 * u(id, 30)) END);
CREATE MACRO attempt_end(start_k, id, k) AS plus_hours(start_k, 0.25 + 2.0 * u(id, 40 + k));

CREATE TABLE tc AS
WITH base AS (
  SELECT first_id + unnest(range(n)) + 1 AS trackcode_id, day FROM day_plan
), drawn AS (
  SELECT b.trackcode_id,
         plus_hours(CAST(b.day AS TIMESTAMP),
           CASE WHEN u(b.trackcode_id, 6) < 0.9 THEN 8 + 12 * (u(b.trackcode_id, 7) + u(b.trackcode_id, 8)) / 2
                ELSE 24 * u(b.trackcode_id, 7) END) AS created_at,
         cl.value AS client_id
  FROM base b ASOF JOIN client_cdf cl ON u(b.trackcode_id, 1) >= cl.lo
), with_service AS (
  SELECT d.*, s.value AS service_id, c.city_id AS pickup_city_id, c.country_id AS pickup_country_id
  FROM drawn d
  JOIN client_seed c USING (client_id)
  ASOF JOIN client_service_cdf s ON s.grp = d.client_id AND u(d.trackcode_id, 2) >= s.lo
), placed AS (
  SELECT w.*,
         CASE WHEN w.service_id = 5 OR u(w.trackcode_id, 3) < 0.12 THEN 0 ELSE w.pickup_country_id END AS drop_grp
  FROM with_service w
), sized AS (
  SELECT p.*, dc.value AS drop_city_id, sz.value AS product_size_id
  FROM placed p
  ASOF JOIN drop_city_cdf dc ON dc.grp = p.drop_grp AND u(p.trackcode_id, 4) >= dc.lo
  ASOF JOIN size_cdf sz ON u(p.trackcode_id, 9) >= sz.lo
), planned AS (
  SELECT s.*,
         ps.price_factor,
         round(ps.min_kg + (ps.max_kg - ps.min_kg) * pow(u(s.trackcode_id, 10), 2), 2) AS product_weight_kg,
         round(exp(3.0 + 0.8 * normal(s.trackcode_id, 11)), 2) AS product_price,
         u(s.trackcode_id, 13) < 0.15 AS crossdocking,
         sv.sla_hours,
         CASE WHEN u(s.trackcode_id, 14) < 0.018 THEN 'lost'
              WHEN u(s.trackcode_id, 14) < 0.030 THEN 'returned'
              ELSE 'delivered' END AS fate,
         u(s.trackcode_id, 15) < 0.08 AS late
  FROM sized s
  JOIN product_size_seed ps USING (product_size_id)
  JOIN service_seed sv USING (service_id)
), attempts AS (
  SELECT p.*,
         CASE WHEN p.fate = 'returned' THEN 3
              ELSE 1 + CAST(u(p.trackcode_id, 16) < 0.10 AS INTEGER) + CAST(u(p.trackcode_id, 16) < 0.025 AS INTEGER)
         END AS attempts
  FROM planned p
), timed AS (
  SELECT a.*,
         plus_hours(a.created_at, a.sla_hours) AS promise_time,
         attempt_start(attempt_created(a.created_at, a.trackcode_id, 0), a.trackcode_id, 0, a.sla_hours, a.late) AS first_start,
         attempt_end(attempt_start(attempt_created(a.created_at, a.trackcode_id, a.attempts - 1), a.trackcode_id,
                                   a.attempts - 1, a.sla_hours, a.late),
                     a.trackcode_id, a.attempts - 1) AS last_end
  FROM attempts a
)
SELECT t.*,
       CASE WHEN t.last_end < ${end} THEN t.fate
            WHEN t.first_start >= ${end} THEN 'created'
            ELSE 'in_transit' END AS status,
       sum(t.attempts) OVER (ORDER BY t.trackcode_id) - t.attempts AS first_order_id
FROM timed t;
`,
    },
  ];
}

/** SELECTs producing each fact table's rows, with its `dt` partition column. */
export function factSelects(m: LakeModel): Record<'trackcode' | 'orders', string> {
  const end = `TIMESTAMP '${m.end} 00:00:00'`;
  return {
    trackcode: `
SELECT t.trackcode_id,
       'LG' || lpad(CAST(t.trackcode_id AS VARCHAR), 10, '0') || co.iso_code AS code,
       t.client_id, t.service_id, t.pickup_city_id, t.drop_city_id, t.product_size_id,
       t.product_weight_kg, t.product_price, t.crossdocking, t.status, t.created_at, t.promise_time,
       CASE WHEN t.status = 'delivered' THEN t.last_end END AS delivered_at,
       strftime(t.created_at, '%Y-%m-%d') AS dt
FROM tc t JOIN country co ON co.country_id = t.pickup_country_id`,
    orders: `
WITH legs AS (
  SELECT t.trackcode_id, t.first_order_id, t.client_id, t.drop_city_id, t.price_factor, t.sla_hours,
         t.late, t.fate, t.attempts, t.promise_time AS tc_promise, k,
         attempt_created(t.created_at, t.trackcode_id, k) AS created_at
  FROM (SELECT *, unnest(range(attempts)) AS k FROM tc) t
), timed AS (
  SELECT l.*, attempt_start(l.created_at, l.trackcode_id, l.k, l.sla_hours, l.late) AS start_time
  FROM legs l WHERE l.created_at < ${end}
), ended AS (
  SELECT t.*, attempt_end(t.start_time, t.trackcode_id, t.k) AS end_time FROM timed t
)
SELECT e.first_order_id + e.k + 1 AS order_id, e.trackcode_id, e.client_id, r.value AS route_id,
       round(ro.base_price * e.price_factor * (0.85 + 0.3 * u(e.trackcode_id, 60 + e.k)), 2) AS price,
       CASE WHEN e.start_time >= ${end} THEN 'pending'
            WHEN e.end_time >= ${end} THEN 'in_progress'
            WHEN e.k < e.attempts - 1 THEN 'failed'
            WHEN e.fate = 'delivered' THEN 'delivered'
            WHEN e.fate = 'lost' THEN 'cancelled'
            ELSE 'failed' END AS status,
       e.created_at,
       CASE WHEN e.k = 0 THEN e.tc_promise ELSE plus_hours(e.created_at, least(e.sla_hours, 24)) END AS promise_time,
       CASE WHEN e.start_time < ${end} THEN e.start_time END AS start_time,
       CASE WHEN e.end_time < ${end} THEN e.end_time END AS end_time,
       strftime(e.created_at, '%Y-%m-%d') AS dt
FROM ended e
ASOF JOIN route_cdf r ON r.grp = e.drop_city_id AND u(e.trackcode_id, 50 + e.k) >= r.lo
JOIN route ro ON ro.route_id = r.value`,
  };
}
