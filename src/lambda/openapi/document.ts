/**
 * The API's OpenAPI 3.1 document, generated from the catalog: one path per named query (its
 * description from the SQL header, its exact columns, `limit`/`nextToken` where it takes them),
 * plus whoami and the credential routes of docs/design.md §9. Nothing is listed per query by hand, so a
 * ninth query (its SQL file and its one-line function) appears here by itself.
 *
 * Pure: the catalog and the servers in, a JSON-ready object out (the public function serves it;
 * the tests validate it and validate every answer against it).
 */
import type { NamedQuery, PersonalColumn } from '../catalog.ts';
import { COMMON_SCHEMAS, cellSchema, schemaRef, type Schema } from './schemas.ts';

export interface Server {
  readonly url: string;
  readonly description: string;
}

/** Where the local gateway listens (`npm start`, docs/design.md §4: no stage prefix). */
export const LOCAL_SERVER: Server = { url: 'http://localhost:3000', description: 'local gateway (npm start)' };

/**
 * The days the lake holds data for, `[from, to)` as `YYYY-MM-DD`, when the server knows them
 * (locally, from the lake's manifest). Published as `info['x-lakegate-data-window']`, so a
 * client (the playground's quick picks) can ask for days that have data.
 */
export interface DataWindow {
  readonly from: string;
  readonly to: string;
}

/** The `info` extension that carries the data window. */
export const DATA_WINDOW_EXTENSION = 'x-lakegate-data-window';

export interface DocumentOptions {
  /** Omitted when unknown (on AWS the data is in S3 and no manifest is read). */
  readonly dataWindow?: DataWindow;
}

export const API_TITLE = 'lakegate';
export const API_VERSION = '1.0.0';

/** `count_orders_by_range` → `CountOrdersByRange` (component names). */
const pascal = (name: string) => name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

/** The query file's leading comment lines, without the `@` tags: its description for readers. */
export function headerDescription(query: NamedQuery): string {
  const lines: string[] = [];
  for (const line of query.source.split('\n')) {
    if (!line.startsWith('--')) break;
    const text = line.slice(2).trim();
    if (!text.startsWith('@')) lines.push(text);
  }
  return lines.join('\n');
}

const INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2}))?$';

function rangeParameter(name: 'from' | 'to'): Schema {
  const role = name === 'from' ? 'Start of the range, included' : 'End of the range, excluded';
  return {
    name,
    in: 'query',
    required: true,
    description:
      `${role}: the range is [from, to), from < to, at most the client's maxRangeDays long. ` +
      '`YYYY-MM-DD` (00:00 UTC) or an ISO-8601 date-time with `Z` or an offset, up to milliseconds, years 1970–2099.',
    schema: { type: 'string', pattern: INSTANT_PATTERN, maxLength: 64 },
    examples: {
      date: { value: name === 'from' ? '2024-03-01' : '2024-04-01' },
      dateTime: { value: name === 'from' ? '2024-03-01T00:00:00Z' : '2024-03-08T12:00:00+02:00' },
    },
  };
}

function queryParameters(q: NamedQuery): Schema[] {
  const params = [rangeParameter('from'), rangeParameter('to')];
  const bounds = q.limit ?? q.page;
  if (bounds) {
    params.push({
      name: 'limit',
      in: 'query',
      required: false,
      description: q.page ? 'Rows per page.' : 'How many rows of the top list.',
      schema: { type: 'integer', minimum: 1, maximum: bounds.max, default: bounds.default },
    });
  }
  params.push({
    name: 'nextToken',
    in: 'query',
    required: false,
    description: q.page
      ? "The previous page's `nextToken`, to get the next page (same range and limit). Also collects the result of an earlier 202."
      : 'The `nextToken` of an earlier 202 answer, to collect the result of a query that was still running.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', maxLength: 2048 },
  });
  return params;
}

