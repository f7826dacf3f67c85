/** UTC days, as the lake's `dt=YYYY-MM-DD` partitions, the rollups and the plans' quotas count them. */

/** Milliseconds in a UTC day (UTC days have no DST: every `dt=` partition is exactly this long). */
export const DAY_MS = 86_400_000;

/** A day as the lake, the rollups and the commands write it: `YYYY-MM-DD` (its shape only). */
export const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day `YYYY-MM-DD` of an instant (epoch ms). */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The UTC midnight (epoch ms) that starts an instant's day. */
export const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** UTC days `YYYY-MM-DD` from the day of `from` to the day of `to`, inclusive. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let t = startOfDay(from.getTime()); t <= to.getTime(); t += DAY_MS) days.push(dayOf(t));
  return days;
}
