/**
 * Usage metering, in process: exactly one access record per request whatever its
 * status, with the right fields and never a token, secret or row value; the EMF documents'
 * shape; the usage report's numbers for a known sequence of requests; the Logs Insights path
 * (AWS SDK faked at its seam with aws-sdk-client-mock); the local file's rotation by size.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient, DescribeLogGroupsCommand, GetQueryResultsCommand, StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { AccessRule } from '../../src/lambda/access/model.ts';
import { Authorizer, tokenAuthorizerHandler } from '../../src/lambda/identity/authorizer.ts';
import { publicVerificationKey } from '../../src/lambda/identity/tokens/verify.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import type { QueryEngine, QueryRequest, QueryResult } from '../../src/lambda/engine/types.ts';
import { DataUnavailable, EngineTimeout } from '../../src/lambda/errors.ts';
import { whoami } from '../../src/lambda/api/whoami.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { Limiter, setLimiter } from '../../src/lambda/limits/limiter.ts';
import { MemoryLimitStore } from '../../src/lambda/limits/store.ts';
import { UsageKeys } from '../../src/lambda/limits/usage-key.ts';
import { onAccess } from '../../src/lambda/usage/access-log.ts';
import { ATHENA_MIN_BYTES_PER_QUERY, BYTES_PER_TB } from '../../src/ops/usage/cost.ts';
import { ACCESS_QUERY, insightsAccessRecords, recordOfRow } from '../../src/ops/usage/insights.ts';
import { requestMetrics } from '../../src/lambda/usage/metrics.ts';
import type { AccessRecord } from '../../src/lambda/usage/record.ts';
import { RotatingFile, rotatedFiles } from '../../src/lambda/usage/rotating-file.ts';
import { formatTable, parseAccessLog, parseSince, usageReport } from '../../src/ops/usage/report.ts';
import { percentile } from '../../src/shared/stats.ts';
import { apiEvent } from '../helpers/api.ts';
import { AUDIENCE, ecKey, ISSUER, mint } from '../helpers/tokens.ts';
import { fixedAccessTable } from '../helpers/acl.ts';
import { scratchPath } from '../helpers/lake.ts';

const NAMES = [...catalog().keys()];
const ROW_VALUE = 'ROW-VALUE-Quilmes-7f3a'; // a cell value that must never reach a log line
const USAGE_SECRET = Buffer.alloc(32, 9);
const ACCESS_KEYS = [
  'requestId', 'time', 'clientId', 'claimedClientId', 'query', 'from', 'to', 'status', 'errorCode', 'rows', 'bytesScanned',
  'engineMs', 'durationMs', 'resultReused', 'decidedBy', 'pii',
].sort();

/** An engine that answers one row holding ROW_VALUE, or fails the way it was told to. */
class ScriptedEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  fault: Error | undefined;
  async run(r: QueryRequest): Promise<QueryResult> {
    if (this.fault) throw this.fault;
    return { columns: r.query.columns, rows: [{ service: ROW_VALUE, trackcodes: 42 }], cursor: null, stats: { engine: 'duckdb', source: 'raw', elapsedMs: 1.5 } };
  }
  async close() {}
}

/** Athena's stats as the Athena engine reports them. */
class AthenaLikeEngine extends ScriptedEngine {
  override async run(r: QueryRequest): Promise<QueryResult> {
    const out = await super.run(r);
    return { ...out, stats: { engine: 'athena', source: 'raw', elapsedMs: 850, bytesScanned: 123_456_789, resultReused: false } };
  }
}

