/**
 * The API's one CORS policy, the same locally and on AWS: origins on an allow-list from
 * configuration (LAKEGATE_CORS_ORIGINS, default none) may send GET with an Authorization header
 * and read the answer; nothing is ever allowed with credentials (cookies, HTTP auth): the API
 * authenticates with a bearer token the page holds. Any other origin gets no CORS header at all.
 *
 * Applied to the Lambdas' answers (src/lambda/api/response.ts, and withCors where a handler is wrapped), to
 * API Gateway's own answers and preflights (serverless/gateway-responses.cjs, serverless/functions.cjs),
 * and locally by serverless/offline-gateway.cjs in place of serverless-offline's own CORS.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { corsConfig } from '../config.ts';
import { headerValue } from './headers.ts';
import { forMethod } from './response.ts';

export const CORS_ALLOWED_METHODS = ['GET'] as const;
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Accept'] as const;
/** Headers a page needs to read: paging, retry hints, the request id of an error. */
export const CORS_EXPOSED_HEADERS = ['Retry-After', 'X-Next-Token', 'X-Request-Id', 'Content-Disposition'] as const;
export const CORS_MAX_AGE_SECONDS = 600;

export type HeaderMap = Record<string, string>;

/**
 * The CORS headers of an answer to `origin` (the request's Origin header). `Vary: Origin` as
 * soon as any origin is allowed, so a cache never hands one origin's headers to another.
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[], preflight = false): HeaderMap {
  if (allowed.length === 0) return {};
  if (origin === undefined || !allowed.includes(origin)) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    ...(preflight
      ? {
          'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS.join(','),
          'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(','),
          'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
        }
      : { 'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(',') }),
  };
}

/**
 * The headers of answers that cannot look at the request's Origin: API Gateway's own answers on
 * AWS (authorizer 401/403, 404, 429, 5xx). They name the first allowed origin, or none; handlers
 * and the local gateway answer each allowed origin exactly. With one allowed origin (the usual
 * case) the two agree; with several, pages on the others cannot read API Gateway's own answers
 * (they still see that the call failed).
 */
export function fixedCorsHeaders(allowed: readonly string[]): HeaderMap {
  if (allowed.length === 0) return {};
  return { 'Access-Control-Allow-Origin': allowed[0]!, 'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(','), Vary: 'Origin' };
}

/** The answer with exactly the policy's CORS headers for this request (any others removed). */
export function applyCors(result: APIGatewayProxyResult, origin: string | undefined, allowed = corsConfig().origins): APIGatewayProxyResult {
  const headers: Record<string, string | number | boolean> = {};
  const vary: string[] = [];
  for (const [k, v] of Object.entries(result.headers ?? {})) {
    if (k.toLowerCase() === 'vary') vary.push(String(v));
    else if (!k.toLowerCase().startsWith('access-control-')) headers[k] = v;
  }
  const cors = corsHeaders(origin, allowed);
  if (cors.Vary) vary.push(cors.Vary);
  return { ...result, headers: { ...headers, ...cors, ...(vary.length ? { Vary: vary.join(', ') } : {}) } };
}

export function requestOrigin(event: Pick<APIGatewayProxyEvent, 'headers'>): string | undefined {
  return headerValue(event.headers, 'origin');
}

/** Wrap a proxy handler so its every answer carries the policy's CORS headers (and a HEAD none of its body). */
export function withCors<C>(handler: (event: APIGatewayProxyEvent, context?: C) => Promise<APIGatewayProxyResult>) {
  return async (event: APIGatewayProxyEvent, context?: C): Promise<APIGatewayProxyResult> =>
    applyCors(forMethod(event.httpMethod, await handler(event, context)), requestOrigin(event));
}
