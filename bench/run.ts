/**
 * npm run bench [-- --only lake,queries,...] — prints the figures the issues ask for.
 * A benchmark, not a test: numbers vary with the machine's load; targets are printed beside them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { keysDir } from '../src/lambda/config.ts';
import { requireLocalLake } from '../src/ops/local-lake.ts';
import { ensureLocalKeys } from '../src/lambda/identity/keys/key-files.ts';
import { measureAuthorizer } from './authorizer.ts';
import { measureProviderDecision, measureTokenEndpoint } from './credentials.ts';
import { measureGateway } from './gateway.ts';
import { measureBundles } from './bundles.ts';
import { measureGeneration, scaleForOrders } from './lake.ts';
import { measureQueries } from './queries.ts';
import { measurePrivacy } from './privacy.ts';
import { measureUsage } from './usage.ts';
import { measureRollupBuild, measureRollups } from './rollups.ts';

// In-process sections measure the code, not the terminal: only warnings are written (the logger
// reads the level on first use, after this line). Sections that start gateways set their own.
process.env.LAKEGATE_LOG_LEVEL ??= 'warn';

const SECTIONS = ['lake', 'queries', 'privacy', 'rollups', 'authorizer', 'gateway', 'bundles', 'credentials', 'usage'] as const;
const { values } = parseArgs({
  options: { only: { type: 'string' }, lake: { type: 'string' }, runs: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } },
  strict: true,
});
const only = new Set(values.only ? values.only.split(',') : SECTIONS);
for (const s of only) if (!SECTIONS.includes(s as (typeof SECTIONS)[number])) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);
const runs = Number(values.runs ?? 25);

const mark = (ok: boolean) => (ok ? 'ok ' : 'MISS');
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

if (only.has('lake')) {
  console.log('\n## Lake generation (npm run fake-data, fresh process each)');
  const targets: [string, number, number, number][] = [
    ['default (scale 1)', 1, 30, 4096],
    ['10M orders', scaleForOrders(10_000_000), 120, 4096],
  ];
  for (const [label, scale, maxSeconds, maxMiB] of targets) {
    const f = await measureGeneration(label, scale);
    console.log(
      `${mark(f.seconds <= maxSeconds && f.peakMiB <= maxMiB)} ${label.padEnd(18)} scale ${String(scale).padEnd(5)} ` +
        `${f.orders.toLocaleString('en-US').padStart(11)} orders  ${f.seconds.toFixed(1).padStart(6)} s (target ≤ ${maxSeconds} s)  ` +
        `${f.rowsPerSecond.toLocaleString('en-US').padStart(9)} rows/s  peak ${f.peakMiB} MiB (target ≤ ${maxMiB})`,
    );
  }
}

const defaultLake = () => requireLocalLake('bench');

if (only.has('queries')) {
  const lake = defaultLake();
  const manifest = JSON.parse(readFileSync(path.join(lake, 'lake.json'), 'utf8'));
  const client = 4; // the largest shipper of the default lake (seed 42)
  console.log(`\n## DuckDB query latency, median of ${runs} runs (lake ${lake}, scale ${manifest.scale}, client ${client})`);
  console.log(`${'query'.padEnd(56)} ${'7-day'.padStart(10)} ${'365-day'.padStart(10)}  7-day share of fact bytes read (target ≤ 5 %)`);
  for (const f of await measureQueries(lake, client, runs)) {
    console.log(`${f.query.padEnd(56)} ${ms(f.week)} ${ms(f.year)}  ${mark(f.weekBytesShare <= 0.05)} ${(f.weekBytesShare * 100).toFixed(2)} %`);
  }
}

if (only.has('privacy')) {
  const lake = defaultLake();
  const n = Math.max(runs, 200);
  const f = await measurePrivacy(lake, 4, n);
  console.log(`\n## Personal data: all_orders_by_range first page (7 days, client 4), DuckDB in-process, ${n} interleaved rounds`);
  for (const mode of ['clear', 'masked', 'pseudonymized'] as const) {
    const allowed = Math.max(0.1 * f.median.clear, 2);
    console.log(
      `${mode === 'clear' ? '   ' : mark(f.extra[mode] <= allowed)} ${mode.padEnd(14)} median ${ms(f.median[mode])}` +
        (mode === 'clear' ? '  (the stored values: no wrapper)' : `  +${f.extra[mode].toFixed(2)} ms vs clear, median of paired rounds (target ≤ ${allowed.toFixed(1)} ms: 10 % or 2 ms, the larger)`),
    );
  }
}

if (only.has('rollups')) {
  // --lake DIR measures another lake too (e.g. the 10M-order one: npm run fake-data -- --scale 17.4 --out /tmp/lake10m)
  for (const lake of [defaultLake(), ...(values.lake ? [values.lake] : [])]) {
    const manifest = JSON.parse(readFileSync(path.join(lake, 'lake.json'), 'utf8'));
    const client = 4;
    console.log(`\n## Rollups: DuckDB in-process, 1 thread, median of ${runs} (lake ${lake}, ${manifest.rows.orders.toLocaleString('en-US')} orders, client ${client})`);
    console.log(`${'query'.padEnd(56)} ${'7-day'.padStart(10)} ${'365-day'.padStart(10)} ${'365 raw'.padStart(10)}  365/7 (≤ 2×)  365 ≤ 20 ms  365-day bytes read serving / raw (≤ 1 %), rollup files cold`);
    const f = await measureRollups(lake, client, runs);
    for (const q of f.queries) {
      const ratio = q.year / q.week;
      const share = q.bytesRaw ? q.bytesWarm / q.bytesRaw : 0;
      console.log(
        `${q.query.padEnd(56)} ${ms(q.week)} ${ms(q.year)} ${ms(q.yearRaw)}  ${mark(ratio <= 2)} ${ratio.toFixed(1).padStart(4)}×  ` +
          `${mark(q.year <= 20)}  ${mark(share <= 0.01)} ${(q.bytesWarm / 1024).toFixed(0)} KiB / ${(q.bytesRaw / 1024).toFixed(0)} KiB = ${(share * 100).toFixed(2)} %, ` +
          `cold ${(q.bytesRollup / 1024).toFixed(0)} KiB (${q.yearSource})`,
      );
    }
    const pageRatio = f.page.year / f.page.week;
    console.log(`${mark(pageRatio <= 2)} all_orders_by_range first page: 7-day ${ms(f.page.week)}, 365-day ${ms(f.page.year)} = ${pageRatio.toFixed(1)}× (target ≤ 2×)`);
    const b = await measureRollupBuild(lake);
    console.log(`${mark(b.seconds <= 20)} rollup build of every day: ${b.seconds.toFixed(1)} s for ${b.days} table-days, ${b.rows.toLocaleString('en-US')} rows (target ≤ 20 s at 10M orders)`);
  }
}

if (only.has('authorizer')) {
  defaultLake();
  const f = await measureAuthorizer(ensureLocalKeys(keysDir()), 20_000);
  console.log('\n## Authorizer decision, in-process (ES256 verify + cached access table), 20 000 warm decisions');
  console.log(`${mark(f.firstMs <= 50)} first decision incl. loading keys and the access table: ${f.firstMs.toFixed(2)} ms (target ≤ 50 ms)`);
  console.log(`${mark(f.p99 <= 1)} warm: median ${(f.median * 1000).toFixed(0)} µs, p99 ${(f.p99 * 1000).toFixed(0)} µs (target p99 ≤ 1 ms)`);
}

if (only.has('credentials')) {
  const keys = ensureLocalKeys(keysDir());
  const token = await measureTokenEndpoint(keys, 5_000);
  console.log('\n## POST /oauth/token in-process (form parse, SHA-256 secret check, access rule, ES256 with the local ring), 5 000 requests');
  console.log(`${mark(token.p99 <= 5)} median ${(token.median * 1000).toFixed(0)} µs, p99 ${(token.p99 * 1000).toFixed(0)} µs (target p99 ≤ 5 ms)`);
  const idp = await measureProviderDecision(keys, 20_000);
  console.log('\n## Authorizer decision for an identity provider\'s token (JWKS cached), 20 000 warm decisions');
  console.log(`${mark(idp.p99 <= 1)} median ${(idp.median * 1000).toFixed(0)} µs, p99 ${(idp.p99 * 1000).toFixed(0)} µs (target p99 ≤ 1 ms)`);
}

if (only.has('gateway')) {
  const seconds = Number(values.seconds ?? 10);
  const connections = Number(values.connections ?? 8);
  const f = await measureGateway(defaultLake(), ensureLocalKeys(keysDir()), seconds, connections);
  const budget = f.countEngineMs + f.floor.medianMs + 5;
  console.log(`\n## End to end through serverless-offline (autocannon, ${connections} connections, ${seconds} s each, 7-day range, client 4)`);
  for (const x of [f.floor, f.endToEnd, f.page]) {
    console.log(
      `${x.path.padEnd(24)} median ${x.medianMs.toFixed(1).padStart(6)} ms  p99 ${x.p99Ms.toFixed(1).padStart(6)} ms  ` +
        `${x.reqPerSec.toFixed(0).padStart(5)} req/s  ${x.requests} requests, ${mark(x.non2xx === 0 && x.errors === 0)} ${x.non2xx} non-2xx, ${x.errors} errors`,
    );
  }
  console.log(`${mark(f.floor.medianMs <= 10)} /whoami floor median ${f.floor.medianMs.toFixed(1)} ms (target ≤ 10 ms)`);
  console.log(
    `${mark(f.endToEnd.medianMs <= budget)} count_orders_by_range median ${f.endToEnd.medianMs.toFixed(1)} ms vs engine ${f.countEngineMs.toFixed(1)} + floor ${f.floor.medianMs.toFixed(1)} + 5 = ${budget.toFixed(1)} ms`,
  );
  console.log(`${mark(f.listingEngineMs <= 10)} all_orders_by_range first page, engine median ${f.listingEngineMs.toFixed(1)} ms in-process (target ≤ 10 ms)`);
  console.log(`${mark(f.page.reqPerSec >= 100)} all_orders_by_range first page through the gateway: ${f.page.reqPerSec.toFixed(0)} req/s (target ≥ 100)`);
  console.log(`gateway RSS: ${f.idleMiB?.toFixed(0) ?? '?'} MiB idle, ${f.loadedMiB?.toFixed(0) ?? '?'} MiB after the runs (npm run load reports it under a longer mix; target ≤ 1024 MiB)`);
}

if (only.has('bundles')) {
  console.log('\n## Lambda bundles (serverless package): artifact size and cold module init in a fresh Node process, median of 9');
  for (const f of await measureBundles(9)) {
    console.log(
      `${mark(f.initMs <= 150)} ${f.fn.padEnd(56)} zip ${(f.zipBytes / 1024).toFixed(0).padStart(5)} KiB  ` +
        `bundle ${(f.bundleBytes / 1024).toFixed(0).padStart(5)} KiB  init ${f.initMs.toFixed(1).padStart(6)} ms (target ≤ 150)`,
    );
  }
}

if (only.has('usage')) {
  const f = await measureUsage();
  const us = (x: number) => `${(x * 1000).toFixed(0).padStart(5)} µs`;
  const added = f.with.handler.median - f.without.handler.median;
  console.log('\n## Usage metering and limits, in-process warm path (20 000 calls each; bench/usage.ts)');
  console.log(`query handler over an instant engine, without: median ${us(f.without.handler.median)}  p99 ${us(f.without.handler.p99)}`);
  console.log(`  with SQLite limiter, access line (stdout + file), EMF: median ${us(f.with.handler.median)}  p99 ${us(f.with.handler.p99)}`);
  console.log(`${mark(added <= 0.2)} added to the handler's median: ${us(added)} (target ≤ 200 µs)`);
  console.log(`${mark(f.with.authorizer.p99 <= 1)} authorizer Lambda handler with access lines + usage key: median ${us(f.with.authorizer.median)}  p99 ${us(f.with.authorizer.p99)} (target p99 ≤ 1 ms; without: p99 ${us(f.without.authorizer.p99)})`);
}