describe('usage: access log and metrics', () => {
  const records: AccessRecord[] = [];
  let stop: () => void;
  const engine = new ScriptedEngine();
  const key = ecKey();
  const rules: AccessRule[] = [
    { client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
    { client_id: 3, enabled: true, allowed_queries: ['count_orders_by_range'], row_scope: 'own', max_range_days: 31, plan: 'basic' },
    { client_id: 13, enabled: false, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
  ];
  const authorizer = new Authorizer(
    new Map([[key.kid, publicVerificationKey(key.publicPem)]]),
    { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 },
    fixedAccessTable(rules), NAMES,
  );
  const authorize = tokenAuthorizerHandler(async () => authorizer, async () => new UsageKeys(USAGE_SECRET));
  const arn = (q: string) => `arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/GET/${q}`;
  const handler = queryHandler('most_required_service_by_range');
  const RANGE = { from: ['2024-03-01'], to: ['2024-03-08'] };
  const scope = (clientId: string, plan?: string) => ({ clientId, rowScope: 'own', maxRangeDays: '366', ...(plan ? { plan } : {}) });
  const tokens: string[] = [];

  before(() => {
    stop = onAccess((r) => records.push(r));
    setEngine(engine);
  });
  after(() => {
    stop();
    setEngine(undefined);
    setLimiter(undefined);
  });
  beforeEach(() => {
    records.length = 0;
    engine.fault = undefined;
    setLimiter(null);
  });

  /** Runs one request through `send` and returns its status and the records it left. */
  async function one(send: () => Promise<number>): Promise<{ status: number; record: AccessRecord }> {
    const before = records.length;
    const status = await send();
    expect(records.length - before, 'access records for one request').to.equal(1);
    return { status, record: records.at(-1)! };
  }
  const viaHandler = (query: Record<string, string[]>, authorizerContext: Record<string, unknown> | null = scope('4')) => async () =>
    (await handler(apiEvent(query, authorizerContext))).statusCode;
  const viaAuthorizer = (header: string, q = 'most_required_service_by_range') => async () => {
    tokens.push(header);
    try {
      const r = await authorize({ type: 'TOKEN', authorizationToken: header, methodArn: arn(q) });
      const allowed = (r.policyDocument.Statement[0] as { Effect: string; Resource: string[] });
      return allowed.Effect === 'Allow' && allowed.Resource.includes(arn(q)) ? 200 : 403;
    } catch (e) {
      expect((e as Error).message).to.equal('Unauthorized');
      return 401;
    }
  };

  const cases: [string, () => () => Promise<number>, number, Partial<AccessRecord>][] = [
    ['200 answered', () => viaHandler(RANGE), 200,
      { clientId: 4, query: 'most_required_service_by_range', from: '2024-03-01T00:00:00.000Z', to: '2024-03-08T00:00:00.000Z', errorCode: null, rows: 1, bytesScanned: null, resultReused: null, decidedBy: 'handler', pii: 'masked' }],
    ['400 bad range', () => viaHandler({ from: ['2024-03-08'], to: ['2024-03-01'] }), 400,
      { clientId: 4, errorCode: 'bad_request', rows: null, engineMs: null, from: null, to: null, decidedBy: 'handler' }],
    ['401 expired token (authorizer): the client its token names, unverified', () => viaAuthorizer(`Bearer ${mint(key, '4', { sign: { expiresIn: -120 } })}`), 401,
      { clientId: null, claimedClientId: 4, query: 'most_required_service_by_range', errorCode: 'unauthorized', decidedBy: 'authorizer', pii: null }],
    ['401 garbage header (authorizer)', () => viaAuthorizer('Bearer not.a.jwt'), 401, { clientId: null, claimedClientId: null, errorCode: 'unauthorized' }],
    ['403 disabled client (authorizer Deny): the code the client is told', () => viaAuthorizer(`Bearer ${mint(key, '13')}`), 403,
      { clientId: 13, errorCode: 'client_disabled', decidedBy: 'authorizer' }],
    ['403 query not granted (authorizer Allow without this method)', () => viaAuthorizer(`Bearer ${mint(key, '3')}`), 403,
      { clientId: 3, query: 'most_required_service_by_range', errorCode: 'forbidden', decidedBy: 'authorizer' }],
    ['403 no authorizer context (handler)', () => viaHandler(RANGE, null), 403, { clientId: null, errorCode: 'forbidden', decidedBy: 'handler' }],
    ['500 engine throws', () => { engine.fault = new Error(`boom near ${ROW_VALUE}`); return viaHandler(RANGE); }, 500,
      { clientId: 4, errorCode: 'internal_error', rows: null }],
    ['503 partition unreadable', () => { engine.fault = new DataUnavailable('corrupt file /lake/x.parquet'); return viaHandler(RANGE); }, 503,
      { errorCode: 'data_unavailable' }],
    ['504 engine timeout', () => { engine.fault = new EngineTimeout('too slow'); return viaHandler(RANGE); }, 504,
      { errorCode: 'query_timeout' }],
  ];
  for (const [name, make, status, expected] of cases) {
    it(`one access record: ${name}`, async () => {
      const r = await one(make());
      expect(r.status).to.equal(status);
      expect(Object.keys(r.record).sort()).to.deep.equal(ACCESS_KEYS);
      expect(r.record).to.deep.include({ status, ...expected });
      expect(r.record.durationMs).to.be.a('number').and.at.least(0);
      expect(Date.parse(r.record.time)).to.be.closeTo(Date.now(), 60_000);
      expect(r.record.requestId).to.be.a('string').and.not.equal('');
      if (status >= 500 || status === 200) expect(r.record.engineMs).to.be.a('number');
    });
  }

  it('one access record: /whoami answered and refused', async () => {
    const ok = await one(async () => (await whoami(apiEvent({}, scope('4')))).statusCode);
    expect(ok.status).to.equal(200);
    expect(Object.keys(ok.record).sort()).to.deep.equal(ACCESS_KEYS);
    expect(ok.record).to.deep.include({ clientId: 4, query: 'whoami', status: 200, errorCode: null, rows: null, decidedBy: 'handler' });
    const refused = await one(async () => (await whoami(apiEvent({}, null))).statusCode);
    expect(refused.record).to.deep.include({ clientId: null, query: 'whoami', status: 403, errorCode: 'forbidden' });
  });

  it('one access record: 429 over the plan (rate), with the client and Retry-After', async () => {
    setLimiter(new Limiter(new MemoryLimitStore(), () => Date.UTC(2024, 5, 1, 12)));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await one(viaHandler(RANGE, scope('11', 'trial')))).status);
    expect(statuses).to.deep.equal([200, 200, 429]); // trial: burst 2
    expect(records.at(-1)).to.deep.include({ clientId: 11, status: 429, errorCode: 'rate_limited', engineMs: null, rows: null });
  });

  it('Athena stats reach the record: bytes scanned, result reuse', async () => {
    setEngine(new AthenaLikeEngine());
    try {
      const r = await one(viaHandler(RANGE));
      expect(r.record).to.deep.include({ status: 200, bytesScanned: 123_456_789, resultReused: false, rows: 1 });
    } finally {
      setEngine(engine);
    }
  });

  it('the authorizer returns the client\'s usageIdentifierKey on Allow (derived, not the client id), none on Deny', async () => {
    const allow = (await authorize({ type: 'TOKEN', authorizationToken: `Bearer ${mint(key, '4')}`, methodArn: arn('count_orders_by_range') })) as APIGatewayAuthorizerResult;
    expect(allow.usageIdentifierKey).to.equal(new UsageKeys(USAGE_SECRET).forClient(4));
    expect(allow.usageIdentifierKey).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(allow.usageIdentifierKey).to.not.equal(new UsageKeys(Buffer.alloc(32, 8)).forClient(4)); // another stage's secret
    expect(allow.context).to.deep.include({ plan: 'standard' });
    const deny = (await authorize({ type: 'TOKEN', authorizationToken: `Bearer ${mint(key, '13')}`, methodArn: arn('count_orders_by_range') })) as APIGatewayAuthorizerResult;
    expect(deny).to.not.have.property('usageIdentifierKey');
    const noSecret = tokenAuthorizerHandler(async () => authorizer, async () => null);
    const local = await noSecret({ type: 'TOKEN', authorizationToken: `Bearer ${mint(key, '4')}`, methodArn: arn('count_orders_by_range') });
    expect(local).to.not.have.property('usageIdentifierKey');
  });

  it('the usage-key secret cannot be loaded → the authorizer denies (fail closed)', async () => {
    const broken = tokenAuthorizerHandler(async () => authorizer, async () => {
      throw new Error('SSM unavailable');
    });
    expect(await viaAuthorizer(`Bearer ${mint(key, '4')}`)()).to.equal(200); // control: with the secret, Allow
    const denied = await broken({ type: 'TOKEN', authorizationToken: `Bearer ${mint(key, '4')}`, methodArn: arn('count_orders_by_range') });
    expect((denied.policyDocument.Statement[0] as { Effect: string }).Effect).to.equal('Deny');
    expect(records.at(-1)).to.deep.include({ status: 403, errorCode: 'forbidden' });
  });

  it('no record and no EMF document holds a token, a secret or a row value', async () => {
    for (const [, make] of cases) await make()();
    const everything = JSON.stringify(records) + records.map((r) => JSON.stringify(requestMetrics(r))).join('');
    expect(records.length).to.equal(cases.length);
    expect(everything).to.not.include(ROW_VALUE);
    for (const t of tokens) expect(everything).to.not.include(t.replace(/^Bearer /, ''));
    expect(everything).to.not.include(USAGE_SECRET.toString('base64'));
    expect(everything).to.not.include(new UsageKeys(USAGE_SECRET).forClient(4));
  });

  it('EMF: namespace, low-cardinality dimensions, the metrics, and the client id as a property', () => {
    const record: AccessRecord = {
      requestId: 'r-1', time: '2024-06-01T12:00:00.000Z', clientId: 4, query: 'count_orders_by_range', from: null, to: null,
      status: 503, errorCode: 'data_unavailable', rows: null, bytesScanned: 2048, engineMs: 12.5, durationMs: 14.25, resultReused: false, decidedBy: 'handler',
    };
    const doc = requestMetrics(record) as any;
    const directive = doc._aws.CloudWatchMetrics;
    expect(directive).to.have.length(1);
    expect(directive[0].Namespace).to.equal('lakegate');
    expect(directive[0].Dimensions).to.deep.equal([['service', 'query', 'statusClass']]);
    expect(directive[0].Metrics).to.deep.equal([
      { Name: 'Requests', Unit: 'Count' }, { Name: 'Latency', Unit: 'Milliseconds' }, { Name: 'EngineLatency', Unit: 'Milliseconds' },
      { Name: 'BytesScanned', Unit: 'Bytes' },
    ]);
    expect(doc._aws.Timestamp).to.be.a('number');
    expect(doc).to.deep.include({
      service: 'lakegate', query: 'count_orders_by_range', statusClass: '5xx', Requests: 1, Latency: 14.25, EngineLatency: 12.5, BytesScanned: 2048,
      clientId: '4', requestId: 'r-1', errorCode: 'data_unavailable',
    });
    expect(JSON.stringify(directive)).to.not.include('clientId');
    // The next document starts clean (nothing of this one carried over).
    const next = requestMetrics({ ...record, clientId: null, status: 200, errorCode: null, bytesScanned: null, engineMs: null, rows: 3 }) as any;
    expect(next).to.not.have.property('clientId');
    expect(next).to.not.have.property('errorCode');
    expect(next).to.not.have.property('BytesScanned');
    expect(next).to.deep.include({ statusClass: '2xx', Rows: 3 });
  });
});

