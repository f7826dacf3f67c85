/**
 * npm run bench [-- --only lake,queries,...] — prints the figures the issues ask for.
 * A benchmark, not a test: numbers vary with the machine's load; targets are printed beside them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { keysDir, lakeDir } from '../src/config.ts';
import { ensureLocalKeys } from '../src/keys.ts';
import { measureAuthorizer } from './authorizer.ts';
import { measureGateway } from './gateway.ts';
import { measureBundles } from './bundles.ts';
import { measureGeneration, scaleForOrders } from './lake.ts';
import { measureQueries } from './queries.ts';

const SECTIONS = ['lake', 'queries', 'authorizer', 'gateway', 'bundles'] as const;
const { values } = parseArgs({
  options: { only: { type: 'string' }, runs: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } },
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

function defaultLake(): string {
  const lake = lakeDir();
  if (!existsSync(path.join(lake, 'lake.json'))) throw new Error(`no lake at ${lake}: run npm run fake-data (or npm start) first`);
  return lake;
}

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

if (only.has('authorizer')) {
  defaultLake();
  const f = await measureAuthorizer(ensureLocalKeys(keysDir()), 20_000);
  console.log('\n## Authorizer decision, in-process (ES256 verify + cached access table), 20 000 warm decisions');
  console.log(`${mark(f.firstMs <= 50)} first decision incl. loading keys and the access table: ${f.firstMs.toFixed(2)} ms (target ≤ 50 ms)`);
  console.log(`${mark(f.p99 <= 1)} warm: median ${(f.median * 1000).toFixed(0)} µs, p99 ${(f.p99 * 1000).toFixed(0)} µs (target p99 ≤ 1 ms)`);
}

if (only.has('gateway')) {
  const seconds = Number(values.seconds ?? 10);
  const connections = Number(values.connections ?? 8);
  const f = await measureGateway(defaultLake(), ensureLocalKeys(keysDir()), seconds, connections);
  const budget = f.engineMedianMs + f.floor.medianMs + 5;
  console.log(`\n## End to end through serverless-offline (autocannon, ${connections} connections, ${seconds} s each, 7-day range, client 4)`);
  for (const x of [f.endToEnd, f.floor]) {
    console.log(
      `${x.path.padEnd(24)} median ${x.medianMs.toFixed(1).padStart(6)} ms  p99 ${x.p99Ms.toFixed(1).padStart(6)} ms  ` +
        `${x.reqPerSec.toFixed(0).padStart(5)} req/s  ${x.requests} requests, ${mark(x.non2xx === 0 && x.errors === 0)} ${x.non2xx} non-2xx, ${x.errors} errors`,
    );
  }
  console.log(`bare DuckDB median of the same SQL: ${f.engineMedianMs.toFixed(1)} ms`);
  console.log(
    `${mark(f.endToEnd.medianMs <= budget)} end-to-end median ${f.endToEnd.medianMs.toFixed(1)} ms vs engine ${f.engineMedianMs.toFixed(1)} + floor ${f.floor.medianMs.toFixed(1)} + 5 = ${budget.toFixed(1)} ms`,
  );
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