/** The 200 body of one query: its exact columns, its row shape, its paging. */
function answerSchema(q: NamedQuery): Schema {
  const bounds = q.limit ?? q.page;
  return {
    type: 'object',
    required: ['query', 'params', 'columns', 'rows', 'nextToken', 'stats'],
    additionalProperties: false,
    properties: {
      query: { const: q.name },
      params: {
        type: 'object',
        required: ['from', 'to', ...(bounds ? ['limit'] : [])],
        additionalProperties: false,
        properties: {
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          ...(bounds ? { limit: { type: 'integer', minimum: 1, maximum: bounds.max } } : {}),
        },
      },
      columns: { const: q.columns.map((c) => ({ name: c.name, type: c.type })) },
      rows: { type: 'array', items: schemaRef(`${pascal(q.name)}Row`), ...(bounds ? { maxItems: bounds.max } : {}) },
      nextToken: q.page
        ? { type: ['string', 'null'], description: 'The next page, or null on the last page.' }
        : { type: 'null' },
      stats: schemaRef('Stats'),
    },
  };
}

/** The OpenAPI extension that marks a personal column, with its kind (docs/privacy.md). */
export const PII_EXTENSION = 'x-pii';

/** What each privacy mode returns for a kind of personal column (the column's description). */
const MODE_FORMS: Record<PersonalColumn['kind'], string> = {
  name: 'masked: initials (`M. Q.`); pseudonymized: `lgp_` + 16 hex digits; clear: the stored name',
  email: 'masked: `XXXXX@` + the domain (a malformed address: its pseudonym); pseudonymized: `lgp_` + 16 hex digits; clear: the stored e-mail',
  phone: 'masked: `XXXXX` + the last four digits (`XXXXX` alone with four digits or fewer); pseudonymized: `lgp_` + 16 hex digits; clear: the stored phone',
  address: 'masked: the street without its house number; pseudonymized: `lgp_` + 16 hex digits; clear: the stored address',
  coordinate: 'masked and pseudonymized: rounded to 2 decimals (about 1 km); clear: the stored value',
};

function rowSchema(q: NamedQuery): Schema {
  const personal = new Map(q.personal.map((p) => [p.column, p.kind]));
  const column = (c: NamedQuery['columns'][number]): Schema => {
    const kind = personal.get(c.name);
    if (kind === undefined) return cellSchema(c.type);
    return { ...cellSchema(c.type), [PII_EXTENSION]: kind, description: `Personal data (${kind}), in the caller's privacy mode (GET /whoami: pii) — ${MODE_FORMS[kind]}.` };
  };
  return {
    type: 'object',
    required: q.columns.map((c) => c.name),
    additionalProperties: false,
    properties: Object.fromEntries(q.columns.map((c) => [c.name, column(c)])),
  };
}

const json = (schema: Schema) => ({ 'application/json': { schema } });
const errorResponse = (description: string, headers?: Schema) => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(schemaRef('Error')),
});
const RETRY_AFTER = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

