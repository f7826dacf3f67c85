/**
 * The token authorizer: verify the bearer token (401 on any defect), then decide from the
 * access table (403 for unknown/disabled clients, Allow listing exactly the granted methods).
 * Every internal failure — keys or access table unavailable, an unexpected methodArn — denies.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { AccessTableCache } from '../access/table.ts';
import { clientOfProviderSubject } from '../access/model.ts';
import { configuredAccessTableStore } from '../access/store.ts';
import { catalog } from '../catalog.ts';
import { authConfig, offlineConfig, providerConfig } from '../config.ts';
import { loadUsageKeys, type UsageKeys } from '../limits/usage-key.ts';
import { errorFields, log, useLambdaContext } from '../log.ts';
import { once } from '../../shared/once.ts';
import { writeAccess } from '../usage/access-log.ts';
import { publishRequestMetrics } from '../usage/metrics.ts';
import { accessRecord, queryOfMethodArn, roundMs } from '../usage/record.ts';
import { contextSeal } from './context-seal.ts';
import { CLIENT_ID } from '../ids.ts';
import { fixedKeys, ownKeys, type KeySource } from './keys/sources.ts';
import { rememberAnswer } from './offline-answers.ts';
import { decide, DENIALS, denyAll, toAuthorizerResult, type Decision } from './policy.ts';
import { RemoteJwks } from './keys/remote-jwks.ts';
import { bearerToken, peekToken, Unauthorized, verifyPeeked, type TokenPolicy, type VerificationKey } from './tokens/verify.ts';

/** Whose tokens the authorizer accepts: ours, and optionally one identity provider's (docs/design.md §9). */
export interface Issuer {
  readonly keys: KeySource;
  readonly policy: TokenPolicy;
}

export class Authorizer {
  private readonly own: Issuer;

  constructor(
    keys: ReadonlyMap<string, VerificationKey> | KeySource,
    policy: TokenPolicy,
    private readonly acl: AccessTableCache,
    private readonly queryNames: readonly string[],
    /** An identity provider's issuer, keys and claims; its tokens never verify with our keys, nor ours with its. */
    private readonly external?: Issuer,
  ) {
    this.own = { keys: keys instanceof Map ? fixedKeys(keys) : (keys as KeySource), policy }; // a Map: tests and fixed key sets
    if (external && external.policy.issuer === policy.issuer) throw new Error('the identity provider must have an issuer of its own');
  }

  /** Throws Unauthorized for a bad token; otherwise Allow or Deny. */
  async decide(authorization: string | undefined, methodArn: string, nowSec?: number): Promise<Decision> {
    const token = bearerToken(authorization, this.own.policy.maxTokenBytes);
    const peeked = peekToken(token);
    // The unverified `iss` only picks whose keys to try; the signature and `iss` are then verified.
    const trusted = this.external && peeked.issuer === this.external.policy.issuer ? this.external : this.own;
    const verified = verifyPeeked(token, peeked, await trusted.keys.key(peeked.kid), trusted.policy, nowSec);
    const table = await this.acl.table();
    const clientId = trusted === this.own ? Number(verified.subject) : clientOfProviderSubject(table, verified.subject);
    if (clientId === undefined) return denyAll(methodArn, null, 'identity-provider client not mapped to an access rule');
    return decide(clientId, table, this.queryNames, methodArn, verified.scope);
  }
}

/** The identity provider configured by LAKEGATE_JWKS_URL, if any. */
export function providerIssuer(): Issuer | undefined {
  const own = authConfig();
  const p = providerConfig();
  if (!p) return undefined;
  return {
    keys: new RemoteJwks({ url: p.url, fetchTimeoutMs: p.fetchTimeoutMs, refetchCooldownMs: p.refetchCooldownMs, refreshIntervalMs: p.refreshIntervalMs, maxStaleMs: p.maxStaleMs }),
    policy: { ...own, issuer: p.issuer, audience: p.audience, clientClaim: p.clientClaim },
  };
}

