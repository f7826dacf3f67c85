/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the API's bodies that do not depend on a
 * query: errors, stats, the 202 "still running" body, whoami, and the OAuth token and JWKS
 * bodies of docs/design.md §9. Per-query row schemas are built from the catalog in document.ts.
 */
import type { OutputType } from '../catalog.ts';
import { PII_MODES } from '../privacy/modes.ts';

export type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export { ref as schemaRef };

/** A column type as a JSON value (docs/design.md §4: counts are numbers, timestamps ISO-8601 UTC strings). */
const COLUMN_VALUE: Record<OutputType, Schema> = {
  bigint: { type: 'integer' },
  integer: { type: 'integer' },
  double: { type: 'number' },
  varchar: { type: 'string' },
  boolean: { type: 'boolean' },
  timestamp: { type: 'string', format: 'date-time', examples: ['2024-03-01T10:00:00.000Z'] },
};

/**
 * A cell of a column. The catalog's `@columns` header gives types, not NOT NULL, and SQL may
 * give NULL for any column (an unfinished order's `end_time`, a ratio over no deliveries), so
 * every cell admits `null`; the type of a non-null value is exact.
 */
export function cellSchema(type: OutputType): Schema {
  const value = COLUMN_VALUE[type];
  return { ...value, type: [value.type as string, 'null'], 'x-sql-type': type };
}

export const COMMON_SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    description: 'Every refusal and failure, from the API or the gateway. 4xx messages say what to fix; 5xx bodies are generic.',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', examples: ['bad_request'] },
          message: { type: 'string', examples: ['parameter from is required'] },
        },
      },
    },
  },
  Column: {
    type: 'object',
    required: ['name', 'type'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      type: { enum: Object.keys(COLUMN_VALUE) },
    },
  },
  Stats: {
    type: 'object',
    description: 'How the answer was computed. Engines may add fields (e.g. bytes scanned).',
    required: ['engine', 'elapsedMs', 'source'],
    properties: {
      engine: { enum: ['duckdb', 'athena'] },
      elapsedMs: { type: 'number', minimum: 0 },
      source: { enum: ['rollup', 'raw', 'mixed'], description: 'Whole UTC days from the daily rollups, the raw partitions, or both (docs/design.md §12).' },
    },
    additionalProperties: { type: ['string', 'number', 'boolean'] },
  },
  StillRunning: {
    type: 'object',
    description: 'The query is still running (Athena): repeat the same request with this nextToken after Retry-After seconds.',
    required: ['query', 'params', 'status', 'nextToken'],
    additionalProperties: false,
    properties: {
      query: { type: 'string' },
      params: ref('Params'),
      status: { const: 'running' },
      nextToken: { type: 'string' },
    },
  },
  Params: {
    type: 'object',
    description: 'The request parameters as understood: from and to normalised to ISO-8601 UTC, limit with its default applied.',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      from: { type: 'string', format: 'date-time' },
      to: { type: 'string', format: 'date-time' },
      limit: { type: 'integer', minimum: 1 },
    },
  },
  WhoAmI: {
    type: 'object',
    required: ['clientId', 'rowScope', 'maxRangeDays', 'pii'],
    additionalProperties: false,
    properties: {
      clientId: { type: 'integer', minimum: 0 },
      rowScope: { enum: ['own', 'all'], description: '`own`: only this client\'s rows; `all`: every client (internal analysts).' },
      maxRangeDays: { type: 'integer', minimum: 1 },
      pii: {
        enum: [...PII_MODES],
        description: 'How this client sees personal data (columns marked `x-pii`): `masked` (the default) keeps a shape without the person, `pseudonymized` a keyed pseudonym per value (equal values, equal pseudonyms), `clear` the stored values.',
      },
    },
  },
  TokenRequest: {
    type: 'object',
    description: 'RFC 6749 §4.4.2. The client authenticates with HTTP Basic (client id and secret, §2.3.1), or with client_id and client_secret in this form (not both).',
    required: ['grant_type'],
    properties: {
      grant_type: { const: 'client_credentials' },
      scope: { type: 'string', description: 'Space-separated query names (and whoami), to down-scope the token (optional).' },
      client_id: { type: 'string', description: 'Only without HTTP Basic.' },
      client_secret: { type: 'string', description: 'Only without HTTP Basic.' },
    },
  },
  TokenResponse: {
    type: 'object',
    description: 'RFC 6749 §5.1.',
    required: ['access_token', 'token_type', 'expires_in'],
    properties: {
      access_token: { type: 'string', description: 'A JWT to send as `Authorization: Bearer …`.' },
      token_type: { const: 'Bearer' },
      expires_in: { type: 'integer', minimum: 1 },
      scope: { type: 'string' },
    },
  },
  OAuthError: {
    type: 'object',
    description: 'RFC 6749 §5.2.',
    required: ['error'],
    properties: {
      error: { enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'temporarily_unavailable'] },
      error_description: { type: 'string' },
    },
  },
  AuthorizationServerMetadata: {
    type: 'object',
    description: 'RFC 8414 authorization server metadata.',
    required: ['issuer', 'token_endpoint', 'jwks_uri', 'grant_types_supported', 'token_endpoint_auth_methods_supported', 'response_types_supported', 'scopes_supported'],
    properties: {
      issuer: { type: 'string', format: 'uri' },
      token_endpoint: { type: 'string', format: 'uri' },
      jwks_uri: { type: 'string', format: 'uri' },
      grant_types_supported: { type: 'array', items: { const: 'client_credentials' } },
      token_endpoint_auth_methods_supported: { type: 'array', items: { enum: ['client_secret_basic', 'client_secret_post'] } },
      response_types_supported: { type: 'array', maxItems: 0 },
      scopes_supported: { type: 'array', items: { type: 'string' } },
      service_documentation: { type: 'string', format: 'uri' },
    },
  },
  JsonWebKeySet: {
    type: 'object',
    description: 'RFC 7517: every public key the authorizer accepts; `kid` is the RFC 7638 thumbprint.',
    required: ['keys'],
    properties: {
      keys: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kty', 'kid'],
          properties: {
            kty: { type: 'string', examples: ['EC'] },
            crv: { type: 'string', examples: ['P-256'] },
            x: { type: 'string' },
            y: { type: 'string' },
            n: { type: 'string' },
            e: { type: 'string' },
            kid: { type: 'string' },
            alg: { type: 'string', examples: ['ES256'] },
            use: { const: 'sig' },
          },
        },
      },
    },
  },
};
