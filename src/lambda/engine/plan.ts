/**
 * The one planner of both engines. Pure: an engine says which rollup days are usable (built from
 * the current source partitions, exactly) and how many rows a day holds; the planner says what
 * one execution runs.
 *
 * - Rollups (docs/design.md §12): an aggregate query's rollup path reads the longest run of usable whole
 *   UTC days from its daily rollup, every other day of the range raw, by the same SQL; else the
 *   query itself runs raw.
 * - Pages: a listing picks its page in the SQL (keyset, LIMIT: keyset.ts); the embedded engine
 *   reads a window of the range that holds more than a page, chosen from the rows the rollups
 *   count per day, then grown fourfold while it holds too few. Estimates only choose the window:
 *   a window that holds more than a page gives exactly the range's page, and the last window is
 *   the range. (Athena reads the whole range in one execution: each window would be another.)
 */
import type { NamedQuery } from '../catalog.ts';
import { DAY_MS, dayOf, daysBetween, startOfDay } from '../../shared/time.ts';
import type { AnswerSource, QueryParams, StatementParams } from './types.ts';

export type { AnswerSource } from './types.ts';

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

const RAW: RollupPlan = { source: 'raw', spanDays: [], rawDays: [] };

/**
 * The longest run of usable whole days inside `[from, to)` (the earliest on a tie). A whole day
 * is `[d, d + 1 day)` entirely inside the range; partial first and last days are read raw.
 */
export function planRollup(from: Date, to: Date, isUsable: (day: string) => boolean, opts: PlanOptions = {}): RollupPlan {
  // Each day is asked once (locally an answer costs a few file stats): the span's search, the
  // raw part and the raw days' check may ask about the same day.
  const answers = new Map<string, boolean>();
  const usable = (day: string): boolean => {
    let ok = answers.get(day);
    if (ok === undefined) answers.set(day, (ok = isUsable(day)));
    return ok;
  };
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
  for (let d = startOfDay(f); d <= t; d += DAY_MS) {
    if (d >= best[0] && d < best[1]) continue;
    if (d === t && usable(dayOf(d))) continue;
    rawDays.push(dayOf(d));
  }
  if (opts.rawDaysMustBeUsable && !rawDays.every(usable)) return RAW;
  const whole = best[0] === f && best[1] === t;
  return { source: whole ? 'rollup' : 'mixed', span: { from: new Date(best[0]), to: new Date(best[1]) }, spanDays, rawDays };
}

/** What one execution runs. */
export interface Statement {
  /** The request's query, or its rollup path. */
  readonly query: NamedQuery;
  readonly params: StatementParams;
  readonly source: AnswerSource;
  /**
   * The fact partitions read raw (what the embedded engine narrows its views to and verifies):
   * the rollup path's raw days, else every day the query may read, its lookback included.
   */
  readonly rawDays: readonly string[];
  /** The days read from the rollup (none when raw). */
  readonly spanDays: readonly string[];
}

export interface PlannedRequest {
  readonly query: NamedQuery;
  readonly params: QueryParams;
  readonly page?: unknown;
  readonly cursor?: string;
}

/**
 * The statement of a request: an aggregate query's rollup path when its plan reads some whole days
 * from the rollup (those `usable` says may be read), else the query itself. Pages, resumed
 * executions and ranges whose freshness cannot be checked (`usable` undefined) run raw.
 */
export function planStatement(req: PlannedRequest, usable: ((day: string) => boolean) | undefined): Statement {
  const { from, to } = req.params;
  const raw: Statement = {
    query: req.query, params: req.params, source: 'raw', spanDays: [],
    rawDays: daysBetween(new Date(from.getTime() - req.query.lookbackDays * DAY_MS), to),
  };
  const path = req.query.rollup;
  if (!path || req.page !== undefined || req.cursor !== undefined || !usable) return raw;
  const plan = planRollup(from, to, usable, { rawDaysMustBeUsable: path.rawDaysExact });
  if (!plan.span) return raw;
  return { query: path, params: { ...req.params, rollup_from: plan.span.from, rollup_to: plan.span.to }, source: plan.source, rawDays: plan.rawDays, spanDays: plan.spanDays };
}

/** Rows the caller has on a UTC day `YYYY-MM-DD`, when known. */
export type RowsOnDay = (day: string) => number | undefined;

/**
 * The end of the first window from `resumeMs`: the end of the first whole day by which the known
 * counts reach `rows` (days not known count nothing), capped at `toMs`. Without counts, one day.
 */
export function firstWindowEnd(resumeMs: number, toMs: number, rows: number, rowsOnDay?: RowsOnDay): number {
  const firstDayEnd = startOfDay(resumeMs) + DAY_MS;
  if (!rowsOnDay) return Math.min(toMs, firstDayEnd);
  let counted = 0;
  for (let end = firstDayEnd; end < toMs; end += DAY_MS) {
    counted += rowsOnDay(dayOf(end - DAY_MS)) ?? 0;
    if (counted >= rows) return end;
  }
  return toMs;
}

/** The next window's end when one held too few rows: four times as long, capped at `toMs`. */
export function nextWindowEnd(resumeMs: number, endMs: number, toMs: number): number {
  return Math.min(toMs, resumeMs + (endMs - resumeMs) * 4);
}
