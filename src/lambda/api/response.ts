/**
 * Responses: the one place that turns results into JSON or CSV and errors into statuses.
 * 4xx messages are ours and safe to show; every 5xx body is generic and the reason is logged,
 * so SQL, paths, bucket names and stack traces never reach a client.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { NamedQuery } from '../catalog.ts';
import type { Cell, QueryResult } from '../engine/types.ts';
import { ApiError, NotAcceptable } from '../errors.ts';
import { errorFields, log } from '../log.ts';

export type Format = 'json' | 'csv';

/** Every answer's headers. CORS headers are added for the request's Origin (src/lambda/api/cors.ts `withCors`, src/lambda/api/access-record.ts). */
export const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function respond(status: number, contentType: string, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': contentType, ...COMMON_HEADERS, ...headers }, body };
}

/**
 * Pick JSON or CSV from an Accept header: the highest q wins; on equal q a named type beats a
 * wildcard, and JSON (the API's default) beats CSV. 406 when neither is acceptable.
 */
export function negotiate(accept: string | undefined): Format {
  if (!accept || accept.trim() === '') return 'json';
  const rank = (format: Format, q: number, specific: boolean) => q * 4 + (specific ? 2 : 0) + (format === 'json' ? 1 : 0);
  let best: { format: Format; score: number } | undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0 && q <= 1)) continue;
    const format: Format | undefined =
      type === 'text/csv' ? 'csv' : type === 'application/json' || type === 'application/*' || type === '*/*' ? 'json' : undefined;
    if (!format) continue;
    const score = rank(format, q, type === 'text/csv' || type === 'application/json');
    if (!best || score > best.score) best = { format, score };
  }
  if (!best) throw new NotAcceptable('this API answers application/json or text/csv');
  return best.format;
}

export interface Answer {
  readonly query: NamedQuery;
  readonly params: Readonly<Record<string, string | number>>;
  readonly result: QueryResult;
  readonly nextToken: string | null;
}

/** docs/design.md §4's body; the same rows give the same bytes on every engine, up to `stats`. */
export function answerBody(a: Answer): string {
  return JSON.stringify({
    query: a.query.name,
    params: a.params,
    columns: a.result.columns,
    rows: a.result.rows,
    nextToken: a.nextToken,
    stats: a.result.stats,
  });
}

export function answerResponse(a: Answer, format: Format): APIGatewayProxyResult {
  if (format === 'json') return respond(200, 'application/json; charset=utf-8', answerBody(a));
  const names = a.result.columns.map((c) => c.name);
  const lines = [names.map(csvField).join(','), ...a.result.rows.map((r) => names.map((n) => csvField(r[n] ?? null)).join(','))];
  return respond(200, 'text/csv; charset=utf-8', `${lines.join('\r\n')}\r\n`, {
    'Content-Disposition': `attachment; filename="${a.query.name}.csv"`,
    ...(a.nextToken ? { 'X-Next-Token': a.nextToken } : {}),
  });
}

/** The answer to the request's method: a HEAD gets the GET answer's status and headers, without its body. */
export function forMethod(method: string | undefined, result: APIGatewayProxyResult): APIGatewayProxyResult {
  return method?.toUpperCase() === 'HEAD' ? { ...result, body: '' } : result;
}

/** Seconds a client should wait before repeating a request answered 202. */
export const STILL_RUNNING_RETRY_AFTER_SECONDS = 2;

/**
 * 202: the query is still running. The client repeats the same request with `nextToken` (in
 * the body and the `X-Next-Token` header) after `Retry-After` seconds to get the result.
 */
export function stillRunningResponse(a: { query: NamedQuery; params: Answer['params']; nextToken: string }): APIGatewayProxyResult {
  const body = JSON.stringify({ query: a.query.name, params: a.params, status: 'running', nextToken: a.nextToken });
  return respond(202, 'application/json; charset=utf-8', body, {
    'Retry-After': String(STILL_RUNNING_RETRY_AFTER_SECONDS),
    'X-Next-Token': a.nextToken,
  });
}

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break (quotes doubled); NULL is
 * empty. Text starting with = + - @ or a tab/CR is prefixed with ' so a spreadsheet opening
 * the file never evaluates it as a formula (OWASP CSV injection); numbers are left as they are.
 */
export function csvField(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function errorResponse(e: unknown, requestId: string): APIGatewayProxyResult {
  if (e instanceof ApiError) {
    if (e.status >= 500) log.error('request failed', { requestId, status: e.status, ...errorFields(e) });
    else log.info('request refused', { requestId, status: e.status, message: e.message });
    // Every ApiError message is our own text (5xx ones generic), never an engine's or the SDK's.
    return respond(e.status, 'application/json; charset=utf-8', JSON.stringify({ error: { code: e.code, message: e.message } }), {
      ...e.headers,
      'X-Request-Id': requestId,
    });
  }
  log.error('unexpected error', { requestId, ...errorFields(e) });
  return respond(500, 'application/json; charset=utf-8', JSON.stringify({ error: { code: 'internal_error', message: 'internal error' } }), {
    'X-Request-Id': requestId,
  });
}

/**
 * RFC 6749 §5.1 / §5.2 answers of the token endpoint: JSON, never cached (`no-store`, and
 * `Pragma: no-cache` for HTTP/1.0 caches, as §5.1 asks). Its errors have their own body shape,
 * `{error, error_description}`, and a 5xx never says why.
 */
export function oauthResponse(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(body), { Pragma: 'no-cache', ...headers });
}

/** A public document (the JWK Set): cacheable by anyone for `maxAgeSeconds`. */
export function publicJsonResponse(body: unknown, maxAgeSeconds: number, contentType = 'application/json; charset=utf-8'): APIGatewayProxyResult {
  return respond(200, contentType, JSON.stringify(body), { 'Cache-Control': `public, max-age=${maxAgeSeconds}` });
}
