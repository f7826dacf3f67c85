/**
 * The public routes (docs/design.md §10), served without the authorizer by one small function:
 * GET /openapi.json, /docs, /docs/{asset}, /playground, /playground/{asset}. Routing is by
 * API Gateway's resource path and a fixed table of assets, so no request text reaches the
 * file system. Pages carry a strict Content-Security-Policy.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { catalog } from '../catalog.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { engineConfig, lakeDir } from '../config.ts';
import { MethodNotAllowed, NotFound } from '../errors.ts';
import { unroutedAnswer } from '../api/routes.ts';
import { authorizationServerMetadata } from '../identity/oauth/metadata.ts';
import { COMMON_HEADERS, errorResponse } from '../api/response.ts';
import { LOCAL_SERVER, openApiDocument, type DataWindow, type Server } from '../openapi/document.ts';
import { ASSETS, CONTENT_SECURITY_POLICY, PAGES, assetText, type Asset } from './assets.ts';
import { headerValue } from '../api/headers.ts';
import { DAY_TEXT } from '../../shared/time.ts';

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;
const STAGE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The servers the document names. On AWS: this deployment's stage URL first (what the docs'
 * "Try it out" and the OAuth token URL use), then the local gateway. Locally: the address this
 * request came in on (so a gateway on another port describes itself), else localhost:3000.
 */
export function serversFor(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): Server[] {
  const { domainName, stage } = event.requestContext ?? {};
  // serverless-offline names the domain "offlineContext_domainName": not a DNS name.
  if (domainName && HOST.test(domainName) && domainName.includes('.') && stage && STAGE.test(stage)) {
    return [{ url: `https://${domainName}/${stage}`, description: `this deployment (stage ${stage})` }, LOCAL_SERVER];
  }
  const host = headerValue(event.headers, 'host');
  return host && HOST.test(host) ? [{ url: `http://${host}`, description: 'this local gateway' }] : [LOCAL_SERVER];
}

const isDay = (v: unknown): v is string => typeof v === 'string' && DAY_TEXT.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
const windows = new Map<string, DataWindow>();

/**
 * The days a local lake holds, from its manifest (`<dir>/lake.json`, written by fake-data:
 * `window: { start, end }`, end excluded). Read once per folder; a missing or malformed
 * manifest gives undefined (and is tried again next time, so a lake generated after the gateway
 * started is found).
 */
export function dataWindowIn(dir: string): DataWindow | undefined {
  const known = windows.get(dir);
  if (known) return known;
  let window: unknown;
  try {
    window = (JSON.parse(readFileSync(path.join(dir, 'lake.json'), 'utf8')) as { window?: unknown } | null)?.window;
  } catch {
    return undefined;
  }
  const { start, end } = (window ?? {}) as { start?: unknown; end?: unknown };
  if (!isDay(start) || !isDay(end) || start >= end) return undefined;
  const found = { from: start, to: end };
  windows.set(dir, found);
  return found;
}

/** The data window this gateway can vouch for: the local lake's; none with Athena (the data is in S3). */
function servedDataWindow(): DataWindow | undefined {
  try {
    return engineConfig().engine === 'duckdb' ? dataWindowIn(lakeDir()) : undefined;
  } catch {
    return undefined; // a configuration error belongs to the query routes, not to the document
  }
}

function ok(contentType: string, body: string, headers: Record<string, string>): APIGatewayProxyResult {
  return { statusCode: 200, headers: { ...COMMON_HEADERS, 'Content-Type': contentType, ...headers }, body };
}

const PAGE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Pages revalidate on every visit; assets of the installed packages may be cached an hour. */
const page = (asset: Asset) => ok(asset.contentType, assetText(asset), { ...PAGE_HEADERS, 'Cache-Control': 'no-cache' });
const asset = (a: Asset) => ok(a.contentType, assetText(a), { 'Cache-Control': 'public, max-age=3600' });

const requestIdOf = (event: APIGatewayProxyEvent) => event.requestContext?.requestId ?? randomUUID();
const notFound = (event: APIGatewayProxyEvent): APIGatewayProxyResult => errorResponse(new NotFound('no such page'), requestIdOf(event));

/**
 * A path no route takes (`ANY /{proxy+}`): 405 with Allow on a known path asked with another
 * method, else 404 naming the path probably meant (a query's name in other case, or mistyped).
 */
function unrouted(event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const path = event.pathParameters?.proxy !== undefined ? `/${event.pathParameters.proxy}` : (event.path ?? event.resource ?? '/');
  const answer = unroutedAnswer(path, event.httpMethod ?? 'GET', [...catalog().keys()]);
  if (answer.status === 405) {
    return errorResponse(new MethodNotAllowed(`${path.slice(0, 100)} answers ${answer.allow} only`, answer.allow), requestIdOf(event));
  }
  const hint = answer.meant ? `; did you mean ${answer.meant}?` : '; the queries are listed at /openapi.json';
  return errorResponse(new NotFound(`no such query or page${hint}`), requestIdOf(event));
}

/** GET /: where to start. */
function index(event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const base = serversFor(event)[0]!.url;
  const body = { api: 'lakegate', openapi: `${base}/openapi.json`, docs: `${base}/docs`, playground: `${base}/playground`, oauthMetadata: `${base}/.well-known/oauth-authorization-server` };
  return ok('application/json; charset=utf-8', JSON.stringify(body), { 'Cache-Control': 'no-cache' });
}

export async function publicRoutes(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const resource = event.resource ?? '';
  const method = (event.httpMethod ?? 'GET').toUpperCase();
  // Every route here answers GET and HEAD; any other method reaches this function only to be refused.
  if (method !== 'GET' && method !== 'HEAD') return unrouted(event);
  switch (resource) {
    case '/':
      return index(event);
    case '/{proxy+}':
      return unrouted(event);
    case '/.well-known/oauth-authorization-server':
      return ok('application/json; charset=utf-8', JSON.stringify(authorizationServerMetadata(serversFor(event)[0]!.url, [...catalog().keys()])), {
        'Cache-Control': 'public, max-age=300',
      });
    case '/openapi.json':
      return ok('application/json; charset=utf-8', JSON.stringify(openApiDocument(catalog().values(), serversFor(event), { dataWindow: servedDataWindow() })), {
        'Cache-Control': 'no-cache',
      });
    case '/docs':
      return page(PAGES.docs);
    case '/playground':
      return page(PAGES.playground);
    case '/docs/{asset}':
    case '/playground/{asset}': {
      const group = ASSETS[resource === '/docs/{asset}' ? 'docs' : 'playground'];
      const name = event.pathParameters?.asset ?? '';
      return Object.hasOwn(group, name) ? asset(group[name]!) : notFound(event);
    }
    default:
      return unrouted(event);
  }
}
