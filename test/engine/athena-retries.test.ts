/**
 * One retry layer on Athena calls, bounded by the request's deadline: the engine's own (jittered
 * backoff, RETRY.attempts at most, none starting once the deadline is near). Counted at the wire:
 * the real SDK client talks HTTP to a local server that answers every call with Athena's
 * ThrottlingException, so the SDK's own retry middleware runs as it does on AWS.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { catalog } from '../../src/lambda/catalog.ts';
import { AthenaEngine, engineAthenaClient, RESULT_MARGIN_MS, RETRY, type Clock } from '../../src/lambda/engine/athena/engine.ts';
import { EngineBusy } from '../../src/lambda/errors.ts';
import { withRealSend } from '../helpers/aws-sdk.ts';

describe('Athena retries: one layer, bounded by the deadline (real SDK client over HTTP)', function () {
  this.timeout(60_000);
  let server: Server;
  let endpoint: string;
  /** When each StartQueryExecution reached the wire (epoch ms). */
  let starts: number[];

  // These tests need the SDK's real send (other test files stub it for the whole run).
  withRealSend([AthenaClient]);

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (String(req.headers['x-amz-target']).endsWith('.StartQueryExecution')) starts.push(Date.now());
        res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'test' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  beforeEach(() => {
    starts = [];
  });
  after(() => new Promise((r) => server.close(r)));

  const clientConfig = () => ({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  /** Real time, deterministic jitter (half of each backoff cap). */
  const clock: Clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: () => 0.5 };
  const settings = { workGroup: 'wg', database: 'db', resultReuseMinutes: 0, maxRows: 10_000 };
  const count = catalog().get('count_orders_by_range')!;
  const run = (deadlineInMs: number) =>
    new AthenaEngine(engineAthenaClient(clientConfig()), settings, clock).run({
      query: count, params: { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-03-08T00:00:00Z'), client_id: 4, all_clients: false },
      deadline: Date.now() + deadlineInMs, requestKey: 'r-1',
    });

  it(`a throttled StartQueryExecution reaches the wire exactly ${RETRY.attempts} times, then 429 with Retry-After`, async () => {
    const e = await run(25_000).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(EngineBusy);
    expect((e as EngineBusy).status).to.equal(429);
    expect(Number((e as EngineBusy).headers['Retry-After'])).to.be.greaterThan(0);
    expect(starts).to.have.length(RETRY.attempts);
  });

  it('near the deadline no attempt starts once the deadline minus the answer margin has passed', async () => {
    const deadlineIn = RESULT_MARGIN_MS + 250;
    const deadline = Date.now() + deadlineIn;
    const e = await run(deadlineIn).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(EngineBusy);
    expect(starts.length).to.be.within(1, RETRY.attempts - 1);
    for (const t of starts) expect(t).to.be.at.most(deadline - RESULT_MARGIN_MS);
  });

  it("the SDK's default client would retry each call itself (3 attempts): the engine's client does not", async () => {
    const send = (client: AthenaClient) => client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'wg' })).catch((x: Error) => x);
    const withDefault = new AthenaClient({ ...clientConfig(), retryStrategy: undefined });
    expect(((await send(withDefault)) as Error).name).to.equal('ThrottlingException');
    const sdkAttempts = starts.length;
    starts = [];
    expect(((await send(engineAthenaClient(clientConfig()))) as Error).name).to.equal('ThrottlingException');
    expect([sdkAttempts, starts.length]).to.deep.equal([3, 1]);
  });
});
