/**
 * The client-credentials grant (RFC 6749 §4.4) as one decision: authenticate the client against
 * its hashed secrets, check its access rule and the requested scope, and sign the §5 JWT.
 * I/O comes in through `TokenServiceDeps`, so every outcome is tested in-process.
 */
import { randomUUID } from 'node:crypto';
import { grantedQueries, type AccessTable } from '../../access/model.ts';
import { grantedEndpoints } from '../policy.ts';
import type { JwtSigner } from '../keys/signer.ts';
import { secretMatches, type StoredSecret } from './secrets.ts';
import { log } from '../../log.ts';
import type { FailureGuard } from './failures.ts';
import { invalidClient, numericClientId, OAuthError, type TokenRequest } from './request.ts';

export interface TokenServiceDeps {
  /** The stored secrets, at most `maxAgeMs` old when given (else the store's TTL). */
  readonly secrets: (maxAgeMs?: number) => Promise<readonly StoredSecret[]>;
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

/**
 * Whether a presented id names a client of ours (an access rule or a stored secret), so that its
 * failure window is never evicted by a flood of made-up ids (failures.ts). Both lookups always
 * run, so a known and an unknown id cost the same. An unreadable access table must not turn
 * a 401 into a 503: the secrets alone decide then.
 */
async function isKnownClient(clientId: number, secrets: readonly StoredSecret[], deps: TokenServiceDeps): Promise<boolean> {
  const hasRule = (await deps.accessTable().catch(() => undefined))?.has(clientId) ?? false;
  const hasSecret = secrets.some((s) => s.client_id === clientId);
  return hasRule || hasSecret;
}

/** How old the secrets may be when a presented one matches none (a fresh read then decides). */
export const SECRETS_RECHECK_MS = 1000;

export async function issueToken(req: TokenRequest, deps: TokenServiceDeps): Promise<TokenAnswer> {
  const clientId = numericClientId(req.clientId);
  // Failures are counted per presented id; only a well-formed id is ever logged (a client that
  // swapped the two fields must not get its secret written to the log).
  const guardKey = clientId === undefined ? 'malformed' : String(clientId);
  // An unknown id takes the same path as a wrong secret (one hash, one comparison) and answers
  // the same; a malformed one answers the same too.
  let secrets = clientId === undefined ? [] : await deps.secrets();
  let matched = clientId !== undefined && secretMatches(secrets, clientId, req.clientSecret);
  if (clientId !== undefined && !matched) {
    // A secret created a moment ago may be newer than the cached store: before refusing, look once
    // more at the store as it is now (at most one re-read a second, whatever the failures); the
    // same store again needs no second comparison.
    const now = await deps.secrets(SECRETS_RECHECK_MS);
    if (now !== secrets) matched = secretMatches((secrets = now), clientId, req.clientSecret);
  }
  if (clientId === undefined || !matched) {
    const wait = deps.guard.failed(guardKey, clientId !== undefined && (await isKnownClient(clientId, secrets, deps)));
    if (wait > 0) {
      // Past the threshold, failures are answered 429 until the window ends. A right secret is
      // still accepted: 256-bit secrets cannot be guessed, so a lock-out would only let anyone
      // who knows a client id keep its owner out.
      log.warn('token request refused: too many failed attempts', { clientId: guardKey, retryAfterSeconds: wait });
      const e = new OAuthError(429, 'temporarily_unavailable', 'too many failed attempts for this client; try again later');
      e.headers['Retry-After'] = String(wait);
      throw e;
    }
    log.warn('token request refused: client authentication failed', { clientId: guardKey });
    throw invalidClient();
  }
  deps.guard.succeeded(guardKey);
  const client = clientId;

  if (req.grantType !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
  const rule = (await deps.accessTable()).get(client);
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
    iss: deps.issuer, aud: deps.audience, sub: String(client), iat, exp: iat + ttl, jti: randomUUID(),
    ...(req.scope ? { scope: req.scope.join(' ') } : {}),
  };
  const access_token = await deps.signer.sign(claims);
  log.info('token issued', { clientId: client, expiresIn: ttl, scoped: req.scope !== null });
  return { access_token, token_type: 'Bearer', expires_in: ttl, scope: scope.join(' ') };
}
