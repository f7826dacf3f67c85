/**
 * The credential figures, in-process: POST /oauth/token through its Lambda handler (parse, SHA-256
 * secret check, access rule, ES256 signature with the local ring) and the authorizer's warm
 * decision for an identity provider's token (JWKS cached after the first fetch).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import { AccessTableCache } from '../src/lambda/access/table.ts';
import { serializeAccessTable } from '../src/lambda/access/model.ts';
import { Authorizer } from '../src/lambda/identity/authorizer.ts';
import { ringKeys } from '../src/lambda/identity/keys/sources.ts';
import { LocalKeyRing } from '../src/lambda/identity/keys/local-ring.ts';
import { RemoteJwks } from '../src/lambda/identity/keys/remote-jwks.ts';
import { LocalRingSigner } from '../src/lambda/identity/keys/signer.ts';
import { keyThumbprint } from '../src/lambda/identity/tokens/verify.ts';
import { catalog } from '../src/lambda/catalog.ts';
import { newSecret } from '../src/lambda/identity/oauth/secrets.ts';
import { FailureGuard } from '../src/lambda/identity/oauth/failures.ts';
import { oauthTokenHandler } from '../src/lambda/identity/oauth/endpoints.ts';
import { median, percentile } from '../src/shared/stats.ts';

const NAMES = [...catalog().keys()];
const RULES = [{ client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own' as const, max_range_days: 366, idp_client_id: 'idp-app-4' }];
const acl = () => new AccessTableCache({ location: 'memory', read: async () => ({ changed: true as const, version: '1', body: serializeAccessTable(RULES) }) }, { ttlMs: 3_600_000, maxStaleMs: 3_600_000, readTimeoutMs: 1000 });

async function timeIt(n: number, work: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(200, n); i++) await work(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await work();
    ms.push(performance.now() - t);
  }
  return { median: median(ms), p99: percentile(ms, 99) };
}

export async function measureTokenEndpoint(keysDir: string, requests: number) {
  const { secret, stored } = newSecret(4);
  const table = acl();
  const handler = oauthTokenHandler(async () => ({
    secrets: async () => [stored], accessTable: () => table.table(), signer: new LocalRingSigner(keysDir, 5000),
    guard: new FailureGuard(5, 60_000), queryNames: NAMES, issuer: 'lakegate-local', audience: 'lakegate-api', defaultTtlSec: 3600,
  }));
  const event = {
    httpMethod: 'POST', headers: { Authorization: `Basic ${Buffer.from(`4:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials', isBase64Encoded: false, queryStringParameters: null, multiValueQueryStringParameters: null,
  } as unknown as APIGatewayProxyEvent;
  const check = await handler(event);
  if (check.statusCode !== 200) throw new Error(`bench token request answered ${check.statusCode}`);
  return timeIt(requests, () => handler(event));
}

export async function measureProviderDecision(keysDir: string, decisions: number) {
  const provider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = keyThumbprint(provider.publicKey);
  const jwks = JSON.stringify({ keys: [{ ...provider.publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  const server = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    const policy = { issuer: 'lakegate-local', audience: 'lakegate-api', clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 };
    const authorizer = new Authorizer(ringKeys(new LocalKeyRing(keysDir, 5000)), policy, acl(), NAMES, {
      keys: new RemoteJwks({ url, fetchTimeoutMs: 3000, refetchCooldownMs: 30_000, refreshIntervalMs: 600_000, maxStaleMs: 3_600_000 }),
      policy: { ...policy, issuer: 'https://idp.example.test', audience: 'lakegate-resource', clientClaim: 'client_id' },
    });
    const token = jwt.sign({ client_id: 'idp-app-4' }, provider.privateKey, { algorithm: 'ES256', keyid: kid, issuer: 'https://idp.example.test', audience: 'lakegate-resource', expiresIn: 3600 });
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/count_orders_by_range';
    const first = await authorizer.decide(`Bearer ${token}`, arn);
    if (first.effect !== 'Allow') throw new Error('bench provider token was not allowed');
    return await timeIt(decisions, () => authorizer.decide(`Bearer ${token}`, arn));
  } finally {
    server.close();
  }
}
