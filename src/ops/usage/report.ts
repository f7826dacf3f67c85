/**
 * `npm run usage`: access records → per client and query: requests by status class, rows, bytes
 * scanned, estimated Athena cost and p50/p99 duration. Pure: the same function serves the local
 * access-log file and CloudWatch Logs Insights results.
 */
import { billedBytes, costUsd } from './cost.ts';
import { percentile } from '../../shared/stats.ts';
import { statusClass, type AccessRecord } from '../../lambda/usage/record.ts';

export interface UsageRow {
  readonly clientId: number | null;
  readonly query: string | null;
  readonly requests: number;
  readonly status2xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
  readonly rows: number;
  readonly bytesScanned: number;
  readonly estimatedCostUsd: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ReportFilter {
  /** Only records at or after this instant (epoch ms). */
  readonly sinceMs?: number;
  readonly clientId?: number;
}


/** Whole micro-dollars: estimates are not more precise than that, and sums stay exact in JSON. */
const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The client a record concerns: the one served, else the one a refused request's credentials named (unverified). */
export const clientOf = (r: AccessRecord): number | null => r.clientId ?? r.claimedClientId ?? null;

export function usageReport(records: Iterable<AccessRecord>, filter: ReportFilter = {}): UsageRow[] {
  const groups = new Map<string, AccessRecord[]>();
  for (const r of records) {
    if (filter.sinceMs !== undefined && Date.parse(r.time) < filter.sinceMs) continue;
    if (filter.clientId !== undefined && clientOf(r) !== filter.clientId) continue;
    const key = JSON.stringify([clientOf(r), r.query]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  const rows = [...groups.values()].map((list): UsageRow => {
    const count = (c: string) => list.filter((r) => statusClass(r.status) === c).length;
    const durations = list.map((r) => r.durationMs);
    return {
      clientId: clientOf(list[0]!),
      query: list[0]!.query,
      requests: list.length,
      status2xx: count('2xx'),
      status4xx: count('4xx'),
      status5xx: count('5xx'),
      rows: list.reduce((n, r) => n + (r.rows ?? 0), 0),
      bytesScanned: list.reduce((n, r) => n + (r.bytesScanned ?? 0), 0),
      estimatedCostUsd: roundUsd(costUsd(list.reduce((n, r) => n + billedBytes(r), 0))),
      p50Ms: percentile(durations, 50),
      p99Ms: percentile(durations, 99),
    };
  });
  // By client (unknown callers last), then query.
  const id = (c: number | null) => (c === null ? Number.MAX_SAFE_INTEGER : c);
  return rows.sort((a, b) => id(a.clientId) - id(b.clientId) || (a.query ?? '').localeCompare(b.query ?? ''));
}

/** Parse the local access log (JSON Lines); a torn or foreign line is skipped and counted. */
export function parseAccessLog(text: string): { records: AccessRecord[]; skipped: number } {
  const records: AccessRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as AccessRecord;
      if (typeof r.status !== 'number' || typeof r.time !== 'string' || typeof r.durationMs !== 'number') throw new Error('not an access record');
      records.push(r);
    } catch {
      skipped += 1;
    }
  }
  return { records, skipped };
}

/** `30m`, `24h`, `7d` → milliseconds. */
export function parseSince(text: string): number {
  const m = /^(\d{1,5})([mhd])$/.exec(text);
  if (!m) throw new Error(`--since takes a number and m, h or d (e.g. 24h), got "${text}"`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** The report as a terminal table. */
export function formatTable(rows: readonly UsageRow[]): string {
  const head = ['client', 'query', 'requests', '2xx', '4xx', '5xx', 'rows', 'bytes scanned', 'est. cost US$', 'p50 ms', 'p99 ms'];
  const body = rows.map((r) => [
    r.clientId === null ? '(none)' : String(r.clientId), r.query ?? '(none)', String(r.requests), String(r.status2xx), String(r.status4xx),
    String(r.status5xx), String(r.rows), String(r.bytesScanned), r.estimatedCostUsd.toFixed(6), r.p50Ms.toFixed(1), r.p99Ms.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
