/**
 * Plans and limits: the token bucket and the UTC-day quota as tables of cases with an
 * injected clock; 429 rate_limited / quota_exceeded with Retry-After through the handler, then
 * recovery; isolation between clients; the SQLite store shared by worker threads; the plans file;
 * `acl plan`; `acl sync` against API Gateway (fake at the AWS SDK seam: aws-sdk-client-mock, a
 * small in-memory API Gateway so a second run can be checked to change nothing).
 */
import { expect } from 'chai';
import {
  APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand, DeleteUsagePlanKeyCommand,
  GetApiKeysCommand, GetUsagePlanKeysCommand, GetUsagePlansCommand, UpdateApiKeyCommand, type ApiKey,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { applyCommand, parseCommand } from '../../src/ops/acl-edit.ts';
import { AccessTableError, defaultAccessTable, parseAccessTable, planOfRule, serializeAccessTable, validateRule, type AccessRule } from '../../src/lambda/access/model.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { accessControlKey } from '../../src/lambda/lake/layout.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { secondsToNextUtcDay, takeRequest, type ClientLimitState } from '../../src/lambda/limits/bucket.ts';
import { Limiter, setLimiter } from '../../src/lambda/limits/limiter.ts';
import { parsePlans, planNamed, planOf, plans, PlansError, type Plan } from '../../src/lambda/limits/plans.ts';
import { MemoryLimitStore, SqliteLimitStore } from '../../src/lambda/limits/store.ts';
import { apiKeyName, syncUsageKeys, usagePlanName } from '../../src/ops/limits-sync.ts';
import { UsageKeys } from '../../src/lambda/limits/usage-key.ts';
import { apiEvent, SpyEngine } from '../helpers/api.ts';
import { scratchPath } from '../helpers/lake.ts';

const run = promisify(execFile);
const NAMES = [...catalog().keys()];
const PLAN: Plan = { name: 'test', ratePerSecond: 2, burst: 3, quotaPerDay: 5 };
const NOON = Date.UTC(2024, 5, 1, 12); // 2024-06-01T12:00Z

describe('limits: the decision (token bucket + UTC-day quota)', () => {
  /** Replays `at` (ms after NOON) through takeRequest and returns each outcome. */
  const replay = (plan: Plan, at: number[]) => {
    let state: ClientLimitState | undefined;
    return at.map((t) => {
      const v = takeRequest(state, plan, NOON + t);
      state = v.state;
      return v.allowed ? 'ok' : `${v.reason}:${v.retryAfterSeconds}`;
    });
  };

  const cases: [string, Plan, number[], string[]][] = [
    ['a full bucket allows the burst, then refuses for the time one token takes', PLAN, [0, 0, 0, 0], ['ok', 'ok', 'ok', 'rate:1']],
    ['tokens come back at ratePerSecond', PLAN, [0, 0, 0, 0, 500, 500], ['ok', 'ok', 'ok', 'rate:1', 'ok', 'rate:1']],
    ['a slow plan says how long to wait', { ...PLAN, ratePerSecond: 0.1, burst: 1 }, [0, 0, 3000], ['ok', 'rate:10', 'rate:7']],
    ['the bucket never holds more than the burst', PLAN, [0, 60_000, 60_000, 60_000, 60_000], ['ok', 'ok', 'ok', 'ok', 'rate:1']],
    ['the quota ends the day, whatever the bucket', { ...PLAN, burst: 100 }, [0, 1, 2, 3, 4, 5], ['ok', 'ok', 'ok', 'ok', 'ok', 'quota:43200']],
    ['a refused request takes nothing: the quota still has room after rate refusals', { ...PLAN, burst: 1, quotaPerDay: 2 },
      [0, 0, 0, 500, 500], ['ok', 'rate:1', 'rate:1', 'ok', 'quota:43200']],
    ['the quota restarts at 00:00 UTC', { ...PLAN, quotaPerDay: 1 }, [0, 1000, 12 * 3_600_000 - 1, 12 * 3_600_000], ['ok', 'quota:43199', 'quota:1', 'ok']],
  ];
  for (const [name, plan, at, expected] of cases) {
    it(name, () => expect(replay(plan, at)).to.deep.equal(expected));
  }

  it('a plan change applies at once (a smaller burst caps the bucket)', () => {
    const first = takeRequest(undefined, { ...PLAN, burst: 50 }, NOON);
    const next = takeRequest(first.state, { ...PLAN, burst: 1 }, NOON);
    expect(next.allowed).to.equal(true);
    expect(takeRequest(next.state, { ...PLAN, burst: 1 }, NOON).allowed).to.equal(false);
  });

  it('seconds to the next UTC day', () => {
    expect(secondsToNextUtcDay(Date.UTC(2024, 0, 1))).to.equal(86_400);
    expect(secondsToNextUtcDay(Date.UTC(2024, 0, 1, 23, 59, 59, 500))).to.equal(1);
    expect(secondsToNextUtcDay(Date.UTC(2024, 1, 29, 23, 0))).to.equal(3600);
  });
});

describe('limits: 429 through the query handler (injected clock)', () => {
  let now = NOON;
  const spy = new SpyEngine([{ orders: 1 }]);
  const handler = queryHandler('count_orders_by_range');
  const call = (clientId: string, plan?: string) =>
    handler(apiEvent({ from: ['2024-03-01'], to: ['2024-03-08'] }, { clientId, rowScope: 'own', maxRangeDays: '366', ...(plan ? { plan } : {}) }));
  before(() => setEngine(spy));
  after(() => {
    setEngine(undefined);
    setLimiter(undefined);
  });
  beforeEach(() => {
    now = NOON;
    setLimiter(new Limiter(new MemoryLimitStore(), () => now));
  });

  it('over the rate: 429 rate_limited with Retry-After, the engine not called; recovers once a token is back', async () => {
    const trial = planNamed('trial');
    for (let i = 0; i < trial.burst; i++) expect((await call('11', 'trial')).statusCode).to.equal(200);
    const calls = spy.calls.length;
    const r = await call('11', 'trial');
    expect(r.statusCode).to.equal(429);
    expect(JSON.parse(r.body).error.code).to.equal('rate_limited');
    expect(r.headers!['Retry-After']).to.equal(String(Math.ceil(1 / trial.ratePerSecond)));
    expect(spy.calls.length).to.equal(calls);
    now += 1000 / trial.ratePerSecond;
    expect((await call('11', 'trial')).statusCode).to.equal(200);
  });

  it('over the day\'s quota: 429 quota_exceeded with Retry-After to 00:00 UTC; recovers the next UTC day', async () => {
    const trial = planNamed('trial');
    let served = 0;
    for (let i = 0; i < trial.quotaPerDay + 5; i++) {
      now += 1000; // within the rate
      if ((await call('11', 'trial')).statusCode === 200) served += 1;
    }
    expect(served).to.equal(trial.quotaPerDay);
    const r = await call('11', 'trial');
    expect(r.statusCode).to.equal(429);
    expect(JSON.parse(r.body).error).to.deep.include({ code: 'quota_exceeded' });
    expect(Number(r.headers!['Retry-After'])).to.equal(secondsToNextUtcDay(now));
    now = Date.UTC(2024, 5, 2, 0, 0, 1);
    expect((await call('11', 'trial')).statusCode).to.equal(200);
  });

  it('one client\'s limit never slows another: client 11 refused while client 4 is served', async () => {
    for (let i = 0; i < 10; i++) await call('11', 'trial');
    expect((await call('11', 'trial')).statusCode).to.equal(429);
    for (let i = 0; i < planNamed('standard').burst; i++) expect((await call('4')).statusCode, `client 4, request ${i + 1}`).to.equal(200);
  });

  it('no plan in the context (an older authorizer) → the default plan; an unknown name also', () => {
    expect(planOf({ clientId: '4' })).to.equal(undefined);
    expect(planOf({ plan: 'premium' })).to.equal('premium');
    expect(planOf({ plan: 'Robert"); DROP' })).to.equal(undefined);
    expect(planNamed(undefined).name).to.equal(plans().defaultPlan);
    expect(planNamed('nope').name).to.equal(plans().defaultPlan);
  });
});

describe('limits: the SQLite store shared by threads', function () {
  this.timeout(60_000);
  const runWorker = (file: string, clientId: number, plan: Plan, requests: number) =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(new URL('../helpers/limit-worker.ts', import.meta.url), { workerData: { file, clientId, plan, nowMs: NOON, requests } });
      w.once('message', resolve);
      w.once('error', reject);
    });

  it('8 worker threads × 10 requests at one instant: exactly the burst is allowed in all (not 8 bursts)', async () => {
    const file = `${scratchPath('limits')}/limits.db`;
    const plan = { ...PLAN, burst: 13, quotaPerDay: 1000 };
    const allowed = await Promise.all(Array.from({ length: 8 }, () => runWorker(file, 4, plan, 10)));
    expect(allowed.reduce((a, b) => a + b, 0)).to.equal(13);
    // Another client has its own bucket in the same file.
    expect(await runWorker(file, 5, plan, 20)).to.equal(13);
  });

  it('state survives reopening (a restarted worker keeps counting); the quota is shared too', async () => {
    const file = `${scratchPath('limits')}/limits.db`;
    const plan = { ...PLAN, burst: 100, quotaPerDay: 7 };
    const a = await SqliteLimitStore.open(file);
    const b = await SqliteLimitStore.open(file);
    const outcomes = Array.from({ length: 10 }, (_, i) => ((i % 2 ? a : b).take(4, plan, NOON + i).allowed ? 1 : 0));
    expect(outcomes.reduce<number>((x, y) => x + y, 0)).to.equal(7);
    a.close();
    b.close();
    const c = await SqliteLimitStore.open(file);
    expect(c.take(4, plan, NOON + 20).allowed).to.equal(false);
    expect(c.take(4, plan, Date.UTC(2024, 5, 2)).allowed).to.equal(true);
    c.close();
  });
});

