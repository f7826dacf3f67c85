/**
 * Which part of a request's range the daily rollup serves (DESIGN §12). Pure: the caller says
 * which days are usable (rollup built from the current source partitions, exactly), the plan
 * says which contiguous run of whole UTC days the rollup path reads; every other day of the
 * range is read raw by the same SQL.
 */
import { DAY_MS } from '../../shared/time.ts';

export type AnswerSource = 'rollup' | 'raw' | 'mixed';

export interface RollupPlan {
  /** `rollup`: every day from the rollup; `mixed`: some days raw; `raw`: the raw query alone. */
  readonly source: AnswerSource;
  /** Days `[from, to)` (UTC midnights) read from the rollup; absent when source is raw. */
  readonly span?: { readonly from: Date; readonly to: Date };
  /** The span's days, `YYYY-MM-DD`. */
  readonly spanDays: readonly string[];
  /** The other `dt` partitions the rollup path reads raw (first to last day of the range). */
  readonly rawDays: readonly string[];
}

export interface PlanOptions {
  /**
   * The rollup path converts the rows it reads raw too (revenue to integer cents): then every
   * day it reads raw must be usable as well (known to be exact), or the whole answer is raw.
   */
  readonly rawDaysMustBeUsable?: boolean;
}

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const RAW: RollupPlan = { source: 'raw', spanDays: [], rawDays: [] };

/**
 * The longest run of usable whole days inside `[from, to)` (the earliest on a tie). A whole day
 * is `[d, d + 1 day)` entirely inside the range; partial first and last days are read raw.
 */
export function planRollup(from: Date, to: Date, usable: (day: string) => boolean, opts: PlanOptions = {}): RollupPlan {
  const f = from.getTime();
  const t = to.getTime();
  if (!(t > f)) return RAW;
  const firstWhole = Math.ceil(f / DAY_MS) * DAY_MS;
  const endWhole = Math.floor(t / DAY_MS) * DAY_MS;
  let best: [number, number] | undefined;
  let runStart: number | undefined;
  for (let d = firstWhole; d <= endWhole; d += DAY_MS) {
    const ok = d < endWhole && usable(dayOf(d));
    if (ok && runStart === undefined) runStart = d;
    if (!ok && runStart !== undefined) {
      if (!best || d - runStart > best[1] - best[0]) best = [runStart, d];
      runStart = undefined;
    }
  }
  if (!best) return RAW;
  const spanDays: string[] = [];
  for (let d = best[0]; d < best[1]; d += DAY_MS) spanDays.push(dayOf(d));
  // The raw part reads the dt partitions from the day of `from` to the day of `to` (like the raw
  // query), minus the span. When `to` is a UTC midnight its day holds no row of the range once
  // that day is known exact (every row created within its own dt day): it is not read.
  const rawDays: string[] = [];
  for (let d = Math.floor(f / DAY_MS) * DAY_MS; d <= t; d += DAY_MS) {
    if (d >= best[0] && d < best[1]) continue;
    if (d === t && usable(dayOf(d))) continue;
    rawDays.push(dayOf(d));
  }
  if (opts.rawDaysMustBeUsable && !rawDays.every(usable)) return RAW;
  const whole = best[0] === f && best[1] === t;
  return { source: whole ? 'rollup' : 'mixed', span: { from: new Date(best[0]), to: new Date(best[1]) }, spanDays, rawDays };
}
