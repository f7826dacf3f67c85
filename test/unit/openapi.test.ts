/**
 * The OpenAPI document: a valid OpenAPI 3.1 document generated from the catalog,
 * the public routes that serve it with the pages, and the CORS policy as pure functions.
 * (Over HTTP: test/http/http.test.ts validates every answer against this document; test/browser/browser.test.ts
 * opens the pages; test/http/cors.test.ts checks the policy through the gateway.)
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { catalog, parseQuery } from '../../src/lambda/catalog.ts';
import { ConfigError, lakeDir, parseCorsOrigins, projectRoot } from '../../src/lambda/config.ts';
import { applyCors, corsHeaders, fixedCorsHeaders } from '../../src/lambda/api/cors.ts';
import { DATA_WINDOW_EXTENSION, LOCAL_SERVER, headerDescription, openApiDocument } from '../../src/lambda/openapi/document.ts';
import { CONTENT_SECURITY_POLICY, PUBLIC_FILES } from '../../src/lambda/pages/assets.ts';
import { dataWindowIn, publicRoutes, serversFor } from '../../src/lambda/pages/public.ts';
import { AnswerValidator } from '../helpers/openapi.ts';

type Json = Record<string, any>;
const AWS_SERVER = { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod', description: 'this deployment (stage prod)' };

async function validate(doc: unknown) {
  const result = await new Validator().validate(doc as Parameters<Validator["validate"]>[0]);
  expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).to.deep.equal([]);
  expect(result.valid).to.equal(true);
}

describe('OpenAPI document', () => {
  const doc: Json = openApiDocument(catalog().values(), [AWS_SERVER, LOCAL_SERVER]);

  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).to.equal('3.1.0');
    await validate(doc);
    // …and the validator does refuse a broken one.
    const broken = structuredClone(doc);
    delete broken.info.title;
    expect((await new Validator().validate(broken)).valid).to.equal(false);
  });

  it('has one path per named query, plus whoami and the credential routes', () => {
    expect(Object.keys(doc.paths).sort()).to.deep.equal(
      [...[...catalog().keys()].map((q) => `/${q}`), '/whoami', '/oauth/token', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server'].sort(),
    );
  });

  for (const q of catalog().values()) {
    describe(q.name, () => {
      const op = () => doc.paths[`/${q.name}`].get;
      const schema = (name: string) => doc.components.schemas[name];
      const pascal = q.name.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

      it('describes the query from its SQL header', () => {
        expect(op().operationId).to.equal(q.name);
        expect(op().summary).to.equal(q.description);
        expect(op().description).to.include(q.description);
        expect(op().description).to.not.include('@columns');
      });

      it('takes from and to, limit only where the query takes it, nextToken', () => {
        const params = Object.fromEntries(op().parameters.map((p: Json) => [p.name, p]));
        const bounds = q.limit ?? q.page;
        expect(Object.keys(params)).to.deep.equal(['from', 'to', ...(bounds ? ['limit'] : []), 'nextToken']);
        expect(params.from.required).to.equal(true);
        expect(params.from.description).to.include('[from, to)');
        expect(params.to.examples.date.value).to.match(/^\d{4}-\d{2}-\d{2}$/);
        if (bounds) expect(params.limit.schema).to.include({ minimum: 1, maximum: bounds.max, default: bounds.default });
      });

      it("answers 200 with that query's exact columns, typed nullable cells, nextToken and stats; CSV too", () => {
        const ok = op().responses['200'];
        expect(Object.keys(ok.content)).to.deep.equal(['application/json', 'text/csv']);
        expect(ok.content['application/json'].schema).to.deep.equal({ $ref: `#/components/schemas/${pascal}Answer` });
        const answer = schema(`${pascal}Answer`);
        expect(answer.properties.columns.const).to.deep.equal(q.columns);
        expect(answer.properties.query.const).to.equal(q.name);
        expect(answer.properties.nextToken.type).to.deep.equal(q.page ? ['string', 'null'] : 'null');
        const row = schema(`${pascal}Row`);
        expect(row.required).to.deep.equal(q.columns.map((c) => c.name));
        expect(row.additionalProperties).to.equal(false);
        for (const c of q.columns) {
          const json = { bigint: 'integer', integer: 'integer', double: 'number', varchar: 'string', boolean: 'boolean', timestamp: 'string' }[c.type];
          expect(row.properties[c.name].type, c.name).to.deep.equal([json, 'null']);
          if (c.type === 'timestamp') expect(row.properties[c.name].format).to.equal('date-time');
        }
      });

      it('lists every status the handler and the gateway can answer, with the error schema', () => {
        const statuses = Object.keys(op().responses);
        expect(statuses).to.deep.equal(['200', '202', '400', '401', '403', '404', '406', '422', '429', '500', '503', '504']);
        for (const s of statuses.filter((x) => Number(x) >= 400)) {
          const ref = op().responses[s].$ref as string;
          expect(doc.components.responses[ref.split('/').at(-1)!].content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Error' });
        }
        expect(doc.components.responses.TooManyRequests.headers).to.have.key('Retry-After');
        expect(op().responses['202'].headers).to.have.keys('Retry-After', 'X-Next-Token');
      });
    });
  }

  it('security: bearer JWT, and OAuth 2.0 client credentials at this deployment\'s /oauth/token', () => {
    const { bearerAuth, oauth2 } = doc.components.securitySchemes;
    expect(bearerAuth).to.include({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(oauth2.flows.clientCredentials.tokenUrl).to.equal(`${AWS_SERVER.url}/oauth/token`);
    expect(Object.keys(oauth2.flows.clientCredentials.scopes)).to.deep.equal([...[...catalog().keys()].sort(), 'whoami']);
    expect(doc.security).to.deep.equal([{ bearerAuth: [] }, { oauth2: [] }]);
  });

  it('the credential routes: the token form, §5.1 and §5.2 answers, the JWKS; both public of the bearer token', () => {
    const token = doc.paths['/oauth/token'].post;
    expect(token.requestBody.content['application/x-www-form-urlencoded'].schema).to.deep.equal({ $ref: '#/components/schemas/TokenRequest' });
    expect(token.security).to.deep.equal([{ clientCredentials: [] }]);
    expect(token.responses['200'].headers['Cache-Control'].schema.const).to.equal('no-store');
    expect(token.responses['401'].headers).to.have.key('WWW-Authenticate');
    expect(doc.components.schemas.OAuthError.required).to.deep.equal(['error']);
    expect(doc.paths['/.well-known/jwks.json'].get.security).to.deep.equal([]);
    expect(doc.components.schemas.JsonWebKeySet.properties.keys.items.properties).to.include.keys('kty', 'crv', 'x', 'y', 'kid', 'alg', 'use');
  });

  it('a ninth query needs only its SQL file: it appears with its own columns and parameters', async () => {
    const ninth = parseQuery(
      'count_routes_by_range',
      [
        '-- Routes with orders created in [from, to).',
        '-- @columns routes bigint',
        'SELECT count(DISTINCT route_id) AS routes FROM orders o',
        "WHERE o.dt BETWEEN date_format(:from, '%Y-%m-%d') AND date_format(:to, '%Y-%m-%d')",
        '  AND o.created_at >= :from AND o.created_at < :to AND (:all_clients OR o.client_id = :client_id)',
      ].join('\n'),
    );
    const bigger: Json = openApiDocument([...catalog().values(), ninth], [LOCAL_SERVER]);
    await validate(bigger);
    expect(bigger.paths['/count_routes_by_range'].get.summary).to.equal('Routes with orders created in [from, to).');
    expect(bigger.components.schemas.CountRoutesByRangeRow.required).to.deep.equal(['routes']);
  });

  it('the header description keeps every comment line but the tags', () => {
    const q = catalog().get('all_orders_by_range')!;
    const text = headerDescription(q);
    expect(text.split('\n').length).to.be.greaterThan(1);
    expect(text).to.not.match(/@(columns|page)/);
  });

  describe('answers checked against it (the validator the HTTP tests use)', () => {
    const v = new AnswerValidator(doc);
    const count = { query: 'count_orders_by_range', params: { from: '2024-03-01T00:00:00.000Z', to: '2024-04-01T00:00:00.000Z' }, columns: [{ name: 'orders', type: 'bigint' }], rows: [{ orders: 12 }], nextToken: null, stats: { engine: 'duckdb', elapsedMs: 3, source: 'raw' } };
    const cases: [string, string, number, unknown, boolean][] = [
      ['a real answer', '/count_orders_by_range', 200, count, true],
      ['a string count', '/count_orders_by_range', 200, { ...count, rows: [{ orders: '12' }] }, false],
      ['a missing column', '/count_orders_by_range', 200, { ...count, rows: [{}] }, false],
      ['an extra column', '/count_orders_by_range', 200, { ...count, rows: [{ orders: 1, client_id: 4 }] }, false],
      ["another query's columns", '/count_orders_by_range', 200, { ...count, columns: [{ name: 'lost_trackcodes', type: 'bigint' }] }, false],
      ['a nextToken on an unpaged query', '/count_orders_by_range', 200, { ...count, nextToken: 'abc' }, false],
      ['a limit the query does not take', '/count_orders_by_range', 200, { ...count, params: { ...count.params, limit: 5 } }, false],
      ['stats without their source', '/count_orders_by_range', 200, { ...count, stats: { engine: 'duckdb', elapsedMs: 3 } }, false],
      ['a source that is none of rollup, raw, mixed', '/count_orders_by_range', 200, { ...count, stats: { ...count.stats, source: 'cache' } }, false],
      ['a timestamp that is not one', '/all_orders_by_range', 200, { ...count, query: 'all_orders_by_range' }, false],
      ['an error', '/count_orders_by_range', 400, { error: { code: 'bad_request', message: 'x' } }, true],
      ["hapi's error shape", '/count_orders_by_range', 401, { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' }, false],
      ['a gateway 404 on an unknown path', '/drop_table', 404, { error: { code: 'not_found', message: 'no such query' } }, true],
    ];
    for (const [label, path, status, body, valid] of cases) {
      it(`${valid ? 'accepts' : 'refuses'} ${label}`, () => {
        expect(v.errors('GET', path, status, 'application/json', body).length === 0).to.equal(valid);
      });
    }
    it('refuses a status the document does not list', () => {
      expect(() => v.errors('GET', '/whoami', 400, 'application/json', {})).to.throw(/not in the document/);
    });
  });
});

describe('public routes (functions/public.ts)', () => {
  const event = (resource: string, asset?: string, extra: Partial<APIGatewayProxyEvent> = {}) =>
    ({ resource, path: resource, headers: { Host: '127.0.0.1:3999' }, pathParameters: asset === undefined ? null : { asset }, requestContext: { stage: 'local', domainName: 'offlineContext_domainName' }, ...extra }) as unknown as APIGatewayProxyEvent;

  it('GET /openapi.json: the generated document, naming the server the request came in on', async () => {
    const r = await publicRoutes(event('/openapi.json'));
    expect(r.statusCode).to.equal(200);
    expect(r.headers!['Content-Type']).to.equal('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).to.deep.equal(
      openApiDocument(catalog().values(), [{ url: 'http://127.0.0.1:3999', description: 'this local gateway' }], { dataWindow: dataWindowIn(lakeDir()) }),
    );
  });

  it('servers: on AWS the stage URL first, then the local gateway; a malformed Host falls back to localhost:3000', () => {
    const aws = { headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com' }, requestContext: { stage: 'prod', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com' } } as unknown as APIGatewayProxyEvent;
    expect(serversFor(aws)).to.deep.equal([AWS_SERVER, LOCAL_SERVER]);
    const offline = (host: string) => ({ headers: { host }, requestContext: { stage: 'local', domainName: 'offlineContext_domainName' } }) as unknown as APIGatewayProxyEvent;
    expect(serversFor(offline('localhost:3000'))).to.deep.equal([{ url: 'http://localhost:3000', description: 'this local gateway' }]);
    expect(serversFor(offline('evil.example/"><script>'))).to.deep.equal([LOCAL_SERVER]);
  });

  for (const page of ['/docs', '/playground']) {
    it(`GET ${page}: HTML with the strict Content-Security-Policy, no inline script`, async () => {
      const r = await publicRoutes(event(page));
      expect(r.statusCode).to.equal(200);
      expect(r.headers!['Content-Type']).to.equal('text/html; charset=utf-8');
      expect(r.headers!['Content-Security-Policy']).to.equal(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.not.include('unsafe');
      expect(r.body).to.not.match(/<script>|<script [^>]*>[^<\s]/);
      for (const src of r.body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src[1], 'relative, same-origin URLs only').to.not.match(/^(https?:)?\/\//);
    });
  }

  it('assets by exact name only: every one served; unknown names and traversal are 404', async () => {
    const js = await publicRoutes(event('/docs/{asset}', 'swagger-ui-bundle.js'));
    expect(js.statusCode).to.equal(200);
    expect(js.headers!['Content-Type']).to.equal('text/javascript; charset=utf-8');
    expect((await publicRoutes(event('/playground/{asset}', 'uPlot.iife.min.js'))).statusCode).to.equal(200);
    for (const bad of ['../../package.json', 'swagger-ui-bundle.js', '__proto__', 'constructor', '']) {
      expect((await publicRoutes(event('/playground/{asset}', bad))).statusCode, bad).to.equal(404);
    }
    for (const file of PUBLIC_FILES) expect(existsSync(path.join(projectRoot(), file)), file).to.equal(true);
  });
});

describe("the data window (info['x-lakegate-data-window'], from the lake's manifest)", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakegate-window-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  /** A lake folder holding this lake.json text (none if undefined). */
  const lake = (manifest?: string) => {
    const dir = path.join(root, `lake-${(n += 1)}`);
    mkdirSync(dir);
    if (manifest !== undefined) writeFileSync(path.join(dir, 'lake.json'), manifest);
    return dir;
  };
  const manifest = (window: unknown) => JSON.stringify({ generator: 'lakegate-fake-data/1', seed: 7, scale: 0.05, window, rows: {} });

  it('a lake manifest gives [from, to) as days; the document carries it in info and stays valid', async () => {
    const window = dataWindowIn(lake(manifest({ start: '2024-01-01', end: '2025-01-01' })));
    expect(window).to.deep.equal({ from: '2024-01-01', to: '2025-01-01' });
    const doc: Json = openApiDocument(catalog().values(), [LOCAL_SERVER], { dataWindow: window });
    expect(doc.info[DATA_WINDOW_EXTENSION]).to.deep.equal({ from: '2024-01-01', to: '2025-01-01' });
    expect(DATA_WINDOW_EXTENSION).to.equal('x-lakegate-data-window');
    await validate(doc);
  });

  it('a lake read once keeps its window (the manifest is not re-read per request)', () => {
    const dir = lake(manifest({ start: '2024-01-01', end: '2025-01-01' }));
    expect(dataWindowIn(dir)).to.deep.equal({ from: '2024-01-01', to: '2025-01-01' });
    writeFileSync(path.join(dir, 'lake.json'), manifest({ start: '2023-01-01', end: '2024-01-01' }));
    expect(dataWindowIn(dir)).to.deep.equal({ from: '2024-01-01', to: '2025-01-01' });
  });

  const unusable: [string, string | undefined][] = [
    ['no manifest', undefined],
    ['a manifest that is not JSON', '{"window": '],
    ['a manifest that is JSON null', 'null'],
    ['a manifest without a window', manifest(undefined)],
    ['a window of date-times, not days', manifest({ start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' })],
    ['a window with an impossible day', manifest({ start: '2024-13-01', end: '2025-01-01' })],
    ['a window whose end is not after its start', manifest({ start: '2025-01-01', end: '2025-01-01' })],
  ];
  for (const [label, text] of unusable) {
    it(`${label}: no window, and no extension in the document`, async () => {
      const window = dataWindowIn(lake(text));
      expect(window).to.equal(undefined);
      const doc: Json = openApiDocument(catalog().values(), [LOCAL_SERVER], { dataWindow: window });
      expect(doc.info).to.not.have.property(DATA_WINDOW_EXTENSION);
      await validate(doc);
    });
  }

  it('a missing manifest is looked for again, so a lake generated after the gateway started is found', () => {
    const dir = lake();
    expect(dataWindowIn(dir)).to.equal(undefined);
    writeFileSync(path.join(dir, 'lake.json'), manifest({ start: '2024-01-01', end: '2025-01-01' }));
    expect(dataWindowIn(dir)).to.deep.equal({ from: '2024-01-01', to: '2025-01-01' });
  });

  it("the AWS document (no window known) has no extension", () => {
    expect(openApiDocument(catalog().values(), [AWS_SERVER, LOCAL_SERVER]).info).to.not.have.property(DATA_WINDOW_EXTENSION);
  });
});

describe('CORS policy (src/lambda/api/cors.ts)', () => {
  const A = 'https://app.example.com';
  const B = 'http://localhost:5173';
  const cases: [string, string | undefined, string[], boolean, Record<string, string>][] = [
    ['no origin allowed (default): nothing', A, [], false, {}],
    ['same-origin request (no Origin)', undefined, [A], false, { Vary: 'Origin' }],
    ['an origin not on the list', 'https://evil.example', [A], false, { Vary: 'Origin' }],
    ['a prefix of an allowed origin', 'https://app.example.com.evil', [A], false, { Vary: 'Origin' }],
    ['the null origin', 'null', [A], false, { Vary: 'Origin' }],
    ['an allowed origin', B, [A, B], false, { 'Access-Control-Allow-Origin': B, Vary: 'Origin', 'Access-Control-Expose-Headers': 'Retry-After,X-Next-Token,X-Request-Id,Content-Disposition' }],
    ['a preflight of an allowed origin', A, [A], true, { 'Access-Control-Allow-Origin': A, Vary: 'Origin', 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization,Accept', 'Access-Control-Max-Age': '600' }],
  ];
  for (const [label, origin, allowed, preflight, want] of cases) {
    it(label, () => {
      const got = corsHeaders(origin, allowed, preflight);
      expect(got).to.deep.equal(want);
      expect(Object.keys(got).map((k) => k.toLowerCase())).to.not.include('access-control-allow-credentials');
    });
  }

  it("gateway errors name the one allowed origin (API Gateway's answers cannot read a list)", () => {
    expect(fixedCorsHeaders([])).to.deep.equal({});
    expect(fixedCorsHeaders([A, B])['Access-Control-Allow-Origin']).to.equal(A);
  });

  it("a handler's own CORS headers are replaced by the policy's", () => {
    const r = applyCors({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*', 'access-control-allow-credentials': 'true', Vary: 'Accept' }, body: '' }, 'https://evil.example', [A]);
    expect(r.headers).to.deep.equal({ Vary: 'Accept, Origin' });
  });

  const origins: [string, string[] | RegExp][] = [
    ['', []],
    ['https://app.example.com', [A]],
    [' https://app.example.com , http://localhost:5173 ', [A, B]],
    ['*', /LAKEGATE_CORS_ORIGINS/],
    ['null', /LAKEGATE_CORS_ORIGINS/],
    ['https://app.example.com/', /LAKEGATE_CORS_ORIGINS/],
    ['app.example.com', /LAKEGATE_CORS_ORIGINS/],
    ['https://*.example.com', /LAKEGATE_CORS_ORIGINS/],
  ];
  for (const [raw, want] of origins) {
    it(`LAKEGATE_CORS_ORIGINS=${JSON.stringify(raw)} → ${want instanceof RegExp ? 'refused' : JSON.stringify(want)}`, () => {
      if (want instanceof RegExp) expect(() => parseCorsOrigins(raw)).to.throw(ConfigError, want);
      else expect(parseCorsOrigins(raw)).to.deep.equal(want);
    });
  }
});
