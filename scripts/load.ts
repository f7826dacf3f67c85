/**
 * npm run load -- [--seconds 60] [--connections 16] [--url http://127.0.0.1:3000]
 *
 * Load and soak test of the local gateway (not a test: a script with targets). Drives a
 * realistic mix — valid requests of several clients over all eight queries, expired and
 * forged tokens, bad parameters, denied queries — checks every answer against what it must be
 * (valid rows against the DuckDB engine called directly), and prints per-class latency, wrong
 * answers, 5xx and the gateway's memory. Exits non-zero when a target is missed:
 * 0 wrong answers, 0 5xx, memory growth ≤ 10 % (meaningful for a soak of ≥ 5 minutes).
 *
 * Starts its own gateway over the default lake unless --url names one; only loopback targets.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { catalog } from '../src/lambda/catalog.ts';
import { keysDir } from '../src/lambda/config.ts';
import { requireLocalLake } from '../src/ops/local-lake.ts';
import { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams } from '../src/lambda/engine/types.ts';
import { ensureLocalKeys } from '../src/lambda/identity/keys/key-files.ts';
import { localToken } from '../harness/tokens.ts';
import { localPrivacy } from '../harness/privacy.ts';
import { piiOfRule } from '../src/lambda/access/model.ts';
import { median, percentile } from '../src/shared/stats.ts';
import { rssMiB, startGateway } from '../harness/gateway.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, connections: { type: 'string' }, url: { type: 'string' }, pid: { type: 'string' } },
  strict: true,
});
const seconds = Number(values.seconds ?? 60);
const connections = Number(values.connections ?? 16);
if (!(seconds >= 1 && seconds <= 3600) || !(connections >= 1 && connections <= 256)) {
  console.error('load: --seconds 1..3600, --connections 1..256');
  process.exit(2);
}
const MAX_REQUESTS = seconds * 5000; // a hard bound besides time

type Class = 'valid' | 'expired token' | 'forged token' | 'bad parameters' | 'denied query';
interface Case {
  readonly cls: Class;
  readonly path: string;
  readonly token: string;
  readonly status: number;
  /** For valid cases: the exact JSON of the rows the answer must hold. */
  readonly rows?: string;
}

const lake = requireLocalLake('load');
const keys = ensureLocalKeys(keysDir());

