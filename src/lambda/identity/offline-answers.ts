/**
 * The authorizer's last context per bearer token, for the local gateway only. API Gateway renders
 * its ACCESS_DENIED answer from the authorizer's context (`$context.authorizer.denyMessage`:
 * "this client's access is disabled" rather than "may not call this query"); serverless-offline
 * answers a refused request itself and drops that context. So under serverless-offline the
 * authorizer leaves it here, in its own process, and serverless/offline-gateway.cjs reads it back
 * for the request's Authorization header. Keyed by the header's SHA-256; the newest 1000 kept.
 */
import { createHash } from 'node:crypto';

const ANSWERS = Symbol.for('lakegate.authorizer-answers');
const MAX_KEPT = 1000;

type Answers = Map<string, Readonly<Record<string, unknown>>>;

const answerKey = (authorization: string) => createHash('sha256').update(authorization).digest('base64url');

export function rememberAnswer(authorization: string | undefined, context: Readonly<Record<string, unknown>>): void {
  if (!authorization) return;
  const holder = globalThis as { [ANSWERS]?: Answers };
  const answers = (holder[ANSWERS] ??= new Map());
  const key = answerKey(authorization);
  answers.delete(key); // re-inserted as the newest
  answers.set(key, context);
  while (answers.size > MAX_KEPT) answers.delete(answers.keys().next().value!);
}

/** The context the authorizer left for this Authorization header, if any (read by serverless/offline-gateway.cjs). */
export function recallAnswer(authorization: string | undefined): Readonly<Record<string, unknown>> | undefined {
  if (!authorization) return undefined;
  return (globalThis as { [ANSWERS]?: Answers })[ANSWERS]?.get(answerKey(authorization));
}
