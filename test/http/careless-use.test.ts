/**
 * Precise answers to careless use, through the real gateway: HEAD answers like GET without a
 * body; another method on a known path is 405 with Allow; a mistyped query is told which one was
 * meant; a disabled client is told its access is disabled (not that a query is not granted); a
 * routine 401 leaves no stack trace in the gateway's output; OAuth discovery (RFC 8414).
 * The route table's pure rules: test/unit/routes.test.ts.
 */
import { expect } from 'chai';
import type { Gateway } from '../../harness/gateway.ts';
import { pagesGateway } from '../helpers/pages-gateway.ts';

const WEEK = 'from=2024-03-01&to=2024-03-08';

describe('precise answers to careless use (through the gateway)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let token: (client: number) => string;
  before(async () => ({ gateway, token } = await pagesGateway()));
  const bearer = (client: number) => ({ Authorization: `Bearer ${token(client)}` });
  const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);

  it('HEAD on a query answers 200 like GET, with its headers and no body', async () => {
    const [head, get] = [await call(`/count_orders_by_range?${WEEK}`, { method: 'HEAD', headers: bearer(4) }), await call(`/count_orders_by_range?${WEEK}`, { headers: bearer(4) })];
    expect([head.status, get.status]).to.deep.equal([200, 200]);
    expect(head.headers.get('content-type')).to.equal(get.headers.get('content-type'));
    expect(await head.text()).to.equal('');
    expect((await get.json()).rows).to.have.length(1);
  });

  it('HEAD without a token answers 401 like GET', async () => {
    expect((await call(`/count_orders_by_range?${WEEK}`, { method: 'HEAD' })).status).to.equal(401);
  });

  for (const [method, path, allow] of [['POST', '/count_orders_by_range', 'GET, HEAD'], ['DELETE', '/whoami', 'GET, HEAD'], ['PUT', '/docs', 'GET, HEAD'], ['GET', '/oauth/token', 'POST']] as const) {
    it(`${method} ${path} answers 405 method_not_allowed with Allow: ${allow}`, async () => {
      const r = await call(path, { method, headers: bearer(4) });
      expect(r.status).to.equal(405);
      expect(r.headers.get('allow')).to.equal(allow);
      expect((await r.json()).error).to.include({ code: 'method_not_allowed' });
    });
  }

  for (const [typed, meant] of [['/Count_Orders_By_Range', '/count_orders_by_range'], ['/count_order_by_range', '/count_orders_by_range'], ['/whoamii', '/whoami']] as const) {
    it(`an unknown path ${typed} answers 404 saying ${meant} was probably meant`, async () => {
      const r = await call(`${typed}?${WEEK}`, { headers: bearer(4) });
      expect(r.status).to.equal(404);
      expect((await r.json()).error).to.deep.equal({ code: 'not_found', message: `no such query or page; did you mean ${meant}?` });
    });
  }

  it('an unknown path like no query answers 404 pointing at /openapi.json', async () => {
    const r = await call('/drop_table');
    expect(r.status).to.equal(404);
    expect((await r.json()).error.message).to.equal('no such query or page; the queries are listed at /openapi.json');
  });

  it("a disabled client is told its access is disabled (client_disabled), not that the query is not granted", async () => {
    const disabled = await call(`/count_orders_by_range?${WEEK}`, { headers: bearer(13) });
    expect(disabled.status).to.equal(403);
    expect((await disabled.json()).error).to.deep.equal({ code: 'client_disabled', message: "this client's access is disabled; ask the API's operator to enable it" });
    const notGranted = await call(`/all_orders_by_range?${WEEK}`, { headers: bearer(3) });
    expect(notGranted.status).to.equal(403);
    expect((await notGranted.json()).error).to.deep.equal({ code: 'forbidden', message: 'this client may not call this query' });
  });

  it('a routine 401 (bad or missing token) prints no unhandled exception or stack trace in the gateway output', async () => {
    const before = gateway.output().length;
    expect((await call('/whoami', { headers: { Authorization: `Bearer ${token(4)}x` } })).status).to.equal(401);
    expect((await call('/whoami')).status).to.equal(401);
    const printed = gateway.output().slice(before);
    expect(printed).to.not.match(/Unhandled exception|Error: Unauthorized|\n\s+at /);
  });

  it('GET / names where to start: the OpenAPI document, the docs, the playground, the OAuth metadata', async () => {
    const r = await call('/');
    expect(r.status).to.equal(200);
    expect(await r.json()).to.deep.equal({
      api: 'lakegate', openapi: `${gateway.url}/openapi.json`, docs: `${gateway.url}/docs`, playground: `${gateway.url}/playground`,
      oauthMetadata: `${gateway.url}/.well-known/oauth-authorization-server`,
    });
  });

  it('GET /.well-known/oauth-authorization-server is RFC 8414 metadata a client library configures itself from', async () => {
    const r = await call('/.well-known/oauth-authorization-server');
    expect(r.status).to.equal(200);
    const m = await r.json();
    expect(m).to.include({ issuer: gateway.url, token_endpoint: `${gateway.url}/oauth/token`, jwks_uri: `${gateway.url}/.well-known/jwks.json` });
    expect(m.grant_types_supported).to.deep.equal(['client_credentials']);
    expect(m.token_endpoint_auth_methods_supported).to.deep.equal(['client_secret_basic', 'client_secret_post']);
    expect(m.scopes_supported).to.include('count_orders_by_range').and.include('whoami');
    // What it names works: the keys and the token endpoint answer where it says.
    expect((await fetch(m.jwks_uri)).status).to.equal(200);
    expect((await fetch(m.token_endpoint, { method: 'POST' })).status).to.be.oneOf([400, 401]);
  });
});
