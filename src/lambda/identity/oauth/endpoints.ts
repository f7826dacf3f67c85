/**
 * The public credential routes (docs/design.md §9, no authorizer): `POST /oauth/token` and
 * `GET /.well-known/jwks.json`. Dependencies are created once per cold start (a failed start is
 * retried on the next request); every outcome is answered in RFC 6749's format.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AccessTableCache } from '../../access/table.ts';
import { configuredAccessTableStore } from '../../access/store.ts';
import { ownKeys } from '../keys/sources.ts';
import { LocalRingSigner, type JwtSigner } from '../keys/signer.ts';
import { catalog } from '../../catalog.ts';
import { authConfig, keysDir, limitsConfig, oauthConfig } from '../../config.ts';
import { credentialsCache, credentialsStore } from './credentials-store.ts';
import { errorFields, log } from '../../log.ts';
import { withAccessRecord } from '../../api/access-record.ts';
import { headerValue } from '../../api/headers.ts';
import { oauthResponse, publicJsonResponse } from '../../api/response.ts';
import { once } from '../../../shared/once.ts';
import { FailureGuard, MemoryFailureStore, SqliteFailureStore, type FailureStore } from './failures.ts';
import { jwksDocument } from './jwks.ts';
import { numericClientId, OAuthError, parseTokenRequest } from './request.ts';
import { issueToken, type TokenServiceDeps } from './token-service.ts';

/** How long clients and caches may keep the JWK Set: a retired key disappears within this. */
export const JWKS_MAX_AGE_SECONDS = 300;


async function signer(): Promise<JwtSigner> {
  const cfg = authConfig();
  if (cfg.signingKeyIds.length > 0) {
    const [{ KMSClient }, { KmsJwtSigner }] = await Promise.all([import('@aws-sdk/client-kms'), import('../keys/kms-signer.ts')]);
    return KmsJwtSigner.create(new KMSClient({}), cfg.signingKeyIds[0]!);
  }
  return new LocalRingSigner(keysDir(), cfg.keysTtlMs);
}


/** Failed-authentication windows: shared by the local gateway's workers when its limiter file is on, else per instance; bounded either way. */
async function failureStore(): Promise<FailureStore> {
  const limits = limitsConfig();
  const { maxUnknownWindows } = oauthConfig();
  return limits.enabled && limits.database !== ':memory:' ? SqliteFailureStore.open(limits.database, maxUnknownWindows) : new MemoryFailureStore(maxUnknownWindows);
}

export async function tokenServiceDeps(): Promise<TokenServiceDeps> {
  const auth = authConfig();
  const cfg = oauthConfig();
  const secrets = credentialsCache(await credentialsStore(), cfg.credentialsTtlMs);
  const acl = new AccessTableCache(await configuredAccessTableStore(), { ttlMs: auth.aclTtlMs, maxStaleMs: auth.aclMaxStaleMs, readTimeoutMs: auth.aclReadTimeoutMs });
  return {
    secrets: (maxAgeMs) => secrets.get(maxAgeMs),
    accessTable: () => acl.table(),
    signer: await signer(),
    guard: new FailureGuard(cfg.maxFailures, cfg.failureWindowSec * 1000, Date.now, await failureStore()),
    queryNames: [...catalog().keys()],
    issuer: auth.issuer,
    audience: auth.audience,
    defaultTtlSec: cfg.tokenTtlSec,
  };
}


/**
 * POST /oauth/token. Like every API request, each call leaves one access record (`oauth_token`):
 * the client it authenticated, or for a refusal the client id it presented (unverified), so
 * `npm run usage` counts token requests and failed attempts per client.
 */
export function oauthTokenHandler(create: () => Promise<TokenServiceDeps> = tokenServiceDeps) {
  const deps = once(create);
  return withAccessRecord('oauth_token', async (event: APIGatewayProxyEvent, _context, _requestId, facts): Promise<APIGatewayProxyResult> => {
    try {
      const request = parseTokenRequest({
        method: event.httpMethod ?? 'POST',
        contentType: headerValue(event.headers, 'content-type'),
        authorization: headerValue(event.headers, 'authorization'),
        body: event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
        queryParameters: Object.keys(event.multiValueQueryStringParameters ?? event.queryStringParameters ?? {}),
      });
      facts.claimedClientId = numericClientId(request.clientId) ?? null;
      const answer = await issueToken(request, await deps());
      [facts.clientId, facts.claimedClientId] = [facts.claimedClientId, null];
      return oauthResponse(200, { ...answer });
    } catch (e) {
      if (e instanceof OAuthError) return oauthResponse(e.status, { error: e.error, error_description: e.description }, e.headers);
      log.error('token endpoint failure', errorFields(e));
      return oauthResponse(503, { error: 'temporarily_unavailable', error_description: 'the token service is unavailable; try again shortly' }, { 'Retry-After': '5' });
    }
  });
}

export function jwksHandler(keys = once(ownKeys)) {
  return async (): Promise<APIGatewayProxyResult> => {
    try {
      return publicJsonResponse(jwksDocument((await (await keys()).all()).values()), JWKS_MAX_AGE_SECONDS, 'application/jwk-set+json');
    } catch (e) {
      log.error('jwks failure', errorFields(e));
      return oauthResponse(503, { error: 'temporarily_unavailable', error_description: 'the key set is unavailable; try again shortly' }, { 'Retry-After': '5' });
    }
  };
}
