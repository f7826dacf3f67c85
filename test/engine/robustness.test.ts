/**
 * Robustness: arbitrary input never gets a 500 or an undeserved Allow; tenants stay
 * isolated under concurrency; broken access tables, broken partitions, killed generators and
 * hanging engines end cleanly and fail closed.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { AccessTableCache } from '../../src/lambda/access/table.ts';
import { serializeAccessTable, type AccessRule } from '../../src/lambda/access/model.ts';
import { FileStore } from '../../src/shared/versioned-store.ts';
import { Authorizer, tokenAuthorizerHandler } from '../../src/lambda/identity/authorizer.ts';
import { publicVerificationKey } from '../../src/lambda/identity/tokens/verify.ts';
import { catalog, parseQuery } from '../../src/lambda/catalog.ts';
import { athenaStatement, LITERAL_GRAMMAR } from '../../src/lambda/engine/athena/literals.ts';
import type { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import type { QueryParams } from '../../src/lambda/engine/types.ts';
import { EngineTimeout } from '../../src/lambda/errors.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { openDuckDb, runAll } from '../helpers/engine.ts';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import { scratchPath, testLake } from '../helpers/lake.ts';
import { apiEvent, SpyEngine } from '../helpers/api.ts';
import { AUDIENCE, ecKey, hmacRaw, ISSUER, mint, signRaw } from '../helpers/tokens.ts';
import { fixedAccessTable } from '../helpers/acl.ts';

/** A masked caller's privacy (its key's value does not matter to the literals' grammar). */
const MASKED = { mode: 'masked' as const, key: new PseudonymKey(Buffer.alloc(32, 3)) };

const NAMES = [...catalog().keys()];
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/GET/count_orders_by_range';
const POLICY = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 };
const RUNS = Number(process.env.LAKEGATE_FUZZ_RUNS ?? 200);

const event = (query: Record<string, string[]>, headers: Record<string, string>, authorizer: Record<string, unknown>) =>
  apiEvent(query, authorizer, headers);

