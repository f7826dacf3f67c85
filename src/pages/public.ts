/**
 * The public routes (DESIGN §10), served without the authorizer by one small function:
 * GET /openapi.json, /docs, /docs/{asset}, /playground, /playground/{asset}. Routing is by
 * API Gateway's resource path and a fixed table of assets, so no request text reaches the
 * file system. Pages carry a strict Content-Security-Policy.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { catalog } from '../catalog.ts';
import { randomUUID } from 'node:crypto';
import { NotFound } from '../errors.ts';
import { COMMON_HEADERS, errorResponse } from '../http/response.ts';
import { LOCAL_SERVER, openApiDocument, type Server } from '../openapi/document.ts';
import { ASSETS, CONTENT_SECURITY_POLICY, PAGES, assetText, type Asset } from './assets.ts';
import { headerValue } from '../http/headers.ts';

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

const notFound = (event: APIGatewayProxyEvent): APIGatewayProxyResult =>
  errorResponse(new NotFound('no such page'), event.requestContext?.requestId ?? randomUUID());

export async function publicRoutes(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const resource = event.resource ?? '';
  switch (resource) {
    case '/openapi.json':
      return ok('application/json; charset=utf-8', JSON.stringify(openApiDocument(catalog().values(), serversFor(event))), {
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
      return notFound(event);
  }
}
