/**
 * npm run bench [-- --only lake,queries,...] — prints the figures the issues ask for.
 * A benchmark, not a test: numbers vary with the machine's load; targets are printed beside them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lakeDir } from '../src/config.ts';
import { measureGeneration, scaleForOrders } from './lake.ts';
import { measureQueries } from './queries.ts';

const SECTIONS = ['lake', 'queries'] as const;
const { values } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string' } }, strict: true });
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

if (only.has('queries')) {
  const lake = lakeDir();
  if (!existsSync(path.join(lake, 'lake.json'))) throw new Error(`no lake at ${lake}: run npm run fake-data first`);
  const manifest = JSON.parse(readFileSync(path.join(lake, 'lake.json'), 'utf8'));
  const client = 4; // the largest shipper of the default lake (seed 42)
  console.log(`\n## DuckDB query latency, median of ${runs} runs (lake ${lake}, scale ${manifest.scale}, client ${client})`);
  console.log(`${'query'.padEnd(56)} ${'7-day'.padStart(10)} ${'365-day'.padStart(10)}  7-day share of fact bytes read (target ≤ 5 %)`);
  for (const f of await measureQueries(lake, client, runs)) {
    console.log(`${f.query.padEnd(56)} ${ms(f.week)} ${ms(f.year)}  ${mark(f.weekBytesShare <= 0.05)} ${(f.weekBytesShare * 100).toFixed(2)} %`);
  }
}