/** Every status the handler and the gateway can answer for a query (docs/design.md §4; serverless/api.yml). */
const ERROR_RESPONSES = {
  BadRequest: errorResponse('Bad parameters: missing, malformed, unknown, repeated, a range over the maximum, a foreign nextToken.'),
  Unauthorized: errorResponse('No bearer token, or an invalid or expired one (from the authorizer).'),
  Forbidden: errorResponse('The token is valid but this client may not call this query, or is disabled.'),
  NotFound: errorResponse('No such query.'),
  NotAcceptable: errorResponse('The Accept header allows neither application/json nor text/csv.'),
  RangeTooExpensive: errorResponse('The range would scan more data than the cost guard allows: ask for a shorter range.'),
  TooManyRequests: errorResponse('Throttled (the gateway, or the engine): retry after Retry-After seconds.', RETRY_AFTER),
  InternalError: errorResponse('Unexpected failure; the body is generic and the reason is logged.'),
  Unavailable: errorResponse('The engine is busy or the data temporarily unreadable: retry after Retry-After seconds.', RETRY_AFTER),
  Timeout: errorResponse('The query did not finish in time.'),
};
const errorRef = (name: keyof typeof ERROR_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

function queryOperation(q: NamedQuery): Schema {
  const answer = schemaRef(`${pascal(q.name)}Answer`);
  return {
    operationId: q.name,
    tags: ['queries'],
    summary: q.description,
    description: headerDescription(q),
    parameters: queryParameters(q),
    responses: {
      '200': {
        description: `The rows of ${q.name}. With \`Accept: text/csv\`: RFC 4180 CSV with a header row (the next page's token in X-Next-Token).`,
        headers: q.page ? { 'X-Next-Token': { $ref: '#/components/headers/NextToken' } } : {},
        content: {
          ...json(answer),
          'text/csv': { schema: { type: 'string' } },
        },
      },
      '202': {
        description: 'Still running (Athena): repeat the request with nextToken after Retry-After seconds.',
        headers: { ...RETRY_AFTER, 'X-Next-Token': { $ref: '#/components/headers/NextToken' } },
        content: json(schemaRef('StillRunning')),
      },
      '400': errorRef('BadRequest'),
      '401': errorRef('Unauthorized'),
      '403': errorRef('Forbidden'),
      '404': errorRef('NotFound'),
      '406': errorRef('NotAcceptable'),
      '422': errorRef('RangeTooExpensive'),
      '429': errorRef('TooManyRequests'),
      '500': errorRef('InternalError'),
      '503': errorRef('Unavailable'),
      '504': errorRef('Timeout'),
    },
  };
}

const PUBLIC = { security: [] };

const oauthError = (description: string, headers?: Schema) => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(schemaRef('OAuthError')),
});

function credentialPaths(): Record<string, Schema> {
  return {
    '/oauth/token': {
      post: {
        operationId: 'oauthToken',
        tags: ['credentials'],
        summary: 'Get an access token with client credentials (OAuth 2.0, RFC 6749 §4.4)',
        description: 'Authenticate with HTTP Basic (`client_id:client_secret`). The token is a JWT of at most one hour.',
        security: [{ clientCredentials: [] }],
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: schemaRef('TokenRequest') } },
        },
        responses: {
          '200': {
            description: 'The token (RFC 6749 §5.1).',
            headers: { 'Cache-Control': { schema: { const: 'no-store' } } },
            content: json(schemaRef('TokenResponse')),
          },
          '400': oauthError('invalid_request, unauthorized_client, unsupported_grant_type or invalid_scope (RFC 6749 §5.2).'),
          '401': oauthError('invalid_client: unknown client or wrong secret.', {
            'WWW-Authenticate': { schema: { type: 'string' }, description: 'Basic realm="lakegate"' },
          }),
          '429': oauthError('temporarily_unavailable: too many failed attempts for this client id; retry after Retry-After seconds.', RETRY_AFTER),
          '500': errorRef('InternalError'),
          '503': oauthError('temporarily_unavailable: the token service cannot work now; retry after Retry-After seconds.', RETRY_AFTER),
        },
      },
    },
    '/.well-known/jwks.json': {
      get: {
        operationId: 'jwks',
        tags: ['credentials'],
        summary: 'The public keys that verify access tokens (RFC 7517)',
        ...PUBLIC,
        responses: {
          '200': { description: 'Every key the authorizer accepts.', content: { 'application/jwk-set+json': { schema: schemaRef('JsonWebKeySet') } } },
          '500': errorRef('InternalError'),
          '503': oauthError('temporarily_unavailable: the key set cannot be read now; retry after Retry-After seconds.', RETRY_AFTER),
        },
      },
    },
    '/.well-known/oauth-authorization-server': {
      get: {
        operationId: 'oauthAuthorizationServerMetadata',
        tags: ['credentials'],
        summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
        description: 'Where to get a token (client credentials; the secret by HTTP Basic or in the form body), where the keys are, and the scopes a token may be narrowed to. `issuer` is this API\'s URL.',
        ...PUBLIC,
        responses: {
          '200': { description: 'The metadata.', content: { 'application/json': { schema: schemaRef('AuthorizationServerMetadata') } } },
          '500': errorRef('InternalError'),
        },
      },
    },
  };
}

