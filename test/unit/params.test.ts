/** Request validation (docs/design.md §4, SECURITY 24–29) as tables, and the handler around it. */
import { expect } from 'chai';
import { catalog } from '../../src/lambda/catalog.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { PageTokens } from '../../src/lambda/api/page-token-seal.ts';
import { parseInstant, parseRequest, readScope, type ClientScope } from '../../src/lambda/api/params.ts';
import { csvField, negotiate } from '../../src/lambda/api/response.ts';
import { BadRequest } from '../../src/lambda/errors.ts';
import { apiEvent, SpyEngine } from '../helpers/api.ts';

const SCOPE: ClientScope = { clientId: 4, allClients: false, maxRangeDays: 31, pii: 'masked' };
const count = catalog().get('count_orders_by_range')!;
const top = catalog().get('most_visited_location_from_trackcode_by_range')!;
const paged = catalog().get('all_orders_by_range')!;

const SCOPE_CONTEXT = { clientId: '4', rowScope: 'own', maxRangeDays: '31' };
const event = (query: Record<string, string[]>, authorizer: Record<string, unknown> | null = SCOPE_CONTEXT, headers: Record<string, string> = {}) =>
  apiEvent(query, authorizer, headers);

describe('request parameters', () => {
  describe('dates', () => {
    const ok: [string, string][] = [
      ['2024-03-01', '2024-03-01T00:00:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
      ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01T10:00:00.5Z', '2024-03-01T10:00:00.500Z'],
      ['2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123Z'],
      ['2024-03-01T10:00:00+02:00', '2024-03-01T08:00:00.000Z'],
      ['2024-03-01T00:30:00-03:30', '2024-03-01T04:00:00.000Z'],
    ];
    for (const [input, iso] of ok) it(`accepts ${input}`, () => expect(parseInstant('from', input).toISOString()).to.equal(iso));

    const bad = [
      '2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '2024-1-1', '24-01-01', '2024/01/01', '20240101',
      '2024-03-01T24:00:00Z', '2024-03-01T10:60Z', '2024-03-01T10:00:60Z', '2024-03-01T10:00:00', '2024-03-01 10:00:00Z',
      '2024-03-01T10:00:00.1234Z', '2024-03-01T10:00:00+15:00', '2024-03-01T10:00:00+02', '1709251200', '1709251200000',
      '1969-12-31', '2100-01-01', '+02024-03-01', ' 2024-03-01', '2024-03-01 ', '２０２４-03-01',
      "2024-01-01' OR '1'='1", "';--", "DATE '2024-01-01'", 'current_date', "\\'", '2024‘01’01', 'now()',
      '2024-03-01\u00002', 'x'.repeat(10_000),
    ];
    for (const input of bad) {
      it(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => expect(() => parseInstant('from', input)).to.throw(BadRequest, /^from /));
    }
  });

  describe('the request', () => {
    const q = (o: Record<string, string | string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    const bad: [string, Record<string, string | string[]>, RegExp, typeof count?][] = [
      ['missing from', { to: '2024-03-02' }, /from is required/],
      ['missing to', { from: '2024-03-01' }, /to is required/],
      ['empty from', { from: '', to: '2024-03-02' }, /from is empty/],
      ['repeated from', { from: ['2024-03-01', '2024-03-02'], to: '2024-03-05' }, /from must be given once/],
      ['from = to', { from: '2024-03-01', to: '2024-03-01' }, /earlier than to/],
      ['from > to', { from: '2024-03-02', to: '2024-03-01' }, /earlier than to/],
      ['a span over the client maximum', { from: '2024-01-01', to: '2024-03-01' }, /spans 60 days; at most 31/],
      ['an unknown parameter', { from: '2024-03-01', to: '2024-03-02', foo: '1' }, /unknown parameter "foo"/],
      ['a client_id parameter (scope only comes from the token)', { from: '2024-03-01', to: '2024-03-02', client_id: '9' }, /unknown parameter "client_id"/],
      ['a scope parameter', { from: '2024-03-01', to: '2024-03-02', row_scope: 'all' }, /unknown parameter/],
      ['limit on a query without one', { from: '2024-03-01', to: '2024-03-02', limit: '5' }, /unknown parameter "limit"/],
      ['limit 0', { from: '2024-03-01', to: '2024-03-02', limit: '0' }, /limit must be a whole number from 1 to 100/, top],
      ['limit over the max', { from: '2024-03-01', to: '2024-03-02', limit: '101' }, /1 to 100/, top],
      ['limit -1', { from: '2024-03-01', to: '2024-03-02', limit: '-1' }, /limit must/, top],
      ['limit 1e2', { from: '2024-03-01', to: '2024-03-02', limit: '1e2' }, /limit must/, top],
      ['page limit over 1000', { from: '2024-03-01', to: '2024-03-02', limit: '1001' }, /1 to 1000/, paged],
      ['a nextToken with odd characters', { from: '2024-03-01', to: '2024-03-02', nextToken: 'a b' }, /nextToken/, paged],
      ['a huge unknown parameter name', { ['p'.repeat(5000)]: '1', from: '2024-03-01', to: '2024-03-02' }, /unknown parameter "p{40}…"/],
    ];
    for (const [label, query, message, target] of bad) {
      it(`400: ${label}`, () => expect(() => parseRequest(target ?? count, q(query), SCOPE)).to.throw(BadRequest, message));
    }

    it('normalises the range and applies defaults', () => {
      expect(parseRequest(count, q({ from: '2024-03-01', to: '2024-03-01T12:00:00+01:00' }), SCOPE)).to.deep.equal({
        params: { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-03-01T11:00:00Z'), client_id: 4, all_clients: false },
        normalized: { from: '2024-03-01T00:00:00.000Z', to: '2024-03-01T11:00:00.000Z' },
      });
      expect(parseRequest(top, q({ from: '2024-03-01', to: '2024-03-02' }), SCOPE).params.limit).to.equal(10);
      expect(parseRequest(paged, q({ from: '2024-03-01', to: '2024-03-02' }), SCOPE).page).to.deep.equal({ size: 100 });
      // every query takes nextToken (the result of a query answered 202 earlier)
      expect(parseRequest(count, q({ from: '2024-03-01', to: '2024-03-02', nextToken: 'v1.a.b' }), SCOPE).nextToken).to.equal('v1.a.b');
    });

    it('a span of exactly the maximum is allowed', () => {
      expect(() => parseRequest(count, q({ from: '2024-01-01', to: '2024-02-01' }), SCOPE)).to.not.throw();
    });
  });

  describe('scope from the authorizer context', () => {
    const cases: [string, Record<string, unknown> | null, ClientScope | undefined][] = [
      ['strings, as API Gateway passes them', { clientId: '4', rowScope: 'own', maxRangeDays: '31' }, SCOPE],
      ['row scope all', { clientId: '9000', rowScope: 'all', maxRangeDays: 3660 }, { clientId: 9000, allClients: true, maxRangeDays: 3660, pii: 'masked' }],
      ['a privacy mode', { clientId: '4', rowScope: 'own', maxRangeDays: '31', pii: 'clear' }, { ...SCOPE, pii: 'clear' }],
      ['an unknown privacy mode (refused, never read as clear)', { clientId: '4', rowScope: 'own', maxRangeDays: '31', pii: 'raw' }, undefined],
      ['no context', null, undefined],
      ['no client id', { rowScope: 'own', maxRangeDays: '31' }, undefined],
      ['a bad row scope', { clientId: '4', rowScope: 'ALL', maxRangeDays: '31' }, undefined],
      ['a non-numeric client id', { clientId: '4 OR 1=1', rowScope: 'own', maxRangeDays: '31' }, undefined],
      ['no max range', { clientId: '4', rowScope: 'own' }, undefined],
    ];
    for (const [label, ctx, want] of cases) it(label, () => expect(readScope(ctx)).to.deep.equal(want));
  });
});

describe('query handler (spy engine)', () => {
  const spy = new SpyEngine([{ orders: 1 }]);
  before(() => {
    process.env.LAKEGATE_PAGE_TOKEN_SECRET = Buffer.alloc(32, 7).toString('base64');
    setEngine(spy);
  });
  after(() => setEngine(undefined));
  beforeEach(() => (spy.calls = []));

  const handler = queryHandler('count_orders_by_range');
  const pagedHandler = queryHandler('all_orders_by_range');

  it('answers 200 with docs/design.md §4 JSON and passes only typed values to the engine', async () => {
    const r = await handler(event({ from: ['2024-03-01'], to: ['2024-03-02'] }));
    expect(r.statusCode).to.equal(200);
    expect(JSON.parse(r.body)).to.deep.equal({
      query: 'count_orders_by_range',
      params: { from: '2024-03-01T00:00:00.000Z', to: '2024-03-02T00:00:00.000Z' },
      columns: [{ name: 'orders', type: 'bigint' }],
      rows: [{ orders: 1 }],
      nextToken: null,
      stats: { engine: 'duckdb', elapsedMs: 1, source: 'raw' },
    });
    expect(spy.calls[0]!.params).to.deep.equal({ from: new Date('2024-03-01Z'), to: new Date('2024-03-02Z'), client_id: 4, all_clients: false });
  });

  const refusals: [string, Record<string, string[]>, Record<string, unknown> | null, number][] = [
    ['no authorizer context', { from: ['2024-03-01'], to: ['2024-03-02'] }, null, 403],
    ['a malformed authorizer context', { from: ['2024-03-01'], to: ['2024-03-02'] }, { clientId: 'x' }, 403],
    ['an impossible date', { from: ['2024-02-30'], to: ['2024-03-02'] }, undefined as never, 400],
    ['an injection string', { from: ["2024-01-01' OR '1'='1"], to: ['2024-03-02'] }, undefined as never, 400],
    ['a repeated parameter', { from: ['2024-03-01', '2024-03-01'], to: ['2024-03-02'] }, undefined as never, 400],
    ['a span over the maximum', { from: ['2024-01-01'], to: ['2024-12-01'] }, undefined as never, 400],
    ['an unknown parameter', { from: ['2024-03-01'], to: ['2024-03-02'], tenant: ['7'] }, undefined as never, 400],
  ];
  for (const [label, query, ctx, status] of refusals) {
    it(`${status} for ${label}, and the engine is never called`, async () => {
      const r = await handler(ctx === undefined ? event(query) : event(query, ctx));
      expect(r.statusCode).to.equal(status);
      const body = JSON.parse(r.body);
      expect(body.error.code).to.be.a('string');
      expect(body.error.message).to.be.a('string').and.not.match(/SELECT|\/work|at .*\.ts/);
      expect(spy.calls).to.have.length(0);
    });
  }

  it('406 when the client accepts neither JSON nor CSV', async () => {
    const r = await handler(event({ from: ['2024-03-01'], to: ['2024-03-02'] }, undefined, { Accept: 'application/xml' }));
    expect(r.statusCode).to.equal(406);
    expect(spy.calls).to.have.length(0);
  });

  it('CSV on Accept: text/csv', async () => {
    const r = await handler(event({ from: ['2024-03-01'], to: ['2024-03-02'] }, undefined, { accept: 'text/csv' }));
    expect(r.statusCode).to.equal(200);
    expect(r.headers!['Content-Type']).to.equal('text/csv; charset=utf-8');
    expect(r.body).to.equal('orders\r\n1\r\n');
  });

  it('an engine failure is a generic 500: no SQL, path or message leaks', async () => {
    setEngine({ name: 'duckdb', run: async () => { throw new Error('Binder Error: table /work/secret/orders SELECT * FROM x'); }, close: async () => {} });
    try {
      const r = await handler(event({ from: ['2024-03-01'], to: ['2024-03-02'] }));
      expect(r.statusCode).to.equal(500);
      expect(JSON.parse(r.body)).to.deep.equal({ error: { code: 'internal_error', message: 'internal error' } });
    } finally {
      setEngine(spy);
    }
  });

  describe('nextToken', () => {
    const firstPage = async (authorizer = { clientId: '4', rowScope: 'own', maxRangeDays: '31' }, range = { from: ['2024-03-01'], to: ['2024-03-02'] }) => {
      const r = await pagedHandler(event(range, authorizer));
      return JSON.parse(r.body).nextToken as string;
    };

    it('is sealed and round-trips to the engine cursor for the same client, query and range', async () => {
      const token = await firstPage();
      expect(token).to.match(/^v1\.[\w-]+\.[\w-]+$/);
      const r = await pagedHandler(event({ from: ['2024-03-01'], to: ['2024-03-02'], nextToken: [token] }));
      expect(r.statusCode).to.equal(200);
      expect(spy.calls.at(-1)!.page).to.deep.equal({ size: 100 });
      expect(spy.calls.at(-1)!.cursor).to.equal('cursor-1');
    });

    const misuse: [string, () => Promise<Record<string, string[]>>, Record<string, unknown>?][] = [
      ['another client', async () => ({ from: ['2024-03-01'], to: ['2024-03-02'], nextToken: [await firstPage()] }), { clientId: '5', rowScope: 'own', maxRangeDays: '31' }],
      ['another row scope', async () => ({ from: ['2024-03-01'], to: ['2024-03-02'], nextToken: [await firstPage()] }), { clientId: '4', rowScope: 'all', maxRangeDays: '31' }],
      ['another range', async () => ({ from: ['2024-03-01'], to: ['2024-03-03'], nextToken: [await firstPage()] })],
      ['a tampered payload', async () => {
        const [v, payload, mac] = (await firstPage()).split('.');
        const body = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        body.clientId = 5;
        return { from: ['2024-03-01'], to: ['2024-03-02'], nextToken: [`${v}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${mac}`] };
      }],
      ['a forged token', async () => ({ from: ['2024-03-01'], to: ['2024-03-02'], nextToken: [`v1.${Buffer.from('{}').toString('base64url')}.AAAA`] })],
      ['garbage', async () => ({ from: ['2024-03-01'], to: ['2024-03-02'], nextToken: ['garbage'] })],
    ];
    for (const [label, query, ctx] of misuse) {
      it(`400 for ${label}`, async () => {
        const q = await query();
        spy.calls = [];
        const r = await pagedHandler(ctx ? event(q, ctx) : event(q));
        expect(r.statusCode).to.equal(400);
        expect(JSON.parse(r.body).error.message).to.match(/nextToken/);
        expect(spy.calls).to.have.length(0);
      });
    }

    it('400 once expired', () => {
      let t = 0;
      const tokens = new PageTokens(Buffer.alloc(32, 1), 60, () => t);
      const binding = { engine: 'duckdb', query: 'q', clientId: 1, allClients: false, from: 'a', to: 'b', pii: 'masked' };
      const sealed = tokens.seal(binding, 'c');
      t = 59_000;
      expect(tokens.open(sealed, binding)).to.equal('c');
      t = 61_000;
      expect(() => tokens.open(sealed, binding)).to.throw(BadRequest, /expired/);
    });
  });
});

describe('response formats', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'json'], ['', 'json'], ['*/*', 'json'], ['application/json', 'json'], ['text/csv', 'csv'],
    ['text/csv, */*', 'csv'], ['application/json, text/csv', 'json'], ['text/csv;q=0.5, application/json;q=0.9', 'json'],
    ['text/csv;q=1, application/json;q=0.1', 'csv'], ['text/html, text/csv;q=0.8', 'csv'], ['application/*', 'json'],
  ];
  for (const [accept, want] of cases) it(`Accept ${JSON.stringify(accept)} → ${want}`, () => expect(negotiate(accept)).to.equal(want));
  it('Accept text/csv;q=0 alone → 406', () => expect(() => negotiate('text/csv;q=0')).to.throw(/application\/json or text\/csv/));

  const fields: [string | number | boolean | null, string][] = [
    [null, ''], [12, '12'], [-3.5, '-3.5'], ['plain', 'plain'], ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'], ['=cmd()', "'=cmd()"], ['+1', "'+1"], ['@x', "'@x"], ['-x', "'-x"], ['Bogotá', 'Bogotá'],
  ];
  for (const [value, want] of fields) it(`CSV field ${JSON.stringify(value)} → ${JSON.stringify(want)}`, () => expect(csvField(value)).to.equal(want));
});