export async function createAuthorizer(): Promise<Authorizer> {
  const cfg = authConfig();
  const acl = new AccessTableCache(await configuredAccessTableStore(), { ttlMs: cfg.aclTtlMs, maxStaleMs: cfg.aclMaxStaleMs, readTimeoutMs: cfg.aclReadTimeoutMs });
  return new Authorizer(await ownKeys(), cfg, acl, [...catalog().keys()], providerIssuer());
}

/**
 * The Lambda handler around an Authorizer (created once per cold start, retried if that failed).
 * It writes the access record of every request it refuses (401, 403); the query handler writes
 * the others. An Allow carries the client's API key value as `usageIdentifierKey` when the stage
 * has a usage-key secret (AWS), so API Gateway applies the client's usage plan.
 */
export function tokenAuthorizerHandler(
  create: () => Promise<Authorizer> = createAuthorizer,
  usageKeys: () => Promise<UsageKeys | null> = loadUsageKeys,
) {
  const authorizer = once(create);
  const keys = once(usageKeys);
  return async (event: APIGatewayTokenAuthorizerEvent, context?: Partial<Context>, callback?: (error: string) => void): Promise<APIGatewayAuthorizerResult> => {
    const started = performance.now();
    useLambdaContext(context);
    const refused = (status: 401 | 403, errorCode: string, clientId: number | null, claimedClientId: number | null = null) =>
      refusedAccess(context?.awsRequestId ?? randomUUID(), event.methodArn, { status, errorCode, clientId, claimedClientId }, performance.now() - started);
    let decision: Decision;
    let usageKey: string | undefined;
    try {
      const authorizing = authorizer();
      const keyring = keys();
      decision = await (await authorizing).decide(event.authorizationToken, event.methodArn);
      if (decision.effect === 'Allow') usageKey = (await keyring)?.forClient(decision.clientId);
    } catch (e) {
      if (e instanceof Unauthorized) {
        log.info('token refused', { reason: e.reason });
        refused(401, 'unauthorized', null, claimedClient(event.authorizationToken));
        // serverless-offline reports a thrown error as an unhandled exception with its stack,
        // though a 401 is routine; its callback form answers the same 401 quietly.
        if (callback && offlineConfig().offline) {
          callback('Unauthorized');
          return undefined as never;
        }
        throw new Error('Unauthorized'); // the exact message API Gateway turns into 401
      }
      log.error('authorizer failure: denying', errorFields(e));
      decision = denyAll(event.methodArn, null, 'internal failure', DENIALS.unavailable);
    }
    log.info('authorizer decision', {
      effect: decision.effect,
      clientId: decision.clientId,
      ...(decision.effect === 'Deny' ? { reason: decision.reason } : { methods: decision.resources.length }),
    });
    // A Deny, or an Allow that does not list the method called, is answered 403 by API Gateway.
    // The record's code is the one the client is told (ACCESS_DENIED renders the context's denyCode).
    if (decision.effect === 'Deny') refused(403, decision.told.denyCode, decision.clientId);
    else if (!decision.resources.includes(event.methodArn)) refused(403, DENIALS.notGranted.denyCode, decision.clientId);
    const result = toAuthorizerResult(decision, usageKey, decision.effect === 'Allow' ? contextSeal(decision.context) : undefined);
    if (offlineConfig().offline) rememberAnswer(event.authorizationToken, result.context);
    return result;
  };
}

/**
 * The client a refused token names (our `sub`, unverified, when it is a client id): whose
 * refusals `npm run usage` counts, never whom the API served.
 */
function claimedClient(authorization: string | undefined): number | null {
  try {
    const subject = peekToken(bearerToken(authorization, authConfig().maxTokenBytes)).subject;
    return subject !== undefined && CLIENT_ID.test(subject) ? Number(subject) : null;
  } catch {
    return null;
  }
}

/** The access record (and metrics) of a request the authorizer refuses. */
function refusedAccess(
  requestId: string, methodArn: string, refusal: { status: 401 | 403; errorCode: string; clientId: number | null; claimedClientId: number | null }, ms: number,
): void {
  const record = accessRecord({
    requestId, query: queryOfMethodArn(methodArn), ...refusal, durationMs: roundMs(ms), decidedBy: 'authorizer',
  });
  writeAccess(record);
  publishRequestMetrics(record);
}
