/**
 * The seal of the authorizer's context: an HMAC-SHA256 over the fields a handler trusts (the
 * client, its row scope, range, plan and personal-data mode), under a key only the local
 * gateway's process holds (made at each start by serverless/offline-gateway.cjs). A handler
 * running under serverless-offline refuses a context whose seal is missing or wrong, so a
 * made-up context (from any way into a handler but the authorizer) is never trusted. On AWS the
 * context is not sealed: API Gateway is the only principal allowed to invoke the functions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { offlineConfig } from '../config.ts';
import type { AuthorizerContext } from './policy.ts';

/** The context fields the seal covers, in order: every member of the authorizer's context. */
export const SEALED_FIELDS = ['clientId', 'rowScope', 'maxRangeDays', 'plan', 'pii'] as const satisfies readonly (keyof AuthorizerContext)[];

/** A member added to AuthorizerContext but not to SEALED_FIELDS fails to compile here (it would go unsealed). */
type Unsealed = Exclude<keyof AuthorizerContext, (typeof SEALED_FIELDS)[number]>;
const everyContextFieldSealed: [Unsealed] extends [never] ? true : never = true;

/** The context member that carries the seal. */
const SEAL_FIELD = 'seal';

const VERSION = 'v1';

export function sealContext(key: Buffer, context: object): string {
  const fields = context as Readonly<Record<string, unknown>>;
  // API Gateway passes every context value on as a string: seal what the handler will see.
  const text = [VERSION, ...SEALED_FIELDS.map((f) => `${f}=${fields[f] === undefined ? '' : String(fields[f])}`)].join('\n');
  return `${VERSION}.${createHmac('sha256', key).update(text).digest('base64url')}`;
}

function sealMatches(key: Buffer, context: Readonly<Record<string, unknown>>): boolean {
  const given = context[SEAL_FIELD];
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(sealContext(key, context));
  const presented = Buffer.from(given);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/**
 * Whether a handler may trust this context: sealed by this gateway's authorizer under
 * serverless-offline (no key there fails closed), always on AWS and in-process tests.
 */
export function contextTrusted(context: Readonly<Record<string, unknown>>, { offline, sealKey } = offlineConfig()): boolean {
  if (sealKey) return sealMatches(sealKey, context);
  return !offline;
}

/** The seal to add to an authorizer's context, when this process seals (the local gateway). */
export function contextSeal(context: object): string | undefined {
  const { sealKey } = offlineConfig();
  return sealKey ? sealContext(sealKey, context) : undefined;
}