describe('usage: the report', () => {
  const at = (minute: number) => new Date(Date.UTC(2024, 5, 1, 12, minute)).toISOString();
  const rec = (over: Partial<AccessRecord>): AccessRecord => ({
    requestId: `r-${Math.random()}`, time: at(0), clientId: 4, query: 'count_orders_by_range', from: null, to: null, status: 200,
    errorCode: null, rows: 1, bytesScanned: null, engineMs: 5, durationMs: 10, resultReused: null, decidedBy: 'handler', ...over,
  });
  const MB = 1024 ** 2;
  // A known sequence: client 4 on two queries, client 7 on one, and refusals.
  const sequence: AccessRecord[] = [
    rec({ durationMs: 10, bytesScanned: 3 * MB }), // billed at the 10 MB minimum
    rec({ durationMs: 30, bytesScanned: 25 * MB + 1, rows: 1 }), // billed 26 MB (rounded up to the MB)
    rec({ durationMs: 20, status: 400, errorCode: 'bad_request', rows: null, engineMs: null }), // engine not called: free
    rec({ durationMs: 40, status: 504, errorCode: 'query_timeout', rows: null, bytesScanned: null }), // ran: 10 MB minimum
    rec({ query: 'all_orders_by_range', durationMs: 100, rows: 100, bytesScanned: 50 * MB, resultReused: true }), // reused: free
    rec({ clientId: 7, durationMs: 5, status: 429, errorCode: 'rate_limited', rows: null, engineMs: null }),
    rec({ clientId: 7, durationMs: 7, rows: 12 }), // DuckDB: no byte count, the 10 MB minimum
    rec({ clientId: null, durationMs: 1, status: 401, errorCode: 'unauthorized', rows: null, engineMs: null, decidedBy: 'authorizer' }),
    rec({ time: '2024-05-01T00:00:00.000Z', clientId: 7, durationMs: 999 }), // before --since
  ];
  const usd = (mb: number) => Math.round(((mb * MB) / BYTES_PER_TB) * 5 * 1e6) / 1e6;

  it('per client and query: requests by class, rows, bytes, cost (US$5/TB, 10 MB minimum), p50/p99', () => {
    const rows = usageReport(sequence, { sinceMs: Date.UTC(2024, 5, 1) });
    expect(rows).to.deep.equal([
      { clientId: 4, query: 'all_orders_by_range', requests: 1, status2xx: 1, status4xx: 0, status5xx: 0, rows: 100, bytesScanned: 50 * MB, estimatedCostUsd: 0, p50Ms: 100, p99Ms: 100 },
      { clientId: 4, query: 'count_orders_by_range', requests: 4, status2xx: 2, status4xx: 1, status5xx: 1, rows: 2, bytesScanned: 28 * MB + 1, estimatedCostUsd: usd(10 + 26 + 10), p50Ms: 20, p99Ms: 40 },
      { clientId: 7, query: 'count_orders_by_range', requests: 2, status2xx: 1, status4xx: 1, status5xx: 0, rows: 12, bytesScanned: 0, estimatedCostUsd: usd(10), p50Ms: 5, p99Ms: 7 },
      { clientId: null, query: 'count_orders_by_range', requests: 1, status2xx: 0, status4xx: 1, status5xx: 0, rows: 0, bytesScanned: 0, estimatedCostUsd: 0, p50Ms: 1, p99Ms: 1 },
    ]);
    expect(ATHENA_MIN_BYTES_PER_QUERY).to.equal(10 * MB);
  });

  it("refused requests count for the client their credentials named (a 401's token sub, an id presented to /oauth/token)", () => {
    const refusals = [
      rec({ clientId: null, claimedClientId: 7, status: 401, errorCode: 'unauthorized', rows: null, engineMs: null, decidedBy: 'authorizer' }),
      rec({ clientId: null, claimedClientId: 7, query: 'oauth_token', status: 401, errorCode: 'invalid_client', rows: null, engineMs: null }),
      rec({ clientId: 7, claimedClientId: null, query: 'oauth_token', status: 200, rows: null, engineMs: null }),
    ];
    const rows = usageReport(refusals, { clientId: 7 });
    expect(rows.map((r) => [r.clientId, r.query, r.requests, r.status2xx, r.status4xx])).to.deep.equal([
      [7, 'count_orders_by_range', 1, 0, 1],
      [7, 'oauth_token', 2, 1, 1],
    ]);
  });

  it('--client filters; --since drops older records; the JSON keys are exactly the contract\'s', () => {
    const rows = usageReport(sequence, { clientId: 7 });
    expect(rows).to.have.length(1);
    expect(rows[0]!.requests).to.equal(3);
    expect(Object.keys(rows[0]!)).to.deep.equal(['clientId', 'query', 'requests', 'status2xx', 'status4xx', 'status5xx', 'rows', 'bytesScanned', 'estimatedCostUsd', 'p50Ms', 'p99Ms']);
  });

  it('the local file: JSON Lines, torn lines skipped and counted; durations; percentiles; the table', () => {
    const text = `${sequence.map((r) => JSON.stringify(r)).join('\n')}\n{"requestId":"torn","ti\n`;
    const parsed = parseAccessLog(text);
    expect(parsed.records).to.have.length(sequence.length);
    expect(parsed.skipped).to.equal(1);
    expect(parseSince('24h')).to.equal(86_400_000);
    expect(parseSince('30m')).to.equal(1_800_000);
    expect(parseSince('7d')).to.equal(7 * 86_400_000);
    for (const bad of ['24', 'h', '-1h', '1w', '1.5h']) expect(() => parseSince(bad), bad).to.throw(/--since/);
    expect(percentile([5, 1, 4, 2, 3], 50)).to.equal(3);
    expect(percentile([...Array(100).keys()].map((i) => i + 1), 99)).to.equal(99);
    const table = formatTable(usageReport(sequence));
    expect(table.split('\n')[0]).to.match(/^client\s+query\s+requests\s+2xx\s+4xx\s+5xx\s+rows\s+bytes scanned\s+est\. cost US\$\s+p50 ms\s+p99 ms$/);
    expect(table.split('\n')).to.have.length(5);
  });
});

