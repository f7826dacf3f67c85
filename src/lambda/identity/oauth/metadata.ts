/**
 * OAuth 2.0 Authorization Server Metadata (RFC 8414), at /.well-known/oauth-authorization-server,
 * so standard OAuth libraries configure themselves: where to get a token (client credentials
 * only, the secret by HTTP Basic or in the form body), where the verification keys are, and the
 * scopes a token may be narrowed to (the named queries and whoami).
 *
 * `issuer` is the API's URL, as RFC 8414 asks (§2, §3.3: the URL the metadata was fetched under).
 * The tokens' own `iss` claim is the configured issuer name (LAKEGATE_JWT_ISSUER, e.g.
 * `lakegate-prod`), which is what the authorizer checks; clients of the client-credentials grant
 * do not read their access tokens.
 */
import { ACCOUNT_ENDPOINTS } from '../policy.ts';

export function authorizationServerMetadata(baseUrl: string, queryNames: readonly string[]): Record<string, unknown> {
  return {
    issuer: baseUrl,
    token_endpoint: `${baseUrl}/oauth/token`,
    jwks_uri: `${baseUrl}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // No authorization endpoint: no response type applies (RFC 8414 §2 requires the member).
    response_types_supported: [],
    scopes_supported: [...queryNames, ...ACCOUNT_ENDPOINTS].sort(),
    service_documentation: `${baseUrl}/docs`,
  };
}
