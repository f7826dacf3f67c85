/**
 * The limit decision, a pure function of a client's state, its plan and the time:
 * - a token bucket (capacity `burst`, refilled at `ratePerSecond`): a request takes one token;
 * - a quota of `quotaPerDay` requests per UTC day (the counter restarts at 00:00 UTC, as API
 *   Gateway's DAY quota period does).
 * A refused request takes nothing: neither a token nor a unit of quota.
 */
import type { Plan } from './plans.ts';
import { DAY_MS, dayOf } from '../../shared/time.ts';

export interface ClientLimitState {
  /** Tokens in the bucket at `updatedMs`. */
  readonly tokens: number;
  readonly updatedMs: number;
  /** UTC day (`YYYY-MM-DD`) that `used` counts. */
  readonly day: string;
  readonly used: number;
}

export type LimitVerdict =
  | { readonly allowed: true; readonly state: ClientLimitState; readonly remainingToday: number }
  | { readonly allowed: false; readonly state: ClientLimitState; readonly reason: 'rate' | 'quota'; readonly retryAfterSeconds: number };



/** Seconds from `ms` to the next 00:00 UTC, at least 1. */
export function secondsToNextUtcDay(ms: number): number {
  return Math.max(1, Math.ceil((Math.floor(ms / DAY_MS + 1) * DAY_MS - ms) / 1000));
}

/** Take one request from a client's allowance, or say why not and for how long. */
export function takeRequest(previous: ClientLimitState | undefined, plan: Plan, nowMs: number): LimitVerdict {
  const day = dayOf(nowMs);
  const elapsedMs = previous ? Math.max(0, nowMs - previous.updatedMs) : 0;
  // A plan change applies at once: the bucket never holds more than the current plan's burst.
  const tokens = previous ? Math.min(plan.burst, previous.tokens + (elapsedMs * plan.ratePerSecond) / 1000) : plan.burst;
  const used = previous && previous.day === day ? previous.used : 0;
  const refreshed: ClientLimitState = { tokens, updatedMs: nowMs, day, used };
  if (used >= plan.quotaPerDay) {
    return { allowed: false, state: refreshed, reason: 'quota', retryAfterSeconds: secondsToNextUtcDay(nowMs) };
  }
  if (tokens < 1) {
    return { allowed: false, state: refreshed, reason: 'rate', retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / plan.ratePerSecond)) };
  }
  return { allowed: true, state: { tokens: tokens - 1, updatedMs: nowMs, day, used: used + 1 }, remainingToday: plan.quotaPerDay - used - 1 };
}
