/**
 * How much of a range the next page of a listing reads (the embedded engine). A page needs only
 * the earliest rows after its keyset, so the engine reads a window of the range that holds more
 * than a page: chosen from how many rows each day holds for the caller (the daily rollups count
 * them), then grown fourfold while it holds too few. Estimates only choose the window: a window
 * that holds more than a page gives exactly the range's page, and the last window is the range.
 */
import { DAY_MS } from '../../shared/time.ts';
import { dayOf } from './rollup-plan.ts';

/** Rows the caller has on a UTC day `YYYY-MM-DD`, when known. */
export type RowsOnDay = (day: string) => number | undefined;

/**
 * The end of the first window from `resumeMs`: the end of the first whole day by which the known
 * counts reach `rows` (days not known count nothing), capped at `toMs`. Without counts, one day.
 */
export function firstWindowEnd(resumeMs: number, toMs: number, rows: number, rowsOnDay?: RowsOnDay): number {
  const firstDayEnd = Math.floor(resumeMs / DAY_MS) * DAY_MS + DAY_MS;
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
