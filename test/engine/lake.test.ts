/** The fake-data generator: determinism, the model's invariants, refusals, and partition pruning. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { catalog } from '../../src/lambda/catalog.ts';
import { LAKE_TABLES, PERSONAL_COLUMNS, tableGlob } from '../../src/lambda/lake/layout.ts';
import { CITIES } from '../../fake-data/model.ts';
import { parseAccessTable } from '../../src/lambda/access/model.ts';
import { makeLake, scratchPath, testLake } from '../helpers/lake.ts';
import { CLEAR, openDuckDb } from '../helpers/engine.ts';
import { createLakeViews } from '../../src/lambda/engine/duckdb/views.ts';

const run = promisify(execFile);

/** Per table: row count and an order-independent checksum of every row. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out: Record<string, string> = {};
  for (const t of LAKE_TABLES) {
    const r = await conn.runAndReadAll(`SELECT count(*) || ':' || sum(hash(t)) FROM read_parquet('${tableGlob(dir, t)}') t`);
    out[t.name] = String(r.getRows()[0]![0]);
  }
  out.access_control = readFileSync(path.join(dir, 'access_control', 'access_control.json'), 'utf8');
  db.closeSync();
  return out;
}

async function sql(dir: string, text: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await createLakeViews(conn, dir);
  const rows = (await conn.runAndReadAll(text)).getRowObjectsJson();
  db.closeSync();
  return rows as Record<string, unknown>[];
}

describe('fake-data lake', function () {
  this.timeout(120_000);

  it('is deterministic: same seed and scale → identical rows; another seed → different data', async () => {
    const [a, b, c] = await Promise.all([makeLake(11, 0.01), makeLake(11, 0.01), makeLake(12, 0.01)]);
    const [fa, fb, fc] = await Promise.all([fingerprint(a.dir), fingerprint(b.dir), fingerprint(c.dir)]);
    expect(fa).to.deep.equal(fb);
    expect(fa.location, 'location is fingerprinted').to.match(/^[1-9]\d*:/);
    for (const table of ['client', 'route', 'location', 'trackcode', 'orders']) expect(fc[table], table).to.not.equal(fa[table]);
  });

  it('has every table of docs/design.md §2 with its exact schema, facts partitioned by dt (VARCHAR)', async () => {
    const { dir } = await testLake();
    for (const t of LAKE_TABLES) {
      const cols = await sql(dir, `DESCRIBE ${t.name}`);
      const expected = t.columns.map(([name, type]) => ({ name, type }));
      if (t.partitionedByDt) expected.push({ name: 'dt', type: 'VARCHAR' });
      expect(cols.map((c) => ({ name: c.column_name, type: c.column_type })), t.name).to.deep.equal(expected);
    }
    const days = readdirSync(path.join(dir, 'orders'));
    expect(days).to.have.length(366);
    expect(days[0]).to.equal('dt=2024-01-01');
  });

  it('has the location dimension after route, and trackcode ends with its pick-up and drop location ids', () => {
    const names = LAKE_TABLES.map((t) => t.name);
    expect(names.indexOf('location')).to.equal(names.indexOf('route') + 1);
    const columns = (name: string) => LAKE_TABLES.find((t) => t.name === name)!.columns.map(([c, type]) => `${c} ${type}`);
    expect(columns('location')).to.deep.equal([
      'location_id BIGINT', 'city_id INTEGER', 'address VARCHAR', 'latitude DOUBLE', 'longitude DOUBLE',
      'contact_first_name VARCHAR', 'contact_last_name VARCHAR', 'contact_email VARCHAR', 'contact_phone VARCHAR',
    ]);
    expect(columns('trackcode').slice(-3)).to.deep.equal(['delivered_at TIMESTAMP', 'pickup_location_id BIGINT', 'drop_location_id BIGINT']);
    expect(PERSONAL_COLUMNS.map((c) => `${c.table}.${c.column} ${c.kind}`)).to.have.members([
      'location.address address', 'location.latitude coordinate', 'location.longitude coordinate',
      'location.contact_first_name name', 'location.contact_last_name name',
      'location.contact_email email', 'location.contact_phone phone',
    ]);
  });

  it('follows the model: realistic shares, contracted services only, consistent nulls and partitions', async () => {
    const { dir } = await testLake();
    const [facts] = await sql(dir, `
      SELECT
        (SELECT count(*) FROM trackcode) AS trackcodes,
        (SELECT count(*) FROM orders) AS orders,
        (SELECT avg(CASE WHEN status = 'lost' THEN 1.0 ELSE 0 END) FROM trackcode) AS lost_share,
        (SELECT avg(CASE WHEN delivered_at > promise_time THEN 1.0 ELSE 0 END) FROM trackcode WHERE status = 'delivered') AS late_share,
        (SELECT count(*) FROM trackcode t WHERE NOT EXISTS (
            SELECT 1 FROM client_service cs WHERE cs.client_id = t.client_id AND cs.service_id = t.service_id)) AS uncontracted,
        (SELECT count(*) FROM trackcode WHERE (status = 'delivered') <> (delivered_at IS NOT NULL)) AS bad_delivered_at,
        (SELECT count(*) FROM orders WHERE (status = 'pending') <> (start_time IS NULL)) AS bad_start_time,
        (SELECT count(*) FROM orders WHERE status IN ('delivered', 'failed', 'cancelled') AND end_time IS NULL) AS bad_end_time,
        (SELECT count(*) FROM trackcode WHERE dt <> strftime(created_at, '%Y-%m-%d')) AS bad_tc_dt,
        (SELECT count(*) FROM orders WHERE dt <> strftime(created_at, '%Y-%m-%d')) AS bad_order_dt,
        (SELECT count(*) FROM orders o JOIN trackcode t USING (trackcode_id)
          WHERE o.created_at < t.created_at OR o.created_at >= t.created_at + INTERVAL 7 DAY OR o.client_id <> t.client_id) AS bad_order_link,
        (SELECT count(*) FROM (SELECT trackcode_id FROM orders GROUP BY 1 HAVING count(*) > 1)) AS multi_attempt,
        (SELECT count(*) FROM orders WHERE price <= 0) AS bad_price,
        (SELECT avg(CASE WHEN dayofweek(created_at) = 0 THEN 1.0 ELSE 0 END) FROM trackcode) AS sunday_share,
        (SELECT count(*) FROM trackcode WHERE month(created_at) = 12) / (SELECT count(*) FROM trackcode WHERE month(created_at) = 2) AS dec_vs_feb`);
    const f = facts!;
    expect(Number(f.lost_share)).to.be.within(0.01, 0.03);
    expect(Number(f.late_share)).to.be.within(0.03, 0.3);
    expect(Number(f.orders) / Number(f.trackcodes)).to.be.within(1.05, 1.3);
    expect(Number(f.multi_attempt)).to.be.greaterThan(0);
    expect(Number(f.sunday_share)).to.be.below(1 / 7); // quiet Sundays
    expect(Number(f.dec_vs_feb)).to.be.greaterThan(1.2); // year-end peak
    for (const k of ['uncontracted', 'bad_delivered_at', 'bad_start_time', 'bad_end_time', 'bad_tc_dt', 'bad_order_dt', 'bad_order_link', 'bad_price']) {
      expect(Number(f[k]), k).to.equal(0);
    }
  });

  describe('locations', () => {
    /** Pick-up (warehouse) and drop (recipient) locations, by the trackcodes that use them. */
    const KINDS = `
      warehouse AS (SELECT DISTINCT pickup_location_id AS location_id, client_id FROM trackcode),
      recipient AS (SELECT DISTINCT drop_location_id AS location_id FROM trackcode)`;
    const count = async (text: string) => Number((await sql((await testLake()).dir, text))[0]!.n);

    it("every trackcode's drop location exists and is in its drop city", async () => {
      expect(await count(`SELECT count(*) AS n FROM trackcode t LEFT JOIN location l ON l.location_id = t.drop_location_id
                          WHERE l.location_id IS NULL OR l.city_id <> t.drop_city_id`)).to.equal(0);
    });

    it("every trackcode's pick-up location exists, is in its pickup city and is one of its client's 1–4 warehouses", async () => {
      const { dir } = await testLake();
      expect(await count(`SELECT count(*) AS n FROM trackcode t LEFT JOIN location l ON l.location_id = t.pickup_location_id
                          WHERE l.location_id IS NULL OR l.city_id <> t.pickup_city_id`)).to.equal(0);
      const perClient = await sql(dir, `SELECT client_id, count(DISTINCT pickup_location_id) AS n, count(*) AS parcels FROM trackcode GROUP BY 1 ORDER BY parcels DESC`);
      expect(perClient).to.have.length(50);
      for (const c of perClient) expect(Number(c.n), `client ${c.client_id}`).to.be.within(1, 4);
      expect(Number(perClient[0]!.n), 'the biggest shipper has several warehouses').to.be.greaterThan(1);
      expect(new Set(perClient.map((c) => Number(c.n))).size, 'sizes differ').to.be.greaterThan(1);
      // A warehouse is one client's, and never a recipient's address.
      expect(await count(`WITH ${KINDS} SELECT count(*) AS n FROM (SELECT location_id FROM warehouse GROUP BY 1 HAVING count(*) > 1)`)).to.equal(0);
      expect(await count(`WITH ${KINDS} SELECT count(*) AS n FROM warehouse JOIN recipient USING (location_id)`)).to.equal(0);
    });

    it('phones are E.164 with the calling code of the location\'s country and its number length', async () => {
      const { dir } = await testLake();
      const calling = { CL: '56', PE: '51', CO: '57', MX: '52', AR: '54' } as const;
      const rows = await sql(dir, `
        SELECT co.iso_code, count(*) AS n,
               count(*) FILTER (WHERE NOT regexp_full_match(l.contact_phone, '\\+(56|51|57|52|54)\\d{8,10}')) AS bad_shape,
               count(*) FILTER (WHERE NOT starts_with(l.contact_phone, '+' || CASE co.iso_code ${Object.entries(calling).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} END)) AS bad_prefix,
               min(length(l.contact_phone)) AS shortest, max(length(l.contact_phone)) AS longest
        FROM location l JOIN city c USING (city_id) JOIN country co USING (country_id)
        WHERE l.contact_phone IS NOT NULL GROUP BY 1 ORDER BY 1`);
      expect(rows.map((r) => r.iso_code)).to.deep.equal(['AR', 'CL', 'CO', 'MX', 'PE']);
      // national number lengths: CL 9, PE 8 (landline) or 9 (mobile), CO / MX / AR 10
      const lengths: Record<string, [number, number]> = { CL: [9, 9], PE: [8, 9], CO: [10, 10], MX: [10, 10], AR: [10, 10] };
      for (const r of rows) {
        const iso = String(r.iso_code) as keyof typeof calling;
        expect(Number(r.bad_shape), iso).to.equal(0);
        expect(Number(r.bad_prefix), iso).to.equal(0);
        const [min, max] = lengths[iso]!;
        expect([Number(r.shortest), Number(r.longest)], iso).to.deep.equal([1 + calling[iso].length + min, 1 + calling[iso].length + max]);
      }
    });

    it("e-mails mostly have a valid shape: recipients on common mail domains, warehouse staff on their client's company domain", async () => {
      const { dir } = await testLake();
      const EMAIL = `'[a-z0-9._]+@[a-z0-9-]+(\\.[a-z0-9-]+)+'`;
      const [recipients] = await sql(dir, `WITH ${KINDS}
        SELECT count(l.contact_email) AS n,
               count(*) FILTER (WHERE regexp_full_match(l.contact_email, ${EMAIL})) AS valid,
               count(*) FILTER (WHERE regexp_full_match(l.contact_email, ${EMAIL})
                 AND split_part(l.contact_email, '@', 2) NOT IN ('gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'live.cl',
                                                                 'yahoo.es', 'yahoo.com.mx', 'yahoo.com.ar', 'hotmail.com.ar')) AS other_domain,
               count(DISTINCT split_part(l.contact_email, '@', 2)) FILTER (WHERE regexp_full_match(l.contact_email, ${EMAIL})) AS domains
        FROM recipient JOIN location l USING (location_id)`);
      expect(Number(recipients!.valid) / Number(recipients!.n)).to.be.within(0.95, 0.999);
      expect(Number(recipients!.other_domain)).to.equal(0);
      expect(Number(recipients!.domains)).to.be.at.least(8);
      // Staff: a well-formed address at the client's commercial name + the country's TLD (andesretail.cl).
      const [staff] = await sql(dir, `WITH ${KINDS}
        SELECT count(*) AS n,
               count(*) FILTER (WHERE l.contact_email IS NULL OR NOT regexp_full_match(l.contact_email, ${EMAIL})
                 OR split_part(l.contact_email, '@', 2) <> regexp_replace(lower(strip_accents(c.commercial_name)), '[^a-z0-9]', '', 'g')
                      || CASE co.iso_code WHEN 'CL' THEN '.cl' ELSE '.com.' || lower(co.iso_code) END) AS off_domain
        FROM warehouse w JOIN location l USING (location_id) JOIN client c USING (client_id)
        JOIN city ci ON ci.city_id = c.city_id JOIN country co ON co.country_id = ci.country_id`);
      expect(Number(staff!.n)).to.be.greaterThan(50);
      expect(Number(staff!.off_domain)).to.equal(0);
      // Local parts come from the name: "María José Núñez" → maria.jose.nunez, mariajosenunez, m.nunez…
      expect(await count(`SELECT count(*) AS n FROM location WHERE contact_last_name IS NOT NULL AND regexp_full_match(contact_email, ${EMAIL})
        AND NOT contains(split_part(contact_email, '@', 1),
                         regexp_replace(lower(strip_accents(split_part(contact_last_name, ' ', 1))), '[^a-z]', '', 'g'))`)).to.equal(0);
    });

    it('addresses are a street without digits, a house number and sometimes a unit after a comma', async () => {
      const { dir } = await testLake();
      const [a] = await sql(dir, `SELECT count(*) AS n,
          count(*) FILTER (WHERE NOT regexp_full_match(address, '[^0-9,]+ [1-9][0-9]{0,3}(, [^,]+)?')) AS bad,
          count(*) FILTER (WHERE address LIKE '%, %') AS with_unit,
          count(DISTINCT regexp_extract(address, '^([^0-9]+) [0-9]', 1)) AS streets
        FROM location`);
      expect(Number(a!.bad)).to.equal(0);
      expect(Number(a!.with_unit) / Number(a!.n)).to.be.within(0.1, 0.5);
      expect(Number(a!.streets)).to.be.greaterThan(80); // ~20 per country
    });

    it("points lie within 0.2° of their city's centre, scattered", async () => {
      const { dir } = await testLake();
      const centres = CITIES.map((c) => `(${c.cityId}, ${c.centre[0]}, ${c.centre[1]})`).join(', ');
      const rows = await sql(dir, `
        SELECT l.city_id, max(abs(l.latitude - c.lat)) AS dlat, max(abs(l.longitude - c.lon)) AS dlon,
               stddev(l.latitude) AS spread, count(DISTINCT (l.latitude, l.longitude)) AS points, count(*) AS n
        FROM location l JOIN (VALUES ${centres}) c(city_id, lat, lon) USING (city_id) GROUP BY 1 ORDER BY 1`);
      expect(rows).to.have.length(23);
      for (const r of rows) {
        expect(Number(r.dlat), `city ${r.city_id}`).to.be.below(0.2);
        expect(Number(r.dlon), `city ${r.city_id}`).to.be.below(0.2);
        expect(Number(r.spread), `city ${r.city_id}`).to.be.above(0.02);
        expect(Number(r.points), `city ${r.city_id}`).to.equal(Number(r.n));
      }
    });

    it('recipients repeat: some drop location receives ≥ 10 parcels, the median one a few, ~3 per pooled location', async () => {
      const { dir } = await testLake();
      const [r] = await sql(dir, `WITH ${KINDS}, per AS (SELECT drop_location_id, count(*) AS n FROM trackcode GROUP BY 1)
        SELECT max(n) AS top, median(n) AS median, (SELECT count(*) FROM trackcode) AS parcels,
               (SELECT count(*) FROM location) - (SELECT count(*) FROM warehouse) AS pool FROM per`);
      expect(Number(r!.top)).to.be.at.least(10);
      expect(Number(r!.median)).to.be.within(1, 3);
      expect(Number(r!.parcels) / Number(r!.pool)).to.be.within(2.5, 3.5);
    });

    // Awkward values on purpose, so that masking is tested honestly: each present, the rare ones rare.
    const awkward: [string, string, number][] = [
      ['accented names', `regexp_matches(coalesce(contact_first_name, '') || coalesce(contact_last_name, ''), '[áéíóúÁÉÍÓÚñÑ]')`, 1],
      ['apostrophes in names (O\'Brien, D\'Angelo)', `contact_last_name LIKE '%''%'`, 0.1],
      ['compound first names (María José)', `contact_first_name LIKE '% %'`, 1],
      ['two surnames (González Pérez)', `contact_last_name LIKE '% %'`, 1],
      ['one-word names (no last name)', `contact_last_name IS NULL AND contact_first_name NOT LIKE '% %'`, 0.05],
      ['missing e-mails', `contact_email IS NULL`, 0.1],
      ['e-mails without an @', `contact_email NOT LIKE '%@%'`, 0.05],
      ['e-mails whose domain has no dot', `contact_email LIKE '%@%' AND split_part(contact_email, '@', 2) NOT LIKE '%.%'`, 0.05],
      ['missing phones', `contact_phone IS NULL`, 0.1],
    ];
    for (const [label, where, maxShare] of awkward) {
      it(`has ${label}`, async () => {
        const [r] = await sql((await testLake()).dir, `SELECT count(*) FILTER (WHERE ${where}) AS n, count(*) AS total FROM location`);
        expect(Number(r!.n), label).to.be.greaterThan(0);
        expect(Number(r!.n) / Number(r!.total), label).to.be.at.most(maxShare);
      });
    }
  });

  it('writes a default access-control table: own scope, a few restricted, one disabled, one analyst', async () => {
    const { dir } = await testLake();
    const table = parseAccessTable(readFileSync(path.join(dir, 'access_control', 'access_control.json'), 'utf8'));
    const rules = [...table.values()];
    expect(rules.filter((r) => r.client_id < 1000)).to.have.length(50);
    expect(rules.filter((r) => !r.enabled)).to.have.length(1);
    expect(rules.filter((r) => r.row_scope === 'all')).to.have.length(1);
    const restricted = rules.filter((r) => !r.allowed_queries.includes('*'));
    expect(restricted.length).to.be.within(2, 5);
    for (const r of restricted) for (const q of r.allowed_queries) expect(catalog().has(q), q).to.equal(true);
  });

  describe('npm run fake-data refuses bad input, leaving nothing behind', () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'fake-data/cli.ts', ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );

    const cases: [string, string[], RegExp][] = [
      ['a non-integer seed', ['--seed', '4x'], /--seed must be an integer/],
      ['a negative scale', ['--scale', '-1'], /--scale/],
      ['a zero scale', ['--scale', '0'], /--scale must be a number/],
      ['a huge scale', ['--scale', '1e9'], /--scale must be a number/],
      ['an unknown flag', ['--sed', '1'], /Unknown option '--sed'/],
      ['a positional argument', ['lake'], /Unexpected argument 'lake'/],
    ];
    for (const [label, args, message] of cases) {
      it(`refuses ${label}`, async () => {
        const out = scratchPath('refused');
        const r = await cli(...args, ...(args.includes('--out') ? [] : ['--out', out]));
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(message);
        expect(existsSync(out)).to.equal(false);
      });
    }

    it('refuses a non-empty --out and keeps its content', async () => {
      const out = scratchPath('full');
      mkdirSync(out);
      writeFileSync(path.join(out, 'keep.txt'), 'precious');
      const r = await cli('--out', out, '--scale', '0.001');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/is not empty/);
      expect(readdirSync(out)).to.deep.equal(['keep.txt']);
      expect(readFileSync(path.join(out, 'keep.txt'), 'utf8')).to.equal('precious');
    });

    it('refuses an --out that cannot be written', async () => {
      const file = scratchPath('a-file');
      writeFileSync(file, '');
      const r = await cli('--out', path.join(file, 'lake'), '--scale', '0.001');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/is not an existing folder/);
      expect(statSync(file).size).to.equal(0);
    });
  });

  it('prunes partitions: a 7-day range over the year reads only that week', async () => {
    const { dir } = await testLake();
    const engine = await openDuckDb(dir, false); // no caches: count what is really read
    const files = (table: string, days?: string[]) =>
      readdirSync(path.join(dir, table))
        .filter((d) => !days || days.includes(d.slice('dt='.length)))
        .flatMap((d) => readdirSync(path.join(dir, table, d)).map((f) => path.join(dir, table, d, f)));
    const dayRange = (first: string, n: number) =>
      Array.from({ length: n }, (_, i) => new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
    const factBytes = [...files('trackcode'), ...files('orders')].reduce((n, f) => n + statSync(f).size, 0);
    // [2024-06-03, 2024-06-10): from's day to to's day (to is exclusive, its day is read
    // conservatively) = 8 days of 366; all_orders_by_range also reads its trackcodes' 7-day lookback.
    const params = { from: new Date('2024-06-03Z'), to: new Date('2024-06-10Z'), client_id: 1, all_clients: false };
    const week = dayRange('2024-06-03', 8);
    try {
      for (const query of catalog().values()) {
        const p = await engine.profile({
          // clear: what is read is the stored columns (masking is test/engine/privacy.test.ts's)
          query, params: { ...params, ...(query.limit ? { limit: 10 } : {}) }, deadline: Date.now() + 30_000, privacy: CLEAR,
          ...(query.page ? { page: { size: 100 } } : {}),
        });
        // Each fact table read over the week's 8 days, or from its lookback when the query has one.
        const expected = query.factTables.map((t) =>
          files(t, t === 'trackcode' && query.lookbackDays ? dayRange('2024-05-27', 8 + query.lookbackDays) : week).length);
        const factScans = p.scans.filter((s) => s.filesRead > 1); // dimension tables are one file each
        expect(factScans.map((s) => s.filesRead).sort(), query.name).to.deep.equal(expected.sort());
        expect(p.bytesRead / factBytes, query.name).to.be.below(0.05);
      }
    } finally {
      await engine.close();
    }
  });
});
