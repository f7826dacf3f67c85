/**
 * The token authorizer: verify the bearer token (401 on any defect), then decide from the
 * access table (403 for unknown/disabled clients, Allow listing exactly the granted methods).
 * Every internal failure — keys or access table unavailable, an unexpected methodArn — denies.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { AclCache } from '../acl/cache.ts';
import { FileAclStore, type AclStore } from '../acl/store.ts';
import { accessControlKey } from '../lake/layout.ts';
import { catalog } from '../catalog.ts';
import { clientOfProviderSubject } from '../acl/model.ts';
import { authConfig, keysDir, lakeDir, providerConfig } from '../config.ts';
import { LocalKeyRing } from './keyring.ts';
import { RemoteJwks } from './remote-jwks.ts';
import { errorFields, log, useLambdaContext } from '../log.ts';
import { decide, denyAll, toAuthorizerResult, type Decision } from './policy.ts';
import { loadUsageKeys, type UsageKeys } from '../limits/usage-key.ts';
import { writeAccess } from '../usage/access-log.ts';
import { publishRequestMetrics } from '../usage/metrics.ts';
import { queryOfMethodArn, roundMs, type AccessRecord } from '../usage/record.ts';
import { bearerToken, peekToken, publicVerificationKey, sharedSecretKey, Unauthorized, verifyToken, type TokenPolicy, type VerificationKey } from './token.ts';

/** Where an issuer's verification keys come from: a fixed set, the local ring, KMS, or a provider's JWKS. */
export interface KeySource {
  /** The key for `kid`, or undefined. Throws only when the source itself is unusable (→ deny). */
  key(kid: string): Promise<VerificationKey | undefined>;
}

/** Our own keys: every one of them is also published at /.well-known/jwks.json. */
export interface KeySet extends KeySource {
  all(): Promise<ReadonlyMap<string, VerificationKey>>;
}

/** A fixed set of keys (an inline PEM, KMS public keys read at cold start, tests). */
export const fixedKeys = (keys: ReadonlyMap<string, VerificationKey>): KeySet => ({ key: async (kid) => keys.get(kid), all: async () => keys });

/** The local ring, re-checked every few seconds so rotation and retirement apply without a restart. */
export const ringKeys = (ring: LocalKeyRing): KeySet => ({ key: async (kid) => (await ring.keys()).get(kid), all: () => ring.keys() });

/** Whose tokens the authorizer accepts: ours, and optionally one identity provider's (DESIGN §9). */
export interface Issuer {
  readonly keys: KeySource;
  readonly policy: TokenPolicy;
}

export class Authorizer {
  private readonly own: Issuer;

  constructor(
    keys: ReadonlyMap<string, VerificationKey> | KeySource,
    policy: TokenPolicy,
    private readonly acl: AclCache,
    private readonly queryNames: readonly string[],
    /** An identity provider's issuer, keys and claims; its tokens never verify with our keys, nor ours with its. */
    private readonly external?: Issuer,
  ) {
    this.own = { keys: keys instanceof Map ? fixedKeys(keys) : (keys as KeySource), policy };
    if (external && external.policy.issuer === policy.issuer) throw new Error('the identity provider must have an issuer of its own');
  }

  /** Throws Unauthorized for a bad token; otherwise Allow or Deny. */
  async decide(authorization: string | undefined, methodArn: string, nowSec?: number): Promise<Decision> {
    const token = bearerToken(authorization, this.own.policy.maxTokenBytes);
    const { kid, issuer } = peekToken(token);
    // The unverified `iss` only picks whose keys to try; the signature and `iss` are then verified.
    const trusted = this.external && issuer === this.external.policy.issuer ? this.external : this.own;
    const key = await trusted.keys.key(kid);
    if (!key) throw new Unauthorized('unknown kid');
    const verified = verifyToken(token, new Map([[kid, key]]), trusted.policy, nowSec);
    const table = await this.acl.table();
    const clientId = trusted === this.own ? Number(verified.subject) : clientOfProviderSubject(table, verified.subject);
    if (clientId === undefined) return denyAll(methodArn, null, 'identity-provider client not mapped to an access rule');
    return decide(clientId, table, this.queryNames, methodArn, verified.scope);
  }
}

