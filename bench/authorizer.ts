/** Authorizer decisions in-process: the first one (keys + access table loaded), then warm ones. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createAuthorizer } from '../src/auth/authorizer.ts';
import { keyThumbprint } from '../src/auth/token.ts';
import { authConfig } from '../src/config.ts';
import { KEY_FILES } from '../src/keys.ts';
import { median, percentile } from './queries.ts';

/** A token signed with the local private key; a negative ttl gives an already expired one. */
export function localToken(keysDir: string, client: number, ttlSec = 3600): string {
  const key = createPrivateKey(readFileSync(path.join(keysDir, KEY_FILES.privateKey)));
  const cfg = authConfig();
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ iat: Math.min(now, now + ttlSec - 60), exp: now + ttlSec }, key, {
    algorithm: 'ES256', keyid: keyThumbprint(createPublicKey(key)), subject: String(client),
    issuer: cfg.issuer, audience: cfg.audience,
  });
}

export async function measureAuthorizer(keysDir: string, decisions: number) {
  const header = `Bearer ${localToken(keysDir, 4)}`;
  const arn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/count_orders_by_range';
  const t0 = performance.now();
  const authorizer = await createAuthorizer();
  const first = await authorizer.decide(header, arn);
  const firstMs = performance.now() - t0;
  if (first.effect !== 'Allow') throw new Error('bench token was not allowed');
  const ms: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const t = performance.now();
    await authorizer.decide(header, arn);
    ms.push(performance.now() - t);
  }
  return { firstMs, median: median(ms), p99: percentile(ms, 99) };
}
