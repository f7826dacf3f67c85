/**
 * The first-deploy smoke check (npm run smoke): its HTTP part against the real local gateway
 * (serverless offline over a small lake), its crawler part against a mocked Glue SDK
 * (aws-sdk-client-mock: no Glue exists here).
 */
import { expect } from 'chai';
import { mockClient } from 'aws-sdk-client-mock';
import { GetCrawlerCommand, GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { localToken } from '../../harness/tokens.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { smokeApi, smokeCrawler, smokeReport } from '../../src/ops/aws/smoke.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { testLake, scratchPath } from '../helpers/lake.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';

describe('npm run smoke', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let keysDir: string;
  const token = (client: number) => localToken(keysDir, client, 600);

  before(async () => {
    const { dir } = await testLake();
    keysDir = ensureLocalKeys(scratchPath('smoke-keys'));
    gateway = await startGateway({ LAKEGATE_LAKE_DIR: dir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'warn' });
  });
  after(async () => gateway?.stop());

  const queries = [...catalog().values()];

  it('a client granted every query: whoami and every query pass', async () => {
    const steps = await smokeApi({ baseUrl: `${gateway.url}/`, token: token(4), queries, from: '2024-03-01', to: '2024-03-08' });
    expect(steps.map((s) => s.step)).to.deep.equal(['GET /whoami', ...queries.map((q) => `GET /${q.name}`)]);
    expect(steps.filter((s) => !s.ok)).to.deep.equal([]);
    expect(smokeReport(steps).at(-1)).to.equal(`${queries.length + 1} passed, 0 failed`);
  });

  it('a client granted only the counts: the other queries fail with the API error', async () => {
    const steps = await smokeApi({ baseUrl: gateway.url, token: token(3), queries, from: '2024-03-01', to: '2024-03-08' });
    const failed = steps.filter((s) => !s.ok);
    expect(failed.length).to.be.greaterThan(0);
    for (const s of failed) expect(s.detail).to.match(/^HTTP 403: /);
    expect(smokeReport(steps).at(-1)).to.equal(`${steps.length - failed.length} passed, ${failed.length} failed`);
  });

  it('a bad token: every step fails with 401', async () => {
    const steps = await smokeApi({ baseUrl: gateway.url, token: 'a.b.c', queries, from: '2024-03-01', to: '2024-03-08' });
    expect(steps.every((s) => !s.ok && s.detail.startsWith('HTTP 401'))).to.equal(true);
  });

  describe('the crawler run (mocked Glue SDK)', () => {
    it('a crawl that succeeds passes; one that fails is reported with its reason', async () => {
      const glue = mockClient(GlueClient);
      try {
        glue.on(StartCrawlerCommand).resolves({});
        glue.on(GetCrawlerCommand).resolvesOnce({ Crawler: { State: 'RUNNING' } }).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } } });
        const ok = await smokeCrawler(new GlueClient({ region: 'us-east-1' }), 'lakegate-prod-access-control', { pollMs: 1 });
        expect(ok).to.include({ step: 'crawler lakegate-prod-access-control', ok: true, detail: 'SUCCEEDED' });
        glue.on(GetCrawlerCommand).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'FAILED', ErrorMessage: 'AccessDenied' } } });
        const bad = await smokeCrawler(new GlueClient({ region: 'us-east-1' }), 'lakegate-prod-access-control', { pollMs: 1 });
        expect(bad.ok).to.equal(false);
        expect(bad.detail).to.match(/FAILED: AccessDenied/);
      } finally {
        glue.restore();
      }
    });
  });
});