/** Keys from configuration: a shared HS256 secret, KMS keys, an inline PEM or SSM parameter, or the local ring. */
export async function ownKeys(): Promise<KeySet> {
  const cfg = authConfig();
  if (cfg.hs256Secret) {
    const shared = sharedSecretKey(cfg.hs256Secret);
    return fixedKeys(new Map([[shared.kid, shared]]));
  }
  const keys: VerificationKey[] = [];
  if (cfg.signingKeyIds.length > 0) {
    const { kmsVerificationKeys } = await import('./kms-keys.ts');
    keys.push(...(await kmsVerificationKeys(cfg.signingKeyIds)));
  }
  let pem = cfg.publicKeyPem;
  if (!pem && cfg.publicKeyParameter) pem = await (await import('../aws/ssm.ts')).readParameter(cfg.publicKeyParameter);
  if (pem) keys.push(publicVerificationKey(pem));
  if (keys.length > 0) return fixedKeys(new Map(keys.map((k) => [k.kid, k])));
  return ringKeys(new LocalKeyRing(keysDir(), cfg.keysTtlMs));
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

async function aclStore(): Promise<AclStore> {
  const uri = authConfig().aclS3Uri;
  if (uri) return (await import('../acl/s3-store.ts')).S3AclStore.fromUri(uri);
  return new FileAclStore(`${lakeDir()}/${accessControlKey}`);
}

export async function createAuthorizer(): Promise<Authorizer> {
  const cfg = authConfig();
  const acl = new AclCache(await aclStore(), { ttlMs: cfg.aclTtlMs, maxStaleMs: cfg.aclMaxStaleMs, readTimeoutMs: cfg.aclReadTimeoutMs });
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
  let authorizer: Promise<Authorizer> | undefined;
  let keys: Promise<UsageKeys | null> | undefined;
  /** A failed load is forgotten (the next request retries it) and never an unhandled rejection. */
  const once = <T>(get: () => Promise<T>, forget: () => void) => {
    const p = get().catch((e) => {
      forget();
      throw e;
    });
    p.catch(() => {});
    return p;
  };
  return async (event: APIGatewayTokenAuthorizerEvent, context?: Partial<Context>): Promise<APIGatewayAuthorizerResult> => {
    const started = performance.now();
    useLambdaContext(context);
    const refused = (status: 401 | 403, clientId: number | null) =>
      refusedAccess(context?.awsRequestId ?? randomUUID(), event.methodArn, status, clientId, performance.now() - started);
    let decision: Decision;
    let usageKey: string | undefined;
    try {
      const authorizing = (authorizer ??= once(create, () => (authorizer = undefined)));
      const keyring = (keys ??= once(usageKeys, () => (keys = undefined)));
      decision = await (await authorizing).decide(event.authorizationToken, event.methodArn);
      if (decision.effect === 'Allow') usageKey = (await keyring)?.forClient(decision.clientId);
    } catch (e) {
      if (e instanceof Unauthorized) {
        log.info('token refused', { reason: e.reason });
        refused(401, null);
        throw new Error('Unauthorized'); // the exact message API Gateway turns into 401
      }
      log.error('authorizer failure: denying', errorFields(e));
      decision = denyAll(event.methodArn, null, 'internal failure');
    }
    log.info('authorizer decision', {
      effect: decision.effect,
      clientId: decision.clientId,
      ...(decision.effect === 'Deny' ? { reason: decision.reason } : { methods: decision.resources.length }),
    });
    // A Deny, or an Allow that does not list the method called, is answered 403 by API Gateway.
    if (decision.effect === 'Deny' || !decision.resources.includes(event.methodArn)) refused(403, decision.clientId);
    return toAuthorizerResult(decision, usageKey);
  };
}

/** The access record (and metrics) of a request the authorizer refuses. */
function refusedAccess(requestId: string, methodArn: string, status: 401 | 403, clientId: number | null, ms: number): void {
  const record: AccessRecord = {
    requestId, time: new Date().toISOString(), clientId, query: queryOfMethodArn(methodArn), from: null, to: null,
    status, errorCode: status === 401 ? 'unauthorized' : 'forbidden', rows: null, bytesScanned: null, engineMs: null,
    durationMs: roundMs(ms), resultReused: null, decidedBy: 'authorizer',
  };
  writeAccess(record);
  publishRequestMetrics(record);
}
