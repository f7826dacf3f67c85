/**
 * The client-credentials grant (RFC 6749 §4.4) as one decision: authenticate the client against
 * its hashed secrets, check its access rule and the requested scope, and sign the §5 JWT.
 * I/O comes in through `TokenServiceDeps`, so every outcome is tested in-process.
 */
import { randomUUID } from 'node:crypto';
import { grantedQueries, type AccessTable } from '../acl/model.ts';
import { grantedEndpoints } from '../auth/policy.ts';
import type { JwtSigner } from '../auth/signer.ts';
import { secretMatches, type StoredSecret } from '../credentials/secrets.ts';
import { log } from '../log.ts';
import type { FailureGuard } from './failures.ts';
import { invalidClient, numericClientId, OAuthError, type TokenRequest } from './request.ts';

export interface TokenServiceDeps {
  readonly secrets: () => Promise<readonly StoredSecret[]>;
  readonly accessTable: () => Promise<AccessTable>;
  readonly signer: JwtSigner;
  readonly guard: FailureGuard;
  readonly queryNames: readonly string[];
  readonly issuer: string;
  readonly audience: string;
  readonly defaultTtlSec: number;
  readonly now?: () => number;
}

/** RFC 6749 §5.1. */
export interface TokenAnswer {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

export async function issueToken(req: TokenRequest, deps: TokenServiceDeps): Promise<TokenAnswer> {
  const guardKey = req.clientId.slice(0, 64);
  const wait = deps.guard.retryAfterSeconds(guardKey);
  if (wait > 0) {
    log.warn('token request refused: too many failed attempts', { clientId: guardKey, retryAfterSeconds: wait });
    const e = new OAuthError(429, 'temporarily_unavailable', 'too many failed attempts for this client; try again later');
    e.headers['Retry-After'] = String(wait);
    throw e;
  }
  // Unknown and malformed ids take the same path as a wrong secret: one hash, one comparison.
  const clientId = numericClientId(req.clientId) ?? -1;
  if (!secretMatches(await deps.secrets(), clientId, req.clientSecret)) {
    deps.guard.failed(guardKey);
    log.warn('token request refused: client authentication failed', { clientId: guardKey });
    throw invalidClient();
  }
  deps.guard.succeeded(guardKey);

  if (req.grantType !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
  const rule = (await deps.accessTable()).get(clientId);
  if (!rule || !rule.enabled) throw new OAuthError(400, 'unauthorized_client', 'this client may not obtain tokens (disabled or without an access rule)');
  const allowed = grantedEndpoints(grantedQueries(rule, deps.queryNames), null);
  if (req.scope) {
    const refused = req.scope.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new OAuthError(400, 'invalid_scope', `not granted to this client: ${refused.join(' ')}`);
  }
  const scope = req.scope ?? allowed;
  const ttl = rule.token_ttl_seconds ?? deps.defaultTtlSec;
  const iat = Math.floor((deps.now ?? Date.now)() / 1000);
  const claims: Record<string, unknown> = {
    iss: deps.issuer, aud: deps.audience, sub: String(clientId), iat, exp: iat + ttl, jti: randomUUID(),
    ...(req.scope ? { scope: req.scope.join(' ') } : {}),
  };
  const access_token = await deps.signer.sign(claims);
  log.info('token issued', { clientId, expiresIn: ttl, scoped: req.scope !== null });
  return { access_token, token_type: 'Bearer', expires_in: ttl, scope: scope.join(' ') };
}
