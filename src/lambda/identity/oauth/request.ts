/**
 * Parsing a token request (RFC 6749 §4.4.2, §2.3.1, §3.2): a pure function of the method's
 * headers, body and query string. Every defect is an OAuthError with the §5.2 code to answer.
 */
import { CLIENT_ID, SCOPE_NAME } from '../../ids.ts';

export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope'
  | 'temporarily_unavailable' | 'server_error';

/** An error answered in RFC 6749 §5.2's format: `{error, error_description}`. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    // §5.2: a 401 for client authentication names the scheme the client should use.
    if (status === 401) this.headers['WWW-Authenticate'] = 'Basic realm="lakegate"';
  }
}

export const invalidClient = () => new OAuthError(401, 'invalid_client', 'client authentication failed');

export interface TokenRequest {
  /** As presented (validated as a client id only at authentication, so unknown and malformed ids answer alike). */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly grantType: string;
  /** Requested scope names, or null when the request asks for no particular scope. */
  readonly scope: readonly string[] | null;
}

const MAX_BODY = 4096;

/** `application/x-www-form-urlencoded` (HTML's form encoding: `+` is a space). */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new OAuthError(400, 'invalid_request', 'malformed percent-encoding');
  }
}

/** The body's parameters; a repeated one is an error (§3.2), an empty body has none. */
export function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  if (body === '') return params;
  for (const pair of body.split('&')) {
    const eq = pair.indexOf('=');
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = formDecode(eq < 0 ? '' : pair.slice(eq + 1));
    if (params.has(name)) throw new OAuthError(400, 'invalid_request', `parameter ${name} is repeated`);
    params.set(name, value);
  }
  return params;
}

/** `Basic base64(urlencode(id):urlencode(secret))` (§2.3.1), or undefined when there is no Basic header. */
export function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(authorization.trim());
  if (!m) throw invalidClient();
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw invalidClient();
  return { id: formDecode(text.slice(0, colon)), secret: formDecode(text.slice(colon + 1)) };
}

export interface RawTokenRequest {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
  /** Names of query-string parameters: credentials are never taken from a URL. */
  readonly queryParameters: readonly string[];
}

export function parseTokenRequest(r: RawTokenRequest): TokenRequest {
  if (r.method !== 'POST') {
    const e = new OAuthError(405, 'invalid_request', 'the token endpoint answers POST only');
    e.headers.Allow = 'POST';
    throw e;
  }
  if (r.queryParameters.length > 0) throw new OAuthError(400, 'invalid_request', 'parameters belong in the form body, never in the URL');
  const type = (r.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  if (Buffer.byteLength(r.body) > MAX_BODY) throw new OAuthError(400, 'invalid_request', 'the body is too large');
  const form = parseForm(r.body);
  const grantType = form.get('grant_type');
  if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
  const basic = basicCredentials(r.authorization);
  const inBody = form.has('client_id') || form.has('client_secret');
  if (basic && inBody) throw new OAuthError(400, 'invalid_request', 'use one client authentication method, not both');
  const id = basic?.id ?? form.get('client_id');
  const secret = basic?.secret ?? form.get('client_secret');
  if (!id || !secret) throw invalidClient();
  const scopeText = form.get('scope');
  let scope: string[] | null = null;
  if (scopeText !== undefined) {
    scope = scopeText.split(' ').filter((s) => s !== '');
    if (scope.length === 0 || !scope.every((s) => SCOPE_NAME.test(s))) throw new OAuthError(400, 'invalid_scope', 'scope is a space-separated list of query names and whoami');
    scope = [...new Set(scope)];
  }
  return { clientId: id, clientSecret: secret, grantType, scope };
}

/** The numeric client id of a request, or undefined when it cannot be one (→ invalid_client). */
export const numericClientId = (id: string) => (CLIENT_ID.test(id) ? Number(id) : undefined);