describe('robustness', function () {
  this.timeout(120_000);

  describe('property: arbitrary requests get 200/400/406, never 500, and only typed values reach the engine', () => {
    const spy = new SpyEngine();
    before(() => {
      process.env.LAKEGATE_PAGE_TOKEN_SECRET = Buffer.alloc(32, 5).toString('base64');
      setEngine(spy);
    });
    after(() => setEngine(undefined));

    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.date({ min: new Date('1960-01-01'), max: new Date('2110-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.date({ min: new Date('2023-06-01'), max: new Date('2025-06-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.integer({ min: -5, max: 2000 }).map(String),
      fc.constantFrom("2024-01-01' OR '1'='1", "';--", "DATE '2024-01-01'", 'current_date', '\u0000', '9'.repeat(5000), '2024-02-30', '2024-03-01T10:00:00+14:00', 'v1.a.b'),
    );
    const key = fc.oneof(fc.constantFrom('from', 'to', 'limit', 'nextToken', 'client_id', 'row_scope', '__proto__', 'constructor'), fc.string({ unit: 'binary', maxLength: 12 }));
    const day = fc.date({ min: new Date('2024-01-01'), max: new Date('2024-12-31'), noInvalidDate: true });
    const nearValid = fc.record({ from: day, span: fc.integer({ min: 1, max: 60 }), extra: fc.dictionary(key, fc.array(text, { maxLength: 2 }), { maxKeys: 1 }) })
      .map(({ from, span, extra }) => ({
        ...extra,
        from: [from.toISOString().slice(0, 10)],
        to: [new Date(from.getTime() + span * 86_400_000).toISOString().slice(0, 10)],
      }));
    const query = fc.oneof(fc.dictionary(key, fc.array(text, { minLength: 0, maxLength: 3 }), { maxKeys: 5 }), nearValid);
    const accept = fc.oneof(fc.constant(undefined), fc.constantFrom('application/json', 'text/csv', '*/*', 'text/html', 'text/csv;q=0'), fc.string({ unit: 'binary', maxLength: 30 }));
    const scope = fc.record({
      clientId: fc.integer({ min: 0, max: 999_999_999 }).map(String),
      rowScope: fc.constantFrom('own', 'all'),
      maxRangeDays: fc.integer({ min: 1, max: 3660 }).map(String),
    });

    for (const name of NAMES) {
      it(name, async () => {
        const handler = queryHandler(name);
        const q = catalog().get(name)!;
        let answered = 0;
        await fc.assert(
          fc.asyncProperty(query, accept, scope, async (qs, acc, ctx) => {
            spy.calls = [];
            const r = await handler(event(qs, acc === undefined ? {} : { Accept: acc }, ctx));
            expect([200, 400, 406], `${r.statusCode} ${r.body}`).to.include(r.statusCode);
            expect(() => JSON.parse(r.statusCode === 200 && acc?.includes('csv') ? '{}' : r.body)).to.not.throw();
            if (r.statusCode !== 200) expect(spy.calls).to.have.length(0);
            else answered += 1;
            for (const call of spy.calls) {
              const p = call.params;
              expect(p.client_id).to.equal(Number(ctx.clientId));
              expect(p.all_clients).to.equal(ctx.rowScope === 'all');
              expect(p.from.getTime()).to.be.below(p.to.getTime());
              expect(p.to.getTime() - p.from.getTime()).to.be.at.most(Number(ctx.maxRangeDays) * 86_400_000);
              if (q.limit) expect(p.limit).to.be.within(1, q.limit.max);
              if (q.page) expect(call.page!.size).to.be.within(1, q.page.max);
              for (const literal of athenaStatement(q, p, call.page, MASKED).parameters) {
                expect(Object.values(LITERAL_GRAMMAR).some((g) => g.test(literal)), literal).to.equal(true);
              }
            }
          }),
          { numRuns: RUNS },
        );
        // ~25 % are expected to be valid; a twentieth guards against a vacuous property.
        expect(answered, 'requests that reached the engine').to.be.greaterThan(RUNS / 20);
      });
    }

    it('no authorizer context → 403 whatever the request', async () => {
      const handler = queryHandler('count_orders_by_range');
      await fc.assert(
        fc.asyncProperty(query, fc.oneof(fc.constant({}), fc.dictionary(fc.string(), fc.string())), async (qs, ctx) => {
          const r = await handler(event(qs, {}, ctx));
          expect(r.statusCode).to.equal(403);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('property: the authorizer never allows an unsigned, foreign-signed or malformed token', () => {
    const ours = ecKey();
    const foreign = ecKey();
    const rules: AccessRule[] = [
      { client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
      { client_id: 13, enabled: false, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
    ];
    const authorizer = new Authorizer(new Map([[ours.kid, publicVerificationKey(ours.publicPem)]]), POLICY, fixedAccessTable(rules), NAMES);
    const handler = tokenAuthorizerHandler(async () => authorizer);
    const decide = async (header: string) =>
      handler({ type: 'TOKEN', authorizationToken: header, methodArn: ARN }).then(
        (r) => (r.policyDocument.Statement[0] as { Effect: string }).Effect,
        (e: Error) => {
          expect(e.message).to.equal('Unauthorized');
          return '401';
        },
      );

    const claims = fc.record(
      {
        sub: fc.oneof(fc.constantFrom('4', '13', '777', '04', '-4', '4.0', ' 4'), fc.string({ unit: 'binary', maxLength: 10 })),
        iss: fc.oneof(fc.constant(ISSUER), fc.string()),
        aud: fc.oneof(fc.constant(AUDIENCE), fc.string(), fc.array(fc.string())),
        exp: fc.oneof(fc.integer(), fc.constant(Math.floor(Date.now() / 1000) + 600), fc.string(), fc.constant(null)),
        iat: fc.oneof(fc.constant(Math.floor(Date.now() / 1000)), fc.integer()),
        nbf: fc.integer(),
        __proto__: fc.object(),
      },
      { requiredKeys: [] },
    );

    it('arbitrary header strings → 401', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary' }).map((s) => `Bearer ${s}`)), async (h) => {
          expect(await decide(h)).to.equal('401');
        }),
        { numRuns: RUNS },
      );
    });

    it('random JWS-shaped tokens → 401', async () => {
      const seg = fc.base64String({ minLength: 4, maxLength: 200 }).map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') || 'A');
      await fc.assert(
        fc.asyncProperty(seg, seg, seg, async (a, b, c) => {
          expect(await decide(`Bearer ${a}.${b}.${c}`)).to.equal('401');
        }),
        { numRuns: RUNS },
      );
    });

    it('any claims signed by a foreign key, unsigned, or HMAC-ed with our public key → 401', async () => {
      await fc.assert(
        fc.asyncProperty(claims, fc.constantFrom('foreign', 'foreign-our-kid', 'none', 'hs256-pem'), async (c, how) => {
          const payload = JSON.stringify(c);
          const token =
            how === 'foreign' ? signRaw({ alg: 'ES256', kid: foreign.kid }, payload, foreign)
            : how === 'foreign-our-kid' ? signRaw({ alg: 'ES256', kid: ours.kid }, payload, foreign)
            : how === 'none' ? `${signRaw({ alg: 'none', kid: ours.kid }, payload, ours).split('.').slice(0, 2).join('.')}.`
            : hmacRaw({ alg: 'HS256', kid: ours.kid }, payload, ours.publicPem);
          expect(await decide(`Bearer ${token}`)).to.equal('401');
        }),
        { numRuns: RUNS },
      );
    });

    it('any claims signed by our key → Allow only for a well-formed token of an enabled client', async () => {
      await fc.assert(
        fc.asyncProperty(claims, async (c) => {
          const effect = await decide(`Bearer ${signRaw({ alg: 'ES256', kid: ours.kid }, JSON.stringify(c), ours)}`);
          if (effect === 'Allow') {
            const now = Date.now() / 1000;
            expect(c.sub).to.equal('4');
            expect(c.iss).to.equal(ISSUER);
            expect(typeof c.exp === 'number' && c.exp + 30 > now).to.equal(true);
            expect(typeof c.iat === 'number' && c.iat <= now + 30).to.equal(true);
          }
        }),
        { numRuns: RUNS },
      );
      expect(await decide(`Bearer ${mint(ours, '4')}`)).to.equal('Allow'); // the property is not vacuous
    });
  });

  describe('tenant isolation under concurrency (engine)', () => {
    let engine: DuckDbEngine;
    before(async () => (engine = await openDuckDb((await testLake()).dir)));
    after(() => engine.close());

    it('many clients, queries and ranges interleaved in parallel each get exactly their answer alone', async () => {
      const jobs: { query: string; params: QueryParams }[] = [];
      for (const client_id of [1, 4, 8, 22, 47]) {
        for (const name of NAMES) {
          for (const [from, to] of [['2024-02-01', '2024-02-15'], ['2024-11-20', '2024-12-10']]) {
            jobs.push({ query: name, params: { from: new Date(`${from}Z`), to: new Date(`${to}Z`), client_id, all_clients: false, ...(catalog().get(name)!.limit ? { limit: 10 } : {}) } });
          }
        }
      }
      jobs.push({ query: 'count_orders_by_range', params: { from: new Date('2024-01-01Z'), to: new Date('2025-01-01Z'), client_id: 4, all_clients: true } });
      const alone = [];
      for (const j of jobs) alone.push(await runAll(engine, catalog().get(j.query)!, j.params, 50));
      const order = jobs.map((_, i) => i).sort((a, b) => ((a * 7919) % 97) - ((b * 7919) % 97)); // a fixed shuffle
      const together = new Array(jobs.length);
      await Promise.all(order.map(async (i) => (together[i] = await runAll(engine, catalog().get(jobs[i]!.query)!, jobs[i]!.params, 50))));
      expect(together).to.deep.equal(alone);
      expect(alone.filter((rows) => rows.length > 0).length).to.be.greaterThan(jobs.length / 2);
    });
  });

  describe('faults: the access-control table', () => {
    const key = ecKey();
    const good: AccessRule[] = [
      { client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
      { client_id: 5, enabled: false, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
    ];
    const setup = (file: string) => {
      const authorizer = new Authorizer(
        new Map([[key.kid, publicVerificationKey(key.publicPem)]]), POLICY,
        new AccessTableCache(new FileStore(file), { ttlMs: 0, maxStaleMs: 0, readTimeoutMs: 1000 }), NAMES,
      );
      const handler = tokenAuthorizerHandler(async () => authorizer);
      return async (client: string) => {
        const r = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${mint(key, client)}`, methodArn: ARN });
        return { effect: (r.policyDocument.Statement[0] as { Effect: string }).Effect, scope: r.context?.rowScope };
      };
    };

    it('missing, truncated or malformed → denied while broken; recovered when fixed', async () => {
      const file = scratchPath('acl.json');
      writeFileSync(file, serializeAccessTable(good));
      const decide = setup(file);
      expect((await decide('4')).effect).to.equal('Allow');
      const broken: [string, () => void][] = [
        ['missing', () => unlinkSync(file)],
        ['empty', () => writeFileSync(file, '')],
        ['truncated mid-line', () => writeFileSync(file, serializeAccessTable(good).slice(0, 40))],
        ['malformed JSON', () => writeFileSync(file, '{"client_id": 4, "enabled": tru\n')],
        ['a rule with a wrong type', () => writeFileSync(file, `${JSON.stringify({ ...good[0], row_scope: 'everything' })}\n`)],
        ['binary garbage', () => writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x0a]))],
      ];
      for (const [label, breakIt] of broken) {
        breakIt();
        expect((await decide('4')).effect, label).to.equal('Deny');
        writeFileSync(file, serializeAccessTable(good));
        expect((await decide('4')).effect, `${label}, fixed`).to.equal('Allow');
      }
    });

    it('replaced mid-read (atomic and torn writes) → never an Allow the table does not give', async () => {
      const file = scratchPath('acl-race.json');
      // Two versions, both denying client 5 (disabled / absent) and giving client 4 row scope own.
      const versions = [serializeAccessTable(good), serializeAccessTable([{ ...good[0]!, allowed_queries: ['count_orders_by_range'] }])];
      writeFileSync(file, versions[0]!);
      const decide = setup(file);
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const body = versions[i % 2]!;
          if (i % 3 === 0) {
            const tmp = `${file}.tmp`; // atomic replace
            writeFileSync(tmp, body);
            renameSync(tmp, file);
          } else {
            const h = await open(file, 'w'); // torn write: truncate, half, pause, rest
            await h.write(body.slice(0, body.length / 2));
            await new Promise((r) => setImmediate(r));
            await h.write(body.slice(body.length / 2));
            await h.close();
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) {
        const [four, five] = await Promise.all([decide('4'), decide('5')]);
        expect(five.effect).to.equal('Deny');
        if (four.effect === 'Allow') expect(four.scope).to.equal('own');
        seen.add(four.effect);
      }
      writing = false;
      await writer;
      expect(seen.has('Allow')).to.equal(true); // readers did get through between writes
    });
  });

  describe('faults: the lake', () => {
    let lake: string;
    let engine: DuckDbEngine;
    const handler = queryHandler('count_orders_by_range');
    const ask = (from: string, to: string) =>
      handler(event({ from: [from], to: [to] }, {}, { clientId: '4', rowScope: 'own', maxRangeDays: '366' }));
    before(async () => {
      lake = scratchPath('damaged-lake');
      cpSync((await testLake()).dir, lake, { recursive: true });
      engine = await openDuckDb(lake);
      setEngine(engine);
    });
    after(async () => {
      setEngine(undefined);
      await engine.close();
    });

    it('a corrupt partition file → a clean 503 for the ranges that read it; other ranges are still served', async () => {
      const dir = path.join(lake, 'orders', 'dt=2024-03-05');
      writeFileSync(path.join(dir, readdirSync(dir)[0]!), 'not parquet at all');
      for (const [from, to] of [['2024-03-01', '2024-03-08'], ['2024-01-01', '2024-12-01']] as const) {
        const r = await ask(from, to);
        expect(r.statusCode, `${from}..${to}`).to.equal(503);
        expect(JSON.parse(r.body)).to.deep.equal({ error: { code: 'data_unavailable', message: 'the data for this range is temporarily unavailable' } });
        expect(r.headers!['Retry-After']).to.equal('30');
      }
      expect((await ask('2024-06-01', '2024-06-08')).statusCode).to.equal(200);
    });

    it('a partition folder whose files are gone → 503, not silently fewer rows', async () => {
      const dir = path.join(lake, 'orders', 'dt=2024-07-10');
      for (const f of readdirSync(dir)) unlinkSync(path.join(dir, f));
      expect((await ask('2024-07-08', '2024-07-12')).statusCode).to.equal(503);
      expect((await ask('2024-08-01', '2024-08-08')).statusCode).to.equal(200);
    });
  });

  describe('faults: generation and engines', () => {
    it('a killed fake-data run leaves no lake where the gateway would read one, and the next run cleans up', async () => {
      const out = scratchPath('killed-lake');
      const child = spawn(process.execPath, ['--import', 'tsx', 'fake-data/cli.ts', '--scale', '3', '--out', out], { stdio: 'ignore' });
      const parent = path.dirname(out);
      const temporary = () => readdirSync(parent).filter((n) => n.startsWith(`${path.basename(out)}.tmp-`));
      for (let i = 0; i < 200 && temporary().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1500)); // mid-generation
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(existsSync(out)).to.equal(false);
      expect(existsSync(path.join(out, 'lake.json'))).to.equal(false);
      expect(temporary()).to.have.length(1);
      await makeLakeAt(out);
      expect(temporary()).to.deep.equal([]);
      expect(JSON.parse(readFileSync(path.join(out, 'lake.json'), 'utf8')).seed).to.equal(1);
    });

    it('an engine that hangs → 504 within the deadline', async () => {
      setEngine({ name: 'duckdb', run: () => new Promise(() => undefined), close: async () => {} });
      try {
        const started = Date.now();
        const r = await queryHandler('count_orders_by_range')(
          event({ from: ['2024-03-01'], to: ['2024-03-08'] }, {}, { clientId: '4', rowScope: 'own', maxRangeDays: '366' }),
          { getRemainingTimeInMillis: () => 2500 },
        );
        expect(r.statusCode).to.equal(504);
        expect(JSON.parse(r.body).error.code).to.equal('query_timeout');
        expect(Date.now() - started).to.be.below(2500); // inside the Lambda's remaining time
      } finally {
        setEngine(undefined);
      }
    });

    it('an engine that throws → a clean 500', async () => {
      setEngine({ name: 'duckdb', run: async () => { throw new TypeError('boom at /srv/secret.ts:12'); }, close: async () => {} });
      try {
        const r = await queryHandler('count_orders_by_range')(event({ from: ['2024-03-01'], to: ['2024-03-08'] }, {}, { clientId: '4', rowScope: 'own', maxRangeDays: '366' }));
        expect(r.statusCode).to.equal(500);
        expect(r.body).to.equal('{"error":{"code":"internal_error","message":"internal error"}}');
      } finally {
        setEngine(undefined);
      }
    });

    it('DuckDB interrupts a query that runs past its deadline', async () => {
      const engine = await openDuckDb((await testLake()).dir);
      const slow = parseQuery('slow', [
        '-- A deliberately slow query.',
        '-- @columns n bigint',
        'SELECT count(*) AS n FROM range(20000000000) r WHERE (r.range % 7 = 3) AND :from < :to AND (:all_clients OR :client_id = 1)',
      ].join('\n'));
      const started = Date.now();
      const e = await engine
        .run({ query: slow, params: { from: new Date('2024-01-01Z'), to: new Date('2024-01-02Z'), client_id: 1, all_clients: false }, deadline: Date.now() + 300 })
        .catch((x) => x);
      await engine.close();
      expect(e).to.be.instanceOf(EngineTimeout);
      expect(Date.now() - started).to.be.below(10_000);
    });
  });
});

async function makeLakeAt(out: string) {
  const { generateLake } = await import('../../fake-data/generate.ts');
  await generateLake({ seed: 1, scale: 0.001, out, queryNames: NAMES, progress: false, memoryLimitMb: 512 });
}

