/**
 * The CORS policy through the local gateway: serverless-offline's default (any Origin reflected,
 * with credentials) is replaced by the API's allow-list on every answer and every preflight,
 * its catch-all routes and hapi's own preflight handling included; a listed origin is named
 * exactly, any other gets no Access-Control-* header at all. The gateway's own errors keep the
 * API's error format. The same policy in the packaged template: test/template/public-template.test.ts.
 * The gateway is shared with the browser tests (test/helpers/pages-gateway.ts).
 */
import { expect } from 'chai';
import type { Gateway } from '../../harness/gateway.ts';
import { conforms } from '../helpers/openapi.ts';
import { ALLOWED_ORIGINS, pagesGateway } from '../helpers/pages-gateway.ts';

const [APP, DEV] = ALLOWED_ORIGINS;
const EVIL = 'https://evil.example';
const QUERY = '/count_orders_by_range?from=2024-03-01&to=2024-04-01';
const EXPOSED = 'Retry-After,X-Next-Token,X-Request-Id,Content-Disposition';

describe('CORS through the gateway (LAKEGATE_CORS_ORIGINS set; serverless-offline would reflect any origin)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let token: (client: number) => string;
  before(async () => ({ gateway, token } = await pagesGateway()));

  /** The CORS headers of an answer; of Vary, whether it names Origin (field names are case-insensitive). */
  const cors = (r: Response) =>
    Object.fromEntries(
      [...r.headers]
        .filter(([k]) => k.startsWith('access-control-') || k === 'vary')
        .map(([k, v]) => [k, k === 'vary' ? (v.split(/\s*,\s*/).some((f) => f.toLowerCase() === 'origin') ? 'origin' : '') : v]),
    );

  /** What a listed origin reads on an answer. */
  const readBy = (origin: string) => ({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED, vary: 'origin' });
  /** What any other origin gets: no CORS header, only Vary (so a cache keeps origins apart). */
  const NONE = { vary: 'origin' };
  const preflight = (origin: string, extra: Record<string, string> = {}): RequestInit => ({
    method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', ...extra },
  });
  const bearer = (client: number) => ({ Authorization: `Bearer ${token(client)}` });

  type Case = [label: string, path: string, init: () => RequestInit, status: number, headers: Record<string, string>];
  const cases: Case[] = [
    ['a query answer names the first allowed origin that asks', QUERY, () => ({ headers: { Origin: APP, ...bearer(4) } }), 200, readBy(APP)],
    ['a query answer names the second allowed origin that asks', QUERY, () => ({ headers: { Origin: DEV, ...bearer(4) } }), 200, readBy(DEV)],
    ['a query answer to another origin has no CORS header', QUERY, () => ({ headers: { Origin: EVIL, ...bearer(4) } }), 200, NONE],
    ["a handler's 400 names the allowed origin", `${QUERY}&x=1`, () => ({ headers: { Origin: DEV, ...bearer(4) } }), 400, readBy(DEV)],
    ['/whoami to another origin has no CORS header', '/whoami', () => ({ headers: { Origin: EVIL, ...bearer(4) } }), 200, NONE],
    ['a public route names the second allowed origin', '/openapi.json', () => ({ headers: { Origin: DEV } }), 200, readBy(DEV)],
    ['a public route to another origin has no CORS header', '/openapi.json', () => ({ headers: { Origin: EVIL } }), 200, NONE],
    ['the JWK Set to another origin has no CORS header', '/.well-known/jwks.json', () => ({ headers: { Origin: EVIL } }), 200, NONE],
    ["the authorizer's 401 names the allowed origin", QUERY, () => ({ headers: { Origin: DEV } }), 401, readBy(DEV)],
    ["the authorizer's 401 to another origin has no CORS header", QUERY, () => ({ headers: { Origin: EVIL } }), 401, NONE],
    ["the authorizer's 403 names the allowed origin", QUERY, () => ({ headers: { Origin: APP, ...bearer(13) } }), 403, readBy(APP)],
    ['an unknown path: the gateway 404 names the allowed origin', '/drop_table', () => ({ headers: { Origin: APP } }), 404, readBy(APP)],
    ['an unknown path to another origin has no CORS header', '/drop_table', () => ({ headers: { Origin: EVIL } }), 404, NONE],
    ['a preflight of an allowed origin is answered with the policy', QUERY, () => preflight(DEV, { 'Access-Control-Request-Headers': 'authorization' }), 200,
      { 'access-control-allow-origin': DEV, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'Authorization,Accept', 'access-control-max-age': '600', vary: 'origin' }],
    ['a preflight of another origin gets no CORS header', QUERY, () => preflight(EVIL), 200, NONE],
    ['a preflight of an unknown path from another origin gets the gateway 404, no CORS header', '/nope', () => preflight(EVIL, { 'Access-Control-Request-Headers': 'authorization' }), 404, NONE],
    ['a preflight of //whoami from another origin gets no CORS header', '//whoami', () => preflight(EVIL), 404, NONE],
    ['a preflight of /WHOAMI from another origin gets no CORS header', '/WHOAMI', () => preflight(EVIL), 404, NONE],
    ['an OPTIONS without a preflight header from another origin gets no CORS header', QUERY, () => ({ method: 'OPTIONS', headers: { Origin: EVIL } }), 200, NONE],
  ];

  for (const [label, path, init, status, headers] of cases) {
    it(`${label} (${status})`, async () => {
      const request = init();
      const r = await fetch(`${gateway.url}${path}`, request);
      expect(r.status).to.equal(status);
      expect(cors(r)).to.deep.equal(headers);
      expect(r.headers.get('access-control-allow-credentials')).to.equal(null);
      if (request.method !== 'OPTIONS' && path !== '/openapi.json' && !path.startsWith('/.well-known')) await conforms(r);
    });
  }
});