/** The whole document for these queries, served at these URLs (the first one is the default). */
export function openApiDocument(queries: Iterable<NamedQuery>, servers: readonly Server[], options: DocumentOptions = {}): Schema {
  const list = [...queries].sort((a, b) => a.name.localeCompare(b.name));
  const base = servers[0]?.url ?? LOCAL_SERVER.url;
  const paths: Record<string, Schema> = {};
  const schemas: Record<string, Schema> = { ...COMMON_SCHEMAS };
  for (const q of list) {
    paths[`/${q.name}`] = { get: queryOperation(q) };
    schemas[`${pascal(q.name)}Answer`] = answerSchema(q);
    schemas[`${pascal(q.name)}Row`] = rowSchema(q);
  }
  paths['/whoami'] = {
    get: {
      operationId: 'whoami',
      tags: ['identity'],
      summary: 'Who the bearer token is for: client, row scope, maximum range, privacy mode',
      responses: {
        '200': { description: 'The caller as the authorizer established it.', content: json(schemaRef('WhoAmI')) },
        '401': errorRef('Unauthorized'),
        '403': errorRef('Forbidden'),
        '429': errorRef('TooManyRequests'),
        '500': errorRef('InternalError'),
      },
    },
  };
  Object.assign(paths, credentialPaths());

  return {
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      summary: 'Named queries over a logistics data lake',
      description:
        'Each query answers for the caller\'s client (the token decides the row scope) over the half-open range [from, to). ' +
        'Send `Authorization: Bearer <JWT>`; JSON by default, CSV with `Accept: text/csv`.\n\n' +
        'Personal data (the columns marked `x-pii`, with their kind) comes out in the caller\'s privacy mode, applied inside the query engine: ' +
        '`masked` (the default: initials, an e-mail\'s domain, a phone\'s last four digits, a street without its number, coordinates to 2 decimals), ' +
        '`pseudonymized` (a keyed pseudonym `lgp_` + 16 hex digits per value: equal values give equal pseudonyms; coordinates as masked) or `clear` (the stored values). ' +
        '`GET /whoami` says which mode a token gets.',
      ...(options.dataWindow ? { [DATA_WINDOW_EXTENSION]: { from: options.dataWindow.from, to: options.dataWindow.to } } : {}),
    },
    servers: servers.map((s) => ({ url: s.url, description: s.description })),
    tags: [
      { name: 'queries', description: 'The named queries' },
      { name: 'identity', description: 'Checking a token' },
      { name: 'credentials', description: 'Getting a token, and the keys that verify it (public)' },
    ],
    security: [{ bearerAuth: [] }, { oauth2: [] }],
    paths,
    components: {
      schemas,
      responses: ERROR_RESPONSES,
      headers: {
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^\\d+$' } },
        NextToken: { description: 'The token of the next page (CSV answers) or of a query still running (202).', schema: { type: 'string' } },
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An ES256 JWT (`npm run token` locally, or POST /oauth/token).' },
        oauth2: {
          type: 'oauth2',
          description: 'OAuth 2.0 client credentials; scopes down-scope a token to some queries.',
          flows: {
            clientCredentials: {
              tokenUrl: `${base}/oauth/token`,
              scopes: Object.fromEntries([...list.map((q) => [q.name, `call ${q.name}`]), ['whoami', 'call whoami']]),
            },
          },
        },
        clientCredentials: { type: 'http', scheme: 'basic', description: 'client_id:client_secret, for POST /oauth/token only.' },
      },
    },
  };
}