describe('usage: CloudWatch Logs Insights (fake at the AWS SDK seam: aws-sdk-client-mock)', () => {
  const logs = mockClient(CloudWatchLogsClient);
  afterEach(() => logs.reset());
  const field = (f: string, v: string) => ({ field: f, value: v });

  it('queries the stage\'s Lambda log groups for access lines, polls until complete, and reports like locally', async () => {
    logs.on(DescribeLogGroupsCommand)
      .resolvesOnce({ logGroups: [{ logGroupName: '/aws/lambda/lakegate-prod-tokenAuthorizer' }], nextToken: 'p2' })
      .resolvesOnce({ logGroups: [{ logGroupName: '/aws/lambda/lakegate-prod-count_orders_by_range' }] });
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs.on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Running' })
      .resolvesOnce({
        status: 'Complete',
        results: [
          [field('requestId', 'a'), field('time', '2024-06-01T12:00:00.000Z'), field('clientId', '4'), field('query', 'count_orders_by_range'),
            field('status', '200'), field('rows', '1'), field('bytesScanned', '1048576'), field('engineMs', '800'), field('durationMs', '900'),
            field('resultReused', '0'), field('decidedBy', 'handler')],
          [field('requestId', 'b'), field('time', '2024-06-01T12:00:01.000Z'), field('query', 'count_orders_by_range'), field('status', '401'),
            field('errorCode', 'unauthorized'), field('durationMs', '2'), field('decidedBy', 'authorizer')],
        ],
      });
    const slept: number[] = [];
    const out = await insightsAccessRecords(new CloudWatchLogsClient({ region: 'eu-west-1' }), {
      stage: 'prod', sinceMs: Date.UTC(2024, 5, 1), untilMs: Date.UTC(2024, 5, 2), pollMs: 250, sleep: async (ms) => void slept.push(ms),
    });
    const start = logs.commandCalls(StartQueryCommand)[0]!.args[0].input;
    expect(start.logGroupNames).to.deep.equal(['/aws/lambda/lakegate-prod-tokenAuthorizer', '/aws/lambda/lakegate-prod-count_orders_by_range']);
    expect(start).to.deep.include({ startTime: Date.UTC(2024, 5, 1) / 1000, endTime: Date.UTC(2024, 5, 2) / 1000, queryString: ACCESS_QUERY });
    expect(ACCESS_QUERY).to.include('filter message = "access"');
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0]!.args[0].input.logGroupNamePrefix).to.equal('/aws/lambda/lakegate-prod-');
    expect(slept).to.deep.equal([250]);
    expect(out.truncated).to.equal(false);
    expect(out.records[0]).to.deep.include({ clientId: 4, status: 200, bytesScanned: 1_048_576, engineMs: 800, resultReused: false });
    expect(out.records[1]).to.deep.include({ clientId: null, status: 401, errorCode: 'unauthorized', rows: null, engineMs: null, decidedBy: 'authorizer' });
    const rows = usageReport(out.records);
    expect(rows.map((r) => [r.clientId, r.requests, r.status2xx, r.status4xx])).to.deep.equal([[4, 1, 1, 0], [null, 1, 0, 1]]);
  });

  it('a failed query or a stage with no log groups is an error, not an empty report', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
    const o = { stage: 'nope', sinceMs: 0, untilMs: 1000, sleep: async () => {} };
    await insightsAccessRecords(client, o).then(() => expect.fail('resolved'), (e: Error) => expect(e.message).to.match(/no log groups/));
    logs.reset();
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/aws/lambda/lakegate-prod-x' }] });
    logs.on(StartQueryCommand).resolves({ queryId: 'q' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Failed' });
    await insightsAccessRecords(client, { ...o, stage: 'prod' }).then(() => expect.fail('resolved'), (e: Error) => expect(e.message).to.match(/Failed/));
  });

  it('a row with a null-valued field reads as null', () => {
    expect(recordOfRow([field('status', '200'), field('clientId', 'null'), field('durationMs', '3')])).to.deep.include({ clientId: null, status: 200, durationMs: 3 });
  });
});

