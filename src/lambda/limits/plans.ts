/**
 * Plans: how fast (token bucket: `ratePerSecond` refill, `burst` capacity) and how much
 * (`quotaPerDay`, per UTC day) a client may call the API. Defined once, in plans.json, read by
 * the local gateway's limiter, by `npm run acl` and by the AWS template (serverless/usage-plans.cjs
 * makes one API Gateway usage plan of each).
 */
import file from './plans.json' with { type: 'json' };

export interface Plan {
  readonly name: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly quotaPerDay: number;
}

export interface PlanSet {
  /** The plan of an access rule that names none (existing clients). */
  readonly defaultPlan: string;
  readonly plans: ReadonlyMap<string, Plan>;
}

export const PLAN_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class PlansError extends Error {
  override name = 'PlansError';
}

const positiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** Validate the plans file's content. API Gateway's limits apply: whole requests, burst ≥ 1. */
export function parsePlans(value: unknown): PlanSet {
  const fail = (msg: string): never => {
    throw new PlansError(`plans: ${msg}`);
  };
  if (typeof value !== 'object' || value === null) fail('not an object');
  const { default: defaultPlan, plans } = value as { default?: unknown; plans?: unknown };
  if (!Array.isArray(plans) || plans.length === 0) fail('"plans" must be a non-empty list');
  const out = new Map<string, Plan>();
  (plans as unknown[]).forEach((p, i) => {
    const { name, ratePerSecond, burst, quotaPerDay, ...rest } = (p ?? {}) as Record<string, unknown>;
    if (Object.keys(rest).length) fail(`plan ${i + 1}: unknown field "${Object.keys(rest)[0]}"`);
    if (typeof name !== 'string' || !PLAN_NAME.test(name)) fail(`plan ${i + 1}: name must match ${PLAN_NAME}`);
    if (out.has(name as string)) fail(`plan "${name}" appears twice`);
    if (typeof ratePerSecond !== 'number' || !(ratePerSecond > 0)) fail(`plan "${name}": ratePerSecond must be a positive number`);
    if (!positiveInt(burst)) fail(`plan "${name}": burst must be a whole number ≥ 1`);
    if (!positiveInt(quotaPerDay)) fail(`plan "${name}": quotaPerDay must be a whole number ≥ 1`);
    out.set(name as string, { name: name as string, ratePerSecond: ratePerSecond as number, burst: burst as number, quotaPerDay: quotaPerDay as number });
  });
  if (typeof defaultPlan !== 'string' || !out.has(defaultPlan)) fail('"default" must name one of the plans');
  return { defaultPlan: defaultPlan as string, plans: out };
}

let shipped: PlanSet | undefined;

/** The shipped plans (src/lambda/limits/plans.json), validated once. */
export function plans(): PlanSet {
  shipped ??= parsePlans(file);
  return shipped;
}

/** A plan by name; an unknown name (a stale or hand-edited rule) falls back to the default plan. */
export function planNamed(name: string | undefined, set: PlanSet = plans()): Plan {
  return set.plans.get(name ?? set.defaultPlan) ?? set.plans.get(set.defaultPlan)!;
}

/** The plan name the authorizer put in the request's context (absent: the default plan applies). */
export function planOf(authorizerContext: Record<string, unknown> | null | undefined): string | undefined {
  const plan = authorizerContext?.plan;
  return typeof plan === 'string' && PLAN_NAME.test(plan) ? plan : undefined;
}
