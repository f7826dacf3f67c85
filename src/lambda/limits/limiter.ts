/**
 * The local gateway's limiter: one request of a client against its plan, refused with 429
 * `rate_limited` or `quota_exceeded` (+ Retry-After). On AWS, API Gateway's usage plans do this
 * before the Lambda runs, so the handler's limiter is enabled only locally (LAKEGATE_LIMITS=on).
 */
import { limitsConfig } from '../config.ts';
import { QuotaExceeded, RateLimited } from '../errors.ts';
import { planNamed } from './plans.ts';
import { MemoryLimitStore, SqliteLimitStore, type LimitStore } from './store.ts';
import { lazy } from '../../shared/once.ts';

export type Clock = () => number;

export class Limiter {
  constructor(
    private readonly store: LimitStore,
    private readonly clock: Clock = Date.now,
  ) {}

  /** Count one request of `clientId` on plan `planName`; throws RateLimited / QuotaExceeded when over. */
  admit(clientId: number, planName: string | undefined): void {
    const verdict = this.store.take(clientId, planNamed(planName), this.clock());
    if (verdict.allowed) return;
    throw verdict.reason === 'quota' ? new QuotaExceeded(verdict.retryAfterSeconds) : new RateLimited(verdict.retryAfterSeconds);
  }
}

/** A store that cannot be opened fails the request (500: fail closed); the next one retries it. */
const configured = lazy(async (): Promise<Limiter | null> => {
  const cfg = limitsConfig();
  if (!cfg.enabled) return null;
  return new Limiter(cfg.database === ':memory:' ? new MemoryLimitStore() : await SqliteLimitStore.open(cfg.database));
});

/** The process's limiter from configuration: null when limits are off (AWS, in-process tests). */
export function getLimiter(): Promise<Limiter | null> {
  return configured.get();
}

/** For tests and the bench: use this limiter (null = none) instead of the configured one. */
export function setLimiter(limiter: Limiter | null | undefined): void {
  configured.set(limiter);
}