describe('usage: the local access log rotates by size', () => {
  const line = (i: number) => `${JSON.stringify({ requestId: `r-${i}`, time: new Date().toISOString(), clientId: 4, query: 'count_orders_by_range', status: 200, durationMs: i })}\n`;
  const linesOf = (file: string) => readFileSync(file, 'utf8');

  it('no file passes its size, no line is split, the oldest beyond `keep` goes, and the files oldest first hold the latest lines in order', () => {
    const file = path.join(scratchPath('rotation'), 'access.log');
    const log = new RotatingFile(file, { maxBytes: 1000, keep: 3 });
    const written = Array.from({ length: 200 }, (_, i) => line(i));
    for (const l of written) log.append(l);
    log.close();
    const files = rotatedFiles(file, 3);
    expect(files).to.deep.equal([`${file}.3`, `${file}.2`, `${file}.1`, file]);
    for (const f of files) {
      expect(statSync(f).size, f).to.be.at.most(1000);
      expect(linesOf(f).endsWith('\n'), f).to.equal(true);
    }
    expect(existsSync(`${file}.4`)).to.equal(false);
    const kept = files.map(linesOf).join('');
    expect(written.join('').endsWith(kept)).to.equal(true); // the newest lines, none lost between the kept files
    expect(kept.split('\n').filter(Boolean).length).to.be.greaterThan(3 * Math.floor(1000 / written[199]!.length));
  });

  it('a line longer than the limit gets a file of its own; a reopened log continues its file and rotates on time', () => {
    const file = path.join(scratchPath('rotation'), 'access.log');
    const long = `${'x'.repeat(300)}\n`;
    const first = new RotatingFile(file, { maxBytes: 200, keep: 5 });
    first.append('a\n');
    first.append(long);
    first.append('b\n');
    first.close();
    expect(rotatedFiles(file, 5).map(linesOf)).to.deep.equal(['a\n', long, 'b\n']);
    const again = new RotatingFile(file, { maxBytes: 200, keep: 5 });
    again.append(`${'c'.repeat(197)}\n`); // 2 + 198 = 200 bytes: still fits
    again.append('d\n');
    again.close();
    expect(rotatedFiles(file, 5).map(linesOf)).to.deep.equal(['a\n', long, `b\n${'c'.repeat(197)}\n`, 'd\n']);
  });

  it('writers sharing one file (each bundle has its own copy under npm start) keep every file within its size and lose no line', () => {
    const file = path.join(scratchPath('rotation'), 'access.log');
    const writers = [0, 1, 2].map(() => new RotatingFile(file, { maxBytes: 1000, keep: 100 }));
    const written = Array.from({ length: 300 }, (_, i) => line(i));
    written.forEach((l, i) => writers[i % 3]!.append(l));
    for (const w of writers) w.close();
    const files = rotatedFiles(file, 100);
    for (const f of files) expect(statSync(f).size, f).to.be.at.most(1000);
    expect(files.map(linesOf).join('')).to.equal(written.join(''));
  });

  it('npm run usage reads every file of a rotated log', async () => {
    const file = path.join(scratchPath('rotation'), 'access.log');
    const log = new RotatingFile(file, { maxBytes: 2000, keep: 4 });
    for (let i = 0; i < 40; i++) log.append(line(i));
    log.close();
    expect(rotatedFiles(file, 4).length).to.be.greaterThan(1);
    const inFiles = rotatedFiles(file, 4).map(linesOf).join('').split('\n').filter(Boolean).length;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--json', '--since', '1h'], {
      env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: file, LAKEGATE_ACCESS_LOG_KEEP: '4' },
    });
    const rows = JSON.parse(stdout) as { clientId: number; query: string; requests: number }[];
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ clientId: 4, query: 'count_orders_by_range', requests: inFiles });
  });
});
