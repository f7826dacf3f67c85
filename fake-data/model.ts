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
 * - locations (personal data): each client has 1–4 warehouses in its city (by size; its staff as
 *   contacts, on its company's e-mail domain), where its parcels are picked up; each city has a
 *   pool of recipients' addresses (about one per 3 parcels it receives), drawn Zipf-like so that
 *   recipients repeat. Names, streets, e-mails and phones are typical of each country
 *   (people.ts), points lie within 0.15° of the city's centre, and a small share of recipients
 *   have awkward values on purpose (one-word names, missing or malformed e-mails, no phone);
 * - the data is a snapshot taken at the end of the window: what has not happened yet is
 *   absent (orders) or unfinished (status in_transit / created, pending / in_progress, NULL
 *   start/end/delivered times).
 */

import { sqlString } from '../src/shared/sql-literal.ts';
import { PEOPLE, MAIL_DOMAIN_SHARES, type CityPhone } from './people.ts';
import { DAY_TEXT } from '../src/shared/time.ts';

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

export interface CitySeed {
  readonly cityId: number;
  readonly countryId: number;
  readonly name: string;
  readonly timezone: string;
  readonly shortCode: string;
  /** Relative share of the country's parcels (one decimal). */
  readonly weight: number;
  /** The city's centre (degrees): locations are scattered within about 0.15° of it. */
  readonly centre: readonly [lat: number, lon: number];
  /** Landline area code and national number length (people.ts has the country's mobiles). */
  readonly phone: CityPhone;
}

/** The 23 cities. Only the lake's `city` columns are written; centres and phone plans stay in the model. */
export const CITIES: readonly CitySeed[] = [
  city(1, 1, 'Santiago', 'America/Santiago', 'SCL', 10.0, [-33.4489, -70.6693], '2', 9),
  city(2, 1, 'Valparaíso', 'America/Santiago', 'VAP', 2.0, [-33.0472, -71.6127], '32', 9),
  city(3, 1, 'Concepción', 'America/Santiago', 'CCP', 2.0, [-36.8270, -73.0503], '41', 9),
  city(4, 1, 'Antofagasta', 'America/Santiago', 'ANF', 1.0, [-23.6509, -70.3975], '55', 9),
  city(5, 1, 'La Serena', 'America/Santiago', 'LSC', 1.0, [-29.9027, -71.2519], '51', 9),
  city(6, 1, 'Temuco', 'America/Santiago', 'ZCO', 1.0, [-38.7359, -72.5904], '45', 9),
  city(7, 2, 'Lima', 'America/Lima', 'LIM', 8.0, [-12.0464, -77.0428], '1', 8),
  city(8, 2, 'Arequipa', 'America/Lima', 'AQP', 1.5, [-16.4090, -71.5375], '54', 8),
  city(9, 2, 'Trujillo', 'America/Lima', 'TRU', 1.0, [-8.1116, -79.0288], '44', 8),
  city(10, 2, 'Cusco', 'America/Lima', 'CUZ', 0.8, [-13.5320, -71.9675], '84', 8),
  city(11, 3, 'Bogotá', 'America/Bogota', 'BOG', 7.0, [4.7110, -74.0721], '601', 10),
  city(12, 3, 'Medellín', 'America/Bogota', 'MDE', 3.0, [6.2442, -75.5812], '604', 10),
  city(13, 3, 'Cali', 'America/Bogota', 'CLO', 2.0, [3.4516, -76.5320], '602', 10),
  city(14, 3, 'Barranquilla', 'America/Bogota', 'BAQ', 1.5, [10.9685, -74.7813], '605', 10),
  city(15, 4, 'Ciudad de México', 'America/Mexico_City', 'MEX', 9.0, [19.4326, -99.1332], '55', 10),
  city(16, 4, 'Guadalajara', 'America/Mexico_City', 'GDL', 3.0, [20.6597, -103.3496], '33', 10),
  city(17, 4, 'Monterrey', 'America/Monterrey', 'MTY', 3.0, [25.6866, -100.3161], '81', 10),
  city(18, 4, 'Puebla', 'America/Mexico_City', 'PBC', 1.5, [19.0414, -98.2063], '222', 10),
  city(19, 4, 'Tijuana', 'America/Tijuana', 'TIJ', 1.2, [32.5149, -117.0382], '664', 10),
  city(20, 5, 'Buenos Aires', 'America/Argentina/Buenos_Aires', 'BUE', 8.0, [-34.6037, -58.3816], '11', 10),
  city(21, 5, 'Córdoba', 'America/Argentina/Cordoba', 'COR', 2.0, [-31.4201, -64.1888], '351', 10),
  city(22, 5, 'Rosario', 'America/Argentina/Cordoba', 'ROS', 1.5, [-32.9442, -60.6505], '341', 10),
  city(23, 5, 'Mendoza', 'America/Argentina/Mendoza', 'MDZ', 1.2, [-32.8895, -68.8458], '261', 10),
];

function city(cityId: number, countryId: number, name: string, timezone: string, shortCode: string, weight: number,
  centre: readonly [number, number], areaCode: string, digits: number): CitySeed {
  return { cityId, countryId, name, timezone, shortCode, weight, centre, phone: { areaCode, digits } };
}

/** The city seed as SQL VALUES rows (weights keep one decimal: DECIMAL, as the model always drew them). */
function citySeedRows(): string {
  return CITIES.map((c) =>
    `(${c.cityId}, ${c.countryId}, ${sqlString(c.name)}, ${sqlString(c.timezone)}, ${sqlString(c.shortCode)}, ${c.weight.toFixed(1)}, ` +
    `CAST(${c.centre[0]} AS DOUBLE), CAST(${c.centre[1]} AS DOUBLE), ${sqlString(c.phone.areaCode)}, ${c.phone.digits})`).join(',\n  ');
}

/** The people seeds (people.ts) as SQL: one row per country, and one per name, street or mail domain with its 0-based index. */
function peopleSeedSql(): string {
  const lit = (x: string | null) => (x === null ? 'NULL' : sqlString(x));
  const listed = (table: string, column: string, pick: (c: (typeof PEOPLE)[number]) => readonly string[]) =>
    `CREATE TABLE ${table} AS SELECT * FROM (VALUES\n  ${PEOPLE.flatMap((c) => pick(c).map((v, i) => `(${c.countryId}, ${i}, ${lit(v)})`)).join(', ')}\n) t(country_id, ix, ${column});`;
  // Names also carry their e-mail form: lower case, accents and apostrophes dropped, words apart.
  const named = (table: string, pick: (c: (typeof PEOPLE)[number]) => readonly string[]) =>
    `${listed(`${table}_list`, 'name', pick)}\n` +
    `CREATE TABLE ${table} AS SELECT country_id, ix, name, regexp_replace(lower(strip_accents(name)), '[^a-z ]', '', 'g') AS mail FROM ${table}_list;`;
  for (const c of PEOPLE) {
    if (c.mailDomains.length !== MAIL_DOMAIN_SHARES.length) throw new Error('one share per mail domain');
    if (c.mobile && new Set(c.mobile.leads.map((l) => l.length)).size !== 1) throw new Error('mobile leads of one length');
    for (const street of c.streets) if (/\d/.test(street)) throw new Error(`street names have no digits: ${street}`);
  }
  const countries = PEOPLE.map((c) =>
    `(${c.countryId}, ${c.firstNames.length}, ${c.lastNames.length}, ${c.streets.length}, CAST(${c.twoSurnames} AS DOUBLE), ` +
    `${lit(c.unit)}, ${c.unitDoor === 'letter'}, ${lit(c.warehouseUnit)}, ${lit(c.companyTld)}, ${lit(c.callingCode)}, ` +
    `${lit(c.mobile ? c.mobile.leads.join('') : null)}, ${c.mobile?.leads.length ?? 'NULL'}, ${c.mobile?.digits ?? 'NULL'})`);
  return [
    `CREATE TABLE people_seed AS SELECT * FROM (VALUES\n  ${countries.join(',\n  ')}\n) ` +
      't(country_id, first_n, last_n, street_n, two_surnames, unit, unit_letter, warehouse_unit, company_tld, calling_code, mobile_leads, mobile_lead_n, mobile_digits);',
    named('first_name_seed', (c) => c.firstNames),
    named('last_name_seed', (c) => c.lastNames),
    listed('street_seed', 'name', (c) => c.streets),
    listed('mail_domain_seed', 'domain', (c) => c.mailDomains),
  ].join('\n');
}

/** One step of the model. */
export interface ModelStatement {
  readonly label: string;
  readonly sql: string;
  /**
   * Builds the facts' table (`tc`): the dimension tables are complete before it and are written
   * then, so the memory their writing used is free again for the facts.
   */
  readonly facts?: true;
}

/** Statements that build the model's tables in the current DuckDB database, in order. */
export function modelStatements(m: LakeModel): ModelStatement[] {
  // The model only ever interpolates these validated numbers/dates, never user text.
  if (!Number.isSafeInteger(m.seed) || !Number.isSafeInteger(m.trackcodes) || m.trackcodes < 1) {
    throw new Error('invalid lake model');
  }
  for (const d of [m.start, m.end]) if (!DAY_TEXT.test(d)) throw new Error('invalid lake window');
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

-- city_seed: the model's facts about each city (weight of its parcels, centre, phone plan).
CREATE TABLE city_seed AS SELECT * FROM (VALUES
  ${citySeedRows()}
) t(city_id, country_id, name, timezone, short_code, weight, centre_lat, centre_lon, area_code, phone_digits);
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
      label: 'locations',
      sql: `
${peopleSeedSql()}
CREATE MACRO pick(n, k, salt, skew) AS (CAST(floor(n * pow(u(k, salt), skew)) AS INTEGER));
-- n random decimal digits (n <= 10) of a subscriber number: the first one 2–9, as dialling plans want.
CREATE MACRO digits(n, k, salt) AS (CAST(CAST(floor(pow(10, n - 1) * (2 + 8 * u(k, salt))) AS BIGINT) AS VARCHAR));

-- Warehouses: each client's pick-up locations, in its city, 1–4 by the client's size, numbered first.
CREATE TABLE warehouse AS
WITH sized AS (
  SELECT c.client_id, c.city_id, c.commercial_name, c.country_id,
         CASE WHEN c.volume >= 0.3 THEN 4 WHEN c.volume >= 0.12 THEN 3 WHEN c.volume >= 0.05 THEN 2 ELSE 1 END AS n
  FROM client_seed c
)
SELECT CAST(row_number() OVER (ORDER BY s.client_id, r.k) AS BIGINT) AS location_id, s.client_id, s.city_id,
       CAST(r.k + 1 AS BIGINT) AS rank,
       regexp_replace(lower(strip_accents(s.commercial_name)), '[^a-z0-9]', '', 'g') || '.' || p.company_tld AS company_domain
FROM sized s JOIN people_seed p USING (country_id), range(s.n) r(k);

-- Recipients: per city a pool of about one drop location per 3 parcels the city is expected to
-- receive (drops stay in the pickup country ~88 % of the time, spread by city weight).
CREATE TABLE recipient_pool AS
WITH country_volume AS (
  SELECT country_id, sum(volume) / sum(sum(volume)) OVER () AS share FROM client_seed GROUP BY country_id
), expected AS (
  SELECT c.city_id,
         0.88 * coalesce(v.share, 0) * c.weight / sum(c.weight) OVER (PARTITION BY c.country_id)
         + 0.12 * c.weight / sum(c.weight) OVER () AS share
  FROM city_seed c LEFT JOIN country_volume v USING (country_id)
), sized AS (
  SELECT city_id, greatest(10, CAST(round(${m.trackcodes} * share / 3) AS BIGINT)) AS n FROM expected
)
SELECT city_id, n, CAST((SELECT count(*) FROM warehouse) + sum(n) OVER (ORDER BY city_id) - n AS BIGINT) AS first_id FROM sized;

-- Every location's id, city and rank (popularity order within its city or client). A view: the
-- millions of recipients are only ever streamed (into the location file and drop_location_cdf).
CREATE VIEW location_seed AS
SELECT location_id, city_id, client_id, company_domain, rank FROM warehouse
UNION ALL
SELECT p.first_id + r.k + 1, p.city_id, NULL, NULL, r.k + 1 FROM recipient_pool p, range(p.n) r(k);

-- The location dimension. Awkward values on purpose, recipients only: one-word names (no last
-- name), missing and malformed e-mails, missing phones. Warehouse contacts are the client's staff,
-- with e-mails at its company domain.
CREATE VIEW location AS
WITH drawn AS (
  SELECT s.location_id, s.city_id, s.client_id IS NOT NULL AS staff, s.company_domain,
         c.country_id, c.centre_lat, c.centre_lon, c.area_code, c.phone_digits,
         p.last_n, p.two_surnames, p.unit, p.unit_letter, p.warehouse_unit, p.calling_code, p.mobile_digits,
         -- one of the country's mobile prefixes (all one length), concatenated in mobile_leads
         substr(p.mobile_leads, 1 + pick(p.mobile_lead_n, s.location_id, 120, 1.0) * (length(p.mobile_leads) // p.mobile_lead_n),
                length(p.mobile_leads) // p.mobile_lead_n) AS mobile_lead,
         pick(p.first_n, s.location_id, 101, 1.4) AS first_ix,
         pick(p.last_n, s.location_id, 102, 1.4) AS last_ix,
         pick(p.street_n, s.location_id, 104, 1.0) AS street_ix,
         CASE ${MAIL_DOMAIN_SHARES.map((share, i) => `WHEN u(s.location_id, 105) < ${share} THEN ${i}`).join(' ')} END AS domain_ix,
         s.client_id IS NULL AND u(s.location_id, 106) < 0.02 AS one_word
  FROM location_seed s JOIN city_seed c USING (city_id) JOIN people_seed p ON p.country_id = c.country_id
), named AS (
  SELECT d.*, f.name AS first_name, l1.name AS last1, l2.name AS last2, st.name AS street,
         CASE WHEN d.staff THEN d.company_domain ELSE md.domain END AS domain,
         f.mail AS fn, replace(l1.mail, ' ', '') AS ln
  FROM drawn d
  JOIN first_name_seed f ON f.country_id = d.country_id AND f.ix = d.first_ix
  JOIN last_name_seed l1 ON l1.country_id = d.country_id AND l1.ix = d.last_ix
  -- a second surname, never the first one again
  JOIN last_name_seed l2 ON l2.country_id = d.country_id
   AND l2.ix = (d.last_ix + 1 + pick(d.last_n - 1, d.location_id, 103, 1.0)) % d.last_n
  JOIN street_seed st ON st.country_id = d.country_id AND st.ix = d.street_ix
  JOIN mail_domain_seed md ON md.country_id = d.country_id AND md.ix = d.domain_ix
), mailed AS (
  SELECT n.*,
         CASE WHEN n.one_word THEN replace(n.fn, ' ', '.') || CAST(CAST(1 + floor(u(n.location_id, 108) * 98) AS INTEGER) AS VARCHAR)
              WHEN n.staff THEN CASE WHEN u(n.location_id, 107) < 0.7 THEN replace(n.fn, ' ', '.') || '.' || n.ln ELSE left(n.fn, 1) || n.ln END
              ELSE CASE CAST(floor(u(n.location_id, 107) * 6) AS INTEGER)
                     WHEN 0 THEN replace(n.fn, ' ', '.') || '.' || n.ln
                     WHEN 1 THEN replace(n.fn, ' ', '') || n.ln
                     WHEN 2 THEN left(n.fn, 1) || '.' || n.ln
                     WHEN 3 THEN replace(n.fn, ' ', '.') || '.' || n.ln || CAST(CAST(1 + floor(u(n.location_id, 108) * 98) AS INTEGER) AS VARCHAR)
                     WHEN 4 THEN replace(n.fn, ' ', '') || n.ln || CAST(CAST(1960 + floor(u(n.location_id, 108) * 46) AS INTEGER) AS VARCHAR)
                     ELSE replace(n.fn, ' ', '_') || '_' || n.ln END
         END AS local_part,
         0.15 * pow(u(n.location_id, 117), 0.75) AS r,
         2 * pi() * u(n.location_id, 118) AS theta
  FROM named n
)
SELECT location_id, city_id,
       street || ' ' || CAST(CAST(1 + floor(pow(u(location_id, 113), 1.5) * 8999) AS INTEGER) AS VARCHAR)
       || CASE WHEN staff AND u(location_id, 114) < 0.5
                 THEN ', ' || warehouse_unit || CAST(CAST(1 + floor(u(location_id, 115) * 30) AS INTEGER) AS VARCHAR)
               WHEN NOT staff AND u(location_id, 114) < 0.3
                 THEN ', ' || unit || CAST(CAST(1 + floor(u(location_id, 115) * 20) AS INTEGER) AS VARCHAR)
                      || CASE WHEN unit_letter THEN ' ' || chr(CAST(65 + floor(u(location_id, 116) * 6) AS INTEGER))
                              ELSE lpad(CAST(CAST(1 + floor(u(location_id, 116) * 8) AS INTEGER) AS VARCHAR), 2, '0') END
               ELSE '' END AS address,
       round(centre_lat + r * sin(theta), 6) AS latitude,
       round(centre_lon + r * cos(theta), 6) AS longitude,
       first_name AS contact_first_name,
       CASE WHEN one_word THEN NULL WHEN u(location_id, 119) < two_surnames THEN last1 || ' ' || last2 ELSE last1 END AS contact_last_name,
       CASE WHEN staff THEN local_part || '@' || domain
            WHEN u(location_id, 109) < 0.05 THEN NULL
            WHEN u(location_id, 109) < 0.06 THEN local_part || '@' || replace(domain, '.', '')
            WHEN u(location_id, 109) < 0.07 THEN local_part || domain
            ELSE local_part || '@' || domain END AS contact_email,
       CASE WHEN NOT staff AND u(location_id, 110) < 0.03 THEN NULL
            ELSE '+' || calling_code
                 || CASE WHEN mobile_lead IS NOT NULL AND u(location_id, 111) < CASE WHEN staff THEN 0.3 ELSE 0.85 END
                           THEN mobile_lead || digits(mobile_digits - length(mobile_lead), location_id, 112)
                         ELSE area_code || digits(phone_digits - length(area_code), location_id, 112) END
       END AS contact_phone
FROM mailed;
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
-- pick-up: a client's main warehouse ships most (weight 1 / rank).
CREATE TABLE warehouse_cdf AS SELECT client_id AS grp, cdf(client_id, 1.0 / rank, location_id) AS lo, CAST(location_id AS INTEGER) AS value FROM warehouse;
-- drop: recipients repeat, Zipf-like within their city (weight rank^-0.6): a few receive many parcels, most a few.
CREATE TABLE drop_location_cdf AS
  SELECT p.city_id AS grp, cdf(p.city_id, pow(r.k + 1, -0.6), r.k) AS lo, CAST(p.first_id + r.k + 1 AS INTEGER) AS value
  FROM recipient_pool p, range(p.n) r(k);

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
      facts: true,
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
), located AS (
  SELECT s.*, pl.value AS pickup_location_id, dl.value AS drop_location_id
  FROM sized s
  ASOF JOIN warehouse_cdf pl ON pl.grp = s.client_id AND u(s.trackcode_id, 70) >= pl.lo
  ASOF JOIN drop_location_cdf dl ON dl.grp = s.drop_city_id AND u(s.trackcode_id, 71) >= dl.lo
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
  FROM located s
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
-- Only tc is read from here on: its location draws are done.
DROP TABLE drop_location_cdf;
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
       t.pickup_location_id, t.drop_location_id,
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