describe('limits: plans file and access rules', () => {
  it('the shipped plans are valid, named, and the default exists', () => {
    const set = plans();
    expect([...set.plans.keys()]).to.include.members(['trial', 'basic', 'standard', 'premium', 'internal']);
    expect(set.plans.has(set.defaultPlan)).to.equal(true);
    // The tiers grow: each allows at least as much as the one before it (internal aside).
    const tiers = ['trial', 'basic', 'standard', 'premium'].map((n) => set.plans.get(n)!);
    for (let i = 1; i < tiers.length; i++) for (const k of ['ratePerSecond', 'burst', 'quotaPerDay'] as const) expect(tiers[i]![k]).to.be.above(tiers[i - 1]![k]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no plans', { default: 'a', plans: [] }, /non-empty/],
    ['default not a plan', { default: 'x', plans: [{ name: 'a', ratePerSecond: 1, burst: 1, quotaPerDay: 1 }] }, /default/],
    ['duplicate', { default: 'a', plans: [{ name: 'a', ratePerSecond: 1, burst: 1, quotaPerDay: 1 }, { name: 'a', ratePerSecond: 1, burst: 1, quotaPerDay: 1 }] }, /twice/],
    ['zero rate', { default: 'a', plans: [{ name: 'a', ratePerSecond: 0, burst: 1, quotaPerDay: 1 }] }, /ratePerSecond/],
    ['fractional burst', { default: 'a', plans: [{ name: 'a', ratePerSecond: 1, burst: 1.5, quotaPerDay: 1 }] }, /burst/],
    ['no quota', { default: 'a', plans: [{ name: 'a', ratePerSecond: 1, burst: 1 }] }, /quotaPerDay/],
    ['unknown field', { default: 'a', plans: [{ name: 'a', ratePerSecond: 1, burst: 1, quotaPerDay: 1, period: 'WEEK' }] }, /unknown field/],
    ['bad name', { default: 'A b', plans: [{ name: 'A b', ratePerSecond: 1, burst: 1, quotaPerDay: 1 }] }, /name/],
  ];
  for (const [name, value, message] of bad) {
    it(`a broken plans file is refused: ${name}`, () => expect(() => parsePlans(value)).to.throw(PlansError, message));
  }

  it('existing rules (no plan) read as the default plan; a rule naming an unknown plan is refused', () => {
    const table = parseAccessTable('{"client_id":4,"enabled":true,"allowed_queries":["*"],"row_scope":"own","max_range_days":366}\n');
    expect(planOfRule(table.get(4)!)).to.equal(plans().defaultPlan);
    expect(() => validateRule({ client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 1, plan: 'gold' })).to.throw(AccessTableError, /plan must be one of/);
    const generated = defaultAccessTable([3, 4, 11], NAMES);
    expect(generated.map((r) => [r.client_id, planOfRule(r)])).to.deep.equal([[3, 'basic'], [4, 'standard'], [11, 'trial'], [9000, 'internal']]);
  });

  it('acl plan <client> <plan>: assigns a plan; an unknown plan or client changes nothing', () => {
    const table = parseAccessTable(serializeAccessTable(defaultAccessTable([4], NAMES)));
    const rules = applyCommand(table, parseCommand(['plan', '4', 'premium']), NAMES);
    expect(rules.find((r) => r.client_id === 4)!.plan).to.equal('premium');
    expect(() => applyCommand(table, parseCommand(['plan', '4', 'gold']), NAMES)).to.throw(AccessTableError, /plan must be one of/);
    expect(() => applyCommand(table, parseCommand(['plan', '77', 'basic']), NAMES)).to.throw(AccessTableError, /not in the access table/);
    expect(() => parseCommand(['plan', '4'])).to.throw(AccessTableError, /plan takes one plan name/);
    expect(() => parseCommand(['plan', '4', 'a', 'b'])).to.throw(AccessTableError);
  });
});

describe('limits: the acl CLI (real process, a scratch access table)', function () {
  this.timeout(60_000);
  const lake = scratchPath('acl-lake');
  const env = { ...process.env, LAKEGATE_LAKE_DIR: lake };
  const acl = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/acl.ts', ...args], { env });
  before(() => {
    mkdirSync(path.join(lake, path.dirname(accessControlKey)), { recursive: true });
    writeFileSync(path.join(lake, accessControlKey), serializeAccessTable(defaultAccessTable([4, 7], NAMES)));
  });

  it('plans --json: every plan as {name, ratePerSecond, burst, quotaPerDay}', async () => {
    const { stdout } = await acl('plans', '--json');
    expect(JSON.parse(stdout)).to.deep.equal([...plans().plans.values()]);
    expect((await acl('plans')).stdout).to.match(/^standard\s+10\s+20\s+50000\s+\(default\)$/m);
  });

  it('plan <client> <plan> writes the rule; list shows it; a bad plan exits 2 and changes nothing', async () => {
    expect((await acl('plan', '7', 'basic')).stdout).to.match(/client 7: enabled, .*plan basic/);
    expect(parseAccessTable(readFileSync(path.join(lake, accessControlKey), 'utf8')).get(7)!.plan).to.equal('basic');
    expect((await acl('list')).stdout).to.match(/^\s+7\s+true\s+own\s+366\s+basic\s+/m);
    const before = readFileSync(path.join(lake, accessControlKey), 'utf8');
    const failed = await acl('plan', '7', 'gold').then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.match(/plan must be one of/);
    expect(readFileSync(path.join(lake, accessControlKey), 'utf8')).to.equal(before);
  });
});

describe('limits: acl sync (API Gateway faked at the AWS SDK seam with aws-sdk-client-mock)', () => {
  const api = mockClient(APIGatewayClient);
  const keys = new UsageKeys(Buffer.alloc(32, 3));

  /** A minimal in-memory API Gateway: usage plans (made by the template), API keys, usage-plan keys. */
  function fakeApiGateway(stage: string) {
    const usagePlans = [...plans().plans.keys()].map((p, i) => ({ id: `up-${i}`, name: usagePlanName('lakegate', p, stage) }));
    usagePlans.push({ id: 'up-other', name: 'someone-else-standard-prod' });
    const apiKeys = new Map<string, ApiKey>();
    const attached = new Map<string, Set<string>>(usagePlans.map((u) => [u.id, new Set<string>()]));
    let next = 0;
    api.reset();
    api.on(GetUsagePlansCommand).callsFake(() => ({ items: usagePlans }));
    api.on(GetApiKeysCommand).callsFake((input) => ({
      items: [...apiKeys.values()].filter((k) => k.name!.startsWith(input.nameQuery ?? '')).map((k) => (input.includeValues ? k : { ...k, value: undefined })),
    }));
    api.on(GetUsagePlanKeysCommand).callsFake((input) => ({ items: [...attached.get(input.usagePlanId)!].map((id) => ({ id, type: 'API_KEY' })) }));
    api.on(CreateApiKeyCommand).callsFake((input) => {
      if ([...apiKeys.values()].some((k) => k.value === input.value)) throw new Error('ConflictException: duplicate key value');
      const key = { id: `k-${next++}`, name: input.name, value: input.value, enabled: input.enabled };
      apiKeys.set(key.id, key);
      return key;
    });
    api.on(DeleteApiKeyCommand).callsFake((input) => {
      apiKeys.delete(input.apiKey);
      for (const s of attached.values()) s.delete(input.apiKey);
      return {};
    });
    api.on(UpdateApiKeyCommand).callsFake((input) => {
      const key = apiKeys.get(input.apiKey)!;
      for (const op of input.patchOperations) if (op.path === '/enabled') key.enabled = op.value === 'true';
      return key;
    });
    api.on(CreateUsagePlanKeyCommand).callsFake((input) => {
      if (attached.get(input.usagePlanId)!.has(input.keyId)) throw new Error('ConflictException: already attached');
      for (const [planId, s] of attached) if (s.has(input.keyId)) throw new Error(`ConflictException: key already on ${planId}`);
      attached.get(input.usagePlanId)!.add(input.keyId);
      return {};
    });
    api.on(DeleteUsagePlanKeyCommand).callsFake((input) => {
      attached.get(input.usagePlanId)!.delete(input.keyId);
      return {};
    });
    const planOfKey = (name: string) => {
      const key = [...apiKeys.values()].find((k) => k.name === name);
      const planIds = [...attached].filter(([, s]) => key && s.has(key.id!)).map(([id]) => usagePlans.find((u) => u.id === id)!.name);
      return { key, planIds };
    };
    return { apiKeys, planOfKey };
  }

  const table = (rules: AccessRule[]) => parseAccessTable(serializeAccessTable(rules));
  const rule = (client_id: number, over: Partial<AccessRule> = {}): AccessRule =>
    ({ client_id, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366, ...over });
  const sync = (rules: AccessRule[], stage = 'prod') =>
    syncUsageKeys(new APIGatewayClient({ region: 'eu-west-1' }), { service: 'lakegate', stage, table: table(rules), keys });

  it('creates each client\'s key on its plan, then a re-run changes nothing', async () => {
    const gw = fakeApiGateway('prod');
    const first = await sync([rule(4), rule(3, { plan: 'basic' }), rule(13, { enabled: false })]);
    expect(first).to.deep.equal([
      { clientId: 3, change: 'created its API key' }, { clientId: 3, change: 'joined plan basic' },
      { clientId: 4, change: 'created its API key' }, { clientId: 4, change: 'joined plan standard' },
      { clientId: 13, change: 'created its API key (disabled)' }, { clientId: 13, change: 'joined plan standard' },
    ]);
    const k4 = gw.planOfKey(apiKeyName('lakegate', 'prod', 4));
    expect(k4.key!.value).to.equal(keys.forClient(4));
    expect(k4.planIds).to.deep.equal(['lakegate-standard-prod']);
    expect(gw.planOfKey(apiKeyName('lakegate', 'prod', 13)).key!.enabled).to.equal(false);
    const writes = () => api.calls().filter((c) => !/^Get/.test(c.args[0].constructor.name)).length;
    const before = writes();
    expect(await sync([rule(4), rule(3, { plan: 'basic' }), rule(13, { enabled: false })])).to.deep.equal([]);
    expect(writes()).to.equal(before);
  });

  it('updates: a plan change moves the key, enabling and disabling follow the rule, a removed client is disabled', async () => {
    const gw = fakeApiGateway('prod');
    await sync([rule(4), rule(7), rule(13, { enabled: false })]);
    const changes = await sync([rule(4, { plan: 'trial' }), rule(13)]);
    expect(changes).to.deep.equal([
      { clientId: 4, change: 'left plan standard' }, { clientId: 4, change: 'joined plan trial' },
      { clientId: 13, change: 'enabled its API key' },
      { clientId: 7, change: 'disabled its API key (not in the access table)' },
    ]);
    expect(gw.planOfKey(apiKeyName('lakegate', 'prod', 4)).planIds).to.deep.equal(['lakegate-trial-prod']);
    expect(gw.planOfKey(apiKeyName('lakegate', 'prod', 7)).key!.enabled).to.equal(false);
    expect(await sync([rule(4, { plan: 'trial' }), rule(13)])).to.deep.equal([]);
  });

  it('a rotated usage-key secret replaces the key (values cannot be edited in place)', async () => {
    const gw = fakeApiGateway('prod');
    await sync([rule(4)]);
    const rotated = new UsageKeys(Buffer.alloc(32, 4));
    const changes = await syncUsageKeys(new APIGatewayClient({ region: 'eu-west-1' }), { service: 'lakegate', stage: 'prod', table: table([rule(4)]), keys: rotated });
    expect(changes.map((c) => c.change)).to.deep.equal(['replaced its API key (the usage-key secret changed)', 'created its API key', 'joined plan standard']);
    expect(gw.planOfKey(apiKeyName('lakegate', 'prod', 4)).key!.value).to.equal(rotated.forClient(4));
  });

  it('another stage\'s plans are never touched; a stage without its usage plans is an error', async () => {
    fakeApiGateway('prod');
    await sync([rule(4)], 'dev').then(() => expect.fail('resolved'), (e: Error) => expect(e.message).to.match(/usage plan lakegate-\w+-dev not found: deploy the stage first/));
    expect(api.commandCalls(CreateApiKeyCommand)).to.have.length(0);
  });

  it('the key value is derived from a secret: not from the client id alone, different per secret and per client', () => {
    expect(keys.forClient(4)).to.not.equal(keys.forClient(5));
    expect(keys.forClient(4)).to.not.equal(new UsageKeys(Buffer.alloc(32, 5)).forClient(4));
    expect(() => new UsageKeys(Buffer.alloc(16))).to.throw(/at least 32 bytes/);
    expect(readFileSync(new URL('../../src/lambda/limits/usage-key.ts', import.meta.url), 'utf8')).to.include('createHmac');
  });
});
