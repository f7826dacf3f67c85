/**
 * The CORS policy through the local gateway (issue 10): serverless-offline's default (any Origin
 * reflected, with credentials) is replaced by the API's allow-list; preflights are answered;
 * the gateway's own errors (authorizer 401/403, unknown paths) carry the policy's headers in
 * the API's error format. The same policy in the packaged template: test/package.test.ts.
 * The gateway is shared with the browser tests (test/helpers/pages-gateway.ts).
 */
import { expect } from 'chai';
import type { Gateway } from '../scripts/gateway.ts';
import { conforms } from './helpers/openapi.ts';
import { ALLOWED_ORIGINS, pagesGateway } from './helpers/pages-gateway.ts';

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

  const FIXED = { 'access-control-allow-origin': APP, 'access-control-expose-headers': EXPOSED, vary: 'origin' };
  type Case = [label: string, path: string, init: RequestInit, status: number, headers: Record<string, string>];
  const cases: () => Case[] = () => [
    // Handlers' answers are built without the request's Origin (src/http/response.ts): they name the first allowed origin.
    ['a query answer, read by the allowed origin (no credentials)', QUERY, { headers: { Origin: APP, Authorization: `Bearer ${token(4)}` } }, 200, FIXED],
    ['a query answer to another origin names only the allowed one', QUERY, { headers: { Origin: EVIL, Authorization: `Bearer ${token(4)}` } }, 200, FIXED],
    ["a 400 from the handler", `${QUERY}&x=1`, { headers: { Origin: APP, Authorization: `Bearer ${token(4)}` } }, 400, FIXED],
    // A handler wrapped in withCors (the public function) answers each allowed origin exactly.
    ['a public route, from the second allowed origin', '/openapi.json', { headers: { Origin: DEV } }, 200,
      { 'access-control-allow-origin': DEV, 'access-control-expose-headers': EXPOSED, vary: 'origin' }],
    ['a public route, from another origin: no CORS header', '/openapi.json', { headers: { Origin: EVIL } }, 200, { vary: 'origin' }],
    // The gateway's own answers (serverless/gateway-responses.cjs), same as API Gateway's.
    ["the authorizer's 401", QUERY, { headers: { Origin: APP } }, 401, FIXED],
    ["the authorizer's 403", QUERY, { headers: { Origin: APP, Authorization: `Bearer ${token(13)}` } }, 403, FIXED],
    ['an unknown path: the gateway 404', '/drop_table', { headers: { Origin: APP } }, 404, FIXED],
    // Preflights.
    ['a preflight of an allowed origin', QUERY, { method: 'OPTIONS', headers: { Origin: DEV, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } }, 200,
      { 'access-control-allow-origin': DEV, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'Authorization,Accept', 'access-control-max-age': '600', vary: 'origin' }],
    ['a preflight of another origin', QUERY, { method: 'OPTIONS', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'GET' } }, 200, { vary: 'origin' }],
  ];

  it('answers each case with exactly the policy\'s headers, never Access-Control-Allow-Credentials', async () => {
    for (const [label, path, init, status, headers] of cases()) {
      const r = await fetch(`${gateway.url}${path}`, init);
      expect(r.status, label).to.equal(status);
      expect(cors(r), label).to.deep.equal(headers);
      expect(r.headers.get('access-control-allow-origin'), label).to.not.equal(EVIL);
      if (init.method !== 'OPTIONS' && path !== '/openapi.json') await conforms(r);
    }
  });
});