/** Build every case, with the expected rows of valid ones computed by the engine directly. */
async function buildCases(): Promise<Case[]> {
  const engine = await DuckDbEngine.create({ lakeDir: lake, threads: 2, memoryMb: 1024 });
  const acl = readFileSync(`${lake}/access_control/access_control.json`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const rule = (c: number) => acl.find((r: { client_id: number }) => r.client_id === c);
  const ranges = [['2024-02-05', '2024-02-12'], ['2024-06-01', '2024-06-20'], ['2024-11-25', '2024-12-09']] as const;
  const cases: Case[] = [];
  for (const client of [4, 22, 8, 47, 3, 9000]) {
    const token = localToken(keys, client);
    const r = rule(client);
    const privacy = localPrivacy(keys, piiOfRule(r));
    for (const q of catalog().values()) {
      if (!r.allowed_queries.includes('*') && !r.allowed_queries.includes(q.name)) continue;
      for (const [from, to] of ranges) {
        const params: QueryParams = {
          from: new Date(`${from}T00:00:00Z`), to: new Date(`${to}T00:00:00Z`), client_id: client, all_clients: r.row_scope === 'all',
          ...(q.limit ? { limit: q.limit.default } : {}),
        };
        const result = await engine.run({ query: q, params, deadline: Date.now() + 60_000, privacy, ...(q.page ? { page: { size: q.page.default } } : {}) });
        cases.push({ cls: 'valid', path: `/${q.name}?from=${from}&to=${to}`, token, status: 200, rows: JSON.stringify(result.rows) });
      }
    }
  }
  await engine.close();
  const t4 = localToken(keys, 4);
  const sig = Buffer.from(t4.split('.')[2]!, 'base64url');
  sig[3]! ^= 0x10;
  const forged = `${t4.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
  const expired = localToken(keys, 4, -3600);
  for (const q of catalog().keys()) {
    cases.push({ cls: 'expired token', path: `/${q}?from=2024-03-01&to=2024-03-08`, token: expired, status: 401 });
    cases.push({ cls: 'forged token', path: `/${q}?from=2024-03-01&to=2024-03-08`, token: forged, status: 401 });
  }
  for (const p of ['from=2024-02-30&to=2024-03-08', 'from=2024-03-01&from=2024-03-02&to=2024-03-08', 'from=2024-03-08&to=2024-03-01',
    `from=${encodeURIComponent("2024-01-01' OR '1'='1")}&to=2024-03-08`, 'from=2024-03-01&to=2024-03-08&client_id=9', 'to=2024-03-08']) {
    cases.push({ cls: 'bad parameters', path: `/count_orders_by_range?${p}`, token: t4, status: 400 });
  }
  cases.push({ cls: 'denied query', path: '/most_required_service_by_range?from=2024-03-01&to=2024-03-08', token: localToken(keys, 3), status: 403 });
  cases.push({ cls: 'denied query', path: '/count_orders_by_range?from=2024-03-01&to=2024-03-08', token: localToken(keys, 13), status: 403 });
  cases.push({ cls: 'denied query', path: '/count_orders_by_range?from=2024-03-01&to=2024-03-08', token: localToken(keys, 777), status: 403 });
  return cases;
}

function loopbackOnly(url: string): string {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host !== 'localhost' && host !== '::1' && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
    console.error(`load: refusing ${host}: only loopback addresses are load-tested`);
    process.exit(2);
  }
  return url.replace(/\/$/, '');
}

const cases = await buildCases();
const weights: Record<Class, number> = { valid: 70, 'bad parameters': 10, 'denied query': 10, 'expired token': 5, 'forged token': 5 };
const byClass = new Map<Class, Case[]>();
for (const c of cases) byClass.set(c.cls, [...(byClass.get(c.cls) ?? []), c]);

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function pick(rand: () => number): Case {
  let x = rand() * 100;
  for (const [cls, w] of Object.entries(weights) as [Class, number][]) {
    if ((x -= w) < 0) {
      const list = byClass.get(cls)!;
      return list[Math.floor(rand() * list.length)]!;
    }
  }
  return byClass.get('valid')![0]!;
}

const gateway = values.url ? undefined : await startGateway({ LAKEGATE_LAKE_DIR: lake, LAKEGATE_KEYS_DIR: keys, LAKEGATE_LOG_LEVEL: 'warn' });
const base = loopbackOnly(values.url ?? gateway!.url);
const pid = gateway?.pid ?? (values.pid ? Number(values.pid) : undefined);
let gatewayDied = false;
let stopping = false;
void gateway?.exited.then((code) => {
  if (stopping) return;
  gatewayDied = true;
  console.error(`\nload: the gateway exited (${code}) during the run; its last output:\n${gateway.output().split('\n').slice(-40).join('\n')}`);
});

interface Outcome {
  cls: Class;
  ms: number;
  ok: boolean;
  status: number;
}

async function drive(untilMs: number, record: boolean, seed: number, outcomes: Outcome[], counter: { n: number }) {
  const rand = prng(seed);
  while (Date.now() < untilMs && counter.n < MAX_REQUESTS && !gatewayDied) {
    counter.n += 1;
    const c = pick(rand);
    const started = performance.now();
    let status = 0;
    let ok = false;
    try {
      const r = await fetch(`${base}${c.path}`, { headers: { Authorization: `Bearer ${c.token}` } });
      status = r.status;
      const text = await r.text();
      ok = status === c.status;
      if (ok && c.rows !== undefined) ok = JSON.stringify(JSON.parse(text).rows) === c.rows;
      if (ok && status === 400) ok = typeof JSON.parse(text).error?.message === 'string';
    } catch {
      status = -1;
    }
    if (record) outcomes.push({ cls: c.cls, ms: performance.now() - started, ok, status });
  }
}

try {
  // The first requests build each function's bundle state and the engine's in-memory copies of
  // the lake: measure once the gateway has settled.
  const warmup = Math.min(60, Math.max(10, Math.round(seconds * 0.2)));
  console.log(`warming up ${warmup} s (${connections} connections) against ${base} …`);
  await Promise.all(Array.from({ length: connections }, (_, i) => drive(Date.now() + warmup * 1000, false, 1000 + i, [], { n: 0 })));

  const outcomes: Outcome[] = [];
  const counter = { n: 0 };
  const memStart = pid ? rssMiB(pid) : undefined;
  let memPeak = memStart ?? 0;
  const sampler = setInterval(() => (memPeak = Math.max(memPeak, (pid && rssMiB(pid)) || 0)), 2000);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: connections }, (_, i) => drive(t0 + seconds * 1000, true, i + 1, outcomes, counter)));
  const elapsed = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const memEnd = pid ? rssMiB(pid) : undefined;

  console.log(`\n${outcomes.length} requests in ${elapsed.toFixed(1)} s = ${(outcomes.length / elapsed).toFixed(1)} req/s, ${connections} connections`);
  console.log(`${'class'.padEnd(16)} ${'requests'.padStart(8)} ${'median'.padStart(9)} ${'p99'.padStart(9)}  wrong`);
  for (const cls of Object.keys(weights) as Class[]) {
    const xs = outcomes.filter((o) => o.cls === cls);
    if (xs.length === 0) continue;
    const ms = xs.map((o) => o.ms);
    console.log(`${cls.padEnd(16)} ${String(xs.length).padStart(8)} ${median(ms).toFixed(1).padStart(6)} ms ${percentile(ms, 99).toFixed(1).padStart(6)} ms  ${xs.filter((o) => !o.ok).length}`);
  }
  const wrong = outcomes.filter((o) => !o.ok).length;
  const fivexx = outcomes.filter((o) => o.status >= 500 || o.status === -1).length;
  const growth = memStart && memEnd ? (memEnd - memStart) / memStart : undefined;
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'MISS');
  console.log(`${mark(wrong === 0)} wrong answers: ${wrong} (target 0)`);
  console.log(`${mark(fivexx === 0)} 5xx or failed connections: ${fivexx} (target 0)`);
  if (growth === undefined) console.log('n/a  gateway memory: unknown (pass --pid for an external gateway)');
  else {
    console.log(
      `${mark(growth <= 0.1)} gateway memory: ${memStart!.toFixed(0)} MiB at start, ${memEnd!.toFixed(0)} MiB at end, peak ${memPeak.toFixed(0)} MiB, ` +
        `growth ${(growth * 100).toFixed(1)} % (target ≤ 10 % over a 5-minute soak)`,
    );
  }
  const statuses = new Map<number, number>();
  for (const o of outcomes) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
  console.log(`statuses: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
  if (gatewayDied) console.log('MISS the gateway died during the run');
  process.exitCode = !gatewayDied && wrong === 0 && fivexx === 0 && (growth === undefined || growth <= 0.1) ? 0 : 1;
} finally {
  stopping = true;
  await gateway?.stop();
}
