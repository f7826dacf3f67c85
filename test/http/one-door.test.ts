/**
 * One door into the local gateway, as on AWS: the authorizer. serverless-offline's Lambda Invoke
 * API (which would run any function with an authorizer context the caller makes up, and answer
 * CORS for any origin) never listens, and a handler under serverless-offline refuses a context
 * that its authorizer did not seal.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { SEALED_FIELDS, contextTrusted, sealContext } from '../../src/lambda/identity/context-seal.ts';
import type { Gateway } from '../../harness/gateway.ts';
import { pagesGateway } from '../helpers/pages-gateway.ts';

const MADE_UP = { requestContext: { authorizer: { clientId: '9000', rowScope: 'all', maxRangeDays: '3660', plan: 'internal' } }, queryStringParameters: { from: '2024-01-01', to: '2024-12-31' } };

describe('one door: the authorizer is the only way into a handler', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let token: (client: number) => string;
  before(async () => ({ gateway, token } = await pagesGateway()));

  /** A request's outcome: the status, or the connection error's code. */
  const outcome = (url: string, init: RequestInit) => fetch(url, init).then((r) => r.status, (e: { cause?: { code?: string } }) => e.cause?.code ?? 'error');

  it("serverless-offline's Lambda Invoke API does not listen: a made-up authorizer context reaches no handler", async () => {
    const invoke = `${gateway.lambdaUrl}/2015-03-31/functions/lakegate-local-all_orders_by_range/invocations`;
    expect(await outcome(invoke, { method: 'POST', body: JSON.stringify(MADE_UP) })).to.equal('ECONNREFUSED');
    expect(await outcome(`${gateway.lambdaUrl}/2014-11-13/functions/lakegate-local-whoami/invoke-async/`, { method: 'POST', body: '{}' })).to.equal('ECONNREFUSED');
  });

  it('a browser-style text/plain POST from a foreign origin reads nothing, on either port', async () => {
    const init = { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' }, body: JSON.stringify(MADE_UP) };
    expect(await outcome(`${gateway.lambdaUrl}/2015-03-31/functions/lakegate-local-count_orders_by_range/invocations`, init)).to.equal('ECONNREFUSED');
    const r = await fetch(`${gateway.url}/2015-03-31/functions/lakegate-local-count_orders_by_range/invocations`, init);
    expect(r.status).to.equal(404);
    expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).to.deep.equal([]);
    expect((await r.json()).error.code).to.equal('not_found');
  });

  it('the same request through the authorizer is answered, with only the caller\'s rows', async () => {
    const r = await fetch(`${gateway.url}/whoami`, { headers: { Authorization: `Bearer ${token(4)}` } });
    expect(r.status).to.equal(200);
    expect(await r.json()).to.deep.include({ clientId: 4, rowScope: 'own' });
  });

  describe("the handler's check of the authorizer context (src/lambda/identity/context-seal.ts)", () => {
    const key = randomBytes(32);
    const context = { clientId: '4', rowScope: 'own', maxRangeDays: '366', plan: 'standard', pii: 'masked' };
    const sealed = { ...context, seal: sealContext(key, context) };
    const offline = { offline: true, sealKey: key };

    it('under serverless-offline, a context sealed with the gateway\'s key is trusted', () => {
      expect(contextTrusted(sealed, offline)).to.equal(true);
    });
    it('under serverless-offline, a made-up context without a seal is refused', () => {
      expect(contextTrusted(MADE_UP.requestContext.authorizer, offline)).to.equal(false);
    });
    for (const field of SEALED_FIELDS) {
      it(`under serverless-offline, a sealed context with ${field} changed is refused`, () => {
        expect(contextTrusted({ ...sealed, [field]: field === 'clientId' ? '9000' : 'x' }, offline)).to.equal(false);
      });
    }
    it('under serverless-offline, a seal made with another key is refused', () => {
      expect(contextTrusted({ ...context, seal: sealContext(randomBytes(32), context) }, offline)).to.equal(false);
    });
    it('under serverless-offline without a seal key (misconfigured), every context is refused (fail closed)', () => {
      expect(contextTrusted(sealed, { offline: true, sealKey: undefined })).to.equal(false);
    });
    it('on AWS (not offline, no key), the context API Gateway passes is trusted: only API Gateway may invoke', () => {
      expect(contextTrusted(context, { offline: false, sealKey: undefined })).to.equal(true);
    });
  });
});
